//! One copy pipeline: a source consumer (partitions assigned by the coordinator, never a group
//! member itself) and a destination producer. Records go through the loop check and the schema
//! gate and are produced to the same partition of the destination topic with key, value,
//! headers and timestamp unchanged plus provenance headers; progress is committed per batch —
//! in the batch's transaction (exactly-once, fenced by the destination group's generation,
//! KIP-447) or after the batch is acknowledged (at-least-once).
//!
//! A process runs several workers (one per core by default); each partition belongs to one.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context as _};
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerGroupMetadata};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, DeliveryResult, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

use crate::config::{Config, Delivery, Framing, InvalidPolicy};
use crate::gate::{Gate, GateError, Verdict};
use crate::group::{client, GroupCtx, Shared};
use crate::metrics::Metrics;
use crate::sync_log::SyncLog;
use crate::syncs::Syncs;
use crate::wire::Field;

/// Header naming the cluster a record was first produced to (kept across hops).
pub const ORIGIN_HEADER: &str = "lockstep.origin";
/// Header naming where this copy came from: `alias/topic/partition/offset`.
pub const SOURCE_HEADER: &str = "lockstep.source";
/// Dead letters: where the record came from (`alias/topic/partition/offset`) and why.
pub const DLQ_SOURCE_HEADER: &str = "lockstep.dead-letter.source";
pub const DLQ_REASON_HEADER: &str = "lockstep.dead-letter.reason";

const NOT_A_COPY: usize = usize::MAX;

/// A partition to copy: source topic, partition, next source offset, destination position.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub topic: String,
    pub partition: i32,
    pub from: i64,
    pub dest_end: i64,
}

pub enum Command {
    Assign(Vec<Assignment>),
    /// Commit the open batch, then stop copying these partitions; answer when done.
    Revoke(Vec<(String, i32)>, Sender<()>),
    Stop(Sender<()>),
}

/// Destination topic → partition → anchors of the open batch and the last destination offset
/// (nested so that a delivery report finds its entry without allocating).
type BatchAnchors = BTreeMap<String, BTreeMap<i32, (Vec<(i64, i64)>, i64)>>;

/// Delivery reports: anchors of the open batch and failures.
#[derive(Default)]
pub struct Tracker {
    /// (destination topic, partition) → (source offset, destination offset) pairs where the
    /// delta changes, in delivery order; and the last delivered destination offset.
    batch: parking_lot::Mutex<BatchAnchors>,
    failed: parking_lot::Mutex<Option<String>>,
}

impl ClientContext for Tracker {}

impl ProducerContext for Tracker {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, source_offset: usize) {
        match result {
            Ok(m) if source_offset != NOT_A_COPY => {
                let (src, dst) = (source_offset as i64, m.offset());
                let mut b = self.batch.lock();
                if !b.contains_key(m.topic()) {
                    b.insert(m.topic().to_string(), BTreeMap::new());
                }
                let Some(parts) = b.get_mut(m.topic()) else { return };
                let e = parts.entry(m.partition()).or_insert_with(|| (Vec::new(), dst));
                if e.0.last().is_none_or(|(s, d)| d - s != dst - src) {
                    e.0.push((src, dst));
                }
                e.1 = dst;
            }
            Ok(_) => {}
            Err((e, _)) => {
                let mut f = self.failed.lock();
                if f.is_none() {
                    *f = Some(e.to_string());
                }
            }
        }
    }
}

struct Part {
    dest: String,
    framing: Framing,
    /// Next source offset, as last committed.
    next: i64,
    /// Where the next copy lands at the earliest (last delivered + 1).
    dest_end: i64,
    halted: bool,
}

pub struct Worker {
    pub index: usize,
    cfg: Config,
    rt: tokio::runtime::Handle,
    gate: Option<Arc<Gate>>,
    metrics: Arc<Metrics>,
    syncs: Arc<Syncs>,
    sync_log: Option<Arc<SyncLog>>,
    shared: Arc<Shared>,
    group: Arc<BaseConsumer<GroupCtx>>,
    consumer: BaseConsumer,
    producer: ThreadedProducer<Tracker>,
    parts: BTreeMap<(String, i32), Part>,
    /// Source offsets reached in the open batch.
    pending: BTreeMap<(String, i32), i64>,
    in_txn: bool,
}

