//! The coordinator: several processes with the same config share one replication.
//!
//! Every process joins the consumer group `lockstep-replicator-<name>` **on the destination
//! cluster**, subscribed to the destination topics (they mirror the source topics partition for
//! partition), with cooperative-sticky assignment. The group never reads those topics (its
//! partitions are paused): its assignment says which partitions this process copies, its
//! committed offsets are the replication's progress (the next source offset of each partition),
//! and its generation fences zombies: workers commit their transactions'
//! offsets with the group's metadata (`send_offsets_to_transaction`, KIP-447), which the
//! destination's group coordinator refuses from a member of an older generation. A killed
//! process's partitions move to the others after the session timeout (6 s).
//!
//! Partitions are spread over the process's workers ([`crate::worker`]); a revoked partition's
//! worker commits its open batch before the revocation completes, and a newly assigned partition
//! starts at the committed offset, read with `require_stable` (after any pending transaction of
//! the previous owner is committed or aborted).

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context as _};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};

use crate::config::{Config, InvalidPolicy};
use crate::gate::Gate;
use crate::metrics::Metrics;
use crate::sync_log::SyncLog;
use crate::syncs::Syncs;
use crate::topics;
use crate::worker::{Assignment, Command, Worker};

pub fn client(bootstrap: &str, props: &BTreeMap<String, String>) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap);
    for (k, v) in props {
        c.set(k, v);
    }
    c
}

/// One partition as this process sees it (for metrics, checkpoints and `status`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PartStatus {
    pub topic: String,
    pub partition: i32,
    pub worker: usize,
    /// Next source offset to copy (committed).
    pub next: i64,
    /// Where copying of this partition started in this process.
    pub started_at: i64,
    /// The source partition's end, when last looked at.
    pub end: i64,
    /// Records per second over the last status interval.
    pub rate: f64,
    /// Halted at (offset, reason).
    pub halted: Option<(i64, String)>,
}

/// State shared by the coordinator, the workers and the checkpointer.
#[derive(Default)]
pub struct Shared {
    parts: parking_lot::Mutex<BTreeMap<(String, i32), PartStatus>>,
}

impl Shared {
    pub fn assigned(&self, topic: &str, partition: i32, from: i64, worker: usize) {
        self.parts.lock().insert(
            (topic.to_string(), partition),
            PartStatus {
                topic: topic.to_string(),
                partition,
                worker,
                next: from,
                started_at: from,
                ..Default::default()
            },
        );
    }
    pub fn revoked(&self, topic: &str, partition: i32) {
        self.parts.lock().remove(&(topic.to_string(), partition));
    }
    pub fn committed(&self, topic: &str, partition: i32, next: i64) {
        if let Some(p) = self.parts.lock().get_mut(&(topic.to_string(), partition)) {
            p.next = next;
        }
    }
    pub fn halted(&self, topic: &str, partition: i32, offset: i64, why: &str) {
        if let Some(p) = self.parts.lock().get_mut(&(topic.to_string(), partition)) {
            p.halted = Some((offset, why.to_string()));
        }
    }
    pub fn owned(&self) -> Vec<(String, i32)> {
        self.parts.lock().keys().cloned().collect()
    }
    pub fn snapshot(&self) -> Vec<PartStatus> {
        self.parts.lock().values().cloned().collect()
    }
}

/// The group consumer's context: rebalances are handed to the workers.
pub struct GroupCtx {
    cfg: Config,
    workers: parking_lot::Mutex<Vec<Sender<Command>>>,
    /// Destination partitions assigned and not yet handed to a worker.
    new: parking_lot::Mutex<Vec<(String, i32)>>,
}

fn route(topic: &str, partition: i32, n: usize) -> usize {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    topic.hash(&mut h);
    (h.finish() as usize).wrapping_add(partition as usize) % n.max(1)
}

impl ClientContext for GroupCtx {}

