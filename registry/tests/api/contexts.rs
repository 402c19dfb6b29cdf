//! `/contexts`, `DELETE /contexts/{ctx}`, and the `/contexts/{ctx}/...` URL prefix.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn contexts_list_default_first() {
    let api = start().await;
    assert_eq!(api.ok("/contexts").await, json!(["."]));
    api.register(":.us:a", &v1()).await;
    api.register("a", &v1()).await;
    api.register(":.eu:a", &v1()).await;
    assert_eq!(api.ok("/contexts").await, json!([".", ".eu", ".us"]));
    assert_eq!(api.ok("/contexts?offset=1&limit=1").await, json!([".eu"]));
}

#[tokio::test]
async fn deleting_a_non_empty_context_is_42211() {
    let api = start().await;
    api.register(":.us:a", &v1()).await;
    api.delete("/contexts/.us").await.err(422, 42211).msg("The specified context ':.us:' is not empty.");
    // Soft-deleted subjects still count.
    api.delete("/subjects/:.us:a").await.ok();
    api.delete("/contexts/.us").await.err(422, 42211);
    api.delete("/subjects/:.us:a?permanent=true").await.ok();
    let r = api.delete("/contexts/.us").await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(api.ok("/contexts").await, json!(["."]));
}

#[tokio::test]
async fn context_prefix_register_get_lookup_and_list() {
    let api = start().await;
    api.register("b", &other("Filler")).await;
    let r = api.post("/contexts/.eu/subjects/b/versions", json!({"schema": v1()})).await;
    assert_eq!((r.ok()["id"].clone(), r.body["version"].clone()), (json!(1), json!(1)));
    assert_eq!(api.ok("/subjects").await, json!(["b", ":.eu:b"]));
    let v = api.ok("/contexts/.eu/subjects/b/versions/1").await;
    assert_eq!((v["subject"].clone(), v["schema"].clone()), (json!(":.eu:b"), json!(canonical(&v1()))));
    assert_eq!(api.ok("/contexts/.eu/subjects/b/versions").await, json!([1]));
    assert_eq!(api.get("/contexts/.eu/subjects/b/versions/latest/schema").await.text, canonical(&v1()));
    let r = api.post("/contexts/.eu/subjects/b", json!({"schema": v1()})).await;
    assert_eq!((r.ok()["subject"].clone(), r.body["id"].clone()), (json!(":.eu:b"), json!(1)));
    // Listings through the prefix are scoped to the context.
    assert_eq!(api.ok("/contexts/.eu/subjects").await, json!([":.eu:b"]));
    let v = api.ok("/contexts/.eu/schemas").await;
    assert_eq!(pluck(&v, "subject"), vec![json!(":.eu:b")]);
    // ids through the prefix look in the context.
    assert_eq!(api.ok("/schemas/ids/1").await["schema"], canonical(&other("Filler")));
    assert_eq!(api.ok("/contexts/.eu/schemas/ids/1").await["schema"], canonical(&v1()));
    assert_eq!(api.get("/contexts/.eu/schemas/ids/1/schema").await.text, canonical(&v1()));
    assert_eq!(api.ok("/contexts/.eu/schemas/ids/1/subjects").await, json!([":.eu:b"]));
    // `:.:` is the default context.
    assert_eq!(api.ok("/contexts/:.:/subjects/b/versions/1").await["schema"], canonical(&other("Filler")));
    // Deletes through the prefix.
    assert_eq!(api.delete("/contexts/.eu/subjects/b/versions/1").await.ok(), &json!(1));
    assert_eq!(api.ok("/subjects?deleted=true").await, json!(["b", ":.eu:b"]));
    assert_eq!(api.ok("/subjects").await, json!(["b"]));
}

#[tokio::test]
async fn context_prefix_config_mode_and_compatibility() {
    let api = start().await;
    api.set_compat("/contexts/.eu/config", "NONE").await;
    assert_eq!(api.ok("/config/:.eu:").await, json!({"compatibilityLevel": "NONE"}));
    assert_eq!(api.ok("/contexts/.eu/config").await, json!({"compatibilityLevel": "NONE"}));
    assert_eq!(api.ok("/config").await, json!({"compatibilityLevel": "BACKWARD"}));
    api.set_compat("/contexts/.eu/config/x", "FULL").await;
    assert_eq!(api.ok("/config/:.eu:x").await, json!({"compatibilityLevel": "FULL"}));
    api.get("/config/x").await.err(404, 40408);
    api.post("/contexts/.eu/subjects/x/versions", json!({"schema": v1()})).await.ok();
    let r = api.post("/contexts/.eu/compatibility/subjects/x/versions/latest", json!({"schema": v_required()})).await;
    assert_eq!(r.ok(), &json!({"is_compatible": false}));
    api.set_mode("/contexts/.eu/mode/x", "READONLY").await;
    assert_eq!(api.ok("/mode/:.eu:x").await, json!({"mode": "READONLY"}));
    api.get("/mode/x").await.err(404, 40409);
    api.post("/contexts/.eu/subjects/x/versions", json!({"schema": v2()})).await.err(422, 42205);
    api.set_mode("/contexts/.eu/mode", "READONLY").await;
    assert_eq!(api.ok("/mode/:.eu:").await, json!({"mode": "READONLY"}));
    assert_eq!(api.ok("/mode").await, json!({"mode": "READWRITE"}));
}

#[tokio::test]
async fn same_schema_in_two_contexts_two_ids() {
    let api = start().await;
    api.register("x", &other("X")).await;
    assert_eq!(api.register("a", &v1()).await, (2, 1));
    assert_eq!(api.register(":.eu:a", &v1()).await, (1, 1));
    assert_eq!(api.ok("/schemas/ids/1?subject=:.eu:a").await["schema"], canonical(&v1()));
    assert_eq!(api.ok("/schemas/ids/1").await["schema"], canonical(&other("X")));
    // Lookup in a context is scoped to it.
    assert_eq!(api.post("/subjects/:.eu:a", json!({"schema": v1()})).await.ok()["id"], 1);
    assert_eq!(api.post("/subjects/a", json!({"schema": v1()})).await.ok()["id"], 2);
}
