//! Randomized: whatever sequence of API writes built a log, its compaction replays to the same
//! state, keeps no hard-deleted schema text, and the registry reopened on it gives out new ids
//! above every id ever used.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::*;
use crate::registry::{RegisterRequest, VersionSpec};
use crate::state::Mode;
use crate::store::file::{CompactionOptions, FileStore};
use crate::store::Store;
use crate::{Registry, RegistryConfig};

struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn open(dir: &std::path::Path) -> std::sync::Arc<Registry> {
    let store = FileStore::open_with(dir, CompactionOptions { min_bytes: u64::MAX, ..Default::default() }).unwrap();
    Registry::open(Box::new(store), RegistryConfig::default()).unwrap()
}

fn log_of(dir: &std::path::Path) -> Vec<(u64, LogRecord)> {
    let mut s = FileStore::open_with(dir, CompactionOptions { min_bytes: u64::MAX, ..Default::default() }).unwrap();
    s.replay().unwrap()
}

/// Random API writes; returns every schema text registered.
async fn random_writes(reg: &Registry, rng: &mut Rng, ops: usize) -> BTreeSet<String> {
    let mut texts = BTreeSet::new();
    let mut none = Map::new();
    none.insert("compatibilityLevel".into(), json!("NONE"));
    reg.update_config(None, none).await.unwrap();
    let subjects = ["a", "b", "c", ":.eu:d", ":.eu:e"];
    for _ in 0..ops {
        let subject = subjects[rng.next(subjects.len() as u64) as usize];
        match rng.next(10) {
            0..=3 => {
                let text = json!({"type": "enum", "name": "E", "symbols": [format!("S{}", rng.next(30))]}).to_string();
                let req = RegisterRequest { schema: Some(text), ..Default::default() };
                if let Ok(r) = reg.register(subject, req, false, false).await {
                    texts.insert(r.schema.schema.to_string());
                }
            }
            4 => {
                let _ = reg.delete_version(subject, VersionSpec::Number(1 + rng.next(4) as u32), false).await;
            }
            5 => {
                let _ = reg.delete_version(subject, VersionSpec::Number(1 + rng.next(4) as u32), true).await;
            }
            6 => {
                let _ = reg.delete_subject(subject, rng.next(2) == 0).await;
            }
            7 => {
                let mut m = Map::new();
                let level = ["NONE", "BACKWARD", "FULL"][rng.next(3) as usize];
                m.insert("compatibilityLevel".into(), Value::String(level.into()));
                if level != "NONE" {
                    m.insert("normalize".into(), json!(true));
                }
                let _ = reg.update_config(Some(subject.to_string()), m).await;
            }
            8 => {
                let mode = [None, Some(Mode::ReadWrite), Some(Mode::ReadOnly)][rng.next(3) as usize];
                let _ = reg.set_mode(Some(subject.to_string()), mode, false).await;
            }
            _ => {
                let _ = reg.delete_config(Some(subject.to_string())).await;
            }
        }
    }
    texts
}

#[tokio::test]
async fn compacted_log_replays_to_the_same_state_for_random_histories() {
    for seed in 1..=12u64 {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let reg = open(dir.path());
        let texts = random_writes(&reg, &mut rng, 150).await;
        let live_state = reg.snapshot();
        drop(reg);
        let log = log_of(dir.path());
        let c = compact(&log).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        // Same state as the whole log, and as the registry that wrote it.
        same_state(&replay(&log), &c.state).unwrap();
        same_state(&live_state, &c.state).unwrap();
        assert_eq!(c.end, log.last().unwrap().0 + 1);
        assert!(c.records.windows(2).all(|w| w[0].0 < w[1].0), "offsets must increase");
        // No text of a schema that is gone from every subject survives.
        let alive: BTreeSet<String> =
            c.state.contexts.values().flat_map(|ctx| ctx.by_id.values().map(|s| s.schema.to_string())).collect();
        for text in texts.difference(&alive) {
            let needle = serde_json::to_string(text).unwrap();
            let needle = &needle[1..needle.len() - 1];
            for (o, r) in &c.records {
                let v = r.value.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
                assert!(!v.contains(needle), "seed {seed}: hard-deleted {text} kept at offset {o}");
            }
        }
        assert!(c.records.len() < log.len(), "seed {seed}: nothing compacted");
    }
}

