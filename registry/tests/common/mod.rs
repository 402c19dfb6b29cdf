//! Shared harness for the HTTP-level tests: an in-process registry per test, a small client that
//! speaks Confluent's media type, and schema builders.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

/// Confluent's request/response media type.
pub const CT: &str = "application/vnd.schemaregistry.v1+json";

/// One running registry on a random port.
pub struct Server {
    pub base: String,
    pub http: reqwest::Client,
    pub data_dir: PathBuf,
    /// Owns the data dir when the server created it.
    _dir: Option<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// A response: status, body parsed as JSON (or the raw text as a JSON string), the raw text and
/// the Content-Type header.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub content_type: Option<String>,
}

/// A registry in a fresh temporary directory.
pub async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let mut s = start_at(&path).await;
    s._dir = Some(dir);
    s
}

/// A registry over `path` (which the caller keeps alive). Waits a little for a previous server on
/// the same directory to let go of its lock.
pub async fn start_at(path: &Path) -> Server {
    start_with(path, registry::RegistryConfig::default()).await
}

/// A registry over `path` with `config`.
pub async fn start_with(path: &Path, config: registry::RegistryConfig) -> Server {
    let mut tries = 0;
    let reg = loop {
        match registry::open_file_registry(path, config.clone()) {
            Ok(r) => break r,
            Err(e) if tries < 100 => {
                tries += 1;
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("cannot open registry in {}: {e}", path.display()),
        }
    };
    let (listener, addr) = registry::bind("127.0.0.1:0").await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(registry::serve(listener, reg, async move {
        let _ = rx.await;
    }));
    Server {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        data_dir: path.to_path_buf(),
        _dir: None,
        shutdown: Some(tx),
        handle: Some(handle),
    }
}

impl Server {
    /// Stop serving and drop the registry (releasing its data dir); returns the dir's owner, if any.
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        // Idle keep-alive connections go with the client.
        self.http = reqwest::Client::new();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            tokio::time::timeout(Duration::from_secs(10), h)
                .await
                .expect("server did not stop within 10 s")
                .unwrap()
                .unwrap();
        }
        self._dir.take()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn send(&self, rb: reqwest::RequestBuilder) -> Resp {
        let resp = rb.send().await.expect("request failed");
        let status = resp.status().as_u16();
        let content_type = resp.headers().get("content-type").map(|v| v.to_str().unwrap_or_default().to_string());
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()));
        Resp { status, body, text, content_type }
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let url = self.url(path);
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
        self.send(rb).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.call("GET", path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.call("POST", path, Some(&body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.call("PUT", path, Some(&body)).await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.call("DELETE", path, None).await
    }

    /// POST a raw body with a given Content-Type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> Resp {
        self.send(self.http.post(self.url(path)).header("Content-Type", content_type).body(body)).await
    }

    /// POST /subjects/{subject}/versions with a full request body.
    pub async fn register_req(&self, subject: &str, body: Value) -> Resp {
        self.post(&format!("/subjects/{subject}/versions"), body).await
    }

    /// Register `schema` (Avro text) and return (id, version); panics unless 200.
    #[track_caller]
    pub fn register<'a>(
        &'a self,
        subject: &'a str,
        schema: &'a str,
    ) -> impl std::future::Future<Output = (u64, u64)> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let r = self.register_req(subject, json!({ "schema": schema })).await;
            assert_eq!(r.status, 200, "register under {subject} (called at {caller}): {}", r.body);
            (r.body["id"].as_u64().unwrap(), r.body["version"].as_u64().unwrap())
        }
    }

    /// PUT {"compatibility": level} at a config path; panics unless 200.
    pub async fn set_compat(&self, path: &str, level: &str) {
        let r = self.put(path, json!({ "compatibility": level })).await;
        assert_eq!(r.status, 200, "PUT {path}: {}", r.body);
    }

    /// PUT {"mode": mode} at a mode path; panics unless 200.
    pub async fn set_mode(&self, path: &str, mode: &str) {
        let r = self.put(path, json!({ "mode": mode })).await;
        assert_eq!(r.status, 200, "PUT {path}: {}", r.body);
    }

    /// GET that must answer 200; returns the body.
    pub async fn ok(&self, path: &str) -> Value {
        self.get(path).await.ok().clone()
    }
}

impl Resp {
    /// Assert 200 and return the body.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "expected 200, got {}: {}", self.status, self.text);
        &self.body
    }

    /// Assert a Confluent error: HTTP status and error_code, with a message string.
    #[track_caller]
    pub fn err(&self, status: u16, code: u64) -> &Self {
        assert_eq!(self.status, status, "status (body {})", self.text);
        assert_eq!(self.body["error_code"].as_u64(), Some(code), "error_code (body {})", self.text);
        assert!(self.body["message"].as_str().is_some_and(|m| !m.is_empty()), "message in {}", self.text);
        self
    }

    /// Assert the exact error message.
    #[track_caller]
    pub fn msg(&self, message: &str) -> &Self {
        assert_eq!(self.body["message"].as_str(), Some(message), "message (body {})", self.text);
        self
    }

    /// Assert the error message contains `part`.
    #[track_caller]
    pub fn msg_contains(&self, part: &str) -> &Self {
        let m = self.body["message"].as_str().unwrap_or_default();
        assert!(m.contains(part), "message {m:?} should contain {part:?}");
        self
    }

    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }
}

// ------------------------------------------------------------------------------- schemas

/// An Avro record schema text with the given fields (a JSON array).
pub fn record(name: &str, fields: Value) -> String {
    json!({"type": "record", "name": name, "fields": fields}).to_string()
}

/// `R { a: int }`
pub fn v1() -> String {
    record("R", json!([{"name": "a", "type": "int"}]))
}

/// `R { a: int, b: string = "x" }` — BACKWARD-compatible with v1.
pub fn v2() -> String {
    record("R", json!([{"name": "a", "type": "int"}, {"name": "b", "type": "string", "default": "x"}]))
}

/// `R { a: int, c: string }` — adds a field without default: BACKWARD-incompatible with v1.
pub fn v_required() -> String {
    record("R", json!([{"name": "a", "type": "int"}, {"name": "c", "type": "string"}]))
}

/// A record with no fields, distinct per name: handy for "some other schema".
pub fn other(name: &str) -> String {
    record(name, json!([]))
}

/// The canonical form Confluent stores for an Avro record text built by [`record`].
pub fn canonical(schema: &str) -> String {
    serde_json::to_string(&serde_json::from_str::<Value>(schema).unwrap()).unwrap()
}

/// Values of one field of every object in a JSON array.
pub fn pluck(v: &Value, field: &str) -> Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}")).iter().map(|x| x[field].clone()).collect()
}
