use super::*;
use crate::state::State;
use crate::store::record::to_bytes;
use crate::store::LogRecord;

fn kek(name: &str, deleted: bool) -> LogRecord {
    let v = KekValue {
        name: name.into(),
        kms_type: "local-kms".into(),
        kms_key_id: "k".into(),
        kms_props: Default::default(),
        doc: None,
        shared: false,
        deleted,
        key_type: "KEK".into(),
        ts: Some(1),
    };
    LogRecord::new(Key::Kek { tenant: TENANT.into(), name: name.into() }.encode(), Some(to_bytes(&v)))
}

fn dek(kek: &str, subject: &str, version: u32) -> LogRecord {
    let v = DekValue {
        kek_name: kek.into(),
        subject: subject.into(),
        algorithm: DEFAULT_ALGORITHM.into(),
        version,
        encrypted_key_material: Some("AAAA".into()),
        deleted: false,
        key_type: "DEK".into(),
        ts: Some(2),
    };
    LogRecord::new(v.id().key().encode(), Some(to_bytes(&v)))
}

#[test]
fn keys_are_applied_replaced_and_removed_through_the_log() {
    let mut s = State::default();
    assert!(s.apply(&kek("k1", false)));
    assert!(s.apply(&dek("k1", "orders-value", 1)));
    assert!(s.apply(&dek("k1", "orders-value", 2)));
    assert!(s.apply(&dek("k1", "users-value", 1)));
    assert_eq!(s.keys.dek("k1", "orders-value", DEFAULT_ALGORITHM, None, false).unwrap().version, 2);
    assert_eq!(s.keys.deks_of_kek("k1", false).count(), 3);
    assert!(s.apply(&kek("k1", true)));
    assert!(s.keys.kek("k1", false).is_none());
    assert!(s.keys.kek("k1", true).is_some());
    let key = s.keys.deks.values().next().unwrap().key.clone();
    assert!(s.apply(&LogRecord::tombstone(key)));
    assert_eq!(s.keys.deks.len(), 2);
}

#[test]
fn confluent_records_without_ts_and_foreign_tenants() {
    let mut s = State::default();
    // As Confluent's DEK Registry writes them to `_dek_registry_keys`.
    let key = br#"{"tenant":"default","name":"kek1","type":"KEK"}"#.to_vec();
    let value = br#"{"name":"kek1","kmsType":"aws-kms","kmsKeyId":"arn:aws:kms:x","kmsProps":{},"shared":false,"deleted":false,"type":"KEK"}"#.to_vec();
    assert!(s.apply(&LogRecord::new(key, Some(value))));
    let k = s.keys.kek("kek1", false).unwrap();
    assert_eq!(
        k.entity(),
        serde_json::json!({"name":"kek1","kmsType":"aws-kms","kmsKeyId":"arn:aws:kms:x","kmsProps":{},"shared":false})
    );
    let other = br#"{"tenant":"lsrc-1","name":"kek1","type":"KEK"}"#.to_vec();
    assert!(!s.apply(&LogRecord::new(other, Some(b"{}".to_vec()))));
    // A value that names another key is skipped.
    assert!(!s.apply(&LogRecord::new(
        Key::Kek { tenant: TENANT.into(), name: "kek2".into() }.encode(),
        kek("kek1", false).value.map(|v| v.to_vec())
    )));
}

#[test]
fn compaction_keeps_the_latest_record_of_each_key() {
    let log = [kek("k1", false), dek("k1", "s", 1), kek("k1", true), kek("k1", false), dek("k1", "s", 2)];
    let recs: Vec<(u64, LogRecord)> = log.into_iter().enumerate().map(|(i, r)| (i as u64, r)).collect();
    let full = crate::store::compact::replay(&recs);
    let c = crate::store::compact::compact(&recs).unwrap();
    assert_eq!(c.state.keys, full.keys);
    assert_eq!(full.keys.deks.len(), 2);
    let kept = c.records.iter().filter(|(_, r)| r.value.is_some()).count();
    assert_eq!(kept, 3, "one KEK and two DEK records: {:?}", c.records);
}
