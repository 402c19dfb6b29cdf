//! Subject aliases (config `alias`, Confluent's `AliasFilter`): a subject whose own config names
//! an alias is served as that subject on the `/subjects/{s}/...`, `/compatibility/subjects/{s}/...`
//! and `/schemas/ids/{id}?subject=` routes; one level, never inherited.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn alias_reads_registers_looks_up_and_checks_the_target() {
    let api = start().await;
    api.register("target", &v1()).await;
    api.put("/config/al", json!({"alias": "target"})).await.ok();

    assert_eq!(api.ok("/subjects/al/versions").await, json!([1]));
    let v = api.ok("/subjects/al/versions/latest").await;
    assert_eq!((v["subject"].clone(), v["version"].clone()), (json!("target"), json!(1)));
    assert_eq!(api.get("/subjects/al/versions/1/schema").await.body.to_string(), canonical(&v1()));
    let found = api.post("/subjects/al", json!({"schema": v1()})).await;
    assert_eq!(found.ok()["subject"], "target");

    let r = api.register_req("al", json!({"schema": v2()})).await;
    assert_eq!((r.ok()["subject"].clone(), r.ok()["version"].clone()), (json!("target"), json!(2)));
    assert_eq!(api.ok("/subjects/target/versions").await, json!([1, 2]));
    api.get("/subjects").await.ok();
    assert!(!api.ok("/subjects").await.as_array().unwrap().contains(&json!("al")));

    // Compatibility is checked against the target's versions (BACKWARD by default).
    let c = api.post("/compatibility/subjects/al/versions/latest", json!({"schema": v_required()})).await;
    assert_eq!(c.ok()["is_compatible"], false, "{}", c.body);
    let c = api.post("/compatibility/subjects/al/versions", json!({"schema": v2()})).await;
    assert_eq!(c.ok()["is_compatible"], true, "{}", c.body);

    // /schemas/ids/{id}?subject= names the alias's target too.
    let s = api.ok("/schemas/ids/1?subject=al").await;
    assert_eq!((s["subject"].clone(), s["version"].clone()), (json!("target"), json!(1)));
    assert_eq!(api.ok("/schemas/ids/1/subjects?subject=al").await, json!(["target"]));

    // Without the alias the name is its own (empty) subject again.
    api.put("/config/al", json!({"alias": ""})).await.ok();
    api.get("/subjects/al/versions").await.err(404, 40401);
}

#[tokio::test]
async fn aliases_are_one_level_and_not_inherited() {
    let api = start().await;
    api.register("target", &v1()).await;
    api.put("/config/mid", json!({"alias": "target"})).await.ok();
    api.put("/config/top", json!({"alias": "mid"})).await.ok();
    // top → mid, and mid itself has no versions: the alias of an alias is not followed.
    api.get("/subjects/top/versions").await.err(404, 40401).msg_contains("mid");
    // An alias in the global config is not a subject's own config.
    api.put("/config", json!({"alias": "target"})).await.ok();
    api.get("/subjects/other/versions").await.err(404, 40401);
}

#[tokio::test]
async fn an_unqualified_alias_stays_in_the_subjects_context() {
    let api = start().await;
    api.register(":.eu:target", &v1()).await;
    api.register("target", &other("Default")).await;
    api.put("/config/:.eu:al", json!({"alias": "target"})).await.ok();
    let v = api.ok("/subjects/:.eu:al/versions/latest").await;
    assert_eq!(v["subject"], ":.eu:target");
    // Through the context URL prefix too.
    let v = api.ok("/contexts/.eu/subjects/al/versions/latest").await;
    assert_eq!(v["subject"], ":.eu:target");
    // A qualified alias points across contexts.
    api.put("/config/x", json!({"alias": ":.eu:target"})).await.ok();
    assert_eq!(api.ok("/subjects/x/versions/1").await["subject"], ":.eu:target");
}
