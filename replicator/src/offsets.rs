//! Consumer offset translation.
//!
//! - **Offset syncs** ([`crate::syncs`]): where each source offset's copy landed, kept
//!   wherever the delta changes and persisted on the destination ([`crate::sync_log`]).
//! - **Checkpoints**: every `checkpoint_interval`, the committed offsets of the source consumer
//!   groups (those matching `offsets.groups`) are fetched in one batch through one admin client,
//!   translated and written to the compacted topic `lockstep-checkpoints.<name>` on the
//!   destination; groups matching `offsets.sync_groups` are also committed on the destination
//!   while they have no active members there, never backwards.
//! - **Failover** (`lockstep replicate failover --group G`): the latest checkpoint of G is
//!   committed as G's offsets on the destination cluster, so G resumes there.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::group_offsets::GroupOffsets;
use crate::syncs::Syncs;

/// One checkpoint record (value of the checkpoint topic; key `group|topic|partition`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Checkpoint {
    pub group: String,
    /// Destination topic.
    pub topic: String,
    pub partition: i32,
    pub source_offset: i64,
    pub destination_offset: i64,
}

fn client(bootstrap: &str, props: &BTreeMap<String, String>) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap);
    for (k, v) in props {
        c.set(k, v);
    }
    c
}

/// Create the checkpoint topic on the destination if absent (compacted, one partition).
pub async fn ensure_checkpoint_topic(cfg: &Config, admin: &AdminClient<DefaultClientContext>) -> anyhow::Result<()> {
    let t = cfg.checkpoint_topic();
    let new = NewTopic::new(&t, 1, TopicReplication::Fixed(1)).set("cleanup.policy", "compact");
    for r in admin.create_topics([&new], &AdminOptions::new()).await? {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, e)) => anyhow::bail!("cannot create the checkpoint topic {t}: {e}"),
        }
    }
    Ok(())
}

/// Checkpoint source consumer groups until `stop`: a blocking loop for its own thread.
/// `owned` names the (source topic, partition)s this process copies: their syncs are here.
pub fn checkpoint_loop(
    cfg: Config,
    syncs: Arc<Syncs>,
    owned: Arc<dyn Fn() -> Vec<(String, i32)> + Send + Sync>,
    stop: Arc<AtomicBool>,
) {
    let setup = || -> anyhow::Result<(BaseProducer, BaseConsumer, GroupOffsets, GroupOffsets)> {
        Ok((
            client(&cfg.destination.bootstrap, &cfg.destination.properties).create()?,
            client(&cfg.source.bootstrap, &cfg.source.properties).create()?,
            GroupOffsets::new(client(&cfg.source.bootstrap, &cfg.source.properties))?,
            GroupOffsets::new(client(&cfg.destination.bootstrap, &cfg.destination.properties))?,
        ))
    };
    let (producer, lister, src_offsets, dst_offsets) = match setup() {
        Ok(x) => x,
        Err(e) => {
            tracing::error!("checkpoints disabled: cannot create the clients: {e}");
            return;
        }
    };
    let mut next = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        if Instant::now() < next {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        next = Instant::now() + cfg.checkpoint_interval;
        let started = Instant::now();
        match checkpoint_round(&cfg, &syncs, &owned(), &producer, &lister, &src_offsets, &dst_offsets) {
            Ok(n) => tracing::debug!(groups = n, ms = started.elapsed().as_millis() as u64, "checkpointed"),
            Err(e) => tracing::warn!("checkpoint round failed: {e:#}"),
        }
    }
}

