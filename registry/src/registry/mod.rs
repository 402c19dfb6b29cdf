//! The registry service: one write path for every mutation and snapshot reads.
//!
//! Write path: parse + canonicalize (outside any lock) → take the writer lock → mode and
//! compatibility checks against the writer's state → build log records → append them to the
//! store and apply them to the writer's state → release the lock → wait until the store says the
//! batch is durable → publish the state as of that batch to readers → respond.
//!
//! Because the lock is released before the fsync, concurrent registrations share one fsync
//! (group commit); readers only ever see durable state.
//!
//! On a shared log (the Kafka store, several nodes) the state is built only from records read
//! back from the log, in log order, by one reader thread. A writer takes the lock, waits until
//! the reader has reached the end of the log (the barrier), builds its records against that
//! state, produces them and waits to read them back. If another node's record won (see
//! [`State::apply_at`]), the registration is computed again against the new state.

mod commit;
mod contracts;
#[cfg(test)]
mod cpu_tests;
mod deletes;
mod group;
mod prepare;
mod reads;
mod reassert;
mod register;
mod settings;
mod writes;

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::sync::{watch, Mutex, OwnedMutexGuard};
use tokio::time::Instant;

use crate::error::{ApiError, ApiResult};
use crate::schema::{self, CompatibilityLevel, Dependency, ParsedSchema, Previous, SchemaReference, SchemaType};
use crate::state::{self, Mode, ScopeKey, State, StoredSchema, VersionEntry};
use crate::store::record::{self, ContextValue, DeleteSubjectValue, ModeValue, SchemaValue};
use crate::store::{Key, LogRecord, SharedLog, Store};
use crate::subject::{self, QualifiedSubject, DEFAULT_CONTEXT};

/// Server-wide settings.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// Compatibility level when no config is set anywhere (Confluent: BACKWARD).
    pub default_compatibility: CompatibilityLevel,
    /// Largest canonical schema accepted (42209 above it).
    pub max_schema_bytes: usize,
    /// Shown by `/v1/metadata/id`.
    pub cluster_id: String,
    /// On a shared log: the longest a write may take (lock, barrier, produce, read-back) before
    /// it fails with 50002.
    pub write_timeout: Duration,
    /// This registry's instance id (`lockstepInstanceId` in `/v1/metadata/id`; links use it for provenance).
    pub instance_id: String,
    /// Work one request's parsing, reference resolution and checks may do (422/42290 past it).
    pub work: crate::budget::WorkLimit,
    /// `--rule-sets`: accept rule sets or refuse them (42210).
    pub rule_sets: crate::rules::RuleSetPolicy,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            default_compatibility: CompatibilityLevel::Backward,
            max_schema_bytes: 1024 * 1024,
            cluster_id: "lockstep".into(),
            write_timeout: Duration::from_secs(10),
            instance_id: String::new(),
            work: crate::budget::WorkLimit::default(),
            rule_sets: crate::rules::RuleSetPolicy::Accept,
        }
    }
}

/// Body of register, lookup and compatibility requests (Confluent's RegisterSchemaRequest).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RegisterRequest {
    #[serde(default)]
    pub schema: Option<String>,
    #[serde(rename = "schemaType", default)]
    pub schema_type: Option<String>,
    #[serde(default)]
    pub references: Option<Vec<SchemaReference>>,
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    pub metadata: Option<Value>,
    /// Rule set (data contracts): validated, merged with the config's and stored.
    #[serde(rename = "ruleSet", default)]
    pub rule_set: Option<Value>,
}

/// A version as an API path gives it: a number or `latest` / `-1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSpec {
    Latest,
    Number(u32),
}

impl VersionSpec {
    /// 42202 for anything but 1..=2^31-1, `latest` (any case) or -1.
    pub fn parse(s: &str) -> ApiResult<Self> {
        if s.eq_ignore_ascii_case("latest") || s == "-1" {
            return Ok(Self::Latest);
        }
        match s.parse::<i64>() {
            Ok(n) if (1..=i64::from(i32::MAX)).contains(&n) => Ok(Self::Number(n as u32)),
            _ => Err(ApiError::invalid_version(s)),
        }
    }
}

/// A schema ready to be checked and stored.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub parsed: Arc<ParsedSchema>,
    pub references: Vec<SchemaReference>,
    pub metadata: Option<Value>,
    pub rule_set: Option<Value>,
    pub hash: state::SchemaHash,
}

/// Result of a registration.
#[derive(Debug, Clone)]
pub struct Registered {
    pub subject: String,
    pub version: u32,
    pub schema: Arc<StoredSchema>,
}

struct Writer {
    /// State including records appended but maybe not yet durable (exclusive log), or the state
    /// read back at the barrier (shared log).
    pending: State,
    /// When the current write must be done by (shared log).
    deadline: Instant,
}

