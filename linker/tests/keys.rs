//! Keys travel with their schemas: a link mirrors the KEKs and DEKs of the subjects it links
//! (with the subject mapping) before their versions, follows new and rotated DEKs and their
//! soft deletes, undeletes and permanent deletes, and never overwrites or deletes a different key.

mod common;

use common::*;
use linker::client::RegistryClient;
use linker::engine::{Link, LinkConfig, SyncError};
use linker::mapping::ContextType;
use linker::state::StateFile;
use serde_json::{json, Value};

const K: &str = "/dek-registry/v1/keks";

fn config(src: &Reg, dst: &Reg, ct: ContextType, ctx: Option<&str>, subjects: &[&str]) -> LinkConfig {
    let mut c = LinkConfig::new(src.client(), dst.client());
    c.context_type = ct;
    c.context = ctx.map(String::from);
    c.subjects = subjects.iter().map(|s| s.to_string()).collect();
    c
}

async fn kek(c: &RegistryClient, name: &str, key_id: &str) {
    c.post_json(K, &json!({"name": name, "kmsType": "local-kms", "kmsKeyId": key_id})).await.unwrap();
}

async fn dek(c: &RegistryClient, kek: &str, subject: &str, body: Value) {
    c.post_json(&format!("{K}/{kek}/deks/{subject}"), &body).await.unwrap();
}

