//! Topic mirroring: matching source topics get a destination topic with the same partition count
//! and the source's topic-level configs; partition increases and config changes are followed.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::admin::{
    AdminClient, AdminOptions, AlterConfig, ConfigSource, NewPartitions, NewTopic, ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::types::RDKafkaErrorCode;

use crate::config::Config;

/// Topic-level configs that are not copied (they describe the source's placement, not the data).
const NOT_COPIED: &[&str] = &[
    "confluent.placement.constraints",
    "leader.replication.throttled.replicas",
    "follower.replication.throttled.replicas",
];

/// Source topics selected by the config → partition count.
pub fn selected_topics(source: &BaseConsumer, cfg: &Config) -> anyhow::Result<BTreeMap<String, usize>> {
    let md = source
        .fetch_metadata(None, Duration::from_secs(10))
        .map_err(|e| anyhow::anyhow!("cannot read the source cluster's topics ({}): {e}", cfg.source.bootstrap))?;
    Ok(md
        .topics()
        .iter()
        .filter(|t| t.error().is_none() && cfg.selects(t.name()))
        .map(|t| (t.name().to_string(), t.partitions().len()))
        .collect())
}

async fn dynamic_configs(
    admin: &AdminClient<DefaultClientContext>,
    topic: &str,
) -> anyhow::Result<BTreeMap<String, String>> {
    let res = admin.describe_configs([&ResourceSpecifier::Topic(topic)], &AdminOptions::new()).await?;
    let mut out = BTreeMap::new();
    for r in res {
        let r = r.map_err(|e| anyhow::anyhow!("describe configs of {topic}: {e}"))?;
        for e in r.entries {
            if e.source == ConfigSource::DynamicTopic && !e.is_sensitive && !NOT_COPIED.contains(&e.name.as_str()) {
                if let Some(v) = e.value {
                    out.insert(e.name, v);
                }
            }
        }
    }
    Ok(out)
}

/// Make the destination match: create missing topics, add partitions, copy changed configs.
pub async fn mirror(
    cfg: &Config,
    topics: &BTreeMap<String, usize>,
    destination: &BaseConsumer,
    src_admin: &AdminClient<DefaultClientContext>,
    dst_admin: &AdminClient<DefaultClientContext>,
) -> anyhow::Result<()> {
    let md = destination.fetch_metadata(None, Duration::from_secs(10)).map_err(|e| {
        anyhow::anyhow!("cannot read the destination cluster's topics ({}): {e}", cfg.destination.bootstrap)
    })?;
    let existing: BTreeMap<String, usize> = md
        .topics()
        .iter()
        .filter(|t| t.error().is_none())
        .map(|t| (t.name().to_string(), t.partitions().len()))
        .collect();
    let brokers = md.brokers().len().max(1);
    for (topic, &partitions) in topics {
        let dest = cfg.destination_topic(topic);
        let src_configs = dynamic_configs(src_admin, topic).await?;
        match existing.get(&dest) {
            None => {
                let rf = brokers.min(3) as i32;
                let mut new = NewTopic::new(&dest, partitions as i32, TopicReplication::Fixed(rf));
                for (k, v) in &src_configs {
                    new = new.set(k, v);
                }
                let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
                for r in dst_admin.create_topics([&new], &opts).await? {
                    match r {
                        Ok(_) => tracing::info!(topic = %dest, partitions, "created destination topic"),
                        Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                        Err((t, e)) => anyhow::bail!("cannot create destination topic {t}: {e}"),
                    }
                }
            }
            Some(&have) => {
                if have < partitions {
                    let np = NewPartitions::new(&dest, partitions);
                    for r in dst_admin.create_partitions([&np], &AdminOptions::new()).await? {
                        if let Err((t, e)) = r {
                            anyhow::bail!("cannot add partitions to {t}: {e}");
                        }
                    }
                    tracing::info!(topic = %dest, from = have, to = partitions, "followed a partition increase");
                }
                let dst_configs = dynamic_configs(dst_admin, &dest).await?;
                let changed: Vec<(&String, &String)> =
                    src_configs.iter().filter(|(k, v)| dst_configs.get(*k) != Some(*v)).collect();
                if !changed.is_empty() {
                    // AlterConfigs replaces the topic's dynamic configs: send them all.
                    let mut all = dst_configs.clone();
                    for (k, v) in &changed {
                        all.insert((*k).clone(), (*v).clone());
                    }
                    let mut ac = AlterConfig::new(ResourceSpecifier::Topic(&dest));
                    for (k, v) in &all {
                        ac = ac.set(k, v);
                    }
                    for r in dst_admin.alter_configs([&ac], &AdminOptions::new()).await? {
                        if let Err((_, e)) = r {
                            anyhow::bail!("cannot update configs of {dest}: {e}");
                        }
                    }
                    tracing::info!(topic = %dest, changed = changed.len(), "followed topic config changes");
                }
            }
        }
    }
    Ok(())
}