/// Where records go.
enum Backend {
    /// This process is the log's only writer (file store): a writer applies its records to the
    /// pending state right away and readers see them once durable (group commit).
    Exclusive(Box<dyn Store>),
    /// Other processes write too (Kafka store): records reach the state only when read back.
    Shared(Arc<dyn SharedLog>),
}

/// How much parsing and checking runs at once: one task per core but one, which is left to the
/// async workers so that reads stay fast while the heaviest requests run.
fn cpu_slots() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1)).max(1)
}

/// How often a registration is recomputed after losing a race on a shared log.
const MAX_ATTEMPTS: u32 = 16;

/// A write whose record lost to another node's record for the same id, schema or version.
struct Lost;

/// The writer lock, owned so a commit can finish on its own task.
type WriterGuard = OwnedMutexGuard<Writer>;

/// Durable position published to readers, or the store failure that stopped writes.
type Durable = Result<u64, String>;

#[derive(Clone, PartialEq, Eq, Hash)]
struct ParseKey {
    schema_type: &'static str,
    normalize: bool,
    text: Arc<str>,
}

pub struct Registry {
    pub config: RegistryConfig,
    committed: ArcSwap<State>,
    writer: Arc<Mutex<Writer>>,
    /// This registry, for work that must finish even when the request that started it is gone.
    me: std::sync::Weak<Registry>,
    /// Prometheus metrics (`/metrics`); the commit path records store latency here.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Bounds the parsing and checking that runs on the blocking pool at once.
    cpu: Arc<tokio::sync::Semaphore>,
    backend: Backend,
    /// The position of the committed state, for change-feed waiters.
    visible: watch::Sender<u64>,
    /// Every record of the log with its offset (the change feed); entries at or after the
    /// committed position are not yet visible.
    feed: parking_lot::RwLock<crate::store::compact::Feed>,
    /// Offsets of records the shared-log reader skipped (lost races), until their writer looks.
    rejected: parking_lot::Mutex<HashSet<u64>>,
    /// Shared log: the batches of group commit.
    group: group::Group,
    /// Shared log: keys whose newest record lost to a winner under the same key.
    pending_winners: reassert::Pending,
    /// Snapshots of the writer's state waiting for their batch to become durable.
    waiting: parking_lot::Mutex<VecDeque<Arc<State>>>,
    durable: watch::Sender<Durable>,
    /// Canonicalization of request texts without references (register/lookup of known schemas),
    /// with the identity hash of the canonical text alone.
    parse_cache: moka::sync::Cache<ParseKey, (Arc<ParsedSchema>, state::SchemaHash)>,
    /// Parsed stored schemas, for compatibility checks: (context, id) → (stored, parsed).
    stored_cache: moka::sync::Cache<(String, u32), (Arc<StoredSchema>, Arc<ParsedSchema>)>,
    /// Shared log with several nodes: the election, for handing writes to the leader.
    cluster: std::sync::OnceLock<Arc<crate::cluster::Cluster>>,
}

impl Registry {
    /// Replay the store and start serving from it.
    pub fn open(mut store: Box<dyn Store>, config: RegistryConfig) -> Result<Arc<Self>, crate::store::StoreError> {
        let records = store.replay()?;
        let count = records.len();
        // The feed holds only what the state needs (no superseded or hard-deleted records).
        let (state, feed) = crate::store::compact::open_view(records);
        tracing::info!(
            store = %store.describe(),
            records = count,
            subjects = state.subjects.len(),
            "registry state rebuilt from the log"
        );
        Ok(Self::new(Backend::Exclusive(store), config, state, feed))
    }

    /// Read a shared log to its end, then follow it: every record, this node's own included,
    /// reaches the state through the log's reader.
    pub async fn open_shared(
        log: Arc<dyn SharedLog>,
        config: RegistryConfig,
    ) -> Result<Arc<Self>, crate::store::StoreError> {
        let (records, end) = log.load().await?;
        let mut state = State::default();
        let pending = reassert::Pending::default();
        for (offset, r) in &records {
            let took = state.apply_at(*offset, r);
            pending.note(&state, r, took);
        }
        state.position = state.position.max(end);
        tracing::info!(
            store = %log.describe(),
            records = records.len(),
            subjects = state.subjects.len(),
            "registry state rebuilt from the log"
        );
        let from = state.position;
        let this = Self::new(Backend::Shared(log.clone()), config, state, records);
        this.pending_winners.adopt(pending);
        this.start_reasserting(log.clone());
        let weak = Arc::downgrade(&this);
        log.follow(
            from,
            Box::new(move |batch, next| {
                if let Some(r) = weak.upgrade() {
                    r.apply_read(batch, next);
                }
            }),
        )?;
        Ok(this)
    }

