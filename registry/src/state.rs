//! The in-memory state, built only by applying log records in order ([`State::apply`]).
//! The same function serves replay at start, local writes and (with the Kafka store) records
//! written by other nodes or by Confluent Schema Registry itself.
//!
//! Persistent maps (`imbl`) make a clone O(1), so readers hold an immutable snapshot while the
//! writer applies the next records to its own copy.

use std::collections::BTreeMap;
use std::sync::Arc;

use imbl::{HashMap as PMap, OrdMap};
use md5::{Digest, Md5};
use serde_json::{Map, Value};

use crate::schema::{SchemaReference, SchemaType};
use crate::store::record::{self, DeleteSubjectValue, Key, ModeValue, SchemaValue};
use crate::store::LogRecord;
use crate::subject::{self, QualifiedSubject, DEFAULT_CONTEXT, GLOBAL_CONTEXT};

/// Identity of a schema within a context: MD5 over the canonical text, references, metadata and rule set.
pub type SchemaHash = [u8; 16];

/// A schema as stored under an id.
#[derive(Debug, Clone)]
pub struct StoredSchema {
    pub id: u32,
    pub schema_type: SchemaType,
    pub schema: Arc<str>,
    pub references: Vec<SchemaReference>,
    pub metadata: Option<Value>,
    pub rule_set: Option<Value>,
    pub hash: SchemaHash,
    /// The `GET /schemas/ids/{id}` body, rendered on first use. It lives and dies with the
    /// schema, so a deleted or replaced id can never be served from it.
    pub rendered: std::sync::OnceLock<bytes::Bytes>,
}

impl PartialEq for StoredSchema {
    fn eq(&self, other: &Self) -> bool {
        (self.id, self.schema_type, &self.schema, &self.references, &self.metadata, &self.rule_set, self.hash)
            == (
                other.id,
                other.schema_type,
                &other.schema,
                &other.references,
                &other.metadata,
                &other.rule_set,
                other.hash,
            )
    }
}

impl StoredSchema {
    /// The guid Confluent 8.x shows: the identity hash as a UUID.
    pub fn guid(&self) -> String {
        guid(&self.hash)
    }
}

pub fn guid(h: &SchemaHash) -> String {
    let x: String = h.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &x[0..8], &x[8..12], &x[12..16], &x[16..20], &x[20..32])
}

/// The identity hash of a schema, exactly as Confluent computes it (`Schema.updateHash`): MD5
/// over the canonical text, each reference's name, subject and version (4 bytes, big-endian),
/// then `0x01` + the metadata's hash and `0x01` + the rule set's hash when present. Same hash ⇒
/// same id in a context; shown as the guid, so a guid matches Confluent's for the same schema.
pub fn schema_hash(
    schema: &str,
    references: &[SchemaReference],
    metadata: Option<&Value>,
    rule_set: Option<&Value>,
) -> SchemaHash {
    let mut h = Md5::new();
    h.update(schema.as_bytes());
    for r in references {
        h.update(r.name.as_bytes());
        h.update(r.subject.as_bytes());
        h.update(r.version.to_be_bytes());
    }
    if let Some(m) = metadata {
        h.update([1u8]);
        crate::rules::update_metadata_hash(&mut h, m);
    }
    if let Some(r) = rule_set {
        h.update([1u8]);
        crate::rules::update_hash(&mut h, r);
    }
    h.finalize().into()
}

/// One version of a subject.
#[derive(Debug, Clone)]
pub struct VersionEntry {
    pub version: u32,
    pub schema: Arc<StoredSchema>,
    pub deleted: bool,
    /// The exact key bytes of the record that wrote it: deletes tombstone these bytes.
    pub key: Arc<[u8]>,
    /// This version's Schema entity (lookup, GET version, register), rendered on first use.
    /// A change to the version replaces the entry, and with it this body.
    pub rendered: std::sync::OnceLock<bytes::Bytes>,
}

/// All versions of one subject, including soft-deleted ones. Subjects have few versions, so a
/// plain map copied on write (with its subject entry) is smaller than a persistent one, whose
/// nodes are sized for many entries.
#[derive(Debug, Clone, Default)]
pub struct SubjectEntry {
    pub versions: BTreeMap<u32, VersionEntry>,
}

