//! `lockstep registry` settings: flags, `LOCKSTEP_*` environment variables and a TOML file
//! (`--config`), in that order of precedence, then defaults.

use std::path::PathBuf;

use anyhow::Context;
use serde::Deserialize;

use registry::schema::CompatibilityLevel;
use registry::server::http::HttpOptions;
use registry::server::{ClientAuth, ServerOptions, Tls, TlsSettings};
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
    /// Work one request's parsing, reference resolution and compatibility checks may do, in units
    /// (about one per byte parsed; 422/42290 past it) [default: 50000000].
    #[arg(long, env = "LOCKSTEP_MAX_REQUEST_WORK")]
    max_request_work: Option<u64>,
    /// Time one request's parsing and checks may take, in ms (422/42290 past it) [default: off].
    #[arg(long, env = "LOCKSTEP_MAX_REQUEST_WORK_MS")]
    max_request_work_ms: Option<u64>,
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
    /// Largest request body, in bytes (413 above it) [default: 4194304].
    #[arg(long, env = "LOCKSTEP_MAX_BODY_BYTES")]
    max_body_bytes: Option<usize>,
    /// Largest metadata + ruleSet in one request, in bytes of JSON (42209 above it) [default: 262144].
    #[arg(long, env = "LOCKSTEP_MAX_METADATA_BYTES")]
    max_metadata_bytes: Option<usize>,
    /// Rule sets (data contracts): accept (store and serve them, as Confluent Enterprise) or
    /// reject (42210 for any ruleSet, defaultRuleSet or overrideRuleSet) [default: accept].
    #[arg(long, env = "LOCKSTEP_RULE_SETS")]
    rule_sets: Option<String>,
    /// A request head (or TLS handshake) must arrive within this many ms of its first byte [default: 10000].
    #[arg(long, env = "LOCKSTEP_HEADER_TIMEOUT_MS")]
    header_timeout_ms: Option<u64>,
    /// A request body must arrive in full within this many ms (408 otherwise) [default: 30000].
    #[arg(long, env = "LOCKSTEP_BODY_TIMEOUT_MS")]
    body_timeout_ms: Option<u64>,
    /// Connections idle this many ms are closed [default: 60000].
    #[arg(long, env = "LOCKSTEP_IDLE_TIMEOUT_MS")]
    idle_timeout_ms: Option<u64>,
    /// Connections served at once; above it new ones get 503 + Retry-After [default: 4096].
    #[arg(long, env = "LOCKSTEP_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Host header values served (NAME, NAME:PORT or *), comma-separated; others get 421 [default: any].
    #[arg(long, env = "LOCKSTEP_ALLOWED_HOSTS", value_delimiter = ',')]
    allowed_hosts: Vec<String>,
    /// Origins allowed cross-site requests (CORS; * = any), comma-separated [default: CORS off].
    #[arg(long, env = "LOCKSTEP_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key); reloaded on SIGHUP or change.
    #[arg(long, env = "LOCKSTEP_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "LOCKSTEP_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// PEM CA certificates that sign client certificates (mTLS).
    #[arg(long, env = "LOCKSTEP_TLS_CLIENT_CA")]
    tls_client_ca: Option<PathBuf>,
    /// none, request or require [default: require with --tls-client-ca, else none].
    #[arg(long, env = "LOCKSTEP_TLS_CLIENT_AUTH")]
    tls_client_auth: Option<String>,
    /// TOML file with a [registry] table holding the same settings (snake_case keys).
    #[arg(long, env = "LOCKSTEP_CONFIG")]
    config: Option<PathBuf>,
    /// The only directory exporters' `schema.registry.ssl.ca.location` files may come from
    /// [default: none: CA certificates only inline].
    #[arg(long, env = "LOCKSTEP_EXPORTER_FILE_DIR")]
    exporter_file_dir: Option<PathBuf>,
    /// URL prefixes an exporter's `schema.registry.url` must start with (comma-separated)
    /// [default: any].
    #[arg(long, env = "LOCKSTEP_EXPORTER_ALLOWED_DESTINATIONS", value_delimiter = ',')]
    exporter_allowed_destinations: Vec<String>,
    /// Serve the web console at /ui (docs/console.md): --ui=false turns it off [default: true].
    #[arg(long, env = "LOCKSTEP_UI", num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    ui: Option<bool>,
    /// A `lockstep replicate` process's metrics URL (http://HOST:PORT/metrics) that the console's
    /// Replication page reads; repeatable.
    #[arg(long = "ui-replicator-url", env = "LOCKSTEP_UI_REPLICATOR_URLS", value_delimiter = ',')]
    ui_replicator_urls: Vec<String>,
    /// Authentication, authorization and audit (docs/security.md).
    #[command(flatten)]
    security: registry::security::SecurityArgs,
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
    max_request_work: Option<u64>,
    max_request_work_ms: Option<u64>,
    kafka_bootstrap: Option<String>,
    kafka_topic: Option<String>,
    kafka_replication_factor: Option<i32>,
    kafka_timeout_ms: Option<u64>,
    #[serde(default)]
    kafka_properties: std::collections::BTreeMap<String, String>,
    max_body_bytes: Option<usize>,
    max_metadata_bytes: Option<usize>,
    rule_sets: Option<String>,
    header_timeout_ms: Option<u64>,
    body_timeout_ms: Option<u64>,
    idle_timeout_ms: Option<u64>,
    max_connections: Option<usize>,
    allowed_hosts: Option<Vec<String>>,
    cors_origins: Option<Vec<String>>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_client_ca: Option<PathBuf>,
    tls_client_auth: Option<String>,
    exporter_file_dir: Option<PathBuf>,
    exporter_allowed_destinations: Option<Vec<String>>,
    ui: Option<bool>,
    ui_replicator_urls: Option<Vec<String>>,
    #[serde(default)]
    security: registry::security::SecurityFile,
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
    /// Per-request limits, allowed hosts, CORS.
    pub http: HttpOptions,
    /// Connection limits and timeouts (TLS is loaded in `run_registry`).
    pub server: ServerOptions,
    pub tls: Option<TlsSettings>,
    pub security: registry::security::SecurityConfig,
    /// What `/exporters` callers may make this registry do (the self-client is set at start).
    pub exporters: linker::exporters::ExporterOptions,
    /// The web console, unless turned off.
    pub ui: Option<registry::ui::UiOptions>,
}

