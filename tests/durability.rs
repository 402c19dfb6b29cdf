//! Acknowledged writes survive `kill -9`; ids are never reused; a torn log tail is recovered.

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use serde_json::{json, Value};
use support::Server;

const CT: &str = "application/vnd.schemaregistry.v1+json";

fn schema(writer: usize, n: usize) -> String {
    json!({
        "type": "record",
        "name": format!("W{writer}N{n}"),
        "namespace": "durability",
        "fields": [{"name": "f", "type": "string"}]
    })
    .to_string()
}

/// Register concurrently, kill -9 while requests are in flight, restart: every acknowledged
/// registration is there with its id and version, and the next id is above all of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_registrations_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let url = Arc::new(server.url.clone());
    let client = reqwest::Client::new();
    // Several unrelated schemas per subject: no compatibility rule applies to this workload.
    let r = client
        .put(format!("{url}/config"))
        .header("Content-Type", CT)
        .body(r#"{"compatibility":"NONE"}"#)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let acked = Arc::new(parking_acks());
    let mut tasks = Vec::new();
    for w in 0..16 {
        let (client, url, acked) = (client.clone(), url.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..10_000 {
                let subject = format!("dur-{w}-{}", n % 3);
                let body = json!({"schema": schema(w, n)});
                let resp = client
                    .post(format!("{url}/subjects/{subject}/versions"))
                    .header("Content-Type", CT)
                    .body(body.to_string())
                    .send()
                    .await;
                let Ok(resp) = resp else { return };
                let Ok(v) = resp.json::<Value>().await else { return };
                let (Some(id), Some(version)) = (v["id"].as_u64(), v["version"].as_u64()) else { return };
                acked.lock().unwrap().push((subject, version, id, schema(w, n)));
            }
        }));
    }
    // Let writes flow, then pull the plug mid-stream.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let n = acked.lock().unwrap().len();
        if n >= 300 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "only {n} registrations acknowledged in 60 s");
    }
    server.kill9();
    for t in tasks {
        let _ = t.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 300);

    let server = Server::start(dir.path());
    let mut max_id = 0;
    let mut by_id: BTreeMap<u64, String> = BTreeMap::new();
    for (subject, version, id, text) in &acked {
        let v: Value = client
            .get(format!("{}/subjects/{subject}/versions/{version}", server.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["id"].as_u64(), Some(*id), "{subject} v{version} lost or changed: {v}");
        let stored: Value = serde_json::from_str(v["schema"].as_str().unwrap()).unwrap();
        let sent: Value = serde_json::from_str(text).unwrap();
        assert_eq!(stored["name"], sent["name"]);
        assert!(by_id.insert(*id, text.clone()).is_none_or(|prev| prev == *text), "id {id} used for two schemas");
        max_id = max_id.max(*id);
    }
    // A new schema gets an id above every acknowledged one.
    let v: Value = client
        .post(format!("{}/subjects/after-restart/versions", server.url))
        .header("Content-Type", CT)
        .body(json!({"schema": schema(99, 99)}).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v["id"].as_u64().unwrap() > max_id, "id reused after restart: {v} (max acked {max_id})");
}

/// Garbage after the last record (a torn write) is cut off at start; the data before it serves.
#[tokio::test]
async fn corrupt_tail_is_truncated_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let server = Server::start(dir.path());
    for n in 0..5 {
        let r = client
            .post(format!("{}/subjects/tail-{n}/versions", server.url))
            .header("Content-Type", CT)
            .body(json!({"schema": schema(0, n)}).to_string())
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    server.kill9();
    let log = dir.path().join("schemas.log");
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(&[0xff, 0x00, 0x00, 0x10, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3]).unwrap();
    drop(f);

    let server = Server::start(dir.path());
    let subjects: Value = client.get(format!("{}/subjects", server.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(subjects.as_array().unwrap().len(), 5, "{subjects}");
    let r = client
        .post(format!("{}/subjects/tail-new/versions", server.url))
        .header("Content-Type", CT)
        .body(json!({"schema": schema(1, 1)}).to_string())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["id"], 6);
}

type Acks = std::sync::Mutex<Vec<(String, u64, u64, String)>>;

fn parking_acks() -> Acks {
    std::sync::Mutex::new(Vec::new())
}