fn enc(subject: &str) -> String {
    percent_encoding::utf8_percent_encode(subject, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn keys_cross_before_the_versions_that_use_them_and_follow_rotation() {
    let (a, b) = (start().await, start().await);
    let (src, dst) = (a.client(), b.client());
    orders_with_two_deks(&src, "AAAA", "AAAB").await;
    dek(&src, "kek1", "users-value", json!({"encryptedKeyMaterial": "UUUU"})).await;

    let link =
        Link::open(config(&a, &b, ContextType::None, None, &["orders-value"]), StateFile::new(None)).await.unwrap();
    link.full_pass().await.unwrap();

    let k = dst.get_json(&format!("{K}/kek1")).await.unwrap();
    assert_eq!((k["kmsType"].clone(), k["kmsKeyId"].clone()), (json!("local-kms"), json!("key-eu")));
    assert_eq!(dst.get_json(&format!("{K}/kek1/deks/orders-value/versions")).await.unwrap(), json!([1, 2]));
    let d = dst.get_json(&format!("{K}/kek1/deks/orders-value/versions/2")).await.unwrap();
    assert_eq!(d["encryptedKeyMaterial"], "AAAB");
    // Only the linked subject's keys.
    assert_eq!(dst.get_json(&format!("{K}/kek1/deks")).await.unwrap(), json!(["orders-value"]));

    // In the destination's log, the keys come before the version that needs them.
    let feed = dst.changes(0, 1000, 0).await.unwrap().unwrap().records;
    let first = |pred: &dyn Fn(&Value) -> bool| feed.iter().position(|r| pred(&r.key)).unwrap();
    let first_dek = first(&|k| k["type"] == "DEK");
    let first_kek = first(&|k| k["type"] == "KEK");
    let schema = first(&|k| k["keytype"] == "SCHEMA" && k["subject"] == "orders-value");
    assert!(first_kek < first_dek && first_dek < schema, "KEK {first_kek}, DEK {first_dek}, SCHEMA {schema}");

    // A rotated key (a new DEK version, no new schema version) crosses on the next pass.
    dek(&src, "kek1", "orders-value", json!({"version": 3, "encryptedKeyMaterial": "AAAC"})).await;
    link.full_pass().await.unwrap();
    assert_eq!(dst.get_json(&format!("{K}/kek1/deks/orders-value/versions")).await.unwrap(), json!([1, 2, 3]));
}

#[tokio::test]
async fn keys_follow_the_subject_mapping() {
    let (a, b) = (start().await, start().await);
    let (src, dst) = (a.client(), b.client());
    kek(&src, "kek1", "key-eu").await;
    register(&src, "orders-value", &avro_record("Order", &[("ssn", "string")])).await;
    dek(&src, "kek1", "orders-value", json!({"encryptedKeyMaterial": "AAAA", "algorithm": "AES256_SIV"})).await;
    let link =
        Link::open(config(&a, &b, ContextType::Custom, Some(".eu"), &["*"]), StateFile::new(None)).await.unwrap();
    link.full_pass().await.unwrap();
    let path = format!("{K}/kek1/deks/{}/versions/1?algorithm=AES256_SIV", enc(":.eu:orders-value"));
    assert_eq!(dst.get_json(&path).await.unwrap()["encryptedKeyMaterial"], "AAAA");
}

#[tokio::test]
async fn a_different_key_in_the_destination_is_a_conflict() {
    let (a, b) = (start().await, start().await);
    let (src, dst) = (a.client(), b.client());
    kek(&src, "kek1", "key-eu").await;
    register(&src, "orders-value", &avro_record("Order", &[("ssn", "string")])).await;
    dek(&src, "kek1", "orders-value", json!({"encryptedKeyMaterial": "SRC1"})).await;
    // The destination already has a DEK at the same place wrapping another key.
    kek(&dst, "kek1", "key-eu").await;
    dek(&dst, "kek1", "orders-value", json!({"encryptedKeyMaterial": "DST1"})).await;
    let link = Link::open(config(&a, &b, ContextType::None, None, &["*"]), StateFile::new(None)).await.unwrap();
    match link.full_pass().await {
        Err(SyncError::Conflict(m)) => {
            assert!(m.contains("SRC1") && m.contains("DST1") && m.contains("kek1"), "{m}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // Nothing overwritten, and the version that needs the key did not cross either.
    let d = dst.get_json(&format!("{K}/kek1/deks/orders-value")).await.unwrap();
    assert_eq!(d["encryptedKeyMaterial"], "DST1");
    assert!(dst.versions("orders-value").await.is_err());

    // A KEK with other KMS settings is a conflict too, naming both key ids.
    let (c, d2) = (start().await, start().await);
    kek(&c.client(), "kek2", "key-eu").await;
    register(&c.client(), "s", &avro_record("S", &[("a", "string")])).await;
    dek(&c.client(), "kek2", "s", json!({"encryptedKeyMaterial": "AA"})).await;
    kek(&d2.client(), "kek2", "key-us").await;
    let link = Link::open(config(&c, &d2, ContextType::None, None, &["*"]), StateFile::new(None)).await.unwrap();
    match link.full_pass().await {
        Err(SyncError::Conflict(m)) => assert!(m.contains("key-eu") && m.contains("key-us"), "{m}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn a_running_link_follows_new_keys_through_the_change_feed() {
    let (a, b) = (start().await, start().await);
    let (src, dst) = (a.client(), b.client());
    register(&src, "orders-value", &avro_record("Order", &[("ssn", "string")])).await;
    let link = Link::open(config(&a, &b, ContextType::None, None, &["*"]), StateFile::new(None)).await.unwrap();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let l2 = link.clone();
    let task = tokio::spawn(async move { l2.run(rx).await });
    eventually(10, "initial sync", || async { dst.versions("orders-value").await.ok() }).await;
    assert!(link.status().feed);
    // The producer's client creates the KEK and DEK after the schema is registered.
    kek(&src, "kek1", "key-eu").await;
    dek(&src, "kek1", "orders-value", json!({"encryptedKeyMaterial": "AAAA"})).await;
    let d = eventually(10, "DEK mirrored", || async {
        dst.get_json(&format!("{K}/kek1/deks/orders-value/versions/1")).await.ok()
    })
    .await;
    assert_eq!(d["encryptedKeyMaterial"], "AAAA");
    // Deletes follow through the feed too: the DEK's, then the KEK's (a record naming no subject).
    src.delete_path(&format!("{K}/kek1/deks/orders-value")).await.unwrap();
    eventually(10, "DEK soft-deleted", || async {
        let v = dst.get_json(&format!("{K}/kek1/deks/orders-value/versions")).await.ok()?;
        (v == json!([])).then_some(())
    })
    .await;
    src.delete_path(&format!("{K}/kek1")).await.unwrap();
    eventually(10, "KEK soft-deleted", || async { dst.get_json(&format!("{K}/kek1")).await.err() }).await;
    tx.send(true).unwrap();
    let _ = task.await;
}

/// KEK `kek1`, subject `orders-value` and its DEK versions 1 and 2 (key material `m1`, `m2`).
async fn orders_with_two_deks(src: &RegistryClient, m1: &str, m2: &str) {
    kek(src, "kek1", "key-eu").await;
    register(src, "orders-value", &avro_record("Order", &[("ssn", "string")])).await;
    dek(src, "kek1", "orders-value", json!({"encryptedKeyMaterial": m1})).await;
    dek(src, "kek1", "orders-value", json!({"version": 2, "encryptedKeyMaterial": m2})).await;
}

fn deleted(v: &Value) -> bool {
    v["deleted"] == json!(true)
}

#[tokio::test]
async fn soft_deletes_undeletes_and_hard_deletes_of_keys_travel_with_the_subject_mapping() {
    let (a, b) = (start().await, start().await);
    let (src, dst) = (a.client(), b.client());
    orders_with_two_deks(&src, "AAAA", "AAAB").await;
    let link =
        Link::open(config(&a, &b, ContextType::Custom, Some(".eu"), &["*"]), StateFile::new(None)).await.unwrap();
    link.full_pass().await.unwrap();
    let s = enc(":.eu:orders-value");
    let (live, all) = (format!("{K}/kek1/deks/{s}/versions"), format!("{K}/kek1/deks/{s}/versions?deleted=true"));
    assert_eq!(dst.get_json(&live).await.unwrap(), json!([1, 2]));

    // One version soft-deleted, then undeleted.
    src.delete_path(&format!("{K}/kek1/deks/orders-value/versions/1")).await.unwrap();
    link.full_pass().await.unwrap();
    assert_eq!(dst.get_json(&live).await.unwrap(), json!([2]));
    let v1 = dst.get_json(&format!("{K}/kek1/deks/{s}/versions/1?deleted=true")).await.unwrap();
    assert!(deleted(&v1) && v1["encryptedKeyMaterial"] == "AAAA", "{v1}");
    src.post_empty(&format!("{K}/kek1/deks/orders-value/versions/1/undelete")).await.unwrap();
    link.full_pass().await.unwrap();
    assert_eq!(dst.get_json(&live).await.unwrap(), json!([1, 2]));

    // Every version, then the KEK, soft-deleted; the KEK undeleted and soft-deleted again.
    src.delete_path(&format!("{K}/kek1/deks/orders-value")).await.unwrap();
    src.delete_path(&format!("{K}/kek1")).await.unwrap();
    link.full_pass().await.unwrap();
    assert_eq!(dst.get_json(&all).await.unwrap(), json!([1, 2]));
    assert!(dst.get_json(&format!("{K}/kek1")).await.is_err());
    assert!(deleted(&dst.get_json(&format!("{K}/kek1?deleted=true")).await.unwrap()));
    src.post_empty(&format!("{K}/kek1/undelete")).await.unwrap();
    src.post_empty(&format!("{K}/kek1/deks/orders-value/undelete")).await.unwrap();
    link.full_pass().await.unwrap();
    assert!(!deleted(&dst.get_json(&format!("{K}/kek1")).await.unwrap()));
    assert_eq!(dst.get_json(&live).await.unwrap(), json!([1, 2]));
    src.delete_path(&format!("{K}/kek1/deks/orders-value")).await.unwrap();
    src.delete_path(&format!("{K}/kek1")).await.unwrap();
    link.full_pass().await.unwrap();

    // Permanent deletes after the soft ones: the DEKs, then the KEK.
    src.delete_path(&format!("{K}/kek1/deks/orders-value?permanent=true")).await.unwrap();
    link.full_pass().await.unwrap();
    assert_eq!(dst.get_json(&all).await.unwrap(), json!([]));
    src.delete_path(&format!("{K}/kek1?permanent=true")).await.unwrap();
    link.full_pass().await.unwrap();
    let gone = dst.get_json(&format!("{K}/kek1?deleted=true")).await.unwrap_err();
    assert_eq!(gone.code(), Some(40470), "{gone}");
    // The subject's versions are untouched.
    assert_eq!(dst.versions(":.eu:orders-value").await.unwrap(), vec![1]);
}

#[tokio::test]
async fn a_key_soft_deleted_before_the_link_ran_crosses_soft_deleted() {
    let (a, b) = (start().await, start().await);
    let (src, dst) = (a.client(), b.client());
    orders_with_two_deks(&src, "OLD1", "NEW2").await;
    src.delete_path(&format!("{K}/kek1/deks/orders-value/versions/1")).await.unwrap();
    let link = Link::open(config(&a, &b, ContextType::None, None, &["*"]), StateFile::new(None)).await.unwrap();
    link.full_pass().await.unwrap();
    // Old records still decrypt there: clients read DEKs with ?deleted=true.
    let v1 = dst.get_json(&format!("{K}/kek1/deks/orders-value/versions/1?deleted=true")).await.unwrap();
    assert!(deleted(&v1) && v1["encryptedKeyMaterial"] == "OLD1", "{v1}");
    assert_eq!(dst.get_json(&format!("{K}/kek1/deks/orders-value/versions")).await.unwrap(), json!([2]));
    assert!(!link.keys_missing("orders-value").await.unwrap());
}

#[tokio::test]
async fn deletes_never_touch_a_destination_key_that_differs_or_the_source_never_showed() {
    let (a, b) = (start().await, start().await);
    let (src, dst) = (a.client(), b.client());
    kek(&src, "kek1", "key-eu").await;
    register(&src, "orders-value", &avro_record("Order", &[("ssn", "string")])).await;
    dek(&src, "kek1", "orders-value", json!({"encryptedKeyMaterial": "SRC1"})).await;
    src.delete_path(&format!("{K}/kek1/deks/orders-value")).await.unwrap();
    // The destination holds another live key at the same place, and one of its own elsewhere.
    kek(&dst, "kek1", "key-eu").await;
    dek(&dst, "kek1", "orders-value", json!({"encryptedKeyMaterial": "DST1"})).await;
    dek(&dst, "kek1", "orders-value", json!({"version": 7, "encryptedKeyMaterial": "DST7"})).await;
    let link = Link::open(config(&a, &b, ContextType::None, None, &["*"]), StateFile::new(None)).await.unwrap();
    match link.full_pass().await {
        Err(SyncError::Conflict(m)) => assert!(m.contains("SRC1") && m.contains("DST1"), "{m}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(dst.get_json(&format!("{K}/kek1/deks/orders-value/versions")).await.unwrap(), json!([1, 7]));

    // Without the clash, the destination's own live key (the source never had it) stays live.
    let (c, d) = (start().await, start().await);
    kek(&c.client(), "kek1", "key-eu").await;
    register(&c.client(), "orders-value", &avro_record("Order", &[("ssn", "string")])).await;
    dek(&c.client(), "kek1", "orders-value", json!({"encryptedKeyMaterial": "SRC1"})).await;
    kek(&d.client(), "kek1", "key-eu").await;
    dek(&d.client(), "kek1", "orders-value", json!({"version": 7, "encryptedKeyMaterial": "DST7"})).await;
    let link = Link::open(config(&c, &d, ContextType::None, None, &["*"]), StateFile::new(None)).await.unwrap();
    link.full_pass().await.unwrap();
    assert_eq!(d.client().get_json(&format!("{K}/kek1/deks/orders-value/versions")).await.unwrap(), json!([1, 7]));
}

/// What the replicator's gate asks before it lets a record of the subject pass (policy preserve).
#[tokio::test]
async fn keys_missing_tells_whether_the_destination_lacks_a_subjects_keys() {
    let (a, b) = (start().await, start().await);
    let (src, dst) = (a.client(), b.client());
    register(&src, "plain-value", &avro_record("P", &[("a", "string")])).await;
    register(&src, "orders-value", &avro_record("Order", &[("ssn", "string")])).await;
    let link = Link::open(config(&a, &b, ContextType::None, None, &["*"]), StateFile::new(None)).await.unwrap();
    // No KEK anywhere: nothing is missing.
    assert!(!link.keys_missing("orders-value").await.unwrap());
    kek(&src, "kek1", "key-eu").await;
    dek(&src, "kek1", "orders-value", json!({"encryptedKeyMaterial": "AAAA"})).await;
    assert!(link.keys_missing("orders-value").await.unwrap());
    assert!(!link.keys_missing("plain-value").await.unwrap());
    link.full_pass().await.unwrap();
    assert!(!link.keys_missing("orders-value").await.unwrap());
    // A rotated key is missing again until the next pass.
    dek(&src, "kek1", "orders-value", json!({"version": 2, "encryptedKeyMaterial": "AAAB"})).await;
    assert!(link.keys_missing("orders-value").await.unwrap());
    let _ = dst;
}
