//! A Jepsen-style history check of the registry cluster on the Kafka store (issue 15).
//!
//! Three nodes on one topic of their own broker, eight writers per node registering schemas in
//! overlapping subjects of three contexts for `LOCKSTEP_JEPSEN_SECONDS` (default 60), while a
//! nemesis kills -9 the leader (and starts it again), pauses a node with SIGSTOP for 10 s, and
//! restarts the broker. Every operation and fault is recorded as a JSON line in
//! `target/tmp/jepsen-history-<pid>.jsonl` (printed on failure) so a failing run can be studied
//! and replayed. Afterwards, on every node and on a node rebuilt from the topic:
//! - every acknowledged registration is there with its acknowledged id and version;
//! - no id holds two schemas and no schema has two ids, per context;
//! - each subject's versions are 1..n, each schema once per subject;
//! - every node says the same.
//!
//! Needs Kafka: `tests/kafka/store.sh` runs it (`#[ignore]` for plain `cargo test`).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::Server;

const WRITERS_PER_NODE: usize = 8;
const SUBJECTS: &[&str] = &["a", "b", "c", ":.eu:a", ":.eu:b", ":.eu:c", ":.us:a", ":.us:b", ":.us:c"];
/// Schemas shared by every writer (racing for the same ids and versions); one registration in
/// eight is a schema of the writer's own instead, so new ids and versions keep coming.
const SHARED_SCHEMAS: usize = 40;

fn kafka_script(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/kafka");
    let out = std::process::Command::new(script).args(args).output().unwrap();
    assert!(out.status.success(), "scripts/kafka {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

struct Broker(String);

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/kafka"))
            .args(["stop", &self.0])
            .output();
    }
}

fn schema(name: &str) -> String {
    json!({"type": "record", "name": name, "fields": [{"name": "f", "type": "string"}]}).to_string()
}

fn context_of(subject: &str) -> &str {
    subject.strip_prefix(':').and_then(|s| s.split(':').next()).unwrap_or(".")
}

/// The history: one JSON line per operation or fault.
struct History {
    started: Instant,
    file: Mutex<std::fs::File>,
    path: std::path::PathBuf,
}

impl History {
    fn new() -> History {
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("jepsen-history-{}.jsonl", std::process::id()));
        let file = Mutex::new(std::fs::File::create(&path).unwrap());
        History { started: Instant::now(), file, path }
    }
    fn ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }
    fn log(&self, mut v: Value) {
        v["at_ms"] = json!(self.ms());
        let _ = writeln!(self.file.lock().unwrap(), "{v}");
    }
}

/// The cluster's nodes: each slot holds the node's current process (restarted after a kill).
struct Nodes {
    topic: String,
    bootstrap: String,
    slots: Vec<Mutex<Option<Server>>>,
    urls: Vec<Mutex<String>>,
}

impl Nodes {
    fn start_node(&self) -> Server {
        let dir = std::env::temp_dir().join(format!("lockstep-jepsen-{}-{}", std::process::id(), rand_u64()));
        Server::start_with(&[
            "--kafka-bootstrap",
            &self.bootstrap,
            "--kafka-topic",
            &self.topic,
            "--kafka-timeout-ms",
            "5000",
            "--data-dir",
            &dir.to_string_lossy(),
        ])
    }
    fn url(&self, i: usize) -> String {
        self.urls[i].lock().unwrap().clone()
    }
    fn pid(&self, i: usize) -> Option<u32> {
        self.slots[i].lock().unwrap().as_ref().map(|s| s.child.id())
    }
    fn kill9(&self, i: usize) {
        if let Some(s) = self.slots[i].lock().unwrap().take() {
            s.kill9();
        }
    }
    fn restart(&self, i: usize) {
        let s = self.start_node();
        *self.urls[i].lock().unwrap() = s.url.clone();
        *self.slots[i].lock().unwrap() = Some(s);
    }
}