impl SubjectEntry {
    pub fn live(&self) -> impl DoubleEndedIterator<Item = &VersionEntry> {
        self.versions.values().filter(|v| !v.deleted)
    }
    pub fn latest_live(&self) -> Option<&VersionEntry> {
        self.live().next_back()
    }
    pub fn max_version(&self) -> u32 {
        self.versions.keys().next_back().copied().unwrap_or(0)
    }
    pub fn has_live(&self) -> bool {
        self.live().next().is_some()
    }
}

/// One context: its own id space.
#[derive(Debug, Clone, Default)]
pub struct ContextEntry {
    pub by_id: PMap<u32, Arc<StoredSchema>>,
    pub by_hash: PMap<SchemaHash, u32>,
    /// How many subject-versions use each id; at 0 the id is gone (hard-deleted everywhere).
    usage: PMap<u32, u32>,
    /// Highest id ever seen in this context: new ids are max+1, so ids are never reused.
    pub max_id: u32,
}

impl ContextEntry {
    /// How many subject-versions use each id (for comparing states).
    pub fn usage(&self) -> &PMap<u32, u32> {
        &self.usage
    }
}

/// Registry modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    ReadWrite,
    ReadOnly,
    ReadOnlyOverride,
    Import,
    Forward,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        Some(match s.to_ascii_uppercase().as_str() {
            "READWRITE" => Mode::ReadWrite,
            "READONLY" => Mode::ReadOnly,
            "READONLY_OVERRIDE" => Mode::ReadOnlyOverride,
            "IMPORT" => Mode::Import,
            "FORWARD" => Mode::Forward,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadWrite => "READWRITE",
            Mode::ReadOnly => "READONLY",
            Mode::ReadOnlyOverride => "READONLY_OVERRIDE",
            Mode::Import => "IMPORT",
            Mode::Forward => "FORWARD",
        }
    }
    pub fn is_read_only(self) -> bool {
        matches!(self, Mode::ReadOnly | Mode::ReadOnlyOverride)
    }
}

/// A stored config or mode with the key bytes that wrote it.
#[derive(Debug, Clone)]
pub struct Keyed<T> {
    pub value: T,
    pub key: Arc<[u8]>,
}

/// Config/mode scope key: None = global, Some(":.ctx:") = a context, Some(subject).
pub type ScopeKey = Option<String>;

/// The whole registry state.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Qualified subject (`name` or `:.ctx:name`) → versions.
    pub subjects: OrdMap<String, SubjectEntry>,
    /// Context name (`.` or `.ctx`) → id space. Contexts seen in CONTEXT records appear even when empty.
    pub contexts: OrdMap<String, ContextEntry>,
    pub configs: OrdMap<ScopeKey, Keyed<Arc<Map<String, Value>>>>,
    pub modes: OrdMap<ScopeKey, Keyed<Mode>>,
    /// The DEK Registry's KEKs and DEKs.
    pub keys: crate::dek::KeyState,
    /// The log position this state reflects: the offset after the last record applied.
    pub position: u64,
}

impl State {
    /// Apply the record at the current position (the next offset). See [`State::apply_at`].
    pub fn apply(&mut self, rec: &LogRecord) -> bool {
        self.apply_at(self.position, rec)
    }

