//! The link engine: mirror subjects, versions (with their ids), deletes, configs and modes from a
//! source registry to a destination registry, both reached over HTTP.
//!
//! One routine syncs a set of source subjects by diffing both sides over REST. A full pass runs
//! it over every selected subject; a Lockstep source's change feed names the subjects that
//! changed; other sources are polled with full passes. Each pass has two phases so references
//! are always in place before the schemas that use them, and deletes come last:
//! 1. imports: missing versions registered with their source id and version (references first,
//!    recursively), destination subjects put in IMPORT mode;
//! 2. deletes (soft, then hard), subject configs and modes.
//!
//! Nothing on the destination is overwritten: a version or id held there by another schema puts
//! the link in ERROR with both sides named; the subject stays dirty so a resume retries it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use parking_lot::Mutex;
use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::client::{ClientError, Reference, Registration, RegistryClient, SubjectVersion};
use crate::mapping::{auto_context, ContextType, Mapping, Qualified, DEFAULT_CONTEXT};
use crate::state::{now_ms, LinkState, RunState, StateFile};

/// How a link is set up.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    pub source: RegistryClient,
    pub destination: RegistryClient,
    /// Subject patterns (`*`, `orders-*`, `:.ctx:*`, `:*:`); empty = `*`.
    pub subjects: Vec<String>,
    pub context_type: ContextType,
    /// Destination context for CUSTOM (AUTO derives one from the source when None).
    pub context: Option<String>,
    pub rename_format: String,
    /// Subjects synced at once.
    pub concurrency: usize,
    /// Poll interval when the source has no change feed.
    pub poll_interval: Duration,
    /// Use the change feed when the source has one.
    pub use_feed: bool,
    /// Mirror the source's global config to the destination scope.
    pub mirror_global_config: bool,
}

impl LinkConfig {
    pub fn new(source: RegistryClient, destination: RegistryClient) -> Self {
        Self {
            source,
            destination,
            subjects: Vec::new(),
            context_type: ContextType::Auto,
            context: None,
            rename_format: "${subject}".into(),
            concurrency: 32,
            poll_interval: Duration::from_secs(10),
            use_feed: true,
            mirror_global_config: true,
        }
    }
}

/// Why a sync stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// The destination holds something else under a version or id: never overwritten.
    #[error("conflict: {0}")]
    Conflict(String),
    /// An error retrying will not fix (bad config, rejected schema, auth).
    #[error("{0}")]
    Fatal(String),
    /// A registry was unreachable or failed; retried later.
    #[error("{0}")]
    Transient(String),
}

impl SyncError {
    fn stops_link(&self) -> bool {
        !matches!(self, SyncError::Transient(_))
    }
}

fn side_err(side: &str, what: &str, e: ClientError) -> SyncError {
    let msg = format!("{side}: {what}: {e}");
    if e.is_transient() {
        SyncError::Transient(msg)
    } else {
        SyncError::Fatal(msg)
    }
}

/// One version's content (immutable on a registry once written).
#[derive(Debug, Clone, PartialEq)]
pub struct VersionData {
    pub id: i64,
    pub schema_type: String,
    pub references: Vec<Reference>,
    pub schema: String,
}

impl VersionData {
    fn from(v: SubjectVersion) -> Self {
        Self {
            id: v.id,
            schema_type: v.schema_type.unwrap_or_else(|| "AVRO".into()),
            references: v.references,
            schema: v.schema,
        }
    }
}

/// A subject on one side: versions (with soft-delete flags), effective mode, subject config.
#[derive(Debug, Clone, Default)]
pub struct SubjectSnapshot {
    pub versions: BTreeMap<i64, (Arc<VersionData>, bool)>,
    pub mode: Option<String>,
    pub config: Option<Map<String, Value>>,
}

impl SubjectSnapshot {
    fn fingerprint(&self) -> String {
        let v: Vec<(i64, i64, bool)> = self.versions.iter().map(|(n, (d, del))| (*n, d.id, *del)).collect();
        format!("{v:?}|{:?}|{:?}", self.mode, self.config)
    }
}

/// Same schema text, or the same after JSON parsing (key order, whitespace) or whitespace folding.
pub fn same_schema(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if let (Ok(x), Ok(y)) = (serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)) {
        return x == y;
    }
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    fold(a) == fold(b)
}

fn is_readonly(mode: Option<&str>) -> bool {
    matches!(mode, Some("READONLY" | "READONLY_OVERRIDE"))
}

/// Version contents by (subject, version).
type VersionCache = Mutex<HashMap<(String, i64), Arc<VersionData>>>;