    fn new(backend: Backend, config: RegistryConfig, state: State, feed: Vec<(u64, LogRecord)>) -> Arc<Self> {
        let (durable, _) = watch::channel(Ok(state.position));
        let (visible, _) = watch::channel(state.position);
        Arc::new_cyclic(|me| Self {
            config,
            committed: ArcSwap::from_pointee(state.clone()),
            writer: Arc::new(Mutex::new(Writer { pending: state, deadline: Instant::now() })),
            me: me.clone(),
            cpu: Arc::new(tokio::sync::Semaphore::new(cpu_slots())),
            metrics: Arc::new(crate::metrics::Metrics::new()),
            backend,
            visible,
            feed: parking_lot::RwLock::new(crate::store::compact::Feed::new(feed)),
            rejected: parking_lot::Mutex::new(HashSet::new()),
            group: group::Group::default(),
            pending_winners: reassert::Pending::default(),
            waiting: parking_lot::Mutex::new(VecDeque::new()),
            durable,
            parse_cache: moka::sync::Cache::builder().max_capacity(10_000).build(),
            stored_cache: moka::sync::Cache::builder().max_capacity(50_000).build(),
            cluster: std::sync::OnceLock::new(),
        })
    }

    /// Join this node to a cluster: from now on, writes of requests the forwarding layer may send
    /// on ([`crate::cluster::forward`]) go to the leader when this node follows.
    pub fn attach_cluster(&self, cluster: Arc<crate::cluster::Cluster>) {
        let _ = self.cluster.set(cluster);
    }

    /// The cluster this node is part of (Kafka store with an election).
    pub fn cluster(&self) -> Option<&Arc<crate::cluster::Cluster>> {
        self.cluster.get()
    }

    /// The log position of the committed state.
    pub fn visible_position(&self) -> u64 {
        *self.visible.borrow()
    }

    /// Wait until the committed state has reached log position `pos` (50002 past `deadline`).
    pub async fn wait_visible_at(&self, pos: u64, deadline: Instant) -> ApiResult<()> {
        self.wait_visible(pos, deadline).await
    }

    /// Shared log: apply records read back (from any node) and publish the result.
    fn apply_read(&self, batch: Vec<(u64, LogRecord)>, next: u64) {
        let mut st = (*self.committed.load_full()).clone();
        let mut rejected = Vec::new();
        for (offset, r) in &batch {
            let took = st.apply_at(*offset, r);
            self.pending_winners.note(&st, r, took);
            if !took {
                rejected.push(*offset);
            }
        }
        st.position = st.position.max(next);
        if !rejected.is_empty() {
            let mut set = self.rejected.lock();
            set.extend(rejected);
            // Other nodes' lost records are never looked at: keep the set small.
            if set.len() > 10_000 {
                let floor = st.position.saturating_sub(100_000);
                set.retain(|o| *o >= floor);
            }
        }
        self.feed.write().append(batch);
        let pos = st.position;
        self.committed.store(Arc::new(st));
        self.visible.send_replace(pos);
    }

    // ------------------------------------------------------------------ change feed

    /// Visible records at offsets ≥ `from` (at most `limit`) and the offset to ask for next.
    pub fn changes(&self, from: u64, limit: usize) -> (Vec<(u64, LogRecord)>, u64) {
        let visible = self.snapshot().position;
        let out = self.feed.read().page(from, visible, limit);
        let next = out.last().map_or(from, |(o, _)| o + 1);
        (out, next)
    }

    /// Like [`Self::changes`], but when nothing is there yet wait up to `wait` for a record.
    pub async fn wait_changes(&self, from: u64, limit: usize, wait: Duration) -> (Vec<(u64, LogRecord)>, u64) {
        let deadline = Instant::now() + wait;
        let mut rx = self.visible.subscribe();
        loop {
            let (records, next) = self.changes(from, limit);
            if !records.is_empty() {
                return (records, next);
            }
            rx.borrow_and_update();
            let (again, next) = self.changes(from, limit);
            if !again.is_empty() {
                return (again, next);
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => continue,
                _ => return (again, next),
            }
        }
    }

    /// Run CPU-heavy work (parsing, canonicalizing, compatibility checks) on the blocking pool,
    /// at most [`cpu_slots`] at once, so it never stalls the async workers that serve reads.
    /// The work runs under the request work budget: past it the answer is 422/42290, whatever
    /// `work` returned.
    pub(super) async fn on_cpu<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Registry) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let me = self.me.upgrade().ok_or_else(|| ApiError::store("the registry is shutting down"))?;
        let permit =
            self.cpu.clone().acquire_owned().await.map_err(|_| ApiError::store("the registry is shutting down"))?;
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            match crate::budget::run(me.config.work, || work(&me)) {
                (_, Some(over)) => Err(over.to_api_error()),
                (out, None) => out,
            }
        });
        task.await.map_err(|e| ApiError::store(format!("a parsing task failed: {e}")))?
    }

    /// The current durable state. Never waits for writers.
    pub fn snapshot(&self) -> Arc<State> {
        self.committed.load_full()
    }
}
