//! Acknowledged writes survive `kill -9`; ids are never reused; a torn log tail is recovered;
//! damage in the middle of the log stops start-up and `lockstep registry repair` recovers every
//! intact record; compaction survives `kill -9` at every step.

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use serde_json::{json, Value};
use support::{get_json, register_schema, Server, SR_CONTENT_TYPE as CT};

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
    compatibility_none(&client, &url).await;
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
    let acked = support::kill9_after_acks(server, &acked, tasks, 300, "registrations").await;

    let server = Server::start(dir.path());
    let mut max_id = 0;
    let mut by_id: BTreeMap<u64, String> = BTreeMap::new();
    for (subject, version, id, text) in &acked {
        let v = get_json(&client, &format!("{}/subjects/{subject}/versions/{version}", server.url)).await;
        assert_eq!(v["id"].as_u64(), Some(*id), "{subject} v{version} lost or changed: {v}");
        let stored: Value = serde_json::from_str(v["schema"].as_str().unwrap()).unwrap();
        let sent: Value = serde_json::from_str(text).unwrap();
        assert_eq!(stored["name"], sent["name"]);
        assert!(by_id.insert(*id, text.clone()).is_none_or(|prev| prev == *text), "id {id} used for two schemas");
        max_id = max_id.max(*id);
    }
    // A new schema gets an id above every acknowledged one.
    let v = register_schema(&client, &server.url, "after-restart", &schema(99, 99)).await;
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
    let subjects = get_json(&client, &format!("{}/subjects", server.url)).await;
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
    // The cut bytes could have held one more registration: its id is skipped, never reused.
    assert_eq!(v["id"], 7);
}

type Acks = std::sync::Mutex<Vec<(String, u64, u64, String)>>;

