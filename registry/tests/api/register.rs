//! `POST /subjects/{s}/versions`: ids, versions, canonical form, invalid input, compatibility on
//! register, `force`, `normalize`.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn register_answers_id_version_and_canonical_schema() {
    let api = start().await;
    let pretty = serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&v1()).unwrap()).unwrap();
    assert!(pretty.contains('\n'));
    let v = api.register_req("a", json!({ "schema": pretty })).await.ok().clone();
    assert_eq!((v["id"].clone(), v["version"].clone()), (json!(1), json!(1)));
    // Confluent's canonical form: whitespace removed, attributes in Avro's order.
    assert_eq!(v["schema"], r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#);
    // Java Avro's Schema.toString(): attribute order type, name, namespace, doc, fields.
    let messy =
        r#"{ "fields" : [ { "type" : "int", "name" : "a" } ], "name" : "R", "namespace": "n", "type" : "record" }"#;
    let v = api.register_req("b", json!({ "schema": messy })).await.ok().clone();
    assert_eq!(v["schema"], r#"{"type":"record","name":"R","namespace":"n","fields":[{"name":"a","type":"int"}]}"#);
    // A primitive given as an object is stored as the primitive name.
    let v = api.register_req("c", json!({ "schema": "{\"type\": \"string\"}" })).await.ok().clone();
    assert_eq!(v["schema"], "\"string\"");
}

#[tokio::test]
async fn same_schema_same_id_and_version() {
    let api = start().await;
    assert_eq!(api.register("a", &v1()).await, (1, 1));
    assert_eq!(api.register("a", &v1()).await, (1, 1));
    // Whitespace differences are the same schema.
    let pretty = serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&v1()).unwrap()).unwrap();
    assert_eq!(api.register("a", &pretty).await, (1, 1));
    assert_eq!(api.ok("/subjects/a/versions").await, json!([1]));
    // Across subjects in one context: same id, own version numbering.
    assert_eq!(api.register("b", &v1()).await, (1, 1));
    assert_eq!(api.register("a", &v2()).await, (2, 2));
    assert_eq!(api.register("c", &other("C")).await, (3, 1));
    assert_eq!(api.register("d", &v2()).await, (2, 1));
}

#[tokio::test]
async fn each_context_has_its_own_id_space() {
    let api = start().await;
    api.register("a", &other("A")).await;
    api.register("b", &other("B")).await;
    assert_eq!(api.register("c", &v1()).await, (3, 1));
    // Same schema in another context: a new id there (ids restart at 1).
    assert_eq!(api.register(":.eu:c", &v1()).await, (1, 1));
    assert_eq!(api.register(":.us:c", &v2()).await, (1, 1));
    assert_eq!(api.register(":.us:d", &v1()).await, (2, 1));
    assert_eq!(api.register(":.us:e", &v2()).await, (1, 1));
    // The default context is also `:.:`.
    assert_eq!(api.register(":.:c", &v1()).await, (3, 1));
    assert_eq!(api.ok("/subjects").await, json!(["a", "b", "c", ":.eu:c", ":.us:c", ":.us:d", ":.us:e"]));
}

#[tokio::test]
async fn versions_are_never_reused_after_a_soft_delete() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.register("s", &v2()).await;
    api.delete("/subjects/s/versions/2").await.ok();
    api.delete("/subjects/s/versions/1").await.ok();
    api.set_compat("/config/s", "NONE").await;
    assert_eq!(api.register("s", &other("X")).await, (3, 3));
    assert_eq!(api.ok("/subjects/s/versions").await, json!([3]));
}

#[tokio::test]
async fn hard_deleted_latest_version_number_comes_back_but_its_id_does_not() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.register("s", &v2()).await;
    api.delete("/subjects/s/versions/2").await.ok();
    api.delete("/subjects/s/versions/2?permanent=true").await.ok();
    // Version 2 is free again (max existing + 1); id 2 is not (max id + 1).
    let fields = json!([{"name": "a", "type": "int"}, {"name": "z", "type": "long", "default": 0}]);
    assert_eq!(api.register("s", &record("R", fields)).await, (3, 2));
}

#[tokio::test]
async fn re_registering_a_soft_deleted_schema_reuses_its_id_under_a_new_version() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.register("s", &v2()).await;
    api.delete("/subjects/s").await.ok();
    assert_eq!(api.register("s", &v1()).await, (1, 3));
    // The older soft-deleted version holding the same id is gone (Confluent tombstones it).
    assert_eq!(api.ok("/subjects/s/versions?deleted=true").await, json!([2, 3]));
}

