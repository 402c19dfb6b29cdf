//! Several registry nodes on one Kafka store: one elected leader for the work that must run once
//! per cluster (exporters), and a small compacted coordination topic (`<topic>-lockstep` by
//! default, one partition) that holds that work's configuration and state.
//!
//! - **Election** ([`election`]): every node joins one consumer group on the coordination topic;
//!   the member assigned its partition leads.
//! - **Fencing**: the leader writes through a transactional producer whose `transactional.id` is
//!   the same on every node. A new leader's `init_transactions` bumps the producer epoch at the
//!   broker, so the old leader's next write fails (fenced) and it steps down. On top of that every
//!   leader write carries the leader's epoch (one more than the last `LEADER` record's), and
//!   readers ignore a leader write whose epoch is older than the newest `LEADER` record.
//! - **Lease**: the leader rewrites its `LEADER` record every third of the session timeout, so a
//!   paused leader that resumes learns at once that it was replaced.
//!
//! The coordination records are not in `_schemas`: Confluent's reader fails on a key type it does
//! not know, and a topic shared with Confluent or Karapace during a takeover must stay readable
//! to them.

pub mod election;
pub mod forward;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, FutureProducer, FutureRecord, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch, Notify};

use crate::store::kafka::KafkaConfig;
use election::GroupEvent;

/// Settings of the coordination (environment: `LOCKSTEP_CLUSTER_TOPIC`,
/// `LOCKSTEP_LEADER_SESSION_TIMEOUT_MS`, `LOCKSTEP_ADVERTISED_URL`, `LOCKSTEP_CLUSTER_CA_FILE`).
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// How other nodes reach this one (forwarded writes go to the leader's); default: the
    /// listener's address, with the host name when it listens on every interface.
    pub advertised_url: Option<String>,
    /// PEM certificates trusted, besides the system's roots, when a follower forwards a write to
    /// an `https` leader.
    pub ca_pem: Option<Vec<u8>>,
    /// The coordination topic; default `<log topic>-lockstep`.
    pub topic: Option<String>,
    /// A leader that does not heartbeat for this long loses the leadership (Kafka's
    /// `session.timeout.ms`; the broker allows 6 s to 300 s by default).
    pub session_timeout: Duration,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self { advertised_url: None, ca_pem: None, topic: None, session_timeout: Duration::from_secs(10) }
    }
}

impl ClusterOptions {
    /// From `LOCKSTEP_CLUSTER_TOPIC` and `LOCKSTEP_LEADER_SESSION_TIMEOUT_MS`.
    pub fn from_env() -> anyhow::Result<Self> {
        let mut o = Self {
            topic: std::env::var("LOCKSTEP_CLUSTER_TOPIC").ok().filter(|t| !t.is_empty()),
            ..Default::default()
        };
        if let Ok(v) = std::env::var("LOCKSTEP_LEADER_SESSION_TIMEOUT_MS") {
            let ms: u64 = v.trim().parse().ok().filter(|ms| *ms >= 1000).ok_or_else(|| {
                anyhow::anyhow!("LOCKSTEP_LEADER_SESSION_TIMEOUT_MS must be a number of ms ≥ 1000, not '{v}'")
            })?;
            o.session_timeout = Duration::from_millis(ms);
        }
        if let Ok(url) = std::env::var("LOCKSTEP_ADVERTISED_URL") {
            let url = url.trim().trim_end_matches('/').to_string();
            let ok = reqwest::Url::parse(&url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
            if !ok {
                anyhow::bail!("LOCKSTEP_ADVERTISED_URL must be an http:// or https:// URL, not '{url}'");
            }
            o.advertised_url = Some(url);
        }
        if let Ok(path) = std::env::var("LOCKSTEP_CLUSTER_CA_FILE") {
            let pem = std::fs::read(&path)
                .map_err(|e| anyhow::anyhow!("cannot read LOCKSTEP_CLUSTER_CA_FILE {path}: {e}"))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| anyhow::anyhow!("LOCKSTEP_CLUSTER_CA_FILE {path} is not PEM certificates: {e}"))?;
            if certs.is_empty() {
                anyhow::bail!("LOCKSTEP_CLUSTER_CA_FILE {path} holds no certificate");
            }
            o.ca_pem = Some(pem);
        }
        Ok(o)
    }
}

/// This node's part.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Leadership {
    pub leader: bool,
    /// The epoch this node leads with (0 when it never led).
    pub epoch: u64,
}