pub fn resolve(mut args: RegistryArgs) -> anyhow::Result<Settings> {
    let mut file = match &args.config {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
            toml::from_str::<ConfigFile>(&text)
                .with_context(|| format!("invalid config file {}", path.display()))?
                .registry
        }
        None => FileSettings::default(),
    };
    let level =
        args.default_compatibility.take().or(file.default_compatibility.take()).unwrap_or_else(|| "BACKWARD".into());
    let default_compatibility =
        CompatibilityLevel::parse(&level).with_context(|| format!("invalid default compatibility level '{level}'"))?;
    let defaults = RegistryConfig::default();
    let rule_sets = match args.rule_sets.take().or(file.rule_sets.take()) {
        None => defaults.rule_sets,
        Some(r) => registry::rules::RuleSetPolicy::parse(&r)
            .with_context(|| format!("--rule-sets takes accept or reject, not '{r}'"))?,
    };
    let timeout = std::time::Duration::from_millis(args.kafka_timeout_ms.or(file.kafka_timeout_ms).unwrap_or(10_000));
    let kafka = kafka_settings(&mut args, &mut file, timeout)?;
    let (http, server) = network_settings(&mut args, &mut file)?;
    let tls = tls_settings(&mut args, &mut file)?;
    let exporters = linker::exporters::ExporterOptions {
        file_dir: args.exporter_file_dir.or(file.exporter_file_dir),
        allowed_destinations: list(args.exporter_allowed_destinations, file.exporter_allowed_destinations),
        self_client: Default::default(),
        cluster: None,
    };
    let ui = match args.ui.or(file.ui).unwrap_or(true) {
        true => {
            let ui =
                registry::ui::UiOptions { replicator_urls: list(args.ui_replicator_urls, file.ui_replicator_urls) };
            ui.validate()?;
            Some(ui)
        }
        false => None,
    };
    let security = args.security.resolve(file.security).context("invalid security settings")?;
    Ok(Settings {
        http,
        server,
        tls,
        security,
        exporters,
        ui,
        kafka,
        listen: args.listen.or(file.listen).unwrap_or_else(|| "0.0.0.0:8081".into()),
        data_dir: args.data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from("./lockstep-data")),
        registry: RegistryConfig {
            default_compatibility,
            max_schema_bytes: args.max_schema_bytes.or(file.max_schema_bytes).unwrap_or(defaults.max_schema_bytes),
            work: registry::budget::WorkLimit {
                units: args.max_request_work.or(file.max_request_work).unwrap_or(defaults.work.units),
                time: args
                    .max_request_work_ms
                    .or(file.max_request_work_ms)
                    .filter(|ms| *ms > 0)
                    .map(std::time::Duration::from_millis),
            },
            write_timeout: timeout,
            rule_sets,
            ..defaults
        },
    })
}

