//! The replication loop: consume source partitions (rdkafka), pass keys and values through the
//! schema gate, produce to the same partition of the destination topic with key, value, headers
//! and timestamp unchanged plus provenance headers, and record progress — in one transaction per
//! batch (exactly-once: the source offsets are committed in the destination transaction) or
//! after the batch is acknowledged (at-least-once).
//!
//! Progress lives on the destination cluster, in the consumer group `lockstep-replicator-<name>`
//! (keyed by destination topic and partition), so a restart resumes exactly where the last
//! committed batch ended.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context as _};
use rdkafka::admin::AdminClient;
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, DeliveryResult, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

use crate::config::{Config, Delivery};
use crate::gate::{Gate, GateError};
use crate::metrics::Metrics;
use crate::offsets::{Syncs, SYNC_EVERY};
use crate::topics;

/// Header naming the cluster a record was first produced to (kept across hops).
pub const ORIGIN_HEADER: &str = "lockstep.origin";
/// Header naming where this copy came from: `alias/topic/partition/offset`.
pub const SOURCE_HEADER: &str = "lockstep.source";

/// Delivery reports: the newest destination offset per partition, samples for offset syncs,
/// and failures.
struct Tracker {
    syncs: Arc<Syncs>,
    /// (destination topic, partition) → (source offset, destination offset) of the newest delivery.
    latest: parking_lot::Mutex<BTreeMap<(String, i32), (i64, i64)>>,
    failed: parking_lot::Mutex<Option<String>>,
}

impl ClientContext for Tracker {}

impl ProducerContext for Tracker {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, source_offset: usize) {
        match result {
            Ok(m) => {
                let src = source_offset as i64;
                if src % SYNC_EVERY == 0 {
                    self.syncs.record(m.topic(), m.partition(), src, m.offset());
                }
                let mut latest = self.latest.lock();
                match latest.get_mut(&(m.topic().to_string(), m.partition())) {
                    Some(e) => *e = (src, m.offset()),
                    None => {
                        latest.insert((m.topic().to_string(), m.partition()), (src, m.offset()));
                    }
                }
            }
            Err((e, _)) => {
                let mut f = self.failed.lock();
                if f.is_none() {
                    *f = Some(e.to_string());
                }
            }
        }
    }
}

fn client(bootstrap: &str, props: &BTreeMap<String, String>) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap);
    for (k, v) in props {
        c.set(k, v);
    }
    c
}

/// Everything the loop holds.
pub struct Pipeline {
    cfg: Config,
    rt: tokio::runtime::Handle,
    gate: Option<Arc<Gate>>,
    metrics: Arc<Metrics>,
    syncs: Arc<Syncs>,
    /// Source topics replicated, with partition counts (shared with the checkpointer).
    pub topics: Arc<parking_lot::Mutex<BTreeMap<String, usize>>>,
    consumer: BaseConsumer,
    producer: ThreadedProducer<Tracker>,
    /// Destination-side client of the progress group.
    progress: BaseConsumer,
    src_admin: AdminClient<DefaultClientContext>,
    dst_admin: AdminClient<DefaultClientContext>,
    /// (source topic, partition) → next offset to copy, as last committed.
    committed: BTreeMap<(String, i32), i64>,
    /// Offsets reached in the open batch.
    pending: BTreeMap<(String, i32), i64>,
    /// A transaction is open (exactly-once).
    in_txn: bool,
}

