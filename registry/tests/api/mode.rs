//! `/mode` and `/mode/{subject}`: READONLY, IMPORT (explicit ids and versions), FORWARD, 42204,
//! 42205, 40409, clearing.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn global_mode_get_put_delete() {
    let api = start().await;
    assert_eq!(api.ok("/mode").await, json!({"mode": "READWRITE"}));
    // Case-insensitive; the answer echoes the mode.
    assert_eq!(api.put("/mode", json!({"mode": "readonly"})).await.ok(), &json!({"mode": "READONLY"}));
    assert_eq!(api.ok("/mode").await, json!({"mode": "READONLY"}));
    assert_eq!(api.ok("/mode/s?defaultToGlobal=true").await, json!({"mode": "READONLY"}));
    assert_eq!(api.delete("/mode").await.ok(), &json!({"mode": "READONLY"}));
    assert_eq!(api.ok("/mode").await, json!({"mode": "READWRITE"}));
    // FORWARD is allowed globally.
    assert_eq!(api.put("/mode", json!({"mode": "FORWARD"})).await.ok(), &json!({"mode": "FORWARD"}));
    assert_eq!(api.ok("/mode").await, json!({"mode": "FORWARD"}));
}

#[tokio::test]
async fn invalid_modes_are_42204() {
    let api = start().await;
    for bad in [json!("SIDEWAYS"), json!(""), json!(1)] {
        let r = api.put("/mode", json!({ "mode": bad })).await;
        r.err(422, 42204).msg_contains("Invalid mode. Valid values are READWRITE, READONLY");
        api.put("/mode/s", json!({ "mode": bad })).await.err(422, 42204);
    }
    api.put("/mode/s", json!({"mode": "FORWARD"}))
        .await
        .err(422, 42204)
        .msg("Forward mode only supported on global level");
    api.put("/mode/:.eu:", json!({"mode": "FORWARD"})).await.err(422, 42204);
    assert_eq!(api.ok("/mode").await, json!({"mode": "READWRITE"}));
}

#[tokio::test]
async fn subject_mode_40409_null_clears_and_delete() {
    let api = start().await;
    api.get("/mode/s").await.err(404, 40409).msg("Subject 's' does not have subject-level mode configured");
    assert_eq!(api.ok("/mode/s?defaultToGlobal=true").await, json!({"mode": "READWRITE"}));
    assert_eq!(api.put("/mode/s", json!({"mode": "READONLY"})).await.ok(), &json!({"mode": "READONLY"}));
    assert_eq!(api.ok("/mode/s").await, json!({"mode": "READONLY"}));
    assert_eq!(api.ok("/mode").await, json!({"mode": "READWRITE"}));
    // {"mode": null} clears.
    assert_eq!(api.put("/mode/s", json!({"mode": null})).await.status, 200);
    api.get("/mode/s").await.err(404, 40409);
    api.set_mode("/mode/s", "IMPORT").await;
    assert_eq!(api.delete("/mode/s").await.ok(), &json!({"mode": "IMPORT"}));
    api.get("/mode/s").await.err(404, 40409);
    // Nothing set: 40401.
    api.delete("/mode/s").await.err(404, 40401);
}

#[tokio::test]
async fn read_only_blocks_registers_and_deletes_with_42205() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.set_mode("/mode", "READONLY").await;
    let r = api.register_req("s", json!({"schema": v2()})).await;
    r.err(422, 42205).msg_contains("read-only mode");
    api.register_req("new", json!({"schema": v2()})).await.err(422, 42205);
    api.delete("/subjects/s/versions/1").await.err(422, 42205);
    api.delete("/subjects/s").await.err(422, 42205);
    // Reads, lookups and compatibility checks still work; so does re-registering an existing schema.
    assert_eq!(api.ok("/subjects/s/versions").await, json!([1]));
    assert_eq!(api.post("/subjects/s", json!({"schema": v1()})).await.ok()["id"], 1);
    assert_eq!(
        api.post("/compatibility/subjects/s/versions", json!({"schema": v2()})).await.ok()["is_compatible"],
        true
    );
    assert_eq!(api.register("s", &v1()).await, (1, 1));
    // READONLY_OVERRIDE is read-only too.
    api.set_mode("/mode", "READONLY_OVERRIDE").await;
    api.register_req("s", json!({"schema": v2()})).await.err(422, 42205);
    api.set_mode("/mode", "READWRITE").await;
    assert_eq!(api.register("s", &v2()).await, (2, 2));
}

