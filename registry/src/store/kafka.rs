//! The Kafka store: the log is a single-partition compacted topic (`_schemas` by default) in
//! Confluent's exact record format, shared by every Lockstep node on it — and readable from a
//! topic Confluent Schema Registry wrote, which is how users migrate.
//!
//! A node never trusts its own writes: every record, its own included, reaches the state only by
//! being read back from the topic, in topic order (see [`SharedLog`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

use super::record::Key;
use super::{BoxFuture, Loaded, LogRecord, SharedLog, Sink, StoreError};

/// How to reach the topic.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// `host:port[,host:port…]`.
    pub bootstrap: String,
    /// The log topic (Confluent's `kafkastore.topic`, default `_schemas`).
    pub topic: String,
    /// Replication factor when the topic is created (default: min(3, brokers)).
    pub replication_factor: Option<i32>,
    /// Bound on each Kafka operation of a write (produce, end-offset barrier, read-back).
    pub timeout: Duration,
    /// How long start-up may take to reach Kafka and read the topic.
    pub init_timeout: Duration,
    /// Extra librdkafka settings for every client (security: `security.protocol`, `sasl.*`, `ssl.*`).
    pub properties: Vec<(String, String)>,
}

impl KafkaConfig {
    pub fn new(bootstrap: impl Into<String>) -> Self {
        Self {
            bootstrap: bootstrap.into(),
            topic: "_schemas".into(),
            replication_factor: None,
            timeout: Duration::from_secs(10),
            init_timeout: Duration::from_secs(60),
            properties: Vec::new(),
        }
    }

    pub(crate) fn client(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.bootstrap);
        for (k, v) in &self.properties {
            c.set(k, v);
        }
        c
    }
}

/// The `_schemas` topic as a [`SharedLog`].
pub struct KafkaLog {
    config: KafkaConfig,
    producer: FutureProducer,
    /// Taken by [`SharedLog::follow`]; used by [`SharedLog::load`] before that.
    consumer: parking_lot::Mutex<Option<BaseConsumer>>,
    stop: Arc<AtomicBool>,
    /// This process's writer id, carried in a header of every record it produces.
    writer: Arc<str>,
    /// When (ms since `epoch`) the reader last read a record of another writer.
    foreign_at: Arc<AtomicU64>,
    epoch: Instant,
}

/// The header naming the Lockstep process that wrote a record (ignored by other registries).
const WRITER_HEADER: &str = "lockstep-writer";

/// How long after another writer's record a node keeps writing one batch at a time.
const FOREIGN_WINDOW: Duration = Duration::from_secs(3);

fn err(context: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("{context}: {e}"))
}

impl KafkaLog {
    /// Connect, create the topic if absent (one partition, `cleanup.policy=compact`) and refuse a
    /// topic with several partitions or without compaction.
    pub async fn open(config: KafkaConfig) -> Result<Self, StoreError> {
        let timeout_ms = config.timeout.as_millis().to_string();
        let producer: FutureProducer = config
            .client()
            .set("acks", "all")
            // A metadata request must not create the topic with the broker's default (delete) policy.
            .set("allow.auto.create.topics", "false")
            .set("enable.idempotence", "true")
            .set("linger.ms", "0")
            .set("message.timeout.ms", &timeout_ms)
            .set("request.timeout.ms", &timeout_ms)
            .create()
            .map_err(|e| err("cannot create the Kafka producer", e))?;
        let admin: AdminClient<DefaultClientContext> =
            config.client().create().map_err(|e| err("cannot create the Kafka admin client", e))?;
        ensure_topic(&config, &producer, &admin).await?;
        let consumer: BaseConsumer = config
            .client()
            .set("group.id", "lockstep-registry-reader")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "false")
            .set("auto.offset.reset", "earliest")
            .set("fetch.wait.max.ms", "100")
            .set("fetch.min.bytes", "1")
            .create()
            .map_err(|e| err("cannot create the Kafka consumer", e))?;
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&config.topic, 0, Offset::Beginning)
            .map_err(|e| err("cannot assign the log partition", e))?;
        consumer.assign(&tpl).map_err(|e| err("cannot assign the log partition", e))?;
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let writer: Arc<str> = format!("{:x}-{:x}", std::process::id(), nanos).into();
        Ok(Self {
            config,
            producer,
            consumer: parking_lot::Mutex::new(Some(consumer)),
            stop: Arc::default(),
            writer,
            foreign_at: Arc::new(AtomicU64::new(u64::MAX)),
            epoch: Instant::now(),
        })
    }

    fn record(m: &rdkafka::message::BorrowedMessage<'_>) -> Option<(u64, LogRecord)> {
        let offset = u64::try_from(m.offset()).ok()?;
        let Some(key) = m.key() else {
            tracing::warn!(offset, "skipping a log record without a key");
            return None;
        };
        // Karapace marks a permanent delete (and a deleted subject config) with an empty value
        // instead of a Kafka null, and its own reader treats the two alike: so does Lockstep.
        let value = m.payload().filter(|v| !v.is_empty()).map(Into::into);
        Some((offset, LogRecord { key: key.into(), value }))
    }
}

