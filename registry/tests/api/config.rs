//! `/config` and `/config/{subject}`: `compatibility` in, `compatibilityLevel` out, merge
//! semantics, 42203, 40408, `defaultToGlobal`, deletes, context-level config.

use serde_json::json;

use crate::common::*;

const INVALID_LEVEL: &str = "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive";

#[tokio::test]
async fn global_config_get_put_delete() {
    let api = start().await;
    assert_eq!(api.ok("/config").await, json!({"compatibilityLevel": "BACKWARD"}));
    // PUT takes `compatibility` (any case) and answers with `compatibility`.
    assert_eq!(api.put("/config", json!({"compatibility": "full"})).await.ok(), &json!({"compatibility": "FULL"}));
    assert_eq!(api.ok("/config").await, json!({"compatibilityLevel": "FULL"}));
    // `:.:` (the default context) is the global config.
    assert_eq!(api.ok("/config/:.:").await, json!({"compatibilityLevel": "FULL"}));
    // DELETE answers the old config and falls back to the server default.
    assert_eq!(api.delete("/config").await.ok(), &json!({"compatibilityLevel": "FULL"}));
    assert_eq!(api.ok("/config").await, json!({"compatibilityLevel": "BACKWARD"}));
}

#[tokio::test]
async fn invalid_levels_are_42203() {
    let api = start().await;
    for bad in [json!("SIDEWAYS"), json!(""), json!(5), json!(["FULL"])] {
        api.put("/config", json!({ "compatibility": bad })).await.err(422, 42203).msg(INVALID_LEVEL);
        api.put("/config/s", json!({ "compatibility": bad })).await.err(422, 42203);
    }
    assert_eq!(api.ok("/config").await, json!({"compatibilityLevel": "BACKWARD"}));
    api.get("/config/s").await.err(404, 40408);
}

#[tokio::test]
async fn every_level_is_accepted() {
    let api = start().await;
    for level in ["NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"]
    {
        let r = api.put("/config/s", json!({ "compatibility": level.to_lowercase() })).await;
        assert_eq!(r.ok(), &json!({ "compatibility": level }));
        assert_eq!(api.ok("/config/s").await, json!({ "compatibilityLevel": level }));
    }
}

#[tokio::test]
async fn subject_config_and_default_to_global() {
    let api = start().await;
    api.get("/config/s").await.err(404, 40408).msg("Subject 's' does not have subject-level compatibility configured");
    assert_eq!(api.ok("/config/s?defaultToGlobal=true").await, json!({"compatibilityLevel": "BACKWARD"}));
    api.set_compat("/config", "FULL").await;
    assert_eq!(api.ok("/config/s?defaultToGlobal=true").await, json!({"compatibilityLevel": "FULL"}));
    // The subject need not exist.
    assert_eq!(api.put("/config/s", json!({"compatibility": "NONE"})).await.ok(), &json!({"compatibility": "NONE"}));
    assert_eq!(api.ok("/config/s").await, json!({"compatibilityLevel": "NONE"}));
    assert_eq!(api.ok("/config/s?defaultToGlobal=true").await, json!({"compatibilityLevel": "NONE"}));
    assert_eq!(api.ok("/config").await, json!({"compatibilityLevel": "FULL"}));
    api.get("/config/other").await.err(404, 40408);
}

