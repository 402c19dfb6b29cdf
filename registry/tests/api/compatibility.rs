//! `POST /compatibility/subjects/{s}/versions[/{v}]`: one version and all, `verbose`, missing
//! subjects and versions, invalid schemas, latest-only vs transitive levels.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn check_against_one_version() {
    let api = start().await;
    api.register("s", &v1()).await;
    let r = api.post("/compatibility/subjects/s/versions/latest", json!({"schema": v2()})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": true}));
    let r = api.post("/compatibility/subjects/s/versions/1", json!({"schema": v_required()})).await;
    // Without verbose there is no messages field.
    assert_eq!(r.ok(), &json!({"is_compatible": false}));
    let r = api.post("/compatibility/subjects/s/versions/-1", json!({"schema": v_required()})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": false}));
    // Checking never registers.
    assert_eq!(api.ok("/subjects/s/versions").await, json!([1]));
}

#[tokio::test]
async fn check_against_all_versions() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.register("s", &v2()).await;
    let r = api.post("/compatibility/subjects/s/versions", json!({"schema": v2()})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": true}));
    let r = api.post("/compatibility/subjects/s/versions", json!({"schema": other("Z")})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": false}));
}

#[tokio::test]
async fn verbose_messages_follow_confluents_format() {
    let api = start().await;
    api.register("s", &v1()).await;
    let r = api.post("/compatibility/subjects/s/versions?verbose=true", json!({"schema": v_required()})).await;
    let v = r.ok();
    assert_eq!(v["is_compatible"], false);
    let messages: Vec<&str> = v["messages"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert_eq!(
        messages[0],
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'c' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'c'}"
    );
    assert_eq!(
        &messages[messages.len() - 3..],
        &[
            "{oldSchemaVersion: 1}".to_string(),
            format!("{{oldSchema: '{}'}}", canonical(&v1())),
            "{validateFields: 'false', compatibility: 'BACKWARD'}".to_string(),
        ]
    );
    // Compatible with verbose: an empty message list.
    let r = api.post("/compatibility/subjects/s/versions/latest?verbose=true", json!({"schema": v2()})).await;
    assert_eq!(r.ok()["is_compatible"], true);
    assert!(r.body["messages"].as_array().is_none_or(|m| m.is_empty()), "{}", r.text);
}

#[tokio::test]
async fn missing_subjects_and_versions() {
    let api = start().await;
    // Latest of a missing subject, and all versions of one: compatible.
    let r = api.post("/compatibility/subjects/nope/versions/latest", json!({"schema": v1()})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": true}));
    let r = api.post("/compatibility/subjects/nope/versions", json!({"schema": v1()})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": true}));
    // A numeric version that does not exist: 40402, also when the subject is missing.
    api.post("/compatibility/subjects/nope/versions/1", json!({"schema": v1()})).await.err(404, 40402);
    api.register("s", &v1()).await;
    api.post("/compatibility/subjects/s/versions/7", json!({"schema": v1()}))
        .await
        .err(404, 40402)
        .msg("Version 7 not found.");
    for bad in ["x", "0", "2147483648"] {
        api.post(&format!("/compatibility/subjects/s/versions/{bad}"), json!({"schema": v1()})).await.err(422, 42202);
    }
    // A soft-deleted version is not checked against.
    api.register("s", &v2()).await;
    api.delete("/subjects/s/versions/1").await.ok();
    api.post("/compatibility/subjects/s/versions/1", json!({"schema": v1()})).await.err(404, 40402);
}

#[tokio::test]
async fn invalid_schema_is_42201_or_incompatible_with_verbose() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.post("/compatibility/subjects/s/versions", json!({"schema": "{"})).await.err(422, 42201);
    api.post("/compatibility/subjects/s/versions/latest", json!({"schema": "{"})).await.err(422, 42201);
    let r = api.post("/compatibility/subjects/s/versions?verbose=true", json!({"schema": "{"})).await;
    let v = r.ok();
    assert_eq!(v["is_compatible"], false);
    assert_eq!(v["messages"].as_array().unwrap().len(), 1, "{v}");
    assert!(v["messages"][0].as_str().unwrap().starts_with("Invalid schema"), "{v}");
    let r = api
        .post("/compatibility/subjects/s/versions/latest?verbose=true", json!({"schema": "{\"type\":\"record\"}"}))
        .await;
    assert_eq!(r.ok()["is_compatible"], false);
}

#[tokio::test]
async fn soft_deleted_versions_are_ignored() {
    let api = start().await;
    api.set_compat("/config/s", "NONE").await;
    api.register("s", &v1()).await;
    api.register("s", "\"string\"").await;
    api.set_compat("/config/s", "BACKWARD").await;
    let r = api.post("/compatibility/subjects/s/versions", json!({"schema": v2()})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": false}));
    api.delete("/subjects/s/versions/2").await.ok();
    let r = api.post("/compatibility/subjects/s/versions", json!({"schema": v2()})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": true}));
    assert_eq!(api.register("s", &v2()).await, (3, 3));
}

/// v1 {a}, v2 {a, b=0}, v3 {b}: v3 reads v2 data but not v1 data (b has no default).
fn chain() -> (String, String, String) {
    (
        record("R", json!([{"name": "a", "type": "int"}])),
        record("R", json!([{"name": "a", "type": "int"}, {"name": "b", "type": "int", "default": 0}])),
        record("R", json!([{"name": "b", "type": "int"}])),
    )
}

#[tokio::test]
async fn backward_checks_latest_only_and_transitive_checks_all() {
    let api = start().await;
    let (a, b, c) = chain();
    api.register("s", &a).await;
    api.register("s", &b).await;
    let r = api.post("/compatibility/subjects/s/versions", json!({"schema": c})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": true}));
    api.set_compat("/config/s", "BACKWARD_TRANSITIVE").await;
    let r = api.post("/compatibility/subjects/s/versions?verbose=true", json!({"schema": c})).await;
    assert_eq!(r.ok()["is_compatible"], false);
    let messages = r.body["messages"].as_array().unwrap();
    assert!(messages.contains(&json!("{oldSchemaVersion: 1}")), "{messages:?}");
    assert!(
        messages.contains(&json!("{validateFields: 'false', compatibility: 'BACKWARD_TRANSITIVE'}")),
        "{messages:?}"
    );
    // The single-version endpoint ignores transitivity: it checks the named version.
    let r = api.post("/compatibility/subjects/s/versions/2", json!({"schema": c})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": true}));
    // Register applies the same rule.
    api.register_req("s", json!({"schema": c})).await.err(409, 409);
    api.set_compat("/config/s", "BACKWARD").await;
    assert_eq!(api.register("s", &c).await, (3, 3));
}

#[tokio::test]
async fn forward_and_full_levels() {
    let api = start().await;
    api.register("s", &v1()).await;
    // FORWARD: the old schema must read data written with the new one. Adding a field is fine;
    // removing a field the old schema needs (no default) is not.
    api.set_compat("/config/s", "FORWARD").await;
    let r = api.post("/compatibility/subjects/s/versions", json!({"schema": v_required()})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": true}));
    let r = api.post("/compatibility/subjects/s/versions", json!({"schema": record("R", json!([]))})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": false}));
    // FULL: both ways; a field with a default is fine, one without is not.
    api.set_compat("/config/s", "FULL").await;
    let r = api.post("/compatibility/subjects/s/versions", json!({"schema": v2()})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": true}));
    let r = api.post("/compatibility/subjects/s/versions", json!({"schema": v_required()})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": false}));
    // NONE: anything goes.
    api.set_compat("/config/s", "NONE").await;
    let r = api.post("/compatibility/subjects/s/versions", json!({"schema": "\"string\""})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": true}));
}

#[tokio::test]
async fn type_changes_follow_avro_promotion_rules() {
    let api = start().await;
    let int_f = record("R", json!([{"name": "a", "type": "int"}]));
    let long_f = record("R", json!([{"name": "a", "type": "long"}]));
    api.register("s", &int_f).await;
    // int → long is a promotion the new reader can do; the reverse is not.
    let r = api.post("/compatibility/subjects/s/versions", json!({"schema": long_f})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": true}));
    api.register("s", &long_f).await;
    let r = api.post("/compatibility/subjects/s/versions?verbose=true", json!({"schema": int_f})).await;
    assert_eq!(r.ok()["is_compatible"], false);
    assert!(r.body["messages"][0].as_str().unwrap().starts_with("{errorType:'TYPE_MISMATCH'"), "{}", r.text);
}
