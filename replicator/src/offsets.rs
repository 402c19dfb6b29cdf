//! Consumer offset translation.
//!
//! - **Offset syncs**: as records are delivered, pairs (source offset, destination offset) are
//!   kept per partition (every 16th record and the last of every batch).
//! - **Checkpoints**: every `checkpoint_interval`, the committed offsets of the source consumer
//!   groups (those matching `offsets.groups`) are translated through the syncs and written to the
//!   compacted topic `lockstep-checkpoints.<name>` on the destination cluster.
//! - **Failover** (`lockstep replicate failover --group G`): the latest checkpoint of G is
//!   committed as G's offsets on the destination cluster, so G resumes there.
//!
//! A committed source offset C is translated to the destination offset of the newest sync at or
//! before C: never past C (no gap), at most 16 records of replay.

use std::collections::{BTreeMap, VecDeque};
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

/// Sampling interval of the syncs.
pub const SYNC_EVERY: i64 = 16;
const SYNCS_KEPT: usize = 20_000;

/// (source offset, destination offset) pairs of one partition, oldest first.
type PartitionSyncs = VecDeque<(i64, i64)>;

/// (destination topic, partition) → its syncs.
#[derive(Default)]
pub struct Syncs {
    map: parking_lot::Mutex<BTreeMap<(String, i32), PartitionSyncs>>,
}

impl Syncs {
    pub fn record(&self, dest_topic: &str, partition: i32, src: i64, dst: i64) {
        let mut map = self.map.lock();
        let q = map.entry((dest_topic.to_string(), partition)).or_default();
        if q.back().is_some_and(|(s, _)| *s >= src) {
            return;
        }
        q.push_back((src, dst));
        if q.len() > SYNCS_KEPT {
            q.pop_front();
        }
    }

    /// The destination offset to resume at for committed source offset `committed`.
    pub fn translate(&self, dest_topic: &str, partition: i32, committed: i64) -> Option<i64> {
        let map = self.map.lock();
        let q = map.get(&(dest_topic.to_string(), partition))?;
        q.iter().rev().find(|(s, _)| *s <= committed).map(|(_, d)| *d)
    }
}

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
pub fn checkpoint_loop(
    cfg: Config,
    syncs: Arc<Syncs>,
    topics: Arc<parking_lot::Mutex<BTreeMap<String, usize>>>,
    stop: Arc<AtomicBool>,
) {
    let producer: BaseProducer = match client(&cfg.destination.bootstrap, &cfg.destination.properties).create() {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("checkpoints disabled: cannot create a destination producer: {e}");
            return;
        }
    };
    let admin_client: BaseConsumer =
        match client(&cfg.source.bootstrap, &cfg.source.properties).set("group.id", cfg.progress_group()).create() {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("checkpoints disabled: cannot create a source client: {e}");
                return;
            }
        };
    let own = cfg.progress_group();
    let mut next = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        if Instant::now() < next {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        }
        next = Instant::now() + cfg.checkpoint_interval;
        let groups = match admin_client.fetch_group_list(None, Duration::from_secs(10)) {
            Ok(g) => g.groups().iter().map(|g| g.name().to_string()).collect::<Vec<_>>(),
            Err(e) => {
                tracing::warn!("cannot list the source's consumer groups: {e}");
                continue;
            }
        };
        let topics = topics.lock().clone();
        for g in groups.into_iter().filter(|g| *g != own && cfg.groups.iter().any(|r| r.is_match(g))) {
            if let Err(e) = checkpoint_group(&cfg, &g, &topics, &syncs, &producer) {
                tracing::warn!(group = %g, "checkpoint failed: {e}");
            }
        }
        let _ = producer.flush(Duration::from_secs(10));
    }
}

fn checkpoint_group(
    cfg: &Config,
    group: &str,
    topics: &BTreeMap<String, usize>,
    syncs: &Syncs,
    producer: &BaseProducer,
) -> anyhow::Result<()> {
    let c: BaseConsumer = client(&cfg.source.bootstrap, &cfg.source.properties).set("group.id", group).create()?;
    let mut tpl = TopicPartitionList::new();
    for (t, n) in topics {
        for p in 0..*n {
            tpl.add_partition(t, p as i32);
        }
    }
    let committed = c.committed_offsets(tpl, Duration::from_secs(10))?;
    let topic = cfg.checkpoint_topic();
    for e in committed.elements() {
        let Offset::Offset(off) = e.offset() else { continue };
        let dest = cfg.destination_topic(e.topic());
        let Some(d) = syncs.translate(&dest, e.partition(), off) else { continue };
        let cp = Checkpoint {
            group: group.into(),
            topic: dest.clone(),
            partition: e.partition(),
            source_offset: off,
            destination_offset: d,
        };
        let key = format!("{group}|{dest}|{}", e.partition());
        let value = serde_json::to_vec(&cp)?;
        if let Err((e, _)) = producer.send(BaseRecord::to(&topic).key(&key).payload(&value)) {
            anyhow::bail!("cannot write a checkpoint: {e}");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translation_never_passes_the_committed_offset() {
        let s = Syncs::default();
        s.record("t", 0, 0, 0);
        s.record("t", 0, 16, 17);
        s.record("t", 0, 32, 35);
        assert_eq!(s.translate("t", 0, 16), Some(17));
        assert_eq!(s.translate("t", 0, 20), Some(17));
        assert_eq!(s.translate("t", 0, 40), Some(35));
        assert_eq!(s.translate("t", 1, 40), None);
        s.record("t", 0, 10, 11); // out of order: ignored
        assert_eq!(s.translate("t", 0, 12), Some(0));
    }
}