impl ConsumerContext for GroupCtx {
    fn pre_rebalance(&self, _c: &BaseConsumer<Self>, r: &Rebalance<'_>) {
        let Rebalance::Revoke(tpl) = r else { return };
        let gone: BTreeSet<(String, i32)> =
            tpl.elements().iter().map(|e| (e.topic().to_string(), e.partition())).collect();
        self.new.lock().retain(|tp| !gone.contains(tp));
        let workers = self.workers.lock().clone();
        let mut per: BTreeMap<usize, Vec<(String, i32)>> = BTreeMap::new();
        for (dest, p) in gone {
            if let Some(src) = self.cfg.source_topic(&dest) {
                per.entry(route(&src, p, workers.len())).or_default().push((src, p));
            }
        }
        let mut waits = Vec::new();
        for (w, list) in per {
            let (tx, rx) = channel();
            if workers.get(w).is_some_and(|s| s.send(Command::Revoke(list, tx)).is_ok()) {
                waits.push(rx);
            }
        }
        for rx in waits {
            let _ = rx.recv_timeout(Duration::from_secs(120));
        }
    }

    fn post_rebalance(&self, c: &BaseConsumer<Self>, r: &Rebalance<'_>) {
        let Rebalance::Assign(tpl) = r else { return };
        // The group only coordinates: it never reads the destination topics.
        let _ = c.pause(tpl);
        self.new.lock().extend(tpl.elements().iter().map(|e| (e.topic().to_string(), e.partition())));
    }
}

/// A process's share of the replication.
pub struct Coordinator {
    cfg: Config,
    path: Option<PathBuf>,
    rt: tokio::runtime::Handle,
    group: Arc<BaseConsumer<GroupCtx>>,
    src_meta: BaseConsumer,
    dst_meta: BaseConsumer,
    src_admin: AdminClient<DefaultClientContext>,
    dst_admin: AdminClient<DefaultClientContext>,
    status: BaseProducer,
    metrics: Arc<Metrics>,
    pub shared: Arc<Shared>,
    threads: Vec<std::thread::JoinHandle<()>>,
    subscribed: Vec<String>,
    instance: String,
    sync_log: Option<Arc<SyncLog>>,
}

impl Coordinator {
    pub async fn open(
        cfg: Config,
        path: Option<PathBuf>,
        gate: Option<Arc<Gate>>,
        metrics: Arc<Metrics>,
        syncs: Arc<Syncs>,
    ) -> anyhow::Result<Coordinator> {
        let src_meta: BaseConsumer = client(&cfg.source.bootstrap, &cfg.source.properties).create()?;
        let dst_meta: BaseConsumer = client(&cfg.destination.bootstrap, &cfg.destination.properties).create()?;
        // Reach both clusters before going on: a clear error instead of silent retries.
        src_meta
            .fetch_metadata(None, Duration::from_secs(15))
            .map_err(|e| anyhow!("cannot reach the source cluster at {}: {e}", cfg.source.bootstrap))?;
        dst_meta
            .fetch_metadata(None, Duration::from_secs(15))
            .map_err(|e| anyhow!("cannot reach the destination cluster at {}: {e}", cfg.destination.bootstrap))?;
        let refresh_ms = cfg.refresh_interval.as_millis().max(1000).to_string();
        let ctx = GroupCtx { cfg: cfg.clone(), workers: Default::default(), new: Default::default() };
        let group: BaseConsumer<GroupCtx> = client(&cfg.destination.bootstrap, &cfg.destination.properties)
            .set("group.id", cfg.progress_group())
            .set("partition.assignment.strategy", "cooperative-sticky")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("isolation.level", "read_committed")
            .set("auto.offset.reset", "latest")
            .set("session.timeout.ms", "6000")
            .set("heartbeat.interval.ms", "1500")
            .set("topic.metadata.refresh.interval.ms", &refresh_ms)
            .set("allow.auto.create.topics", "false")
            .create_with_context(ctx)
            .context("cannot create the destination group client")?;
        let group = Arc::new(group);
        let src_admin = client(&cfg.source.bootstrap, &cfg.source.properties).create()?;
        let dst_admin: AdminClient<DefaultClientContext> =
            client(&cfg.destination.bootstrap, &cfg.destination.properties).create()?;
        crate::offsets::ensure_checkpoint_topic(&cfg, &dst_admin).await?;
        ensure_topic(&dst_admin, &cfg.status_topic(), true).await?;
        let uses_dlq = cfg.default_framing.on_invalid == InvalidPolicy::DeadLetter
            || cfg.framing.iter().any(|(_, f)| f.on_invalid == InvalidPolicy::DeadLetter);
        if uses_dlq {
            ensure_topic(&dst_admin, &cfg.dead_letter_topic, false).await?;
        }
        let status: BaseProducer = client(&cfg.destination.bootstrap, &cfg.destination.properties).create()?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let instance = format!("{}-{:x}", std::process::id(), now % 0xffff_ffff);
        // Without the sync log translation stays exact only for what this process copies.
        let sync_log = match SyncLog::open(&cfg, &dst_admin, syncs.clone(), &instance).await {
            Ok(l) => Some(Arc::new(l)),
            Err(e) => {
                tracing::warn!("offset syncs kept in memory only: {e:#}");
                None
            }
        };
        let shared = Arc::new(Shared::default());
        let mut threads = Vec::new();
        let mut senders = Vec::new();
        for i in 0..cfg.workers {
            let w = Worker::open(
                i,
                &instance,
                cfg.clone(),
                gate.clone(),
                metrics.clone(),
                syncs.clone(),
                sync_log.clone(),
                shared.clone(),
                group.clone(),
            )?;
            let (tx, rx) = channel();
            senders.push(tx);
            threads.push(std::thread::Builder::new().name(format!("lockstep-copy-{i}")).spawn(move || w.run(rx))?);
        }
        *group.context().workers.lock() = senders;
        Ok(Coordinator {
            rt: tokio::runtime::Handle::current(),
            cfg,
            path,
            group,
            src_meta,
            dst_meta,
            src_admin,
            dst_admin,
            status,
            metrics,
            shared,
            threads,
            subscribed: Vec::new(),
            instance,
            sync_log,
        })
    }

