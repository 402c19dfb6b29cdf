//! Schema references: an Avro named type defined in another subject, `version: -1` pinned,
//! missing references, `/referencedby`, and deletes blocked by references (42206).

use serde_json::{json, Value};

use crate::common::*;

fn address() -> String {
    json!({"type": "record", "name": "Address", "namespace": "acme", "fields": [{"name": "city", "type": "string"}]})
        .to_string()
}

fn address_v2() -> String {
    json!({"type": "record", "name": "Address", "namespace": "acme", "fields": [
        {"name": "city", "type": "string"}, {"name": "zip", "type": "string", "default": ""}]})
    .to_string()
}

fn user() -> String {
    json!({"type": "record", "name": "User", "namespace": "acme", "fields": [{"name": "home", "type": "Address"}]})
        .to_string()
}

fn user_refs(version: i64) -> Value {
    json!([{"name": "acme.Address", "subject": "address", "version": version}])
}

/// address v1 and user v1 referencing it; returns user's id.
async fn setup(api: &Server) -> u64 {
    assert_eq!(api.register("address", &address()).await, (1, 1));
    let r = api.register_req("user", json!({"schema": user(), "references": user_refs(1)})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["id"].as_u64().unwrap()
}

#[tokio::test]
async fn a_named_type_from_another_subject_resolves() {
    let api = start().await;
    let user_id = setup(&api).await;
    assert_eq!(user_id, 2);
    let v = api.ok("/subjects/user/versions/1").await;
    assert_eq!(v["references"], user_refs(1));
    // The stored schema is the referrer's own text, canonical, without the referenced definition.
    assert_eq!(
        v["schema"],
        r#"{"type":"record","name":"User","namespace":"acme","fields":[{"name":"home","type":"Address"}]}"#
    );
    let v = api.ok("/schemas/ids/2").await;
    assert_eq!(v["references"], user_refs(1));
    // Same schema and references: same id.
    let r = api.register_req("user", json!({"schema": user(), "references": user_refs(1)})).await;
    assert_eq!((r.body["id"].clone(), r.body["version"].clone()), (json!(2), json!(1)));
    // Lookup needs the references too.
    let r = api.post("/subjects/user", json!({"schema": user(), "references": user_refs(1)})).await;
    assert_eq!((r.ok()["id"].clone(), r.body["version"].clone()), (json!(2), json!(1)));
}

#[tokio::test]
async fn version_minus_one_is_pinned_to_the_concrete_version() {
    let api = start().await;
    api.register("address", &address()).await;
    api.register("address", &address_v2()).await;
    let r = api.register_req("user", json!({"schema": user(), "references": user_refs(-1)})).await;
    assert_eq!(r.ok()["references"], user_refs(2));
    assert_eq!(api.ok("/subjects/user/versions/latest").await["references"], user_refs(2));
    // A later address version does not move the stored reference.
    let v3 = json!({"type": "record", "name": "Address", "namespace": "acme", "fields": [
        {"name": "city", "type": "string"}, {"name": "zip", "type": "string", "default": ""},
        {"name": "street", "type": "string", "default": ""}]})
    .to_string();
    api.register("address", &v3).await;
    assert_eq!(api.ok("/subjects/user/versions/1").await["references"], user_refs(2));
    assert_eq!(api.ok("/subjects/address/versions/2/referencedby").await, json!([3]));
    assert_eq!(api.ok("/subjects/address/versions/3/referencedby").await, json!([]));
}

#[tokio::test]
async fn missing_references_are_42201() {
    let api = start().await;
    api.register("address", &address()).await;
    // No references at all: Address is an unknown type.
    api.register_req("user", json!({"schema": user()})).await.err(422, 42201);
    let missing_subject = json!([{"name": "acme.Address", "subject": "nope", "version": 1}]);
    api.register_req("user", json!({"schema": user(), "references": missing_subject})).await.err(422, 42201);
    api.register_req("user", json!({"schema": user(), "references": user_refs(7)})).await.err(422, 42201);
    // A soft-deleted version cannot be referenced by a new registration.
    api.register("address", &address_v2()).await;
    api.delete("/subjects/address/versions/1").await.ok();
    api.register_req("user", json!({"schema": user(), "references": user_refs(1)})).await.err(422, 42201);
    api.post("/compatibility/subjects/user/versions", json!({"schema": user(), "references": user_refs(7)}))
        .await
        .err(422, 42201);
    api.get("/subjects/user/versions").await.err(404, 40401);
}

#[tokio::test]
async fn referencedby_lists_live_referrers_unless_deleted_is_set() {
    let api = start().await;
    let user_id = setup(&api).await;
    let r2 = api
        .register_req(
            "user2",
            json!({"schema": json!({"type": "record", "name": "User2", "namespace": "acme",
            "fields": [{"name": "work", "type": "Address"}]}).to_string(), "references": user_refs(1)}),
        )
        .await;
    let user2_id = r2.ok()["id"].as_u64().unwrap();
    assert_eq!(api.ok("/subjects/address/versions/1/referencedby").await, json!([user_id, user2_id]));
    assert_eq!(api.ok("/subjects/address/versions/latest/referencedby").await, json!([user_id, user2_id]));
    api.delete("/subjects/user2").await.ok();
    assert_eq!(api.ok("/subjects/address/versions/1/referencedby").await, json!([user_id]));
    assert_eq!(api.ok("/subjects/address/versions/1/referencedby?deleted=true").await, json!([user_id, user2_id]));
    api.get("/subjects/address/versions/2/referencedby").await.err(404, 40402);
    api.get("/subjects/nope/versions/1/referencedby").await.err(404, 40401);
}

#[tokio::test]
async fn deleting_a_referenced_version_or_subject_is_42206() {
    let api = start().await;
    setup(&api).await;
    api.delete("/subjects/address/versions/1")
        .await
        .err(422, 42206)
        .msg("One or more references exist to the schema {magic=1,keytype=SCHEMA,subject=address,version=1}.");
    api.delete("/subjects/address/versions/latest").await.err(422, 42206);
    api.delete("/subjects/address").await.err(422, 42206);
    assert_eq!(api.ok("/subjects/address/versions").await, json!([1]));
    // Once the referrer is soft-deleted, a soft delete is allowed, and so is a permanent one:
    // soft-deleted referrers do not hold a version (Confluent drops them from referenced-by).
    api.delete("/subjects/user").await.ok();
    assert_eq!(api.delete("/subjects/address/versions/1").await.ok(), &json!(1));
    assert_eq!(api.delete("/subjects/address/versions/1?permanent=true").await.ok(), &json!(1));
    api.get("/subjects/address/versions?deleted=true").await.err(404, 40401);
    // The soft-deleted referrer can still go for good.
    assert_eq!(api.delete("/subjects/user?permanent=true").await.ok(), &json!([1]));
    api.get("/schemas/ids/1").await.err(404, 40403);
}

#[tokio::test]
async fn a_subject_whose_referrers_are_all_soft_deleted_can_be_hard_deleted() {
    let api = start().await;
    setup(&api).await;
    api.delete("/subjects/address").await.err(422, 42206);
    api.delete("/subjects/user").await.ok();
    assert_eq!(api.delete("/subjects/address").await.ok(), &json!([1]));
    assert_eq!(api.delete("/subjects/address?permanent=true").await.ok(), &json!([1]));
    assert_eq!(api.ok("/subjects?deleted=true").await, json!(["user"]));
}

#[tokio::test]
async fn unqualified_reference_subjects_resolve_in_the_referrers_context() {
    let api = start().await;
    assert_eq!(api.register(":.eu:address", &address()).await, (1, 1));
    let r = api.register_req(":.eu:user", json!({"schema": user(), "references": user_refs(1)})).await;
    assert_eq!(r.ok()["id"], 2);
    assert_eq!(api.ok("/subjects/:.eu:address/versions/1/referencedby").await, json!([2]));
    // The default context has no "address" subject.
    api.register_req("user", json!({"schema": user(), "references": user_refs(1)})).await.err(422, 42201);
    api.delete("/subjects/:.eu:address").await.err(422, 42206);
}