/// Read a subject's versions, mode and config from a registry. `cache` keeps version contents.
async fn fetch_subject(
    c: &RegistryClient,
    side: &str,
    subject: &str,
    cache: Option<&VersionCache>,
) -> Result<SubjectSnapshot, SyncError> {
    let what = |w: &str| format!("{w} of subject '{subject}'");
    let (all, live, mode, config) = tokio::join!(
        c.versions_with(subject, true),
        c.versions_with(subject, false),
        c.get_mode(Some(subject), true),
        c.get_config(Some(subject), false),
    );
    let all = all.map_err(|e| side_err(side, &what("versions"), e))?;
    let live: HashSet<i64> = live.map_err(|e| side_err(side, &what("versions"), e))?.into_iter().collect();
    let mode = mode.map_err(|e| side_err(side, &what("mode"), e))?;
    let config = config.map_err(|e| side_err(side, &what("config"), e))?.map(|mut m| {
        m.remove("subject");
        m
    });
    let mut snap = SubjectSnapshot { versions: BTreeMap::new(), mode, config };
    for n in all {
        let key = (subject.to_string(), n);
        let cached = cache.and_then(|c| c.lock().get(&key).cloned());
        let data = match cached {
            Some(d) => d,
            None => match c.version_any(subject, n).await.map_err(|e| side_err(side, &what("a version"), e))? {
                Some(v) => {
                    let d = Arc::new(VersionData::from(v));
                    if let Some(c) = cache {
                        c.lock().insert(key, d.clone());
                    }
                    d
                }
                // Hard-deleted between the listing and the read.
                None => continue,
            },
        };
        snap.versions.insert(n, (data, !live.contains(&n)));
    }
    Ok(snap)
}

/// Read a subject (versions with delete flags, effective mode, subject config) for comparisons.
pub async fn fetch_subject_public(c: &RegistryClient, side: &str, subject: &str) -> anyhow::Result<SubjectSnapshot> {
    fetch_subject(c, side, subject, None).await.map_err(|e| anyhow::anyhow!(e.to_string()))
}

/// Work left for phase 2 of a subject.
#[derive(Debug, Default)]
struct Finish {
    src: String,
    dst: String,
    soft: Vec<i64>,
    hard: Vec<(i64, bool)>,
    config: Option<Option<Map<String, Value>>>,
    mode: Option<String>,
    gone: bool,
    fingerprint: String,
}

/// Progress of the current pass (for a progress bar).
#[derive(Debug, Default)]
pub struct Progress {
    pub total: AtomicU64,
    pub done: AtomicU64,
}

/// A running link.
pub struct Link {
    cfg: LinkConfig,
    mapping: Mapping,
    state: Mutex<LinkState>,
    file: StateFile,
    src_cache: VersionCache,
    /// Destination (subject, version, id) already verified or written.
    dst_ok: Mutex<HashSet<(String, i64)>>,
    /// Destination subjects known to be in IMPORT mode.
    dst_import: Mutex<HashSet<String>>,
    /// Source fingerprints of subjects as last mirrored.
    synced: Mutex<HashMap<String, String>>,
    pub progress: Progress,
    last_save: Mutex<u64>,
    /// Destination subjects (incl. soft-deleted) listed at the start of a full pass.
    dst_listing: Mutex<Option<Arc<HashSet<String>>>>,
    /// Effective destination mode per context, during a full pass.
    context_modes: Mutex<HashMap<String, Option<String>>>,
}

/// The result of a pass.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    pub subjects: usize,
    /// Subjects that failed transiently (left dirty).
    pub failed: usize,
}

impl Link {
    /// Resolve the mapping (AUTO asks the source for its identity) and load saved state.
    pub async fn open(cfg: LinkConfig, file: StateFile) -> anyhow::Result<Arc<Link>> {
        let context = match (cfg.context_type, &cfg.context) {
            (ContextType::Auto, None) => {
                let id = cfg.source.cluster_id().await.ok().flatten();
                Some(auto_context(id.as_deref(), cfg.source.base()))
            }
            (_, c) => c.clone(),
        };
        let mapping = Mapping::new(&cfg.subjects, cfg.context_type, context, &cfg.rename_format)
            .map_err(|e| anyhow::anyhow!(e))?;
        let mut state = file.load()?.unwrap_or_default();
        let (src, dst) = (cfg.source.base().to_string(), cfg.destination.base().to_string());
        if (!state.source.is_empty() && state.source != src)
            || (!state.destination.is_empty() && state.destination != dst)
        {
            anyhow::bail!(
                "state file {} belongs to the link {} → {}, not {src} → {dst}",
                file.path().map(|p| p.display().to_string()).unwrap_or_default(),
                state.source,
                state.destination
            );
        }
        state.source = src;
        state.destination = dst;
        Ok(Arc::new(Link {
            cfg,
            mapping,
            state: Mutex::new(state),
            file,
            src_cache: Mutex::default(),
            dst_ok: Mutex::default(),
            dst_import: Mutex::default(),
            synced: Mutex::default(),
            progress: Progress::default(),
            last_save: Mutex::new(0),
            dst_listing: Mutex::default(),
            context_modes: Mutex::default(),
        }))
    }

    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// A copy of the current state.
    pub fn status(&self) -> LinkState {
        self.state.lock().clone()
    }

    /// Change the state (and save it).
    pub fn set_state(&self, s: RunState, error: Option<String>) {
        {
            let mut st = self.state.lock();
            st.state = s;
            if error.is_some() || s != RunState::Error {
                st.last_error = error;
            }
        }
        self.save(true);
    }

    /// Forget the position and what was mirrored: the next run starts with a full pass.
    pub fn reset(&self) {
        {
            let mut st = self.state.lock();
            st.position = 0;
            st.initial_sync_done = false;
            st.dirty.clear();
            st.lag = 0;
            st.last_error = None;
        }
        self.synced.lock().clear();
        self.dst_ok.lock().clear();
        self.dst_import.lock().clear();
        self.save(true);
    }