impl Pipeline {
    pub async fn open(
        cfg: Config,
        gate: Option<Arc<Gate>>,
        metrics: Arc<Metrics>,
        syncs: Arc<Syncs>,
    ) -> anyhow::Result<Pipeline> {
        let group = cfg.progress_group();
        let consumer: BaseConsumer = client(&cfg.source.bootstrap, &cfg.source.properties)
            .set("group.id", &group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("isolation.level", "read_committed")
            .set("auto.offset.reset", "earliest")
            .set("allow.auto.create.topics", "false")
            .create()
            .context("cannot create the source consumer")?;
        let mut pc = client(&cfg.destination.bootstrap, &cfg.destination.properties);
        pc.set("acks", "all")
            .set("enable.idempotence", "true")
            .set("linger.ms", "5")
            .set("allow.auto.create.topics", "false")
            .set("message.timeout.ms", "120000");
        if cfg.delivery == Delivery::ExactlyOnce {
            // Batches commit every ~50 ms: a transaction left open (a crashed instance's) is aborted
            // by the broker after 10 s rather than holding back read_committed consumers for a minute.
            // A message may not outlive its transaction.
            pc.set("transactional.id", &group)
                .set("transaction.timeout.ms", "10000")
                .set("message.timeout.ms", "10000");
        }
        let tracker =
            Tracker { syncs: syncs.clone(), latest: Default::default(), failed: parking_lot::Mutex::new(None) };
        let producer: ThreadedProducer<Tracker> =
            pc.create_with_context(tracker).context("cannot create the destination producer")?;
        let progress: BaseConsumer = client(&cfg.destination.bootstrap, &cfg.destination.properties)
            .set("group.id", &group)
            .set("enable.auto.commit", "false")
            .set("isolation.level", "read_committed")
            .create()
            .context("cannot create the destination progress client")?;
        let src_admin = client(&cfg.source.bootstrap, &cfg.source.properties).create()?;
        let dst_admin = client(&cfg.destination.bootstrap, &cfg.destination.properties).create()?;
        // Reach both clusters before going on: a clear error instead of silent retries.
        consumer
            .fetch_metadata(None, Duration::from_secs(15))
            .map_err(|e| anyhow!("cannot reach the source cluster at {}: {e}", cfg.source.bootstrap))?;
        progress
            .fetch_metadata(None, Duration::from_secs(15))
            .map_err(|e| anyhow!("cannot reach the destination cluster at {}: {e}", cfg.destination.bootstrap))?;
        if cfg.delivery == Delivery::ExactlyOnce {
            // Fences any earlier instance with the same transactional id (a zombie after kill -9).
            producer.init_transactions(Duration::from_secs(60)).context("cannot initialise transactions")?;
        }
        crate::offsets::ensure_checkpoint_topic(&cfg, &dst_admin).await?;
        Ok(Pipeline {
            rt: tokio::runtime::Handle::current(),
            cfg,
            gate,
            metrics,
            syncs,
            topics: Arc::default(),
            consumer,
            producer,
            progress,
            src_admin,
            dst_admin,
            committed: BTreeMap::new(),
            pending: BTreeMap::new(),
            in_txn: false,
        })
    }

    /// Find new topics and partitions, mirror them, and start copying them.
    fn refresh(&mut self) -> anyhow::Result<()> {
        let selected = topics::selected_topics(&self.consumer, &self.cfg)?;
        self.rt.block_on(topics::mirror(&self.cfg, &selected, &self.progress, &self.src_admin, &self.dst_admin))?;
        let mut new = Vec::new();
        for (t, n) in &selected {
            for p in 0..*n as i32 {
                if !self.committed.contains_key(&(t.clone(), p)) {
                    new.push((t.clone(), p));
                }
            }
        }
        if !new.is_empty() {
            let mut q = TopicPartitionList::new();
            for (t, p) in &new {
                q.add_partition(&self.cfg.destination_topic(t), *p);
            }
            let stored = self
                .progress
                .committed_offsets(q, Duration::from_secs(15))
                .map_err(|e| anyhow!("cannot read this replication's progress on the destination: {e}"))?;
            let mut assign = TopicPartitionList::new();
            for (t, p) in &new {
                let dest = self.cfg.destination_topic(t);
                let at = stored
                    .find_partition(&dest, *p)
                    .and_then(|e| match e.offset() {
                        Offset::Offset(o) => Some(o),
                        _ => None,
                    })
                    .unwrap_or(0);
                assign.add_partition_offset(t, *p, if at > 0 { Offset::Offset(at) } else { Offset::Beginning })?;
                self.committed.insert((t.clone(), *p), at);
                tracing::info!(topic = %t, partition = p, from = at, "replicating partition");
            }
            self.consumer.incremental_assign(&assign).context("cannot assign source partitions")?;
        }
        *self.topics.lock() = selected;
        self.update_lag();
        Ok(())
    }

    fn update_lag(&self) {
        let mut lag = BTreeMap::new();
        for ((t, p), next) in &self.committed {
            if let Ok((_, high)) = self.consumer.fetch_watermarks(t, *p, Duration::from_secs(2)) {
                lag.insert((t.clone(), *p), (high - next).max(0));
            }
        }
        let behind: i64 = lag.values().sum();
        if behind > 0 {
            tracing::info!(records_behind = behind, partitions = lag.len(), "catching up with the source");
        }
        *self.metrics.lag.lock() = lag;
    }

    /// Put every partition back at its last committed offset (after a failed batch).
    fn rewind(&mut self) -> anyhow::Result<()> {
        let mut tpl = TopicPartitionList::new();
        for ((t, p), o) in &self.committed {
            tpl.add_partition_offset(t, *p, if *o > 0 { Offset::Offset(*o) } else { Offset::Beginning })?;
        }
        self.consumer.assign(&tpl).context("cannot rewind the source consumer")?;
        self.pending.clear();
        Ok(())
    }

    fn copy(&self, m: &BorrowedMessage<'_>) -> anyhow::Result<()> {
        let topic = m.topic();
        let partition = m.partition();
        let offset = m.offset();
        let dest_alias = self.cfg.destination.alias.as_bytes();
        let mut has_origin = false;
        if let Some(hs) = m.headers() {
            for h in hs.iter() {
                if h.key == ORIGIN_HEADER {
                    if h.value == Some(dest_alias) {
                        self.metrics.skipped_cycle.fetch_add(1, Ordering::Relaxed);
                        return Ok(());
                    }
                    has_origin = true;
                }
            }
        }
        let patience = Duration::from_secs(300);
        let pass = |bytes: Option<&[u8]>| -> anyhow::Result<Option<Vec<u8>>> {
            match (bytes, &self.gate) {
                (Some(b), Some(g)) => g.pass(&self.rt, b, patience).map_err(|e| match e {
                    GateError::Fatal(m) | GateError::Transient(m) => {
                        anyhow!("record {topic}/{partition}/{offset}: schema gate: {m}")
                    }
                }),
                _ => Ok(None),
            }
        };
        let key2 = pass(m.key())?;
        let value2 = pass(m.payload())?;
        let key = key2.as_deref().or(m.key());
        let value = value2.as_deref().or(m.payload());

        let mut headers = OwnedHeaders::new();
        if let Some(hs) = m.headers() {
            for h in hs.iter().filter(|h| h.key != SOURCE_HEADER) {
                headers = headers.insert(Header { key: h.key, value: h.value });
            }
        }
        if !has_origin {
            headers = headers.insert(Header { key: ORIGIN_HEADER, value: Some(self.cfg.source.alias.as_bytes()) });
        }
        let provenance = format!("{}/{topic}/{partition}/{offset}", self.cfg.source.alias);
        headers = headers.insert(Header { key: SOURCE_HEADER, value: Some(provenance.as_bytes()) });

        let dest = self.cfg.destination_topic(topic);
        let mut record: BaseRecord<'_, [u8], [u8], usize> =
            BaseRecord::with_opaque_to(&dest, offset as usize).partition(partition).headers(headers);
        if let Some(k) = key {
            record = record.key(k);
        }
        if let Some(v) = value {
            record = record.payload(v);
        }
        if let Some(ts) = m.timestamp().to_millis() {
            record = record.timestamp(ts);
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
            self.metrics.observe_latency_ms((now - ts).max(0) as u64);
        }
        let bytes = key.map_or(0, <[u8]>::len) + value.map_or(0, <[u8]>::len);
        let mut unknown_since: Option<Instant> = None;
        loop {
            match self.producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    std::thread::sleep(Duration::from_millis(1));
                }
                // A partition (or topic) just created: wait until the producer's metadata has it.
                Err((
                    KafkaError::MessageProduction(
                        RDKafkaErrorCode::UnknownPartition
                        | RDKafkaErrorCode::UnknownTopic
                        | RDKafkaErrorCode::UnknownTopicOrPartition,
                    ),
                    r,
                )) if unknown_since.is_none_or(|t| t.elapsed() < Duration::from_secs(60)) => {
                    unknown_since.get_or_insert_with(Instant::now);
                    record = r;
                    let _ = self.producer.client().fetch_metadata(Some(&dest), Duration::from_secs(5));
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err((e, _)) => return Err(anyhow!("cannot produce to {dest} partition {partition}: {e}")),
            }
        }
        self.metrics.records.fetch_add(1, Ordering::Relaxed);
        self.metrics.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Make the open batch durable with its progress. Err = the batch was abandoned (rewound).
    fn finish_batch(&mut self) -> anyhow::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut tpl = TopicPartitionList::new();
        for ((t, p), o) in &self.pending {
            tpl.add_partition_offset(&self.cfg.destination_topic(t), *p, Offset::Offset(*o))?;
        }
        let result: anyhow::Result<()> = match self.cfg.delivery {
            Delivery::ExactlyOnce => (|| {
                let cgm = self.consumer.group_metadata().ok_or_else(|| anyhow!("no consumer group metadata"))?;
                self.producer.send_offsets_to_transaction(&tpl, &cgm, Duration::from_secs(30))?;
                self.producer.commit_transaction(Duration::from_secs(60))?;
                Ok(())
            })(),
            Delivery::AtLeastOnce => (|| {
                self.producer.flush(Duration::from_secs(120))?;
                if let Some(e) = self.producer.context().failed.lock().take() {
                    anyhow::bail!("a record was not delivered: {e}");
                }
                self.progress.commit(&tpl, CommitMode::Sync)?;
                Ok(())
            })(),
        };
        self.in_txn = false;
        match result {
            Ok(()) => {
                for ((t, p), o) in std::mem::take(&mut self.pending) {
                    self.committed.insert((t, p), o);
                }
                // A batch end is an exact sync point: the next record of each partition.
                for ((t, p), (src, dst)) in std::mem::take(&mut *self.producer.context().latest.lock()) {
                    self.syncs.record(&t, p, src + 1, dst + 1);
                }
                self.metrics.transactions.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                self.metrics.errors.fetch_add(1, Ordering::Relaxed);
                if self.cfg.delivery == Delivery::ExactlyOnce {
                    let _ = self.producer.abort_transaction(Duration::from_secs(30));
                }
                self.rewind()?;
                Err(e)
            }
        }
    }

