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