    /// Save the state; unforced saves at most every 200 ms.
    pub fn save(&self, force: bool) {
        let now = now_ms();
        {
            let mut last = self.last_save.lock();
            if !force && now.saturating_sub(*last) < 200 {
                return;
            }
            *last = now;
        }
        let st = self.state.lock().clone();
        if let Err(e) = self.file.save(&st) {
            tracing::warn!("cannot save link state: {e:#}");
        }
    }

    fn src_name(&self) -> String {
        format!("source {}", self.cfg.source.base())
    }

    fn dst_name(&self) -> String {
        format!("destination {}", self.cfg.destination.base())
    }

    fn count(&self, f: impl FnOnce(&mut crate::state::Counts)) {
        f(&mut self.state.lock().counts);
    }

    // ------------------------------------------------------------------ selection

    /// Source subjects to sync in a full pass: the selected ones (incl. soft-deleted), plus
    /// exported ones that have disappeared (hard-deleted), plus dirty ones.
    async fn all_subjects(&self) -> Result<Vec<String>, SyncError> {
        let prefix = if self.mapping.needs_contexts() { Some(":*:") } else { None };
        let listed = self
            .cfg
            .source
            .subjects_with(prefix, true)
            .await
            .map_err(|e| side_err(&self.src_name(), "listing subjects", e))?;
        let mut set: BTreeSet<String> = listed.into_iter().filter(|s| self.mapping.selects(s)).collect();
        let st = self.state.lock();
        set.extend(st.exported.iter().cloned());
        set.extend(st.dirty.iter().cloned());
        Ok(set.into_iter().collect())
    }

    // ------------------------------------------------------------------ destination scope

    /// Put the destination scope (the link's context, or the whole registry for NONE/DEFAULT)
    /// in IMPORT mode when it holds no subjects yet; otherwise subjects get IMPORT one by one.
    async fn prepare_destination(&self) -> Result<(), SyncError> {
        let d = &self.cfg.destination;
        let scope = self.mapping.dest_scope();
        let effective =
            d.get_mode(scope.as_deref(), true).await.map_err(|e| side_err(&self.dst_name(), "reading mode", e))?;
        if effective.as_deref() == Some("IMPORT") {
            return Ok(());
        }
        let existing = d
            .subjects_with(Some(scope.as_deref().unwrap_or(":*:")), false)
            .await
            .map_err(|e| side_err(&self.dst_name(), "listing subjects", e))?;
        if existing.is_empty() {
            match d.set_mode(scope.as_deref(), "IMPORT", false).await {
                Ok(()) => self.count(|c| c.modes_written += 1),
                Err(e) if e.is_transient() => return Err(side_err(&self.dst_name(), "setting IMPORT mode", e)),
                // Refused (e.g. subjects the listing did not show): subjects get IMPORT one by one.
                Err(e) => {
                    tracing::info!("destination scope stays as it is ({e}); subjects are set to IMPORT one by one")
                }
            }
        }
        Ok(())
    }

    /// Mirror the source's global config onto the destination scope.
    async fn sync_global(&self) -> Result<(), SyncError> {
        if !self.cfg.mirror_global_config {
            return Ok(());
        }
        let src = self
            .cfg
            .source
            .get_config(None, true)
            .await
            .map_err(|e| side_err(&self.src_name(), "reading global config", e))?
            .unwrap_or_default();
        let scope = self.mapping.dest_scope();
        let dst = self
            .cfg
            .destination
            .get_config(scope.as_deref(), scope.is_none())
            .await
            .map_err(|e| side_err(&self.dst_name(), "reading config", e))?;
        let want = config_fields(&src);
        if want.is_empty() || dst.as_ref().map(config_fields).as_ref() == Some(&want) {
            return Ok(());
        }
        self.cfg
            .destination
            .put_config(scope.as_deref(), &config_body(&want, dst.as_ref()))
            .await
            .map_err(|e| side_err(&self.dst_name(), "writing config", e))?;
        self.count(|c| c.configs_written += 1);
        Ok(())
    }

    // ------------------------------------------------------------------ one subject

    async fn ensure_import(&self, dst_subject: &str, current: Option<&str>) -> Result<bool, SyncError> {
        if self.dst_import.lock().contains(dst_subject) || current == Some("IMPORT") {
            self.dst_import.lock().insert(dst_subject.to_string());
            return Ok(false);
        }
        // The subject's destination versions were compared first: forcing only drops soft-deleted
        // versions, which the link imports again.
        self.cfg
            .destination
            .set_mode(Some(dst_subject), "IMPORT", true)
            .await
            .map_err(|e| side_err(&self.dst_name(), &format!("setting IMPORT mode on '{dst_subject}'"), e))?;
        self.count(|c| c.modes_written += 1);
        self.dst_import.lock().insert(dst_subject.to_string());
        Ok(true)
    }

    fn conflict_text(&self, src_subject: &str, n: i64, s: &VersionData, dst_subject: &str, d: &VersionData) -> String {
        format!(
            "{} subject '{src_subject}' version {n} is schema id {} ({}); {} subject '{dst_subject}' version {n} is schema id {} ({}); the destination is left unchanged",
            self.src_name(),
            s.id,
            abbreviate(&s.schema),
            self.dst_name(),
            d.id,
            abbreviate(&d.schema),
        )
    }

