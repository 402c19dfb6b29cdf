//! HTTP-level tests of the Confluent Schema Registry API: every endpoint and error code.

use serde_json::{json, Value};

const CT: &str = "application/vnd.schemaregistry.v1+json";

struct Api {
    base: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn start() -> Api {
    let dir = tempfile::tempdir().unwrap();
    start_in(dir).await
}

async fn start_in(dir: tempfile::TempDir) -> Api {
    let reg = registry::open_file_registry(dir.path(), registry::RegistryConfig::default()).unwrap();
    let (listener, addr) = registry::bind("127.0.0.1:0").await.unwrap();
    tokio::spawn(registry::serve(listener, reg, std::future::pending()));
    Api { base: format!("http://{addr}"), http: reqwest::Client::new(), _dir: dir }
}

fn record(name: &str, fields: &[(&str, Value)]) -> String {
    let fields: Vec<Value> = fields
        .iter()
        .map(|(n, t)| {
            let mut f = json!({"name": n});
            match t {
                Value::Object(o) if o.contains_key("__default") => {
                    f["type"] = o["type"].clone();
                    f["default"] = o["__default"].clone();
                }
                other => f["type"] = other.clone(),
            }
            f
        })
        .collect();
    json!({"type": "record", "name": name, "fields": fields}).to_string()
}

fn with_default(ty: Value, default: Value) -> Value {
    json!({"type": ty, "__default": default})
}

impl Api {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let mut rb = match method {
            "GET" => self.http.get(url),
            "POST" => self.http.post(url),
            "PUT" => self.http.put(url),
            "DELETE" => self.http.delete(url),
            other => panic!("method {other}"),
        };
        if let Some(b) = body {
            rb = rb.header("Content-Type", CT).body(b.to_string());
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call("POST", path, Some(body)).await
    }
    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call("PUT", path, Some(body)).await
    }
    async fn delete(&self, path: &str) -> (u16, Value) {
        self.call("DELETE", path, None).await
    }
    /// Register and return (id, version); panics unless 200.
    async fn register(&self, subject: &str, schema: &str) -> (u64, u64) {
        let (s, v) = self.post(&format!("/subjects/{subject}/versions"), json!({ "schema": schema })).await;
        assert_eq!(s, 200, "register {subject}: {v}");
        (v["id"].as_u64().unwrap(), v["version"].as_u64().unwrap())
    }
    async fn set_compat(&self, path: &str, level: &str) {
        let (s, v) = self.put(path, json!({ "compatibility": level })).await;
        assert_eq!(s, 200, "{v}");
    }
}

/// Assert an error response: HTTP status and Confluent error_code.
#[track_caller]
fn assert_err(got: &(u16, Value), status: u16, code: u64) {
    assert_eq!(got.0, status, "status of {}", got.1);
    assert_eq!(got.1["error_code"].as_u64(), Some(code), "error_code of {}", got.1);
    assert!(got.1["message"].is_string(), "message in {}", got.1);
}

fn s1() -> String {
    record("R", &[("a", json!("int"))])
}
fn s2() -> String {
    record("R", &[("a", json!("int")), ("b", with_default(json!("string"), json!("x")))])
}
fn s_required() -> String {
    record("R", &[("a", json!("int")), ("c", json!("string"))])
}

#[tokio::test]
async fn root_metadata_and_types() {
    let api = start().await;
    assert_eq!(api.get("/").await, (200, json!({})));
    assert_eq!(api.post("/", json!({})).await, (200, json!({})));
    let (s, v) = api.get("/v1/metadata/id").await;
    assert_eq!(s, 200);
    assert_eq!(v["id"], "");
    assert_eq!(v["scope"]["path"], json!([]));
    let (s, v) = api.get("/schemas/types").await;
    assert_eq!(s, 200);
    assert!(v.as_array().unwrap().contains(&json!("AVRO")));
}

