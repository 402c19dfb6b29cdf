//! Offset syncs (anchors): a pair (source offset S, destination offset D) says "a consumer
//! starting at D on the destination sees exactly the copies of the source records from S on".
//! Every copied record is such a pair; only those where the source→destination delta changes
//! are kept (aborted source transactions, control records, loop-skipped or dead-lettered
//! records, compaction gaps, the destination's own transaction markers), plus the end of every
//! committed batch, so every committed source offset translates exactly — within what was
//! copied continuously. For a stretch nobody recorded (another process's copy whose syncs were
//! lost, a crash before they were written) a commit translates to the start of that stretch
//! (re-reads it, skips nothing).

use std::collections::{BTreeMap, VecDeque};

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
}

/// (destination topic, partition) → its anchors.
#[derive(Default)]
pub struct Syncs {
    map: parking_lot::Mutex<BTreeMap<(String, i32), PartitionSyncs>>,
}

impl Syncs {
    /// Record that a consumer at destination offset `dst` sees the copies of source offsets
    /// `src` and on. Only committed copies may be recorded.
    pub fn record(&self, dest_topic: &str, partition: i32, src: i64, dst: i64) {
        let mut map = self.map.lock();
        let ps = map.entry((dest_topic.to_string(), partition)).or_default();
        if ps.reach.is_some_and(|(s, _)| s > src) {
            return;
        }
        ps.reach = Some((src, dst));
        match ps.anchors.back_mut() {
            Some(b) if b.s == src && !b.end => b.d = dst,
            Some(b) if !b.end && b.d - b.s == dst - src => {}
            _ => ps.push(Anchor { s: src, d: dst, end: false }),
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
                    Some((s, d)) if s <= src => ps.push(Anchor { s, d, end: true }),
                    _ => {
                        map.remove(&key);
                    }
                }
            }
        }
        self.record(dest_topic, partition, src, dst);
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
}