    fn same_version(&self, src_subject: &str, s: &VersionData, d: &VersionData) -> bool {
        let refs_match = s.references.len() == d.references.len()
            && s.references.iter().zip(&d.references).all(|(a, b)| {
                a.name == b.name
                    && a.version == b.version
                    && self
                        .mapping
                        .dest_reference(src_subject, &a.subject)
                        .is_some_and(|m| m == b.subject || Qualified::parse(&m) == Qualified::parse(&b.subject))
            });
        s.id == d.id && s.schema_type == d.schema_type && same_schema(&s.schema, &d.schema) && refs_match
    }

    /// Register one source version on the destination (its references first).
    fn import_version<'a>(
        &'a self,
        src_subject: &'a str,
        dst_subject: &'a str,
        n: i64,
        data: Arc<VersionData>,
        depth: usize,
    ) -> futures_util::future::BoxFuture<'a, Result<(), SyncError>> {
        Box::pin(async move {
            if depth > 32 {
                return Err(SyncError::Fatal(format!(
                    "references of '{src_subject}' version {n} nest more than 32 levels"
                )));
            }
            for r in &data.references {
                self.ensure_reference(src_subject, r, depth + 1).await?;
            }
            let references = data
                .references
                .iter()
                .map(|r| {
                    let subject = self.mapping.dest_reference(src_subject, &r.subject).ok_or_else(|| {
                        SyncError::Fatal(format!("malformed reference subject '{}' in '{src_subject}'", r.subject))
                    })?;
                    Ok(Reference { name: r.name.clone(), subject, version: r.version })
                })
                .collect::<Result<Vec<_>, SyncError>>()?;
            let reg = Registration {
                schema: data.schema.clone(),
                schema_type: Some(data.schema_type.clone()),
                references,
                id: Some(data.id),
                version: Some(n),
            };
            match self.cfg.destination.register(dst_subject, &reg).await {
                Ok(_) => {
                    self.count(|c| c.versions_imported += 1);
                    self.dst_ok.lock().insert((dst_subject.to_string(), n));
                    Ok(())
                }
                Err(e) if matches!(e.code(), Some(42205 | 42207)) => {
                    self.dst_import.lock().remove(dst_subject);
                    Err(SyncError::Conflict(format!(
                        "{} subject '{src_subject}' version {n} (schema id {}, {}) cannot be imported into {} subject '{dst_subject}': {}",
                        self.src_name(),
                        data.id,
                        abbreviate(&data.schema),
                        self.dst_name(),
                        e
                    )))
                }
                Err(e) => Err(side_err(
                    &self.dst_name(),
                    &format!("importing '{src_subject}' version {n} (id {}) as '{dst_subject}'", data.id),
                    e,
                )),
            }
        })
    }

    /// Make sure a referenced version exists on the destination (imported if missing).
    async fn ensure_reference(&self, referrer: &str, r: &Reference, depth: usize) -> Result<(), SyncError> {
        let bad = || SyncError::Fatal(format!("malformed reference subject '{}' in '{referrer}'", r.subject));
        let src_subject = self.mapping.source_reference(referrer, &r.subject).ok_or_else(bad)?;
        let dst_subject = self.mapping.dest_subject(&src_subject).ok_or_else(bad)?;
        if self.dst_ok.lock().contains(&(dst_subject.clone(), r.version)) {
            return Ok(());
        }
        let key = (src_subject.clone(), r.version);
        let cached = self.src_cache.lock().get(&key).cloned();
        let data = match cached {
            Some(d) => d,
            None => {
                let v = self
                    .cfg
                    .source
                    .version_any(&src_subject, r.version)
                    .await
                    .map_err(|e| side_err(&self.src_name(), "reading a referenced version", e))?
                    .ok_or_else(|| {
                        SyncError::Fatal(format!(
                            "{}: '{referrer}' references '{src_subject}' version {}, which does not exist",
                            self.src_name(),
                            r.version
                        ))
                    })?;
                let d = Arc::new(VersionData::from(v));
                self.src_cache.lock().insert(key, d.clone());
                d
            }
        };
        let existing = self
            .cfg
            .destination
            .version_any(&dst_subject, r.version)
            .await
            .map_err(|e| side_err(&self.dst_name(), "reading a referenced version", e))?;
        if let Some(v) = existing {
            let d = VersionData::from(v);
            if !self.same_version(&src_subject, &data, &d) {
                return Err(SyncError::Conflict(self.conflict_text(&src_subject, r.version, &data, &dst_subject, &d)));
            }
            self.dst_ok.lock().insert((dst_subject, r.version));
            return Ok(());
        }
        let mode = self.cfg.destination.get_mode(Some(&dst_subject), true).await.ok().flatten();
        self.ensure_import(&dst_subject, mode.as_deref()).await?;
        self.import_version(&src_subject, &dst_subject, r.version, data, depth).await
    }

    /// Phase 1 for one subject: compare, import what is missing; returns phase 2's work.
    async fn phase_import(&self, src_subject: &str) -> Result<Option<Finish>, SyncError> {
        let dst_subject = self
            .mapping
            .dest_subject(src_subject)
            .ok_or_else(|| SyncError::Fatal(format!("malformed subject '{src_subject}'")))?;
        let src = fetch_subject(&self.cfg.source, &self.src_name(), src_subject, Some(&self.src_cache)).await?;
        if src.mode.as_deref() == Some("IMPORT") && !src.versions.is_empty() {
            // Imported into the source by another link: not exported again (no loops).
            self.count(|c| c.skipped_imported += 1);
            return Ok(None);
        }
        let fingerprint = src.fingerprint();
        if self.synced.lock().get(src_subject) == Some(&fingerprint) {
            return Ok(None);
        }
        let dst = self.fetch_destination(&dst_subject).await?;
        let mut fin = Finish {
            src: src_subject.to_string(),
            dst: dst_subject.clone(),
            fingerprint,
            gone: src.versions.is_empty(),
            ..Default::default()
        };

        // Compare what both sides hold.
        let mut missing = Vec::new();
        for (n, (s, s_deleted)) in &src.versions {
            match dst.versions.get(n) {
                Some((d, d_deleted)) => {
                    if !self.same_version(src_subject, s, d) {
                        return Err(SyncError::Conflict(self.conflict_text(src_subject, *n, s, &dst_subject, d)));
                    }
                    if *d_deleted && !*s_deleted {
                        return Err(SyncError::Conflict(format!(
                            "{} subject '{src_subject}' version {n} (id {}) is live but {} subject '{dst_subject}' version {n} was deleted there; the destination is left unchanged",
                            self.src_name(),
                            s.id,
                            self.dst_name()
                        )));
                    }
                    self.dst_ok.lock().insert((dst_subject.clone(), *n));
                    if *s_deleted && !*d_deleted {
                        fin.soft.push(*n);
                    }
                }
                None => missing.push((*n, s.clone(), *s_deleted)),
            }
        }
        for (n, (_, d_deleted)) in &dst.versions {
            if !src.versions.contains_key(n) {
                fin.hard.push((*n, !*d_deleted));
            }
        }

        // The destination subject is held in IMPORT mode (READONLY when the source's is).
        let mut dst_mode = dst.mode.clone();
        let writes = !missing.is_empty() || !fin.soft.is_empty() || !fin.hard.is_empty();
        if writes && dst_mode.as_deref() != Some("IMPORT") {
            let forced = self.ensure_import(&dst_subject, dst_mode.as_deref()).await?;
            if forced && dst.versions.values().any(|(_, del)| *del) {
                // Forcing IMPORT dropped the destination's soft-deleted versions: look again.
                self.state.lock().dirty.insert(src_subject.to_string());
            }
            dst_mode = Some("IMPORT".into());
        }
        for (n, data, deleted) in missing {
            self.import_version(src_subject, &dst_subject, n, data, 0).await?;
            if deleted {
                fin.soft.push(n);
            }
        }
        if src.config != dst.config {
            fin.config = Some(src.config.clone());
        }
        let want = if is_readonly(src.mode.as_deref()) { src.mode.clone() } else { Some("IMPORT".to_string()) };
        if !fin.gone && dst_mode != want {
            fin.mode = want;
        }
        Ok(Some(fin))
    }

    /// Phase 2 for one subject. Ok(false) when a delete must wait for a referrer's delete.
    async fn phase_finish(&self, fin: &mut Finish) -> Result<bool, SyncError> {
        let d = &self.cfg.destination;
        let dn = self.dst_name();
        let dst = fin.dst.clone();
        let mut deferred = false;
        let soft: Vec<i64> = fin.soft.drain(..).collect();
        for n in soft {
            match d.delete_version(&dst, n, false).await {
                Ok(()) => self.count(|c| c.soft_deletes += 1),
                Err(e) if e.code() == Some(40406) => {}
                Err(e) if e.code() == Some(42206) => {
                    fin.soft.push(n);
                    deferred = true;
                }
                Err(e) => return Err(side_err(&dn, &format!("soft-deleting '{dst}' version {n}"), e)),
            }
        }
        let hard: Vec<(i64, bool)> = fin.hard.drain(..).collect();
        for (n, live) in hard {
            if live {
                match d.delete_version(&dst, n, false).await {
                    Ok(()) | Err(ClientError::Registry { code: 40406, .. }) => {}
                    Err(e) if e.code() == Some(42206) => {
                        fin.hard.push((n, live));
                        deferred = true;
                        continue;
                    }
                    Err(e) => return Err(side_err(&dn, &format!("deleting '{dst}' version {n}"), e)),
                }
            }
            match d.delete_version(&dst, n, true).await {
                Ok(()) | Err(ClientError::Registry { code: 40401 | 40402, .. }) => {
                    self.count(|c| c.hard_deletes += 1);
                    self.dst_ok.lock().remove(&(dst.clone(), n));
                }
                Err(e) if e.code() == Some(42206) => {
                    fin.hard.push((n, false));
                    deferred = true;
                }
                Err(e) => return Err(side_err(&dn, &format!("permanently deleting '{dst}' version {n}"), e)),
            }
        }
        if deferred {
            return Ok(false);
        }
        if fin.gone {
            self.dst_import.lock().remove(&dst);
        } else {
            if let Some(cfg) = fin.config.take() {
                match cfg {
                    Some(m) => {
                        let body = config_body(&config_fields(&m), None);
                        d.put_config(Some(&dst), &body)
                            .await
                            .map_err(|e| side_err(&dn, &format!("writing config of '{dst}'"), e))?;
                    }
                    None => {
                        d.delete_config(Some(&dst))
                            .await
                            .map_err(|e| side_err(&dn, &format!("deleting config of '{dst}'"), e))?;
                    }
                }
                self.count(|c| c.configs_written += 1);
            }
            if let Some(m) = fin.mode.take() {
                d.set_mode(Some(&dst), &m, true)
                    .await
                    .map_err(|e| side_err(&dn, &format!("setting mode {m} on '{dst}'"), e))?;
                self.count(|c| c.modes_written += 1);
                if m == "IMPORT" {
                    self.dst_import.lock().insert(dst.clone());
                } else {
                    self.dst_import.lock().remove(&dst);
                }
            }
        }
        Ok(true)
    }

    /// Sync a set of source subjects (two phases, `concurrency` at a time). Transient failures
    /// leave subjects dirty; a conflict or fatal error stops the pass and is returned.
    pub async fn sync_subjects(&self, subjects: Vec<String>) -> Result<PassReport, SyncError> {
        let n = subjects.len();
        self.progress.total.store(n as u64, Ordering::Relaxed);
        self.progress.done.store(0, Ordering::Relaxed);
        let conc = self.cfg.concurrency.max(1);
        let mut failed: BTreeSet<String> = BTreeSet::new();
        let mut stop: Option<SyncError> = None;
        let mut finishes = Vec::new();

        let mut results = futures_util::stream::iter(subjects.iter().cloned())
            .map(|s| async move {
                let r = self.phase_import(&s).await;
                (s, r)
            })
            .buffer_unordered(conc);
        while let Some((s, r)) = results.next().await {
            self.progress.done.fetch_add(1, Ordering::Relaxed);
            match r {
                Ok(Some(f)) => finishes.push(f),
                Ok(None) => {
                    self.state.lock().dirty.remove(&s);
                }
                Err(e) => {
                    failed.insert(s.clone());
                    if e.stops_link() {
                        stop.get_or_insert(e);
                        break;
                    }
                    tracing::debug!("sync of '{s}' failed, retried later: {e}");
                    self.state.lock().last_error = Some(e.to_string());
                }
            }
        }
        drop(results);

        if stop.is_none() {
            // Phase 2; deletes blocked by references are retried while some progress is made.
            let mut pending: Vec<Finish> = finishes;
            for _round in 0..8 {
                if pending.is_empty() {
                    break;
                }
                let before = pending.len();
                let outcomes: Vec<(Finish, Result<bool, SyncError>)> = futures_util::stream::iter(pending)
                    .map(|mut f| async move {
                        let r = self.phase_finish(&mut f).await;
                        (f, r)
                    })
                    .buffer_unordered(conc)
                    .collect()
                    .await;
                pending = Vec::new();
                for (f, r) in outcomes {
                    match r {
                        Ok(true) => {
                            let mut st = self.state.lock();
                            st.dirty.remove(&f.src);
                            st.counts.subjects_synced += 1;
                            if f.gone {
                                st.exported.remove(&f.src);
                                drop(st);
                                self.synced.lock().remove(&f.src);
                            } else {
                                st.exported.insert(f.src.clone());
                                drop(st);
                                self.synced.lock().insert(f.src.clone(), f.fingerprint.clone());
                            }
                        }
                        Ok(false) => pending.push(f),
                        Err(e) if e.stops_link() => {
                            failed.insert(f.src.clone());
                            stop.get_or_insert(e);
                        }
                        Err(e) => {
                            self.state.lock().last_error = Some(e.to_string());
                            failed.insert(f.src.clone());
                        }
                    }
                }
                if pending.len() == before || stop.is_some() {
                    break;
                }
            }
            for f in pending {
                failed.insert(f.src);
            }
        }
        {
            let mut st = self.state.lock();
            for s in &failed {
                st.dirty.insert(s.clone());
                self.synced.lock().remove(s);
            }
            st.counts.retries += failed.len() as u64;
            st.last_sync_ms = now_ms();
        }
        if let Some(e) = stop {
            if matches!(e, SyncError::Conflict(_)) {
                self.count(|c| c.conflicts += 1);
            }
            return Err(e);
        }
        Ok(PassReport { subjects: n, failed: failed.len() })
    }

    /// A full pass: destination scope, global config, every selected subject.
    pub async fn full_pass(&self) -> Result<PassReport, SyncError> {
        self.prepare_destination().await?;
        self.sync_global().await?;
        let subjects = self.all_subjects().await?;
        // One listing of the destination spares reading subjects it does not have.
        // (Both listings: registries without contexts may not understand `:*:`.)
        let d = &self.cfg.destination;
        let (all, default) = tokio::join!(d.subjects_with(Some(":*:"), true), d.subjects_with(None, true));
        let mut listed: HashSet<String> =
            all.map_err(|e| side_err(&self.dst_name(), "listing subjects", e))?.into_iter().collect();
        listed.extend(default.map_err(|e| side_err(&self.dst_name(), "listing subjects", e))?);
        *self.dst_listing.lock() = Some(Arc::new(listed));
        self.context_modes.lock().clear();
        let r = self.sync_subjects(subjects).await;
        *self.dst_listing.lock() = None;
        r
    }

    /// A destination subject: read it, unless this pass's listing shows it does not exist (then
    /// only its context's effective mode is needed, read once per context).
    async fn fetch_destination(&self, subject: &str) -> Result<SubjectSnapshot, SyncError> {
        let listing = self.dst_listing.lock().clone();
        let absent = listing.is_some_and(|l| !l.contains(subject));
        if !absent {
            return fetch_subject(&self.cfg.destination, &self.dst_name(), subject, None).await;
        }
        let context = Qualified::parse(subject).map(|q| q.context).unwrap_or_else(|| DEFAULT_CONTEXT.into());
        let cached = self.context_modes.lock().get(&context).cloned();
        let mode = match cached {
            Some(m) => m,
            None => {
                let scope = (context != DEFAULT_CONTEXT).then(|| format!(":{context}:"));
                let m = self
                    .cfg
                    .destination
                    .get_mode(scope.as_deref(), true)
                    .await
                    .map_err(|e| side_err(&self.dst_name(), "reading mode", e))?;
                self.context_modes.lock().insert(context, m.clone());
                m
            }
        };
        Ok(SubjectSnapshot { versions: BTreeMap::new(), mode, config: None })
    }

    // ------------------------------------------------------------------ running

    /// The change feed's end: (next offset, has feed).
    async fn feed_head(&self, from: u64) -> Result<Option<u64>, SyncError> {
        let mut pos = from;
        loop {
            match self.cfg.source.changes(pos, 10_000, 0).await {
                Ok(None) => return Ok(None),
                Ok(Some(page)) if page.records.is_empty() => return Ok(Some(page.next.max(pos))),
                Ok(Some(page)) => pos = page.next.max(pos + 1),
                Err(e) => return Err(side_err(&self.src_name(), "reading the change feed", e)),
            }
        }
    }

    /// Sync everything once and return. With a feed, the position is set to the feed's end as
    /// of the start of the pass, so a continuous run carries on from there.
    pub async fn run_once(&self) -> Result<PassReport, SyncError> {
        let head = if self.cfg.use_feed { self.feed_head(0).await? } else { None };
        self.set_state(RunState::Running, None);
        let r = self.full_pass().await;
        self.finish_run(r, head)
    }

    fn finish_run(&self, r: Result<PassReport, SyncError>, head: Option<u64>) -> Result<PassReport, SyncError> {
        match r {
            Ok(rep) => {
                {
                    let mut st = self.state.lock();
                    if let Some(h) = head {
                        st.feed = true;
                        st.position = h;
                    }
                    st.initial_sync_done = true;
                    st.lag = st.dirty.len() as u64;
                    if rep.failed == 0 {
                        st.last_error = None;
                    }
                }
                self.save(true);
                Ok(rep)
            }
            Err(e) => {
                self.fail(&e);
                Err(e)
            }
        }
    }

    fn fail(&self, e: &SyncError) {
        if e.stops_link() {
            tracing::error!("link stopped: {e}");
            self.set_state(RunState::Error, Some(e.to_string()));
        } else {
            self.state.lock().last_error = Some(e.to_string());
            self.save(true);
        }
    }

    /// Run until `stop` turns true: an initial full pass (unless done before), then follow the
    /// source's change feed (or poll it). Returns Err when the link goes to ERROR.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) -> Result<(), SyncError> {
        self.set_state(RunState::Starting, None);
        let mut backoff = Duration::from_millis(200);
        // Start: find out about the feed, make the initial pass.
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let start = async {
                let done = self.state.lock().initial_sync_done;
                let has_feed = self.cfg.use_feed
                    && self
                        .cfg
                        .source
                        .changes(0, 1, 0)
                        .await
                        .map_err(|e| side_err(&self.src_name(), "probing the change feed", e))?
                        .is_some();
                if !done || !has_feed {
                    // With a feed: carry on from the head as of the start of the pass.
                    let head = if has_feed { self.feed_head(0).await? } else { None };
                    self.set_state(RunState::Running, None);
                    let r = self.full_pass().await;
                    return self.finish_run(r, head).map(|_| has_feed);
                }
                self.set_state(RunState::Running, None);
                Ok(true)
            };
            let started = tokio::select! {
                r = start => r,
                _ = stop.changed() => {
                    self.save(true);
                    return Ok(());
                }
            };
            match started {
                Ok(feed) => {
                    self.state.lock().feed = feed;
                    break;
                }
                Err(e) if e.stops_link() => {
                    self.fail(&e);
                    return Err(e);
                }
                Err(e) => {
                    self.fail(&e);
                    if sleep_or_stop(&mut stop, backoff).await {
                        return Ok(());
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
        let feed = self.state.lock().feed;
        let r = if feed { self.follow(&mut stop).await } else { self.poll(&mut stop).await };
        if let Err(e) = &r {
            self.fail(e);
        }
        self.save(true);
        r
    }

    /// Retry dirty subjects (after a backoff).
    async fn retry_dirty(&self) -> Result<(), SyncError> {
        let dirty: Vec<String> = self.state.lock().dirty.iter().cloned().collect();
        if dirty.is_empty() {
            return Ok(());
        }
        self.sync_subjects(dirty).await.map(|_| ())
    }

    async fn follow(&self, stop: &mut watch::Receiver<bool>) -> Result<(), SyncError> {
        let mut backoff = Duration::from_millis(200);
        let mut next_retry = tokio::time::Instant::now();
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let pos = self.state.lock().position;
            let has_dirty = !self.state.lock().dirty.is_empty();
            let wait_ms = if has_dirty { 200 } else { 5_000 };
            let page = tokio::select! {
                p = self.cfg.source.changes(pos, 10_000, wait_ms) => p,
                _ = stop.changed() => return Ok(()),
            };
            let page = match page {
                Ok(Some(p)) => p,
                Ok(None) => return self.poll(stop).await,
                Err(e) => {
                    self.state.lock().last_error = Some(format!("{}: reading the change feed: {e}", self.src_name()));
                    if sleep_or_stop(stop, backoff).await {
                        return Ok(());
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    continue;
                }
            };
            backoff = Duration::from_millis(200);
            if !page.records.is_empty() {
                let (subjects, global) = self.affected(&page.records);
                self.state.lock().lag = page.records.len() as u64;
                if global {
                    if let Err(e) = self.sync_global().await {
                        if e.stops_link() {
                            return Err(e);
                        }
                        self.state.lock().last_error = Some(e.to_string());
                    }
                }
                self.sync_subjects(subjects).await?;
                let mut st = self.state.lock();
                st.position = page.next.max(pos + 1);
                st.lag = st.dirty.len() as u64;
                drop(st);
                self.save(false);
            }
            if !self.state.lock().dirty.is_empty() && tokio::time::Instant::now() >= next_retry {
                self.retry_dirty().await?;
                let delay = if self.state.lock().dirty.is_empty() {
                    Duration::from_millis(200)
                } else {
                    Duration::from_secs(1)
                };
                next_retry = tokio::time::Instant::now() + delay;
                self.save(false);
            }
        }
    }

    /// Subjects named by feed records (selected or exported), and whether global settings changed.
    fn affected(&self, records: &[crate::client::Change]) -> (Vec<String>, bool) {
        let mut set = BTreeSet::new();
        let mut global = false;
        let mut all = false;
        let exported = self.state.lock().exported.clone();
        for r in records {
            let keytype = r.key["keytype"].as_str().unwrap_or("");
            let subject = r.key["subject"].as_str();
            match (keytype, subject) {
                ("SCHEMA" | "DELETE_SUBJECT" | "CLEAR_SUBJECT" | "CONFIG" | "MODE", Some(s)) if !s.ends_with(':') => {
                    if self.mapping.selects(s) || exported.contains(s) {
                        set.insert(s.to_string());
                    }
                    continue;
                }
                ("CONFIG", _) => global = true,
                // A global or context mode changes the effective mode of many subjects.
                ("MODE", _) => all = true,
                _ => {}
            }
        }
        if all {
            set.extend(exported);
        }
        (set.into_iter().collect(), global)
    }

    async fn poll(&self, stop: &mut watch::Receiver<bool>) -> Result<(), SyncError> {
        self.state.lock().feed = false;
        loop {
            if sleep_or_stop(stop, self.cfg.poll_interval).await {
                return Ok(());
            }
            match self.full_pass().await {
                Ok(_) => {
                    let mut st = self.state.lock();
                    st.lag = st.dirty.len() as u64;
                    st.last_sync_ms = now_ms();
                }
                Err(e) if e.stops_link() => return Err(e),
                Err(e) => self.state.lock().last_error = Some(e.to_string()),
            }
            self.save(false);
        }
    }
}

/// Sleep; true when `stop` turned true meanwhile.
async fn sleep_or_stop(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *stop.borrow(),
        r = stop.changed() => r.is_err() || *stop.borrow(),
    }
}

