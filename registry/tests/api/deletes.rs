//! Soft and permanent deletes of versions and subjects: 40401, 40402, 40404–40407, ids removed by
//! permanent deletes, subject config and mode removed with the subject.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn soft_delete_version() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.register("s", &v2()).await;
    assert_eq!(api.delete("/subjects/s/versions/1").await.ok(), &json!(1));
    api.delete("/subjects/s/versions/1")
        .await
        .err(404, 40406)
        .msg("Subject 's' Version 1 was soft deleted.Set permanent=true to delete permanently");
    assert_eq!(api.ok("/subjects/s/versions").await, json!([2]));
    // The id stays readable after a soft delete.
    assert_eq!(api.ok("/schemas/ids/1").await["schema"], canonical(&v1()));
    // `latest` deletes the latest live version.
    assert_eq!(api.delete("/subjects/s/versions/latest").await.ok(), &json!(2));
    api.get("/subjects/s/versions").await.err(404, 40401);
}

#[tokio::test]
async fn delete_version_errors() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.delete("/subjects/nope/versions/1").await.err(404, 40401).msg("Subject 'nope' not found.");
    api.delete("/subjects/s/versions/9").await.err(404, 40402).msg("Version 9 not found.");
    api.delete("/subjects/s/versions/9?permanent=true").await.err(404, 40402);
    api.delete("/subjects/s/versions/1?permanent=true")
        .await
        .err(404, 40407)
        .msg("Subject 's' Version 1 was not deleted first before being permanently deleted");
    assert_eq!(api.ok("/subjects/s/versions").await, json!([1]));
}

#[tokio::test]
async fn permanent_delete_version_removes_it_and_its_id() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.register("s", &v2()).await;
    api.register("other", &v2()).await;
    api.delete("/subjects/s/versions/1").await.ok();
    assert_eq!(api.delete("/subjects/s/versions/1?permanent=true").await.ok(), &json!(1));
    api.get("/subjects/s/versions/1?deleted=true").await.err(404, 40402);
    assert_eq!(api.ok("/subjects/s/versions?deleted=true").await, json!([2]));
    api.get("/schemas/ids/1").await.err(404, 40403).msg("Schema 1 not found");
    api.delete("/subjects/s/versions/1?permanent=true").await.err(404, 40402);
    // An id still used by another subject survives a permanent delete.
    api.delete("/subjects/s/versions/2").await.ok();
    api.delete("/subjects/s/versions/2?permanent=true").await.ok();
    assert_eq!(api.ok("/schemas/ids/2").await["schema"], canonical(&v2()));
    assert_eq!(api.ok("/schemas/ids/2/subjects").await, json!(["other"]));
    // The last version gone: the subject is gone.
    api.get("/subjects/s/versions?deleted=true").await.err(404, 40401);
    assert_eq!(api.ok("/subjects?deleted=true").await, json!(["other"]));
}

#[tokio::test]
async fn soft_delete_subject() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.register("s", &v2()).await;
    api.delete("/subjects/s/versions/1").await.ok();
    // Returns the versions it deleted (the live ones).
    assert_eq!(api.delete("/subjects/s").await.ok(), &json!([2]));
    api.delete("/subjects/s")
        .await
        .err(404, 40404)
        .msg("Subject 's' was soft deleted.Set permanent=true to delete permanently");
    api.delete("/subjects/s/versions/2").await.err(404, 40406);
    api.get("/subjects/s/versions").await.err(404, 40401);
    assert_eq!(api.ok("/subjects").await, json!([]));
    assert_eq!(api.ok("/subjects?deleted=true").await, json!(["s"]));
    // Ids stay readable.
    assert_eq!(api.ok("/schemas/ids/2").await["schema"], canonical(&v2()));
    api.delete("/subjects/nope").await.err(404, 40401).msg("Subject 'nope' not found.");
}

#[tokio::test]
async fn permanent_delete_subject() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.register("s", &v2()).await;
    api.delete("/subjects/s?permanent=true")
        .await
        .err(404, 40405)
        .msg("Subject 's' was not deleted first before being permanently deleted");
    api.delete("/subjects/s").await.ok();
    assert_eq!(api.delete("/subjects/s?permanent=true").await.ok(), &json!([1, 2]));
    api.get("/schemas/ids/1").await.err(404, 40403);
    api.get("/schemas/ids/2").await.err(404, 40403);
    api.delete("/subjects/s").await.err(404, 40401);
    api.delete("/subjects/s?permanent=true").await.err(404, 40401);
    assert_eq!(api.ok("/subjects?deleted=true").await, json!([]));
    api.post("/subjects/s?deleted=true", json!({"schema": v1()})).await.err(404, 40401);
    // Ids are never reused, even after a permanent delete: the same schema comes back with a new id.
    assert_eq!(api.register("t", &v1()).await, (3, 1));
    // A live subject must be soft-deleted first, even with only some versions live.
    api.register("t", &v2()).await;
    api.delete("/subjects/t/versions/1").await.ok();
    api.delete("/subjects/t?permanent=true").await.err(404, 40405);
}

#[tokio::test]
async fn subject_config_and_mode_survive_a_soft_delete_and_go_with_a_permanent_one() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.set_compat("/config/s", "FULL").await;
    api.set_mode("/mode/s", "READWRITE").await;
    api.delete("/subjects/s").await.ok();
    assert_eq!(api.ok("/config/s").await, json!({"compatibilityLevel": "FULL"}));
    assert_eq!(api.ok("/mode/s").await, json!({"mode": "READWRITE"}));
    api.delete("/subjects/s?permanent=true").await.ok();
    api.get("/config/s").await.err(404, 40408);
    api.get("/mode/s").await.err(404, 40409);
}

#[tokio::test]
async fn permanent_delete_of_the_last_version_removes_subject_config_and_mode() {
    let api = start().await;
    api.register("s", &v1()).await;
    api.set_compat("/config/s", "NONE").await;
    api.set_mode("/mode/s", "READWRITE").await;
    api.delete("/subjects/s/versions/1").await.ok();
    api.delete("/subjects/s/versions/1?permanent=true").await.ok();
    api.get("/config/s").await.err(404, 40408);
    api.get("/mode/s").await.err(404, 40409);
    // Another subject's config is untouched.
    api.register("t", &v1()).await;
    api.set_compat("/config/t", "FULL").await;
    api.register("t", &v2()).await;
    api.delete("/subjects/t/versions/1").await.ok();
    api.delete("/subjects/t/versions/1?permanent=true").await.ok();
    assert_eq!(api.ok("/config/t").await, json!({"compatibilityLevel": "FULL"}));
}
