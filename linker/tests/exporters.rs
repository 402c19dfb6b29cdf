//! The `/exporters` API served by a Lockstep registry, exporting to another Lockstep registry.

mod common;

use common::*;
use serde_json::{json, Value};

const CT: &str = "application/vnd.schemaregistry.v1+json";

async fn call(method: &str, url: &str, body: Option<Value>) -> (u16, Value) {
    let http = reqwest::Client::new();
    let mut rb = match method {
        "GET" => http.get(url),
        "POST" => http.post(url),
        "PUT" => http.put(url),
        _ => http.delete(url),
    };
    if let Some(b) = body {
        rb = rb.header("Content-Type", CT).body(b.to_string());
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    if status != 204 {
        assert_eq!(r.headers()["content-type"], CT);
    }
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn exporters_api_runs_a_link_and_survives_a_restart() {
    let b = start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let state = dir.path().join("exporters");
    // Bind first so the exporters know this registry's own URL.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let url = format!("http://{addr}");
    let mgr = linker::exporters::ExporterManager::open(&state, url.clone()).await.unwrap();
    let a = start_at(&data, &addr, linker::exporters::router(mgr.clone())).await;
    let src = a.client();
    let id = register(&src, "orders", &avro_record("O", &[("a", "int")])).await;

    let ex = |p: &str| format!("{url}/exporters{p}");
    assert_eq!(call("GET", &ex(""), None).await, (200, json!([])));
    let create = json!({
        "name": "dr",
        "contextType": "CUSTOM",
        "context": ".dr",
        "subjects": ["*"],
        "config": {"schema.registry.url": b.url}
    });
    assert_eq!(call("POST", &ex(""), Some(create.clone())).await, (200, json!({"name": "dr"})));
    assert_eq!(call("POST", &ex(""), Some(create)).await.1["error_code"], 40960);
    let bad =
        json!({"name": "x", "config": {"schema.registry.url": b.url, "basic.auth.credentials.source": "SASL_INHERIT"}});
    let (s, e) = call("POST", &ex(""), Some(bad)).await;
    assert_eq!((s, e["error_code"].as_i64()), (409, Some(40951)));
    // A request budget towards the destination must be a positive number.
    for rate in ["abc", "0", "-5", "NaN"] {
        let bad =
            json!({"name": "x", "config": {"schema.registry.url": b.url, "lockstep.max.requests.per.second": rate}});
        let (s, e) = call("POST", &ex(""), Some(bad)).await;
        assert_eq!((s, e["error_code"].as_i64()), (409, Some(40951)), "{rate}: {e}");
        assert!(e["message"].as_str().unwrap().contains("lockstep.max.requests.per.second"), "{e}");
    }
    let (_, e) =
        call("POST", &ex(""), Some(json!({"name": "bad name!", "config": {"schema.registry.url": b.url}}))).await;
    assert_eq!(e["error_code"], 40950);
    let (_, e) = call(
        "POST",
        &ex(""),
        Some(json!({"name": "y", "subjects": [":nodot:x"], "config": {"schema.registry.url": b.url}})),
    )
    .await;
    assert_eq!(e["error_code"], 40952);
    assert_eq!(call("GET", &ex(""), None).await.1, json!(["dr"]));
    let (s, info) = call("GET", &ex("/dr"), None).await;
    assert_eq!(s, 200);
    assert_eq!((info["contextType"].as_str(), info["context"].as_str()), (Some("CUSTOM"), Some(".dr")));
    assert_eq!(
        call("GET", &ex("/nope"), None).await,
        (404, json!({"error_code": 40450, "message": "Exporter 'nope' not found."}))
    );

    let dst = b.client();
    let v = eventually(10, "export", || async { dst.version(":.dr:orders", "1").await.ok() }).await;
    assert_eq!(v.id, id);
    let (_, st) = call("GET", &ex("/dr/status"), None).await;
    assert_eq!((st["name"].as_str(), st["state"].as_str()), (Some("dr"), Some("RUNNING")));
    let t0 = std::time::Instant::now();
    let id2 = register(&src, "payments", &avro_record("P", &[("a", "int")])).await;
    let v = eventually(5, "followed", || async { dst.version(":.dr:payments", "1").await.ok() }).await;
    assert_eq!(v.id, id2);
    assert!(t0.elapsed() < std::time::Duration::from_secs(2));

    // State machine and its error codes.
    assert_eq!(call("PUT", &ex("/dr/resume"), None).await.1["error_code"], 40961);
    assert_eq!(call("PUT", &ex("/dr"), Some(json!({"subjects": ["o*"]}))).await.1["error_code"], 40963);
    assert_eq!(call("PUT", &ex("/dr/reset"), None).await.1["error_code"], 40963);
    assert_eq!(call("PUT", &ex("/dr/config"), Some(json!({"x": "y"}))).await.1["error_code"], 40963);
    assert_eq!(call("PUT", &ex("/dr/pause"), None).await, (200, json!({"name": "dr"})));
    assert_eq!(call("GET", &ex("/dr/status"), None).await.1["state"], "PAUSED");
    register(&src, "while-paused", &avro_record("W", &[("a", "int")])).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(dst.versions_with(":.dr:while-paused", true).await.unwrap().is_empty());
    assert_eq!(call("PUT", &ex("/dr/config"), Some(json!({"basic.auth.user.info": "u:p"}))).await.0, 200);
    // Secrets are masked on read; sending the mask back keeps the secret.
    assert_eq!(call("GET", &ex("/dr/config"), None).await.1["basic.auth.user.info"], "[hidden]");
    assert_eq!(call("GET", &ex("/dr"), None).await.1["config"]["basic.auth.user.info"], "[hidden]");
    assert_eq!(call("PUT", &ex("/dr/config"), Some(json!({"basic.auth.user.info": "[hidden]"}))).await.0, 200);
    let saved = std::fs::read_to_string(state.join("dr.json")).unwrap();
    assert!(saved.contains("u:p"), "{saved}");
    assert_eq!(call("PUT", &ex("/dr/reset"), None).await, (200, json!({"name": "dr"})));
    assert_eq!(call("GET", &ex("/dr/status"), None).await.1["offset"], 0);

    // A restart of the registry (and its exporter manager): the exporter is still there, paused.
    drop(a.stop().await);
    drop(mgr);
    let mgr = linker::exporters::ExporterManager::open(&state, url.clone()).await.unwrap();
    let a = start_at(&data, &addr, linker::exporters::router(mgr.clone())).await;
    assert_eq!(call("GET", &ex(""), None).await.1, json!(["dr"]));
    assert_eq!(call("GET", &ex("/dr/status"), None).await.1["state"], "PAUSED");
    assert_eq!(call("PUT", &ex("/dr/resume"), None).await.0, 200);
    eventually(10, "resumed export", || async { dst.version(":.dr:while-paused", "1").await.ok() }).await;
    // The initial pass after a reset ends by taking the feed's position.
    let st = eventually(10, "position", || async {
        let (_, st) = call("GET", &ex("/dr/status"), None).await;
        (st["offset"].as_u64()? > 0).then_some(st)
    })
    .await;
    assert_eq!(st["state"], "RUNNING");

    assert_eq!(call("DELETE", &ex("/dr"), None).await.0, 204);
    assert_eq!(call("GET", &ex("/dr"), None).await.1["error_code"], 40450);
    assert_eq!(call("GET", &ex(""), None).await.1, json!([]));
    mgr.shutdown().await;
    drop(a.stop().await);
}

#[tokio::test]
async fn an_exporter_in_error_names_both_sides_and_resumes_after_the_fix() {
    let b = start().await;
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let url = format!("http://{addr}");
    let mgr = linker::exporters::ExporterManager::open(&dir.path().join("ex"), url.clone()).await.unwrap();
    let a = start_at(&dir.path().join("data"), &addr, linker::exporters::router(mgr.clone())).await;
    let theirs = avro_record("Theirs", &[("t", "int")]);
    register(&b.client(), "mine", &theirs).await; // id 1 taken on the destination (default context)
    register(&a.client(), "orders", &avro_record("Ours", &[("a", "int")])).await;
    let create = json!({"name": "e", "contextType": "NONE", "config": {"schema.registry.url": b.url}});
    assert_eq!(call("POST", &format!("{url}/exporters"), Some(create)).await.0, 200);
    let st = eventually(10, "ERROR", || async {
        let (_, st) = call("GET", &format!("{url}/exporters/e/status"), None).await;
        (st["state"] == "ERROR").then_some(st)
    })
    .await;
    let trace = st["trace"].as_str().unwrap();
    assert!(trace.contains(&url) && trace.contains(&b.url) && trace.contains("orders"), "{trace}");
    assert_eq!(b.client().schema_by_id(1).await.unwrap(), theirs);
    // Fix: free the id on the destination, then resume.
    b.client().delete_subject("mine", false).await.unwrap();
    b.client().delete_subject("mine", true).await.unwrap();
    assert_eq!(call("PUT", &format!("{url}/exporters/e/resume"), None).await.0, 200);
    eventually(10, "resumed", || async { b.client().version("orders", "1").await.ok() }).await;
    mgr.shutdown().await;
    drop(a.stop().await);
}

async fn manager(options: linker::exporters::ExporterOptions) -> (String, Reg, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let url = format!("http://{addr}");
    let mgr =
        linker::exporters::ExporterManager::open_with(&dir.path().join("ex"), url.clone(), options).await.unwrap();
    let a = start_at(&dir.path().join("data"), &addr, linker::exporters::router(mgr)).await;
    (url, a, dir)
}

#[tokio::test]
async fn exporters_read_no_arbitrary_files_and_reach_only_allowed_destinations() {
    let b = start().await;
    let (url, _a, _d) = manager(Default::default()).await;
    let ex = format!("{url}/exporters");
    let with = |ca: &str| json!({"name": "t", "config": {"schema.registry.url": b.url, "schema.registry.ssl.ca.location": ca}});
    // /dev/zero is refused at once (not read), and a missing file gets the same answer.
    let t0 = std::time::Instant::now();
    let (s, zero) = call("POST", &ex, Some(with("/dev/zero"))).await;
    assert!(t0.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!((s, zero["error_code"].as_i64()), (409, Some(40951)));
    let (_, missing) = call("POST", &ex, Some(with("/nonexistent/ca.pem"))).await;
    let (_, existing) = call("POST", &ex, Some(with("/etc/hostname"))).await;
    assert_eq!(zero, missing);
    assert_eq!(zero, existing);

    // A directory allowed for files, and an allow-list of destinations.
    let files = tempfile::tempdir().unwrap();
    std::fs::write(files.path().join("not-pem.txt"), "hello").unwrap();
    let opts = linker::exporters::ExporterOptions {
        file_dir: Some(files.path().to_path_buf()),
        allowed_destinations: vec![b.url.clone()],
        ..Default::default()
    };
    let (url, _a2, _d2) = manager(opts).await;
    let ex = format!("{url}/exporters");
    let (_, e) = call("POST", &ex, Some(with("../../etc/hostname"))).await;
    assert_eq!(e, zero, "no escape from the allowed directory");
    let (_, e) = call("POST", &ex, Some(with("not-pem.txt"))).await;
    assert!(e["message"].as_str().unwrap().contains("PEM"), "{e}");
    let other = json!({"name": "o", "config": {"schema.registry.url": "http://169.254.169.254"}});
    let (s, e) = call("POST", &ex, Some(other)).await;
    assert_eq!((s, e["error_code"].as_i64()), (409, Some(40951)));
    assert!(e["message"].as_str().unwrap().contains("not an allowed destination"), "{e}");
    let ok = json!({"name": "ok", "contextType": "CUSTOM", "context": ".c", "config": {"schema.registry.url": b.url}});
    assert_eq!(call("POST", &ex, Some(ok)).await.0, 200);
}

#[tokio::test]
async fn an_exporter_refuses_its_own_registry_but_exports_between_its_contexts() {
    let (url, a, _d) = manager(Default::default()).await;
    let ex = format!("{url}/exporters");
    let src = a.client();
    register(&src, "orders", &avro_record("O", &[("a", "int")])).await;
    // Itself under another name (localhost instead of 127.0.0.1): recognised by instance id.
    let port = a.addr.port();
    let me = json!({"name": "me", "contextType": "NONE", "config": {"schema.registry.url": format!("http://localhost:{port}")}});
    let (s, e) = call("POST", &ex, Some(me)).await;
    assert_eq!((s, e["error_code"].as_i64()), (409, Some(40951)), "{e}");
    assert!(e["message"].as_str().unwrap().contains("source registry itself"), "{e}");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(src.get_mode(Some("orders"), true).await.unwrap().as_deref(), Some("READWRITE"));
    // Without a URL: an export within the registry, into another context.
    let copy = json!({"name": "copy", "contextType": "CUSTOM", "context": ".copy", "config": {}});
    assert_eq!(call("POST", &ex, Some(copy)).await.0, 200);
    let v = eventually(10, "copied", || async { src.version(":.copy:orders", "1").await.ok() }).await;
    assert_eq!(v.id, 1);
    assert_eq!(src.get_mode(Some("orders"), true).await.unwrap().as_deref(), Some("READWRITE"));
    let same = json!({"name": "same", "contextType": "NONE", "config": {}});
    assert_eq!(call("POST", &ex, Some(same)).await.1["error_code"], 40951);
}
