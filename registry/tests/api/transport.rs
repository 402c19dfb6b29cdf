//! `/`, `/v1/metadata/*`, `/schemas/types`, media types, transport-level errors, hostile input.

use serde_json::{json, Value};

use crate::common::*;

#[tokio::test]
async fn root_answers_empty_object_for_get_and_post() {
    let api = start().await;
    assert_eq!(api.ok("/").await, json!({}));
    assert_eq!(api.post("/", json!({"any": "map"})).await.ok(), &json!({}));
}

#[tokio::test]
async fn metadata_id_has_confluent_shape() {
    let api = start().await;
    let v = api.ok("/v1/metadata/id").await;
    assert_eq!(v["id"], "");
    assert_eq!(v["scope"]["path"], json!([]));
    assert_eq!(v["scope"]["clusters"]["schema-registry-cluster"], "schema-registry");
    assert!(v["scope"]["clusters"]["kafka-cluster"].is_string(), "{v}");
    let v = api.ok("/v1/metadata/version").await;
    assert!(v["version"].is_string(), "{v}");
}

#[tokio::test]
async fn schema_types_lists_avro() {
    let api = start().await;
    let v = api.ok("/schemas/types").await;
    let types = v.as_array().unwrap();
    assert!(types.contains(&json!("AVRO")), "{v}");
    for t in types {
        assert!(["AVRO", "JSON", "PROTOBUF"].contains(&t.as_str().unwrap()), "{v}");
    }
}

#[tokio::test]
async fn unsupported_content_type_is_415() {
    let api = start().await;
    let body = json!({"schema": v1()}).to_string();
    let r = api.post_raw("/subjects/a/versions", "text/plain", body.clone()).await;
    r.err(415, 415).msg("HTTP 415 Unsupported Media Type");
    let r = api.post_raw("/subjects/a/versions", "application/xml", body).await;
    r.err(415, 415);
    // Nothing was registered.
    api.get("/subjects/a/versions").await.err(404, 40401);
}

#[tokio::test]
async fn all_confluent_request_media_types_are_accepted() {
    let api = start().await;
    let body = json!({"schema": v1()}).to_string();
    for ct in [
        CT,
        "application/vnd.schemaregistry+json",
        "application/json",
        "application/octet-stream",
        "application/json; charset=utf-8",
    ] {
        let r = api.post_raw("/subjects/a/versions", ct, body.clone()).await;
        assert_eq!(r.status, 200, "{ct}: {}", r.text);
        assert_eq!(r.body["id"], 1, "{ct}");
    }
}

