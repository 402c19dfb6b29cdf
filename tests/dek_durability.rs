//! DEK Registry keys are as durable as schemas: every acknowledged KEK and DEK write survives
//! `kill -9` of the registry in the middle of a stream of writes.

mod support;

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use support::{get_json, Server, SR_CONTENT_TYPE as CT};

const K: &str = "dek-registry/v1/keks";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_keys_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let url = Arc::new(server.url.clone());
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{url}/{K}"))
        .header("Content-Type", CT)
        .body(json!({"name": "kek1", "kmsType": "local-kms", "kmsKeyId": "k"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let acked: Arc<Mutex<Vec<(String, u64, String)>>> = Arc::default();
    let mut tasks = Vec::new();
    for w in 0..8 {
        let (client, url, acked) = (client.clone(), url.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..100_000u64 {
                let subject = format!("s-{w}-{}", n % 5);
                let version = n / 5 + 1;
                let material = format!("K{w}x{n}");
                let body = json!({"version": version, "encryptedKeyMaterial": material});
                let Ok(resp) = client
                    .post(format!("{url}/{K}/kek1/deks/{subject}"))
                    .header("Content-Type", CT)
                    .body(body.to_string())
                    .send()
                    .await
                else {
                    return;
                };
                let Ok(v) = resp.json::<Value>().await else { return };
                if v["encryptedKeyMaterial"] != json!(material) {
                    return;
                }
                acked.lock().unwrap().push((subject, version, material));
            }
        }));
    }
    let acked = support::kill9_after_acks(server, &acked, tasks, 300, "DEK writes").await;

    let server = Server::start(dir.path());
    let kek = get_json(&client, &format!("{}/{K}/kek1", server.url)).await;
    assert_eq!(kek["kmsKeyId"], "k", "{kek}");
    for (subject, version, material) in &acked {
        let d = get_json(&client, &format!("{}/{K}/kek1/deks/{subject}/versions/{version}", server.url)).await;
        assert_eq!(d["encryptedKeyMaterial"], json!(material), "{subject} v{version} lost or changed: {d}");
    }
}