fn signal(sig: &str, pid: u32) {
    let ok = std::process::Command::new("kill").args([sig, &pid.to_string()]).status().is_ok_and(|s| s.success());
    assert!(ok, "kill {sig} {pid} failed");
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(Instant::now().elapsed().as_nanos() as u64);
    h.finish()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

async fn get(c: &reqwest::Client, url: &str) -> Option<(u16, Value)> {
    let r = c.get(url).send().await.ok()?;
    let status = r.status().as_u16();
    Some((status, r.json().await.unwrap_or(Value::Null)))
}

/// The node that says it is the leader (metric `lockstep_registry_leader … 1`), if any does.
async fn leader(nodes: &Nodes) -> Option<usize> {
    let c = client();
    for i in 0..nodes.slots.len() {
        let Ok(r) = c.get(format!("{}/metrics", nodes.url(i))).send().await else { continue };
        let text = r.text().await.unwrap_or_default();
        let is_leader = text.lines().any(|l| l.starts_with("lockstep_registry_leader") && l.trim_end().ends_with(" 1"));
        if is_leader {
            return Some(i);
        }
    }
    None
}

/// (subject, version) → (id, schema) as one node says it.
async fn dump(base: &str) -> Result<BTreeMap<(String, u64), (u64, String)>, String> {
    let c = client();
    let mut out = BTreeMap::new();
    for s in SUBJECTS {
        let (status, versions) =
            get(&c, &format!("{base}/subjects/{s}/versions")).await.ok_or(format!("{base}: no answer"))?;
        if status == 404 {
            continue;
        }
        if status != 200 {
            return Err(format!("{base} {s}: {status} {versions}"));
        }
        for v in versions.as_array().into_iter().flatten() {
            let v = v.as_u64().unwrap_or_default();
            let (status, body) =
                get(&c, &format!("{base}/subjects/{s}/versions/{v}")).await.ok_or(format!("{base}: no answer"))?;
            if status != 200 {
                return Err(format!("{base} {s}/{v}: {status} {body}"));
            }
            let schema = body["schema"].as_str().unwrap_or_default().to_string();
            out.insert((s.to_string(), v), (body["id"].as_u64().unwrap_or_default(), schema));
        }
    }
    Ok(out)
}

/// One writer: registrations on its node (another one when its node does not answer).
async fn writer(w: usize, nodes: Arc<Nodes>, history: Arc<History>, stop: Arc<AtomicBool>) -> Vec<Value> {
    let c = client();
    let mut acked = Vec::new();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(w as u64 + 1);
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let subject = SUBJECTS[(seed >> 33) as usize % SUBJECTS.len()];
        let name = if (seed >> 7).is_multiple_of(8) {
            format!("W{w}_{}", history.ms())
        } else {
            format!("S{}", (seed >> 13) as usize % SHARED_SCHEMAS)
        };
        let node = (w / WRITERS_PER_NODE + n) % nodes.slots.len();
        let url = nodes.url(node);
        let start = history.ms();
        let res = c
            .post(format!("{url}/subjects/{subject}/versions"))
            .header("content-type", "application/vnd.schemaregistry.v1+json")
            .json(&json!({"schema": schema(&name)}))
            .send()
            .await;
        let mut line = json!({"writer": w, "node": node, "op": "register", "subject": subject,
            "schema": name, "start_ms": start});
        match res {
            Ok(r) => {
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                line["status"] = json!(status);
                if status == 200 {
                    line["result"] = json!("ok");
                    line["id"] = body["id"].clone();
                    line["version"] = body["version"].clone();
                    acked.push(line.clone());
                } else {
                    line["result"] = json!("error");
                    line["body"] = body;
                    assert!(status >= 500, "a registration was refused, not failed: {line}");
                }
            }
            Err(e) => {
                line["result"] = json!(if e.is_timeout() { "timeout" } else { "unreachable" });
                // Its node is down or paused: try the next one.
                n += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        history.log(line);
    }
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Kafka: run by tests/kafka/store.sh"]
async fn acknowledged_registrations_survive_kills_pauses_and_a_broker_restart() {
    let seconds: u64 = std::env::var("LOCKSTEP_JEPSEN_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let name = format!("jepsen-{}", std::process::id());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bootstrap = kafka_script(&["start", &name, &port.to_string()]);
    let _broker = Broker(name.clone());
    let history = Arc::new(History::new());
    eprintln!("history: {}", history.path.display());
    let mut nodes = Nodes { topic: "_schemas".into(), bootstrap, slots: Vec::new(), urls: Vec::new() };
    for _ in 0..3 {
        let s = nodes.start_node();
        nodes.urls.push(Mutex::new(s.url.clone()));
        nodes.slots.push(Mutex::new(Some(s)));
    }
    let nodes = Arc::new(nodes);
    let c = client();
    let r = c
        .put(format!("{}/config/:.__GLOBAL:", nodes.url(0)))
        .json(&json!({"compatibility": "NONE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..3 * WRITERS_PER_NODE)
        .map(|w| tokio::spawn(writer(w, nodes.clone(), history.clone(), stop.clone())))
        .collect();

    // The nemesis.
    let at = |f: f64| Duration::from_secs_f64(seconds as f64 * f);
    let t0 = Instant::now();
    tokio::time::sleep(at(0.15)).await;
    let victim = leader(&nodes).await.unwrap_or(0);
    history.log(json!({"nemesis": "kill -9", "node": victim, "leader": true}));
    nodes.kill9(victim);
    tokio::time::sleep(Duration::from_secs(3)).await;
    tokio::task::block_in_place(|| nodes.restart(victim));
    history.log(json!({"nemesis": "restarted", "node": victim, "url": nodes.url(victim)}));

    tokio::time::sleep(at(0.4).saturating_sub(t0.elapsed())).await;
    let paused = leader(&nodes).await.unwrap_or((victim + 1) % 3);
    let pid = nodes.pid(paused).expect("a running node");
    history.log(json!({"nemesis": "SIGSTOP", "node": paused}));
    signal("-STOP", pid);
    tokio::time::sleep(Duration::from_secs(10)).await;
    signal("-CONT", pid);
    history.log(json!({"nemesis": "SIGCONT", "node": paused}));

    tokio::time::sleep(at(0.7).saturating_sub(t0.elapsed())).await;
    history.log(json!({"nemesis": "broker restart"}));
    tokio::task::block_in_place(|| kafka_script(&["stop", &name]));
    tokio::time::sleep(Duration::from_secs(2)).await;
    tokio::task::block_in_place(|| kafka_script(&["restart", &name]));
    history.log(json!({"nemesis": "broker back"}));

    // Writes go on for a while after the broker is back.
    tokio::time::sleep(at(1.0).saturating_sub(t0.elapsed()).max(Duration::from_secs(10))).await;
    stop.store(true, Ordering::Relaxed);
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    history.log(json!({"end": true, "acked": acked.len()}));
    let ctx = format!("history in {}", history.path.display());
    assert!(acked.len() > 100, "too few acknowledged writes to judge: {} ({ctx})", acked.len());

    // A node rebuilt from the topic is the reference; every node converges to it.
    let fresh = tokio::task::block_in_place(|| nodes.start_node());
    let reference = dump(&fresh.url).await.unwrap_or_else(|e| panic!("{e} ({ctx})"));
    for i in 0..3 {
        let url = nodes.url(i);
        let until = Instant::now() + Duration::from_secs(30);
        let mut d = dump(&url).await;
        while d.as_ref() != Ok(&reference) && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(300)).await;
            d = dump(&url).await;
        }
        assert_eq!(d.as_ref(), Ok(&reference), "node {i} ({url}) differs from a node rebuilt from the topic ({ctx})");
    }
    // Acknowledged writes, as acknowledged.
    for a in &acked {
        let subject = a["subject"].as_str().unwrap().to_string();
        let key = (subject, a["version"].as_u64().unwrap_or_default());
        let got = reference.get(&key).map(|g| g.0);
        assert_eq!(got, a["id"].as_u64(), "acknowledged {a} is not there as acknowledged ({ctx})");
    }
    // One schema per id and one id per schema, in each context.
    let mut by_id: BTreeMap<(String, u64), BTreeSet<&String>> = BTreeMap::new();
    let mut by_schema: BTreeMap<(String, &String), BTreeSet<u64>> = BTreeMap::new();
    for ((subject, _), (id, schema)) in &reference {
        let ctx = context_of(subject).to_string();
        by_id.entry((ctx.clone(), *id)).or_default().insert(schema);
        by_schema.entry((ctx, schema)).or_default().insert(*id);
    }
    assert!(by_id.values().all(|s| s.len() == 1), "an id holds two schemas ({ctx}): {by_id:?}");
    assert!(by_schema.values().all(|s| s.len() == 1), "a schema has two ids ({ctx}): {by_schema:?}");
    // Versions 1..n, each schema once per subject.
    for s in SUBJECTS {
        let versions: Vec<u64> = reference.keys().filter(|(sub, _)| sub == s).map(|(_, v)| *v).collect();
        let want: Vec<u64> = (1..=versions.len() as u64).collect();
        assert_eq!(versions, want, "{s}: versions are not contiguous ({ctx})");
        let ids: BTreeSet<u64> = reference.iter().filter(|((sub, _), _)| sub == s).map(|(_, (id, _))| *id).collect();
        assert_eq!(ids.len(), versions.len(), "{s} holds a schema twice ({ctx})");
    }
    eprintln!(
        "jepsen: {} acknowledged registrations, {} versions in {} subjects, every check passed",
        acked.len(),
        reference.len(),
        SUBJECTS.len()
    );
}