/// Global compatibility NONE: the workloads register unrelated schemas under one subject.
async fn compatibility_none(client: &reqwest::Client, url: &str) {
    let r = client
        .put(format!("{url}/config"))
        .header("Content-Type", CT)
        .body(r#"{"compatibility":"NONE"}"#)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

fn parking_acks() -> Acks {
    std::sync::Mutex::new(Vec::new())
}

async fn register(client: &reqwest::Client, url: &str, subject: &str, text: &str) -> (u64, u64) {
    let v = register_schema(client, url, subject, text).await;
    (v["id"].as_u64().unwrap_or_else(|| panic!("{v}")), v["version"].as_u64().unwrap())
}

/// `lockstep ARGS...` to completion: (exit code, stdout, stderr). Bounded by 60 s.
fn run_lockstep(args: &[&str], envs: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(args)
        .envs(envs.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("lockstep {args:?} did not exit: {}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Byte positions where each frame of the log starts.
fn frame_starts(log: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut pos = 0;
    while pos + 8 <= log.len() {
        starts.push(pos);
        pos += 8 + u32::from_le_bytes(log[pos..pos + 4].try_into().unwrap()) as usize;
    }
    starts
}

/// 30 acknowledged registrations, the data dir, the server stopped.
async fn thirty_registrations(client: &reqwest::Client) -> (tempfile::TempDir, Vec<(String, u64, u64, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let mut acked = Vec::new();
    for n in 0..30 {
        let subject = format!("mid-{n}");
        let (id, version) = register(client, &server.url, &subject, &schema(5, n)).await;
        acked.push((subject, version, id, schema(5, n)));
    }
    server.kill9();
    (dir, acked)
}

/// Damage in the middle (a flipped byte, or a bad length field) with intact records after it:
/// start-up stops naming the byte, `verify` reports it, `repair` keeps every intact record and
/// no id is ever handed out twice.
#[tokio::test]
async fn mid_log_damage_stops_start_and_repair_recovers_every_intact_record() {
    let client = reqwest::Client::new();
    for damage in ["flipped byte", "bad length"] {
        let (dir, acked) = thirty_registrations(&client).await;
        let log_path = dir.path().join("schemas.log");
        let mut log = std::fs::read(&log_path).unwrap();
        let starts = frame_starts(&log);
        // The frame of registration #12.
        let at = starts[12];
        match damage {
            "flipped byte" => log[at + 40] ^= 0x20,
            _ => log[at..at + 4].copy_from_slice(&0x7fff_0000u32.to_le_bytes()),
        }
        std::fs::write(&log_path, &log).unwrap();
        let d = dir.path().to_str().unwrap();

        let (code, _, stderr) = run_lockstep(&["registry", "--listen", "127.0.0.1:0", "--data-dir", d], &[]);
        assert_eq!(code, Some(2), "{damage}: start-up must fail: {stderr}");
        assert!(stderr.contains(&format!("damaged at byte {at}")), "{damage}: {stderr}");
        assert_eq!(std::fs::read(&log_path).unwrap(), log, "{damage}: a failed start must not change the log");

        let (code, out, _) = run_lockstep(&["registry", "verify", "--data-dir", d], &[]);
        assert_eq!(code, Some(1), "{damage}: {out}");
        assert!(out.contains(&format!("DAMAGED: bytes {at}..")), "{damage}: {out}");

        let (code, out, err) = run_lockstep(&["registry", "repair", "--data-dir", d], &[]);
        assert_eq!(code, Some(0), "{damage}: {out} {err}");
        assert!(out.contains("repaired: 29 intact records kept"), "{damage}: {out}");
        let (code, out, _) = run_lockstep(&["registry", "verify", "--data-dir", d], &[]);
        assert_eq!(code, Some(0), "{damage}: {out}");

        let server = Server::start(dir.path());
        let mut missing = Vec::new();
        for (subject, version, id, _) in &acked {
            let r = client.get(format!("{}/subjects/{subject}/versions/{version}", server.url)).send().await.unwrap();
            if r.status() == 404 {
                missing.push(subject.clone());
                continue;
            }
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["id"].as_u64(), Some(*id), "{damage}: {subject} changed: {v}");
        }
        assert_eq!(missing, vec!["mid-12".to_string()], "{damage}: only the damaged record may be lost");
        // A new schema never gets the id the lost record had (or any other acknowledged id).
        let (id, _) = register(&client, &server.url, "after-repair", &schema(6, 0)).await;
        let max = acked.iter().map(|a| a.2).max().unwrap();
        assert!(id > max, "{damage}: id {id} may be reused (highest acknowledged {max})");
        // The damaged file is kept.
        let kept = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with("schemas.log.damaged-"));
        assert!(kept, "{damage}: damaged log not kept");
    }
}

/// A bad length field in the last record, with nothing valid after it, is a torn tail: the
/// registry starts without that record and skips its id.
#[tokio::test]
async fn bad_length_in_the_last_record_is_a_torn_tail() {
    let client = reqwest::Client::new();
    let (dir, acked) = thirty_registrations(&client).await;
    let log_path = dir.path().join("schemas.log");
    let mut log = std::fs::read(&log_path).unwrap();
    let last = *frame_starts(&log).last().unwrap();
    log[last..last + 4].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
    std::fs::write(&log_path, &log).unwrap();
    let server = Server::start(dir.path());
    let subjects = get_json(&client, &format!("{}/subjects", server.url)).await;
    assert_eq!(subjects.as_array().unwrap().len(), 29, "{subjects}");
    let (id, _) = register(&client, &server.url, "after-tail", &schema(6, 1)).await;
    assert!(id > acked.iter().map(|a| a.2).max().unwrap(), "id {id} reused");
}

async fn changes_text(client: &reqwest::Client, url: &str) -> String {
    client.get(format!("{url}/lockstep/changes?from=0&limit=10000")).send().await.unwrap().text().await.unwrap()
}

/// kill -9 at every step of a compaction (test hook), restart: every acknowledged write is
/// there once, hard-deleted schemas are gone (also from the change feed), no id is reused. A
/// compaction that completes leaves no hard-deleted schema text in the file.
#[tokio::test]
async fn compaction_survives_kill_9_at_every_step() {
    let client = reqwest::Client::new();
    for abort_at in ["1", "2", "3", "4", "5", "none"] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap().to_string();
        let server = Server::start(dir.path());
        compatibility_none(&client, &server.url).await;
        let mut kept = Vec::new();
        let mut max_id = 0;
        for n in 0..20 {
            let subject = format!("c-{}", n % 5);
            let text = schema(7, n);
            let (id, version) = register(&client, &server.url, &subject, &text).await;
            max_id = max_id.max(id);
            kept.push((subject, version, id));
        }
        // Hard-delete a subject holding the highest ids, version by version.
        for n in 1..=10 {
            let (id, _) = register(&client, &server.url, "doomed", &schema(8, n)).await;
            max_id = max_id.max(id);
        }
        for n in 1..=10 {
            for permanent in ["false", "true"] {
                let url = format!("{}/subjects/doomed/versions/{n}?permanent={permanent}", server.url);
                assert!(client.delete(url).send().await.unwrap().status().is_success());
            }
        }
        assert!(!changes_text(&client, &server.url).await.contains("W8N"), "feed serves a hard-deleted schema");
        server.kill9();
        let before = std::fs::metadata(dir.path().join("schemas.log")).unwrap().len();

        // Restart with compaction due at once; the hook aborts at the given step.
        let mut envs = vec![("LOCKSTEP_COMPACT_MIN_BYTES", "1"), ("LOCKSTEP_COMPACT_INTERVAL_MS", "50")];
        if abort_at != "none" {
            envs.push(("LOCKSTEP_TEST_COMPACT_ABORT_AT", abort_at));
            let (code, _, stderr) = run_lockstep(&["registry", "--listen", "127.0.0.1:0", "--data-dir", &d], &envs);
            assert_eq!(code, None, "step {abort_at}: expected an abort: {stderr}");
        } else {
            let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
                .args(["registry", "--listen", "127.0.0.1:0", "--data-dir", &d])
                .envs(envs.iter().copied())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while std::fs::metadata(dir.path().join("schemas.log")).unwrap().len() >= before {
                assert!(std::time::Instant::now() < deadline, "never compacted");
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
            let text = String::from_utf8_lossy(&std::fs::read(dir.path().join("schemas.log")).unwrap()).into_owned();
            assert!(!text.contains("W8N"), "hard-deleted schema text survived compaction");
        }

        let server = Server::start(dir.path());
        let subjects = get_json(&client, &format!("{}/subjects", server.url)).await;
        assert_eq!(subjects, json!(["c-0", "c-1", "c-2", "c-3", "c-4"]), "step {abort_at}");
        for (subject, version, id) in &kept {
            let v = get_json(&client, &format!("{}/subjects/{subject}/versions/{version}", server.url)).await;
            assert_eq!(v["id"].as_u64(), Some(*id), "step {abort_at}: {subject} v{version}: {v}");
        }
        let versions = get_json(&client, &format!("{}/subjects/c-0/versions", server.url)).await;
        assert_eq!(versions, json!([1, 2, 3, 4]), "step {abort_at}: duplicated or lost versions");
        let r = client.get(format!("{}/schemas/ids/{max_id}", server.url)).send().await.unwrap();
        assert_eq!(r.status(), 404, "step {abort_at}: hard-deleted id {max_id} still served");
        assert!(!changes_text(&client, &server.url).await.contains("W8N"), "step {abort_at}: feed");
        let (id, _) = register(&client, &server.url, "fresh", &schema(9, 9)).await;
        assert!(id > max_id, "step {abort_at}: id {id} reused (highest ever {max_id})");
        assert!(!dir.path().join("schemas.log.compact").exists(), "step {abort_at}: leftover");
    }
}
