//! Offset syncs (anchors): a pair (source offset S, destination offset D) says "a consumer
//! starting at D on the destination sees exactly the copies of the source records from S on".
//! Every copied record is such a pair; only those where the source→destination delta changes
//! are kept (aborted source transactions, control records, loop-skipped or dead-lettered
//! records, compaction gaps, the destination's own transaction markers), plus the end of every
//! committed batch, so every committed source offset translates exactly — within what was
//! copied continuously. For a stretch nobody recorded (another process's copy whose syncs were
//! lost, a crash before they were written) a commit translates to the start of that stretch
//! (re-reads it, skips nothing).
//!
//! Every anchor made here is also journaled, and [`crate::sync_log`] writes the journal to the
//! destination, so a restarted process, or one that takes a partition over, translates what
//! the previous owner copied exactly too ([`Syncs::drain`] / [`Syncs::apply`]).

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

/// Anchors kept per partition (older committed offsets no longer translate).
const SYNCS_KEPT: usize = 50_000;

#[derive(Default)]
struct PartitionSyncs {
    /// Anchors where the delta changes, oldest first. An anchor marked `end` closes a run of
    /// continuous copying: between it and the next anchor (a stretch another process copied)
    /// only a safe bound is known.
    anchors: VecDeque<Anchor>,
    /// The newest anchor recorded (whether kept or not): nothing beyond it translates.
    reach: Option<(i64, i64)>,
    /// Anchors made (pushed, or the newest one moved) here since the last [`Syncs::drain`].
    unsent: VecDeque<Anchor>,
    /// The reach the sync log holds for this partition: what the next drained entry follows.
    sent: Option<(i64, i64)>,
}

/// One entry of the sync log: what one process learnt about one partition since its previous
/// entry for it (`prev`, that entry's reach).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// Destination topic.
    pub topic: String,
    pub partition: i32,
    pub prev: Option<(i64, i64)>,
    /// `(source, destination, end)` in the order they were made.
    pub anchors: Vec<(i64, i64, bool)>,
    pub reach: (i64, i64),
}

/// (destination topic, partition) → its anchors.
#[derive(Default)]
pub struct Syncs {
    map: parking_lot::Mutex<BTreeMap<(String, i32), PartitionSyncs>>,
    /// Whether anchors are journaled for a sync log.
    journaled: bool,
}

impl Syncs {
    /// Syncs whose anchors are journaled for [`Syncs::drain`].
    pub fn journaled() -> Syncs {
        Syncs { map: Default::default(), journaled: true }
    }

    /// Record that a consumer at destination offset `dst` sees the copies of source offsets
    /// `src` and on. Only committed copies may be recorded.
    pub fn record(&self, dest_topic: &str, partition: i32, src: i64, dst: i64) {
        let mut map = self.map.lock();
        let ps = map.entry((dest_topic.to_string(), partition)).or_default();
        if ps.reach.is_some_and(|(s, _)| s > src) {
            return;
        }
        ps.reach = Some((src, dst));
        if let Some(a) = ps.advance(src, dst).filter(|_| self.journaled) {
            ps.journal(a);
        }
    }

    /// This process starts copying a partition again at source offset `src`, its first copy
    /// landing at or after `dst`. Unless that continues exactly where its own copying of the
    /// partition stopped, the stretch in between (copied by another process, or after a
    /// restart) translates only to the run's end: a group resuming there re-reads that stretch's
    /// copies before its commit, and skips nothing.
    pub fn restart(&self, dest_topic: &str, partition: i32, src: i64, dst: i64) {
        {
            let mut map = self.map.lock();
            let key = (dest_topic.to_string(), partition);
            if let Some(ps) = map.get_mut(&key) {
                match ps.reach {
                    Some(r) if r == (src, dst) => {}
                    Some((s, d)) if s <= src => {
                        let end = Anchor { s, d, end: true };
                        ps.push(end);
                        if self.journaled {
                            ps.journal(end);
                        }
                    }
                    _ => {
                        map.remove(&key);
                    }
                }
            }
        }
        self.record(dest_topic, partition, src, dst);
    }

