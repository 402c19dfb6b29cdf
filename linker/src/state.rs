//! A link's state (position, state, counts, lag, last error), persisted as JSON, written
//! atomically (temp file + fsync + rename) so it survives restarts and crashes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The state machine of a link (Confluent's exporter states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RunState {
    #[default]
    Starting,
    Running,
    Paused,
    Error,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "STARTING",
            Self::Running => "RUNNING",
            Self::Paused => "PAUSED",
            Self::Error => "ERROR",
        }
    }
}

/// What a link has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Counts {
    pub subjects_synced: u64,
    pub versions_imported: u64,
    pub soft_deletes: u64,
    pub hard_deletes: u64,
    pub configs_written: u64,
    pub modes_written: u64,
    pub skipped_imported: u64,
    pub conflicts: u64,
    pub retries: u64,
}

/// A destination scope's mode as it was before the link set IMPORT there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScopeMode {
    /// `:.ctx:` or None for the global scope.
    pub scope: Option<String>,
    /// The mode set at that level (None: none was, it inherited).
    pub original: Option<String>,
}

/// One linked subject as last mirrored (for `lockstep link status`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubjectStatus {
    /// The destination subject.
    pub destination: String,
    /// Where its schemas come from when that is not this link's source: the origin registry's
    /// instance id of a forwarded subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The highest source version mirrored.
    pub version: i64,
    /// When it was last mirrored (ms since the epoch).
    pub synced_ms: u64,
    /// From its last change being noticed (a feed record, a poll's listing, a pass) until it
    /// was mirrored, in ms (retries included).
    pub lag_ms: u64,
    /// Since when a change has been waiting (failed or deferred sync); None when in step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_since_ms: Option<u64>,
}

/// Persisted link state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LinkState {
    pub state: RunState,
    /// Why the link is in ERROR (both sides named), or the last transient failure.
    pub last_error: Option<String>,
    /// Change-feed offset everything before which is mirrored (Lockstep sources).
    pub position: u64,
    /// The source has a change feed.
    pub feed: bool,
    /// The first full pass finished.
    pub initial_sync_done: bool,
    /// Source subjects that still need a sync (failed or deferred).
    pub dirty: BTreeSet<String>,
    /// Source subjects this link has exported (to mirror their later hard deletion).
    pub exported: BTreeSet<String>,
    /// Forwarded source subjects (imported into the source from an origin context) and the
    /// versions this link wrote for them: only those are removed when the source drops them.
    pub forwarded: BTreeMap<String, BTreeSet<i64>>,
    /// The destination scope's mode before this link changed it (restored on a failed start,
    /// a clean stop, and by `lockstep link promote --state-file`).
    pub scope_mode: Option<ScopeMode>,
    pub counts: Counts,
    /// Per linked source subject: destination, origin, version, last sync, lag.
    pub subjects: BTreeMap<String, SubjectStatus>,
    /// Who the source is (its instance id, else cluster id, else URL): the origin of every
    /// subject that names none.
    pub source_origin: Option<String>,
    /// Records behind the source (feed) or subjects left in the current pass.
    pub lag: u64,
    /// Milliseconds since the epoch of the last completed sync.
    pub last_sync_ms: u64,
    /// Polling (sources without a feed): the current interval and the requests the last poll
    /// sent to the source.
    pub poll_interval_ms: u64,
    pub last_poll_requests: u64,
    /// Source and destination URLs, to refuse a state file of another link.
    pub source: String,
    pub destination: String,
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Somewhere else a link's state lives (the coordination topic of a registry cluster, where
/// only the leader's writes land).
pub trait StateBackend: Send + Sync {
    fn load(&self) -> anyhow::Result<Option<LinkState>>;
    fn save(&self, state: &LinkState) -> anyhow::Result<()>;
}

/// Where a state lives: a JSON file, a [`StateBackend`], or nowhere.
#[derive(Clone)]
pub struct StateFile {
    path: Option<PathBuf>,
    backend: Option<std::sync::Arc<dyn StateBackend>>,
}

impl std::fmt::Debug for StateFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateFile").field("path", &self.path).field("backend", &self.backend.is_some()).finish()
    }
}

impl StateFile {
    pub fn new(path: Option<PathBuf>) -> Self {
        Self { path, backend: None }
    }

    /// A state kept by `backend` instead of a file.
    pub fn backed(backend: std::sync::Arc<dyn StateBackend>) -> Self {
        Self { path: None, backend: Some(backend) }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The saved state, or None when there is no file yet.
    pub fn load(&self) -> anyhow::Result<Option<LinkState>> {
        if let Some(b) = &self.backend {
            return b.load();
        }
        let Some(path) = &self.path else { return Ok(None) };
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(
                serde_json::from_slice(&bytes)
                    .map_err(|e| anyhow::anyhow!("link state file {} is not valid: {e}", path.display()))?,
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(anyhow::anyhow!("cannot read link state file {}: {e}", path.display())),
        }
    }

    /// Write atomically: temp file in the same directory, fsync, rename.
    pub fn save(&self, state: &LinkState) -> anyhow::Result<()> {
        if let Some(b) = &self.backend {
            return b.save(state);
        }
        let Some(path) = &self.path else { return Ok(()) };
        write_atomically(path, &serde_json::to_vec_pretty(state)?)
    }
}

/// Write `bytes` to `path` via a temp file + fsync + rename (+ directory fsync).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "state".into());
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        anyhow::anyhow!("cannot write {}: {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = StateFile::new(Some(dir.path().join("sub/link.json")));
        assert_eq!(f.load().unwrap(), None);
        let mut s = LinkState { position: 42, feed: true, ..Default::default() };
        s.dirty.insert("a".into());
        s.counts.versions_imported = 3;
        f.save(&s).unwrap();
        assert_eq!(f.load().unwrap(), Some(s));
        std::fs::write(dir.path().join("sub/link.json"), b"{not json").unwrap();
        assert!(f.load().is_err());
        assert_eq!(StateFile::new(None).load().unwrap(), None);
    }
}
