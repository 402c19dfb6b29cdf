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

mod apply;
mod contexts;
mod feed;
mod keys;
mod plan;
mod poll;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::watch;

use crate::client::{ClientError, RegistryClient};
use crate::mapping::{ContextType, Mapping, Qualified, DEFAULT_CONTEXT};
use crate::state::{now_ms, LinkState, RunState, StateFile};

pub use keys::{subject_keys, SubjectKeys};
use plan::VersionCache;
pub use plan::{fetch_subject_public, same_schema, SubjectSnapshot, VersionData};

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
    /// Poll interval when the source has no change feed (the shortest, after a change).
    pub poll_interval: Duration,
    /// The longest poll interval: while nothing changes the interval doubles up to this
    /// (None: 6 × `poll_interval`).
    pub max_poll_interval: Option<Duration>,
    /// Requests per second to the source at most (None: no limit). Also sizes each poll's
    /// sweep of subject modes and configs.
    pub max_requests_per_second: Option<f64>,
    /// Subjects whose mode and config a poll reads when no request budget is set.
    pub sweep_per_poll: usize,
    /// Use the change feed when the source has one.
    pub use_feed: bool,
    /// Mirror the source's global config to the destination scope.
    pub mirror_global_config: bool,
    /// Source and destination are one registry on purpose (an exporter without
    /// `schema.registry.url` exports from context to context); otherwise a destination that
    /// turns out to be the source (same instance id, whatever the URLs) is refused.
    pub within_registry: bool,
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
            max_poll_interval: None,
            max_requests_per_second: None,
            sweep_per_poll: 100,
            use_feed: true,
            mirror_global_config: true,
            within_registry: false,
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

pub(super) fn side_err(side: &str, what: &str, e: ClientError) -> SyncError {
    let msg = format!("{side}: {what}: {e}");
    if e.is_transient() {
        SyncError::Transient(msg)
    } else {
        SyncError::Fatal(msg)
    }
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
    /// The destination's instance id (None until read; Some(None) for a registry without one):
    /// subjects that originated there are never sent back.
    dst_instance: Mutex<Option<Option<String>>>,
    /// Same registry (context-to-context export).
    same_registry: bool,
    /// The source is a Lockstep registry (its listings mark soft-deleted versions).
    src_lockstep: bool,
    /// Per source subject, as last read: (versions fingerprint, mode/config fingerprint).
    src_seen: Mutex<HashMap<String, (String, String)>>,
    /// Source global (and context) settings as last read by a poll.
    src_scopes_seen: Mutex<Option<String>>,
    /// Where the next poll's sweep of subject modes/configs starts.
    sweep_cursor: Mutex<usize>,
    /// The source or the destination has KEKs (read at the start of each pass): keys are mirrored.
    src_has_keks: Mutex<bool>,
    /// KEKs this link has mirrored (in this process): those it may delete permanently later.
    mirrored_keks: Mutex<HashSet<String>>,
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
    pub async fn open(mut cfg: LinkConfig, file: StateFile) -> anyhow::Result<Arc<Link>> {
        if cfg.max_requests_per_second.is_some() {
            cfg.source = cfg.source.clone().with_rate_limit(cfg.max_requests_per_second);
        }
        let (src_id, dst_id) = tokio::join!(cfg.source.identity(), cfg.destination.identity());
        let src_id = src_id.unwrap_or_default();
        let dst_id = match dst_id {
            Ok(id) => Some(id),
            // A registry without /v1/metadata/id has no instance id either.
            Err(e) if !e.is_transient() => Some(Default::default()),
            // Unreachable for now: read before the first pass.
            Err(_) => None,
        };
        let same_registry = cfg.within_registry
            || (src_id.instance_id.is_some() && dst_id.as_ref().is_some_and(|d| d.instance_id == src_id.instance_id));
        if same_registry
            && (!cfg.within_registry || matches!(cfg.context_type, ContextType::None | ContextType::Default))
        {
            anyhow::bail!(
                "the destination {} is the source registry itself (instance id {}); a link within one registry needs contextType AUTO or CUSTOM and no destination URL",
                cfg.destination.base(),
                src_id.instance_id.as_deref().unwrap_or("-")
            );
        }
        let context = match (cfg.context_type, &cfg.context) {
            (ContextType::Auto, None) => Some(src_id.auto_context(cfg.source.base())),
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
        state.source_origin =
            Some(src_id.instance_id.clone().or(src_id.cluster_id.clone()).unwrap_or_else(|| src.clone()));
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
            dst_instance: Mutex::new(dst_id.map(|d| d.instance_id)),
            same_registry,
            src_lockstep: src_id.instance_id.is_some(),
            src_seen: Mutex::default(),
            src_scopes_seen: Mutex::default(),
            sweep_cursor: Mutex::default(),
            src_has_keks: Mutex::default(),
            mirrored_keks: Mutex::default(),
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
            st.subjects.clear();
            st.lag = 0;
            st.last_error = None;
        }
        self.synced.lock().clear();
        self.src_seen.lock().clear();
        *self.src_scopes_seen.lock() = None;
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

    // ------------------------------------------------------------------ running

    /// Sync everything once and return. With a feed, the position is set to the feed's end as
    /// of the start of the pass, so a continuous run carries on from there.
    pub async fn run_once(&self) -> Result<PassReport, SyncError> {
        let head = if self.cfg.use_feed { self.feed_head(0).await? } else { None };
        self.set_state(RunState::Running, None);
        let r = self.full_pass().await;
        let r = self.finish_run(r, head);
        if r.is_err() && !self.state.lock().initial_sync_done {
            // A link that failed to start leaves no changed mode behind.
            self.restore_destination_mode().await;
        }
        r
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
    /// A clean stop, or a failure before the first full pass finished, restores the destination
    /// scope's mode as it was (see [`Link::restore_destination_mode`]).
    pub async fn run(&self, stop: watch::Receiver<bool>) -> Result<(), SyncError> {
        let r = self.run_inner(stop).await;
        if r.is_ok() || !self.state.lock().initial_sync_done {
            self.restore_destination_mode().await;
        }
        r
    }

    async fn run_inner(&self, mut stop: watch::Receiver<bool>) -> Result<(), SyncError> {
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
}

/// Sleep; true when `stop` turned true meanwhile.
pub(super) async fn sleep_or_stop(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *stop.borrow(),
        r = stop.changed() => r.is_err() || *stop.borrow(),
    }
}

pub(super) fn abbreviate(s: &str) -> String {
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