    /// The journal entries not yet in the sync log, one per partition that changed; they count
    /// as sent from here on.
    pub fn drain(&self) -> Vec<Journal> {
        let mut out = Vec::new();
        for ((topic, partition), ps) in self.map.lock().iter_mut() {
            let Some(reach) = ps.reach else { continue };
            if ps.unsent.is_empty() && ps.sent == Some(reach) {
                continue;
            }
            out.push(Journal {
                topic: topic.clone(),
                partition: *partition,
                prev: ps.sent,
                anchors: ps.unsent.drain(..).map(|a| (a.s, a.d, a.end)).collect(),
                reach,
            });
            ps.sent = Some(reach);
        }
        out
    }

    /// Learn from another process's (or an earlier run's) journal entry. Only news is taken:
    /// an entry that does not reach past what is known is ignored. An entry that does not follow
    /// on from what is known (an entry lost, a crash before it was written) starts a new run,
    /// so the stretch in between translates only to its start.
    pub fn apply(&self, j: &Journal) {
        let mut map = self.map.lock();
        let ps = map.entry((j.topic.clone(), j.partition)).or_default();
        if ps.reach.is_some_and(|(s, _)| s >= j.reach.0) {
            return;
        }
        if ps.reach != j.prev {
            if let Some((s, d)) = ps.reach {
                ps.push(Anchor { s, d, end: true });
            }
        }
        for &(s, d, end) in &j.anchors {
            if ps.anchors.back().is_some_and(|b| b.s > s) {
                continue;
            }
            if end {
                ps.push(Anchor { s, d, end });
            } else {
                ps.advance(s, d);
            }
        }
        let (s, d) = j.reach;
        ps.advance(s, d);
        ps.reach = Some(j.reach);
        ps.sent = ps.reach;
    }

    /// The destination offset a group that committed source offset `committed` resumes at:
    /// exactly after the copies of what it processed. None when `committed` is beyond what has
    /// been copied, or older than the anchors kept.
    pub fn translate(&self, dest_topic: &str, partition: i32, committed: i64) -> Option<i64> {
        let map = self.map.lock();
        let ps = map.get(&(dest_topic.to_string(), partition))?;
        let reach = ps.reach?;
        if committed > reach.0 {
            return None;
        }
        if committed == reach.0 {
            return Some(reach.1);
        }
        let i = ps.anchors.partition_point(|a| a.s <= committed);
        let a = *ps.anchors.get(i.checked_sub(1)?)?;
        if a.s == committed {
            // Several anchors at one offset (a run's end and the next run's start): the last.
            return Some(a.d);
        }
        if a.end {
            // Every copy of `a.s` and later lands at `a.d` or later.
            return Some(a.d);
        }
        let next = ps.anchors.get(i).map_or(reach.1, |n| n.d);
        Some((committed - a.s + a.d).min(next))
    }
}

#[derive(Debug, Clone, Copy)]
struct Anchor {
    s: i64,
    d: i64,
    end: bool,
}

impl PartitionSyncs {
    /// Move the anchors on to a copy of `src` at `dst`; the anchor made, if any.
    fn advance(&mut self, src: i64, dst: i64) -> Option<Anchor> {
        match self.anchors.back_mut() {
            Some(b) if b.s == src && !b.end => {
                b.d = dst;
                Some(*b)
            }
            Some(b) if !b.end && b.d - b.s == dst - src => None,
            _ => {
                let a = Anchor { s: src, d: dst, end: false };
                self.push(a);
                Some(a)
            }
        }
    }

    /// Keep an anchor made here for the sync log. A journal too long to send means entries
    /// are missing: the next one no longer follows on (`sent` forgotten).
    fn journal(&mut self, a: Anchor) {
        if self.unsent.len() >= SYNCS_KEPT {
            self.unsent.pop_front();
            self.sent = None;
        }
        self.unsent.push_back(a);
    }