#[tokio::test]
async fn subject_and_context_read_only_modes_are_scoped() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.set_mode("/mode/s", "READONLY").await;
    api.register_req("s", json!({"schema": v2()})).await.err(422, 42205);
    api.delete("/subjects/s").await.err(422, 42205);
    assert_eq!(api.register("t", &v2()).await, (2, 1));
    // A subject-level READWRITE beats a global READONLY.
    api.set_mode("/mode", "READONLY").await;
    api.set_mode("/mode/t", "READWRITE").await;
    let evolved = record(
        "R",
        json!([{"name": "a", "type": "int"}, {"name": "b", "type": "string", "default": "x"},
               {"name": "d", "type": "long", "default": 0}]),
    );
    assert_eq!(api.register("t", &evolved).await, (3, 2));
    api.register_req("s", json!({"schema": evolved})).await.err(422, 42205);
    api.set_mode("/mode", "READWRITE").await;
    // A context-level mode covers the subjects of that context.
    api.set_mode("/mode/:.eu:", "READONLY").await;
    api.register_req(":.eu:x", json!({"schema": v1()})).await.err(422, 42205);
    assert_eq!(api.ok("/mode/:.eu:x?defaultToGlobal=true").await, json!({"mode": "READONLY"}));
    assert_eq!(api.register("x", &v1()).await, (1, 1));
}

#[tokio::test]
async fn import_mode_keeps_given_ids_and_versions() {
    let api = start().await;
    api.set_mode("/mode", "IMPORT").await;
    // Without an id: not in read-write mode.
    api.register_req("imp", json!({"schema": v2()})).await.err(422, 42205).msg_contains("read-write mode");
    let r = api.register_req("imp", json!({"schema": v1(), "id": 42, "version": 7})).await;
    assert_eq!((r.ok()["id"].clone(), r.body["version"].clone()), (json!(42), json!(7)));
    assert_eq!(api.ok("/subjects/imp/versions").await, json!([7]));
    assert_eq!(api.ok("/schemas/ids/42").await["schema"], canonical(&v1()));
    // The same registration again is a no-op.
    let r = api.register_req("imp", json!({"schema": v1(), "id": 42, "version": 7})).await;
    assert_eq!((r.ok()["id"].clone(), r.body["version"].clone()), (json!(42), json!(7)));
    // No compatibility check, and versions need not be consecutive.
    let r = api.register_req("imp", json!({"schema": other("Z"), "id": 50, "version": 9})).await;
    assert_eq!((r.ok()["id"].clone(), r.body["version"].clone()), (json!(50), json!(9)));
    // An id without a version takes the next version.
    let r = api.register_req("imp", json!({"schema": v_required(), "id": 45})).await;
    assert_eq!((r.ok()["id"].clone(), r.body["version"].clone()), (json!(45), json!(10)));
    // Another subject may import the same schema under the same id.
    let r = api.register_req("imp2", json!({"schema": v1(), "id": 42, "version": 1})).await;
    assert_eq!(r.ok()["id"], 42);
    // An existing identical schema is answered without an id, even in IMPORT.
    assert_eq!(api.register("imp", &v1()).await, (42, 7));
    // Back to READWRITE: new ids continue above the highest imported one.
    assert_eq!(api.delete("/mode").await.ok(), &json!({"mode": "IMPORT"}));
    assert_eq!(api.register("after", "\"bytes\"").await, (51, 1));
}

#[tokio::test]
async fn import_refuses_to_overwrite_an_id_with_a_different_schema() {
    let api = start().await;
    api.set_mode("/mode", "IMPORT").await;
    api.register_req("a", json!({"schema": v1(), "id": 42, "version": 1})).await.ok();
    let r = api.register_req("b", json!({"schema": "\"int\"", "id": 42})).await;
    r.err(422, 42205).msg_contains("Overwrite new schema with id 42").msg_contains("not permitted");
    assert_eq!(api.ok("/subjects").await, json!(["a"]));
    assert_eq!(api.ok("/schemas/ids/42").await["schema"], canonical(&v1()));
}

#[tokio::test]
async fn import_writes_another_schema_over_an_existing_version() {
    let api = start().await;
    api.set_mode("/mode", "IMPORT").await;
    api.register_req("a", json!({"schema": v1(), "id": 42, "version": 1})).await.ok();
    // As Confluent: the version is written as given; the old id goes with its last use.
    let r = api.register_req("a", json!({"schema": "\"int\"", "id": 43, "version": 1})).await;
    assert_eq!((r.ok()["id"].clone(), r.body["version"].clone()), (json!(43), json!(1)));
    assert_eq!(api.ok("/subjects/a/versions/1").await["schema"], "\"int\"");
    api.get("/schemas/ids/42").await.err(404, 40403);
    // An id that holds another schema is still refused.
    api.register_req("a", json!({"schema": v1(), "id": 43, "version": 1})).await.err(422, 42205);
}

