//! Compaction of the embedded log: which records a log needs to rebuild exactly the same state.
//!
//! The rule is Kafka's (the latest record of each key), applied with what replay knows:
//! - for each logical key (SCHEMA subject+version, CONFIG/MODE scope, DELETE_SUBJECT subject,
//!   CLEAR_SUBJECT scope, CONTEXT) the latest record that took effect is kept, with its offset;
//! - records that took no effect (lost races, unreadable records) and NOOPs are dropped;
//! - tombstones are kept (a key, no value: no schema text) so that a change-feed follower still
//!   learns that the key was deleted;
//! - a `LOCKSTEP_ID_HIGH_WATER` record per context keeps the highest id ever given out when the
//!   record that gave it out is dropped, so the ids of hard-deleted schemas are never reused.
//!
//! Kept records keep their offsets: what a change-feed follower has seen stays meaningful.
//! The result is replayed and compared with the state of the whole log; if they differ in any
//! way, the log is not compacted.

use std::collections::HashMap;

mod feed;
pub use feed::Feed;

use super::record::{self, IdHighWaterValue, Key};
use super::LogRecord;
use crate::state::State;
use crate::subject;

/// Identity of a key, independent of how its JSON was spelled.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Logical {
    Schema(String, u32),
    Config(Option<String>),
    Mode(Option<String>),
    DeleteSubject(String),
    ClearSubject(Option<String>),
    Context(String),
    HighWater(String),
    Kek(String, String),
    Dek(crate::dek::DekId, String),
}

fn logical(key: &Key) -> Option<Logical> {
    Some(match key {
        Key::Schema { subject, version } => Logical::Schema(subject::normalize(subject)?, *version),
        Key::Config { subject } => Logical::Config(subject.clone()),
        Key::Mode { subject } => Logical::Mode(subject.clone()),
        Key::DeleteSubject { subject } => Logical::DeleteSubject(subject::normalize(subject)?),
        Key::ClearSubject { subject } => Logical::ClearSubject(subject.clone()),
        Key::Context { context, .. } => Logical::Context(context.clone()),
        Key::IdHighWater { context } => Logical::HighWater(context.clone()),
        Key::Kek { tenant, name } => Logical::Kek(tenant.clone(), name.clone()),
        Key::Dek { tenant, kek, subject, algorithm, version } => Logical::Dek(
            crate::dek::DekId {
                kek: kek.clone(),
                subject: subject.clone(),
                algorithm: algorithm.clone(),
                version: *version,
            },
            tenant.clone(),
        ),
        Key::Noop => return None,
    })
}

/// A compacted log: the records to keep with their offsets, and the state they rebuild.
pub struct Compacted {
    pub records: Vec<(u64, LogRecord)>,
    pub state: State,
    /// The offset the next record appended after these gets (the whole log's end).
    pub end: u64,
}

/// Replay `records` (offsets strictly increasing) into a state.
pub fn replay(records: &[(u64, LogRecord)]) -> State {
    let mut st = State::default();
    for (o, r) in records {
        st.apply_at(*o, r);
    }
    st
}

/// Compact `records`. Err with the reason when the compacted log would not rebuild the same
/// state (the log is then kept whole).
pub fn compact(records: &[(u64, LogRecord)]) -> Result<Compacted, String> {
    let (full, keep) = select(records);
    let end = records.last().map_or(0, |(o, _)| o + 1);
    let mut out: Vec<(u64, LogRecord)> = keep.iter().map(|&i| records[i].clone()).collect();
    let kept: std::collections::HashSet<usize> = keep.into_iter().collect();

    // High-water marks where the record that gave out a context's top id is gone.
    let partial = replay(&out);
    let mut free = records.iter().enumerate().rev().filter(|(i, _)| !kept.contains(i)).map(|(_, (o, _))| *o);
    for (name, ctx) in full.contexts.iter() {
        let have = partial.context(name).map_or(0, |c| c.max_id);
        if ctx.max_id > have {
            let o = free.next().ok_or("no offset left for a high-water record")?;
            let value = IdHighWaterValue { context: name.clone(), max_id: ctx.max_id };
            let key = Key::IdHighWater { context: name.clone() }.encode();
            out.push((o, LogRecord::new(key, Some(record::to_bytes(&value)))));
        }
    }
    out.sort_by_key(|(o, _)| *o);
    // The log's end stays where it was: the next record appended gets the same offset.
    if end > 0 && out.last().is_none_or(|(o, _)| *o + 1 < end) {
        out.push((end - 1, LogRecord::new(Key::Noop.encode(), None)));
    }
    let state = replay(&out);
    same_state(&full, &state)?;
    Ok(Compacted { records: out, state, end })
}

