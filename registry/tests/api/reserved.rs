//! Reserved fields (`validateFields` config with metadata property `confluent:reserved`), as
//! Confluent's `validateReservedFields`: a top-level field named as reserved, or a reserved name
//! dropped from the previous version's metadata, fails with 409.

use serde_json::{json, Value};

use crate::common::*;

fn reserved(names: &str) -> Value {
    json!({"properties": {"confluent:reserved": names}})
}

async fn validate_fields(api: &Server, subject: &str) {
    api.put(&format!("/config/{subject}"), json!({"validateFields": true, "compatibility": "NONE"})).await.ok();
}

#[tokio::test]
async fn avro_field_named_as_reserved_is_refused() {
    let api = start().await;
    validate_fields(&api, "a").await;
    let r = api.register_req("a", json!({"schema": v1(), "metadata": reserved("a, other")})).await;
    r.err(409, 409).msg(
        "Schema being registered is incompatible with an earlier schema for subject \"a\", details: \
         [The new schema has field that conflicts with the reserved field a., {validateFields: 'true', compatibility: 'NONE'}]",
    );
    // Without the reserved name it registers; dropping a reserved name later is refused.
    let ok = api.register_req("a", json!({"schema": v1(), "metadata": reserved("gone, other")})).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let r = api.register_req("a", json!({"schema": v2(), "metadata": reserved("other")})).await;
    r.err(409, 409).msg_contains(
        "The new schema has reserved field gone removed from its metadata which is present in the old schema's metadata.",
    );
    // Without metadata in the request the previous version's is kept, so nothing is dropped.
    assert_eq!(api.register_req("a", json!({"schema": v2()})).await.status, 200);
}

#[tokio::test]
async fn off_by_default_and_skipped_with_force() {
    let api = start().await;
    let r = api.register_req("a", json!({"schema": v1(), "metadata": reserved("a")})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    validate_fields(&api, "b").await;
    let body = json!({"schema": v1(), "metadata": reserved("a")});
    assert_eq!(api.post("/subjects/b/versions?force=true", body).await.status, 200);
}

#[tokio::test]
async fn protobuf_and_json_top_level_fields() {
    let api = start().await;
    validate_fields(&api, "p").await;
    let proto = "syntax = \"proto3\";\nmessage A {\n  string id = 1;\n  oneof k {\n    string ssn = 2;\n  }\n  message B {\n    string deep = 1;\n  }\n}\n";
    let r =
        api.register_req("p", json!({"schemaType": "PROTOBUF", "schema": proto, "metadata": reserved("ssn")})).await;
    r.err(409, 409).msg_contains("The new schema has field that conflicts with the reserved field ssn.");
    // A nested message's field is not top-level.
    let ok =
        api.register_req("p", json!({"schemaType": "PROTOBUF", "schema": proto, "metadata": reserved("deep")})).await;
    assert_eq!(ok.status, 200, "{}", ok.body);

    validate_fields(&api, "j").await;
    let js = r#"{"type":"object","properties":{"email":{"type":"string"},"n":{"type":"object","properties":{"inner":{"type":"string"}}}}}"#;
    let r =
        api.register_req("j", json!({"schemaType": "JSON", "schema": js, "metadata": reserved("email,inner")})).await;
    r.err(409, 409).msg_contains("conflicts with the reserved field email.");
    assert!(!r.message().contains("reserved field inner"), "{}", r.message());
}

#[tokio::test]
async fn reserved_messages_come_before_compatibility_ones() {
    let api = start().await;
    api.put("/config/c", json!({"validateFields": true, "compatibility": "BACKWARD"})).await.ok();
    api.register("c", &v1()).await;
    let r = api.register_req("c", json!({"schema": v_required(), "metadata": reserved("a")})).await;
    let msg = r.err(409, 409).message().to_string();
    let reserved_at = msg.find("conflicts with the reserved field a").expect(&msg);
    let compat_at = msg.find("oldSchemaVersion").expect(&msg);
    assert!(reserved_at < compat_at, "{msg}");
    assert!(msg.ends_with("{validateFields: 'true', compatibility: 'BACKWARD'}]"), "{msg}");
    // The compatibility endpoint says the same.
    let c = api
        .post(
            "/compatibility/subjects/c/versions/latest?verbose=true",
            json!({"schema": v1(), "metadata": reserved("a")}),
        )
        .await;
    assert_eq!(c.ok()["is_compatible"], false, "{}", c.body);
}
