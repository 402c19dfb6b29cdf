//! The registry's own exporters keep working when the registry requires authentication: they
//! read their source (this registry) as the process's internal principal.

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{Server, SR_CONTENT_TYPE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exporter_of_a_secured_registry_exports() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.properties");
    // JAAS format; MD5 only with the migration flag (the password check is not what is tested).
    std::fs::write(&users, "alice: MD5:5f4dcc3b5aa765d61d8327deb882cf99,admins\n").unwrap();
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    let a = Server::start_with(&[
        "--data-dir",
        a_dir.to_str().unwrap(),
        "--auth-basic-users-file",
        users.to_str().unwrap(),
        "--auth-basic-allow-insecure-passwords",
    ]);
    let b = Server::start(&b_dir);
    let http = reqwest::Client::new();
    let send = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut r = http.request(method, format!("{}{path}", a.url)).header("Content-Type", SR_CONTENT_TYPE);
        if let Some(b) = body {
            r = r.body(b.to_string());
        }
        r
    };
    // Without credentials: 401.
    let anon = send(reqwest::Method::GET, "/subjects", None).send().await.unwrap();
    assert_eq!(anon.status(), 401);
    let r = send(reqwest::Method::POST, "/subjects/orders/versions", Some(json!({"schema": "\"string\""})))
        .basic_auth("alice", Some("password"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let exporter = json!({
        "name": "to-b",
        "contextType": "NONE",
        "subjects": ["*"],
        "config": {"schema.registry.url": b.url},
    });
    let r = send(reqwest::Method::POST, "/exporters", Some(exporter))
        .basic_auth("alice", Some("password"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let subjects: Value = http.get(format!("{}/subjects", b.url)).send().await.unwrap().json().await.unwrap();
        if subjects == json!(["orders"]) {
            break;
        }
        let status: Value = send(reqwest::Method::GET, "/exporters/to-b/status", None)
            .basic_auth("alice", Some("password"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(Instant::now() < deadline, "nothing exported; exporter status: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
