//! `lockstep registry` settings: flags, `LOCKSTEP_*` environment variables and a TOML file
//! (`--config`), in that order of precedence, then defaults.

use std::path::PathBuf;

use anyhow::Context;
use serde::Deserialize;

use registry::schema::CompatibilityLevel;
use registry::RegistryConfig;

#[derive(clap::Args, Debug, Default)]
pub struct RegistryArgs {
    /// Address to serve on [default: 0.0.0.0:8081].
    #[arg(long, env = "LOCKSTEP_LISTEN")]
    listen: Option<String>,
    /// Directory of the embedded store [default: ./lockstep-data].
    #[arg(long, env = "LOCKSTEP_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Compatibility level when none is configured [default: BACKWARD].
    #[arg(long, env = "LOCKSTEP_DEFAULT_COMPATIBILITY")]
    default_compatibility: Option<String>,
    /// Largest schema accepted, in bytes (42209 above it) [default: 1048576].
    #[arg(long, env = "LOCKSTEP_MAX_SCHEMA_BYTES")]
    max_schema_bytes: Option<usize>,
    /// TOML file with a [registry] table holding the same settings (snake_case keys).
    #[arg(long, env = "LOCKSTEP_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    default_compatibility: Option<String>,
    max_schema_bytes: Option<usize>,
}

#[derive(Deserialize, Debug, Default)]
struct ConfigFile {
    #[serde(default)]
    registry: FileSettings,
}

/// The resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: String,
    pub data_dir: PathBuf,
    pub registry: RegistryConfig,
}

pub fn resolve(args: RegistryArgs) -> anyhow::Result<Settings> {
    let file = match &args.config {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
            toml::from_str::<ConfigFile>(&text)
                .with_context(|| format!("invalid config file {}", path.display()))?
                .registry
        }
        None => FileSettings::default(),
    };
    let level = args.default_compatibility.or(file.default_compatibility).unwrap_or_else(|| "BACKWARD".into());
    let default_compatibility =
        CompatibilityLevel::parse(&level).with_context(|| format!("invalid default compatibility level '{level}'"))?;
    let defaults = RegistryConfig::default();
    Ok(Settings {
        listen: args.listen.or(file.listen).unwrap_or_else(|| "0.0.0.0:8081".into()),
        data_dir: args.data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from("./lockstep-data")),
        registry: RegistryConfig {
            default_compatibility,
            max_schema_bytes: args.max_schema_bytes.or(file.max_schema_bytes).unwrap_or(defaults.max_schema_bytes),
            ..defaults
        },
    })
}

pub fn run_registry(args: RegistryArgs) -> anyhow::Result<()> {
    let settings = resolve(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let registry = registry::open_file_registry(&settings.data_dir, settings.registry.clone())
            .with_context(|| format!("cannot open data dir {}", settings.data_dir.display()))?;
        let (listener, addr) =
            registry::bind(&settings.listen).await.with_context(|| format!("cannot listen on {}", settings.listen))?;
        tracing::info!(%addr, data_dir = %settings.data_dir.display(), "lockstep registry serving");
        registry::serve(listener, registry, shutdown_signal()).await?;
        tracing::info!("lockstep registry stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_and_defaults_fill_the_rest() {
        let dir = tempfile_dir();
        let path = dir.join("lockstep.toml");
        std::fs::write(&path, "[registry]\nlisten = \"127.0.0.1:9999\"\ndefault_compatibility = \"full\"\n").unwrap();
        let s = resolve(RegistryArgs { config: Some(path.clone()), ..Default::default() }).unwrap();
        assert_eq!(s.listen, "127.0.0.1:9999");
        assert_eq!(s.registry.default_compatibility, CompatibilityLevel::Full);
        assert_eq!(s.data_dir, PathBuf::from("./lockstep-data"));
        let s = resolve(RegistryArgs { config: Some(path), listen: Some("127.0.0.1:1".into()), ..Default::default() })
            .unwrap();
        assert_eq!(s.listen, "127.0.0.1:1");
    }

    #[test]
    fn bad_settings_are_errors() {
        assert!(resolve(RegistryArgs { default_compatibility: Some("SIDEWAYS".into()), ..Default::default() }).is_err());
        let dir = tempfile_dir();
        let path = dir.join("bad.toml");
        std::fs::write(&path, "[registry]\nlisen = 1\n").unwrap();
        assert!(resolve(RegistryArgs { config: Some(path), ..Default::default() }).is_err());
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "lockstep-config-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
