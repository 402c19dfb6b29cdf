//! Consumer offset translation.
//!
//! - **Offset syncs** (anchors): a pair (source offset S, destination offset D) says "a consumer
//!   starting at D on the destination sees exactly the copies of the source records from S on".
//!   Every copied record is such a pair; only those where the source→destination delta changes
//!   are kept (aborted source transactions, control records, loop-skipped or dead-lettered
//!   records, compaction gaps, the destination's own transaction markers), plus the end of every
//!   committed batch, so every committed source offset translates exactly — within what this
//!   process copied itself. Anchors live in memory: after a restart, or for a stretch another
//!   process copied before a partition moved here, a commit translates to the start of that
//!   stretch (re-reads it, skips nothing).
//! - **Checkpoints**: every `checkpoint_interval`, the committed offsets of the source consumer
//!   groups (those matching `offsets.groups`) are fetched in one batch through one admin client,
//!   translated and written to the compacted topic `lockstep-checkpoints.<name>` on the
//!   destination; groups matching `offsets.sync_groups` are also committed on the destination
//!   while they have no active members there, never backwards.
//! - **Failover** (`lockstep replicate failover --group G`): the latest checkpoint of G is
//!   committed as G's offsets on the destination cluster, so G resumes there.

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
use crate::group_offsets::GroupOffsets;

/// Anchors kept per partition (older committed offsets no longer translate).
const SYNCS_KEPT: usize = 50_000;

#[derive(Default)]
struct PartitionSyncs {
    /// Anchors where the delta changes, oldest first. An anchor marked `end` closes a run of
    /// continuous copying: between it and the next anchor (a stretch another process copied)
    /// only a safe bound is known.
    anchors: VecDeque<Anchor>,
    /// The newest anchor recorded (whether kept or not): nothing beyond it translates.
    reach: Option<(i64, i64)>,
}

/// (destination topic, partition) → its anchors.
#[derive(Default)]
pub struct Syncs {
    map: parking_lot::Mutex<BTreeMap<(String, i32), PartitionSyncs>>,
}

impl Syncs {
    /// Record that a consumer at destination offset `dst` sees the copies of source offsets
    /// `src` and on. Only committed copies may be recorded.
    pub fn record(&self, dest_topic: &str, partition: i32, src: i64, dst: i64) {
        let mut map = self.map.lock();
        let ps = map.entry((dest_topic.to_string(), partition)).or_default();
        if ps.reach.is_some_and(|(s, _)| s > src) {
            return;
        }
        ps.reach = Some((src, dst));
        match ps.anchors.back_mut() {
            Some(b) if b.s == src && !b.end => b.d = dst,
            Some(b) if !b.end && b.d - b.s == dst - src => {}
            _ => ps.push(Anchor { s: src, d: dst, end: false }),
        }
    }

    /// This process starts copying a partition again at source offset `src`, its first copy
    /// landing at or after `dst`. Unless that continues exactly where its own copying of the
    /// partition stopped, the stretch in between (copied by another process, or after a
    /// restart) translates only to the run's end: a group resuming there re-reads that stretch's
    /// copies before its commit, and skips nothing.
    pub fn restart(&self, dest_topic: &str, partition: i32, src: i64, dst: i64) {
        {
            let mut map = self.map.lock();
            let key = (dest_topic.to_string(), partition);
            if let Some(ps) = map.get_mut(&key) {
                match ps.reach {
                    Some(r) if r == (src, dst) => {}
                    Some((s, d)) if s <= src => ps.push(Anchor { s, d, end: true }),
                    _ => {
                        map.remove(&key);
                    }
                }
            }
        }
        self.record(dest_topic, partition, src, dst);
    }

    /// The destination offset a group that committed source offset `committed` resumes at:
    /// exactly after the copies of what it processed. None when `committed` is beyond what has
    /// been copied, or older than the anchors kept.
    pub fn translate(&self, dest_topic: &str, partition: i32, committed: i64) -> Option<i64> {
        let map = self.map.lock();
        let ps = map.get(&(dest_topic.to_string(), partition))?;
        let reach = ps.reach?;
        if committed > reach.0 {
            return None;
        }
        if committed == reach.0 {
            return Some(reach.1);
        }
        let i = ps.anchors.partition_point(|a| a.s <= committed);
        let a = *ps.anchors.get(i.checked_sub(1)?)?;
        if a.s == committed {
            // Several anchors at one offset (a run's end and the next run's start): the last.
            return Some(a.d);
        }
        if a.end {
            // Every copy of `a.s` and later lands at `a.d` or later.
            return Some(a.d);
        }
        let next = ps.anchors.get(i).map_or(reach.1, |n| n.d);
        Some((committed - a.s + a.d).min(next))
    }
}

#[derive(Debug, Clone, Copy)]
struct Anchor {
    s: i64,
    d: i64,
    end: bool,
}

