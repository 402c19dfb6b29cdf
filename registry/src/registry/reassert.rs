//! Keeping compaction from resurrecting a loser (shared log only).
//!
//! When two nodes race for one subject-version, the record that comes first wins and the later
//! one is skipped. If both carry the same key, compaction keeps the *newest* record per key —
//! the loser — so a node rebuilt from the compacted topic would see the loser's schema and id
//! where every live node has the winner's (an acknowledged registration lost). The losing node
//! writes the winner again when it reads its own record back ([`Registry::rewrite_winners`]);
//! this module covers the case where it never does (it crashed, or it was not a Lockstep node):
//! every node notes each key whose newest record is a skipped one with a live winner under the
//! same key, and a few seconds later, if no newer record for that key has come, the leader (any
//! node, when the log has no elected leader) writes the winner's record again. Two nodes that
//! both believe they lead for a moment write identical copies. A key
//! still pending at start-up (the loser's node crashed, then the cluster restarted) is noted
//! while the topic is replayed, so it is handled too.
//!
//! A loser under a key nobody else holds (another subject-version that lost its id to a winner
//! elsewhere) is harmless while the winner is in the log; once the winner is permanently deleted
//! and compacted away, a replay would apply the loser. So for those keys, after the same grace,
//! a node writes a tombstone. A tombstone never deletes a live version ([`State::apply_at`]
//! skips it: versions are soft-deleted before they are deleted permanently), so a tombstone that
//! lands after a legitimate registration of that subject-version is skipped — and, as a loser
//! under that version's key, makes a node write the version again.

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

/// What to write over a key whose newest record lost.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fix {
    /// The live entry under the same key, again.
    Winner,
    /// A tombstone: no entry holds that subject-version.
    Tombstone,
}

/// A record key, as read.
type KeyBytes = Arc<[u8]>;

/// Keys whose newest record lost, with when that was seen and what to write over them.
#[derive(Default)]
pub(super) struct Pending {
    keys: parking_lot::Mutex<HashMap<KeyBytes, (Instant, Fix)>>,
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
        if let Some(fix) = fix_for(st, rec) {
            keys.entry(rec.key.clone()).or_insert_with(|| (Instant::now(), fix));
        }
    }

    /// Take over what a replay noted.
    pub(super) fn adopt(&self, other: Pending) {
        self.keys.lock().extend(other.keys.into_inner());
    }

    /// Keys noted at least `GRACE` ago, by what to write over them.
    fn due(&self) -> (Vec<KeyBytes>, Vec<KeyBytes>) {
        let now = Instant::now();
        let (mut winners, mut tombstones) = (Vec::new(), Vec::new());
        for (k, (t, fix)) in self.keys.lock().iter() {
            if now.duration_since(*t) >= GRACE {
                match fix {
                    Fix::Winner => winners.push(k.clone()),
                    Fix::Tombstone => tombstones.push(k.clone()),
                }
            }
        }
        (winners, tombstones)
    }

    fn forget(&self, keys: &[KeyBytes]) {
        let mut pending = self.keys.lock();
        for k in keys {
            pending.remove(k);
        }
    }
}

/// For `rec`, a skipped SCHEMA record: the winner under the same key, or a tombstone when no
/// entry holds its subject-version (a loser under another entry's key bytes is left alone:
/// compaction does not mix the two).
fn fix_for(st: &State, rec: &LogRecord) -> Option<Fix> {
    rec.value.as_ref()?;
    let Ok(Key::Schema { subject, version }) = Key::decode(&rec.key) else { return None };
    let name = subject::normalize(&subject)?;
    match st.subject(&name).and_then(|s| s.versions.get(&version)) {
        Some(e) if *e.key == *rec.key => Some(Fix::Winner),
        Some(_) => None,
        None => Some(Fix::Tombstone),
    }
}

/// Of `keys`, those whose subject-version still has no entry in `st`.
fn still_unheld(st: &State, keys: Vec<KeyBytes>) -> Vec<KeyBytes> {
    keys.into_iter()
        .filter(|k| match Key::decode(k) {
            Ok(Key::Schema { subject, version }) => subject::normalize(&subject)
                .is_some_and(|name| st.subject(&name).and_then(|s| s.versions.get(&version)).is_none()),
            _ => false,
        })
        .collect()
}

impl Registry {
    /// Every couple of seconds, write the winners of keys whose newest record is a loser.
    pub(super) fn start_reasserting(self: &Arc<Self>, log: Arc<dyn SharedLog>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(GRACE / 2).await;
                let Some(me) = weak.upgrade() else { return };
                // Once-per-cluster work: with an elected leader, only it writes the fixes (the
                // others keep their notes, for when one of them leads).
                if me.cluster().is_some_and(|c| !c.is_leader()) {
                    continue;
                }
                let (winners, tombstones) = me.pending_winners.due();
                let deadline = Instant::now() + me.config.write_timeout;
                if !winners.is_empty() {
                    let n = me.rewrite_winners(log.as_ref(), &winners, deadline).await;
                    tracing::info!(
                        keys = winners.len(),
                        written = n,
                        "wrote winners again over records that lost to them"
                    );
                }
                let unheld = still_unheld(&me.snapshot(), tombstones.clone());
                let held: Vec<_> = tombstones.into_iter().filter(|k| !unheld.contains(k)).collect();
                me.pending_winners.forget(&held);
                if !unheld.is_empty() {
                    let records = unheld.iter().cloned().map(LogRecord::tombstone).collect();
                    match tokio::time::timeout_at(deadline, log.produce(records)).await {
                        Ok(Ok(_)) => {
                            me.pending_winners.forget(&unheld);
                            tracing::info!(
                                keys = unheld.len(),
                                "tombstoned records that lost their id to another subject-version"
                            );
                        }
                        Ok(Err(e)) => tracing::warn!("cannot tombstone lost records (retrying): {e}"),
                        Err(_) => tracing::warn!("tombstoning lost records timed out (retrying)"),
                    }
                }
            }
        });
    }
}