/// One checkpoint round; the number of groups checkpointed.
pub fn checkpoint_round(
    cfg: &Config,
    syncs: &Syncs,
    owned: &[(String, i32)],
    producer: &BaseProducer,
    lister: &BaseConsumer,
    src_offsets: &GroupOffsets,
    dst_offsets: &GroupOffsets,
) -> anyhow::Result<usize> {
    if owned.is_empty() {
        return Ok(0);
    }
    let own = cfg.progress_group();
    let groups: Vec<String> = lister
        .fetch_group_list(None, Duration::from_secs(10))
        .map_err(|e| anyhow::anyhow!("cannot list the source's consumer groups: {e}"))?
        .groups()
        .iter()
        .map(|g| g.name().to_string())
        .filter(|g| *g != own && cfg.groups.iter().any(|r| r.is_match(g)))
        .collect();
    let committed = src_offsets.list(&groups, Duration::from_secs(30))?;
    let topic = cfg.checkpoint_topic();
    let mut to_sync: BTreeMap<String, BTreeMap<(String, i32), i64>> = BTreeMap::new();
    for (group, offsets) in &committed {
        for (t, p) in owned {
            let Some(off) = offsets.get(&(t.clone(), *p)) else { continue };
            let dest = cfg.destination_topic(t);
            let Some(d) = syncs.translate(&dest, *p, *off) else { continue };
            let cp = Checkpoint {
                group: group.clone(),
                topic: dest.clone(),
                partition: *p,
                source_offset: *off,
                destination_offset: d,
            };
            let key = format!("{group}|{dest}|{p}");
            let value = serde_json::to_vec(&cp)?;
            let mut rec = BaseRecord::to(&topic).key(&key).payload(&value);
            loop {
                match producer.send(rec) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                        rec = r;
                        producer.poll(Duration::from_millis(10));
                    }
                    Err((e, _)) => anyhow::bail!("cannot write a checkpoint: {e}"),
                }
            }
            if cfg.sync_groups.iter().any(|r| r.is_match(group)) {
                to_sync.entry(group.clone()).or_default().insert((dest, *p), d);
            }
        }
    }
    producer.flush(Duration::from_secs(30))?;
    if !to_sync.is_empty() {
        sync_groups(dst_offsets, to_sync)?;
    }
    Ok(committed.len())
}

/// Commit translated offsets on the destination for groups with no active members there,
/// only where they move a group forward.
fn sync_groups(dst: &GroupOffsets, want: BTreeMap<String, BTreeMap<(String, i32), i64>>) -> anyhow::Result<()> {
    let names: Vec<String> = want.keys().cloned().collect();
    let current = dst.list(&names, Duration::from_secs(30))?;
    let mut commit = BTreeMap::new();
    for (g, offsets) in want {
        let Some(have) = current.get(&g) else { continue };
        let forward: BTreeMap<(String, i32), i64> =
            offsets.into_iter().filter(|(tp, d)| have.get(tp).is_none_or(|h| h < d)).collect();
        if !forward.is_empty() {
            commit.insert(g, forward);
        }
    }
    for (g, r) in dst.alter(commit, Duration::from_secs(30))? {
        match r {
            Ok(()) => tracing::debug!(group = %g, "group offsets synced to the destination"),
            Err(e) => tracing::debug!(group = %g, "group offsets not synced (active on the destination?): {e}"),
        }
    }
    Ok(())
}

/// The latest checkpoints of `group`, read from the destination's checkpoint topic.
pub fn read_checkpoints(cfg: &Config, group: &str) -> anyhow::Result<Vec<Checkpoint>> {
    let c: BaseConsumer = client(&cfg.destination.bootstrap, &cfg.destination.properties)
        .set("group.id", format!("{}-failover", cfg.progress_group()))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .create()?;
    let topic = cfg.checkpoint_topic();
    let (_, high) = c
        .fetch_watermarks(&topic, 0, Duration::from_secs(10))
        .map_err(|e| anyhow::anyhow!("cannot read the checkpoint topic {topic} on the destination: {e}"))?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&topic, 0, Offset::Beginning)?;
    c.assign(&tpl)?;
    let mut latest: BTreeMap<(String, i32), Checkpoint> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut next = 0;
    while next < high && Instant::now() < deadline {
        match c.poll(Duration::from_millis(500)) {
            Some(Ok(m)) => {
                next = m.offset() + 1;
                if let Some(v) = m.payload() {
                    if let Ok(cp) = serde_json::from_slice::<Checkpoint>(v) {
                        if cp.group == group {
                            latest.insert((cp.topic.clone(), cp.partition), cp);
                        }
                    }
                }
            }
            Some(Err(KafkaError::PartitionEOF(_))) => break,
            Some(Err(e)) => anyhow::bail!("reading checkpoints: {e}"),
            None => {}
        }
    }
    Ok(latest.into_values().collect())
}

/// Commit the translated offsets of `group` on the destination cluster.
pub fn failover(cfg: &Config, group: &str) -> anyhow::Result<Vec<Checkpoint>> {
    let cps = read_checkpoints(cfg, group)?;
    if cps.is_empty() {
        anyhow::bail!("no checkpoint for consumer group '{group}' in {} on the destination", cfg.checkpoint_topic());
    }
    let c: BaseConsumer = client(&cfg.destination.bootstrap, &cfg.destination.properties)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()?;
    let mut tpl = TopicPartitionList::new();
    for cp in &cps {
        tpl.add_partition_offset(&cp.topic, cp.partition, Offset::Offset(cp.destination_offset))?;
    }
    c.commit(&tpl, CommitMode::Sync).map_err(|e| {
        anyhow::anyhow!(
            "cannot commit offsets for '{group}' on the destination (is the group still active there?): {e}"
        )
    })?;
    Ok(cps)
}
