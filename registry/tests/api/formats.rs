//! `?format=` on schema reads, lookup and register (Confluent's `formattedString`): Protobuf
//! `serialized` (base64 `FileDescriptorProto`), Avro `resolved` (references inlined); other and
//! unknown formats leave the stored text.

use base64::Engine;
use prost::Message;
use serde_json::{json, Value};

use crate::common::*;

const MONEY: &str = "syntax = \"proto3\";\npackage shop;\n\nmessage Money {\n  int64 units = 1;\n}\n";
const ORDER: &str = "syntax = \"proto3\";\npackage shop;\n\nimport \"shop/money.proto\";\n\nmessage Order {\n  int64 id = 1;\n  Money total = 2;\n  message Line {\n    string sku = 1;\n  }\n}\n";

fn descriptor(b64: &Value) -> prost_types::FileDescriptorProto {
    let text = b64.as_str().unwrap_or_else(|| panic!("not a string: {b64}"));
    let bytes = base64::engine::general_purpose::STANDARD.decode(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap()
}

async fn register_order(api: &Server) -> (Value, Value) {
    let money = api.register_req("money", json!({"schemaType": "PROTOBUF", "schema": MONEY})).await.ok().clone();
    let refs = json!([{"name": "shop/money.proto", "subject": "money", "version": 1}]);
    let order = api
        .register_req("order", json!({"schemaType": "PROTOBUF", "schema": ORDER, "references": refs}))
        .await
        .ok()
        .clone();
    (money, order)
}

#[tokio::test]
async fn protobuf_serialized_on_every_read_that_takes_a_format() {
    let api = start().await;
    let (money, order) = register_order(&api).await;
    let id = order["id"].as_u64().unwrap();
    let plain = api.ok(&format!("/schemas/ids/{id}")).await;
    assert!(plain["schema"].as_str().unwrap().contains("message Order"));

    let by_id = api.ok(&format!("/schemas/ids/{id}?format=serialized")).await;
    let file = descriptor(&by_id["schema"]);
    assert_eq!(file.name(), "default");
    assert_eq!(file.package(), "shop");
    assert_eq!(file.dependency, vec!["shop/money.proto"]);
    assert_eq!(file.message_type[0].name(), "Order");
    assert_eq!(file.message_type[0].nested_type[0].name(), "Line");
    assert_eq!(by_id["references"], plain["references"]);
    // The cached plain body is untouched by a formatted read, and vice versa.
    assert_eq!(api.ok(&format!("/schemas/ids/{id}")).await, plain);

    let guid = plain["guid"].as_str().unwrap();
    assert_eq!(api.ok(&format!("/schemas/guids/{guid}?format=serialized")).await["schema"], by_id["schema"]);
    let raw = api.get(&format!("/schemas/ids/{id}/schema?format=serialized")).await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.body, by_id["schema"]);
    let v = api.ok("/subjects/order/versions/1?format=serialized").await;
    assert_eq!(
        (v["schema"].clone(), v["version"].clone(), v["subject"].clone()),
        (by_id["schema"].clone(), json!(1), json!("order"))
    );
    assert_eq!(api.ok("/subjects/order/versions/latest").await["schema"], plain["schema"]);
    let raw = api.get("/subjects/order/versions/latest/schema?format=serialized").await;
    assert_eq!(raw.body, by_id["schema"]);
    // A referenced schema is fetched the same way (clients compile the closure from these).
    let m = api.ok(&format!("/schemas/ids/{}?format=serialized", money["id"])).await;
    assert_eq!(descriptor(&m["schema"]).message_type[0].name(), "Money");

    // Lookup and register (of an existing schema) answer in the format too.
    let refs = json!([{"name": "shop/money.proto", "subject": "money", "version": 1}]);
    let body = json!({"schemaType": "PROTOBUF", "schema": ORDER, "references": refs});
    let found = api.post("/subjects/order?format=serialized", body.clone()).await;
    assert_eq!(found.ok()["schema"], by_id["schema"]);
    let again = api.post("/subjects/order/versions?format=serialized", body.clone()).await;
    assert_eq!((again.ok()["schema"].clone(), again.ok()["id"].clone()), (by_id["schema"].clone(), json!(id)));

    // /metadata takes the format too.
    let md = json!({"properties": {"team": "a"}});
    let with_md = json!({"schemaType": "PROTOBUF", "schema": MONEY, "metadata": md});
    api.register_req("money", with_md).await.ok();
    let latest = api.ok("/subjects/money/metadata?key=team&value=a&format=serialized").await;
    assert_eq!(descriptor(&latest["schema"]).message_type[0].name(), "Money");
}

#[tokio::test]
async fn unknown_and_foreign_formats_leave_the_stored_text() {
    let api = start().await;
    let (_, order) = register_order(&api).await;
    let id = order["id"].as_u64().unwrap();
    let plain = api.ok(&format!("/schemas/ids/{id}")).await;
    for f in ["", "default", "nonsense", "resolved", "ignore_extensions"] {
        assert_eq!(api.ok(&format!("/schemas/ids/{id}?format={f}")).await["schema"], plain["schema"], "format {f}");
    }
    let (avro_id, _) = api.register("a", &v1()).await;
    assert_eq!(api.ok(&format!("/schemas/ids/{avro_id}?format=serialized")).await["schema"], canonical(&v1()));
    let json_schema = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;
    let j = api.register_req("j", json!({"schemaType": "JSON", "schema": json_schema})).await.ok().clone();
    let plain_j = api.ok(&format!("/schemas/ids/{}", j["id"])).await;
    assert_eq!(api.ok(&format!("/schemas/ids/{}?format=serialized", j["id"])).await, plain_j);
}

#[tokio::test]
async fn avro_resolved_inlines_referenced_types() {
    let api = start().await;
    let money = r#"{"type":"record","name":"Money","namespace":"shop","fields":[{"name":"units","type":"long"}]}"#;
    api.register("money", money).await;
    let order = r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"a","type":"Money"},{"name":"b","type":"Money"}]}"#;
    let refs = json!([{"name": "shop.Money", "subject": "money", "version": 1}]);
    let r = api.register_req("order", json!({"schema": order, "references": refs})).await.ok().clone();
    let plain = api.ok(&format!("/schemas/ids/{}", r["id"])).await;
    assert_eq!(plain["schema"], canonical(order));
    let resolved = api.ok(&format!("/schemas/ids/{}?format=resolved", r["id"])).await;
    let text = resolved["schema"].as_str().unwrap();
    let parsed: Value = serde_json::from_str(text).unwrap();
    // The first use holds the definition, the second names it (Java's Schema.toString()).
    assert_eq!(parsed["fields"][0]["type"]["name"], "Money");
    assert_eq!(parsed["fields"][0]["type"]["fields"][0]["name"], "units");
    assert_eq!(parsed["fields"][1]["type"], "Money");
    // Without references `resolved` is the stored text.
    let (id, _) = api.register("plain", &v1()).await;
    assert_eq!(api.ok(&format!("/schemas/ids/{id}?format=resolved")).await["schema"], canonical(&v1()));
}