    fn push(&mut self, a: Anchor) {
        self.anchors.push_back(a);
        if self.anchors.len() > SYNCS_KEPT {
            self.anchors.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Copy a source partition whose records sit at `src_offsets` (everything else: aborted
    /// records, markers, skipped records) into a destination with `dst_gap_after` extra offsets
    /// (transaction markers) after the given record indexes; record anchors as the pipeline
    /// does. Returns (source offset → destination offset of its copy).
    fn copy(s: &Syncs, src_offsets: &[i64], batch_ends: &[usize], dst_gap_after: &[usize]) -> Vec<(i64, i64)> {
        let mut dst = 0;
        let mut out = Vec::new();
        for (i, o) in src_offsets.iter().enumerate() {
            s.record("t", 0, *o, dst);
            out.push((*o, dst));
            dst += 1;
            if batch_ends.contains(&i) {
                s.record("t", 0, o + 1, dst);
            }
            if dst_gap_after.contains(&i) {
                dst += 1;
            }
        }
        out
    }

    /// Every committed offset C from 0 to the last copied + 1 translates to D such that the
    /// destination records at or after D are exactly the copies of source records >= C.
    fn check_exact(s: &Syncs, copies: &[(i64, i64)]) {
        let last = copies.last().unwrap().0;
        for c in 0..=last + 1 {
            let Some(d) = s.translate("t", 0, c) else { panic!("no translation for {c}") };
            let before: Vec<_> = copies.iter().filter(|(o, _)| *o < c).collect();
            let after: Vec<_> = copies.iter().filter(|(o, _)| *o >= c).collect();
            assert!(before.iter().all(|(_, p)| *p < d), "C={c} D={d}: a processed record would be read again");
            assert!(after.iter().all(|(_, p)| *p >= d), "C={c} D={d}: an unprocessed record would be skipped");
        }
    }

    #[test]
    fn aborted_transactions_and_markers_translate_exactly() {
        // One plain record, then 200 one-record transactions: records on odd offsets.
        let mut src = vec![0];
        src.extend((0..200).map(|i| 1 + 2 * i));
        let s = Syncs::default();
        let copies = copy(&s, &src, &[src.len() - 1], &[]);
        check_exact(&s, &copies);
        assert_eq!(s.translate("t", 0, 301), Some(151));
    }

    #[test]
    fn gaps_on_both_sides_and_batches_translate_exactly() {
        // Source gaps (aborted records, skipped loops) and destination markers after batches.
        let src: Vec<i64> = (0..500).filter(|o| o % 7 != 3 && !(100..130).contains(o)).collect();
        let ends: Vec<usize> = (0..src.len()).filter(|i| i % 37 == 0 || *i == src.len() - 1).collect();
        let s = Syncs::default();
        let copies = copy(&s, &src, &ends, &ends);
        check_exact(&s, &copies);
    }

    #[test]
    fn a_constant_delta_needs_one_anchor_and_nothing_past_the_reach_translates() {
        let s = Syncs::default();
        for o in 0..1000 {
            s.record("t", 0, o, o + 5);
        }
        assert_eq!(s.map.lock()[&("t".to_string(), 0)].anchors.len(), 1);
        assert_eq!(s.translate("t", 0, 700), Some(705));
        assert_eq!(s.translate("t", 0, 999), Some(1004));
        assert_eq!(s.translate("t", 0, 1000), None);
        assert_eq!(s.translate("t", 1, 5), None);
        s.record("t", 0, 10, 11); // behind the reach: ignored
        assert_eq!(s.translate("t", 0, 12), Some(17));
    }

    #[test]
    fn a_partition_copied_elsewhere_in_between_translates_no_further_than_its_own_run() {
        let s = Syncs::default();
        s.restart("t", 0, 0, 0);
        for o in 0..100 {
            s.record("t", 0, o, o);
        }
        s.record("t", 0, 100, 100);
        // Another process copied 100..200 (with markers: the delta changed there); this one
        // gets the partition back at 200, whose copies land from 260 on.
        s.restart("t", 0, 200, 260);
        for o in 200..250 {
            s.record("t", 0, o, o + 60);
        }
        assert_eq!(s.translate("t", 0, 50), Some(50));
        assert_eq!(s.translate("t", 0, 100), Some(100), "the end of this process's own run is exact");
        // Copied by someone else: never past the run's end (which may re-read, never skips).
        assert_eq!(s.translate("t", 0, 150), Some(100));
        assert_eq!(s.translate("t", 0, 200), Some(260));
        assert_eq!(s.translate("t", 0, 249), Some(309));
        // Continuing exactly where it stopped keeps everything translatable.
        s.record("t", 0, 250, 310);
        s.restart("t", 0, 250, 310);
        assert_eq!(s.translate("t", 0, 225), Some(285));
        // A restart behind what it knows (nothing can be trusted): start over.
        s.restart("t", 0, 10, 500);
        assert_eq!(s.translate("t", 0, 50), None);
        assert_eq!(s.translate("t", 0, 10), Some(500));
    }

    /// Source records at `src` copied to a destination with a marker after every batch of
    /// 10, by `s`, drained into the journal after every batch.
    fn copy_journaled(s: &Syncs, src: &[i64], dst0: i64, log: &mut Vec<Journal>) -> Vec<(i64, i64)> {
        let mut dst = dst0;
        let mut out = Vec::new();
        for (i, o) in src.iter().enumerate() {
            s.record("t", 0, *o, dst);
            out.push((*o, dst));
            dst += 1;
            if i % 10 == 9 || i == src.len() - 1 {
                s.record("t", 0, o + 1, dst);
                dst += 1;
                log.extend(s.drain());
            }
        }
        out
    }

    #[test]
    fn a_restarted_process_translates_what_its_predecessor_copied_exactly() {
        let src: Vec<i64> = (0..300).filter(|o| o % 7 != 3 && !(100..130).contains(o)).collect();
        let a = Syncs::journaled();
        let mut log = Vec::new();
        a.restart("t", 0, 0, 0);
        let copies = copy_journaled(&a, &src, 0, &mut log);
        assert!(a.drain().is_empty(), "nothing new, nothing to write");
        let b = Syncs::journaled();
        for j in &log {
            b.apply(j);
        }
        check_exact(&b, &copies);
        // Its own copying goes on from there: still exact across the hand-over.
        let (last_s, last_d) = *copies.last().unwrap();
        b.restart("t", 0, last_s + 1, last_d + 2);
        let more: Vec<i64> = (last_s + 1..last_s + 50).collect();
        let mut all = copies.clone();
        all.extend(copy_journaled(&b, &more, last_d + 2, &mut log));
        check_exact(&b, &all);
    }

    #[test]
    fn a_lost_journal_entry_never_makes_a_commit_skip_records() {
        let src: Vec<i64> = (0..200).filter(|o| o % 5 != 2).collect();
        let a = Syncs::journaled();
        let mut log = Vec::new();
        let copies = copy_journaled(&a, &src, 0, &mut log);
        log.remove(log.len() / 2);
        let b = Syncs::default();
        for j in &log {
            b.apply(j);
        }
        let last = copies.last().unwrap().0;
        for c in 0..=last + 1 {
            let Some(d) = b.translate("t", 0, c) else { continue };
            assert!(
                copies.iter().filter(|(o, _)| *o >= c).all(|(_, p)| *p >= d),
                "C={c} D={d}: an unprocessed record would be skipped"
            );
        }
        assert_eq!(b.translate("t", 0, last + 1), a.translate("t", 0, last + 1), "the newest entry is exact");
    }

    #[test]
    fn old_or_foreign_entries_do_not_disturb_a_partition_copied_here() {
        let a = Syncs::journaled();
        let mut log = Vec::new();
        let src: Vec<i64> = (0..100).collect();
        let copies = copy_journaled(&a, &src, 0, &mut log);
        // Replaying its own history, or an older one, changes nothing.
        for j in &log {
            a.apply(j);
        }
        check_exact(&a, &copies);
        assert!(a.drain().is_empty());
    }
}
