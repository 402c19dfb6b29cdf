//! Clients that misbehave cannot lose or stall a write, and expensive requests stay bounded.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::common::{self, CT};

fn gone_schema(i: usize) -> String {
    common::record(&format!("Gone{i}"), json!([{"name": "a", "type": "int"}]))
}

async fn readable_subjects(s: &common::Server) -> BTreeSet<String> {
    let all = s.get("/subjects").await;
    all.body.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

/// Clients send a registration and close their socket at once (some before the server has read
/// the request, some while the write is being made durable). A write that reached the log must
/// be readable without waiting for another write, and an identical retry must not hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_from_a_client_that_disconnects_is_published() {
    let s = common::start().await;
    let addr = s.base.trim_start_matches("http://").to_string();
    for i in 0..24 {
        let body = json!({ "schema": gone_schema(i) }).to_string();
        let req = format!(
            "POST /subjects/gone-{i}/versions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {CT}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let mut sock = tokio::net::TcpStream::connect(&addr).await.unwrap();
        sock.write_all(req.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(i as u64 % 4)).await;
        drop(sock);
        // A write cut off between its append and its publication would leave this retry waiting
        // for a durability notice that never comes.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let retry = tokio::time::timeout(
            Duration::from_secs(3),
            s.register_req(&format!("gone-{i}"), json!({ "schema": gone_schema(i) })),
        )
        .await
        .expect("an identical retry hung");
        assert_eq!(retry.status, 200, "{}", retry.text);
        assert_eq!(retry.body["version"], 1);
    }
    // What readers see is what the log holds (a restart reads the log).
    let seen = readable_subjects(&s).await;
    let dir = s.stop().await.expect("the test server owns its dir");
    let s = common::start_at(dir.path()).await;
    let logged = readable_subjects(&s).await;
    assert_eq!(seen, logged, "writes in the log that readers never saw");
}

/// Each level references the level below 64 times (under 64 names): without memoised
/// resolution, level k expands 64^k paths. Every level must register promptly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_fan_out_is_resolved_once_per_version() {
    let s = common::start().await;
    let base = json!({"type": "object", "properties": {"leaf": {"type": "string"}}});
    let r = s.register_req("fan-0", json!({"schemaType": "JSON", "schema": base.to_string()})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let started = std::time::Instant::now();
    for level in 1..=5 {
        let mut props = serde_json::Map::new();
        let mut refs = Vec::new();
        for i in 0..64 {
            let name = format!("l{level}-r{i}.json");
            props.insert(format!("p{i}"), json!({ "$ref": name }));
            refs.push(json!({"name": name, "subject": format!("fan-{}", level - 1), "version": 1}));
        }
        let schema = json!({"type": "object", "properties": props});
        let body = json!({"schemaType": "JSON", "schema": schema.to_string(), "references": refs});
        let r = tokio::time::timeout(Duration::from_secs(60), s.register_req(&format!("fan-{level}"), body))
            .await
            .expect("registration hung");
        assert_eq!(r.status, 200, "level {level}: {}", r.text);
    }
    // Generous for a debug build on a loaded 2-core machine; exponential expansion takes minutes.
    assert!(started.elapsed() < Duration::from_secs(20), "fan-out took {:?}", started.elapsed());
}

/// Context names with control characters are refused like subject names with them (42208).
#[tokio::test]
async fn control_characters_in_a_context_name_are_refused() {
    let s = common::start().await;
    let schema = common::record("Ctl", json!([{"name": "a", "type": "int"}]));
    let r = s.register_req(":.bad%01ctx:orders", json!({ "schema": schema })).await;
    r.err(422, 42208);
    let r = s.get("/contexts").await;
    assert!(!r.text.contains("bad"), "{}", r.text);
}

/// IMPORT at the highest version there is: the next registration is refused, not answered with
/// a version that cannot be read back.
#[tokio::test]
async fn no_version_past_the_highest() {
    let s = common::start().await;
    s.set_mode("/mode/top", "IMPORT").await;
    let schema = common::record("Top", json!([{"name": "a", "type": "int"}]));
    let r = s.register_req("top", json!({"schema": schema, "id": 7, "version": 2147483647})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.set_mode("/mode/top", "READWRITE").await;
    let other = common::record(
        "Top",
        json!([{"name": "a", "type": "int"}, {"name": "b", "type": ["null", "int"], "default": null}]),
    );
    let r = s.register_req("top", json!({ "schema": other })).await;
    r.err(422, 42202);
    assert_eq!(s.get("/subjects/top/versions").await.body, json!([2147483647]));
}

/// A subject that is not UTF-8 once decoded is a JSON error like every other, not plain text.
#[tokio::test]
async fn an_undecodable_path_is_a_json_error() {
    let s = common::start().await;
    let r = s.get("/subjects/%FF/versions").await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.body["error_code"], 400, "{}", r.text);
    assert!(r.body["message"].as_str().unwrap().contains("UTF-8"), "{}", r.text);
    assert!(r.content_type.unwrap_or_default().contains("json"));
}