impl PartitionSyncs {
    fn push(&mut self, a: Anchor) {
        self.anchors.push_back(a);
        if self.anchors.len() > SYNCS_KEPT {
            self.anchors.pop_front();
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Copy a source partition whose records sit at `src_offsets` (everything else: aborted
    /// records, markers, skipped records) into a destination with `dst_gap_after` extra offsets
    /// (transaction markers) after the given record indexes; record anchors as the pipeline
    /// does. Returns (source offset → destination offset of its copy).
    fn copy(s: &Syncs, src_offsets: &[i64], batch_ends: &[usize], dst_gap_after: &[usize]) -> Vec<(i64, i64)> {
        let mut dst = 0;
        let mut out = Vec::new();
        for (i, o) in src_offsets.iter().enumerate() {
            s.record("t", 0, *o, dst);
            out.push((*o, dst));
            dst += 1;
            if batch_ends.contains(&i) {
                s.record("t", 0, o + 1, dst);
            }
            if dst_gap_after.contains(&i) {
                dst += 1;
            }
        }
        out
    }

    /// Every committed offset C from 0 to the last copied + 1 translates to D such that the
    /// destination records at or after D are exactly the copies of source records >= C.
    fn check_exact(s: &Syncs, copies: &[(i64, i64)]) {
        let last = copies.last().unwrap().0;
        for c in 0..=last + 1 {
            let Some(d) = s.translate("t", 0, c) else { panic!("no translation for {c}") };
            let before: Vec<_> = copies.iter().filter(|(o, _)| *o < c).collect();
            let after: Vec<_> = copies.iter().filter(|(o, _)| *o >= c).collect();
            assert!(before.iter().all(|(_, p)| *p < d), "C={c} D={d}: a processed record would be read again");
            assert!(after.iter().all(|(_, p)| *p >= d), "C={c} D={d}: an unprocessed record would be skipped");
        }
    }

    #[test]
    fn aborted_transactions_and_markers_translate_exactly() {
        // One plain record, then 200 one-record transactions: records on odd offsets.
        let mut src = vec![0];
        src.extend((0..200).map(|i| 1 + 2 * i));
        let s = Syncs::default();
        let copies = copy(&s, &src, &[src.len() - 1], &[]);
        check_exact(&s, &copies);
        assert_eq!(s.translate("t", 0, 301), Some(151));
    }

    #[test]
    fn gaps_on_both_sides_and_batches_translate_exactly() {
        // Source gaps (aborted records, skipped loops) and destination markers after batches.
        let src: Vec<i64> = (0..500).filter(|o| o % 7 != 3 && !(100..130).contains(o)).collect();
        let ends: Vec<usize> = (0..src.len()).filter(|i| i % 37 == 0 || *i == src.len() - 1).collect();
        let s = Syncs::default();
        let copies = copy(&s, &src, &ends, &ends);
        check_exact(&s, &copies);
    }

    #[test]
    fn a_constant_delta_needs_one_anchor_and_nothing_past_the_reach_translates() {
        let s = Syncs::default();
        for o in 0..1000 {
            s.record("t", 0, o, o + 5);
        }
        assert_eq!(s.map.lock()[&("t".to_string(), 0)].anchors.len(), 1);
        assert_eq!(s.translate("t", 0, 700), Some(705));
        assert_eq!(s.translate("t", 0, 999), Some(1004));
        assert_eq!(s.translate("t", 0, 1000), None);
        assert_eq!(s.translate("t", 1, 5), None);
        s.record("t", 0, 10, 11); // behind the reach: ignored
        assert_eq!(s.translate("t", 0, 12), Some(17));
    }

    #[test]
    fn a_partition_copied_elsewhere_in_between_translates_no_further_than_its_own_run() {
        let s = Syncs::default();
        s.restart("t", 0, 0, 0);
        for o in 0..100 {
            s.record("t", 0, o, o);
        }
        s.record("t", 0, 100, 100);
        // Another process copied 100..200 (with markers: the delta changed there); this one
        // gets the partition back at 200, whose copies land from 260 on.
        s.restart("t", 0, 200, 260);
        for o in 200..250 {
            s.record("t", 0, o, o + 60);
        }
        assert_eq!(s.translate("t", 0, 50), Some(50));
        assert_eq!(s.translate("t", 0, 100), Some(100), "the end of this process's own run is exact");
        // Copied by someone else: never past the run's end (which may re-read, never skips).
        assert_eq!(s.translate("t", 0, 150), Some(100));
        assert_eq!(s.translate("t", 0, 200), Some(260));
        assert_eq!(s.translate("t", 0, 249), Some(309));
        // Continuing exactly where it stopped keeps everything translatable.
        s.record("t", 0, 250, 310);
        s.restart("t", 0, 250, 310);
        assert_eq!(s.translate("t", 0, 225), Some(285));
        // A restart behind what it knows (nothing can be trusted): start over.
        s.restart("t", 0, 10, 500);
        assert_eq!(s.translate("t", 0, 50), None);
        assert_eq!(s.translate("t", 0, 10), Some(500));
    }
}