/// Replay `records`: the state, and the indexes of the latest record that took effect for each
/// key, in log order.
fn select(records: &[(u64, LogRecord)]) -> (State, Vec<usize>) {
    let mut full = State::default();
    let mut latest: HashMap<Logical, usize> = HashMap::new();
    for (i, (o, r)) in records.iter().enumerate() {
        if !full.apply_at(*o, r) {
            continue;
        }
        if let Some(l) = Key::decode(&r.key).ok().as_ref().and_then(logical) {
            latest.insert(l, i);
        }
    }
    let mut keep: Vec<usize> = latest.into_values().collect();
    keep.sort_unstable();
    (full, keep)
}

/// Ok when both states hold exactly the same subjects, versions, ids, configs and modes (the
/// log position aside). Err names the first difference.
pub fn same_state(a: &State, b: &State) -> Result<(), String> {
    if a.subjects.len() != b.subjects.len() {
        return Err(format!("{} subjects against {}", a.subjects.len(), b.subjects.len()));
    }
    for ((na, sa), (nb, sb)) in a.subjects.iter().zip(b.subjects.iter()) {
        if na != nb || sa.versions.len() != sb.versions.len() {
            return Err(format!("subject {na} differs from {nb}"));
        }
        for (va, vb) in sa.versions.values().zip(sb.versions.values()) {
            if va.version != vb.version || va.deleted != vb.deleted || va.key != vb.key || *va.schema != *vb.schema {
                return Err(format!("{na} version {} differs", va.version));
            }
        }
    }
    if a.contexts.len() != b.contexts.len() {
        return Err(format!("{} contexts against {}", a.contexts.len(), b.contexts.len()));
    }
    for ((na, ca), (nb, cb)) in a.contexts.iter().zip(b.contexts.iter()) {
        if na != nb || ca.max_id != cb.max_id || ca.by_hash != cb.by_hash || ca.usage() != cb.usage() {
            return Err(format!("context {na} differs"));
        }
        if ca.by_id.len() != cb.by_id.len()
            || ca.by_id.iter().any(|(id, s)| cb.by_id.get(id).is_none_or(|t| **t != **s))
        {
            return Err(format!("ids of context {na} differ"));
        }
    }
    let configs =
        |s: &State| s.configs.iter().map(|(k, c)| (k.clone(), (*c.value).clone(), c.key.clone())).collect::<Vec<_>>();
    if configs(a) != configs(b) {
        return Err("configs differ".into());
    }
    let modes = |s: &State| s.modes.iter().map(|(k, m)| (k.clone(), m.value, m.key.clone())).collect::<Vec<_>>();
    if modes(a) != modes(b) {
        return Err("modes differ".into());
    }
    if a.keys != b.keys {
        return Err("DEK Registry keys differ".into());
    }
    Ok(())
}

/// The state of a log (one replay) and the change feed to serve from it: the latest record of
/// each key that took effect, tombstones included, at their offsets — no superseded record and
/// no hard-deleted schema text.
pub fn open_view(records: Vec<(u64, LogRecord)>) -> (State, Vec<(u64, LogRecord)>) {
    let (mut state, keep) = select(&records);
    state.position = records.last().map_or(0, |(o, _)| o + 1);
    let mut records: Vec<Option<(u64, LogRecord)>> = records.into_iter().map(Some).collect();
    let feed = keep.into_iter().filter_map(|i| records[i].take()).collect();
    (state, feed)
}

/// Whether a compaction from `bytes` down to `kept_bytes` is worth a rewrite (saves a quarter).
pub fn worth_it(bytes: u64, kept_bytes: u64) -> bool {
    kept_bytes.saturating_mul(4) < bytes.saturating_mul(3)
}

#[cfg(test)]
mod tests;