/// `file` when the flag (or env) left a list empty; entries trimmed, empty ones dropped.
fn list(flag: Vec<String>, file: Option<Vec<String>>) -> Vec<String> {
    let l = if flag.is_empty() { file.unwrap_or_default() } else { flag };
    l.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// Milliseconds from the flag, else the file, else `default`.
fn ms(flag: Option<u64>, file: Option<u64>, default: std::time::Duration) -> std::time::Duration {
    flag.or(file).map_or(default, std::time::Duration::from_millis)
}

/// The Kafka store's settings, when a bootstrap is given.
fn kafka_settings(
    args: &mut RegistryArgs,
    file: &mut FileSettings,
    timeout: std::time::Duration,
) -> anyhow::Result<Option<registry::store::kafka::KafkaConfig>> {
    let Some(bootstrap) = args.kafka_bootstrap.take().or(file.kafka_bootstrap.take()) else { return Ok(None) };
    let mut k = registry::store::kafka::KafkaConfig::new(bootstrap);
    k.topic = args.kafka_topic.take().or(file.kafka_topic.take()).unwrap_or(k.topic);
    anyhow::ensure!(!k.topic.trim().is_empty(), "the Kafka topic name is empty");
    k.replication_factor = args.kafka_replication_factor.take().or(file.kafka_replication_factor.take());
    k.timeout = timeout;
    k.properties = std::mem::take(&mut file.kafka_properties).into_iter().collect();
    for p in &args.kafka_properties {
        let (key, value) = p.split_once('=').with_context(|| format!("--kafka-property takes KEY=VALUE, not '{p}'"))?;
        k.properties.retain(|(k2, _)| k2 != key.trim());
        k.properties.push((key.trim().to_string(), value.to_string()));
    }
    Ok(Some(k))
}

/// Request and connection limits and timeouts.
fn network_settings(args: &mut RegistryArgs, file: &mut FileSettings) -> anyhow::Result<(HttpOptions, ServerOptions)> {
    let http_defaults = HttpOptions::default();
    let server_defaults = ServerOptions::default();
    let http = HttpOptions {
        max_body_bytes: args
            .max_body_bytes
            .take()
            .or(file.max_body_bytes.take())
            .unwrap_or(http_defaults.max_body_bytes),
        max_metadata_bytes: args
            .max_metadata_bytes
            .or(file.max_metadata_bytes)
            .unwrap_or(http_defaults.max_metadata_bytes),
        body_timeout: ms(args.body_timeout_ms, file.body_timeout_ms, http_defaults.body_timeout),
        allowed_hosts: list(std::mem::take(&mut args.allowed_hosts), file.allowed_hosts.take()),
        cors_origins: list(std::mem::take(&mut args.cors_origins), file.cors_origins.take()),
    };
    anyhow::ensure!(http.max_body_bytes > 0, "max_body_bytes must be above 0");
    let server = ServerOptions {
        header_timeout: ms(args.header_timeout_ms, file.header_timeout_ms, server_defaults.header_timeout),
        idle_timeout: ms(args.idle_timeout_ms, file.idle_timeout_ms, server_defaults.idle_timeout),
        max_connections: args
            .max_connections
            .take()
            .or(file.max_connections.take())
            .unwrap_or(server_defaults.max_connections),
        ..server_defaults
    };
    anyhow::ensure!(server.max_connections > 0, "max_connections must be above 0");
    for (name, d) in [("header", server.header_timeout), ("idle", server.idle_timeout), ("body", http.body_timeout)] {
        anyhow::ensure!(!d.is_zero(), "the {name} timeout must be above 0 ms");
    }
    Ok((http, server))
}

/// HTTPS: certificate and key go together; client certificates need a CA.
fn tls_settings(args: &mut RegistryArgs, file: &mut FileSettings) -> anyhow::Result<Option<TlsSettings>> {
    let tls_client_ca = args.tls_client_ca.take().or(file.tls_client_ca.take());
    let tls = match (args.tls_cert.take().or(file.tls_cert.take()), args.tls_key.take().or(file.tls_key.take())) {
        (Some(cert), Some(key)) => {
            let client_auth = match args.tls_client_auth.take().or(file.tls_client_auth.take()) {
                Some(a) => ClientAuth::parse(&a)?,
                None if tls_client_ca.is_some() => ClientAuth::Require,
                None => ClientAuth::None,
            };
            anyhow::ensure!(
                client_auth == ClientAuth::None || tls_client_ca.is_some(),
                "--tls-client-auth {client_auth:?} needs --tls-client-ca"
            );
            Some(TlsSettings {
                cert,
                key,
                client_ca: tls_client_ca,
                client_auth,
                reload_interval: std::time::Duration::from_secs(10),
            })
        }
        (None, None) => {
            anyhow::ensure!(tls_client_ca.is_none(), "--tls-client-ca needs --tls-cert and --tls-key");
            None
        }
        _ => anyhow::bail!("--tls-cert and --tls-key go together"),
    };
    Ok(tls)
}

/// Raise the soft limit on open files to the hard limit (every connection is one), and keep the
/// connection cap below what is left; returns the cap.
fn fit_connection_cap(wanted: usize) -> usize {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(files) => {
            // Room for the store, Kafka clients, exporters and shed connections.
            let room = usize::try_from(files).unwrap_or(usize::MAX).saturating_sub(512).max(64);
            if wanted > room {
                tracing::warn!(files, max_connections = room, "the open-files limit lowers max_connections");
                return room;
            }
            wanted
        }
        Err(e) => {
            tracing::warn!("cannot raise the open-files limit: {e}");
            wanted
        }
    }
}