    /// Copy until `stop` is set; the open batch is committed before returning.
    pub fn run(mut self, stop: Arc<AtomicBool>) -> anyhow::Result<()> {
        let mut next_refresh = Instant::now();
        loop {
            if Instant::now() >= next_refresh {
                if let Err(e) = self.refresh() {
                    tracing::warn!("topic refresh failed: {e:#}");
                }
                next_refresh = Instant::now() + self.cfg.refresh_interval;
            }
            let deadline = Instant::now() + self.cfg.batch_max;
            let mut n = 0;
            while n < self.cfg.batch_max_records && !stop.load(Ordering::Relaxed) {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                match self.consumer.poll(left) {
                    None => break,
                    Some(Err(e)) => {
                        tracing::warn!("reading the source: {e}");
                        break;
                    }
                    Some(Ok(m)) => {
                        if self.cfg.delivery == Delivery::ExactlyOnce && !self.in_txn {
                            self.producer.begin_transaction().context("cannot begin a transaction")?;
                            self.in_txn = true;
                        }
                        self.copy(&m)?;
                        let reached = ((m.topic().to_string(), m.partition()), m.offset() + 1);
                        drop(m);
                        self.pending.insert(reached.0, reached.1);
                        n += 1;
                    }
                }
            }
            if let Err(e) = self.finish_batch() {
                tracing::warn!("batch abandoned, copying it again: {e:#}");
                std::thread::sleep(Duration::from_millis(500));
            }
            if stop.load(Ordering::Relaxed) {
                if self.in_txn {
                    let _ = self.producer.abort_transaction(Duration::from_secs(30));
                }
                tracing::info!("replication stopped");
                return Ok(());
            }
        }
    }

    pub fn gate(&self) -> Option<&Arc<Gate>> {
        self.gate.as_ref()
    }
}
