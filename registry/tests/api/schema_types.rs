//! PROTOBUF and JSON Schema through the API: register, lookup, canonical text, references
//! (imports and `$ref`s to other subjects), compatibility with Confluent's rule names, and
//! type changes within a subject.

use serde_json::json;

use crate::common::*;

const PROTO_V1: &str = "syntax = \"proto3\";\npackage shop;\n\n// An order.\nmessage Order {\n  int64 id = 1;\n  string customer = 2;\n}\n";

fn proto(subject_body: &str) -> serde_json::Value {
    json!({"schemaType": "PROTOBUF", "schema": subject_body})
}

#[tokio::test]
async fn protobuf_register_lookup_and_canonical_text() {
    let s = start().await;
    let r = s.register_req("orders", proto(PROTO_V1)).await;
    let body = r.ok().clone();
    assert_eq!((body["id"].as_u64(), body["version"].as_u64()), (Some(1), Some(1)));
    assert_eq!(body["schemaType"], "PROTOBUF");
    let stored = body["schema"].as_str().unwrap();
    assert!(!stored.contains("An order"), "comments are not part of the canonical text: {stored}");
    // The same schema, formatted differently, is the same schema.
    let reformatted = PROTO_V1.replace("  int64 id = 1;", "int64   id=1 ;");
    let r = s.post("/subjects/orders", proto(&reformatted)).await;
    assert_eq!(r.ok()["id"], 1);
    // The raw schema endpoint answers the .proto text.
    assert_eq!(s.get("/schemas/ids/1/schema").await.text, stored);
    assert_eq!(s.ok("/schemas/types").await, json!(["JSON", "PROTOBUF", "AVRO"]));
    s.register_req("bad", proto("message {")).await.err(422, 42201);
}

#[tokio::test]
async fn protobuf_imports_resolve_through_references() {
    let s = start().await;
    let money = "syntax = \"proto3\";\npackage shop;\nmessage Money { int64 units = 1; }\n";
    s.register_req("shop%2Fmoney.proto", proto(money)).await.ok();
    let priced = "syntax = \"proto3\";\npackage shop;\nimport \"shop/money.proto\";\nimport \"google/protobuf/timestamp.proto\";\nmessage Priced { Money price = 1; google.protobuf.Timestamp at = 2; }\n";
    let refs = json!([{"name": "shop/money.proto", "subject": "shop/money.proto", "version": -1}]);
    let r = s.register_req("priced", json!({"schemaType": "PROTOBUF", "schema": priced, "references": refs})).await;
    assert_eq!(r.ok()["id"], 2);
    assert_eq!(s.ok("/subjects/priced/versions/1").await["references"][0]["version"], 1);
    assert_eq!(s.ok("/subjects/shop%2Fmoney.proto/versions/1/referencedby").await, json!([2]));
    // Without the reference the import does not resolve.
    s.register_req("unresolved", proto(priced)).await.err(422, 42201);
    s.delete("/subjects/shop%2Fmoney.proto/versions/1").await.err(422, 42206);
}

#[tokio::test]
async fn protobuf_compatibility_uses_confluents_rules() {
    let s = start().await;
    s.register_req("orders", proto(PROTO_V1)).await.ok();
    let added = PROTO_V1.replace("  string customer = 2;", "  string customer = 2;\n  string note = 3;");
    let r = s.post("/compatibility/subjects/orders/versions/latest", proto(&added)).await;
    assert_eq!(r.ok()["is_compatible"], true);
    let changed = PROTO_V1.replace("string customer = 2;", "int32 customer = 2;");
    let r = s.post("/compatibility/subjects/orders/versions?verbose=true", proto(&changed)).await;
    assert_eq!(r.ok()["is_compatible"], false);
    assert!(r.body["messages"][0].as_str().unwrap().contains("FIELD_SCALAR_KIND_CHANGED"), "{}", r.body);
    s.register_req("orders", proto(&changed)).await.err(409, 409);
}

fn json_schema(schema: serde_json::Value) -> serde_json::Value {
    json!({"schemaType": "JSON", "schema": schema.to_string()})
}

#[tokio::test]
async fn json_schema_register_lookup_references_and_compatibility() {
    let s = start().await;
    let address = json!({"$id": "address.json", "type": "object", "properties": {"city": {"type": "string"}}});
    s.register_req("address", json_schema(address)).await.ok();
    let customer = json!({"type": "object", "properties": {"id": {"type": "integer"}, "home": {"$ref": "address.json"}}, "required": ["id"]});
    let refs = json!([{"name": "address.json", "subject": "address", "version": 1}]);
    let r = s
        .register_req("customer", json!({"schemaType": "JSON", "schema": customer.to_string(), "references": refs}))
        .await;
    assert_eq!(r.ok()["id"], 2);
    // Key order is kept, whitespace removed.
    assert_eq!(r.body["schema"], customer.to_string());
    let r = s.post("/subjects/customer", json!({"schemaType": "JSON", "schema": serde_json::to_string_pretty(&customer).unwrap(), "references": refs})).await;
    assert_eq!(r.ok()["version"], 1);
    s.register_req("customer2", json_schema(customer.clone())).await.err(422, 42201);
    s.register_req("bad", json!({"schemaType": "JSON", "schema": "{\"type\": 5}"})).await.err(422, 42201);

    // A closed content model cannot gain a property that old data may not have had.
    let closed = json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false});
    s.register_req("closed", json_schema(closed)).await.ok();
    let narrowed = json!({"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": false});
    let r = s.post("/compatibility/subjects/closed/versions?verbose=true", json_schema(narrowed)).await;
    assert_eq!(r.ok()["is_compatible"], false);
    assert!(r.body["messages"][0].as_str().unwrap().contains("TYPE_CHANGED"), "{}", r.body);
}

#[tokio::test]
async fn a_subject_cannot_change_schema_type_unless_compatibility_is_none() {
    let s = start().await;
    s.register("mixed", &v1()).await;
    let r = s.register_req("mixed", json_schema(json!({"type": "string"}))).await;
    r.err(409, 409).msg_contains("different schema type");
    s.set_compat("/config/mixed", "NONE").await;
    assert_eq!(s.register_req("mixed", json_schema(json!({"type": "string"}))).await.ok()["version"], 2);
}
