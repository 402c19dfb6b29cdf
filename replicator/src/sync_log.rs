//! The sync log: offset syncs written to the destination (topic `lockstep-offset-syncs.<name>`,
//! one partition, deleted after `offsets.sync_retention_ms`), so that translation stays exact
//! across restarts and when partitions move between processes.
//!
//! Each process writes the [`Journal`] entries of the partitions it copies — at most one entry per
//! partition per second, and all of them when it hands partitions over or stops — and reads
//! the others' entries when it starts and before it takes partitions over. An entry carries the
//! reach of the writer's previous entry for that partition, so a lost entry (a crash before it
//! was written) is seen as a break: the stretch in between translates to its start, re-read,
//! never skipped ([`Syncs::apply`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::syncs::{Journal, Syncs};

/// How often a partition's new anchors are written while it is copied.
const PERSIST_EVERY: Duration = Duration::from_secs(1);

/// One record of the sync log.
#[derive(Serialize, Deserialize)]
struct Entry {
    /// The process that wrote it (its own entries are not read back).
    writer: String,
    #[serde(flatten)]
    journal: Journal,
}

pub struct SyncLog {
    topic: String,
    writer: String,
    syncs: Arc<Syncs>,
    producer: ThreadedProducer<DefaultProducerContext>,
    /// The reader and the next offset it reads.
    reader: parking_lot::Mutex<(BaseConsumer, i64)>,
    /// Serialises drain + send, so one partition's entries are written in order.
    last_sent: parking_lot::Mutex<Instant>,
}

fn client(bootstrap: &str, props: &BTreeMap<String, String>) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap);
    for (k, v) in props {
        c.set(k, v);
    }
    c
}

impl SyncLog {
    /// Create the topic if absent and read what it holds into `syncs`.
    pub async fn open(
        cfg: &Config,
        admin: &AdminClient<DefaultClientContext>,
        syncs: Arc<Syncs>,
        writer: &str,
    ) -> anyhow::Result<SyncLog> {
        let topic = cfg.sync_topic();
        let retention = cfg.sync_retention.as_millis().to_string();
        let segment = (cfg.sync_retention.as_millis() / 6).max(60_000).to_string();
        let new = NewTopic::new(&topic, 1, TopicReplication::Fixed(1))
            .set("cleanup.policy", "delete")
            .set("retention.ms", &retention)
            .set("segment.ms", &segment);
        for r in admin.create_topics([&new], &AdminOptions::new()).await? {
            match r {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((t, e)) => anyhow::bail!("cannot create the offset-sync topic {t} on the destination: {e}"),
            }
        }
        let producer = client(&cfg.destination.bootstrap, &cfg.destination.properties)
            .set("acks", "all")
            .set("enable.idempotence", "true")
            .set("linger.ms", "20")
            .create()
            .context("cannot create the offset-sync producer")?;
        let reader: BaseConsumer = client(&cfg.destination.bootstrap, &cfg.destination.properties)
            .set("group.id", format!("{}-syncs", cfg.progress_group()))
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .create()
            .context("cannot create the offset-sync reader")?;
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&topic, 0, Offset::Beginning)?;
        reader.assign(&tpl)?;
        let log = SyncLog {
            topic,
            writer: writer.to_string(),
            syncs,
            producer,
            reader: parking_lot::Mutex::new((reader, 0)),
            last_sent: parking_lot::Mutex::new(Instant::now()),
        };
        let started = Instant::now();
        let n = tokio::task::block_in_place(|| log.catch_up(Duration::from_secs(60)))?;
        tracing::info!(entries = n, ms = started.elapsed().as_millis() as u64, topic = %log.topic, "offset syncs read");
        Ok(log)
    }

    /// Read the entries written since the last call (by other processes) up to the topic's
    /// current end; how many were read. Blocking.
    pub fn catch_up(&self, timeout: Duration) -> anyhow::Result<usize> {
        let mut guard = self.reader.lock();
        let (reader, next) = &mut *guard;
        let deadline = Instant::now() + timeout;
        // A topic just created may take a moment to show in the metadata.
        let high = loop {
            match reader.fetch_watermarks(&self.topic, 0, Duration::from_secs(10)) {
                Ok((_, high)) => break high,
                Err(e) if Instant::now() < deadline => {
                    tracing::debug!("offset-sync topic {} not readable yet: {e}", self.topic);
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => anyhow::bail!("cannot read the offset-sync topic {}: {e}", self.topic),
            }
        };
        let mut n = 0;
        while *next < high {
            if Instant::now() > deadline {
                anyhow::bail!("reading the offset-sync topic {} timed out at offset {next} of {high}", self.topic);
            }
            match reader.poll(Duration::from_millis(200)) {
                Some(Ok(m)) => {
                    *next = m.offset() + 1;
                    n += 1;
                    let Some(v) = m.payload() else { continue };
                    match serde_json::from_slice::<Entry>(v) {
                        Ok(e) if e.writer != self.writer => self.syncs.apply(&e.journal),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(offset = m.offset(), "unreadable offset-sync entry skipped: {e}"),
                    }
                }
                Some(Err(KafkaError::PartitionEOF(_))) | None => {}
                Some(Err(e)) => anyhow::bail!("reading the offset-sync topic {}: {e}", self.topic),
            }
        }
        Ok(n)
    }

    /// Write the new anchors if the last write is a second old.
    pub fn persist_if_due(&self) {
        let mut last = self.last_sent.lock();
        if last.elapsed() >= PERSIST_EVERY {
            self.send(&mut last);
        }
    }

    /// Write every new anchor and wait until the destination has them (a hand-over, a stop).
    pub fn flush(&self) {
        let mut last = self.last_sent.lock();
        self.send(&mut last);
        if let Err(e) = self.producer.flush(Duration::from_secs(30)) {
            tracing::warn!("offset syncs not all written: {e}");
        }
    }

    fn send(&self, last: &mut Instant) {
        *last = Instant::now();
        for journal in self.syncs.drain() {
            let key = format!("{}|{}", journal.topic, journal.partition);
            let value = match serde_json::to_vec(&Entry { writer: self.writer.clone(), journal }) {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!("offset sync not written: {e}");
                    continue;
                }
            };
            let mut rec = BaseRecord::to(&self.topic).key(&key).payload(&value);
            let give_up = Instant::now() + Duration::from_secs(10);
            loop {
                match self.producer.send(rec) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r))
                        if Instant::now() < give_up =>
                    {
                        rec = r;
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    // A lost entry makes the next one not follow on: safe, only less exact.
                    Err((e, _)) => {
                        tracing::warn!("offset sync not written: {e}");
                        break;
                    }
                }
            }
        }
    }
}