#[tokio::test]
async fn explicit_version_must_be_the_next_one() {
    let api = start().await;
    api.register_req("a", json!({"schema": v1(), "version": 2}))
        .await
        .err(422, 42201)
        .msg("Version is not one more than previous version");
    let v = api.register_req("a", json!({"schema": v1(), "version": 1})).await.ok().clone();
    assert_eq!((v["id"].clone(), v["version"].clone()), (json!(1), json!(1)));
    api.register_req("a", json!({"schema": v2(), "version": 1})).await.err(422, 42201);
    api.register_req("a", json!({"schema": v2(), "version": 3})).await.err(422, 42201);
    assert_eq!(api.register_req("a", json!({"schema": v2(), "version": 2})).await.ok()["version"], 2);
    // After a soft delete the next version still counts the deleted one.
    api.delete("/subjects/a/versions/2").await.ok();
    let fields = json!([{"name": "a", "type": "int"}, {"name": "z", "type": "long", "default": 0}]);
    api.register_req("a", json!({"schema": record("R", fields.clone()), "version": 2})).await.err(422, 42201);
    assert_eq!(api.register_req("a", json!({"schema": record("R", fields), "version": 3})).await.ok()["version"], 3);
    api.get("/subjects/a/versions/2").await.err(404, 40402);
}

#[tokio::test]
async fn empty_schema_reuses_the_previous_version() {
    let api = start().await;
    api.register_req("a", json!({"schema": ""})).await.err(422, 42201).msg("Empty schema");
    api.register_req("a", json!({})).await.err(422, 42201);
    api.register("a", &v1()).await;
    let r = api.register_req("a", json!({"schema": "", "metadata": {"properties": {"owner": "team-a"}}})).await;
    let v = r.ok();
    assert_eq!((v["id"].clone(), v["version"].clone()), (json!(2), json!(2)));
    assert_eq!(v["schema"], canonical(&v1()));
    assert_eq!(v["metadata"]["properties"]["owner"], "team-a");
    let v = api.ok("/subjects/a/versions/2").await;
    assert_eq!(v["metadata"], json!({"properties": {"owner": "team-a"}}));
    // Same schema with the same metadata again: same id and version.
    let r = api.register_req("a", json!({"schema": v1(), "metadata": {"properties": {"owner": "team-a"}}})).await;
    assert_eq!((r.body["id"].clone(), r.body["version"].clone()), (json!(2), json!(2)));
    // Only a registration fills an empty schema: a lookup of one finds nothing.
    api.post("/subjects/a", json!({"schema": ""})).await.err(404, 40403);
    api.post("/subjects/a", json!({"schema": "  ", "metadata": {"properties": {"owner": "team-a"}}}))
        .await
        .err(404, 40403);
    api.post("/subjects/nope", json!({"schema": ""})).await.err(404, 40401);
}

#[tokio::test]
async fn invalid_schemas_and_types_are_42201() {
    let api = start().await;
    for bad in [
        "{\"type\":\"record\"}",
        "not json",
        "{\"type\":\"nosuchtype\"}",
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"Missing\"}]}",
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\"}]}",
        "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}",
        "{\"type\":\"record\",\"name\":\"1bad\",\"fields\":[]}",
        "[\"int\",\"int\"]",
    ] {
        let r = api.register_req("a", json!({ "schema": bad })).await;
        r.err(422, 42201);
        assert!(r.message().starts_with("Invalid schema"), "{bad}: {}", r.message());
    }
    api.register_req("a", json!({"schema": v1(), "schemaType": "XML"})).await.err(422, 42201);
    // schemaType is case-sensitive, as Confluent's provider map; absent means AVRO.
    api.register_req("a", json!({"schema": v1(), "schemaType": "avro"}))
        .await
        .err(422, 42201)
        .msg("Invalid schema type avro");
    api.post("/compatibility/subjects/a/versions", json!({"schema": v1(), "schemaType": "Avro"})).await.err(422, 42201);
    assert_eq!(api.register_req("a", json!({"schema": v1(), "schemaType": "AVRO"})).await.ok()["id"], 1);
    api.post("/subjects/a", json!({"schema": v1(), "schemaType": "avro"})).await.err(422, 42201);
    api.get("/subjects/b/versions").await.err(404, 40401);
}

#[tokio::test]
async fn invalid_subjects_are_42208() {
    let api = start().await;
    for bad in ["__GLOBAL", "__EMPTY", ":.__GLOBAL:x", "a%01b"] {
        let r = api.register_req(bad, json!({ "schema": v1() })).await;
        assert_eq!((r.status, r.body["error_code"].clone()), (422, json!(42208)), "{bad}: {}", r.text);
    }
    assert_eq!(api.ok("/subjects?deleted=true").await, json!([]));
}

#[tokio::test]
async fn incompatible_schema_is_409_with_confluents_message() {
    let api = start().await;
    api.register("s", &v1()).await;
    let r = api.register_req("s", json!({ "schema": v_required() })).await;
    r.err(409, 409);
    let msg = r.message();
    assert!(
        msg.starts_with("Schema being registered is incompatible with an earlier schema for subject \"s\", details: ["),
        "{msg}"
    );
    assert!(msg.contains("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'"), "{msg}");
    assert!(msg.contains("{oldSchemaVersion: 1}"), "{msg}");
    assert!(msg.contains(&format!("{{oldSchema: '{}'}}", canonical(&v1()))), "{msg}");
    assert!(msg.ends_with("{validateFields: 'false', compatibility: 'BACKWARD'}]"), "{msg}");
    assert_eq!(api.ok("/subjects/s/versions").await, json!([1]));
    // A compatible evolution goes through.
    assert_eq!(api.register("s", &v2()).await, (2, 2));
}

