//! The change feed held in memory: records by offset, with an index of each schema version's
//! records so that a hard delete redacts them in time proportional to that version's records,
//! not to the whole feed.

use std::collections::{BTreeMap, HashMap};

use super::{logical, Logical};
use crate::store::record::Key;
use crate::store::LogRecord;

/// Records by offset (a hard-deleted schema's text removed), and where each SCHEMA key's
/// records with a value are.
#[derive(Default)]
pub struct Feed {
    records: BTreeMap<u64, LogRecord>,
    schemas: HashMap<Logical, Vec<u64>>,
}

impl Feed {
    /// A feed of `records` (offsets strictly increasing), as [`super::open_view`] gives them.
    pub fn new(records: Vec<(u64, LogRecord)>) -> Self {
        let mut feed = Feed::default();
        feed.append(records);
        feed
    }

    /// Append records after the last one. A SCHEMA tombstone drops the earlier records of its
    /// key that carry a value, so a hard-deleted schema's text is never served again; the
    /// tombstone stays (a follower learns of the delete) and no other offset changes.
    pub fn append(&mut self, batch: impl IntoIterator<Item = (u64, LogRecord)>) {
        for (offset, record) in batch {
            let key = Key::decode(&record.key).ok().filter(|k| matches!(k, Key::Schema { .. }));
            if let Some(l) = key.as_ref().and_then(logical) {
                if record.value.is_some() {
                    self.schemas.entry(l).or_default().push(offset);
                } else if let Some(offsets) = self.schemas.remove(&l) {
                    for o in offsets {
                        self.records.remove(&o);
                    }
                }
            }
            self.records.insert(offset, record);
        }
    }

    /// Drop every record at or after `offset` (writes that never became durable).
    pub fn truncate(&mut self, offset: u64) {
        let dropped = self.records.split_off(&offset);
        for (o, record) in dropped {
            let key = Key::decode(&record.key).ok();
            if let Some(offsets) = key.as_ref().and_then(logical).and_then(|l| self.schemas.get_mut(&l)) {
                offsets.retain(|x| *x != o);
            }
        }
        self.schemas.retain(|_, offsets| !offsets.is_empty());
    }

    /// At most `limit` records at offsets in `from..below`.
    pub fn page(&self, from: u64, below: u64, limit: usize) -> Vec<(u64, LogRecord)> {
        if from >= below {
            return Vec::new();
        }
        self.records.range(from..below).take(limit).map(|(o, r)| (*o, r.clone())).collect()
    }

    /// Offsets held, in order.
    pub fn offsets(&self) -> impl Iterator<Item = u64> + '_ {
        self.records.keys().copied()
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::timed;

    fn schema_key(subject: &str, version: u32) -> Vec<u8> {
        Key::Schema { subject: subject.into(), version }.encode()
    }

    #[test]
    fn a_tombstone_drops_earlier_values_of_its_version_only() {
        let (k1, k2) = (schema_key("s", 1), schema_key("s", 2));
        let mut feed = Feed::new(vec![
            (0, LogRecord::new(k1.clone(), Some(b"secret".to_vec()))),
            (1, LogRecord::new(k2.clone(), Some(b"other".to_vec()))),
        ]);
        feed.append([(2, LogRecord::new(k1.clone(), Some(b"secret, deleted".to_vec())))]);
        feed.append([(3, LogRecord::new(k1.clone(), None))]);
        assert_eq!(feed.offsets().collect::<Vec<_>>(), vec![1, 3]);
        // The version registered again after its hard delete is served, and deleted again.
        feed.append([(4, LogRecord::new(k1.clone(), Some(b"again".to_vec())))]);
        assert_eq!(feed.offsets().collect::<Vec<_>>(), vec![1, 3, 4]);
        feed.append([(5, LogRecord::new(k1, None))]);
        assert_eq!(feed.offsets().collect::<Vec<_>>(), vec![1, 3, 5]);
        assert_eq!(feed.page(2, 5, 10).iter().map(|(o, _)| *o).collect::<Vec<_>>(), vec![3]);
        assert_eq!(feed.page(0, 100, 1).len(), 1);
        assert!(feed.page(5, 5, 10).is_empty());
    }

    #[test]
    fn truncating_forgets_the_dropped_records() {
        let k = schema_key("s", 1);
        let mut feed = Feed::new(vec![(0, LogRecord::new(k.clone(), Some(b"kept".to_vec())))]);
        feed.append([(1, LogRecord::new(k.clone(), Some(b"never durable".to_vec())))]);
        feed.truncate(1);
        assert_eq!(feed.offsets().collect::<Vec<_>>(), vec![0]);
        feed.append([(1, LogRecord::new(k, None))]);
        assert_eq!(feed.offsets().collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn hard_deletes_cost_their_own_records_not_the_whole_feed() {
        // 200,000 versions of other subjects, then 2,000 hard deletes: with a scan of the feed per
        // delete this is 400 million key decodings.
        let records: Vec<(u64, LogRecord)> = (0..200_000u64)
            .map(|i| (i, LogRecord::new(schema_key(&format!("s{i}"), 1), Some(b"x".to_vec()))))
            .collect();
        let mut feed = timed("build", || Feed::new(records));
        timed("deletes", || {
            for i in 0..2_000u64 {
                feed.append([(200_000 + i, LogRecord::new(schema_key(&format!("s{i}"), 1), None))]);
            }
        });
        assert_eq!(feed.len(), 200_000);
        assert!(feed.page(0, 2_000, 10).is_empty(), "the deleted versions' text is gone");
    }
}
