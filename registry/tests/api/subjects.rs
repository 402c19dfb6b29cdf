//! `/subjects` listing, lookup (`POST /subjects/{s}`), versions, `/versions/{v}[/schema]`, and
//! subjects containing `/`.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn list_subjects_spans_all_contexts_by_default() {
    let api = start().await;
    assert_eq!(api.ok("/subjects").await, json!([]));
    api.register("b", &v1()).await;
    api.register(":.eu:a", &v1()).await;
    api.register("a", &v1()).await;
    api.register(":.alpha:z", &v1()).await;
    // Default context first, then the others by context name; qualified names outside the default.
    assert_eq!(api.ok("/subjects").await, json!(["a", "b", ":.alpha:z", ":.eu:a"]));
    assert_eq!(api.ok("/subjects?subjectPrefix=:*:").await, json!(["a", "b", ":.alpha:z", ":.eu:a"]));
    // An empty prefix is the default context only.
    assert_eq!(api.ok("/subjects?subjectPrefix=").await, json!(["a", "b"]));
    assert_eq!(api.ok("/subjects?subjectPrefix=:.eu:").await, json!([":.eu:a"]));
    assert_eq!(api.ok("/subjects?subjectPrefix=b").await, json!(["b"]));
    assert_eq!(api.ok("/subjects?offset=1&limit=2").await, json!(["b", ":.alpha:z"]));
}

#[tokio::test]
async fn list_subjects_deleted_and_deleted_only() {
    let api = start().await;
    api.register("live", &v1()).await;
    api.register("partly", &v1()).await;
    api.register("partly", &v2()).await;
    api.register("gone", &v1()).await;
    api.delete("/subjects/partly/versions/1").await.ok();
    api.delete("/subjects/gone").await.ok();
    // A subject is deleted only when all its versions are.
    assert_eq!(api.ok("/subjects").await, json!(["live", "partly"]));
    assert_eq!(api.ok("/subjects?deleted=true").await, json!(["gone", "live", "partly"]));
    assert_eq!(api.ok("/subjects?deletedOnly=true").await, json!(["gone"]));
    // deletedOnly wins over deleted.
    assert_eq!(api.ok("/subjects?deleted=true&deletedOnly=true").await, json!(["gone"]));
    // Jersey booleans: case-insensitive "true", anything else false.
    assert_eq!(api.ok("/subjects?deleted=TRUE").await, json!(["gone", "live", "partly"]));
    assert_eq!(api.ok("/subjects?deleted=yes").await, json!(["live", "partly"]));
}

#[tokio::test]
async fn lookup_finds_the_version_with_the_stored_canonical_schema() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.register("s", &v2()).await;
    let pretty = serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&v1()).unwrap()).unwrap();
    let v = api.post("/subjects/s", json!({ "schema": pretty })).await.ok().clone();
    assert_eq!((v["subject"].clone(), v["version"].clone(), v["id"].clone()), (json!("s"), json!(1), json!(1)));
    assert_eq!(v["schema"], canonical(&v1()));
    assert_eq!(v["schemaType"], "AVRO");
    let v = api.post("/subjects/s", json!({ "schema": v2(), "schemaType": "AVRO" })).await.ok().clone();
    assert_eq!((v["version"].clone(), v["id"].clone()), (json!(2), json!(2)));
}

#[tokio::test]
async fn lookup_errors() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.register("t", &v2()).await;
    api.post("/subjects/nope", json!({"schema": v1()})).await.err(404, 40401).msg("Subject 'nope' not found.");
    // Registered elsewhere but not under this subject.
    api.post("/subjects/s", json!({"schema": v2()})).await.err(404, 40403).msg("Schema not found");
    api.post("/subjects/s", json!({"schema": "{bad"})).await.err(422, 42201);
    api.post("/subjects/s", json!({"schema": v1(), "schemaType": "XML"})).await.err(422, 42201);
}