    /// Apply the record at log `offset`. Never fails: a record that cannot be understood, or that
    /// loses to an earlier record under the rules below, is logged and skipped (as Confluent's
    /// reader does), so one bad record never stops the registry. Returns whether it took effect.
    ///
    /// Several nodes may write to one log. Every node applies the same records in the same order
    /// with the same rules, so every node reaches the same state; a writer whose record lost
    /// learns it when it reads the record back, and retries:
    /// - the first record for an id in a context wins: a later one with another schema is skipped;
    /// - a schema keeps the first id it got in a context: a record giving it another id is skipped;
    /// - a live subject-version keeps its id: a record giving it another id is skipped, unless
    ///   the subject is in IMPORT (or FORWARD) mode, where a version is written as given;
    /// - a tombstone for a live (not soft-deleted) version is skipped.
    pub fn apply_at(&mut self, offset: u64, rec: &LogRecord) -> bool {
        self.position = offset + 1;
        let key = match Key::decode(&rec.key) {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(offset, "skipping log record: {e}");
                return false;
            }
        };
        let value = rec.value.as_deref();
        let result = match key {
            Key::Schema { subject, version } => match value {
                Some(v) => self.apply_schema(&subject, version, v, rec.key.clone()),
                None => match subject::normalize(&subject) {
                    // Versions are soft-deleted before they are deleted permanently (every writer's
                    // API enforces it): a tombstone for a live version is a stale one (see
                    // registry/reassert.rs) and never deletes it.
                    Some(s) if self.subject(&s).and_then(|e| e.versions.get(&version)).is_some_and(|v| !v.deleted) => {
                        Err(format!("{s} version {version} is live; a tombstone for it is ignored"))
                    }
                    Some(s) => {
                        self.remove_version(&s, version);
                        Ok(())
                    }
                    None => Ok(()),
                },
            },
            Key::Config { subject } => self.apply_config(subject, value, rec.key.clone()),
            Key::Mode { subject } => self.apply_mode(subject, value, rec.key.clone()),
            Key::DeleteSubject { subject } => self.apply_delete_subject(&subject, value),
            Key::ClearSubject { subject } => {
                self.clear_deleted(subject.as_deref());
                Ok(())
            }
            Key::Context { context, .. } => {
                if value.is_none() {
                    // A deleted context: only an empty one is ever deleted.
                    if !self.subjects.keys().any(|s| subject::context_of(s) == context) {
                        self.contexts.remove(&context);
                    }
                } else if subject::parse_context(&context).is_some() {
                    self.contexts.entry(context).or_default();
                }
                Ok(())
            }
            Key::Noop => Ok(()),
            Key::IdHighWater { context } => self.apply_high_water(&context, value),
            Key::Kek { .. } | Key::Dek { .. } => self.keys.apply(&key, rec.key.clone(), value),
        };
        match result {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(offset, "skipping log record: {e}");
                false
            }
        }
    }

    fn apply_schema(&mut self, key_subject: &str, version: u32, value: &[u8], key: Arc<[u8]>) -> Result<(), String> {
        let v: SchemaValue = serde_json::from_slice(value).map_err(|e| format!("bad SCHEMA value: {e}"))?;
        let subject = subject::normalize(key_subject).ok_or_else(|| format!("bad subject {key_subject}"))?;
        let schema_type = v.schema_type()?;
        let hash = schema_hash(&v.schema, &v.references, v.metadata.as_ref(), v.rule_set.as_ref());
        let context = subject::context_of(&subject);
        if let Some(existing) = self.subjects.get(&subject).and_then(|s| s.versions.get(&version)) {
            // IMPORT mode writes a version as given, over what it held (Confluent does).
            let importing = QualifiedSubject::parse(&subject)
                .is_some_and(|q| matches!(self.effective_mode(Some(&q)), Mode::Import | Mode::Forward));
            if !existing.deleted && existing.schema.id != v.id && !importing {
                return Err(format!(
                    "{subject} version {version} already holds id {}; a record giving it id {} is ignored",
                    existing.schema.id, v.id
                ));
            }
        }
        let ctx = self.contexts.entry(context.clone()).or_default();
        if let Some(&first) = ctx.by_hash.get(&hash) {
            if first != v.id && ctx.by_id.contains_key(&first) {
                return Err(format!(
                    "this schema already has id {first} in context {context}; {subject} version {version} with id {} ignored",
                    v.id
                ));
            }
        }
        let stored = match ctx.by_id.get(&v.id) {
            Some(existing)
                if existing.hash != hash && !crate::store::equivalence::same_schema(existing, &v, schema_type) =>
            {
                return Err(format!(
                    "id {} in context {context} already holds a different schema; {subject} version {version} ignored",
                    v.id
                ))
            }
            Some(existing) => existing.clone(),
            None => Arc::new(StoredSchema {
                id: v.id,
                schema_type,
                schema: v.schema.into(),
                references: v.references,
                metadata: v.metadata,
                rule_set: v.rule_set,
                hash,
                rendered: std::sync::OnceLock::new(),
            }),
        };
        self.remove_version(&subject, version);
        let ctx = self.contexts.entry(context).or_default();
        ctx.by_id.insert(stored.id, stored.clone());
        ctx.by_hash.entry(stored.hash).or_insert(stored.id);
        *ctx.usage.entry(stored.id).or_insert(0) += 1;
        ctx.max_id = ctx.max_id.max(stored.id);
        let entry = VersionEntry { version, schema: stored, deleted: v.deleted, key, rendered: Default::default() };
        self.subjects.entry(subject).or_default().versions.insert(version, entry);
        Ok(())
    }

    /// LOCKSTEP_ID_HIGH_WATER: new ids in the context go above `maxId`.
    fn apply_high_water(&mut self, context: &str, value: Option<&[u8]>) -> Result<(), String> {
        let Some(v) = value else { return Ok(()) };
        let h: record::IdHighWaterValue =
            serde_json::from_slice(v).map_err(|e| format!("bad LOCKSTEP_ID_HIGH_WATER value: {e}"))?;
        if h.context != context || subject::parse_context(context).is_none() {
            return Err(format!("bad LOCKSTEP_ID_HIGH_WATER record for context {context}"));
        }
        let ctx = self.contexts.entry(context.to_string()).or_default();
        ctx.max_id = ctx.max_id.max(h.max_id);
        Ok(())
    }

    fn remove_version(&mut self, subject: &str, version: u32) {
        let Some(s) = self.subjects.get_mut(subject) else { return };
        let Some(old) = s.versions.remove(&version) else { return };
        if s.versions.is_empty() {
            self.subjects.remove(subject);
        }
        let context = subject::context_of(subject);
        if let Some(ctx) = self.contexts.get_mut(&context) {
            let id = old.schema.id;
            let left = ctx.usage.get(&id).copied().unwrap_or(1).saturating_sub(1);
            if left == 0 {
                ctx.usage.remove(&id);
                ctx.by_id.remove(&id);
                if ctx.by_hash.get(&old.schema.hash) == Some(&id) {
                    ctx.by_hash.remove(&old.schema.hash);
                }
            } else {
                ctx.usage.insert(id, left);
            }
        }
    }

    fn apply_config(&mut self, subject: Option<String>, value: Option<&[u8]>, key: Arc<[u8]>) -> Result<(), String> {
        match value {
            None => {
                self.configs.remove(&subject);
            }
            Some(v) => {
                let fields = record::decode_config(v)?;
                self.configs.insert(subject, Keyed { value: Arc::new(fields), key });
            }
        }
        Ok(())
    }

    fn apply_mode(&mut self, subject: Option<String>, value: Option<&[u8]>, key: Arc<[u8]>) -> Result<(), String> {
        match value {
            None => {
                self.modes.remove(&subject);
            }
            Some(v) => {
                let m: ModeValue = serde_json::from_slice(v).map_err(|e| format!("bad MODE value: {e}"))?;
                let mode = Mode::parse(&m.mode).ok_or_else(|| format!("unknown mode {}", m.mode))?;
                self.modes.insert(subject, Keyed { value: mode, key });
            }
        }
        Ok(())
    }

    fn apply_delete_subject(&mut self, key_subject: &str, value: Option<&[u8]>) -> Result<(), String> {
        let Some(v) = value else { return Ok(()) };
        let d: DeleteSubjectValue = serde_json::from_slice(v).map_err(|e| format!("bad DELETE_SUBJECT value: {e}"))?;
        let subject = subject::normalize(key_subject).ok_or_else(|| format!("bad subject {key_subject}"))?;
        if let Some(s) = self.subjects.get_mut(&subject) {
            let upto: Vec<u32> = s.versions.keys().copied().filter(|n| *n <= d.version).collect();
            for n in upto {
                if let Some(e) = s.versions.get_mut(&n) {
                    e.deleted = true;
                }
            }
        }
        Ok(())
    }

    /// CLEAR_SUBJECT: drop soft-deleted versions of a subject, of a context (`:.ctx:`), or of the
    /// default context (no subject).
    fn clear_deleted(&mut self, scope: Option<&str>) {
        let q = scope.and_then(QualifiedSubject::parse);
        let targets: Vec<(String, u32)> = self
            .subjects
            .iter()
            .filter(|(name, _)| match &q {
                None => subject::context_of(name) == DEFAULT_CONTEXT,
                Some(q) if q.name.is_empty() => subject::context_of(name) == q.context,
                Some(q) => **name == q.qualified(),
            })
            .flat_map(|(name, s)| s.versions.values().filter(|v| v.deleted).map(move |v| (name.clone(), v.version)))
            .collect();
        for (s, v) in targets {
            self.remove_version(&s, v);
        }
    }

    // ---------------------------------------------------------------- queries

    pub fn subject(&self, subject: &str) -> Option<&SubjectEntry> {
        self.subjects.get(subject)
    }

    pub fn context(&self, context: &str) -> Option<&ContextEntry> {
        self.contexts.get(context)
    }

    pub fn schema_by_id(&self, context: &str, id: u32) -> Option<&Arc<StoredSchema>> {
        self.contexts.get(context)?.by_id.get(&id)
    }

    /// The `:.__GLOBAL:` scope key.
    pub fn global_scope() -> ScopeKey {
        Some(format!(":{GLOBAL_CONTEXT}:"))
    }

    /// Scope keys as Confluent's `InMemoryCache.config()/mode()` looks at them, most specific
    /// first: the subject (when named); then its context for a named context, or the root
    /// (`/config`, `/mode`) for the default context; then `:.__GLOBAL:`. A subject in a named
    /// context never falls back to the root.
    pub fn scope_chain(subject: Option<&QualifiedSubject>) -> Vec<ScopeKey> {
        let mut chain = Vec::with_capacity(3);
        match subject {
            Some(q) => {
                if !q.name.is_empty() {
                    chain.push(Some(q.qualified()));
                }
                chain.push(q.context_key());
            }
            None => chain.push(None),
        }
        chain.push(Self::global_scope());
        chain
    }

    /// The config record in force for a subject (the root when None): the first scope of
    /// [`Self::scope_chain`] that has one. Records are not merged across scopes (Confluent's
    /// `getConfigInScope`); a missing `compatibilityLevel` means the server default.
    pub fn config_in_scope(&self, subject: Option<&QualifiedSubject>) -> Option<&Map<String, Value>> {
        if self.configs.is_empty() {
            return None;
        }
        Self::scope_chain(subject).iter().find_map(|k| self.configs.get(k)).map(|c| &*c.value)
    }

    /// One field of the config record in force for a subject (see [`Self::config_in_scope`]).
    pub fn config_field(&self, subject: Option<&QualifiedSubject>, field: &str) -> Option<&Value> {
        self.config_in_scope(subject)?.get(field)
    }

    fn mode_in_chain(&self, subject: Option<&QualifiedSubject>) -> Option<Mode> {
        Self::scope_chain(subject).iter().find_map(|k| self.modes.get(k).map(|m| m.value))
    }

    /// The mode in force for a subject (the root when None), as Confluent's `getModeInScope`:
    /// a root READONLY_OVERRIDE beats everything; otherwise the first scope of
    /// [`Self::scope_chain`] with a mode; READWRITE when none has one.
    pub fn effective_mode(&self, subject: Option<&QualifiedSubject>) -> Mode {
        if self.modes.is_empty() {
            return Mode::ReadWrite;
        }
        if self.mode_in_chain(None) == Some(Mode::ReadOnlyOverride) {
            return Mode::ReadOnlyOverride;
        }
        self.mode_in_chain(subject).unwrap_or(Mode::ReadWrite)
    }

    /// The mode set at exactly one scope, as Confluent's `getMode` (GET /mode without
    /// `defaultToGlobal`): a root READONLY_OVERRIDE wins; the root and `:.__GLOBAL:` answer
    /// READWRITE when unset; other scopes None when unset.
    pub fn mode_at(&self, scope: &ScopeKey) -> Option<Mode> {
        let root = self.modes.get(&None).map(|m| m.value);
        if root == Some(Mode::ReadOnlyOverride) {
            return root;
        }
        if let Some(m) = self.modes.get(scope) {
            return Some(m.value);
        }
        (scope.is_none() || *scope == Self::global_scope()).then_some(Mode::ReadWrite)
    }

    /// Ids (in any context) whose references point at `subject` version `version`.
    pub fn referrers(&self, subject: &str, version: u32, include_deleted: bool) -> Vec<u32> {
        let mut ids = Vec::new();
        for (name, s) in self.subjects.iter() {
            let referrer = QualifiedSubject::parse(name);
            for v in s.versions.values() {
                if v.deleted && !include_deleted {
                    continue;
                }
                let hit = v.schema.references.iter().any(|r| {
                    r.version == version as i32
                        && referrer.as_ref().and_then(|q| subject::qualify_in_context_of(&r.subject, q)).as_deref()
                            == Some(subject)
                });
                if hit && !ids.contains(&v.schema.id) {
                    ids.push(v.schema.id);
                }
            }
        }
        ids.sort_unstable();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::store::record::test_schema_record as schema_rec;

    #[test]
    fn ids_follow_records_and_conflicting_ids_are_ignored() {
        let mut s = State::default();
        s.apply(&schema_rec("a", 1, 1, "\"string\"", false));
        s.apply(&schema_rec("b", 1, 1, "\"int\"", false)); // id 1 taken by another schema: ignored
        assert!(s.subject("b").is_none());
        assert_eq!(s.schema_by_id(".", 1).unwrap().schema.as_ref(), "\"string\"");
        s.apply(&schema_rec(":.eu:b", 1, 1, "\"int\"", false)); // other context, own id space
        assert_eq!(s.schema_by_id(".eu", 1).unwrap().schema.as_ref(), "\"int\"");
        assert_eq!(s.position, 3);
    }

    #[test]
    fn concurrent_writers_lose_deterministically() {
        let mut s = State::default();
        assert!(s.apply_at(10, &schema_rec("a", 1, 1, "\"string\"", false)));
        // Another node picked the same subject-version for another schema and id: skipped.
        assert!(!s.apply_at(11, &schema_rec("a", 1, 2, "\"int\"", false)));
        assert_eq!(s.subject("a").unwrap().versions[&1].schema.id, 1);
        assert!(s.schema_by_id(".", 2).is_none());
        // Another node gave the same schema a second id: skipped.
        assert!(!s.apply_at(12, &schema_rec("b", 1, 3, "\"string\"", false)));
        assert!(s.subject("b").is_none());
        // The same schema under its own id in another subject is fine; so is a soft delete.
        assert!(s.apply_at(13, &schema_rec("b", 1, 1, "\"string\"", false)));
        assert!(s.apply_at(14, &schema_rec("a", 1, 1, "\"string\"", true)));
        assert_eq!(s.position, 15);
    }

    #[test]
    fn tombstone_removes_id_when_unused_but_max_id_stays() {
        let mut s = State::default();
        s.apply(&schema_rec("a", 1, 5, "\"string\"", false));
        let tombstone = LogRecord::tombstone(Key::Schema { subject: "a".into(), version: 1 }.encode().into());
        assert!(!s.apply(&tombstone), "a live version is soft-deleted before it is deleted permanently");
        assert_eq!(s.schema_by_id(".", 5).map(|x| x.id), Some(5));
        s.apply(&schema_rec("a", 1, 5, "\"string\"", true));
        assert!(s.apply(&tombstone));
        assert!(s.schema_by_id(".", 5).is_none());
        assert!(s.subject("a").is_none());
        assert_eq!(s.context(".").unwrap().max_id, 5);
    }

    #[test]
    fn delete_subject_marks_versions_and_clear_purges() {
        let mut s = State::default();
        s.apply(&schema_rec("a", 1, 1, "\"string\"", false));
        s.apply(&schema_rec("a", 2, 2, "\"int\"", false));
        let v = DeleteSubjectValue { subject: "a".into(), version: 2 };
        s.apply(&LogRecord::new(Key::DeleteSubject { subject: "a".into() }.encode(), Some(record::to_bytes(&v))));
        assert!(!s.subject("a").unwrap().has_live());
        s.apply(&LogRecord::new(
            Key::ClearSubject { subject: Some("a".into()) }.encode(),
            Some(b"{\"subject\":\"a\"}".to_vec()),
        ));
        assert!(s.subject("a").is_none());
    }

    #[test]
    fn config_and_mode_inherit_from_context_then_global() {
        let mut s = State::default();
        let cfg = |sub: Option<&str>, level: &str| {
            let mut m = Map::new();
            m.insert("compatibilityLevel".into(), Value::String(level.into()));
            LogRecord::new(
                Key::Config { subject: sub.map(String::from) }.encode(),
                Some(record::encode_config(sub, &m)),
            )
        };
        s.apply(&cfg(None, "FULL"));
        s.apply(&cfg(Some(":.eu:"), "NONE"));
        let q = QualifiedSubject::parse(":.eu:x").unwrap();
        assert_eq!(s.config_field(Some(&q), "compatibilityLevel").unwrap(), "NONE");
        let q = QualifiedSubject::parse("x").unwrap();
        assert_eq!(s.config_field(Some(&q), "compatibilityLevel").unwrap(), "FULL");
        let m = ModeValue { subject: None, mode: "READONLY".into() };
        s.apply(&LogRecord::new(Key::Mode { subject: None }.encode(), Some(record::to_bytes(&m))));
        assert_eq!(s.effective_mode(Some(&q)), Mode::ReadOnly);
    }

    #[test]
    fn unreadable_records_are_skipped() {
        let mut s = State::default();
        s.apply(&LogRecord::new(b"garbage".to_vec(), Some(b"x".to_vec())));
        s.apply(&LogRecord::new(Key::Schema { subject: "a".into(), version: 1 }.encode(), Some(b"{".to_vec())));
        assert!(s.subjects.is_empty());
        assert_eq!(s.position, 2);
    }
}