#[tokio::test]
async fn register_returns_canonical_form_and_same_id_for_same_schema() {
    let api = start().await;
    let pretty = serde_json::to_string_pretty(&serde_json::from_str::<Value>(&s1()).unwrap()).unwrap();
    let (s, v) = api.post("/subjects/a/versions", json!({ "schema": pretty })).await;
    assert_eq!(s, 200);
    assert_eq!(v["id"], 1);
    assert_eq!(v["version"], 1);
    assert_eq!(v["schema"], r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#);
    // Same schema again: same id and version, no new version.
    assert_eq!(api.register("a", &s1()).await, (1, 1));
    // Same schema in another subject: same id, version 1 there.
    assert_eq!(api.register("b", &s1()).await, (1, 1));
    // A new schema: next id.
    assert_eq!(api.register("a", &s2()).await, (2, 2));
    let (_, v) = api.get("/subjects/a/versions").await;
    assert_eq!(v, json!([1, 2]));
    let (s, v) = api.get("/schemas/ids/1").await;
    assert_eq!(s, 200);
    assert_eq!(v["schema"], r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#);
    assert_eq!(v["schemaType"], "AVRO");
    let (s, v) = api.get("/schemas/ids/1/schema").await;
    assert_eq!(s, 200);
    assert_eq!(v, serde_json::from_str::<Value>(&s1()).unwrap());
    let (_, v) = api.get("/schemas/ids/1/subjects").await;
    assert_eq!(v, json!(["a", "b"]));
    let (_, v) = api.get("/schemas/ids/1/versions").await;
    assert_eq!(v, json!([{"subject":"a","version":1},{"subject":"b","version":1}]));
    let (_, v) = api.get("/schemas/ids/2?fetchMaxId=true").await;
    assert_eq!(v["maxId"], 2);
    let guid = v["guid"].as_str().unwrap().to_string();
    let (s, v) = api.get(&format!("/schemas/guids/{guid}")).await;
    assert_eq!(s, 200);
    assert_eq!(v["schema"], api.get("/schemas/ids/2").await.1["schema"]);
    let (_, v) = api.get(&format!("/schemas/guids/{guid}/ids")).await;
    assert_eq!(v, json!([{"context": ".", "id": 2}]));
    assert_err(&api.get("/schemas/guids/nope").await, 404, 40403);
}

#[tokio::test]
async fn schema_id_errors() {
    let api = start().await;
    assert_err(&api.get("/schemas/ids/1").await, 404, 40403);
    assert_err(&api.get("/schemas/ids/abc").await, 404, 40403);
    assert_err(&api.get("/schemas/ids/99/subjects").await, 404, 40403);
    assert_err(&api.get("/schemas/ids/99/versions").await, 404, 40403);
    assert_err(&api.get("/schemas/ids/99/schema").await, 404, 40403);
    let (_, v) = api.get("/schemas/ids/1").await;
    assert_eq!(v["message"], "Schema 1 not found");
}

#[tokio::test]
async fn invalid_schemas_and_subjects() {
    let api = start().await;
    assert_err(&api.post("/subjects/a/versions", json!({"schema": "{\"type\":\"record\"}"})).await, 422, 42201);
    assert_err(&api.post("/subjects/a/versions", json!({"schema": "not json"})).await, 422, 42201);
    assert_err(&api.post("/subjects/a/versions", json!({"schema": ""})).await, 422, 42201);
    assert_err(&api.post("/subjects/a/versions", json!({"schema": s1(), "schemaType": "XML"})).await, 422, 42201);
    assert_err(&api.post("/subjects/__GLOBAL/versions", json!({"schema": s1()})).await, 422, 42208);
    assert_err(&api.post("/subjects/:.__GLOBAL:x/versions", json!({"schema": s1()})).await, 422, 42208);
    // Version must be the next one outside IMPORT mode.
    assert_err(&api.post("/subjects/a/versions", json!({"schema": s1(), "version": 5})).await, 422, 42201);
    let (s, v) = api.post("/subjects/a/versions", json!({"schema": s1(), "version": 1})).await;
    assert_eq!((s, v["version"].clone()), (200, json!(1)));
    // Registering with an id outside IMPORT mode.
    assert_err(&api.post("/subjects/c/versions", json!({"schema": s2(), "id": 100})).await, 422, 42205);
}

#[tokio::test]
async fn empty_schema_reuses_the_previous_version() {
    let api = start().await;
    api.register("a", &s1()).await;
    let (s, v) =
        api.post("/subjects/a/versions", json!({"schema": "", "metadata": {"properties": {"owner": "team-a"}}})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["version"], 2);
    assert_eq!(v["schema"], api.get("/schemas/ids/1").await.1["schema"]);
    assert_eq!(v["metadata"]["properties"]["owner"], "team-a");
}

#[tokio::test]
async fn versions_latest_and_invalid_versions() {
    let api = start().await;
    api.register("s", &s1()).await;
    api.register("s", &s2()).await;
    for latest in ["latest", "LATEST", "-1"] {
        let (s, v) = api.get(&format!("/subjects/s/versions/{latest}")).await;
        assert_eq!((s, v["version"].clone(), v["subject"].clone()), (200, json!(2), json!("s")));
    }
    let (s, v) = api.get("/subjects/s/versions/1").await;
    assert_eq!((s, v["id"].clone()), (200, json!(1)));
    let (_, raw) = api.get("/subjects/s/versions/1/schema").await;
    assert_eq!(raw, serde_json::from_str::<Value>(&s1()).unwrap());
    for bad in ["abc", "0", "2147483648", "-2"] {
        assert_err(&api.get(&format!("/subjects/s/versions/{bad}")).await, 422, 42202);
    }
    assert_err(&api.get("/subjects/s/versions/3").await, 404, 40402);
    assert_err(&api.get("/subjects/nope/versions/1").await, 404, 40401);
    assert_err(&api.get("/subjects/nope/versions").await, 404, 40401);
    let (_, v) = api.get("/subjects/s/versions/3").await;
    assert_eq!(v["message"], "Version 3 not found.");
}

#[tokio::test]
async fn lookup() {
    let api = start().await;
    api.register("s", &s1()).await;
    let (s, v) = api.post("/subjects/s", json!({"schema": s1()})).await;
    assert_eq!(s, 200);
    assert_eq!((v["subject"].clone(), v["version"].clone(), v["id"].clone()), (json!("s"), json!(1), json!(1)));
    assert_err(&api.post("/subjects/s", json!({"schema": s2()})).await, 404, 40403);
    assert_err(&api.post("/subjects/nope", json!({"schema": s1()})).await, 404, 40401);
    assert_err(&api.post("/subjects/s", json!({"schema": "{bad"})).await, 422, 42201);
    // Soft-deleted versions are found only with deleted=true.
    api.delete("/subjects/s/versions/1").await;
    assert_err(&api.post("/subjects/s", json!({"schema": s1()})).await, 404, 40401);
    let (s, v) = api.post("/subjects/s?deleted=true", json!({"schema": s1()})).await;
    assert_eq!((s, v["version"].clone()), (200, json!(1)));
    // An unqualified lookup falls back to other contexts.
    api.register(":.eu:only-eu", &s2()).await;
    let (s, v) = api.post("/subjects/only-eu", json!({"schema": s2()})).await;
    assert_eq!((s, v["subject"].clone()), (200, json!(":.eu:only-eu")));
}

#[tokio::test]
async fn compatibility_on_register_and_check_endpoints() {
    let api = start().await;
    api.register("s", &s1()).await;
    // Adding a field without default: BACKWARD-incompatible.
    let (s, v) = api.post("/subjects/s/versions", json!({"schema": s_required()})).await;
    assert_eq!(s, 409);
    assert_eq!(v["error_code"], 409);
    let msg = v["message"].as_str().unwrap();
    assert!(
        msg.starts_with("Schema being registered is incompatible with an earlier schema for subject \"s\""),
        "{msg}"
    );
    assert!(msg.contains("READER_FIELD_MISSING_DEFAULT_VALUE"), "{msg}");
    // force=true skips the check.
    let (s, _) = api.post("/subjects/s/versions?force=true", json!({"schema": s_required()})).await;
    assert_eq!(s, 200);

    let api = start().await;
    api.register("s", &s1()).await;
    let (s, v) = api.post("/compatibility/subjects/s/versions/latest", json!({"schema": s2()})).await;
    assert_eq!((s, v), (200, json!({"is_compatible": true})));
    let (_, v) = api.post("/compatibility/subjects/s/versions/1", json!({"schema": s_required()})).await;
    assert_eq!(v, json!({"is_compatible": false}));
    let (_, v) = api.post("/compatibility/subjects/s/versions?verbose=true", json!({"schema": s_required()})).await;
    assert_eq!(v["is_compatible"], false);
    let messages: Vec<&str> = v["messages"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert!(messages[0].starts_with("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'"), "{messages:?}");
    assert!(messages.contains(&"{oldSchemaVersion: 1}"), "{messages:?}");
    assert!(messages.contains(&"{validateFields: 'false', compatibility: 'BACKWARD'}"), "{messages:?}");
    // Latest of a missing subject: compatible. A missing numeric version: 40402.
    let (_, v) = api.post("/compatibility/subjects/nope/versions/latest", json!({"schema": s1()})).await;
    assert_eq!(v, json!({"is_compatible": true}));
    assert_err(&api.post("/compatibility/subjects/s/versions/7", json!({"schema": s1()})).await, 404, 40402);
    assert_err(&api.post("/compatibility/subjects/s/versions/x", json!({"schema": s1()})).await, 422, 42202);
    assert_err(&api.post("/compatibility/subjects/s/versions", json!({"schema": "{"})).await, 422, 42201);
    let (s, v) = api.post("/compatibility/subjects/s/versions?verbose=true", json!({"schema": "{"})).await;
    assert_eq!(s, 200);
    assert_eq!(v["is_compatible"], false);
    assert!(v["messages"][0].as_str().unwrap().contains("Invalid"), "{v}");
}

#[tokio::test]
async fn transitive_levels_check_every_version() {
    let api = start().await;
    let v1 = record("R", &[("a", json!("int"))]);
    let v2 = record("R", &[("a", json!("int")), ("b", with_default(json!("int"), json!(0)))]);
    let v3 = record("R", &[("b", json!("int"))]);
    api.register("s", &v1).await;
    api.register("s", &v2).await;
    // BACKWARD (latest only): v3 reads v2 data.
    let (_, v) = api.post("/compatibility/subjects/s/versions", json!({"schema": v3})).await;
    assert_eq!(v["is_compatible"], true);
    api.set_compat("/config/s", "BACKWARD_TRANSITIVE").await;
    let (_, v) = api.post("/compatibility/subjects/s/versions", json!({"schema": v3})).await;
    assert_eq!(v["is_compatible"], false);
    // FORWARD and FULL.
    api.set_compat("/config/s", "FORWARD").await;
    let (_, v) =
        api.post("/compatibility/subjects/s/versions", json!({"schema": record("R", &[("a", json!("int"))])})).await;
    assert_eq!(v["is_compatible"], true);
    api.set_compat("/config/s", "FULL").await;
    let with_c = record("R", &[("a", json!("int")), ("b", with_default(json!("int"), json!(0))), ("c", json!("int"))]);
    let (_, v) = api.post("/compatibility/subjects/s/versions", json!({"schema": with_c})).await;
    assert_eq!(v["is_compatible"], false);
    api.set_compat("/config/s", "NONE").await;
    let (_, v) = api.post("/compatibility/subjects/s/versions", json!({"schema": "\"string\""})).await;
    assert_eq!(v["is_compatible"], true);
}

#[tokio::test]
async fn config_endpoints() {
    let api = start().await;
    assert_eq!(api.get("/config").await, (200, json!({"compatibilityLevel": "BACKWARD"})));
    assert_eq!(api.put("/config", json!({"compatibility": "full"})).await, (200, json!({"compatibility": "FULL"})));
    assert_eq!(api.get("/config").await.1, json!({"compatibilityLevel": "FULL"}));
    assert_err(&api.put("/config", json!({"compatibility": "SIDEWAYS"})).await, 422, 42203);
    assert_err(&api.get("/config/s").await, 404, 40408);
    let (_, v) = api.get("/config/s?defaultToGlobal=true").await;
    assert_eq!(v["compatibilityLevel"], "FULL");
    // Subject config need not have a subject; fields merge; explicit null clears.
    assert_eq!(api.put("/config/s", json!({"compatibility": "NONE"})).await.1, json!({"compatibility": "NONE"}));
    let (_, v) = api.put("/config/s", json!({"normalize": true})).await;
    assert_eq!(v, json!({"compatibility": "NONE", "normalize": true}));
    let (_, v) = api.put("/config/s", json!({"compatibility": null})).await;
    assert_eq!(v, json!({"normalize": true}));
    assert_eq!(api.get("/config/s").await.1, json!({"normalize": true}));
    let (_, v) = api.get("/config/s?defaultToGlobal=true").await;
    assert_eq!(v, json!({"compatibilityLevel": "FULL", "normalize": true}));
    assert_eq!(api.delete("/config/s").await, (200, json!({"normalize": true})));
    assert_err(&api.delete("/config/s").await, 404, 40401);
    assert_eq!(api.delete("/config").await.1, json!({"compatibilityLevel": "FULL"}));
    assert_eq!(api.get("/config").await.1, json!({"compatibilityLevel": "BACKWARD"}));
    // Context-level config applies to subjects in that context.
    api.set_compat("/config/:.eu:", "NONE").await;
    let (_, v) = api.get("/config/:.eu:orders?defaultToGlobal=true").await;
    assert_eq!(v["compatibilityLevel"], "NONE");
    api.register(":.eu:orders", &s1()).await;
    api.register(":.eu:orders", &s_required()).await;
    assert_err(&api.put("/config/__GLOBAL", json!({"compatibility": "NONE"})).await, 422, 42208);
}

#[tokio::test]
async fn mode_endpoints_and_import() {
    let api = start().await;
    assert_eq!(api.get("/mode").await, (200, json!({"mode": "READWRITE"})));
    assert_err(&api.get("/mode/s").await, 404, 40409);
    assert_err(&api.put("/mode", json!({"mode": "SIDEWAYS"})).await, 422, 42204);
    assert_err(&api.put("/mode/s", json!({"mode": "FORWARD"})).await, 422, 42204);

    // READONLY blocks writes.
    assert_eq!(api.put("/mode/s", json!({"mode": "readonly"})).await, (200, json!({"mode": "READONLY"})));
    assert_err(&api.post("/subjects/s/versions", json!({"schema": s1()})).await, 422, 42205);
    assert_eq!(api.get("/mode/s").await.1, json!({"mode": "READONLY"}));
    assert_eq!(api.put("/mode/s", json!({"mode": null})).await.0, 200);
    assert_err(&api.get("/mode/s").await, 404, 40409);
    let (_, v) = api.get("/mode/s?defaultToGlobal=true").await;
    assert_eq!(v, json!({"mode": "READWRITE"}));

    // IMPORT needs an empty scope unless forced.
    api.register("live", &s1()).await;
    assert_err(&api.put("/mode", json!({"mode": "IMPORT"})).await, 422, 42205);
    assert_eq!(api.put("/mode?force=true", json!({"mode": "IMPORT"})).await.0, 200);
    // Without an id: not in read-write mode.
    assert_err(&api.post("/subjects/imp/versions", json!({"schema": s2()})).await, 422, 42205);
    // With id and version: kept as given.
    let (s, v) = api.post("/subjects/imp/versions", json!({"schema": s2(), "id": 42, "version": 7})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["id"].clone(), v["version"].clone()), (json!(42), json!(7)));
    assert_eq!(api.get("/subjects/imp/versions").await.1, json!([7]));
    // The same again is a no-op; another schema under id 42 is refused.
    let (s, _) = api.post("/subjects/imp/versions", json!({"schema": s2(), "id": 42, "version": 7})).await;
    assert_eq!(s, 200);
    let (s, v) = api.post("/subjects/other/versions", json!({"schema": "\"int\"", "id": 42})).await;
    assert_err(&(s, v.clone()), 422, 42205);
    assert!(v["message"].as_str().unwrap().contains("Overwrite new schema with id 42"), "{v}");
    // No compatibility check in IMPORT.
    let (s, _) = api.post("/subjects/imp/versions", json!({"schema": record("Z", &[]), "id": 43, "version": 8})).await;
    assert_eq!(s, 200);
    // Back to READWRITE: new ids continue above the imported ones.
    assert_eq!(api.delete("/mode").await.1, json!({"mode": "IMPORT"}));
    assert_eq!(api.register("after", "\"bytes\"").await.0, 44);
}

#[tokio::test]
async fn soft_and_permanent_deletes() {
    let api = start().await;
    api.register("s", &s1()).await;
    api.register("s", &s2()).await;
    assert_err(&api.delete("/subjects/s/versions/1?permanent=true").await, 404, 40407);
    assert_eq!(api.delete("/subjects/s/versions/1").await, (200, json!(1)));
    assert_err(&api.delete("/subjects/s/versions/1").await, 404, 40406);
    assert_eq!(api.get("/subjects/s/versions").await.1, json!([2]));
    assert_eq!(api.get("/subjects/s/versions?deleted=true").await.1, json!([1, 2]));
    assert_eq!(api.get("/subjects/s/versions?deletedOnly=true").await.1, json!([1]));
    assert_eq!(api.get("/subjects/s/versions?deleted=true&deletedAsNegative=true").await.1, json!([-1, 2]));
    assert_err(&api.get("/subjects/s/versions/1").await, 404, 40402);
    assert_eq!(api.get("/subjects/s/versions/1?deleted=true").await.1["deleted"], true);
    // The id stays readable after a soft delete.
    assert_eq!(api.get("/schemas/ids/1").await.0, 200);
    // Versions are not reused after a soft delete.
    api.delete("/subjects/s/versions/2").await;
    assert_eq!(api.register("s", &record("Q", &[])).await, (3, 3));
    // Subject delete.
    api.set_compat("/config/s", "NONE").await;
    assert_eq!(api.delete("/subjects/s").await, (200, json!([3])));
    assert_err(&api.delete("/subjects/s").await, 404, 40404);
    assert!(!api.get("/subjects").await.1.as_array().unwrap().contains(&json!("s")));
    assert_eq!(api.get("/subjects?deleted=true").await.1, json!(["s"]));
    assert_eq!(api.get("/subjects?deletedOnly=true").await.1, json!(["s"]));
    assert_eq!(api.delete("/subjects/s?permanent=true").await, (200, json!([1, 2, 3])));
    assert_err(&api.get("/schemas/ids/1").await, 404, 40403);
    assert_err(&api.delete("/subjects/s").await, 404, 40401);
    // The subject's config went with it.
    assert_err(&api.get("/config/s").await, 404, 40408);
    // A permanent delete of a live subject needs a soft delete first.
    // Ids are never reused, even after a permanent delete: the same schema comes back as id 4.
    assert_eq!(api.register("t", &s1()).await, (4, 1));
    assert_err(&api.delete("/subjects/t?permanent=true").await, 404, 40405);
    assert_eq!(api.register("u", &record("Fresh", &[])).await.0, 5);
}

#[tokio::test]
async fn references_and_referencedby() {
    let api = start().await;
    let address =
        json!({"type":"record","name":"Address","namespace":"acme","fields":[{"name":"city","type":"string"}]})
            .to_string();
    let user = json!({"type":"record","name":"User","namespace":"acme","fields":[{"name":"home","type":"Address"}]})
        .to_string();
    api.register("address", &address).await;
    let refs = json!([{"name": "acme.Address", "subject": "address", "version": -1}]);
    let (s, v) = api.post("/subjects/user/versions", json!({"schema": user, "references": refs})).await;
    assert_eq!(s, 200, "{v}");
    let user_id = v["id"].clone();
    // version -1 is stored as the concrete version.
    let (_, v) = api.get("/subjects/user/versions/latest").await;
    assert_eq!(v["references"], json!([{"name": "acme.Address", "subject": "address", "version": 1}]));
    assert_eq!(
        v["schema"],
        r#"{"type":"record","name":"User","namespace":"acme","fields":[{"name":"home","type":"Address"}]}"#
    );
    assert_eq!(api.get("/subjects/address/versions/1/referencedby").await.1, json!([user_id]));
    // Missing references are invalid schemas.
    let bad = json!([{"name": "acme.Address", "subject": "nope", "version": 1}]);
    assert_err(&api.post("/subjects/user2/versions", json!({"schema": user, "references": bad})).await, 422, 42201);
    assert_err(&api.post("/subjects/user2/versions", json!({"schema": user})).await, 422, 42201);
    // A referenced version cannot be deleted.
    let (s, v) = api.delete("/subjects/address/versions/1").await;
    assert_err(&(s, v.clone()), 422, 42206);
    assert_eq!(
        v["message"],
        "One or more references exist to the schema {magic=1,keytype=SCHEMA,subject=address,version=1}."
    );
    assert_err(&api.delete("/subjects/address").await, 422, 42206);
    // Lookup with references.
    let (s, v) = api.post("/subjects/user", json!({"schema": user, "references": refs})).await;
    assert_eq!((s, v["id"].clone()), (200, user_id));
    // Once the referrer is gone the reference can go.
    api.delete("/subjects/user").await;
    assert_eq!(api.delete("/subjects/address/versions/1").await.0, 200);
}

#[tokio::test]
async fn contexts_have_their_own_id_spaces() {
    let api = start().await;
    api.register("a", &s1()).await;
    assert_eq!(api.register(":.eu:a", &s2()).await, (1, 1));
    assert_eq!(api.register(":.us:a", &s2()).await, (1, 1));
    assert_eq!(api.get("/contexts").await.1, json!([".", ".eu", ".us"]));
    assert_eq!(api.get("/subjects").await.1, json!(["a", ":.eu:a", ":.us:a"]));
    assert_eq!(api.get("/subjects?subjectPrefix=:.eu:").await.1, json!([":.eu:a"]));
    assert_eq!(api.get("/subjects?subjectPrefix=a").await.1, json!(["a"]));
    // /schemas/ids looks in the default context unless a subject scopes it.
    assert_eq!(api.get("/schemas/ids/1").await.1["schema"], api.get("/subjects/a/versions/1").await.1["schema"]);
    let (_, v) = api.get("/schemas/ids/1?subject=:.eu:a").await;
    assert_eq!(v["schema"], api.get("/subjects/:.eu:a/versions/1").await.1["schema"]);
    // The /contexts/{ctx} URL prefix.
    assert_eq!(api.get("/contexts/.eu/schemas/ids/1").await.1["schema"], v["schema"]);
    assert_eq!(api.get("/contexts/.eu/subjects").await.1, json!([":.eu:a"]));
    let (s, v) = api.post("/contexts/.eu/subjects/b/versions", json!({"schema": s1()})).await;
    assert_eq!((s, v["id"].clone()), (200, json!(2)));
    assert_eq!(api.get("/contexts/.eu/subjects/b/versions/1").await.1["subject"], ":.eu:b");
    assert_eq!(api.post("/contexts/.eu/subjects/b", json!({"schema": s1()})).await.1["id"], 2);
    api.set_compat("/contexts/.eu/config", "FULL").await;
    assert_eq!(api.get("/config/:.eu:").await.1, json!({"compatibilityLevel": "FULL"}));
    // /schemas default lists the default context only.
    let (_, v) = api.get("/schemas").await;
    assert_eq!(v.as_array().unwrap().len(), 1);
    let (_, v) = api.get("/schemas?subjectPrefix=:*:").await;
    assert_eq!(v.as_array().unwrap().len(), 4);
    // Deleting a non-empty context is refused; an empty one goes.
    assert_err(&api.delete("/contexts/.us").await, 422, 42211);
    api.delete("/subjects/:.us:a").await;
    api.delete("/subjects/:.us:a?permanent=true").await;
    assert_eq!(api.delete("/contexts/.us").await.0, 204);
    assert_eq!(api.get("/contexts").await.1, json!([".", ".eu"]));
}

#[tokio::test]
async fn schemas_listing_and_paging() {
    let api = start().await;
    api.set_compat("/config", "NONE").await;
    for (i, name) in ["a", "b", "c"].iter().enumerate() {
        api.register(name, &record(&format!("R{i}"), &[])).await;
    }
    api.register("a", &record("R9", &[])).await;
    let (_, v) = api.get("/schemas").await;
    let pairs: Vec<(String, u64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["subject"].as_str().unwrap().to_string(), x["version"].as_u64().unwrap()))
        .collect();
    assert_eq!(pairs, vec![("a".into(), 1), ("a".into(), 2), ("b".into(), 1), ("c".into(), 1)]);
    assert_eq!(api.get("/schemas?latestOnly=true").await.1.as_array().unwrap().len(), 3);
    assert_eq!(api.get("/schemas?offset=1&limit=2").await.1.as_array().unwrap().len(), 2);
    assert_eq!(api.get("/subjects?offset=1&limit=1").await.1, json!(["b"]));
    assert_eq!(api.get("/schemas?subjectPrefix=b").await.1.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn subjects_with_slashes() {
    let api = start().await;
    let (s, v) = api.post("/subjects/google%2Fprotobuf%2Ftimestamp.proto/versions", json!({"schema": s1()})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(api.get("/subjects").await.1, json!(["google/protobuf/timestamp.proto"]));
    let (s, v) = api.get("/subjects/google%2Fprotobuf%2Ftimestamp.proto/versions/1").await;
    assert_eq!((s, v["subject"].clone()), (200, json!("google/protobuf/timestamp.proto")));
}

#[tokio::test]
async fn media_types_and_transport_errors() {
    let api = start().await;
    let url = format!("{}/subjects/a/versions", api.base);
    let body = json!({"schema": s1()}).to_string();
    let r = api.http.post(&url).header("Content-Type", "text/plain").body(body.clone()).send().await.unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(r.json::<Value>().await.unwrap()["error_code"], 415);
    for ct in [
        "application/json",
        "application/vnd.schemaregistry+json",
        "application/octet-stream",
        "application/json; charset=utf-8",
    ] {
        let r = api.http.post(&url).header("Content-Type", ct).body(body.clone()).send().await.unwrap();
        assert_eq!(r.status(), 200, "{ct}");
    }
    let r = api.http.get(format!("{}/subjects", api.base)).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], CT);
    let r = api.http.get(format!("{}/subjects", api.base)).header("Accept", "application/json").send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    let r = api.http.get(format!("{}/subjects", api.base)).header("Accept", "text/html").send().await.unwrap();
    assert_eq!(r.status(), 406);
    let r = api.http.post(&url).header("Content-Type", CT).body("{bad").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error_code"], 400);
    let r = api.http.post(&url).header("Content-Type", CT).body("").send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error_code"], 422);
    assert_err(&api.get("/nope").await, 404, 404);
    assert_err(&api.call("PUT", "/schemas/types", Some(json!({}))).await, 405, 405);
}

#[tokio::test]
async fn hostile_input_gets_clear_errors_and_the_server_stays_up() {
    let api = start().await;
    // A 10 MB body.
    let huge = "x".repeat(10 * 1024 * 1024);
    let (s, v) = api.post("/subjects/a/versions", json!({"schema": huge})).await;
    assert!(s == 422 || s == 413, "{s}");
    assert!(v["error_code"].is_u64(), "{v}");
    // A schema over the 1 MiB limit: 42209.
    let fields: Vec<Value> =
        (0..40_000).map(|i| json!({"name": format!("field_number_{i}"), "type": "string"})).collect();
    let big = json!({"type": "record", "name": "Big", "fields": fields}).to_string();
    assert!(big.len() > 1024 * 1024);
    assert_err(&api.post("/subjects/a/versions", json!({"schema": big})).await, 422, 42209);
    // A body over the 16 MiB transport limit.
    let r = api
        .http
        .post(format!("{}/subjects/a/versions", api.base))
        .header("Content-Type", CT)
        .body(vec![b' '; 17 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // Deeply nested schema JSON.
    let deep = format!("{}\"int\"{}", "{\"type\":\"array\",\"items\":".repeat(3000), "}".repeat(3000));
    assert_err(&api.post("/subjects/a/versions", json!({"schema": deep})).await, 422, 42201);
    let deep_union = format!("{}\"int\"{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_err(&api.post("/subjects/a/versions", json!({"schema": deep_union})).await, 422, 42201);
    // Wrong JSON shapes in the body.
    assert_eq!(api.post("/subjects/a/versions", json!({"schema": 5})).await.0, 400);
    assert_eq!(api.post("/subjects/a/versions", json!([1, 2])).await.0, 400);
    // Still serving.
    assert_eq!(api.register("a", &s1()).await, (1, 1));
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let api = start_in(dir).await;
    api.register("a", &s1()).await;
    api.register("a", &s2()).await;
    api.register(":.eu:x", &s1()).await;
    api.delete("/subjects/a/versions/1").await;
    api.set_compat("/config/a", "FULL").await;
    api.put("/mode/ro", json!({"mode": "READONLY"})).await;
    let before: Vec<Value> = futures_join(
        &api,
        &[
            "/subjects?deleted=true",
            "/subjects/a/versions?deleted=true",
            "/config/a",
            "/mode/ro",
            "/schemas/ids/2",
            "/contexts",
        ],
    )
    .await;
    // The first server keeps its directory locked while its tasks live; a fresh registry on a
    // copy of the log proves the replay (the log is append-only, so a copy is consistent).
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(path.join("schemas.log"), copy.path().join("schemas.log")).unwrap();
    drop(api);
    let api = start_in(copy).await;
    let after: Vec<Value> = futures_join(
        &api,
        &[
            "/subjects?deleted=true",
            "/subjects/a/versions?deleted=true",
            "/config/a",
            "/mode/ro",
            "/schemas/ids/2",
            "/contexts",
        ],
    )
    .await;
    assert_eq!(before, after);
    assert_eq!(api.register("new", &record("New", &[])).await.0, 3);
}

async fn futures_join(api: &Api, paths: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    for p in paths {
        out.push(api.get(p).await.1);
    }
    out
}