/// A registry reopened on a compacted log gives new ids above every id ever given out, even
/// when the schemas holding the highest ids were hard-deleted.
#[tokio::test]
async fn ids_of_hard_deleted_schemas_are_not_reused_after_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let reg = open(dir.path());
    let reg_schema = |n: u32| RegisterRequest {
        schema: Some(format!("{{\"type\":\"fixed\",\"name\":\"F\",\"size\":{n}}}")),
        ..Default::default()
    };
    let mut none = Map::new();
    none.insert("compatibilityLevel".into(), json!("NONE"));
    reg.update_config(None, none).await.unwrap();
    for n in 1..=5 {
        reg.register("x", reg_schema(n), false, false).await.unwrap();
    }
    let top = reg.register("y", reg_schema(99), false, false).await.unwrap();
    assert_eq!(top.schema.id, 6);
    reg.delete_subject("y", false).await.unwrap();
    reg.delete_subject("y", true).await.unwrap();
    drop(reg);
    let log = log_of(dir.path());
    let c = compact(&log).unwrap();
    assert!(c.records.iter().any(|(_, r)| r.key.starts_with(br#"{"keytype":"LOCKSTEP_ID_HIGH_WATER""#)));
    // Write the compacted log as the data dir's log and reopen.
    let dir2 = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    let mut next = 0;
    for (o, r) in &c.records {
        crate::store::frame::encode(r, (*o != next).then_some(*o), &mut bytes);
        next = o + 1;
    }
    std::fs::write(dir2.path().join("schemas.log"), bytes).unwrap();
    let reg = open(dir2.path());
    let fresh = reg.register("z", reg_schema(7), false, false).await.unwrap();
    assert_eq!(fresh.schema.id, 7, "id 6 belonged to a hard-deleted schema");
}

/// Hand-made records with lost races, unreadable records and Confluent's CLEAR_SUBJECT: a
/// compaction either rebuilds the same state or refuses.
#[test]
fn random_raw_records_compact_to_the_same_state_or_not_at_all() {
    let mut refused = 0;
    for seed in 1..=300u64 {
        let mut rng = Rng(seed.wrapping_mul(0x2545_f491_4f6c_dd1d));
        let mut log = Vec::new();
        for o in 0..60u64 {
            let subject = ["a", "b", ":.x:c"][rng.next(3) as usize];
            let version = 1 + rng.next(3) as u32;
            let key = Key::Schema { subject: subject.into(), version }.encode();
            let r = match rng.next(9) {
                0..=2 => {
                    let id = 1 + rng.next(6) as u32;
                    let schema = format!("\"t{}\"", rng.next(5));
                    record::test_schema_record(subject, version, id, &schema, rng.next(3) == 0)
                }
                3 => LogRecord::new(key, None),
                4 => {
                    let v = record::DeleteSubjectValue { subject: subject.into(), version };
                    LogRecord::new(Key::DeleteSubject { subject: subject.into() }.encode(), Some(record::to_bytes(&v)))
                }
                5 => LogRecord::new(
                    Key::ClearSubject { subject: Some(subject.into()) }.encode(),
                    Some(format!("{{\"subject\":\"{subject}\"}}").into_bytes()),
                ),
                6 => LogRecord::new(
                    Key::Config { subject: Some(subject.into()) }.encode(),
                    Some(b"{\"compatibilityLevel\":\"FULL\"}".to_vec()),
                ),
                7 => LogRecord::new(Key::Noop.encode(), None),
                _ => LogRecord::new(b"garbage".to_vec(), Some(b"x".to_vec())),
            };
            log.push((o * 2, r));
        }
        match compact(&log) {
            Ok(c) => same_state(&replay(&log), &replay(&c.records)).unwrap(),
            Err(_) => refused += 1,
        }
    }
    // Random records break rules Lockstep and Confluent keep (a later DELETE_SUBJECT covering
    // fewer versions than an earlier one); those logs stay whole. Most still compact.
    assert!(refused < 150, "{refused} of 300 random logs did not compact");
}
