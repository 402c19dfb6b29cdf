//! The per-request work budget (`RegistryConfig::work`, `--max-request-work`): parsing, reference
//! resolution and compatibility checks of every format are charged to it, and past it the
//! request gets `422 {"error_code":42290,…}` naming the limit, while other requests are served.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common;

const UNITS: u64 = 5_000_000;

async fn small_budget_server() -> (common::Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = registry::RegistryConfig {
        work: registry::budget::WorkLimit { units: UNITS, time: None },
        ..Default::default()
    };
    (common::start_with(dir.path(), config).await, dir)
}

/// A top-level union of `n` records: checking it against another such union pairs every writer
/// branch with the reader branches before its match (quadratic), while parsing it is cheap.
fn avro_union(n: usize) -> String {
    let branches: Vec<Value> = (0..n)
        .map(|i| json!({"type": "record", "name": format!("R{i}"), "fields": [{"name": "a", "type": "int"}]}))
        .collect();
    Value::Array(branches).to_string()
}

/// `allOf` of `n` subschemas: compared pairwise.
fn json_all_of(n: usize) -> String {
    let branches: Vec<Value> = (0..n).map(|i| json!({"properties": {format!("p{i}"): {"type": "integer"}}})).collect();
    json!({ "allOf": branches }).to_string()
}

/// `n` fields and `n` reserved numbers: the compiler tests every field against every range.
fn protobuf_reserved(n: usize) -> String {
    let mut text = String::from("syntax = \"proto3\";\nmessage M {\n");
    for i in 1..=n {
        text.push_str(&format!("  reserved {};\n  int32 f{i} = {i};\n", 100_000 + i));
    }
    text + "}\n"
}

fn assert_over_budget(r: &common::Resp, what: &str) {
    assert_eq!((r.status, r.body["error_code"].as_u64()), (422, Some(42290)), "{what}: {}", r.body);
    let message = r.body["message"].as_str().unwrap_or_default();
    assert!(message.contains(&format!("{UNITS} units")) && message.contains("max.request.work"), "{what}: {message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pathological_schemas_of_every_format_hit_the_work_budget() {
    let (s, _dir) = small_budget_server().await;
    // Version 1 of each subject is large (parsing it is cheap; nothing to check it against).
    s.post("/subjects/a/versions", json!({ "schema": avro_union(1_000) })).await.ok();
    s.post("/subjects/j/versions", json!({ "schema": json_all_of(1_000), "schemaType": "JSON" })).await.ok();
    s.post("/subjects/p/versions", json!({ "schema": protobuf_reserved(20), "schemaType": "PROTOBUF" })).await.ok();
    // A small schema checked against it stays within the budget (an answer, not 42290).
    let r = s.post("/compatibility/subjects/a/versions/latest", json!({ "schema": avro_union(20) })).await;
    assert_eq!(r.body["is_compatible"], false, "{}", r.body);
    let r = s
        .post("/compatibility/subjects/j/versions/latest", json!({ "schema": json_all_of(20), "schemaType": "JSON" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let heavy = [
        ("avro", "a", json!({ "schema": avro_union(1_001) })),
        ("json", "j", json!({ "schema": json_all_of(1_001), "schemaType": "JSON" })),
        ("protobuf", "p", json!({ "schema": protobuf_reserved(3_000), "schemaType": "PROTOBUF" })),
    ];
    for (what, subject, body) in heavy {
        // The same input fails the same way as a compatibility check, a registration and a lookup.
        let r = s.post(&format!("/compatibility/subjects/{subject}/versions/latest"), body.clone()).await;
        assert_over_budget(&r, what);
        // Registering parses (Protobuf: over the budget already) and checks against version 1.
        let r = s.post(&format!("/subjects/{subject}/versions"), body.clone()).await;
        assert_over_budget(&r, what);
        let r = s.get(&format!("/subjects/{subject}/versions")).await;
        assert_eq!(r.body, json!([1]), "{what}: nothing was registered");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_served_while_requests_run_over_the_budget() {
    let (s, _dir) = small_budget_server().await;
    s.post("/subjects/a/versions", json!({ "schema": avro_union(1_000) })).await.ok();
    let heavy = json!({ "schema": avro_union(1_001) });
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (http, url, body) = (s.http.clone(), s.url("/compatibility/subjects/a/versions/latest"), heavy.clone());
            tokio::spawn(async move {
                let r = http.post(url).header("Content-Type", common::CT).body(body.to_string()).send().await;
                let r = r.expect("answered");
                let status = r.status().as_u16();
                let body: Value = r.json().await.expect("json");
                (status, body["error_code"].as_u64())
            })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let start = Instant::now();
        let r = s.get("/subjects/a/versions/1").await;
        assert_eq!(r.status, 200, "{}", r.body);
        slowest = slowest.max(start.elapsed());
    }
    for w in writers {
        assert_eq!(w.await.unwrap(), (422, Some(42290)));
    }
    assert!(slowest < Duration::from_secs(2), "a read waited {slowest:?}");
}