#[tokio::test]
async fn put_merges_fields_and_null_clears() {
    let api = start().await;
    api.set_compat("/config", "FULL").await;
    assert_eq!(api.put("/config/s", json!({"compatibility": "NONE"})).await.ok(), &json!({"compatibility": "NONE"}));
    // Absent fields keep their value; the response is the whole stored config.
    assert_eq!(
        api.put("/config/s", json!({"normalize": true})).await.ok(),
        &json!({"compatibility": "NONE", "normalize": true})
    );
    assert_eq!(api.ok("/config/s").await, json!({"compatibilityLevel": "NONE", "normalize": true}));
    // Explicit null clears a field.
    assert_eq!(api.put("/config/s", json!({"compatibility": null})).await.ok(), &json!({"normalize": true}));
    // A record without a level answers the server default (Confluent's populateCompatibilityLevel).
    assert_eq!(api.ok("/config/s").await, json!({"normalize": true, "compatibilityLevel": "BACKWARD"}));
    // Records are not merged across scopes: the subject's record wins whole, its missing level
    // is the server default, not the global FULL.
    assert_eq!(
        api.ok("/config/s?defaultToGlobal=true").await,
        json!({"normalize": true, "compatibilityLevel": "BACKWARD"})
    );
    // An empty update keeps everything.
    assert_eq!(api.put("/config/s", json!({})).await.ok(), &json!({"normalize": true}));
    // Clearing the last field removes the subject config.
    api.put("/config/s", json!({"normalize": null})).await.ok();
    api.get("/config/s").await.err(404, 40408);
}

#[tokio::test]
async fn delete_subject_config() {
    let api = start().await;
    api.put("/config/s", json!({"compatibility": "FORWARD", "normalize": false})).await.ok();
    assert_eq!(api.delete("/config/s").await.ok(), &json!({"compatibilityLevel": "FORWARD", "normalize": false}));
    api.get("/config/s").await.err(404, 40408);
    // Nothing configured: 40401, not 40408.
    api.delete("/config/s").await.err(404, 40401).msg("Subject 's' not found.");
    api.delete("/config/never").await.err(404, 40401);
}

#[tokio::test]
async fn subject_config_overrides_global_on_register() {
    let api = start().await;
    api.set_compat("/config", "NONE").await;
    api.register("s", &v1()).await;
    api.register("t", &v1()).await;
    api.set_compat("/config/s", "BACKWARD").await;
    api.register_req("s", json!({"schema": v_required()})).await.err(409, 409);
    assert_eq!(api.register("t", &v_required()).await, (2, 2));
    // Deleting the subject config brings the global level back.
    api.delete("/config/s").await.ok();
    assert_eq!(api.register("s", &v_required()).await, (2, 2));
}

#[tokio::test]
async fn context_level_config_is_inherited_by_its_subjects() {
    let api = start().await;
    api.set_compat("/config/:.eu:", "NONE").await;
    assert_eq!(api.ok("/config/:.eu:").await, json!({"compatibilityLevel": "NONE"}));
    assert_eq!(api.ok("/config/:.eu:orders?defaultToGlobal=true").await, json!({"compatibilityLevel": "NONE"}));
    api.get("/config/:.eu:orders").await.err(404, 40408);
    assert_eq!(api.ok("/config/orders?defaultToGlobal=true").await, json!({"compatibilityLevel": "BACKWARD"}));
    // NONE in .eu: an incompatible change registers there, but not in the default context.
    api.register(":.eu:orders", &v1()).await;
    assert_eq!(api.register(":.eu:orders", &v_required()).await, (2, 2));
    api.register("orders", &v1()).await;
    api.register_req("orders", json!({"schema": v_required()})).await.err(409, 409);
    // A subject config in the context beats the context config.
    api.set_compat("/config/:.eu:strict", "FULL").await;
    api.register(":.eu:strict", &v1()).await;
    api.register_req(":.eu:strict", json!({"schema": v_required()})).await.err(409, 409);
    // The global config does not beat the context config.
    api.set_compat("/config", "FULL_TRANSITIVE").await;
    assert_eq!(api.ok("/config/:.eu:orders?defaultToGlobal=true").await, json!({"compatibilityLevel": "NONE"}));
    assert_eq!(api.delete("/config/:.eu:").await.ok(), &json!({"compatibilityLevel": "NONE"}));
    // Nor does a named context fall back to the root: `:.__GLOBAL:`, then the server default.
    assert_eq!(api.ok("/config/:.eu:orders?defaultToGlobal=true").await, json!({"compatibilityLevel": "BACKWARD"}));
    api.set_compat("/config/:.__GLOBAL:", "FORWARD").await;
    assert_eq!(api.ok("/config/:.eu:orders?defaultToGlobal=true").await, json!({"compatibilityLevel": "FORWARD"}));
}