pub fn run_registry(args: RegistryArgs) -> anyhow::Result<()> {
    let mut settings = resolve(args)?;
    settings.server.max_connections = fit_connection_cap(settings.server.max_connections);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        settings.registry.instance_id = instance_id(&settings)?;
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
        // In-process exporters present this certificate to their own registry, so they pass a
        // listener that requires client certificates (`--tls-client-auth require`).
        let internal_identity = match &settings.tls {
            Some(_) => Some(registry::server::tls::InternalIdentity::generate()?),
            None => None,
        };
        let tls = match &settings.tls {
            Some(t) => Some(serving_tls(t, internal_identity.as_ref())?),
            None => None,
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let self_url = format!("{scheme}://{}", std::net::SocketAddr::new(self_ip, addr.port()));
        // Several nodes on one Kafka store elect one leader for the once-per-cluster work (exporters).
        let cluster = match &settings.kafka {
            Some(k) => {
                let options = registry::cluster::ClusterOptions::from_env()?;
                let node = options.advertised_url.clone().unwrap_or_else(|| advertised_url(scheme, addr));
                let c = registry::cluster::Cluster::open(k.clone(), options, node, registry.metrics.clone())
                    .await
                    .context("cannot join the leader election")?;
                registry.attach_cluster(c.clone());
                Some(c)
            }
            None => None,
        };
        let security = registry::security::SecurityLayer::new(settings.security.clone(), registry.clone())
            .await
            .context("cannot set up security")?;
        // Exporters read this registry over its own listener: as the internal principal, and
        // over TLS without checking the certificate of what is this very process on loopback.
        let mut exporter_options = settings.exporters.clone();
        exporter_options.self_client = linker::client::ClientOptions {
            bearer_token: Some(security.internal_token().to_string()),
            identity_pem: internal_identity.as_ref().map(|i| i.pem().to_vec()),
            insecure: tls.is_some(),
            ..Default::default()
        };
        exporter_options.cluster = cluster.clone();
        let exporters = linker::exporters::ExporterManager::open_with(
            &settings.data_dir.join("exporters"),
            self_url,
            exporter_options,
        )
        .await
        .context("cannot open the exporters' state")?;
        let guard: registry::api::RouterLayer = Box::new(move |routes| routes.layer(security));
        let mut extra = linker::exporters::router(exporters.clone()).merge(registry::cluster::router(cluster.clone()));
        if let Some(ui) = settings.ui.clone() {
            extra = extra.merge(registry::ui::router(registry.clone(), ui));
        }
        let app = registry::api::app_with_options(registry, extra, &settings.http, Some(guard));
        let server = registry::server::ServerOptions { tls, ..settings.server.clone() };
        registry::server::serve(listener, app, server, signals::shutdown_signal()).await?;
        exporters.shutdown().await;
        if let Some(c) = &cluster {
            c.leave().await;
        }
        tracing::info!("lockstep registry stopped");
        Ok(())
    })
}