/// The newest `LEADER` record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderRecord {
    pub epoch: u64,
    pub node: String,
    pub ts: u64,
}

/// One coordination record as read.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The epoch of the leader that wrote it (None: written by any node, unfenced).
    pub epoch: Option<u64>,
    pub value: Value,
}

/// The coordination topic as read so far (compacted: the last value per key).
#[derive(Debug, Clone, Default)]
pub struct View {
    pub entries: BTreeMap<String, Entry>,
    /// The offset after the last record read.
    pub next: u64,
    pub leader: Option<LeaderRecord>,
    /// When this node last read a `LEADER` record (the lease's renewal, as seen here).
    pub leader_read_at: Option<Instant>,
    /// Leader writes ignored because a newer leader had taken over.
    pub stale_ignored: u64,
}

const LEADER_KEY: &str = r#"{"keytype":"LEADER"}"#;
const BARRIER_KEY: &str = r#"{"keytype":"BARRIER"}"#;

/// A coordination key: `{"keytype":KIND,"name":NAME}`.
pub fn key(kind: &str, name: &str) -> String {
    json!({ "keytype": kind, "name": name }).to_string()
}

impl View {
    fn apply(&mut self, key: &str, value: Option<&[u8]>) {
        let Some(bytes) = value.filter(|v| !v.is_empty()) else {
            self.entries.remove(key);
            return;
        };
        let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
            tracing::warn!(key, "coordination topic: skipping a record that is not JSON");
            return;
        };
        let (epoch, value) = match (v.get("lockstepEpoch").and_then(Value::as_u64), v.get("value")) {
            (Some(e), Some(inner)) => (Some(e), inner.clone()),
            _ => (None, v),
        };
        let newest = self.leader.as_ref().map_or(0, |l| l.epoch);
        if let Some(e) = epoch {
            if e < newest {
                self.stale_ignored += 1;
                tracing::warn!(key, epoch = e, newest, "ignoring a write of a replaced leader");
                return;
            }
        }
        if key == LEADER_KEY {
            match serde_json::from_value::<LeaderRecord>(value.clone()) {
                Ok(l) => {
                    self.leader = Some(l);
                    self.leader_read_at = Some(Instant::now());
                }
                Err(e) => tracing::warn!("coordination topic: bad LEADER record: {e}"),
            }
        }
        self.entries.insert(key.to_string(), Entry { epoch, value });
    }
}

