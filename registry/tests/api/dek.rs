//! `/dek-registry/v1`: KEKs and DEKs, every route and error code of Confluent's `dek-registry`
//! module (40470, 40471, 40472, 40971, 42202, 42271, 42272, 50070), soft and permanent deletes,
//! undeletes, `?deleted`, `?subjectPrefix`, `?algorithm`, pagination, and keys kept across a restart.

use serde_json::{json, Value};

use crate::common::*;

const K: &str = "/dek-registry/v1/keks";

fn kek_body(name: &str) -> Value {
    json!({"name": name, "kmsType": "local-kms", "kmsKeyId": "mykey"})
}

fn dek_body(material: &str) -> Value {
    json!({"encryptedKeyMaterial": material})
}

/// Drop `ts` (it changes with every write) from an entity.
fn no_ts(v: &Value) -> Value {
    let mut v = v.clone();
    v.as_object_mut().unwrap().remove("ts");
    v
}

#[tokio::test]
async fn kek_create_get_list_update_and_errors() {
    let api = start().await;
    assert_eq!(api.ok(K).await, json!([]));
    let r = api.post(K, kek_body("kek1")).await;
    let kek = r.ok().clone();
    assert!(kek["ts"].as_i64().is_some_and(|t| t > 0), "ts in {kek}");
    assert_eq!(
        no_ts(&kek),
        json!({"name": "kek1", "kmsType": "local-kms", "kmsKeyId": "mykey", "kmsProps": {}, "shared": false})
    );
    // Field order as Confluent's Kek entity.
    assert!(r
        .text
        .starts_with(r#"{"name":"kek1","kmsType":"local-kms","kmsKeyId":"mykey","kmsProps":{},"shared":false,"ts":"#));
    assert_eq!(api.ok(&format!("{K}/kek1")).await, kek);
    assert_eq!(api.ok(K).await, json!(["kek1"]));
    // Re-creating, even identically: 40971.
    api.post(K, kek_body("kek1")).await.err(409, 40971).msg("Key 'kek1' already exists; use a different value");
    // Missing KEK: 40470.
    api.get(&format!("{K}/nope")).await.err(404, 40470).msg("Key 'nope' not found");
    // Invalid names and fields: 42271.
    for bad in ["1abc", "a.b", "a b"] {
        let mut b = kek_body("x");
        b["name"] = json!(bad);
        api.post(K, b).await.err(422, 42271).msg("Invalid or missing value for field 'name' of key");
    }
    api.post(K, json!({"name": "x", "kmsType": "local-kms"})).await.err(422, 42271).msg_contains("'kmsKeyId'");
    api.post(K, json!({"name": "x", "kmsKeyId": "k"})).await.err(422, 42271).msg_contains("'kmsType'");
    api.post(K, json!({"name": "x", "kmsType": "aws-kms", "kmsKeyId": "k"}))
        .await
        .err(422, 42271)
        .msg_contains("'kmsKeyId'");
    api.get(&format!("{K}/{}", "a".repeat(257))).await.err(422, 42271);
    // kmsType normalized, kmsProps sorted, doc kept.
    let k2 = api
        .post(K, json!({"name": "kek2", "kmsType": "AWS", "kmsKeyId": "arn:aws:kms:eu:1:key/x", "kmsProps": {"z": "1", "a": "2"}, "doc": "d"}))
        .await
        .ok()
        .clone();
    assert_eq!(k2["kmsType"], "aws-kms");
    assert_eq!(serde_json::to_string(&k2["kmsProps"]).unwrap(), r#"{"a":"2","z":"1"}"#);
    assert_eq!(api.ok(&format!("{K}?limit=1&offset=1")).await, json!(["kek2"]));
    // PUT: absent fields kept, given ones replaced; null clears; missing KEK 40470.
    let u = api.put(&format!("{K}/kek2"), json!({"doc": "new"})).await.ok().clone();
    assert_eq!(
        (u["doc"].clone(), u["kmsProps"]["a"].clone(), u["shared"].clone()),
        (json!("new"), json!("2"), json!(false))
    );
    let u = api.put(&format!("{K}/kek2"), json!({"kmsProps": null, "shared": true})).await.ok().clone();
    assert_eq!((u["kmsProps"].clone(), u["shared"].clone(), u["doc"].clone()), (json!({}), json!(true), json!("new")));
    api.put(&format!("{K}/gone"), json!({"doc": "x"})).await.err(404, 40470);
}

#[tokio::test]
async fn kek_soft_delete_undelete_permanent_delete() {
    let api = start().await;
    api.post(K, kek_body("kek1")).await.ok();
    // Permanent delete first: 40471.
    api.delete(&format!("{K}/kek1?permanent=true"))
        .await
        .err(404, 40471)
        .msg("Key 'kek1' was not deleted first before being permanently deleted");
    assert_eq!(api.delete(&format!("{K}/kek1")).await.status, 204);
    api.get(&format!("{K}/kek1")).await.err(404, 40470);
    assert_eq!(api.ok(&format!("{K}/kek1?deleted=true")).await["deleted"], json!(true));
    assert_eq!(api.ok(K).await, json!([]));
    assert_eq!(api.ok(&format!("{K}?deleted=true")).await, json!(["kek1"]));
    // PUT on a soft-deleted KEK: 40470.
    api.put(&format!("{K}/kek1"), json!({"doc": "x"})).await.err(404, 40470);
    // Creating it again with the same fields undeletes it; with other fields: 40971.
    let mut other = kek_body("kek1");
    other["kmsKeyId"] = json!("another");
    api.post(K, other).await.err(409, 40971);
    let back = api.post(K, kek_body("kek1")).await.ok().clone();
    assert!(back.get("deleted").is_none());
    // Undelete route.
    assert_eq!(api.delete(&format!("{K}/kek1")).await.status, 204);
    assert_eq!(api.post(&format!("{K}/kek1/undelete"), json!({})).await.status, 204);
    api.ok(&format!("{K}/kek1")).await;
    api.post(&format!("{K}/nope/undelete"), json!({})).await.err(404, 40470);
    // Permanent delete after a soft delete; then gone even with ?deleted.
    assert_eq!(api.delete(&format!("{K}/kek1")).await.status, 204);
    assert_eq!(api.delete(&format!("{K}/kek1?permanent=true")).await.status, 204);
    api.get(&format!("{K}/kek1?deleted=true")).await.err(404, 40470);
    api.delete(&format!("{K}/kek1?permanent=true")).await.err(404, 40470);
    assert_eq!(api.ok(&format!("{K}?deleted=true")).await, json!([]));
}

#[tokio::test]
async fn dek_create_get_versions_and_errors() {
    let api = start().await;
    api.post(K, kek_body("kek1")).await.ok();
    let d = api.post(&format!("{K}/kek1/deks/orders-value"), dek_body("AAEC")).await;
    let dek = d.ok().clone();
    assert_eq!(
        no_ts(&dek),
        json!({"kekName": "kek1", "subject": "orders-value", "version": 1, "algorithm": "AES256_GCM", "encryptedKeyMaterial": "AAEC"})
    );
    assert!(d.text.starts_with(r#"{"kekName":"kek1","subject":"orders-value","version":1,"algorithm":"AES256_GCM","encryptedKeyMaterial":"AAEC","ts":"#));
    assert!(dek.get("keyMaterial").is_none(), "never plaintext: {dek}");
    assert_eq!(api.ok(&format!("{K}/kek1/deks/orders-value")).await, dek);
    assert_eq!(api.ok(&format!("{K}/kek1/deks/orders-value/versions/1")).await, dek);
    assert_eq!(api.ok(&format!("{K}/kek1/deks/orders-value/versions/latest")).await, dek);
    // Same again: 40971 naming the subject.
    api.post(&format!("{K}/kek1/deks/orders-value"), dek_body("AAEC"))
        .await
        .err(409, 40971)
        .msg("Key 'orders-value' already exists; use a different value");
    // Without key material on a KEK that is not shared: 42271.
    api.post(&format!("{K}/kek1/deks/other"), json!({})).await.err(422, 42271).msg_contains("'encryptedKeyMaterial'");
    // Unknown KEK: 40470 naming the KEK; unknown DEK: 40470 naming the subject.
    api.post(&format!("{K}/nope/deks/orders-value"), dek_body("AA")).await.err(404, 40470).msg("Key 'nope' not found");
    api.get(&format!("{K}/kek1/deks/none")).await.err(404, 40470).msg("Key 'none' not found");
    api.get(&format!("{K}/kek1/deks/orders-value/versions/9")).await.err(404, 40470);
    // Bad version: 42202; bad algorithm: Jersey's 404.
    api.get(&format!("{K}/kek1/deks/orders-value/versions/zero")).await.err(422, 42202);
    api.get(&format!("{K}/kek1/deks/orders-value?algorithm=ROT13")).await.err(404, 404);
    // Versions, algorithms, the deprecated create with the subject in the body.
    let v2 =
        api.post(&format!("{K}/kek1/deks/orders-value"), json!({"version": 2, "encryptedKeyMaterial": "AAED"})).await;
    assert_eq!(v2.ok()["version"], 2);
    assert_eq!(api.ok(&format!("{K}/kek1/deks/orders-value/versions")).await, json!([1, 2]));
    assert_eq!(api.ok(&format!("{K}/kek1/deks/orders-value/versions?offset=1&limit=1")).await, json!([2]));
    assert_eq!(api.ok(&format!("{K}/kek1/deks/orders-value/versions/-1")).await["version"], 2);
    // GET /deks/{subject} is version 1, as Confluent's MIN_VERSION.
    assert_eq!(api.ok(&format!("{K}/kek1/deks/orders-value")).await["version"], 1);
    let siv = api
        .post(
            &format!("{K}/kek1/deks"),
            json!({"subject": "users-value", "algorithm": "AES256_SIV", "encryptedKeyMaterial": "AAEE"}),
        )
        .await;
    assert_eq!(siv.ok()["algorithm"], "AES256_SIV");
    api.get(&format!("{K}/kek1/deks/users-value")).await.err(404, 40470);
    assert_eq!(
        api.ok(&format!("{K}/kek1/deks/users-value?algorithm=AES256_SIV")).await["encryptedKeyMaterial"],
        "AAEE"
    );
    assert_eq!(api.ok(&format!("{K}/kek1/deks")).await, json!(["orders-value", "users-value"]));
    assert_eq!(api.ok(&format!("{K}/kek1/deks?limit=1")).await, json!(["orders-value"]));
    api.get(&format!("{K}/nope/deks")).await.err(404, 40470);
    // KEKs by the subjects of their DEKs.
    api.post(K, kek_body("kek3")).await.ok();
    api.post(&format!("{K}/kek3/deks/foo"), dek_body("AA")).await.ok();
    assert_eq!(api.ok(&format!("{K}?subjectPrefix=users")).await, json!(["kek1"]));
    assert_eq!(api.ok(&format!("{K}?subjectPrefix=foo")).await, json!(["kek3"]));
    assert_eq!(api.ok(&format!("{K}?subjectPrefix=foo&subjectPrefix=orders")).await, json!(["kek1", "kek3"]));
    // A subject with a control character: 42271.
    api.post(&format!("{K}/kek1/deks/a%01b"), dek_body("AA")).await.err(422, 42271).msg_contains("'subject'");
    // rewrap replaces the wrapped key of an existing DEK.
    let r = api.post(&format!("{K}/kek1/deks/orders-value?rewrap=true"), json!({"encryptedKeyMaterial": "BBBB"})).await;
    assert_eq!(r.ok()["encryptedKeyMaterial"], "BBBB");
}

#[tokio::test]
async fn dek_deletes_undeletes_and_kek_references() {
    let api = start().await;
    api.post(K, kek_body("kek1")).await.ok();
    api.post(&format!("{K}/kek1/deks/s1"), dek_body("AA")).await.ok();
    api.post(&format!("{K}/kek1/deks/s2"), dek_body("AB")).await.ok();
    api.post(&format!("{K}/kek1/deks/s2"), json!({"version": 2, "encryptedKeyMaterial": "AC"})).await.ok();
    // A KEK with live DEKs cannot be deleted: 42272.
    api.delete(&format!("{K}/kek1")).await.err(422, 42272).msg("One or more references exist to the key 'kek1'");
    // DEK permanent delete first: 40471.
    api.delete(&format!("{K}/kek1/deks/s1?permanent=true")).await.err(404, 40471).msg_contains("'s1'");
    assert_eq!(api.delete(&format!("{K}/kek1/deks/s1")).await.status, 204);
    api.get(&format!("{K}/kek1/deks/s1")).await.err(404, 40470);
    assert_eq!(api.ok(&format!("{K}/kek1/deks/s1?deleted=true")).await["deleted"], json!(true));
    assert_eq!(api.ok(&format!("{K}/kek1/deks")).await, json!(["s2"]));
    assert_eq!(api.ok(&format!("{K}/kek1/deks?deleted=true")).await, json!(["s1", "s2"]));
    // Creating a soft-deleted DEK again undeletes it.
    api.post(&format!("{K}/kek1/deks/s1"), dek_body("AA")).await.ok();
    assert_eq!(api.delete(&format!("{K}/kek1/deks/s1")).await.status, 204);
    // One version.
    assert_eq!(api.delete(&format!("{K}/kek1/deks/s2/versions/2")).await.status, 204);
    assert_eq!(api.ok(&format!("{K}/kek1/deks/s2/versions")).await, json!([1]));
    assert_eq!(api.ok(&format!("{K}/kek1/deks/s2/versions?deleted=true")).await, json!([1, 2]));
    api.delete(&format!("{K}/kek1/deks/s2/versions/1?permanent=true")).await.err(404, 40471);
    api.delete(&format!("{K}/kek1/deks/s2/versions/7")).await.err(404, 40470);
    api.delete(&format!("{K}/kek1/deks/s2/versions/0")).await.err(422, 42202);
    assert_eq!(api.post(&format!("{K}/kek1/deks/s2/versions/2/undelete"), json!({})).await.status, 204);
    assert_eq!(api.ok(&format!("{K}/kek1/deks/s2/versions")).await, json!([1, 2]));
    // Undelete needs the KEK undeleted first: 40472.
    assert_eq!(api.delete(&format!("{K}/kek1/deks/s2")).await.status, 204);
    assert_eq!(api.delete(&format!("{K}/kek1")).await.status, 204);
    api.get(&format!("{K}/kek1/deks")).await.err(404, 40470);
    assert_eq!(api.ok(&format!("{K}/kek1/deks?deleted=true")).await, json!(["s1", "s2"]));
    api.post(&format!("{K}/kek1/deks/s2/undelete"), json!({}))
        .await
        .err(404, 40472)
        .msg("Key 'kek1' must be undeleted first");
    api.post(&format!("{K}/kek1/deks/s2/versions/1/undelete"), json!({})).await.err(404, 40472);
    assert_eq!(api.post(&format!("{K}/kek1/undelete"), json!({})).await.status, 204);
    assert_eq!(api.post(&format!("{K}/kek1/deks/s2/undelete"), json!({})).await.status, 204);
    assert_eq!(api.ok(&format!("{K}/kek1/deks")).await, json!(["s2"]));
    api.post(&format!("{K}/kek1/deks/none/undelete"), json!({})).await.err(404, 40470);
    // Permanent: soft-deleted DEKs still hold the KEK (42272) until they are gone.
    assert_eq!(api.delete(&format!("{K}/kek1/deks/s2")).await.status, 204);
    assert_eq!(api.delete(&format!("{K}/kek1")).await.status, 204);
    api.delete(&format!("{K}/kek1?permanent=true")).await.err(422, 42272);
    assert_eq!(api.delete(&format!("{K}/kek1/deks/s1?permanent=true")).await.status, 204);
    api.delete(&format!("{K}/kek1/deks/s1?permanent=true")).await.err(404, 40470);
    assert_eq!(api.delete(&format!("{K}/kek1/deks/s2?permanent=true")).await.status, 204);
    assert_eq!(api.ok(&format!("{K}/kek1/deks?deleted=true")).await, json!([]));
    assert_eq!(api.delete(&format!("{K}/kek1?permanent=true")).await.status, 204);
    assert_eq!(api.ok(&format!("{K}?deleted=true")).await, json!([]));
}

#[tokio::test]
async fn shared_keks_need_a_kms_lockstep_does_not_have() {
    let api = start().await;
    let mut b = kek_body("shared1");
    b["shared"] = json!(true);
    assert_eq!(api.post(K, b).await.ok()["shared"], true);
    // The registry would have to generate and wrap the DEK with the KMS: 50070.
    api.post(&format!("{K}/shared1/deks/s"), json!({}))
        .await
        .err(500, 50070)
        .msg_contains("Could not generate encrypted dek for s");
    // A client-wrapped DEK is stored; reading it would need the KMS to unwrap it: 50070.
    api.post(&format!("{K}/shared1/deks/s"), dek_body("AA")).await.ok();
    api.get(&format!("{K}/shared1/deks/s")).await.err(500, 50070);
    api.post(&format!("{K}/shared1/test"), json!({})).await.err(500, 50070);
    api.post(K, kek_body("plain")).await.ok();
    api.post(&format!("{K}/plain/test"), json!({})).await.err(422, 42271).msg_contains("'shared'");
}

#[tokio::test]
async fn keys_survive_a_restart() {
    let api = start().await;
    api.post(K, kek_body("kek1")).await.ok();
    api.post(K, kek_body("kek2")).await.ok();
    api.post(&format!("{K}/kek1/deks/s1"), dek_body("AA")).await.ok();
    api.post(&format!("{K}/kek1/deks/s1"), json!({"version": 2, "encryptedKeyMaterial": "AB"})).await.ok();
    assert_eq!(api.delete(&format!("{K}/kek1/deks/s1/versions/1")).await.status, 204);
    assert_eq!(api.delete(&format!("{K}/kek2")).await.status, 204);
    assert_eq!(api.delete(&format!("{K}/kek2?permanent=true")).await.status, 204);
    let paths = [
        K.to_string(),
        format!("{K}?deleted=true"),
        format!("{K}/kek1"),
        format!("{K}/kek1/deks/s1/versions?deleted=true"),
        format!("{K}/kek1/deks/s1/versions/1?deleted=true"),
        format!("{K}/kek1/deks/s1/versions/2"),
    ];
    let mut before = Vec::new();
    for p in &paths {
        before.push(api.ok(p).await);
    }
    let path = api.data_dir.clone();
    let dir = api.stop().await;
    let api = start_at(&path).await;
    for (p, b) in paths.iter().zip(before) {
        assert_eq!(api.ok(p).await, b, "{p}");
    }
    api.get(&format!("{K}/kek2?deleted=true")).await.err(404, 40470);
    drop(dir);
}