#[tokio::test]
async fn accept_header_negotiation() {
    let api = start().await;
    let get = |accept: Option<&'static str>| {
        let mut rb = api.http.get(api.url("/subjects"));
        if let Some(a) = accept {
            rb = rb.header("Accept", a);
        }
        api.send(rb)
    };
    assert_eq!(get(None).await.content_type.as_deref(), Some(CT));
    assert_eq!(get(Some("*/*")).await.content_type.as_deref(), Some(CT));
    assert_eq!(get(Some(CT)).await.content_type.as_deref(), Some(CT));
    assert_eq!(get(Some("application/json")).await.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        get(Some("application/vnd.schemaregistry+json")).await.content_type.as_deref(),
        Some("application/vnd.schemaregistry+json")
    );
    // Server preference wins when several are acceptable.
    assert_eq!(
        get(Some("application/json, application/vnd.schemaregistry.v1+json")).await.content_type.as_deref(),
        Some(CT)
    );
    let r = get(Some("text/html")).await;
    r.err(406, 406);
    // Errors are negotiated too.
    let r = api.send(api.http.get(api.url("/subjects/nope/versions")).header("Accept", "application/json")).await;
    r.err(404, 40401);
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn malformed_json_is_400() {
    let api = start().await;
    let r = api.post_raw("/subjects/a/versions", CT, "{bad").await;
    r.err(400, 400);
    let r = api.send(api.http.put(api.url("/config")).header("Content-Type", CT).body("{\"compatibility\":")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = api.put("/config", json!({})).await; // an empty object is fine
    assert_eq!(r.status, 200, "{}", r.text);
    // Wrong JSON shapes for the entity.
    api.register_req("a", json!({"schema": 5})).await.err(400, 400);
    api.register_req("a", json!([1, 2])).await.err(400, 400);
}

#[tokio::test]
async fn missing_body_is_422() {
    let api = start().await;
    api.post_raw("/subjects/a/versions", CT, "").await.err(422, 422);
    api.post_raw("/subjects/a", CT, "").await.err(422, 422);
    api.post_raw("/compatibility/subjects/a/versions", CT, "").await.err(422, 422);
    let r = api.send(api.http.put(api.url("/config"))).await;
    r.err(422, 422);
    let r = api.send(api.http.put(api.url("/mode"))).await;
    r.err(422, 422);
}

#[tokio::test]
async fn unknown_path_is_404_and_wrong_method_is_405() {
    let api = start().await;
    api.get("/nope").await.err(404, 404).msg("HTTP 404 Not Found");
    api.get("/subjects/a/versions/1/nope").await.err(404, 404);
    api.call("PUT", "/schemas/types", Some(&json!({}))).await.err(405, 405).msg("HTTP 405 Method Not Allowed");
    api.delete("/schemas").await.err(405, 405);
    api.call("PUT", "/subjects/a/versions", Some(&json!({}))).await.err(405, 405);
    api.delete("/schemas/ids/1").await.err(405, 405);
}

#[tokio::test]
async fn ten_megabyte_body_gets_a_clear_json_error() {
    let api = start().await;
    let huge = "x".repeat(10 * 1024 * 1024);
    let r = api.register_req("a", json!({ "schema": huge })).await;
    // Over the 4 MiB body cap: refused before it is read (issue 14: no unbounded uploads).
    r.err(413, 413).msg("Request body larger than 4194304 bytes");
    assert!(r.text.len() < 4096, "the error should not echo the 10 MB body ({} bytes)", r.text.len());
    assert_eq!(api.register("a", &v1()).await, (1, 1));
}

#[tokio::test]
async fn three_megabyte_schema_is_read_and_refused_as_42209() {
    let api = start().await;
    let r = api.register_req("a", json!({ "schema": "x".repeat(3 * 1024 * 1024) })).await;
    r.err(422, 42209);
    assert!(r.text.len() < 4096, "the error should not echo the body ({} bytes)", r.text.len());
}

#[tokio::test]
async fn body_over_the_transport_limit_is_413() {
    let api = start().await;
    let r = api.post_raw("/subjects/a/versions", CT, vec![b' '; 17 * 1024 * 1024]).await;
    r.err(413, 413);
    assert_eq!(api.register("a", &v1()).await, (1, 1));
}

#[tokio::test]
async fn schema_over_one_mebibyte_is_42209() {
    let api = start().await;
    let fields: Vec<Value> =
        (0..40_000).map(|i| json!({"name": format!("field_number_{i}"), "type": "string"})).collect();
    let big = record("Big", Value::Array(fields));
    assert!(big.len() > 1024 * 1024 && big.len() < 2 * 1024 * 1024);
    api.register_req("a", json!({ "schema": big })).await.err(422, 42209);
    api.get("/subjects/a/versions").await.err(404, 40401);
    assert_eq!(api.register("a", &v1()).await, (1, 1));
}

#[tokio::test]
async fn deeply_nested_schema_is_42201_and_the_server_keeps_answering() {
    let api = start().await;
    let deep_arrays = format!("{}\"int\"{}", "{\"type\":\"array\",\"items\":".repeat(3000), "}".repeat(3000));
    api.register_req("a", json!({ "schema": deep_arrays })).await.err(422, 42201);
    let deep_unions = format!("{}\"int\"{}", "[".repeat(100_000), "]".repeat(100_000));
    api.register_req("a", json!({ "schema": deep_unions })).await.err(422, 42201);
    api.post("/compatibility/subjects/a/versions", json!({ "schema": deep_unions })).await.err(422, 42201);
    // A deeply nested request body itself (not the schema string): a 400, not a crash.
    let deep_body =
        format!("{{\"schema\":\"\\\"int\\\"\",\"metadata\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let r = api.post_raw("/subjects/a/versions", CT, deep_body).await;
    r.err(400, 400);
    assert_eq!(api.register("a", &v1()).await, (1, 1));
    assert_eq!(api.ok("/subjects").await, json!(["a"]));
}