    /// Pick up include/exclude changes in the config file.
    fn reload(&mut self) {
        let Some(path) = &self.path else { return };
        match Config::load(path) {
            Ok(new) => {
                let same = |a: &[regex::Regex], b: &[regex::Regex]| {
                    a.iter().map(regex::Regex::as_str).eq(b.iter().map(regex::Regex::as_str))
                };
                if !same(&new.include, &self.cfg.include) || !same(&new.exclude, &self.cfg.exclude) {
                    tracing::info!(include = ?new.include, exclude = ?new.exclude, "topic selection changed in the config file");
                    self.cfg.include = new.include;
                    self.cfg.exclude = new.exclude;
                }
            }
            Err(e) => tracing::warn!("config file not reloaded: {e:#}"),
        }
    }

    /// Find new topics and partitions, mirror them, and follow them in the group's subscription.
    fn refresh(&mut self) -> anyhow::Result<()> {
        self.reload();
        let selected = topics::selected_topics(&self.src_meta, &self.cfg)?;
        self.rt.block_on(topics::mirror(&self.cfg, &selected, &self.dst_meta, &self.src_admin, &self.dst_admin))?;
        let dests: Vec<String> = selected.keys().map(|t| self.cfg.destination_topic(t)).collect();
        if dests != self.subscribed {
            if dests.is_empty() {
                self.group.unsubscribe();
            } else {
                let refs: Vec<&str> = dests.iter().map(String::as_str).collect();
                self.group.subscribe(&refs).context("cannot subscribe the destination group")?;
            }
            tracing::info!(topics = dests.len(), "replicating topics");
            self.subscribed = dests;
        }
        Ok(())
    }