#[tokio::test]
async fn scope_resolution_follows_confluent() {
    let api = start().await;
    // `:.__GLOBAL:` is below the root for default-context subjects.
    api.set_compat("/config/:.__GLOBAL:", "NONE").await;
    assert_eq!(api.ok("/config/:.__GLOBAL:").await, json!({"compatibilityLevel": "NONE"}));
    assert_eq!(api.ok("/config/x?defaultToGlobal=true").await, json!({"compatibilityLevel": "NONE"}));
    // GET /config without defaultToGlobal is the root record or the server default only.
    assert_eq!(api.ok("/config").await, json!({"compatibilityLevel": "BACKWARD"}));
    assert_eq!(api.ok("/config?defaultToGlobal=true").await, json!({"compatibilityLevel": "NONE"}));
    api.register("x", &v1()).await;
    assert_eq!(api.register("x", &v_required()).await.1, 2, "NONE from :.__GLOBAL:");
    // A root record beats `:.__GLOBAL:` for default-context subjects ...
    api.set_compat("/config", "FULL").await;
    let retyped = record("R", json!([{"name": "a", "type": "string"}]));
    api.register_req("x", json!({"schema": retyped})).await.err(409, 409);
    // ... but never reaches a named context's subjects.
    api.register(":.eu:x", &v1()).await;
    assert_eq!(api.register(":.eu:x", &v_required()).await.1, 2, "NONE from :.__GLOBAL:, not the root FULL");
    assert_eq!(api.ok("/config/:.eu:x?defaultToGlobal=true").await, json!({"compatibilityLevel": "NONE"}));
}

#[tokio::test]
async fn first_record_wins_and_a_missing_level_is_the_server_default() {
    let api = start().await;
    // The case: the root NONE does not leak into a subject record that sets only normalize.
    api.set_compat("/config", "NONE").await;
    api.put("/config/x", json!({"normalize": true})).await.ok();
    api.register("x", &v1()).await;
    api.register_req("x", json!({"schema": v_required()})).await.err(409, 409).msg_contains("incompatible");
    // Without the subject record the root NONE applies.
    api.delete("/config/x").await.ok();
    assert_eq!(api.register("x", &v_required()).await.1, 2);
}

#[tokio::test]
async fn invalid_subjects_in_config_are_42208() {
    let api = start().await;
    api.put("/config/__GLOBAL", json!({"compatibility": "NONE"})).await.err(422, 42208);
    api.put("/config/__EMPTY", json!({"compatibility": "NONE"})).await.err(422, 42208);
}

#[tokio::test]
async fn read_only_subject_refuses_config_changes() {
    let api = start().await;
    api.set_compat("/config/s", "FULL").await;
    api.set_mode("/mode/s", "READONLY").await;
    api.put("/config/s", json!({"compatibility": "NONE"})).await.err(422, 42205).msg_contains("read-only mode");
    api.delete("/config/s").await.err(422, 42205);
    assert_eq!(api.ok("/config/s").await, json!({"compatibilityLevel": "FULL"}));
    // Other subjects are not affected.
    api.set_compat("/config/t", "NONE").await;
}

#[tokio::test]
async fn global_read_only_refuses_config_changes() {
    let api = start().await;
    api.set_compat("/config", "FULL").await;
    api.set_compat("/config/s", "NONE").await;
    api.set_mode("/mode", "READONLY").await;
    api.put("/config", json!({"compatibility": "NONE"})).await.err(422, 42205);
    api.delete("/config").await.err(422, 42205);
    api.put("/config/s", json!({"compatibility": "FULL"})).await.err(422, 42205);
    api.delete("/config/s").await.err(422, 42205);
    assert_eq!(api.ok("/config").await, json!({"compatibilityLevel": "FULL"}));
    assert_eq!(api.ok("/config/s").await, json!({"compatibilityLevel": "NONE"}));
    api.set_mode("/mode", "READWRITE").await;
    assert_eq!(api.delete("/config").await.ok(), &json!({"compatibilityLevel": "FULL"}));
}