/// How other nodes reach this one when `LOCKSTEP_ADVERTISED_URL` is not set: the listener's
/// address, or this host's name when it listens on every interface (Confluent's `host.name`).
fn advertised_url(scheme: &str, addr: std::net::SocketAddr) -> String {
    if !addr.ip().is_unspecified() {
        return format!("{scheme}://{addr}");
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{scheme}://{host}:{}", addr.port())
}

/// This registry's instance id: every node of one Kafka-backed registry shares it; the embedded
/// store keeps its own in the data dir.
fn instance_id(settings: &Settings) -> anyhow::Result<String> {
    Ok(match &settings.kafka {
        Some(k) => {
            let mut brokers: Vec<&str> = k.bootstrap.split(',').map(str::trim).collect();
            brokers.sort_unstable();
            linker::provenance::instance_id_for_key(&format!("{}/{}", brokers.join(","), k.topic))
        }
        None => {
            std::fs::create_dir_all(&settings.data_dir)
                .with_context(|| format!("cannot create data dir {}", settings.data_dir.display()))?;
            linker::provenance::instance_id_in(&settings.data_dir)?
        }
    })
}

/// The listener's TLS (also trusting the in-process exporters' certificate), reloaded when its
/// files change and on SIGHUP.
fn serving_tls(
    t: &TlsSettings,
    internal: Option<&registry::server::tls::InternalIdentity>,
) -> anyhow::Result<std::sync::Arc<Tls>> {
    let tls = Tls::load_trusting(t.clone(), internal.map(|i| i.certificate())).context("cannot set up TLS")?;
    tls.watch_files();
    let on_hup = tls.clone();
    signals::on_hangup(move || on_hup.reload_logged()).context("cannot handle SIGHUP")?;
    Ok(tls)
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

    #[test]
    fn the_request_work_limit_comes_from_file_and_flags() {
        let s = resolve(RegistryArgs::default()).unwrap();
        assert_eq!(s.registry.work, registry::budget::WorkLimit::default());
        let dir = tempfile_dir();
        let path = dir.join("work.toml");
        std::fs::write(&path, "[registry]\nmax_request_work = 1000\nmax_request_work_ms = 250\n").unwrap();
        let s = resolve(RegistryArgs { config: Some(path.clone()), ..Default::default() }).unwrap();
        let want = registry::budget::WorkLimit { units: 1000, time: Some(std::time::Duration::from_millis(250)) };
        assert_eq!(s.registry.work, want);
        let args = RegistryArgs {
            config: Some(path),
            max_request_work: Some(7),
            max_request_work_ms: Some(0),
            ..Default::default()
        };
        let s = resolve(args).unwrap();
        assert_eq!(s.registry.work, registry::budget::WorkLimit { units: 7, time: None });
    }

    #[test]
    fn rule_sets_policy_from_file_and_flag() {
        use registry::rules::RuleSetPolicy;
        assert_eq!(resolve(RegistryArgs::default()).unwrap().registry.rule_sets, RuleSetPolicy::Accept);
        let dir = tempfile_dir();
        let path = dir.join("rules.toml");
        std::fs::write(&path, "[registry]\nrule_sets = \"reject\"\n").unwrap();
        let s = resolve(RegistryArgs { config: Some(path.clone()), ..Default::default() }).unwrap();
        assert_eq!(s.registry.rule_sets, RuleSetPolicy::Reject);
        let flag = RegistryArgs { config: Some(path), rule_sets: Some("ACCEPT".into()), ..Default::default() };
        assert_eq!(resolve(flag).unwrap().registry.rule_sets, RuleSetPolicy::Accept);
        assert!(resolve(RegistryArgs { rule_sets: Some("maybe".into()), ..Default::default() }).is_err());
    }

    #[test]
    fn network_limits_come_from_file_and_flags() {
        let dir = tempfile_dir();
        let path = dir.join("net.toml");
        std::fs::write(
            &path,
            "[registry]\nmax_body_bytes = 1000\nmax_metadata_bytes = 10\nheader_timeout_ms = 5\nbody_timeout_ms = 6\n\
             idle_timeout_ms = 7\nmax_connections = 8\nallowed_hosts = [\"a\", \"b:1\"]\ncors_origins = [\"*\"]\n",
        )
        .unwrap();
        let s = resolve(RegistryArgs { config: Some(path.clone()), ..Default::default() }).unwrap();
        assert_eq!((s.http.max_body_bytes, s.http.max_metadata_bytes), (1000, 10));
        assert_eq!(s.server.header_timeout, std::time::Duration::from_millis(5));
        assert_eq!(s.http.body_timeout, std::time::Duration::from_millis(6));
        assert_eq!(s.server.idle_timeout, std::time::Duration::from_millis(7));
        assert_eq!(s.server.max_connections, 8);
        assert_eq!(s.http.allowed_hosts, vec!["a", "b:1"]);
        assert_eq!(s.http.cors_origins, vec!["*"]);
        assert!(s.tls.is_none());
        let s = resolve(RegistryArgs {
            config: Some(path),
            max_connections: Some(2),
            allowed_hosts: vec!["c".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!((s.server.max_connections, s.http.allowed_hosts.clone()), (2, vec!["c".to_string()]));
        let d = resolve(RegistryArgs::default()).unwrap();
        assert_eq!(d.http.max_body_bytes, 4 * 1024 * 1024);
        assert!(d.http.allowed_hosts.is_empty() && d.http.cors_origins.is_empty());
    }

    #[test]
    fn tls_settings_are_checked() {
        let with = |cert: Option<&str>, key: Option<&str>, ca: Option<&str>, auth: Option<&str>| {
            resolve(RegistryArgs {
                tls_cert: cert.map(PathBuf::from),
                tls_key: key.map(PathBuf::from),
                tls_client_ca: ca.map(PathBuf::from),
                tls_client_auth: auth.map(str::to_string),
                ..Default::default()
            })
        };
        let t = with(Some("c"), Some("k"), Some("ca"), None).unwrap().tls.unwrap();
        assert_eq!(t.client_auth, ClientAuth::Require);
        assert_eq!(
            with(Some("c"), Some("k"), Some("ca"), Some("request")).unwrap().tls.unwrap().client_auth,
            ClientAuth::Request
        );
        assert_eq!(with(Some("c"), Some("k"), None, None).unwrap().tls.unwrap().client_auth, ClientAuth::None);
        assert!(with(Some("c"), Some("k"), None, Some("require")).is_err());
        assert!(with(Some("c"), Some("k"), Some("ca"), Some("sometimes")).is_err());
        assert!(with(Some("c"), None, None, None).is_err());
        assert!(with(None, None, Some("ca"), None).is_err());
        assert!(resolve(RegistryArgs { max_connections: Some(0), ..Default::default() }).is_err());
    }

    #[test]
    fn the_console_is_on_unless_turned_off() {
        let d = resolve(RegistryArgs::default()).unwrap();
        assert!(d.ui.as_ref().is_some_and(|u| u.replicator_urls.is_empty()));
        assert!(resolve(RegistryArgs { ui: Some(false), ..Default::default() }).unwrap().ui.is_none());
        let dir = tempfile_dir();
        let path = dir.join("ui.toml");
        std::fs::write(&path, "[registry]\nui = false\n").unwrap();
        assert!(resolve(RegistryArgs { config: Some(path.clone()), ..Default::default() }).unwrap().ui.is_none());
        let s = resolve(RegistryArgs { config: Some(path), ui: Some(true), ..Default::default() }).unwrap();
        assert!(s.ui.is_some());
        let path = dir.join("ui-urls.toml");
        std::fs::write(&path, "[registry]\nui_replicator_urls = [\"http://r1:9100/metrics\"]\n").unwrap();
        let s = resolve(RegistryArgs { config: Some(path), ..Default::default() }).unwrap();
        assert_eq!(s.ui.unwrap().replicator_urls, vec!["http://r1:9100/metrics"]);
        let bad = RegistryArgs { ui_replicator_urls: vec!["file:///etc/passwd".into()], ..Default::default() };
        assert!(resolve(bad).is_err());
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
