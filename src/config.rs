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
    pub data_dir: Option<PathBuf>,
    /// Compatibility level when none is configured [default: BACKWARD].
    #[arg(long, env = "LOCKSTEP_DEFAULT_COMPATIBILITY")]
    default_compatibility: Option<String>,
    /// Largest schema accepted, in bytes (42209 above it) [default: 1048576].
    #[arg(long, env = "LOCKSTEP_MAX_SCHEMA_BYTES")]
    max_schema_bytes: Option<usize>,
    /// Keep the log in Kafka (the `_schemas` topic) instead of the data dir: HOST:PORT[,…].
    /// Several nodes may share one topic; a topic written by Confluent Schema Registry is read as is.
    #[arg(long, env = "LOCKSTEP_KAFKA_BOOTSTRAP")]
    kafka_bootstrap: Option<String>,
    /// The log topic [default: _schemas]: one partition, cleanup.policy=compact (created so if absent).
    #[arg(long, env = "LOCKSTEP_KAFKA_TOPIC")]
    kafka_topic: Option<String>,
    /// Replication factor when the topic is created [default: min(3, brokers)].
    #[arg(long, env = "LOCKSTEP_KAFKA_REPLICATION_FACTOR")]
    kafka_replication_factor: Option<i32>,
    /// Bound on a write against Kafka, in ms: past it the write fails with 50002 [default: 10000].
    #[arg(long, env = "LOCKSTEP_KAFKA_TIMEOUT_MS")]
    kafka_timeout_ms: Option<u64>,
    /// Extra librdkafka client setting KEY=VALUE (e.g. security.protocol=SASL_SSL); repeatable.
    #[arg(long = "kafka-property", env = "LOCKSTEP_KAFKA_PROPERTIES", value_delimiter = ';')]
    kafka_properties: Vec<String>,
    /// TOML file with a [registry] table holding the same settings (snake_case keys).
    #[arg(long, env = "LOCKSTEP_CONFIG")]
    config: Option<PathBuf>,
    /// Check or repair the embedded log instead of serving.
    #[command(subcommand)]
    pub action: Option<crate::repair::RegistryAction>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    default_compatibility: Option<String>,
    max_schema_bytes: Option<usize>,
    kafka_bootstrap: Option<String>,
    kafka_topic: Option<String>,
    kafka_replication_factor: Option<i32>,
    kafka_timeout_ms: Option<u64>,
    #[serde(default)]
    kafka_properties: std::collections::BTreeMap<String, String>,
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
    /// The Kafka store, when configured (else the embedded store in `data_dir`).
    pub kafka: Option<registry::store::kafka::KafkaConfig>,
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
    let timeout = std::time::Duration::from_millis(args.kafka_timeout_ms.or(file.kafka_timeout_ms).unwrap_or(10_000));
    let kafka = match args.kafka_bootstrap.or(file.kafka_bootstrap) {
        None => None,
        Some(bootstrap) => {
            let mut k = registry::store::kafka::KafkaConfig::new(bootstrap);
            k.topic = args.kafka_topic.or(file.kafka_topic).unwrap_or(k.topic);
            anyhow::ensure!(!k.topic.trim().is_empty(), "the Kafka topic name is empty");
            k.replication_factor = args.kafka_replication_factor.or(file.kafka_replication_factor);
            k.timeout = timeout;
            k.properties = file.kafka_properties.into_iter().collect();
            for p in &args.kafka_properties {
                let (key, value) =
                    p.split_once('=').with_context(|| format!("--kafka-property takes KEY=VALUE, not '{p}'"))?;
                k.properties.retain(|(k2, _)| k2 != key.trim());
                k.properties.push((key.trim().to_string(), value.to_string()));
            }
            Some(k)
        }
    };
    Ok(Settings {
        kafka,
        listen: args.listen.or(file.listen).unwrap_or_else(|| "0.0.0.0:8081".into()),
        data_dir: args.data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from("./lockstep-data")),
        registry: RegistryConfig {
            default_compatibility,
            max_schema_bytes: args.max_schema_bytes.or(file.max_schema_bytes).unwrap_or(defaults.max_schema_bytes),
            write_timeout: timeout,
            ..defaults
        },
    })
}

pub fn run_registry(args: RegistryArgs) -> anyhow::Result<()> {
    let settings = resolve(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let registry = match &settings.kafka {
            Some(k) => registry::open_kafka_registry(k.clone(), settings.registry.clone())
                .await
                .with_context(|| format!("cannot open the Kafka store {}/{}", k.bootstrap, k.topic))?,
            None => registry::open_file_registry(&settings.data_dir, settings.registry.clone())
                .with_context(|| format!("cannot open data dir {}", settings.data_dir.display()))?,
        };
        let (listener, addr) =
            registry::bind(&settings.listen).await.with_context(|| format!("cannot listen on {}", settings.listen))?;
        match &settings.kafka {
            Some(k) => tracing::info!(%addr, kafka = %k.bootstrap, topic = %k.topic, "lockstep registry serving"),
            None => tracing::info!(%addr, data_dir = %settings.data_dir.display(), "lockstep registry serving"),
        }
        // The in-process `/exporters` API (Schema Linking): exporters read this registry over HTTP.
        let self_ip = match addr.ip() {
            std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let self_url = format!("http://{}", std::net::SocketAddr::new(self_ip, addr.port()));
        let exporters = linker::exporters::ExporterManager::open(&settings.data_dir.join("exporters"), self_url)
            .await
            .context("cannot open the exporters' state")?;
        registry::serve_with(listener, registry, linker::exporters::router(exporters.clone()), shutdown_signal())
            .await?;
        exporters.shutdown().await;
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