/// One node's membership in the cluster.
pub struct Cluster {
    kafka: KafkaConfig,
    topic: String,
    node: String,
    session_timeout: Duration,
    ca_pem: Option<Vec<u8>>,
    producer: FutureProducer,
    view: watch::Sender<Arc<View>>,
    leadership: watch::Sender<Leadership>,
    /// The transactional producer while this node leads.
    txn: parking_lot::Mutex<Option<Arc<ThreadedProducer<rdkafka::producer::DefaultProducerContext>>>>,
    /// Leader writes waiting for the next transaction (the newest value per key).
    pending: parking_lot::Mutex<BTreeMap<String, Option<Value>>>,
    wake: Notify,
    stop: Arc<AtomicBool>,
    /// Leader writes refused because another leader fenced this one.
    fenced: AtomicU64,
    /// Times this node became the leader.
    elected: AtomicU64,
    /// Serializes this node's check-then-write sequences on the coordination topic.
    writes: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").field("topic", &self.topic).field("node", &self.node).finish()
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

fn is_fencing(e: &KafkaError) -> bool {
    match e {
        KafkaError::Transaction(r) => {
            r.is_fatal()
                || matches!(
                    r.code(),
                    RDKafkaErrorCode::Fenced
                        | RDKafkaErrorCode::ProducerFenced
                        | RDKafkaErrorCode::InvalidProducerEpoch
                )
        }
        other => matches!(
            other.rdkafka_error_code(),
            Some(RDKafkaErrorCode::Fenced | RDKafkaErrorCode::ProducerFenced | RDKafkaErrorCode::InvalidProducerEpoch)
        ),
    }
}

impl Cluster {
    /// Create the coordination topic if absent, read it to the end, join the election. `node` is
    /// this node's URL (shown as the leader's).
    pub async fn open(
        kafka: KafkaConfig,
        options: ClusterOptions,
        node: String,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> anyhow::Result<Arc<Cluster>> {
        let topic = options.topic.clone().unwrap_or_else(|| format!("{}-lockstep", kafka.topic));
        let producer: FutureProducer = kafka
            .client()
            .set("acks", "all")
            .set("allow.auto.create.topics", "false")
            .set("enable.idempotence", "true")
            .set("linger.ms", "0")
            .set("message.timeout.ms", kafka.timeout.as_millis().to_string())
            .create()?;
        let admin: AdminClient<DefaultClientContext> = kafka.client().create()?;
        let mut topic_config = kafka.clone();
        topic_config.topic = topic.clone();
        crate::store::kafka::ensure_topic(&topic_config, &producer, &admin).await?;
        let cluster = Arc::new(Cluster {
            topic: topic.clone(),
            node,
            session_timeout: options.session_timeout,
            ca_pem: options.ca_pem.clone(),
            producer,
            view: watch::Sender::new(Arc::default()),
            leadership: watch::Sender::new(Leadership::default()),
            txn: parking_lot::Mutex::new(None),
            pending: parking_lot::Mutex::new(BTreeMap::new()),
            wake: Notify::new(),
            stop: Arc::default(),
            fenced: AtomicU64::new(0),
            elected: AtomicU64::new(0),
            writes: tokio::sync::Mutex::new(()),
            kafka,
        });
        cluster.follow()?;
        // No read barrier here: a leader killed inside a transaction holds back read_committed
        // readers until the next leader's `init_transactions` aborts it (or it times out), and that
        // next leader may be this very node. The leader reads to the end before it acts; callers
        // that need the whole topic use `sync`.
        let (tx, rx) = mpsc::unbounded_channel();
        election::spawn(
            cluster.kafka.client(),
            &topic,
            &format!("lockstep-leader-{topic}"),
            options.session_timeout,
            tx,
            cluster.stop.clone(),
        )?;
        tokio::spawn(cluster.clone().lead(rx));
        // `lockstep_registry_leader` follows this node's part.
        let mut part = cluster.leadership();
        tokio::spawn(async move {
            loop {
                metrics.set_leader(part.borrow_and_update().leader);
                if part.changed().await.is_err() {
                    return;
                }
            }
        });
        tracing::info!(topic = %topic, "joined the leader election");
        Ok(cluster)
    }

    /// The coordination topic's name.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// This node's part, as it changes.
    pub fn leadership(&self) -> watch::Receiver<Leadership> {
        self.leadership.subscribe()
    }

    pub fn is_leader(&self) -> bool {
        self.leadership.borrow().leader
    }

    /// Extra trusted certificates for forwarding to an `https` leader.
    pub fn ca_pem(&self) -> Option<&[u8]> {
        self.ca_pem.as_deref()
    }

    /// This node's URL (as other nodes reach it).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The URL of the node writes go to: None when this node leads, when no leader is known, or
    /// when the leader's lease has not been renewed for two session timeouts.
    pub fn leader_url(&self) -> Option<String> {
        if self.is_leader() {
            return None;
        }
        let view = self.view.borrow();
        let l = view.leader.as_ref()?;
        let fresh = view.leader_read_at.is_some_and(|t| t.elapsed() < self.session_timeout * 2);
        (fresh && l.node != self.node).then(|| l.node.clone())
    }

    /// The coordination records, as they change.
    pub fn view(&self) -> watch::Receiver<Arc<View>> {
        self.view.subscribe()
    }

    /// Write what the leader still has queued (2 s at most), then leave the election (another
    /// node takes over at once) and stop reading.
    pub async fn leave(&self) {
        let deadline = Instant::now() + Duration::from_secs(2);
        while self.is_leader() && !self.pending.lock().is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.shutdown();
    }

    /// Leave the election (another node takes over at once) and stop reading.
    pub fn shutdown(&self) {
        self.step_down("shutting down");
        self.stop.store(true, Ordering::Relaxed);
    }

    fn follow(self: &Arc<Self>) -> anyhow::Result<()> {
        let consumer: BaseConsumer = self
            .kafka
            .client()
            .set("group.id", format!("lockstep-cluster-reader-{}", self.topic))
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("isolation.level", "read_committed")
            .set("fetch.wait.max.ms", "50")
            .create()?;
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&self.topic, 0, Offset::Beginning)?;
        consumer.assign(&tpl)?;
        let me = Arc::downgrade(self);
        let stop = self.stop.clone();
        std::thread::Builder::new().name("lockstep-cluster-reader".into()).spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let mut batch = Vec::new();
                let mut wait = Duration::from_millis(100);
                while batch.len() < 500 {
                    match consumer.poll(wait) {
                        Some(Ok(m)) => {
                            let key = m.key().map(|k| String::from_utf8_lossy(k).into_owned());
                            batch.push((m.offset(), key, m.payload().map(<[u8]>::to_vec)));
                            wait = Duration::ZERO;
                        }
                        Some(Err(e)) => {
                            tracing::debug!("reading the coordination topic: {e}");
                            break;
                        }
                        None => break,
                    }
                }
                if batch.is_empty() {
                    continue;
                }
                let Some(me) = me.upgrade() else { return };
                me.view.send_modify(|v| {
                    let v = Arc::make_mut(v);
                    for (offset, key, value) in batch {
                        if let Some(k) = key {
                            v.apply(&k, value.as_deref());
                        }
                        v.next = u64::try_from(offset).unwrap_or(0) + 1;
                    }
                });
            }
        })?;
        Ok(())
    }

    /// How long a read-back may take: past a dead leader's open transaction, which the next
    /// leader aborts within about a session timeout.
    fn read_back_timeout(&self) -> Duration {
        self.kafka.timeout.max(self.session_timeout * 3)
    }

    /// Wait until the view holds everything before `offset`'s record (and that record).
    pub async fn wait_applied(&self, offset: u64) -> anyhow::Result<()> {
        let mut rx = self.view.subscribe();
        let wait = async { rx.wait_for(|v| v.next > offset).await.is_ok() };
        let ok = tokio::time::timeout(self.read_back_timeout(), wait).await.unwrap_or(false);
        if !ok {
            anyhow::bail!("timed out reading the coordination topic {} up to offset {offset}", self.topic);
        }
        Ok(())
    }

    /// Write a record from any node (unfenced: configuration that users change on any node) and
    /// wait until this node has read it back.
    pub async fn put(&self, key: String, value: Option<Value>) -> anyhow::Result<u64> {
        let payload = value.map(|v| v.to_string());
        let mut rec: FutureRecord<'_, str, str> = FutureRecord::to(&self.topic).partition(0).key(&key);
        if let Some(p) = &payload {
            rec = rec.payload(p);
        }
        let delivery = self
            .producer
            .send(rec, self.kafka.timeout)
            .await
            .map_err(|(e, _)| anyhow::anyhow!("cannot write to the coordination topic {}: {e}", self.topic))?;
        let offset = u64::try_from(delivery.offset).unwrap_or(0);
        self.wait_applied(offset).await?;
        Ok(offset)
    }

    /// A turn for a check-then-write sequence (e.g. "no exporter of this name, so create it"):
    /// with writes forwarded to the leader, the leader's turns order them across the cluster.
    pub async fn write_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writes.lock().await
    }

    /// Read the topic to its current end (a barrier record, as the log store's start-up does).
    pub async fn sync(&self) -> anyhow::Result<()> {
        self.barrier().await
    }

    async fn barrier(&self) -> anyhow::Result<()> {
        self.put(BARRIER_KEY.to_string(), None).await.map(|_| ())
    }

    /// Queue a leader write (the newest value per key goes out in the next transaction).
    /// False when this node is not the leader: nothing is written.
    pub fn offer(&self, key: String, value: Option<Value>) -> bool {
        if !self.is_leader() {
            return false;
        }
        self.pending.lock().insert(key, value);
        self.wake.notify_one();
        true
    }

    /// Leader writes refused (fenced) so far, and times this node was elected.
    pub fn counters(&self) -> (u64, u64) {
        (self.fenced.load(Ordering::Relaxed), self.elected.load(Ordering::Relaxed))
    }

    fn step_down(&self, why: &str) {
        let epoch = self.leadership.borrow().epoch;
        let was = self.leadership.send_replace(Leadership { leader: false, epoch });
        self.pending.lock().clear();
        if let Some(p) = self.txn.lock().take() {
            // Dropping a producer may wait for its broker connections.
            std::thread::spawn(move || drop(p));
        }
        if was.leader {
            tracing::warn!(epoch = was.epoch, reason = why, "this node is no longer the leader");
        }
    }

    /// One transaction with `records`, each stamped with `epoch`.
    async fn write_fenced(&self, epoch: u64, records: Vec<(String, Option<Value>)>) -> Result<(), KafkaError> {
        let Some(p) = self.txn.lock().clone() else {
            return Err(KafkaError::Canceled);
        };
        let topic = self.topic.clone();
        let timeout = self.kafka.timeout;
        tokio::task::spawn_blocking(move || {
            p.begin_transaction()?;
            for (k, v) in &records {
                let payload = v.as_ref().map(|v| json!({ "lockstepEpoch": epoch, "value": v }).to_string());
                let mut rec: BaseRecord<'_, str, str> = BaseRecord::to(&topic).partition(0).key(k);
                if let Some(p) = &payload {
                    rec = rec.payload(p);
                }
                if let Err((e, _)) = p.send(rec) {
                    let _ = p.abort_transaction(timeout);
                    return Err(e);
                }
            }
            match p.commit_transaction(timeout) {
                Ok(()) => Ok(()),
                Err(e) => {
                    if !is_fencing(&e) {
                        let _ = p.abort_transaction(timeout);
                    }
                    Err(e)
                }
            }
        })
        .await
        .unwrap_or_else(|_| Err(KafkaError::Canceled))
    }

    /// A failed leader write: fenced means another node leads now.
    fn write_failed(&self, what: &str, e: &KafkaError) -> bool {
        if is_fencing(e) {
            self.fenced.fetch_add(1, Ordering::Relaxed);
            self.step_down(&format!("{what} was fenced: another node leads now ({e})"));
            true
        } else {
            tracing::warn!("leader write ({what}) failed: {e}");
            false
        }
    }

    async fn try_lead(&self) -> anyhow::Result<u64> {
        let mut c: ClientConfig = self.kafka.client();
        // A leader killed inside a transaction holds back every reader until this runs out (or
        // the next leader takes over): keep it short, the transactions are tiny.
        let txn_timeout = self.session_timeout.max(Duration::from_secs(2));
        let producer: ThreadedProducer<_> = c
            .set("transactional.id", format!("lockstep-leader-{}", self.topic))
            .set("transaction.timeout.ms", txn_timeout.as_millis().to_string())
            .set("acks", "all")
            .set("enable.idempotence", "true")
            .set("linger.ms", "0")
            .create()?;
        let producer = Arc::new(producer);
        let p = producer.clone();
        // Fences every earlier holder of the transactional id (the old leader).
        tokio::task::spawn_blocking(move || p.init_transactions(Duration::from_secs(30)))
            .await?
            .map_err(|e| anyhow::anyhow!("cannot take the leader's transactional id: {e}"))?;
        self.barrier().await?;
        let epoch = self.view.borrow().leader.as_ref().map_or(0, |l| l.epoch) + 1;
        *self.txn.lock() = Some(producer);
        let rec = LeaderRecord { epoch, node: self.node.clone(), ts: now_ms() };
        self.write_fenced(epoch, vec![(LEADER_KEY.into(), Some(serde_json::to_value(&rec)?))])
            .await
            .map_err(|e| anyhow::anyhow!("cannot write the LEADER record: {e}"))?;
        let mut rx = self.view.subscribe();
        let seen = async { rx.wait_for(|v| v.leader.as_ref().is_some_and(|l| l.epoch >= epoch)).await.is_ok() };
        if !tokio::time::timeout(Duration::from_secs(30), seen).await.unwrap_or(false) {
            anyhow::bail!("the LEADER record did not come back");
        }
        Ok(epoch)
    }

    async fn lead(self: Arc<Self>, mut events: mpsc::UnboundedReceiver<GroupEvent>) {
        let mut assigned = false;
        let mut renew = tokio::time::interval((self.session_timeout / 3).max(Duration::from_millis(300)));
        renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let want_lead = tokio::select! {
                ev = events.recv() => match ev {
                    None => { self.step_down("the election stopped"); return; }
                    Some(GroupEvent::Assigned) => { assigned = true; true }
                    Some(GroupEvent::Revoked) => { assigned = false; self.step_down("the group revoked the leader partition"); false }
                },
                _ = renew.tick() => {
                    let l = *self.leadership.borrow();
                    if l.leader {
                        let rec = LeaderRecord { epoch: l.epoch, node: self.node.clone(), ts: now_ms() };
                        let value = serde_json::to_value(&rec).ok();
                        if let Err(e) = self.write_fenced(l.epoch, vec![(LEADER_KEY.into(), value)]).await {
                            if self.write_failed("renewing the lease", &e) {
                                // Fenced: another node leads. Try again only on a new assignment,
                                // never on the one the group is about to take back.
                                assigned = false;
                            }
                        }
                    }
                    assigned
                }
                _ = self.wake.notified() => {
                    let l = *self.leadership.borrow();
                    let batch: Vec<_> = std::mem::take(&mut *self.pending.lock()).into_iter().collect();
                    if l.leader && !batch.is_empty() {
                        if let Err(e) = self.write_fenced(l.epoch, batch.clone()).await {
                            if self.write_failed("a state write", &e) {
                                assigned = false;
                            } else {
                                {
                                    let mut p = self.pending.lock();
                                    for (k, v) in batch {
                                        p.entry(k).or_insert(v);
                                    }
                                }
                                tokio::time::sleep(Duration::from_millis(200)).await;
                                self.wake.notify_one();
                            }
                        }
                    }
                    false
                }
            };
            if !want_lead || self.leadership.borrow().leader || self.stop.load(Ordering::Relaxed) {
                continue;
            }
            let started = Instant::now();
            match self.try_lead().await {
                Ok(epoch) => {
                    // A revocation that came meanwhile wins.
                    let mut revoked = false;
                    while let Ok(ev) = events.try_recv() {
                        revoked = ev == GroupEvent::Revoked;
                        assigned = !revoked;
                    }
                    if revoked {
                        self.step_down("the group revoked the leader partition while taking over");
                        continue;
                    }
                    self.elected.fetch_add(1, Ordering::Relaxed);
                    self.leadership.send_replace(Leadership { leader: true, epoch });
                    tracing::info!(epoch, node = %self.node, took_ms = started.elapsed().as_millis() as u64, "this node is now the leader");
                }
                Err(e) => {
                    tracing::warn!("cannot take the leadership (will retry): {e:#}");
                    self.step_down("taking the leadership failed");
                }
            }
        }
    }
}

