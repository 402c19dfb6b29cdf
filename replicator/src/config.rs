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
//! destination = "http://registry-us:8081"
//! [topics]
//! include = ["orders.*", "payments"]
//! exclude = ["_.*"]
//! rename = "identity"            # or "prefix" with prefix = "eu."
//! [schemas]
//! policy = "preserve"            # preserve | translate | fail
//! [delivery]
//! mode = "exactly-once"          # exactly-once | at-least-once
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context};
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
    /// `user:password` for basic auth.
    pub source_user_info: Option<String>,
    pub destination_user_info: Option<String>,
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
}

impl Default for SchemaSettings {
    fn default() -> Self {
        Self { policy: preserve() }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySettings {
    #[serde(default = "exactly_once")]
    pub mode: String,
    /// Records per batch (one transaction in exactly-once mode).
    #[serde(default = "batch_records")]
    pub batch_max_records: usize,
    /// Longest a batch stays open: how often progress is committed. Default 50 ms in
    /// exactly-once mode (records become visible at commit), 1000 ms in at-least-once mode
    /// (records are produced at once; only progress waits).
    #[serde(default)]
    pub batch_max_ms: Option<u64>,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self { mode: exactly_once(), batch_max_records: batch_records(), batch_max_ms: None }
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
}

impl Default for OffsetSettings {
    fn default() -> Self {
        Self { groups: all(), checkpoint_interval_ms: five_seconds() }
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
fn exactly_once() -> String {
    "exactly-once".into()
}
fn five_seconds() -> u64 {
    5000
}
fn batch_records() -> usize {
    20_000
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
    pub checkpoint_interval: Duration,
    pub metrics_listen: Option<String>,
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
        let has_registries = s.registries.source.is_some() && s.registries.destination.is_some();
        if !has_registries && (s.registries.source.is_some() || s.registries.destination.is_some()) {
            bail!("give both registries.source and registries.destination, or neither");
        }
        Ok(Self {
            name: s.name,
            include: anchored(&s.topics.include, "topics.include")?,
            exclude: anchored(&s.topics.exclude, "topics.exclude")?,
            groups: anchored(&s.offsets.groups, "offsets.groups")?,
            source: s.source,
            destination: s.destination,
            registries: s.registries,
            prefix,
            refresh_interval: Duration::from_millis(s.topics.refresh_interval_ms.max(100)),
            policy,
            delivery,
            batch_max_records: s.delivery.batch_max_records.max(1),
            batch_max: Duration::from_millis(
                s.delivery.batch_max_ms.unwrap_or(if delivery == Delivery::ExactlyOnce { 50 } else { 1000 }).max(1),
            ),
            checkpoint_interval: Duration::from_millis(s.offsets.checkpoint_interval_ms.max(100)),
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
    fn bad_settings_are_clear_errors() {
        assert!(parse("[schemas]\npolicy = \"copy\"").unwrap_err().to_string().contains("schemas.policy"));
        assert!(parse("[delivery]\nmode = \"maybe\"").unwrap_err().to_string().contains("delivery.mode"));
        assert!(parse("[topics]\nrename = \"prefix\"").unwrap_err().to_string().contains("topics.prefix"));
        assert!(parse("[topics]\ninclude = [\"(\"]").unwrap_err().to_string().contains("topics.include"));
        assert!(parse("[registries]\nsource = \"http://a\"").is_err());
        assert!(parse("[bogus]\nx = 1").is_err());
    }
}
