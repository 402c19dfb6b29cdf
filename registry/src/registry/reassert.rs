//! Keeping compaction from resurrecting a loser (shared log only).
//!
//! When two nodes race for one subject-version, the record that comes first wins and the later
//! one is skipped. If both carry the same key, compaction keeps the *newest* record per key —
//! the loser — so a node rebuilt from the compacted topic would see the loser's schema and id
//! where every live node has the winner's (an acknowledged registration lost). The losing node
//! writes the winner again when it reads its own record back ([`Registry::rewrite_winners`]);
//! this module covers the case where it never does (it crashed, or it was not a Lockstep node):
//! every node notes each key whose newest record is a skipped one with a live winner under the
//! same key, and a few seconds later, if no newer record for that key has come, writes the
//! winner's record again. Several nodes may do so at once: the copies are identical. A key
//! still pending at start-up (the loser's node crashed, then the cluster restarted) is noted
//! while the topic is replayed, so it is handled too.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::Registry;
use crate::state::State;
use crate::store::{Key, LogRecord, SharedLog};
use crate::subject;

/// How long a loser's own node has to write the winner again before any node does.
const GRACE: Duration = Duration::from_secs(3);

/// Keys whose newest record lost to a winner under the same key, with when that was seen.
#[derive(Default)]
pub(super) struct Pending {
    keys: parking_lot::Mutex<HashMap<Arc<[u8]>, Instant>>,
}

impl Pending {
    /// Note a record just applied to `st` (`took_effect` as [`State::apply_at`] said).
    pub(super) fn note(&self, st: &State, rec: &LogRecord, took_effect: bool) {
        let mut keys = self.keys.lock();
        if took_effect {
            if !keys.is_empty() {
                keys.remove(&rec.key);
            }
            return;
        }
        if winner_under_same_key(st, rec) {
            keys.entry(rec.key.clone()).or_insert_with(Instant::now);
        }
    }

    /// Take over what a replay noted.
    pub(super) fn adopt(&self, other: Pending) {
        self.keys.lock().extend(other.keys.into_inner());
    }

    /// Keys noted at least `GRACE` ago.
    fn due(&self) -> Vec<Arc<[u8]>> {
        let now = Instant::now();
        self.keys.lock().iter().filter(|(_, t)| now.duration_since(**t) >= GRACE).map(|(k, _)| k.clone()).collect()
    }
}

/// Whether `rec` (a skipped SCHEMA record) shares its key with the live entry that beat it.
fn winner_under_same_key(st: &State, rec: &LogRecord) -> bool {
    let Ok(Key::Schema { subject, version }) = Key::decode(&rec.key) else { return false };
    let Some(name) = subject::normalize(&subject) else { return false };
    st.subject(&name).and_then(|s| s.versions.get(&version)).is_some_and(|e| *e.key == *rec.key)
}

impl Registry {
    /// Every couple of seconds, write the winners of keys whose newest record is a loser.
    pub(super) fn start_reasserting(self: &Arc<Self>, log: Arc<dyn SharedLog>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(GRACE / 2).await;
                let Some(me) = weak.upgrade() else { return };
                let due = me.pending_winners.due();
                if due.is_empty() {
                    continue;
                }
                let deadline = Instant::now() + me.config.write_timeout;
                let n = me.rewrite_winners(log.as_ref(), &due, deadline).await;
                tracing::info!(keys = due.len(), written = n, "wrote winners again over records that lost to them");
            }
        });
    }
}
