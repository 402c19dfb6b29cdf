//! `lockstep replicate --config FILE`: the TOML settings.
//!
//! ```toml
//! name = "eu-to-us"              # identifies this replication: transactional id, progress, checkpoints
//! [source]
//! alias = "eu"                   # written into the provenance header
//! bootstrap = "kafka-eu:9092"
//! [source.properties]            # any librdkafka setting, e.g. security
//! "security.protocol" = "SASL_SSL"
//! [destination]
//! alias = "us"
//! bootstrap = "kafka-us:9092"
//! [registries]
//! source = "http://registry-eu:8081"
//! destination = "https://registry-us:8443"
//! [registries.destination_auth]  # credentials and TLS per registry (also source_auth)
//! oauth_token_url = "https://idp/token"   # or user_info = "u:p", or bearer_token = "…"
//! oauth_client_id = "replicator"
//! oauth_client_secret = "…"
//! ca_file = "/etc/lockstep/ca.pem"
//! cert_file = "/etc/lockstep/client.pem"  # mTLS, with key_file
//! key_file = "/etc/lockstep/client.key"
//! [topics]
//! include = ["orders.*", "payments"]
//! exclude = ["_.*"]
//! rename = "identity"            # or "prefix" with prefix = "eu."
//! [schemas]
//! policy = "preserve"            # preserve | translate | fail
//! on_invalid = "pass"            # unframed key/value or unknown id: pass | dead-letter | stop
//! [[schemas.topics]]             # per topic pattern, first match wins
//! pattern = "metrics.*"
//! key = false                    # keys are not schema-framed
//! [delivery]
//! mode = "exactly-once"          # exactly-once | at-least-once
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context};
use linker::client::{ClientOptions, RegistryAuth};
use regex::Regex;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSettings {
    pub alias: String,
    pub bootstrap: String,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySettings {
    pub source: Option<String>,
    pub destination: Option<String>,
    /// `user:password` for basic auth (shorthand for `source_auth.user_info`).
    pub source_user_info: Option<String>,
    pub destination_user_info: Option<String>,
    /// Credentials and TLS for each registry: basic, bearer (static or OAuth2 client
    /// credentials), client certificate, CA file.
    pub source_auth: Option<RegistryAuth>,
    pub destination_auth: Option<RegistryAuth>,
    /// The source context ids are resolved in (e.g. `.eu`); default: the default context.
    pub source_context: Option<String>,
}

impl RegistrySettings {
    /// How the replicator reaches the source registry.
    pub fn source_options(&self) -> anyhow::Result<ClientOptions> {
        options("source", &self.source_user_info, &self.source_auth)
    }

    /// How the replicator reaches the destination registry.
    pub fn destination_options(&self) -> anyhow::Result<ClientOptions> {
        options("destination", &self.destination_user_info, &self.destination_auth)
    }
}

fn options(side: &str, user_info: &Option<String>, auth: &Option<RegistryAuth>) -> anyhow::Result<ClientOptions> {
    let mut auth = auth.clone().unwrap_or_default();
    if let Some(u) = user_info {
        if auth.user_info.is_some() {
            bail!("registries.{side}_user_info and registries.{side}_auth.user_info: give one");
        }
        auth.user_info = Some(u.clone());
    }
    auth.options(side).map_err(|e| anyhow::anyhow!("registries: {e}"))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSettings {
    #[serde(default = "all")]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default = "identity")]
    pub rename: String,
    #[serde(default)]
    pub prefix: String,
    /// How often new topics, partitions and config changes are looked for.
    #[serde(default = "five_seconds")]
    pub refresh_interval_ms: u64,
}

impl Default for TopicSettings {
    fn default() -> Self {
        Self {
            include: all(),
            exclude: Vec::new(),
            rename: identity(),
            prefix: String::new(),
            refresh_interval_ms: five_seconds(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaSettings {
    #[serde(default = "preserve")]
    pub policy: String,
    /// What happens to a key or value that is not framed, or whose id/guid the source registry
    /// does not know: `pass`, `dead-letter` or `stop` (that partition only).
    #[serde(default = "pass")]
    pub on_invalid: String,
    /// Destination topic for `dead-letter` (default `lockstep-dead-letters.<name>`).
    pub dead_letter_topic: Option<String>,
    /// Per topic pattern: which fields are framed and the invalid-record policy.
    #[serde(default)]
    pub topics: Vec<TopicFraming>,
}

impl Default for SchemaSettings {
    fn default() -> Self {
        Self { policy: preserve(), on_invalid: pass(), dead_letter_topic: None, topics: Vec::new() }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicFraming {
    pub pattern: String,
    /// Keys carry a schema reference (default true).
    #[serde(default = "yes")]
    pub key: bool,
    /// Values carry a schema reference (default true).
    #[serde(default = "yes")]
    pub value: bool,
    pub on_invalid: Option<String>,
    /// The source context these topics' ids resolve in (`.name`, or `.` for the default
    /// context); default: `registries.source_context`.
    pub source_context: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySettings {
    #[serde(default = "exactly_once")]
    pub mode: String,
    /// Records per batch (one transaction in exactly-once mode). Default 100,000 in
    /// exactly-once mode (a batch that keeps up ends at `batch_max_ms` long before; one that
    /// copies a backlog amortises its commit), 20,000 in at-least-once mode (a crash replays at
    /// most one batch).
    #[serde(default)]
    pub batch_max_records: Option<usize>,
    /// Longest a batch stays open: how often progress is committed. Default 50 ms in
    /// exactly-once mode (records become visible at commit), 1000 ms in at-least-once mode
    /// (records are produced at once; only progress waits).
    #[serde(default)]
    pub batch_max_ms: Option<u64>,
    /// Copy pipelines in this process (partitions are spread over them); default: the cores.
    pub workers: Option<usize>,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self { mode: exactly_once(), batch_max_records: None, batch_max_ms: None, workers: None }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffsetSettings {
    /// Source consumer groups whose offsets are checkpointed for failover (regexes).
    #[serde(default = "all")]
    pub groups: Vec<String>,
    #[serde(default = "five_seconds")]
    pub checkpoint_interval_ms: u64,
    /// Groups (regexes, opt-in) whose translated offsets are also committed on the destination
    /// continuously, while they have no active members there, never moving backwards.
    #[serde(default)]
    pub sync_groups: Vec<String>,
    /// How long offset syncs stay in the destination's sync log.
    #[serde(default = "six_hours")]
    pub sync_retention_ms: u64,
}

fn six_hours() -> u64 {
    6 * 3600 * 1000
}

impl Default for OffsetSettings {
    fn default() -> Self {
        Self {
            groups: all(),
            checkpoint_interval_ms: five_seconds(),
            sync_groups: Vec::new(),
            sync_retention_ms: six_hours(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Serve Prometheus metrics on this address (`/metrics`).
    pub listen: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub name: String,
    pub source: ClusterSettings,
    pub destination: ClusterSettings,
    #[serde(default)]
    pub registries: RegistrySettings,
    #[serde(default)]
    pub topics: TopicSettings,
    #[serde(default)]
    pub schemas: SchemaSettings,
    #[serde(default)]
    pub delivery: DeliverySettings,
    #[serde(default)]
    pub offsets: OffsetSettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
}

fn all() -> Vec<String> {
    vec![".*".into()]
}
fn identity() -> String {
    "identity".into()
}
fn preserve() -> String {
    "preserve".into()
}
fn pass() -> String {
    "pass".into()
}
fn yes() -> bool {
    true
}
fn exactly_once() -> String {
    "exactly-once".into()
}
fn five_seconds() -> u64 {
    5000
}
/// What to do with a schema id the destination registry does not resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaPolicy {
    /// Import it under the same id (destination subject in IMPORT mode).
    Preserve,
    /// Register it in the destination and rewrite the record's 4 id bytes.
    Translate,
    /// Stop with an error.
    Fail,
}

/// What happens to a record the gate cannot check (not framed, or unknown to the source registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidPolicy {
    /// Copied untouched.
    Pass,
    /// Written to the dead-letter topic (with its source coordinates) instead.
    DeadLetter,
    /// That partition stops at the record; every other partition keeps flowing.
    Stop,
}

fn invalid_policy(s: &str, what: &str) -> anyhow::Result<InvalidPolicy> {
    Ok(match s {
        "pass" => InvalidPolicy::Pass,
        "dead-letter" => InvalidPolicy::DeadLetter,
        "stop" => InvalidPolicy::Stop,
        p => bail!("{what} must be pass, dead-letter or stop, not '{p}'"),
    })
}

/// How one topic's records are framed and what happens to those that are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framing {
    pub key: bool,
    pub value: bool,
    pub on_invalid: InvalidPolicy,
    /// Index into [`Config::source_contexts`]: where the topic's ids resolve.
    pub context: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    ExactlyOnce,
    AtLeastOnce,
}

/// Settings checked and compiled.
#[derive(Debug, Clone)]
pub struct Config {
    pub name: String,
    pub source: ClusterSettings,
    pub destination: ClusterSettings,
    pub registries: RegistrySettings,
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
    /// None = identity; Some(prefix).
    pub prefix: Option<String>,
    pub refresh_interval: Duration,
    pub policy: SchemaPolicy,
    pub delivery: Delivery,
    pub batch_max_records: usize,
    pub batch_max: Duration,
    pub groups: Vec<Regex>,
    pub sync_groups: Vec<Regex>,
    pub checkpoint_interval: Duration,
    pub sync_retention: Duration,
    pub metrics_listen: Option<String>,
    /// Per topic pattern framing, first match wins; then `default_framing`.
    pub framing: Vec<(Regex, Framing)>,
    pub default_framing: Framing,
    pub dead_letter_topic: String,
    pub workers: usize,
    /// The source contexts ids resolve in (`.ctx`, or None for the default context): the first
    /// is `registries.source_context`, the others come from `schemas.topics`.
    pub source_contexts: Vec<Option<String>>,
}

/// `.name` → Some, `.`/empty/absent → None (the default context).
fn source_context(c: Option<&str>, section: &str) -> anyhow::Result<Option<String>> {
    Ok(match c.map(str::trim) {
        None | Some("" | ".") => None,
        Some(c) if c.starts_with('.') && !c.contains(':') => Some(c.to_string()),
        Some(c) => bail!("{section}.source_context must look like '.name' (or '.' for the default context), not '{c}'"),
    })
}

fn anchored(patterns: &[String], what: &str) -> anyhow::Result<Vec<Regex>> {
    patterns
        .iter()
        .map(|p| Regex::new(&format!("^(?:{p})$")).with_context(|| format!("invalid {what} regex '{p}'")))
        .collect()
}

impl Config {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let s: Settings = toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))?;
        Self::from_settings(s)
    }

    pub fn from_settings(s: Settings) -> anyhow::Result<Self> {
        if s.name.trim().is_empty() || !s.name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
            bail!("name must be non-empty letters, digits, '.', '_' or '-', not '{}'", s.name);
        }
        if s.source.alias == s.destination.alias {
            bail!("source and destination need different aliases (both are '{}')", s.source.alias);
        }
        let policy = match s.schemas.policy.as_str() {
            "preserve" => SchemaPolicy::Preserve,
            "translate" => SchemaPolicy::Translate,
            "fail" => SchemaPolicy::Fail,
            p => bail!("schemas.policy must be preserve, translate or fail, not '{p}'"),
        };
        let delivery = match s.delivery.mode.as_str() {
            "exactly-once" => Delivery::ExactlyOnce,
            "at-least-once" => Delivery::AtLeastOnce,
            m => bail!("delivery.mode must be exactly-once or at-least-once, not '{m}'"),
        };
        let prefix = match s.topics.rename.as_str() {
            "identity" => None,
            "prefix" if !s.topics.prefix.is_empty() => Some(s.topics.prefix.clone()),
            "prefix" => bail!("topics.rename = \"prefix\" needs topics.prefix"),
            r => bail!("topics.rename must be identity or prefix, not '{r}'"),
        };
        let default_framing = Framing {
            key: true,
            value: true,
            on_invalid: invalid_policy(&s.schemas.on_invalid, "schemas.on_invalid")?,
            context: 0,
        };
        let mut source_contexts = vec![source_context(s.registries.source_context.as_deref(), "registries")?];
        let mut framing = Vec::new();
        for t in &s.schemas.topics {
            let re = anchored(std::slice::from_ref(&t.pattern), "schemas.topics.pattern")?.remove(0);
            let on_invalid = match &t.on_invalid {
                Some(p) => invalid_policy(p, "schemas.topics.on_invalid")?,
                None => default_framing.on_invalid,
            };
            let context = match &t.source_context {
                None => 0,
                Some(c) => {
                    let c = source_context(Some(c), "schemas.topics")?;
                    source_contexts.iter().position(|x| *x == c).unwrap_or_else(|| {
                        source_contexts.push(c);
                        source_contexts.len() - 1
                    })
                }
            };
            framing.push((re, Framing { key: t.key, value: t.value, on_invalid, context }));
        }
        let dead_letter_topic =
            s.schemas.dead_letter_topic.clone().unwrap_or_else(|| format!("lockstep-dead-letters.{}", s.name));
        let workers = s
            .delivery
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
            .clamp(1, 64);
        let has_registries = s.registries.source.is_some() && s.registries.destination.is_some();
        if !has_registries && (s.registries.source.is_some() || s.registries.destination.is_some()) {
            bail!("give both registries.source and registries.destination, or neither");
        }
        s.registries.source_options()?;
        s.registries.destination_options()?;
        Ok(Self {
            name: s.name,
            include: anchored(&s.topics.include, "topics.include")?,
            exclude: anchored(&s.topics.exclude, "topics.exclude")?,
            groups: anchored(&s.offsets.groups, "offsets.groups")?,
            sync_groups: anchored(&s.offsets.sync_groups, "offsets.sync_groups")?,
            framing,
            default_framing,
            dead_letter_topic,
            workers,
            source_contexts,
            source: s.source,
            destination: s.destination,
            registries: s.registries,
            prefix,
            refresh_interval: Duration::from_millis(s.topics.refresh_interval_ms.max(100)),
            policy,
            delivery,
            batch_max_records: s
                .delivery
                .batch_max_records
                .unwrap_or(if delivery == Delivery::ExactlyOnce { 100_000 } else { 20_000 })
                .max(1),
            batch_max: Duration::from_millis(
                s.delivery.batch_max_ms.unwrap_or(if delivery == Delivery::ExactlyOnce { 50 } else { 1000 }).max(1),
            ),
            checkpoint_interval: Duration::from_millis(s.offsets.checkpoint_interval_ms.max(100)),
            sync_retention: Duration::from_millis(s.offsets.sync_retention_ms.max(60_000)),
            metrics_listen: s.metrics.listen,
        })
    }

    /// Whether a source topic is replicated. Internal topics (`__*`), this tool's own topics and
    /// the registry's `_schemas` never are.
    pub fn selects(&self, topic: &str) -> bool {
        if topic.starts_with("__") || topic.starts_with("lockstep-") || topic == "_schemas" {
            return false;
        }
        self.include.iter().any(|r| r.is_match(topic)) && !self.exclude.iter().any(|r| r.is_match(topic))
    }

    /// Longest a batch stays open while a backlog waits at the source: exactly-once only (an
    /// at-least-once copy is visible at once and commits only progress), one second, never
    /// below the batch interval.
    pub fn batch_stretch_max(&self) -> Duration {
        match self.delivery {
            Delivery::ExactlyOnce => Duration::from_secs(1).max(self.batch_max),
            Delivery::AtLeastOnce => self.batch_max,
        }
    }

    /// How a source topic's records are framed.
    pub fn framing(&self, topic: &str) -> Framing {
        self.framing.iter().find(|(r, _)| r.is_match(topic)).map_or(self.default_framing, |(_, f)| *f)
    }

    /// The source topic of a destination topic (inverse of [`Config::destination_topic`]).
    pub fn source_topic(&self, dest: &str) -> Option<String> {
        match &self.prefix {
            Some(p) => dest.strip_prefix(p.as_str()).map(str::to_string),
            None => Some(dest.to_string()),
        }
    }

    /// The destination topic for a source topic.
    pub fn destination_topic(&self, topic: &str) -> String {
        match &self.prefix {
            Some(p) => format!("{p}{topic}"),
            None => topic.to_string(),
        }
    }

    /// The consumer group (on the destination cluster) holding this replication's progress.
    pub fn progress_group(&self) -> String {
        format!("lockstep-replicator-{}", self.name)
    }

    /// The compacted topic (on the destination cluster) where processes report their status.
    pub fn status_topic(&self) -> String {
        format!("lockstep-status.{}", self.name)
    }

    /// The topic (on the destination cluster) holding the offset syncs of every process.
    pub fn sync_topic(&self) -> String {
        format!("lockstep-offset-syncs.{}", self.name)
    }

    /// The compacted topic (on the destination cluster) holding consumer-group checkpoints.
    pub fn checkpoint_topic(&self) -> String {
        format!("lockstep-checkpoints.{}", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(extra: &str) -> anyhow::Result<Config> {
        let text = format!(
            "name = \"t\"\n[source]\nalias = \"a\"\nbootstrap = \"x:1\"\n[destination]\nalias = \"b\"\nbootstrap = \"y:1\"\n{extra}"
        );
        Config::from_settings(toml::from_str(&text)?)
    }

    #[test]
    fn defaults_and_selection() {
        let c = parse("[topics]\ninclude = [\"orders.*\"]\nexclude = [\"orders-internal\"]").unwrap();
        assert_eq!((c.policy, c.delivery), (SchemaPolicy::Preserve, Delivery::ExactlyOnce));
        assert!(c.selects("orders") && c.selects("orders.eu"));
        assert!(!c.selects("orders-internal") && !c.selects("payments") && !c.selects("__consumer_offsets"));
        assert_eq!(c.destination_topic("orders"), "orders");
        let p = parse("[topics]\nrename = \"prefix\"\nprefix = \"eu.\"").unwrap();
        assert_eq!(p.destination_topic("orders"), "eu.orders");
    }

    #[test]
    fn batch_defaults_per_mode_and_the_stretch_cap() {
        let e = parse("").unwrap();
        assert_eq!((e.batch_max_records, e.batch_max), (100_000, Duration::from_millis(50)));
        assert_eq!(e.batch_stretch_max(), Duration::from_secs(1));
        let a = parse("[delivery]\nmode = \"at-least-once\"").unwrap();
        assert_eq!((a.batch_max_records, a.batch_max), (20_000, Duration::from_millis(1000)));
        assert_eq!(a.batch_stretch_max(), a.batch_max, "at-least-once batches are never stretched");
        let set = parse("[delivery]\nbatch_max_records = 500\nbatch_max_ms = 2000").unwrap();
        assert_eq!((set.batch_max_records, set.batch_stretch_max()), (500, Duration::from_secs(2)));
    }

    #[test]
    fn bad_settings_are_clear_errors() {
        assert!(parse("[schemas]\npolicy = \"copy\"").unwrap_err().to_string().contains("schemas.policy"));
        assert!(parse("[delivery]\nmode = \"maybe\"").unwrap_err().to_string().contains("delivery.mode"));
        assert!(parse("[topics]\nrename = \"prefix\"").unwrap_err().to_string().contains("topics.prefix"));
        assert!(parse("[topics]\ninclude = [\"(\"]").unwrap_err().to_string().contains("topics.include"));
        assert!(parse("[registries]\nsource = \"http://a\"").is_err());
        assert!(parse("[bogus]\nx = 1").is_err());
        assert!(parse("[schemas]\non_invalid = \"drop\"").unwrap_err().to_string().contains("schemas.on_invalid"));
        assert!(parse("[registries]\nsource_context = \"ctx\"").is_err());
        let c = parse(
            "[registries]\nsource_context = \".eu\"\n[[schemas.topics]]\npattern = \"us.*\"\nsource_context = \".us\"\n[[schemas.topics]]\npattern = \"plain.*\"\nsource_context = \".\"\n[[schemas.topics]]\npattern = \"eu.*\"\nsource_context = \".us\"\n",
        )
        .unwrap();
        assert_eq!(c.source_contexts, vec![Some(".eu".to_string()), Some(".us".to_string()), None]);
        assert_eq!((c.framing("orders").context, c.framing("us1").context, c.framing("plain").context), (0, 1, 2));
        assert_eq!(c.framing("eu1").context, 1);
        assert!(parse("[[schemas.topics]]\npattern = \"x\"\nsource_context = \":.eu:\"").is_err());
    }

    #[test]
    fn registry_credentials_per_side() {
        let c = parse(
            "[registries]\nsource = \"https://a\"\ndestination = \"https://b\"\nsource_user_info = \"u:p\"\n\
             [registries.destination_auth]\noauth_token_url = \"https://idp/token\"\noauth_client_id = \"r\"\n\
             oauth_client_secret = \"s\"\noauth_scope = \"sr\"\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n",
        )
        .unwrap();
        let s = c.registries.source_options().unwrap();
        assert_eq!(s.user_info.as_deref(), Some("u:p"));
        assert!(s.oauth.is_none() && s.cert_file.is_none());
        let d = c.registries.destination_options().unwrap();
        let oauth = d.oauth.unwrap();
        assert_eq!((oauth.token_url.as_str(), oauth.client_id.as_str()), ("https://idp/token", "r"));
        assert_eq!(oauth.scope.as_deref(), Some("sr"));
        assert_eq!(d.cert_file.as_deref(), Some(Path::new("c.pem")));
        assert!(d.user_info.is_none());
        let base = "[registries]\nsource = \"https://a\"\ndestination = \"https://b\"\n";
        let err = |extra: &str| parse(&format!("{base}{extra}")).unwrap_err().to_string();
        assert!(err("[registries.source_auth]\nuser_info = \"u:p\"\nbearer_token = \"t\"\n").contains("one of"));
        assert!(err("[registries.source_auth]\noauth_token_url = \"https://i\"\n").contains("client id"));
        assert!(err("[registries.destination_auth]\ncert_file = \"c.pem\"\n").contains("key file"));
        assert!(err("[registries.destination_auth]\nuser = \"x\"\n").contains("unknown field"));
        assert!(err("source_user_info = \"a:b\"\n[registries.source_auth]\nuser_info = \"u:p\"\n").contains("give one"));
    }

    #[test]
    fn framing_per_topic_pattern() {
        let c = parse(
            "[schemas]\non_invalid = \"stop\"\n[[schemas.topics]]\npattern = \"raw.*\"\nkey = false\non_invalid = \"dead-letter\"\n",
        )
        .unwrap();
        assert_eq!(
            c.framing("orders"),
            Framing { key: true, value: true, on_invalid: InvalidPolicy::Stop, context: 0 }
        );
        assert_eq!(
            c.framing("raw.clicks"),
            Framing { key: false, value: true, on_invalid: InvalidPolicy::DeadLetter, context: 0 }
        );
        assert_eq!(c.dead_letter_topic, "lockstep-dead-letters.t");
        assert_eq!(parse("").unwrap().default_framing.on_invalid, InvalidPolicy::Pass);
    }
}