const CONFIG_FIELDS: &[&str] = &[
    "compatibilityLevel",
    "normalize",
    "validateFields",
    "validateRules",
    "compatibilityGroup",
    "compatibilityPolicy",
    "defaultMetadata",
    "overrideMetadata",
    "defaultRuleSet",
    "overrideRuleSet",
];

/// The config fields worth mirroring (what `GET /config` answers, minus `subject`/`alias`).
fn config_fields(m: &Map<String, Value>) -> Map<String, Value> {
    m.iter()
        .filter(|(k, v)| CONFIG_FIELDS.contains(&k.as_str()) && !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A `PUT /config` body making the destination hold exactly `want` (fields it has beyond are cleared).
fn config_body(want: &Map<String, Value>, have: Option<&Map<String, Value>>) -> Map<String, Value> {
    let rename = |k: &str| if k == "compatibilityLevel" { "compatibility".to_string() } else { k.to_string() };
    let mut body: Map<String, Value> = want.iter().map(|(k, v)| (rename(k), v.clone())).collect();
    if let Some(h) = have {
        for k in config_fields(h).keys() {
            if !want.contains_key(k) {
                body.insert(rename(k), Value::Null);
            }
        }
    }
    body
}

fn abbreviate(s: &str) -> String {
    if s.chars().count() <= 80 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(80).collect::<String>())
    }
}

/// Is the context of `subject` the default one?
pub fn in_default_context(subject: &str) -> bool {
    Qualified::parse(subject).is_some_and(|q| q.context == DEFAULT_CONTEXT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_compare_by_meaning_of_their_text() {
        assert!(same_schema(r#"{"type":"string"}"#, r#"{ "type" : "string" }"#));
        assert!(!same_schema(r#"{"type":"string"}"#, r#"{"type":"int"}"#));
        assert!(same_schema("syntax = \"proto3\";\nmessage A {}", "syntax = \"proto3\"; message A {}"));
        assert!(!same_schema("message A {}", "message B {}"));
    }

    #[test]
    fn config_bodies_clear_extra_fields() {
        let want: Map<String, Value> = serde_json::from_str(r#"{"compatibilityLevel":"FULL"}"#).unwrap();
        let have: Map<String, Value> =
            serde_json::from_str(r#"{"compatibilityLevel":"NONE","normalize":true,"alias":"x"}"#).unwrap();
        let body = config_body(&want, Some(&have));
        assert_eq!(Value::Object(body), serde_json::json!({"compatibility":"FULL","normalize":null}));
    }
}