/// `GET /lockstep/leader`: this node's part and the newest `LEADER` record.
pub fn router(cluster: Option<Arc<Cluster>>) -> Router {
    Router::new().route("/lockstep/leader", get(leader_status)).with_state(cluster)
}

async fn leader_status(State(cluster): State<Option<Arc<Cluster>>>) -> Json<Value> {
    let Some(c) = cluster else {
        // One node on its own store: always the leader.
        return Json(json!({ "leader": true, "epoch": 0, "mode": "single" }));
    };
    let l = *c.leadership.borrow();
    let view = c.view.borrow().clone();
    let (fenced, elected) = c.counters();
    Json(json!({
        "leader": l.leader,
        "epoch": l.epoch,
        "node": c.node,
        "mode": "kafka",
        "topic": c.topic,
        "current": view.leader,
        "fencedWrites": fenced,
        "elected": elected,
        "staleIgnored": view.stale_ignored,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fenced(epoch: u64, value: Value) -> Vec<u8> {
        json!({ "lockstepEpoch": epoch, "value": value }).to_string().into_bytes()
    }

    #[test]
    fn a_replaced_leaders_writes_are_ignored_and_tombstones_delete() {
        let mut v = View::default();
        let k = key("EXPORTER_STATE", "dr");
        v.apply(LEADER_KEY, Some(&fenced(1, json!({"epoch": 1, "node": "a", "ts": 1}))));
        v.apply(&k, Some(&fenced(1, json!({"position": 5}))));
        assert_eq!(v.entries[&k].value, json!({"position": 5}));
        // Node b takes over with epoch 2; a's late write (epoch 1) must not land.
        v.apply(LEADER_KEY, Some(&fenced(2, json!({"epoch": 2, "node": "b", "ts": 2}))));
        v.apply(&k, Some(&fenced(1, json!({"position": 3}))));
        assert_eq!(v.entries[&k].value, json!({"position": 5}));
        assert_eq!(v.stale_ignored, 1);
        assert_eq!(v.leader.as_ref().map(|l| l.node.as_str()), Some("b"));
        v.apply(&k, Some(&fenced(2, json!({"position": 9}))));
        assert_eq!((v.entries[&k].epoch, v.entries[&k].value.clone()), (Some(2), json!({"position": 9})));
        // Unfenced records (any node's configuration writes) and tombstones.
        let c = key("EXPORTER", "dr");
        v.apply(&c, Some(br#"{"paused":true}"#));
        assert_eq!(v.entries[&c].epoch, None);
        v.apply(&c, None);
        v.apply(&k, Some(b""));
        assert!(!v.entries.contains_key(&c) && !v.entries.contains_key(&k));
        // Not JSON: skipped, nothing else changes.
        v.apply(&c, Some(b"{oops"));
        assert!(!v.entries.contains_key(&c));
    }
}
