//! Data contracts: `GET /subjects/{s}/metadata` (latest version with metadata properties).

use serde_json::{json, Value};

use crate::common::*;

async fn register_with(api: &Server, subject: &str, schema: &str, metadata: Value) -> Value {
    api.register_req(subject, json!({"schema": schema, "metadata": metadata})).await.ok().clone()
}

#[tokio::test]
async fn latest_with_metadata_matches_every_pair() {
    let api = start().await;
    api.set_compat("/config/s", "NONE").await;
    register_with(&api, "s", &other("A"), json!({"properties": {"team": "a", "tier": "1"}})).await;
    register_with(&api, "s", &other("B"), json!({"properties": {"team": "b"}})).await;
    register_with(&api, "s", &other("C"), json!({"properties": {"other": "x"}})).await;
    register_with(&api, "s", &other("D"), json!({"tags": {"R.a": ["PII"]}})).await;
    let v = api.ok("/subjects/s/metadata?key=team&value=a").await;
    assert_eq!((v["subject"].clone(), v["version"].clone(), v["id"].clone()), (json!("s"), json!(1), json!(1)));
    assert_eq!(v["metadata"], json!({"properties": {"team": "a", "tier": "1"}}));
    assert_eq!(v["schema"], canonical(&other("A")));
    assert_eq!(api.ok("/subjects/s/metadata?key=team&value=b").await["version"], 2);
    assert_eq!(api.ok("/subjects/s/metadata?key=team&value=a&key=tier&value=1").await["version"], 1);
    api.get("/subjects/s/metadata?key=team&value=a&key=tier&value=2").await.err(404, 40403).msg("Schema not found");
    // No pairs: the latest version that has properties at all.
    assert_eq!(api.ok("/subjects/s/metadata").await["version"], 3);
    // Unknown subject: 40401.
    api.get("/subjects/nope/metadata?key=team&value=a").await.err(404, 40401);
}

#[tokio::test]
async fn latest_with_metadata_skips_soft_deleted_unless_asked() {
    let api = start().await;
    register_with(&api, "s", &v1(), json!({"properties": {"team": "a"}})).await;
    register_with(&api, "s", &v2(), json!({"properties": {"team": "b"}})).await;
    api.delete("/subjects/s/versions/1").await.ok();
    api.get("/subjects/s/metadata?key=team&value=a").await.err(404, 40403);
    let v = api.ok("/subjects/s/metadata?key=team&value=a&deleted=true").await;
    assert_eq!((v["version"].clone(), v["deleted"].clone()), (json!(1), json!(true)));
    api.delete("/subjects/s").await.ok();
    api.get("/subjects/s/metadata?key=team&value=b").await.err(404, 40401);
    assert_eq!(api.ok("/subjects/s/metadata?key=team&value=b&deleted=true").await["version"], 2);
    // Through a context prefix, as a client with a context base URL asks.
    register_with(&api, ":.eu:t", &v1(), json!({"properties": {"team": "eu"}})).await;
    assert_eq!(api.ok("/contexts/.eu/subjects/t/metadata?key=team&value=eu").await["subject"], ":.eu:t");
}

#[tokio::test]
async fn config_default_and_override_metadata_merge_into_registrations() {
    let api = start().await;
    api.put(
        "/config/ov",
        json!({"defaultMetadata": {"properties": {"team": "x", "owner": "d"}},
               "overrideMetadata": {"properties": {"tier": "gold"}}}),
    )
    .await
    .ok();
    let v = register_with(&api, "ov", &v1(), json!({"properties": {"owner": "o"}})).await;
    assert_eq!(v["metadata"], json!({"properties": {"owner": "o", "team": "x", "tier": "gold"}}));
    assert_eq!(api.ok("/subjects/ov/versions/1").await["metadata"]["properties"]["tier"], "gold");
    // Without any metadata of its own, a first registration gets the config's.
    api.put("/config/ov2", json!({"defaultMetadata": {"properties": {"team": "x", "owner": "d"}}})).await.ok();
    let v = api.register_req("ov2", json!({"schema": v1()})).await.ok().clone();
    assert_eq!(v["metadata"], json!({"properties": {"owner": "d", "team": "x"}}));
}

#[tokio::test]
async fn a_registration_without_metadata_inherits_the_previous_versions() {
    let api = start().await;
    let first = register_with(&api, "s", &v1(), json!({"properties": {"owner": "o"}})).await;
    // The same schema again without metadata: the existing version, not a new one.
    let again = api.register_req("s", json!({"schema": v1()})).await.ok().clone();
    assert_eq!((again["id"].clone(), again["version"].clone()), (first["id"].clone(), json!(1)));
    // A lookup without metadata finds the version that has it.
    let found = api.post("/subjects/s", json!({"schema": v1()})).await.ok().clone();
    assert_eq!(
        (found["version"].clone(), found["metadata"].clone()),
        (json!(1), json!({"properties": {"owner": "o"}}))
    );
    // A new schema without metadata carries the previous version's forward.
    let next = api.register_req("s", json!({"schema": v2()})).await.ok().clone();
    assert_eq!(next["version"], 2);
    assert_eq!(api.ok("/subjects/s/versions/2").await["metadata"], json!({"properties": {"owner": "o"}}));
}

#[tokio::test]
async fn compatibility_group_checks_only_versions_of_the_same_group() {
    let api = start().await;
    api.put("/config/g", json!({"compatibilityGroup": "major"})).await.ok();
    register_with(&api, "g", &v1(), json!({"properties": {"major": "1"}})).await;
    // Incompatible with v1, but in another group: accepted.
    let v = register_with(&api, "g", &v_required(), json!({"properties": {"major": "2"}})).await;
    assert_eq!(v["version"], 2);
    // Within group 1 the same change is still refused.
    let r = api.register_req("g", json!({"schema": v_required(), "metadata": {"properties": {"major": "1"}}})).await;
    r.err(409, 409);
    let body = json!({"schema": v_required(), "metadata": {"properties": {"major": "1"}}});
    assert_eq!(api.post("/compatibility/subjects/g/versions", body).await.ok()["is_compatible"], false);
    let body = json!({"schema": v_required(), "metadata": {"properties": {"major": "3"}}});
    assert_eq!(api.post("/compatibility/subjects/g/versions", body).await.ok()["is_compatible"], true);
}