#[tokio::test]
async fn lookup_of_soft_deleted_versions_needs_deleted_true() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.register("s", &v2()).await;
    api.delete("/subjects/s/versions/1").await.ok();
    api.post("/subjects/s", json!({"schema": v1()})).await.err(404, 40403);
    let v = api.post("/subjects/s?deleted=true", json!({"schema": v1()})).await.ok().clone();
    assert_eq!((v["version"].clone(), v["id"].clone()), (json!(1), json!(1)));
    // Whole subject soft-deleted: 40401 without deleted=true.
    api.delete("/subjects/s").await.ok();
    api.post("/subjects/s", json!({"schema": v2()})).await.err(404, 40401);
    assert_eq!(api.post("/subjects/s?deleted=true", json!({"schema": v2()})).await.ok()["version"], 2);
}

#[tokio::test]
async fn unqualified_lookup_falls_back_to_other_contexts() {
    let api = start().await;
    api.register(":.eu:only-eu", &v2()).await;
    let v = api.post("/subjects/only-eu", json!({"schema": v2()})).await.ok().clone();
    assert_eq!((v["subject"].clone(), v["id"].clone()), (json!(":.eu:only-eu"), json!(1)));
    // A qualified subject does not fall back.
    api.post("/subjects/:.:only-eu", json!({"schema": v2()})).await.err(404, 40401);
    api.post("/subjects/:.us:only-eu", json!({"schema": v2()})).await.err(404, 40401);
    // GET versions falls back the same way.
    assert_eq!(api.ok("/subjects/only-eu/versions/1").await["subject"], ":.eu:only-eu");
    assert_eq!(api.ok("/subjects/only-eu/versions").await, json!([1]));
    // The default context wins when the subject exists there.
    api.register("only-eu", &v1()).await;
    assert_eq!(api.ok("/subjects/only-eu/versions/1").await["schema"], canonical(&v1()));
}

#[tokio::test]
async fn versions_list_latest_and_specific() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.register("s", &v2()).await;
    assert_eq!(api.ok("/subjects/s/versions").await, json!([1, 2]));
    for latest in ["latest", "LATEST", "Latest", "-1"] {
        let v = api.ok(&format!("/subjects/s/versions/{latest}")).await;
        assert_eq!(
            (v["subject"].clone(), v["version"].clone(), v["id"].clone()),
            (json!("s"), json!(2), json!(2)),
            "{latest}"
        );
    }
    let v = api.ok("/subjects/s/versions/1").await;
    assert_eq!(v["schema"], canonical(&v1()));
    assert_eq!(v["schemaType"], "AVRO");
    assert!(v.get("deleted").is_none_or(|d| d == false), "{v}");
    let r = api.get("/subjects/s/versions/1/schema").await;
    assert_eq!((r.status, r.text.clone()), (200, canonical(&v1())));
    let r = api.get("/subjects/s/versions/latest/schema").await;
    assert_eq!((r.status, r.text.clone()), (200, canonical(&v2())));
}

#[tokio::test]
async fn invalid_versions_are_42202() {
    let api = start().await;
    api.register("s", &v1()).await;
    for bad in ["abc", "0", "2147483648", "-2", "1.5"] {
        api.get(&format!("/subjects/s/versions/{bad}")).await.err(422, 42202).msg(&format!(
            "The specified version '{bad}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
        ));
        api.get(&format!("/subjects/s/versions/{bad}/schema")).await.err(422, 42202);
        api.get(&format!("/subjects/s/versions/{bad}/referencedby")).await.err(422, 42202);
        api.delete(&format!("/subjects/s/versions/{bad}")).await.err(422, 42202);
    }
}

#[tokio::test]
async fn missing_versions_and_subjects() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.get("/subjects/s/versions/2").await.err(404, 40402).msg("Version 2 not found.");
    api.get("/subjects/s/versions/2147483647").await.err(404, 40402);
    api.get("/subjects/s/versions/2/schema").await.err(404, 40402);
    api.get("/subjects/nope/versions").await.err(404, 40401).msg("Subject 'nope' not found.");
    api.get("/subjects/nope/versions/1").await.err(404, 40401);
    api.get("/subjects/nope/versions/latest").await.err(404, 40401);
    api.get("/subjects/nope/versions/1/schema").await.err(404, 40401);
}