#[tokio::test]
async fn force_skips_the_compatibility_check() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.register_req("s", json!({ "schema": v_required() })).await.err(409, 409);
    let r = api.post("/subjects/s/versions?force=true", json!({ "schema": v_required() })).await;
    assert_eq!((r.ok()["id"].clone(), r.body["version"].clone()), (json!(2), json!(2)));
    // force=false is the default.
    api.post("/subjects/s/versions?force=false", json!({ "schema": other("Z") })).await.err(409, 409);
}

/// Equal only after normalization: custom properties in another order, namespace written
/// differently, attributes reordered. (Docs would make them different schemas, as in Confluent.)
const UNNORMALIZED: &str =
    r#"{"type":"record","name":"R","namespace":"n","fields":[{"name":"a","type":{"type":"long","b":1,"a":2}}]}"#;
const REORDERED: &str = r#"{"fields":[{"type":{"a":2,"type":"long","b":1},"name":"a"}],"name":"n.R","type":"record"}"#;
/// Confluent's normalized form: properties sorted, then parsed and printed again.
const NORMALIZED: &str =
    r#"{"type":"record","name":"R","namespace":"n","fields":[{"name":"a","type":{"type":"long","a":2,"b":1}}]}"#;

#[tokio::test]
async fn normalize_stores_the_normalized_form() {
    let api = start().await;
    let v = api.post("/subjects/s/versions?normalize=true", json!({ "schema": UNNORMALIZED })).await.ok().clone();
    assert_eq!(v["schema"], NORMALIZED);
    // A differently written equivalent schema normalizes to the same id and version.
    let v2 = api.post("/subjects/s/versions?normalize=true", json!({ "schema": REORDERED })).await.ok().clone();
    assert_eq!((v2["id"].clone(), v2["version"].clone()), (json!(1), json!(1)));
    // Lookup with normalize finds it; without, the property order makes it a different string.
    assert_eq!(api.post("/subjects/s?normalize=true", json!({ "schema": UNNORMALIZED })).await.ok()["id"], 1);
    api.post("/subjects/s", json!({ "schema": UNNORMALIZED })).await.err(404, 40403);
    // Without normalize the schema is stored as written (Java's toString form).
    let v = api.register_req("t", json!({ "schema": UNNORMALIZED })).await.ok().clone();
    assert_eq!(v["schema"], UNNORMALIZED);
    assert_eq!(v["id"], 2);
}

#[tokio::test]
async fn normalize_config_forces_normalization() {
    let api = start().await;
    let r = api.put("/config/s", json!({"normalize": true})).await;
    assert_eq!(r.ok(), &json!({"normalize": true}));
    assert_eq!(api.register_req("s", json!({ "schema": UNNORMALIZED })).await.ok()["schema"], NORMALIZED);
    assert_eq!(api.register("s", REORDERED).await, (1, 1));
    assert_eq!(api.post("/subjects/s", json!({ "schema": UNNORMALIZED })).await.ok()["version"], 1);
}

#[tokio::test]
async fn concurrent_registrations_get_distinct_ids_and_one_id_per_schema() {
    let api = std::sync::Arc::new(start().await);
    let mut tasks = Vec::new();
    for i in 0..32 {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            // Every subject registers the shared schema and one of its own.
            let shared = api.register_req(&format!("s{i}"), json!({"schema": v1()})).await;
            let own = api.register_req(&format!("own{i}"), json!({"schema": other(&format!("Own{i}"))})).await;
            (shared.ok()["id"].as_u64().unwrap(), own.ok()["id"].as_u64().unwrap())
        }));
    }
    let mut shared_ids = std::collections::BTreeSet::new();
    let mut own_ids = std::collections::BTreeSet::new();
    for t in tasks {
        let (s, o) = t.await.unwrap();
        shared_ids.insert(s);
        own_ids.insert(o);
    }
    assert_eq!(shared_ids.len(), 1, "{shared_ids:?}");
    assert_eq!(own_ids.len(), 32, "{own_ids:?}");
    let shared = *shared_ids.first().unwrap();
    let mut all: Vec<u64> = own_ids.into_iter().chain(shared_ids).collect();
    all.sort_unstable();
    assert_eq!(all, (1..=33).collect::<Vec<u64>>());
    assert_eq!(api.ok(&format!("/schemas/ids/{shared}/subjects")).await.as_array().unwrap().len(), 32);
    assert_eq!(api.ok("/subjects").await.as_array().unwrap().len(), 64);
}

#[tokio::test]
async fn default_context_qualified_subject_is_the_plain_subject() {
    let api = start().await;
    assert_eq!(api.register(":.:s", &v1()).await, (1, 1));
    assert_eq!(api.ok("/subjects").await, json!(["s"]));
    assert_eq!(api.ok("/subjects/:.:s/versions/1").await["subject"], "s");
    assert_eq!(api.ok("/subjects/s/versions/1").await["subject"], "s");
}
