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

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::sync::{watch, Mutex, MutexGuard};
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
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            default_compatibility: CompatibilityLevel::Backward,
            max_schema_bytes: 1024 * 1024,
            cluster_id: "lockstep".into(),
            write_timeout: Duration::from_secs(10),
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
    /// Accepted and dropped, as Confluent's community edition does.
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

/// How often a registration is recomputed after losing a race on a shared log.
const MAX_ATTEMPTS: u32 = 16;

/// A write whose record lost to another node's record for the same id, schema or version.
struct Lost;

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
    writer: Mutex<Writer>,
    backend: Backend,
    /// The position of the committed state, for change-feed waiters.
    visible: watch::Sender<u64>,
    /// Every record of the log with its offset (the change feed); entries at or after the
    /// committed position are not yet visible.
    feed: parking_lot::RwLock<Vec<(u64, LogRecord)>>,
    /// Offsets of records the shared-log reader skipped (lost races), until their writer looks.
    rejected: parking_lot::Mutex<HashSet<u64>>,
    /// Snapshots of the writer's state waiting for their batch to become durable.
    waiting: parking_lot::Mutex<VecDeque<Arc<State>>>,
    durable: watch::Sender<Durable>,
    /// Canonicalization of request texts without references (register/lookup of known schemas),
    /// with the identity hash of the canonical text alone.
    parse_cache: moka::sync::Cache<ParseKey, (Arc<ParsedSchema>, state::SchemaHash)>,
    /// Parsed stored schemas, for compatibility checks: (context, id) → (stored, parsed).
    stored_cache: moka::sync::Cache<(String, u32), (Arc<StoredSchema>, Arc<ParsedSchema>)>,
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
        for (offset, r) in &records {
            state.apply_at(*offset, r);
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
        Arc::new(Self {
            config,
            committed: ArcSwap::from_pointee(state.clone()),
            writer: Mutex::new(Writer { pending: state, deadline: Instant::now() }),
            backend,
            visible,
            feed: parking_lot::RwLock::new(feed),
            rejected: parking_lot::Mutex::new(HashSet::new()),
            waiting: parking_lot::Mutex::new(VecDeque::new()),
            durable,
            parse_cache: moka::sync::Cache::builder().max_capacity(10_000).build(),
            stored_cache: moka::sync::Cache::builder().max_capacity(50_000).build(),
        })
    }

    /// Shared log: apply records read back (from any node) and publish the result.
    fn apply_read(&self, batch: Vec<(u64, LogRecord)>, next: u64) {
        let mut st = (*self.committed.load_full()).clone();
        let mut rejected = Vec::new();
        for (offset, r) in &batch {
            if !st.apply_at(*offset, r) {
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
        {
            let mut feed = self.feed.write();
            let tail: Vec<LogRecord> = batch.iter().map(|(_, r)| r.clone()).collect();
            feed.extend(batch);
            crate::store::compact::redact_feed(&mut feed, &tail);
        }
        let pos = st.position;
        self.committed.store(Arc::new(st));
        self.visible.send_replace(pos);
    }

    // ------------------------------------------------------------------ change feed

    /// Visible records at offsets ≥ `from` (at most `limit`) and the offset to ask for next.
    pub fn changes(&self, from: u64, limit: usize) -> (Vec<(u64, LogRecord)>, u64) {
        let visible = self.snapshot().position;
        let feed = self.feed.read();
        let start = feed.partition_point(|(o, _)| *o < from);
        let out: Vec<(u64, LogRecord)> =
            feed[start..].iter().take_while(|(o, _)| *o < visible).take(limit).cloned().collect();
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

    /// The current durable state. Never waits for writers.
    pub fn snapshot(&self) -> Arc<State> {
        self.committed.load_full()
    }

    // ------------------------------------------------------------------ commit machinery

    /// Take the writer lock. On a shared log, also wait until this node has read everything in
    /// the log (the barrier), so the write is checked against the latest state.
    async fn lock_writer(&self) -> ApiResult<MutexGuard<'_, Writer>> {
        let Backend::Shared(log) = &self.backend else {
            return Ok(self.writer.lock().await);
        };
        let deadline = Instant::now() + self.config.write_timeout;
        let mut w = tokio::time::timeout_at(deadline, self.writer.lock()).await.map_err(|_| {
            ApiError::timeout("Write timed out waiting for earlier writes: the Kafka store is slow or down")
        })?;
        let end = match tokio::time::timeout_at(deadline, log.end_offset()).await {
            Ok(Ok(end)) => end,
            Ok(Err(e)) => return Err(ApiError::store(format!("Error while reading the Kafka store: {e}"))),
            Err(_) => return Err(ApiError::timeout("Timed out reading the end of the Kafka store")),
        };
        self.wait_visible(end, deadline).await?;
        w.pending = (*self.snapshot()).clone();
        w.deadline = deadline;
        Ok(w)
    }

    /// Wait until the committed state has reached `pos`.
    async fn wait_visible(&self, pos: u64, deadline: Instant) -> ApiResult<()> {
        let mut rx = self.visible.subscribe();
        let reached = tokio::time::timeout_at(deadline, rx.wait_for(|p| *p >= pos)).await;
        match reached {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(ApiError::store("log reader stopped")),
            Err(_) => {
                Err(ApiError::timeout(format!("Timed out waiting for the Kafka store reader to reach offset {pos}")))
            }
        }
    }

    /// Append `records` and return once they are durable and visible; see [`Self::commit_checked`].
    async fn commit(&self, w: MutexGuard<'_, Writer>, records: Vec<LogRecord>) -> ApiResult<()> {
        match self.commit_checked(w, records).await? {
            Ok(()) => Ok(()),
            Err(Lost) => Err(ApiError::store("Another node wrote a conflicting record at the same time; try again")),
        }
    }

    /// Append `records` and return once they are durable and visible to readers. `Err(Lost)`
    /// when, on a shared log, another node's record won over one of these.
    async fn commit_checked(&self, w: MutexGuard<'_, Writer>, records: Vec<LogRecord>) -> ApiResult<Result<(), Lost>> {
        match &self.backend {
            Backend::Exclusive(store) => self.commit_exclusive(store.as_ref(), w, records).await.map(Ok),
            Backend::Shared(log) => self.commit_shared(log.as_ref(), w, records).await,
        }
    }

    async fn commit_shared(
        &self,
        log: &dyn SharedLog,
        w: MutexGuard<'_, Writer>,
        records: Vec<LogRecord>,
    ) -> ApiResult<Result<(), Lost>> {
        if records.is_empty() {
            return Ok(Ok(()));
        }
        let deadline = w.deadline;
        let sent = records.clone();
        let offsets = match tokio::time::timeout_at(deadline, log.produce(records)).await {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => return Err(ApiError::store(format!("Error while writing to the Kafka store: {e}"))),
            Err(_) => return Err(ApiError::timeout("Timed out writing to the Kafka store")),
        };
        let last = offsets.last().copied().unwrap_or(0);
        self.wait_visible(last + 1, deadline).await?;
        let lost: Vec<LogRecord> = {
            let mut rejected = self.rejected.lock();
            offsets.iter().zip(sent).filter(|(o, _)| rejected.remove(o)).map(|(_, r)| r).collect()
        };
        if lost.is_empty() {
            return Ok(Ok(()));
        }
        // A lost SCHEMA record may share its key with the winner (same subject and version):
        // compaction would keep the loser's record. Write the winner again so it is the newest.
        let st = self.snapshot();
        let mut again = Vec::new();
        for r in &lost {
            if let Ok(Key::Schema { subject, version }) = Key::decode(&r.key) {
                let Some(name) = subject::normalize(&subject) else { continue };
                if let Some(e) = st.subject(&name).and_then(|s| s.versions.get(&version)) {
                    if *e.key == *r.key {
                        let value = Self::schema_value(&name, e, e.deleted);
                        again.push(LogRecord { key: e.key.clone(), value: Some(record::to_bytes(&value).into()) });
                    }
                }
            }
        }
        if !again.is_empty() {
            if let Ok(Ok(o)) = tokio::time::timeout_at(deadline, log.produce(again)).await {
                let _ = self.wait_visible(o.last().copied().unwrap_or(0) + 1, deadline).await;
            }
        }
        tracing::debug!(lost = lost.len(), "a write lost a race to another node; retrying");
        drop(w);
        Ok(Err(Lost))
    }

    /// The SCHEMA value for a stored version.
    fn schema_value(subject: &str, v: &VersionEntry, deleted: bool) -> SchemaValue {
        let s = &v.schema;
        SchemaValue {
            subject: subject.to_string(),
            version: v.version,
            id: s.id,
            schema_type: Some(s.schema_type.as_str().to_string()),
            references: s.references.clone(),
            metadata: s.metadata.clone(),
            rule_set: s.rule_set.clone(),
            schema: s.schema.to_string(),
            deleted,
        }
    }

    /// Exclusive log: append `records`, apply them to the writer's state, release the lock and
    /// wait until durable.
    async fn commit_exclusive(
        &self,
        store: &dyn Store,
        mut w: MutexGuard<'_, Writer>,
        records: Vec<LogRecord>,
    ) -> ApiResult<()> {
        if records.is_empty() {
            let pos = w.pending.position;
            drop(w);
            return self.wait_durable(pos).await;
        }
        {
            let mut feed = self.feed.write();
            let start = w.pending.position;
            feed.extend(records.iter().enumerate().map(|(i, r)| (start + i as u64, r.clone())));
            crate::store::compact::redact_feed(&mut feed, &records);
        }
        for r in &records {
            w.pending.apply(r);
        }
        let pos = w.pending.position;
        self.waiting.lock().push_back(Arc::new(w.pending.clone()));
        let ticket = store.append(records);
        drop(w);
        match ticket.await {
            Ok(Ok(())) => {
                self.publish(pos);
                Ok(())
            }
            Ok(Err(e)) => Err(self.fail(e.0).await),
            Err(_) => Err(self.fail("log writer stopped".into()).await),
        }
    }

    /// Publish the newest waiting snapshot at or below durable position `pos`.
    fn publish(&self, pos: u64) {
        let mut q = self.waiting.lock();
        let mut newest = None;
        while q.front().is_some_and(|s| s.position <= pos) {
            newest = q.pop_front();
        }
        if let Some(s) = newest {
            if s.position > self.committed.load().position {
                let p = s.position;
                self.committed.store(s);
                self.visible.send_replace(p);
            }
        }
        drop(q);
        self.durable.send_if_modified(|d| match d {
            Ok(p) if *p < pos => {
                *p = pos;
                true
            }
            _ => false,
        });
    }

    /// A failed append: the store refuses further writes; drop undurable state and fail waiters.
    async fn fail(&self, message: String) -> ApiError {
        tracing::error!("log store failure: {message}");
        let mut w = self.writer.lock().await;
        w.pending = (*self.committed.load_full()).clone();
        let pos = w.pending.position;
        self.feed.write().retain(|(o, _)| *o < pos);
        self.waiting.lock().clear();
        let _ = self.durable.send_replace(Err(message.clone()));
        ApiError::store(format!("Error while writing to the log store: {message}"))
    }

    /// Wait until everything up to `pos` is durable (used when a write turned out to be a no-op
    /// but may rest on another writer's not-yet-durable records).
    async fn wait_durable(&self, pos: u64) -> ApiResult<()> {
        let mut rx = self.durable.subscribe();
        loop {
            match &*rx.borrow_and_update() {
                Ok(p) if *p >= pos => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(ApiError::store(format!("Error while writing to the log store: {e}"))),
            }
            if rx.changed().await.is_err() {
                return Err(ApiError::store("log store closed"));
            }
        }
    }

    // ------------------------------------------------------------------ parsing

    /// Parse a subject from the API (42208 when invalid).
    pub fn parse_subject(s: &str) -> ApiResult<QualifiedSubject> {
        QualifiedSubject::parse(s).filter(subject::is_valid_subject).ok_or_else(|| ApiError::invalid_subject(s))
    }

    fn normalize_for(&self, st: &State, q: &QualifiedSubject, requested: bool) -> bool {
        requested || st.config_field(Some(q), "normalize").and_then(Value::as_bool).unwrap_or(false)
    }

    /// Resolve references in the referrer's context: `version: -1` becomes the latest version.
    /// New registrations may not reference soft-deleted versions.
    fn resolve_references(
        st: &State,
        referrer: &QualifiedSubject,
        refs: &[SchemaReference],
        allow_deleted: bool,
        depth: usize,
    ) -> ApiResult<(Vec<SchemaReference>, Vec<Dependency>)> {
        if depth > 32 {
            return Err(ApiError::invalid_schema("Invalid schema: references nested more than 32 levels deep"));
        }
        let mut concrete = Vec::with_capacity(refs.len());
        let mut deps = Vec::with_capacity(refs.len());
        for r in refs {
            let missing = || {
                ApiError::invalid_schema(format!(
                    "Invalid schema: reference {} to subject '{}' version {} not found",
                    r.name, r.subject, r.version
                ))
            };
            if r.name.is_empty() || r.subject.is_empty() {
                return Err(ApiError::invalid_schema("Invalid schema: a reference needs a name and a subject"));
            }
            let target = subject::qualify_in_context_of(&r.subject, referrer).ok_or_else(missing)?;
            let entry = st.subject(&target).ok_or_else(missing)?;
            let v = match r.version {
                -1 => entry.latest_live(),
                n if n > 0 => entry.versions.get(&(n as u32)).filter(|v| allow_deleted || !v.deleted),
                _ => None,
            }
            .ok_or_else(missing)?;
            let target_q = QualifiedSubject::parse(&target).ok_or_else(missing)?;
            let (_, inner) = Self::resolve_references(st, &target_q, &v.schema.references, true, depth + 1)?;
            concrete.push(SchemaReference {
                name: r.name.clone(),
                subject: r.subject.clone(),
                version: v.version as i32,
            });
            deps.push(Dependency {
                name: r.name.clone(),
                schema_type: v.schema.schema_type,
                schema: v.schema.schema.clone(),
                dependencies: inner,
            });
        }
        Ok((concrete, deps))
    }

    /// Parse + canonicalize a request against `st`. Empty schema reuses the latest version's
    /// schema (Confluent: used to change only metadata).
    pub fn prepare(
        &self,
        st: &State,
        q: &QualifiedSubject,
        req: &RegisterRequest,
        normalize: bool,
    ) -> ApiResult<Prepared> {
        let latest = st.subject(&q.qualified()).and_then(|s| s.latest_live()).cloned();
        let text = req.schema.as_deref().unwrap_or("");
        let (schema_type, text, refs) = if text.trim().is_empty() {
            let prev = latest.ok_or_else(|| ApiError::invalid_schema("Empty schema"))?;
            (prev.schema.schema_type, prev.schema.schema.clone(), prev.schema.references.clone())
        } else {
            let t = SchemaType::parse(req.schema_type.as_deref()).ok_or_else(|| {
                ApiError::invalid_schema(format!("Invalid schema type {}", req.schema_type.as_deref().unwrap_or("")))
            })?;
            (t, Arc::<str>::from(text), req.references.clone().unwrap_or_default())
        };
        if text.len() > self.config.max_schema_bytes {
            return Err(ApiError::schema_too_large(format!(
                "Schema too large: {} bytes, the limit is {} bytes",
                text.len(),
                self.config.max_schema_bytes
            )));
        }
        let normalize = self.normalize_for(st, q, normalize);
        let metadata = req.metadata.clone().filter(|m| !m.is_null() && m.as_object().is_none_or(|o| !o.is_empty()));
        let (references, parsed, hash) = if refs.is_empty() {
            let key = ParseKey { schema_type: schema_type.as_str(), normalize, text: text.clone() };
            let (parsed, plain_hash) = match self.parse_cache.get(&key) {
                Some(hit) => hit,
                None => {
                    let p = Arc::new(
                        ParsedSchema::parse(schema_type, &text, &[], normalize).map_err(ApiError::invalid_schema)?,
                    );
                    let h = state::schema_hash(p.canonical(), &[], None, None);
                    self.parse_cache.insert(key, (p.clone(), h));
                    (p, h)
                }
            };
            let hash = match &metadata {
                None => plain_hash,
                Some(m) => state::schema_hash(parsed.canonical(), &[], Some(m), None),
            };
            (Vec::new(), parsed, hash)
        } else {
            let (concrete, deps) = Self::resolve_references(st, q, &refs, false, 0)?;
            let p = ParsedSchema::parse(schema_type, &text, &deps, normalize).map_err(ApiError::invalid_schema)?;
            let hash = state::schema_hash(p.canonical(), &concrete, metadata.as_ref(), None);
            (concrete, Arc::new(p), hash)
        };
        if parsed.canonical().len() > self.config.max_schema_bytes {
            return Err(ApiError::schema_too_large("Schema too large"));
        }
        Ok(Prepared { parsed, references, metadata, hash })
    }

    /// Parse a stored schema (cached), for compatibility checks.
    fn parsed_stored(&self, st: &State, subject: &str, stored: &Arc<StoredSchema>) -> ApiResult<Arc<ParsedSchema>> {
        let context = subject::context_of(subject);
        let key = (context, stored.id);
        if let Some((s, p)) = self.stored_cache.get(&key) {
            if Arc::ptr_eq(&s, stored) {
                return Ok(p);
            }
        }
        let q = QualifiedSubject::parse(subject).ok_or_else(|| ApiError::invalid_subject(subject))?;
        let (_, deps) = Self::resolve_references(st, &q, &stored.references, true, 0)?;
        let parsed = ParsedSchema::parse(stored.schema_type, &stored.schema, &deps, false).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                500,
                format!("stored schema id {} no longer parses: {e}", stored.id),
            )
        })?;
        let parsed = Arc::new(parsed);
        self.stored_cache.insert(key, (stored.clone(), parsed.clone()));
        Ok(parsed)
    }

    /// The compatibility level in force for a subject.
    pub fn compatibility_level(&self, st: &State, q: &QualifiedSubject) -> CompatibilityLevel {
        st.config_field(Some(q), "compatibilityLevel")
            .and_then(Value::as_str)
            .and_then(CompatibilityLevel::parse)
            .unwrap_or(self.config.default_compatibility)
    }

    /// Confluent's compatibility messages for `new` against the given versions (newest first).
    fn check_against(
        &self,
        st: &State,
        q: &QualifiedSubject,
        new: &ParsedSchema,
        versions: &[&VersionEntry],
    ) -> ApiResult<Vec<String>> {
        let level = self.compatibility_level(st, q);
        if level == CompatibilityLevel::None || versions.is_empty() {
            return Ok(Vec::new());
        }
        let subject = q.qualified();
        let take = if level.is_transitive() { versions.len() } else { 1 };
        let mut parsed = Vec::with_capacity(take);
        for v in &versions[..take] {
            parsed.push((v.version, self.parsed_stored(st, &subject, &v.schema)?));
        }
        let previous: Vec<Previous<'_>> = parsed.iter().map(|(n, p)| Previous { version: *n, schema: p }).collect();
        Ok(schema::check_compatibility(level, new, &previous))
    }

    // ------------------------------------------------------------------ operations

    /// Register a schema under a subject (POST /subjects/{s}/versions).
    pub async fn register(
        &self,
        subject_str: &str,
        req: RegisterRequest,
        normalize: bool,
        force: bool,
    ) -> ApiResult<Registered> {
        let q = Self::parse_subject(subject_str)?;
        let subject = q.qualified();
        let req_id = match req.id {
            None | Some(0) => None,
            Some(n) if (1..=i64::from(i32::MAX)).contains(&n) => Some(n as u32),
            Some(n) => return Err(ApiError::invalid_schema(format!("Invalid id {n}: ids are between 1 and 2^31-1"))),
        };
        let req_version = match req.version {
            None | Some(0) | Some(-1) => None,
            Some(n) if (1..=i64::from(i32::MAX)).contains(&n) => Some(n as u32),
            Some(n) => return Err(ApiError::invalid_version(&n.to_string())),
        };
        let snap = self.snapshot();
        let prepared = self.prepare(&snap, &q, &req, normalize)?;
        let hash = prepared.hash;
        let find_live = |st: &State| -> Option<VersionEntry> {
            st.subject(&subject)?.live().rev().find(|v| v.schema.hash == hash).cloned()
        };
        // Fast path: an identical live version, no explicit id/version: answered from durable state.
        if req_id.is_none() && req_version.is_none() {
            if let Some(v) = find_live(&snap) {
                return Ok(Registered { subject, version: v.version, schema: v.schema });
            }
        }

        let mut attempt = 0;
        loop {
            let w = self.lock_writer().await?;
            let st = &w.pending;
            // The references may have changed since `prepare` read the snapshot.
            let prepared = if attempt > 0 || (!prepared.references.is_empty() && st.position != snap.position) {
                self.prepare(st, &q, &req, normalize)?
            } else {
                prepared.clone()
            };
            if req_id.is_none() && req_version.is_none() {
                if let Some(v) = find_live(st) {
                    let out = Registered { subject, version: v.version, schema: v.schema };
                    self.commit(w, Vec::new()).await?;
                    return Ok(out);
                }
            }
            let mode = st.effective_mode(Some(&q));
            let ctx_label = &q.context;
            if mode.is_read_only() {
                return Err(ApiError::not_permitted(format!(
                    "Subject {subject} in context {ctx_label} is in read-only mode"
                )));
            }
            let importing = matches!(mode, Mode::Import | Mode::Forward);
            if req_id.is_some() && !importing {
                return Err(ApiError::not_permitted(format!(
                    "Subject {subject} in context {ctx_label} is not in import mode"
                )));
            }
            if req_id.is_none() && mode != Mode::ReadWrite {
                return Err(ApiError::not_permitted(format!(
                    "Subject {subject} in context {ctx_label} is not in read-write mode"
                )));
            }

            let entry = st.subject(&subject);
            let next_version = entry.map_or(0, |e| e.max_version()) + 1;
            let version = match req_version {
                None => next_version,
                Some(v) if importing => {
                    if let Some(existing) = entry.and_then(|e| e.versions.get(&v)) {
                        if existing.schema.hash == prepared.hash
                            && req_id.is_none_or(|id| id == existing.schema.id)
                            && !existing.deleted
                        {
                            let out = Registered { subject, version: v, schema: existing.schema.clone() };
                            self.commit(w, Vec::new()).await?;
                            return Ok(out);
                        }
                        return Err(ApiError::not_permitted(format!(
                            "Overwrite new schema for subject {subject} version {v} is not permitted: that version already holds schema id {}",
                            existing.schema.id
                        )));
                    }
                    v
                }
                Some(v) if v == next_version => v,
                Some(_) => return Err(ApiError::invalid_schema("Version is not one more than previous version")),
            };

            let ctx = st.context(&q.context);
            let hash_id = ctx.and_then(|c| c.by_hash.get(&prepared.hash).copied());
            let id = match req_id {
                Some(id) => {
                    if let Some(existing) = ctx.and_then(|c| c.by_id.get(&id)) {
                        if existing.hash != prepared.hash {
                            return Err(ApiError::not_permitted(format!(
                                "Overwrite new schema with id {id} in context {ctx_label} is not permitted."
                            )));
                        }
                    }
                    if let Some(other) = hash_id.filter(|h| *h != id) {
                        return Err(ApiError::id_does_not_match(format!(
                            "The ID of an imported schema does not match the existing ID: this schema already has id {other} in context {ctx_label}, not {id}"
                        )));
                    }
                    id
                }
                None => hash_id.unwrap_or_else(|| ctx.map_or(0, |c| c.max_id) + 1),
            };
            if id > i32::MAX as u32 {
                return Err(ApiError::store("no schema ids left in this context"));
            }

            if !importing && !force {
                let live: Vec<&VersionEntry> = entry.map(|e| e.live().rev().collect()).unwrap_or_default();
                let problems = self.check_against(st, &q, &prepared.parsed, &live)?;
                if !problems.is_empty() {
                    return Err(ApiError::incompatible(&subject, &problems));
                }
            }

            let mut records = Vec::new();
            if !q.is_default_context() && st.context(&q.context).is_none() {
                let v = ContextValue { tenant: "default".into(), context: q.context.clone() };
                let key = Key::Context { tenant: "default".into(), context: q.context.clone() };
                records.push(LogRecord::new(key.encode(), Some(record::to_bytes(&v))));
            }
            // Older soft-deleted versions of this subject holding the same id are removed (Confluent does the same).
            if let Some(e) = entry {
                for old in e.versions.values().filter(|v| v.deleted && v.schema.id == id) {
                    if st.referrers(&subject, old.version, true).is_empty() {
                        records.push(LogRecord::tombstone(old.key.clone()));
                    }
                }
            }
            let value = SchemaValue {
                subject: subject.clone(),
                version,
                id,
                schema_type: Some(prepared.parsed.schema_type().as_str().to_string()),
                references: prepared.references.clone(),
                metadata: prepared.metadata.clone(),
                rule_set: None,
                schema: prepared.parsed.canonical().to_string(),
                deleted: false,
            };
            records.push(LogRecord::new(
                Key::Schema { subject: subject.clone(), version }.encode(),
                Some(record::to_bytes(&value)),
            ));
            if let Err(Lost) = self.commit_checked(w, records).await? {
                // Another node's record won (shared log): decide again against the state that holds it.
                attempt += 1;
                if attempt >= MAX_ATTEMPTS {
                    return Err(ApiError::store(format!(
                        "Registration under {subject} lost {attempt} races to other nodes' writes; try again"
                    )));
                }
                continue;
            }
            let snap = self.snapshot();
            let schema = snap
                .schema_by_id(&q.context, id)
                .cloned()
                .ok_or_else(|| ApiError::store("registered schema not visible after commit"))?;
            return Ok(Registered { subject, version, schema });
        }
    }

    /// Find a subject, falling back to other contexts for an unqualified name (Confluent does).
    pub fn find_subject(st: &State, subject_str: &str, include_deleted: bool) -> ApiResult<String> {
        let q = QualifiedSubject::parse(subject_str).ok_or_else(|| ApiError::subject_not_found(subject_str))?;
        let visible = |name: &str| st.subject(name).is_some_and(|s| include_deleted || s.has_live());
        let name = q.qualified();
        if visible(&name) {
            return Ok(name);
        }
        if q.is_default_context() && !subject_str.starts_with(':') {
            for ctx in st.contexts.keys().filter(|c| c.as_str() != DEFAULT_CONTEXT) {
                let candidate = QualifiedSubject::new(ctx, &q.name).qualified();
                if visible(&candidate) {
                    return Ok(candidate);
                }
            }
        }
        Err(ApiError::subject_not_found(subject_str))
    }

    /// Is this schema registered under the subject? (POST /subjects/{s}) Returns the subject
    /// it was found under (unqualified names fall back to other contexts) and the version.
    pub fn lookup<'a>(
        &self,
        st: &'a State,
        subject_str: &str,
        req: &RegisterRequest,
        normalize: bool,
        include_deleted: bool,
    ) -> ApiResult<(String, &'a VersionEntry)> {
        let subject = Self::find_subject(st, subject_str, include_deleted)?;
        let q = QualifiedSubject::parse(&subject).ok_or_else(|| ApiError::subject_not_found(subject_str))?;
        let prepared = self.prepare(st, &q, req, normalize)?;
        let found = st
            .subject(&subject)
            .and_then(|s| {
                s.versions.values().rev().find(|v| v.schema.hash == prepared.hash && (include_deleted || !v.deleted))
            })
            .ok_or_else(ApiError::schema_not_found)?;
        Ok((subject, found))
    }

    /// POST /compatibility/subjects/{s}/versions[/{v}]: the messages (empty = compatible).
    pub fn check_compatibility(
        &self,
        subject_str: &str,
        version: Option<VersionSpec>,
        req: &RegisterRequest,
        normalize: bool,
    ) -> ApiResult<Vec<String>> {
        let st = self.snapshot();
        let q = Self::parse_subject(subject_str)?;
        let subject = q.qualified();
        let prepared = self.prepare(&st, &q, req, normalize)?;
        let entry = st.subject(&subject);
        let versions: Vec<&VersionEntry> = match version {
            None => entry.map(|e| e.live().rev().collect()).unwrap_or_default(),
            Some(VersionSpec::Latest) => entry.and_then(|e| e.latest_live()).into_iter().collect(),
            Some(VersionSpec::Number(n)) => {
                // Confluent answers 40402 for a missing numeric version, also of a missing subject.
                let v = entry.and_then(|e| e.versions.get(&n)).filter(|v| !v.deleted);
                vec![v.ok_or_else(|| ApiError::version_not_found(n))?]
            }
        };
        self.check_against(&st, &q, &prepared.parsed, &versions)
    }

    /// Resolve a version of a subject for reads and deletes.
    pub fn version_entry<'a>(
        st: &'a State,
        subject: &str,
        spec: VersionSpec,
        include_deleted: bool,
    ) -> ApiResult<&'a VersionEntry> {
        let entry = st.subject(subject).ok_or_else(|| ApiError::subject_not_found(subject))?;
        match spec {
            VersionSpec::Latest => {
                let latest = if include_deleted { entry.versions.values().next_back() } else { entry.latest_live() };
                latest.ok_or_else(|| {
                    if include_deleted || entry.has_live() {
                        ApiError::version_not_found("latest")
                    } else {
                        ApiError::subject_not_found(subject)
                    }
                })
            }
            VersionSpec::Number(n) => entry
                .versions
                .get(&n)
                .filter(|v| include_deleted || !v.deleted)
                .ok_or_else(|| ApiError::version_not_found(n)),
        }
    }

    fn check_writable(st: &State, q: &QualifiedSubject) -> ApiResult<()> {
        if st.effective_mode(Some(q)).is_read_only() {
            return Err(ApiError::not_permitted(format!(
                "Subject {} in context {} is in read-only mode",
                q.qualified(),
                q.context
            )));
        }
        Ok(())
    }

    /// Tombstones for a subject's config and mode (a subject that is gone loses both).
    fn forget_subject_settings(st: &State, subject: &str, records: &mut Vec<LogRecord>) {
        let key: ScopeKey = Some(subject.to_string());
        if let Some(c) = st.configs.get(&key) {
            records.push(LogRecord::tombstone(c.key.clone()));
        }
        if let Some(m) = st.modes.get(&key) {
            records.push(LogRecord::tombstone(m.key.clone()));
        }
    }

    /// DELETE /subjects/{s}/versions/{v}
    pub async fn delete_version(&self, subject_str: &str, spec: VersionSpec, permanent: bool) -> ApiResult<u32> {
        let w = self.lock_writer().await?;
        let st = &w.pending;
        let subject = Self::find_subject(st, subject_str, true)?;
        let q = QualifiedSubject::parse(&subject).ok_or_else(|| ApiError::subject_not_found(subject_str))?;
        Self::check_writable(st, &q)?;
        // A numbered version is found even when soft-deleted (to answer 40406/40407 precisely);
        // `latest` means the latest live version for a soft delete.
        let include_deleted = permanent || matches!(spec, VersionSpec::Number(_));
        let v = Self::version_entry(st, &subject, spec, include_deleted)?.clone();
        let mut records = Vec::new();
        if permanent {
            if !v.deleted {
                return Err(ApiError::version_not_soft_deleted(&subject, v.version));
            }
            if !st.referrers(&subject, v.version, true).is_empty() {
                return Err(ApiError::reference_exists(&subject, v.version));
            }
            records.push(LogRecord::tombstone(v.key.clone()));
            if st.subject(&subject).is_some_and(|e| e.versions.len() == 1) {
                Self::forget_subject_settings(st, &subject, &mut records);
            }
        } else {
            if v.deleted {
                return Err(ApiError::version_soft_deleted(&subject, v.version));
            }
            if !st.referrers(&subject, v.version, false).is_empty() {
                return Err(ApiError::reference_exists(&subject, v.version));
            }
            let s = &v.schema;
            let value = SchemaValue {
                subject: subject.clone(),
                version: v.version,
                id: s.id,
                schema_type: Some(s.schema_type.as_str().to_string()),
                references: s.references.clone(),
                metadata: s.metadata.clone(),
                rule_set: s.rule_set.clone(),
                schema: s.schema.to_string(),
                deleted: true,
            };
            records.push(LogRecord { key: v.key.clone(), value: Some(record::to_bytes(&value).into()) });
        }
        self.commit(w, records).await?;
        Ok(v.version)
    }

    /// DELETE /subjects/{s}
    pub async fn delete_subject(&self, subject_str: &str, permanent: bool) -> ApiResult<Vec<u32>> {
        let w = self.lock_writer().await?;
        let st = &w.pending;
        let subject = Self::find_subject(st, subject_str, true)?;
        let q = QualifiedSubject::parse(&subject).ok_or_else(|| ApiError::subject_not_found(subject_str))?;
        Self::check_writable(st, &q)?;
        let entry = st.subject(&subject).ok_or_else(|| ApiError::subject_not_found(&subject))?;
        let mut records = Vec::new();
        let deleted: Vec<u32>;
        if permanent {
            if entry.has_live() {
                return Err(ApiError::subject_not_soft_deleted(&subject));
            }
            for v in entry.versions.values() {
                if !st.referrers(&subject, v.version, true).is_empty() {
                    return Err(ApiError::reference_exists(&subject, v.version));
                }
            }
            deleted = entry.versions.keys().copied().collect();
            for v in entry.versions.values().rev() {
                records.push(LogRecord::tombstone(v.key.clone()));
            }
            Self::forget_subject_settings(st, &subject, &mut records);
        } else {
            if !entry.has_live() {
                return Err(ApiError::subject_soft_deleted(&subject));
            }
            for v in entry.live() {
                if !st.referrers(&subject, v.version, false).is_empty() {
                    return Err(ApiError::reference_exists(&subject, v.version));
                }
            }
            deleted = entry.live().map(|v| v.version).collect();
            let value = DeleteSubjectValue { subject: subject.clone(), version: entry.max_version() };
            records.push(LogRecord::new(
                Key::DeleteSubject { subject: subject.clone() }.encode(),
                Some(record::to_bytes(&value)),
            ));
        }
        self.commit(w, records).await?;
        Ok(deleted)
    }

    /// PUT /config[/{s}]: merge `update` into the stored config (absent = keep, null = clear).
    /// Returns the resulting stored fields.
    pub async fn update_config(&self, scope: ScopeKey, update: Map<String, Value>) -> ApiResult<Map<String, Value>> {
        let w = self.lock_writer().await?;
        let st = &w.pending;
        Self::check_writable(st, &Self::scope_subject(&scope))?;
        let mut fields: Map<String, Value> = st.configs.get(&scope).map(|c| (*c.value).clone()).unwrap_or_default();
        for (k, v) in update {
            if v.is_null() {
                fields.remove(&k);
            } else {
                fields.insert(k, v);
            }
        }
        let key = Key::Config { subject: scope.clone() };
        let rec = if fields.is_empty() {
            match st.configs.get(&scope) {
                Some(c) => LogRecord::tombstone(c.key.clone()),
                None => return Ok(fields),
            }
        } else {
            let key_bytes: Arc<[u8]> =
                st.configs.get(&scope).map(|c| c.key.clone()).unwrap_or_else(|| key.encode().into());
            LogRecord { key: key_bytes, value: Some(record::encode_config(scope.as_deref(), &fields).into()) }
        };
        self.commit(w, vec![rec]).await?;
        Ok(fields)
    }

    /// The subject (or bare context) whose mode governs writes to a config scope; the default
    /// context's for the global scope, so a global READONLY also freezes the global config.
    fn scope_subject(scope: &ScopeKey) -> QualifiedSubject {
        scope.as_deref().and_then(QualifiedSubject::parse).unwrap_or_else(|| QualifiedSubject::new(DEFAULT_CONTEXT, ""))
    }

    /// DELETE /config[/{s}]: returns the old fields, None when nothing was set.
    pub async fn delete_config(&self, scope: ScopeKey) -> ApiResult<Option<Map<String, Value>>> {
        let w = self.lock_writer().await?;
        Self::check_writable(&w.pending, &Self::scope_subject(&scope))?;
        let Some(old) = w.pending.configs.get(&scope).cloned() else { return Ok(None) };
        self.commit(w, vec![LogRecord::tombstone(old.key.clone())]).await?;
        Ok(Some((*old.value).clone()))
    }

    /// Subjects a mode scope covers: all (global), a context's, or one subject.
    fn subjects_in_scope<'a>(st: &'a State, scope: &ScopeKey) -> Vec<(&'a String, &'a state::SubjectEntry)> {
        let q = scope.as_deref().and_then(QualifiedSubject::parse);
        st.subjects
            .iter()
            .filter(|(name, _)| match &q {
                None => true,
                Some(q) if q.name.is_empty() => subject::context_of(name) == q.context,
                Some(q) => **name == q.qualified(),
            })
            .collect()
    }

    /// PUT /mode[/{s}]. Switching to IMPORT needs an empty scope unless `force`; soft-deleted
    /// versions in scope are then removed for good.
    pub async fn set_mode(&self, scope: ScopeKey, mode: Option<Mode>, force: bool) -> ApiResult<()> {
        let w = self.lock_writer().await?;
        let st = &w.pending;
        let key = Key::Mode { subject: scope.clone() };
        let key_bytes: Arc<[u8]> = st.modes.get(&scope).map(|m| m.key.clone()).unwrap_or_else(|| key.encode().into());
        let mut records = Vec::new();
        match mode {
            None => {
                if st.modes.contains_key(&scope) {
                    records.push(LogRecord::tombstone(key_bytes));
                }
            }
            Some(m) => {
                let q = scope.as_deref().and_then(QualifiedSubject::parse);
                let current = st.effective_mode(q.as_ref());
                if m == Mode::Import && current != Mode::Import {
                    let in_scope = Self::subjects_in_scope(st, &scope);
                    if !force && in_scope.iter().any(|(_, e)| e.has_live()) {
                        return Err(ApiError::not_permitted("Cannot import since found existing subjects"));
                    }
                    for (name, e) in &in_scope {
                        for v in e.versions.values().filter(|v| v.deleted) {
                            if !st.referrers(name, v.version, true).is_empty() {
                                return Err(ApiError::reference_exists(name, v.version));
                            }
                            records.push(LogRecord::tombstone(v.key.clone()));
                        }
                    }
                }
                let value = ModeValue { subject: scope.clone(), mode: m.as_str().to_string() };
                records.push(LogRecord { key: key_bytes, value: Some(record::to_bytes(&value).into()) });
            }
        }
        self.commit(w, records).await
    }

    /// DELETE /mode[/{s}]: returns the old mode (None when none was set). `recursive` also clears
    /// every subject-level mode in the scope's context.
    pub async fn delete_mode(&self, scope: ScopeKey, recursive: bool) -> ApiResult<Option<Mode>> {
        let w = self.lock_writer().await?;
        let st = &w.pending;
        let old = st.modes.get(&scope).map(|m| m.value);
        let mut records: Vec<LogRecord> =
            st.modes.get(&scope).map(|m| LogRecord::tombstone(m.key.clone())).into_iter().collect();
        if recursive {
            let context = match scope.as_deref().and_then(QualifiedSubject::parse) {
                Some(q) => q.context,
                None => DEFAULT_CONTEXT.to_string(),
            };
            for (k, m) in st.modes.iter() {
                if let Some(s) = k {
                    let q = QualifiedSubject::parse(s);
                    if k != &scope && q.is_some_and(|q| q.context == context && !q.name.is_empty()) {
                        records.push(LogRecord::tombstone(m.key.clone()));
                    }
                }
            }
        }
        if records.is_empty() {
            return Ok(None);
        }
        self.commit(w, records).await?;
        Ok(old.or(Some(Mode::ReadWrite)))
    }

    /// DELETE /contexts/{ctx}: only an empty context.
    pub async fn delete_context(&self, context: &str) -> ApiResult<()> {
        let w = self.lock_writer().await?;
        let st = &w.pending;
        let label = format!(":{context}:");
        if st.subjects.keys().any(|s| subject::context_of(s) == context) {
            return Err(ApiError::context_not_empty(&label));
        }
        if context == DEFAULT_CONTEXT || !st.contexts.contains_key(context) {
            return Ok(());
        }
        let key = Key::Context { tenant: "default".into(), context: context.to_string() };
        self.commit(w, vec![LogRecord::new(key.encode(), None)]).await
    }
}