impl Worker {
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        index: usize,
        instance: &str,
        cfg: Config,
        gate: Option<Arc<Gate>>,
        metrics: Arc<Metrics>,
        syncs: Arc<Syncs>,
        sync_log: Option<Arc<SyncLog>>,
        shared: Arc<Shared>,
        group: Arc<BaseConsumer<GroupCtx>>,
    ) -> anyhow::Result<Worker> {
        // A group id is needed to assign partitions; this client never joins or commits.
        let mut cc = client(&cfg.source.bootstrap, &cfg.source.properties);
        // Fetches wait up to 10 ms for 1 MiB rather than answering with every few records: a
        // steady low-rate stream otherwise costs the source broker a fetch per round trip (at
        // 5,000 records/s it took 75-80 % of a core; 30 % with these, and p99 latency fell).
        // `[source.properties]` overrides them.
        for (k, v) in [("fetch.wait.max.ms", "10"), ("fetch.min.bytes", "1048576")] {
            if !cfg.source.properties.contains_key(k) {
                cc.set(k, v);
            }
        }
        let consumer: BaseConsumer = cc
            .set("group.id", cfg.progress_group())
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
            // A transaction left open by a crashed process is aborted by the broker after 10 s,
            // not a minute; a message may not outlive its transaction.
            pc.set("transactional.id", format!("{}-{instance}-{index}", cfg.progress_group()))
                .set("transaction.timeout.ms", "10000")
                .set("message.timeout.ms", "10000");
        }
        let producer: ThreadedProducer<Tracker> =
            pc.create_with_context(Tracker::default()).context("cannot create the destination producer")?;
        if cfg.delivery == Delivery::ExactlyOnce {
            producer.init_transactions(Duration::from_secs(60)).context("cannot initialise transactions")?;
        }
        Ok(Worker {
            index,
            rt: tokio::runtime::Handle::current(),
            cfg,
            gate,
            metrics,
            syncs,
            sync_log,
            shared,
            group,
            consumer,
            producer,
            parts: BTreeMap::new(),
            pending: BTreeMap::new(),
            in_txn: false,
        })
    }

    /// Assign the source consumer every partition not halted, at its committed offset.
    fn reassign(&mut self) -> anyhow::Result<()> {
        let mut tpl = TopicPartitionList::new();
        for ((t, p), part) in &self.parts {
            if !part.halted {
                tpl.add_partition_offset(t, *p, Offset::Offset(part.next))?;
            }
        }
        self.consumer.assign(&tpl).context("cannot assign source partitions")?;
        self.pending.clear();
        Ok(())
    }

    fn command(&mut self, cmd: Command) -> anyhow::Result<bool> {
        match cmd {
            Command::Assign(list) => {
                for a in list {
                    tracing::info!(topic = %a.topic, partition = a.partition, from = a.from, worker = self.index, "replicating partition");
                    let dest = self.cfg.destination_topic(&a.topic);
                    // A start anchor: copies of `from` on land at or after the destination's end.
                    self.syncs.restart(&dest, a.partition, a.from, a.dest_end);
                    self.shared.assigned(&a.topic, a.partition, a.from, self.index);
                    let framing = self.cfg.framing(&a.topic);
                    self.parts.insert(
                        (a.topic, a.partition),
                        Part { dest, framing, next: a.from, dest_end: a.dest_end, halted: false },
                    );
                }
                self.reassign()?;
            }
            Command::Revoke(list, done) => {
                if let Err(e) = self.finish_batch() {
                    tracing::warn!("batch abandoned at a rebalance: {e:#}");
                    self.abandon();
                }
                // The next owner reads these before it starts.
                if let Some(log) = &self.sync_log {
                    log.flush();
                }
                for tp in &list {
                    if self.parts.remove(tp).is_some() {
                        self.shared.revoked(&tp.0, tp.1);
                        tracing::info!(topic = %tp.0, partition = tp.1, worker = self.index, "partition handed over");
                    }
                }
                self.reassign()?;
                let _ = done.send(());
            }
            Command::Stop(done) => {
                if let Err(e) = self.finish_batch() {
                    tracing::warn!("last batch abandoned: {e:#}");
                    self.abandon();
                }
                if let Some(log) = &self.sync_log {
                    log.flush();
                }
                let _ = done.send(());
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Copy until told to stop.
    pub fn run(mut self, rx: Receiver<Command>) {
        loop {
            // Commands between batches (nothing is pending here).
            let idle = self.parts.values().all(|p| p.halted);
            let first = if idle {
                match rx.recv_timeout(Duration::from_millis(200)) {
                    Ok(c) => Some(c),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            } else {
                rx.try_recv().ok()
            };
            let mut cmds: Vec<Command> = first.into_iter().collect();
            cmds.extend(rx.try_iter());
            for c in cmds {
                match self.command(c) {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => tracing::error!(worker = self.index, "{e:#}"),
                }
            }
            if idle {
                continue;
            }
            if let Err(e) = self.batch() {
                self.metrics.errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(worker = self.index, "batch abandoned, copying it again: {e:#}");
                self.abandon();
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }

    fn batch(&mut self) -> anyhow::Result<()> {
        let start = Instant::now();
        let mut deadline = start + self.cfg.batch_max;
        let stretch_until = start + self.cfg.batch_stretch_max();
        let mut n = 0;
        let mut halted = false;
        let mut key: (String, i32) = (String::new(), -1);
        while n < self.cfg.batch_max_records {
            let mut left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                // Exactly-once: while more records wait at the source than this batch holds,
                // the transaction stays open (up to a cap) rather than paying a commit per
                // short batch; a copy that keeps up commits every `batch_max`.
                let now = Instant::now();
                if now >= stretch_until || self.backlog() <= n as i64 {
                    break;
                }
                deadline = (now + self.cfg.batch_max).min(stretch_until);
                left = deadline - now;
                self.metrics.stretched.fetch_add(1, Ordering::Relaxed);
            }
            match self.consumer.poll(left) {
                None => break,
                Some(Err(e)) => {
                    tracing::warn!("reading the source: {e}");
                    break;
                }
                Some(Ok(m)) => {
                    // Reused from record to record: no allocation per record.
                    if key.1 != m.partition() || key.0 != m.topic() {
                        key.0.clear();
                        key.0.push_str(m.topic());
                        key.1 = m.partition();
                    }
                    if self.parts.get(&key).is_none_or(|p| p.halted) {
                        continue;
                    }
                    if self.cfg.delivery == Delivery::ExactlyOnce && !self.in_txn {
                        self.producer.begin_transaction().context("cannot begin a transaction")?;
                        self.in_txn = true;
                    }
                    let offset = m.offset();
                    if self.copy(&m, &key)? {
                        match self.pending.get_mut(&key) {
                            Some(next) => *next = offset + 1,
                            None => {
                                self.pending.insert(key.clone(), offset + 1);
                            }
                        }
                    } else if let Some(p) = self.parts.get_mut(&key) {
                        p.halted = true;
                        halted = true;
                    }
                    n += 1;
                }
            }
        }
        self.finish_batch()?;
        if let Some(log) = &self.sync_log {
            log.persist_if_due();
        }
        if halted {
            self.reassign()?;
        }
        Ok(())
    }

    /// Records waiting at the source past this batch's position, from the high watermarks the
    /// consumer's last fetch responses carried (no request is made).
    fn backlog(&self) -> i64 {
        self.pending
            .iter()
            .map(|((t, p), next)| cached_high_watermark(&self.consumer, t, *p).map_or(0, |h| (h - next).max(0)))
            .sum()
    }

    /// Copy one record; false when its partition was halted at it.
    fn copy(&self, m: &BorrowedMessage<'_>, key: &(String, i32)) -> anyhow::Result<bool> {
        let (topic, partition, offset) = (m.topic(), m.partition(), m.offset());
        let Some(part) = self.parts.get(key) else { return Ok(false) };
        let dest_alias = self.cfg.destination.alias.as_bytes();
        let mut has_origin = false;
        // librdkafka parses a record's headers on each call (allocating when it has none): once.
        let in_headers = m.headers();
        let all_headers = || in_headers.into_iter().flat_map(|hs| hs.iter());
        let header = |name: &str| all_headers().find(|h| h.key == name).and_then(|h| h.value);
        if let Some(o) = header(ORIGIN_HEADER) {
            if o == dest_alias {
                self.metrics.skipped_cycle.fetch_add(1, Ordering::Relaxed);
                return Ok(true);
            }
            has_origin = true;
        }
        // The gate, for each framed field.
        let mut verdicts = [Verdict::Keep, Verdict::Keep];
        let mut invalid = None;
        if let Some(g) = &self.gate {
            for (i, (field, bytes, framed)) in
                [(Field::Key, m.key(), part.framing.key), (Field::Value, m.payload(), part.framing.value)]
                    .into_iter()
                    .enumerate()
            {
                let Some(bytes) = bytes.filter(|b| framed && !b.is_empty()) else { continue };
                match g.check(&self.rt, bytes, header(field.header()), part.framing.context, Duration::from_secs(300)) {
                    Ok(Verdict::Invalid(why)) => invalid = Some(format!("{field:?}: {why}").to_lowercase()),
                    Ok(v) => verdicts[i] = v,
                    Err(GateError::Fatal(why)) => {
                        return self.halt(topic, partition, offset, &format!("schema gate: {why}"));
                    }
                    Err(GateError::Transient(why)) => {
                        anyhow::bail!("record {topic}/{partition}/{offset}: schema gate: {why}")
                    }
                }
            }
        }
        let provenance = format!("{}/{topic}/{partition}/{offset}", self.cfg.source.alias);
        if let Some(why) = invalid {
            match part.framing.on_invalid {
                // The invalid field is copied as it is; a valid one keeps its rewrite.
                InvalidPolicy::Pass => {
                    self.metrics.invalid_passed.fetch_add(1, Ordering::Relaxed);
                }
                InvalidPolicy::Stop => return self.halt(topic, partition, offset, &why),
                InvalidPolicy::DeadLetter => {
                    let mut headers = OwnedHeaders::new();
                    for h in all_headers() {
                        headers = headers.insert(Header { key: h.key, value: h.value });
                    }
                    headers = headers
                        .insert(Header { key: DLQ_SOURCE_HEADER, value: Some(provenance.as_bytes()) })
                        .insert(Header { key: DLQ_REASON_HEADER, value: Some(why.as_bytes()) });
                    let mut r: BaseRecord<'_, [u8], [u8], usize> =
                        BaseRecord::with_opaque_to(&self.cfg.dead_letter_topic, NOT_A_COPY).headers(headers);
                    if let Some(k) = m.key() {
                        r = r.key(k);
                    }
                    if let Some(v) = m.payload() {
                        r = r.payload(v);
                    }
                    if let Some(ts) = m.timestamp().to_millis() {
                        r = r.timestamp(ts);
                    }
                    self.send(r, &self.cfg.dead_letter_topic, -1)?;
                    self.metrics.dead_lettered.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(%topic, partition, offset, reason = %why, "record written to the dead-letter topic");
                    return Ok(true);
                }
            }
        }
        let key = match &verdicts[0] {
            Verdict::Payload(b) => Some(b.as_slice()),
            _ => m.key(),
        };
        let value = match &verdicts[1] {
            Verdict::Payload(b) => Some(b.as_slice()),
            _ => m.payload(),
        };
        let mut headers = OwnedHeaders::new();
        for h in all_headers().filter(|h| h.key != SOURCE_HEADER) {
            let value = match (&verdicts, h.key) {
                ([Verdict::Header(b), _], k) if k == Field::Key.header() => Some(b.as_slice()),
                ([_, Verdict::Header(b)], k) if k == Field::Value.header() => Some(b.as_slice()),
                _ => h.value,
            };
            headers = headers.insert(Header { key: h.key, value });
        }
        if !has_origin {
            headers = headers.insert(Header { key: ORIGIN_HEADER, value: Some(self.cfg.source.alias.as_bytes()) });
        }
        headers = headers.insert(Header { key: SOURCE_HEADER, value: Some(provenance.as_bytes()) });
        let mut record: BaseRecord<'_, [u8], [u8], usize> =
            BaseRecord::with_opaque_to(&part.dest, offset as usize).partition(partition).headers(headers);
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
        self.send(record, &part.dest, partition)?;
        self.metrics.records.fetch_add(1, Ordering::Relaxed);
        self.metrics.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        Ok(true)
    }

    /// Halt one partition at a record: logged, in the metrics and the status; others go on.
    fn halt(&self, topic: &str, partition: i32, offset: i64, why: &str) -> anyhow::Result<bool> {
        tracing::error!(%topic, partition, offset, reason = %why, "partition stopped at this record (on_invalid = \"stop\" or a schema conflict); other partitions go on");
        self.metrics.halted.lock().insert((topic.to_string(), partition), (offset, why.to_string()));
        self.shared.halted(topic, partition, offset, why);
        Ok(false)
    }

    fn send(&self, mut record: BaseRecord<'_, [u8], [u8], usize>, dest: &str, partition: i32) -> anyhow::Result<()> {
        let mut unknown_since: Option<Instant> = None;
        loop {
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
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
                    let _ = self.producer.client().fetch_metadata(Some(dest), Duration::from_secs(5));
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err((e, _)) => return Err(anyhow!("cannot produce to {dest} partition {partition}: {e}")),
            }
        }
    }

    fn group_metadata(&self) -> anyhow::Result<ConsumerGroupMetadata> {
        self.group.group_metadata().ok_or_else(|| anyhow!("no consumer group metadata"))
    }

    /// Make the open batch durable with its progress. Err = the batch must be abandoned.
    fn finish_batch(&mut self) -> anyhow::Result<()> {
        if self.pending.is_empty() && !self.in_txn {
            return Ok(());
        }
        let mut tpl = TopicPartitionList::new();
        for ((t, p), o) in &self.pending {
            tpl.add_partition_offset(&self.cfg.destination_topic(t), *p, Offset::Offset(*o))?;
        }
        match self.cfg.delivery {
            Delivery::ExactlyOnce => {
                if !self.pending.is_empty() {
                    let cgm = self.group_metadata()?;
                    self.producer.send_offsets_to_transaction(&tpl, &cgm, Duration::from_secs(30))?;
                }
                self.producer.commit_transaction(Duration::from_secs(60))?;
                self.in_txn = false;
            }
            Delivery::AtLeastOnce => {
                self.producer.flush(Duration::from_secs(120))?;
                if let Some(e) = self.producer.context().failed.lock().take() {
                    anyhow::bail!("a record was not delivered: {e}");
                }
                if !self.pending.is_empty() {
                    self.group.commit(&tpl, CommitMode::Sync)?;
                }
            }
        }
        // Committed: record the anchors of the batch and its end, then move on.
        let batch = std::mem::take(&mut *self.producer.context().batch.lock());
        for ((t, p), o) in std::mem::take(&mut self.pending) {
            let Some(part) = self.parts.get_mut(&(t.clone(), p)) else { continue };
            if let Some((anchors, last)) = batch.get(&part.dest).and_then(|b| b.get(&p)) {
                for (s, d) in anchors {
                    self.syncs.record(&part.dest, p, *s, *d);
                }
                part.dest_end = last + 1;
            }
            self.syncs.record(&part.dest, p, o, part.dest_end);
            part.next = o;
            self.shared.committed(&t, p, o);
        }
        self.metrics.transactions.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// After a failed batch: abort it, forget its anchors, rewind to the committed offsets.
    fn abandon(&mut self) {
        if self.in_txn {
            let _ = self.producer.abort_transaction(Duration::from_secs(30));
            self.in_txn = false;
        }
        self.producer.context().batch.lock().clear();
        if let Err(e) = self.reassign() {
            tracing::error!(worker = self.index, "{e:#}");
        }
    }
}

/// The high watermark of a partition as last seen in a fetch response (librdkafka's cache;
/// the rdkafka crate wraps only the fetching variant, which asks the broker).
fn cached_high_watermark(consumer: &BaseConsumer, topic: &str, partition: i32) -> Option<i64> {
    let topic = std::ffi::CString::new(topic).ok()?;
    let (mut low, mut high) = (-1i64, -1i64);
    // SAFETY: the client handle lives as long as `consumer`; the topic is a valid C string for
    // the call; low/high are written by the call and read after it.
    let err = unsafe {
        rdkafka::bindings::rd_kafka_get_watermark_offsets(
            consumer.client().native_ptr(),
            topic.as_ptr(),
            partition,
            &mut low,
            &mut high,
        )
    };
    (err == rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0).then_some(high)
}