#[tokio::test]
async fn ids_need_import_mode() {
    let api = start().await;
    api.register_req("c", json!({"schema": v2(), "id": 100})).await.err(422, 42205).msg_contains("import mode");
    api.get("/schemas/ids/100").await.err(404, 40403);
}

#[tokio::test]
async fn switching_to_import_with_existing_subjects_needs_force() {
    let api = start().await;
    api.register("live", &v1()).await;
    api.put("/mode", json!({"mode": "IMPORT"}))
        .await
        .err(422, 42205)
        .msg("Cannot import since found existing subjects");
    assert_eq!(api.ok("/mode").await, json!({"mode": "READWRITE"}));
    // A subject-level switch only looks at that subject.
    assert_eq!(api.put("/mode/empty", json!({"mode": "IMPORT"})).await.ok(), &json!({"mode": "IMPORT"}));
    api.put("/mode/live", json!({"mode": "IMPORT"})).await.err(422, 42205);
    assert_eq!(api.put("/mode?force=true", json!({"mode": "IMPORT"})).await.ok(), &json!({"mode": "IMPORT"}));
    assert_eq!(api.ok("/mode").await, json!({"mode": "IMPORT"}));
    // Already in IMPORT: no check.
    assert_eq!(api.put("/mode", json!({"mode": "IMPORT"})).await.status, 200);
}

#[tokio::test]
async fn switching_to_import_purges_soft_deleted_versions() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.delete("/subjects/s").await.ok();
    // Only soft-deleted subjects: no force needed.
    assert_eq!(api.put("/mode", json!({"mode": "IMPORT"})).await.status, 200);
    api.get("/subjects/s/versions?deleted=true").await.err(404, 40401);
    assert_eq!(api.ok("/subjects?deleted=true").await, json!([]));
}

#[tokio::test]
async fn root_readonly_override_beats_subject_and_context_modes() {
    let api = start().await;
    api.set_mode("/mode/ov2", "READWRITE").await;
    api.set_mode("/mode/:.eu:", "READWRITE").await;
    api.set_mode("/mode", "READONLY_OVERRIDE").await;
    api.register_req("ov2", json!({"schema": v1()})).await.err(422, 42205).msg_contains("read-only mode");
    api.register_req(":.eu:y", json!({"schema": v1()})).await.err(422, 42205);
    // Every mode read says so, with or without defaultToGlobal.
    assert_eq!(api.ok("/mode/ov2").await, json!({"mode": "READONLY_OVERRIDE"}));
    assert_eq!(api.ok("/mode/ov2?defaultToGlobal=true").await, json!({"mode": "READONLY_OVERRIDE"}));
    assert_eq!(api.ok("/mode/never-set").await, json!({"mode": "READONLY_OVERRIDE"}));
    // A plain READONLY at the root does not beat the subject's READWRITE.
    api.set_mode("/mode", "READONLY").await;
    assert_eq!(api.register("ov2", &v1()).await, (1, 1));
    api.get("/mode/never-set").await.err(404, 40409);
}

#[tokio::test]
async fn named_context_modes_never_fall_back_to_the_root() {
    let api = start().await;
    api.set_mode("/mode", "READONLY").await;
    // A named context's subject skips the root: `:.__GLOBAL:` then READWRITE.
    assert_eq!(api.register(":.eu:x", &v1()).await, (1, 1));
    assert_eq!(api.ok("/mode/:.eu:x?defaultToGlobal=true").await, json!({"mode": "READWRITE"}));
    api.register_req("x", json!({"schema": v1()})).await.err(422, 42205);
    api.set_mode("/mode", "READWRITE").await;
    // `:.__GLOBAL:` covers both the default context (below the root) and named contexts.
    api.set_mode("/mode/:.__GLOBAL:", "READONLY").await;
    assert_eq!(api.ok("/mode").await, json!({"mode": "READWRITE"}));
    assert_eq!(api.ok("/mode?defaultToGlobal=true").await, json!({"mode": "READWRITE"}));
    api.register_req(":.eu:z", json!({"schema": v1()})).await.err(422, 42205);
    api.delete("/mode").await;
    assert_eq!(api.ok("/mode?defaultToGlobal=true").await, json!({"mode": "READONLY"}));
    api.register_req("z", json!({"schema": v1()})).await.err(422, 42205);
}