impl Drop for KafkaLog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Did the Lockstep process with writer id `writer` write this record?
fn written_by(m: &rdkafka::message::BorrowedMessage<'_>, writer: &str) -> bool {
    m.headers()
        .is_some_and(|h| h.iter().any(|x| x.key == WRITER_HEADER && x.value.is_some_and(|v| v == writer.as_bytes())))
}

pub(crate) async fn ensure_topic(
    config: &KafkaConfig,
    producer: &FutureProducer,
    admin: &AdminClient<DefaultClientContext>,
) -> Result<(), StoreError> {
    let deadline = Instant::now() + config.init_timeout;
    let topic = config.topic.clone();
    loop {
        let client = producer.clone();
        let t = topic.clone();
        let md = tokio::task::spawn_blocking(move || {
            client.client().fetch_metadata(Some(&t), Duration::from_secs(5)).map(|md| {
                let brokers = md.brokers().len();
                let found = md.topics().iter().find(|x| x.name() == t).map(|x| (x.error(), x.partitions().len()));
                (brokers, found)
            })
        })
        .await
        .map_err(|e| err("metadata task failed", e))?;
        let (brokers, found) = match md {
            Ok(x) => x,
            Err(e) if Instant::now() < deadline => {
                tracing::warn!("waiting for Kafka at {}: {e}", config.bootstrap);
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            Err(e) => return Err(err(&format!("cannot reach Kafka at {}", config.bootstrap), e)),
        };
        match found {
            Some((None, 1)) => break,
            Some((None, n)) if n > 1 => {
                return Err(StoreError(format!(
                    "The schema topic {topic} should have only 1 partition but has {n}: Lockstep (like Confluent \
                     Schema Registry) needs one totally ordered log"
                )))
            }
            _ => {
                let rf = config.replication_factor.unwrap_or_else(|| (brokers.clamp(1, 3)) as i32);
                tracing::info!(topic = %topic, replication_factor = rf, "creating the schema topic");
                let new = NewTopic::new(&topic, 1, TopicReplication::Fixed(rf)).set("cleanup.policy", "compact");
                let res = admin
                    .create_topics([&new], &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))))
                    .await
                    .map_err(|e| err("cannot create the schema topic", e))?;
                for r in res {
                    match r {
                        Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                        Err((_, code)) => return Err(err(&format!("cannot create the schema topic {topic}"), code)),
                    }
                }
                if Instant::now() >= deadline {
                    return Err(StoreError(format!("the schema topic {topic} did not appear in time")));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    let res = admin
        .describe_configs([&ResourceSpecifier::Topic(&topic)], &AdminOptions::new())
        .await
        .map_err(|e| err("cannot read the schema topic's configs", e))?;
    let policy = res
        .into_iter()
        .flatten()
        .flat_map(|r| r.entries)
        .find(|e| e.name == "cleanup.policy")
        .and_then(|e| e.value)
        .unwrap_or_default();
    if !policy.split(',').any(|p| p.trim() == "compact") {
        return Err(StoreError(format!(
            "The retention policy of the schema topic {topic} is incorrect: cleanup.policy is '{policy}', expected \
             'compact' (otherwise schemas are deleted when retention expires)"
        )));
    }
    Ok(())
}

impl SharedLog for KafkaLog {
    fn load(&self) -> BoxFuture<'_, Result<Loaded, StoreError>> {
        Box::pin(async move {
            // Confluent's start-up barrier: write a NOOP and read until it comes back.
            let noop = LogRecord::new(Key::Noop.encode(), None);
            let end = self.produce(vec![noop]).await?.last().copied().unwrap_or(0) + 1;
            let consumer =
                self.consumer.lock().take().ok_or_else(|| StoreError("the log is already being followed".into()))?;
            let deadline = Instant::now() + self.config.init_timeout;
            let topic = self.config.topic.clone();
            let (consumer, result) = tokio::task::spawn_blocking(move || {
                let mut out = Vec::new();
                let mut next = 0;
                while next < end {
                    if Instant::now() > deadline {
                        let e = StoreError(format!(
                            "timed out reading the schema topic {topic} (at offset {next} of {end})"
                        ));
                        return (consumer, Err(e));
                    }
                    match consumer.poll(Duration::from_millis(200)) {
                        Some(Ok(m)) => {
                            next = u64::try_from(m.offset()).unwrap_or(0) + 1;
                            if let Some(r) = Self::record(&m) {
                                out.push(r);
                            }
                        }
                        Some(Err(e)) => tracing::warn!("reading the schema topic: {e}"),
                        None => {}
                    }
                }
                (consumer, Ok((out, next)))
            })
            .await
            .map_err(|e| err("log reader task failed", e))?;
            *self.consumer.lock() = Some(consumer);
            result
        })
    }

    fn follow(&self, from: u64, mut sink: Sink) -> Result<(), StoreError> {
        let consumer =
            self.consumer.lock().take().ok_or_else(|| StoreError("the log is already being followed".into()))?;
        let mut tpl = TopicPartitionList::new();
        let start = i64::try_from(from).map_err(|e| err("bad offset", e))?;
        tpl.add_partition_offset(&self.config.topic, 0, Offset::Offset(start))
            .map_err(|e| err("cannot seek the log partition", e))?;
        consumer.assign(&tpl).map_err(|e| err("cannot seek the log partition", e))?;
        let stop = self.stop.clone();
        let (writer, foreign_at, epoch) = (self.writer.clone(), self.foreign_at.clone(), self.epoch);
        std::thread::Builder::new()
            .name("lockstep-kafka-reader".into())
            .spawn(move || {
                let mut last_error: Option<Instant> = None;
                while !stop.load(Ordering::Relaxed) {
                    let mut batch = Vec::new();
                    let mut next = None;
                    let mut wait = Duration::from_millis(100);
                    while batch.len() < 1000 {
                        match consumer.poll(wait) {
                            Some(Ok(m)) => {
                                next = Some(u64::try_from(m.offset()).unwrap_or(0) + 1);
                                if !written_by(&m, &writer) {
                                    let now = u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
                                    foreign_at.store(now, Ordering::Relaxed);
                                }
                                if let Some(r) = Self::record(&m) {
                                    batch.push(r);
                                }
                                wait = Duration::ZERO;
                            }
                            Some(Err(KafkaError::PartitionEOF(_))) | None => break,
                            Some(Err(e)) => {
                                if last_error.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                                    tracing::warn!("reading the schema topic: {e}");
                                    last_error = Some(Instant::now());
                                }
                                break;
                            }
                        }
                    }
                    if let Some(n) = next {
                        sink(batch, n);
                    }
                }
            })
            .map_err(|e| err("cannot start the log reader", e))?;
        Ok(())
    }

    fn end_offset(&self) -> BoxFuture<'_, Result<u64, StoreError>> {
        let producer = self.producer.clone();
        let topic = self.config.topic.clone();
        let timeout = self.config.timeout;
        Box::pin(async move {
            let (_, high) = tokio::task::spawn_blocking(move || producer.client().fetch_watermarks(&topic, 0, timeout))
                .await
                .map_err(|e| err("end-offset task failed", e))?
                .map_err(|e| err("cannot read the end of the schema topic", e))?;
            Ok(u64::try_from(high).unwrap_or(0))
        })
    }

    fn produce(&self, records: Vec<LogRecord>) -> BoxFuture<'_, Result<Vec<u64>, StoreError>> {
        // Queue every record now (not when the future is first polled): successive calls are
        // in the log in call order.
        let mut pending = Vec::with_capacity(records.len());
        for r in &records {
            let headers = OwnedHeaders::new().insert(Header { key: WRITER_HEADER, value: Some(&*self.writer) });
            let mut rec: FutureRecord<'_, [u8], [u8]> =
                FutureRecord::to(&self.config.topic).partition(0).key(&r.key[..]).headers(headers);
            if let Some(v) = &r.value {
                rec = rec.payload(&v[..]);
            }
            match self.producer.send_result(rec) {
                Ok(fut) => pending.push(fut),
                Err((e, _)) => {
                    let e = err("cannot queue a log record", e);
                    return Box::pin(async move { Err(e) });
                }
            }
        }
        Box::pin(async move {
            let mut offsets = Vec::with_capacity(pending.len());
            for fut in pending {
                match fut.await {
                    Ok(Ok(d)) => offsets.push(u64::try_from(d.offset).unwrap_or(0)),
                    Ok(Err((e, _))) => return Err(err("Kafka did not take a log record", e)),
                    Err(_) => return Err(StoreError("the Kafka producer was closed".into())),
                }
            }
            Ok(offsets)
        })
    }

    fn foreign_recently(&self) -> bool {
        let at = self.foreign_at.load(Ordering::Relaxed);
        at != u64::MAX
            && u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
                < at.saturating_add(FOREIGN_WINDOW.as_millis() as u64)
    }

    fn describe(&self) -> String {
        format!("kafka:{}/{}", self.config.bootstrap, self.config.topic)
    }
}