    /// Hand newly assigned partitions to the workers at their committed offsets.
    fn start_new(&self) {
        let new = std::mem::take(&mut *self.group.context().new.lock());
        if new.is_empty() {
            return;
        }
        let retry = |new: Vec<(String, i32)>| self.group.context().new.lock().extend(new);
        // What the previous owners copied, so that translation stays exact across the move.
        if let Some(log) = &self.sync_log {
            if let Err(e) = log.catch_up(Duration::from_secs(30)) {
                tracing::warn!("offset syncs of the previous owners not read: {e:#}");
            }
        }
        let mut tpl = TopicPartitionList::new();
        for (t, p) in &new {
            tpl.add_partition(t, *p);
        }
        let committed = match self.group.committed_offsets(tpl, Duration::from_secs(30)) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("cannot read this replication's progress on the destination: {e}");
                return retry(new);
            }
        };
        let n = self.group.context().workers.lock().len();
        let mut per: BTreeMap<usize, Vec<Assignment>> = BTreeMap::new();
        let mut again = Vec::new();
        for (dest, p) in new {
            let Some(src) = self.cfg.source_topic(&dest) else { continue };
            let from = match committed.find_partition(&dest, p).map(|e| e.offset()) {
                Some(Offset::Offset(o)) if o > 0 => o,
                _ => 0,
            };
            let dest_end = match self.dst_meta.fetch_watermarks(&dest, p, Duration::from_secs(10)) {
                Ok((_, high)) => high,
                Err(e) => {
                    tracing::warn!(topic = %dest, partition = p, "cannot read the destination's end: {e}");
                    again.push((dest, p));
                    continue;
                }
            };
            per.entry(route(&src, p, n)).or_default().push(Assignment { topic: src, partition: p, from, dest_end });
        }
        let workers = self.group.context().workers.lock().clone();
        for (w, list) in per {
            if let Some(s) = workers.get(w) {
                let _ = s.send(Command::Assign(list));
            }
        }
        if !again.is_empty() {
            retry(again);
        }
    }

    /// Lag and rate per owned partition; published for `status` and the metrics.
    fn publish(&self, last: &mut BTreeMap<(String, i32), (i64, Instant)>) {
        let mut lag = BTreeMap::new();
        let mut parts = self.shared.snapshot();
        for p in &mut parts {
            if let Ok((_, high)) = self.src_meta.fetch_watermarks(&p.topic, p.partition, Duration::from_secs(2)) {
                p.end = high;
            }
            let key = (p.topic.clone(), p.partition);
            if let Some((prev, at)) = last.get(&key) {
                let secs = at.elapsed().as_secs_f64();
                if secs > 0.0 {
                    p.rate = (p.next - prev).max(0) as f64 / secs;
                }
            }
            last.insert(key.clone(), (p.next, Instant::now()));
            lag.insert(key, (p.end - p.next).max(0));
        }
        let behind: i64 = lag.values().sum();
        if behind > 0 {
            tracing::info!(records_behind = behind, partitions = lag.len(), "catching up with the source");
        }
        *self.metrics.lag.lock() = lag;
        let st = crate::status::InstanceStatus {
            instance: self.instance.clone(),
            host: std::env::var("HOSTNAME").unwrap_or_default(),
            pid: std::process::id(),
            updated_ms: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64),
            partitions: parts,
        };
        if let Ok(v) = serde_json::to_vec(&st) {
            let topic = self.cfg.status_topic();
            let _ = self.status.send(BaseRecord::to(&topic).key(&self.instance).payload(&v));
            self.status.poll(Duration::ZERO);
        }
    }

    /// Coordinate until `stop`; then the workers commit their open batches and the process
    /// leaves the group (its partitions move to the other processes at once).
    pub fn run(mut self, stop: Arc<AtomicBool>) -> anyhow::Result<()> {
        let mut next_refresh = Instant::now();
        let mut next_publish = Instant::now();
        let mut rates = BTreeMap::new();
        while !stop.load(Ordering::Relaxed) {
            if Instant::now() >= next_refresh {
                if let Err(e) = self.refresh() {
                    tracing::warn!("topic refresh failed: {e:#}");
                }
                next_refresh = Instant::now() + self.cfg.refresh_interval;
            }
            if let Some(Err(e)) = self.group.poll(Duration::from_millis(100)) {
                tracing::debug!("destination group: {e}");
            }
            self.start_new();
            if Instant::now() >= next_publish {
                self.publish(&mut rates);
                next_publish = Instant::now() + Duration::from_secs(2);
            }
        }
        let workers = std::mem::take(&mut *self.group.context().workers.lock());
        let mut waits = Vec::new();
        for w in &workers {
            let (tx, rx) = channel();
            if w.send(Command::Stop(tx)).is_ok() {
                waits.push(rx);
            }
        }
        for rx in waits {
            let _ = rx.recv_timeout(Duration::from_secs(120));
        }
        drop(workers);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        self.group.unsubscribe();
        let _ = self.status.flush(Duration::from_secs(5));
        tracing::info!("replication stopped");
        Ok(())
    }
}

/// Create a destination topic of this tool if absent (one partition; compacted or not).
pub async fn ensure_topic(admin: &AdminClient<DefaultClientContext>, t: &str, compact: bool) -> anyhow::Result<()> {
    let mut new = NewTopic::new(t, 1, TopicReplication::Fixed(1));
    if compact {
        new = new.set("cleanup.policy", "compact");
    }
    for r in admin.create_topics([&new], &AdminOptions::new()).await? {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, e)) => anyhow::bail!("cannot create the topic {t} on the destination: {e}"),
        }
    }
    Ok(())
}