#[tokio::test]
async fn versions_deleted_flags() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.register("s", &v2()).await;
    api.delete("/subjects/s/versions/1").await.ok();
    assert_eq!(api.ok("/subjects/s/versions").await, json!([2]));
    assert_eq!(api.ok("/subjects/s/versions?deleted=true").await, json!([1, 2]));
    assert_eq!(api.ok("/subjects/s/versions?deletedOnly=true").await, json!([1]));
    assert_eq!(api.ok("/subjects/s/versions?deleted=true&deletedAsNegative=true").await, json!([-1, 2]));
    // A subject with no deleted version: deletedOnly is an empty list, not 40401.
    api.register("t", &v1()).await;
    assert_eq!(api.ok("/subjects/t/versions?deletedOnly=true").await, json!([]));
    api.get("/subjects/never/versions?deletedOnly=true").await.err(404, 40401);
    // A soft-deleted version: 40402 unless deleted=true.
    api.get("/subjects/s/versions/1").await.err(404, 40402);
    let v = api.ok("/subjects/s/versions/1?deleted=true").await;
    assert_eq!((v["version"].clone(), v["deleted"].clone()), (json!(1), json!(true)));
    assert_eq!(api.get("/subjects/s/versions/1/schema?deleted=true").await.text, canonical(&v1()));
    // `latest` skips soft-deleted versions.
    api.set_compat("/config/s", "NONE").await;
    api.register("s", &other("Filler")).await;
    api.delete("/subjects/s/versions/latest").await.ok();
    assert_eq!(api.ok("/subjects/s/versions/latest").await["version"], 2);
    // All soft-deleted: the subject is not found, except with deleted=true.
    api.delete("/subjects/s").await.ok();
    api.get("/subjects/s/versions").await.err(404, 40401);
    api.get("/subjects/s/versions/latest").await.err(404, 40401);
    assert_eq!(api.ok("/subjects/s/versions?deleted=true").await, json!([1, 2, 3]));
    assert_eq!(api.ok("/subjects/s/versions?deletedOnly=true").await, json!([1, 2, 3]));
}

#[tokio::test]
async fn subjects_with_slashes_work_url_encoded() {
    let api = start().await;
    let enc = "google%2Fprotobuf%2Ftimestamp.proto";
    let name = "google/protobuf/timestamp.proto";
    let r = api.register_req(enc, json!({"schema": v1()})).await;
    assert_eq!((r.status, r.body["id"].clone()), (200, json!(1)), "{}", r.text);
    assert_eq!(api.ok("/subjects").await, json!([name]));
    assert_eq!(api.ok(&format!("/subjects/{enc}/versions")).await, json!([1]));
    assert_eq!(api.ok(&format!("/subjects/{enc}/versions/1")).await["subject"], name);
    assert_eq!(api.post(&format!("/subjects/{enc}"), json!({"schema": v1()})).await.ok()["subject"], name);
    api.set_compat(&format!("/config/{enc}"), "FULL").await;
    assert_eq!(api.ok(&format!("/config/{enc}")).await, json!({"compatibilityLevel": "FULL"}));
    let v = api.post(&format!("/compatibility/subjects/{enc}/versions/latest"), json!({"schema": v1()})).await;
    assert_eq!(v.ok(), &json!({"is_compatible": true}));
    assert_eq!(api.ok("/schemas/ids/1/subjects").await, json!([name]));
    assert_eq!(api.delete(&format!("/subjects/{enc}")).await.ok(), &json!([1]));
    assert_eq!(api.delete(&format!("/subjects/{enc}?permanent=true")).await.ok(), &json!([1]));
    assert_eq!(api.ok("/subjects?deleted=true").await, json!([]));
}
