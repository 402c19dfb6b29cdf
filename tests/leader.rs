//! One leader among registry nodes on one Kafka store: election through a consumer group on the
//! coordination topic, fencing of a replaced leader (killed or paused), and exporters that run on
//! the leader only and carry on from their persisted position on the next one.
//!
//! Needs a broker: `tests/kafka/store.sh` starts one and runs these with `--ignored`.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use serde_json::{json, Value};
use support::Server;

/// The session timeout the nodes use (the broker's minimum): a dead or paused leader is replaced
/// this long after its last heartbeat.
const SESSION_MS: u64 = 6000;

fn kafka() -> String {
    std::env::var("LOCKSTEP_TEST_KAFKA").expect("LOCKSTEP_TEST_KAFKA=host:port (tests/kafka/store.sh sets it)")
}

async fn create_topic(name: &str) -> String {
    let t = format!("_schemas_{name}_{}", std::process::id());
    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", kafka()).create().unwrap();
    let new = NewTopic::new(&t, 1, TopicReplication::Fixed(1)).set("cleanup.policy", "compact");
    admin.create_topics([&new], &AdminOptions::new()).await.unwrap();
    t
}

fn node(topic: &str) -> Server {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "lockstep-leader-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    node_in(topic, &dir)
}

fn node_in(topic: &str, dir: &std::path::Path) -> Server {
    // The nodes inherit it (every test sets the same value).
    std::env::set_var("LOCKSTEP_LEADER_SESSION_TIMEOUT_MS", SESSION_MS.to_string());
    let dir = dir.to_string_lossy().into_owned();
    Server::start_with(&["--kafka-bootstrap", &kafka(), "--kafka-topic", topic, "--data-dir", &dir])
}

async fn call(method: reqwest::Method, url: &str, body: Option<Value>) -> (u16, Value) {
    let mut rb = reqwest::Client::new()
        .request(method, url)
        .timeout(Duration::from_secs(3))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json");
    if let Some(b) = body {
        rb = rb.body(b.to_string());
    }
    match rb.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
        }
        Err(e) => (0, Value::String(e.to_string())),
    }
}

async fn get(base: &str, path: &str) -> (u16, Value) {
    call(reqwest::Method::GET, &format!("{base}{path}"), None).await
}

async fn leader_status(url: &str) -> Value {
    get(url, "/lockstep/leader").await.1
}

/// Wait until exactly one of `urls` says it leads; its index and epoch.
async fn one_leader(urls: &[&str], within: Duration) -> (usize, u64) {
    let deadline = Instant::now() + within;
    loop {
        let mut leaders = Vec::new();
        for (i, u) in urls.iter().enumerate() {
            let s = leader_status(u).await;
            if s["leader"] == true {
                leaders.push((i, s["epoch"].as_u64().unwrap_or(0)));
            }
        }
        if leaders.len() == 1 {
            return leaders[0];
        }
        assert!(leaders.len() < 2, "two leaders at once: {leaders:?}");
        assert!(Instant::now() < deadline, "no leader among {urls:?} within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn signal(server: &Server, sig: &str) {
    let ok = std::process::Command::new("kill").args([sig, &server.child.id().to_string()]).status().unwrap();
    assert!(ok.success(), "kill {sig} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Kafka: run by tests/kafka/store.sh"]
async fn one_leader_replaced_when_killed_or_paused_and_a_paused_one_is_fenced() {
    let t = create_topic("elect").await;
    let mut nodes: Vec<Option<Server>> = (0..3).map(|_| Some(node(&t))).collect();
    let urls: Vec<String> = nodes.iter().map(|n| n.as_ref().unwrap().url.clone()).collect();
    let all: Vec<&str> = urls.iter().map(String::as_str).collect();
    let (first, epoch1) = one_leader(&all, Duration::from_secs(20)).await;
    // It stays the only one.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(one_leader(&all, Duration::from_secs(1)).await, (first, epoch1));

    // kill -9: another node leads within about the session timeout.
    nodes[first].take().unwrap().kill9();
    let killed = Instant::now();
    let rest: Vec<usize> = (0..3).filter(|i| *i != first).collect();
    let rest_urls: Vec<&str> = rest.iter().map(|i| all[*i]).collect();
    let (j, epoch2) = one_leader(&rest_urls, Duration::from_secs(25)).await;
    let second = rest[j];
    eprintln!("failover after kill -9: {:?}", killed.elapsed());
    assert!(killed.elapsed() < Duration::from_millis(SESSION_MS + 8000), "took {:?}", killed.elapsed());
    assert!(epoch2 > epoch1, "the new leader's epoch {epoch2} is not above {epoch1}");

    // SIGSTOP for longer than the session: the last node takes over.
    signal(nodes[second].as_ref().unwrap(), "-STOP");
    let stopped = Instant::now();
    let third = rest.iter().copied().find(|i| *i != second).unwrap();
    let (_, epoch3) = one_leader(&[all[third]], Duration::from_secs(25)).await;
    eprintln!("failover after SIGSTOP: {:?}", stopped.elapsed());
    assert!(epoch3 > epoch2);
    tokio::time::sleep(Duration::from_secs(1)).await;

    // SIGCONT: the paused node must not act as leader with its stale epoch.
    signal(nodes[second].as_ref().unwrap(), "-CONT");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let s = leader_status(all[second]).await;
        if s["leader"] == false && s["current"]["epoch"] == json!(epoch3) {
            eprintln!("resumed old leader: {s}");
            break;
        }
        if Instant::now() > deadline {
            let exited = nodes[second].as_mut().unwrap().child.try_wait();
            panic!("the resumed node still acts as leader: {s} (exited: {exited:?})");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Exactly one leader, the new one, and every node reads its LEADER record (a stale write,
    // had one got through the fence, would be ignored for its old epoch).
    assert_eq!(one_leader(&[all[second], all[third]], Duration::from_secs(5)).await, (1, epoch3));
    for u in [all[second], all[third]] {
        let s = leader_status(u).await;
        assert_eq!(s["current"]["epoch"], json!(epoch3), "{s}");
        assert_eq!(s["current"]["node"], json!(all[third]), "{s}");
    }
    // The metric says the same.
    for (u, want) in [(all[second], "lockstep_registry_leader 0"), (all[third], "lockstep_registry_leader 1")] {
        let (_, m) = get(u, "/metrics").await;
        assert!(m.as_str().is_some_and(|m| m.lines().any(|l| l == want)), "{u}: no '{want}'");
    }
    // A clean stop (SIGTERM) leaves the group: the other node leads well before a session timeout.
    let mut last = nodes[third].take().unwrap();
    signal(&last, "-TERM");
    let _ = last.child.wait();
    let left = Instant::now();
    let (_, epoch4) = one_leader(&[all[second]], Duration::from_secs(20)).await;
    eprintln!("handover after SIGTERM: {:?}", left.elapsed());
    assert!(epoch4 > epoch3);
    assert!(left.elapsed() < Duration::from_millis(SESSION_MS), "took {:?}", left.elapsed());
}

fn schema(subject: usize, version: usize) -> String {
    let mut fields = vec![json!({"name": "id", "type": "long"})];
    for f in 1..version {
        fields.push(json!({"name": format!("f{f}"), "type": "string", "default": ""}));
    }
    json!({"type": "record", "name": format!("R{subject}"), "fields": fields}).to_string()
}

async fn register(base: &str, subject: &str, schema: &str) -> Value {
    for _ in 0..50 {
        let (status, body) = call(
            reqwest::Method::POST,
            &format!("{base}/subjects/{subject}/versions"),
            Some(json!({ "schema": schema })),
        )
        .await;
        if status == 200 {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot register {subject} on {base}");
}

/// Every subject's versions, ids and schemas of a registry.
async fn contents(base: &str) -> Vec<(String, i64, i64, String)> {
    let mut out = Vec::new();
    let (_, subjects) = get(base, "/subjects").await;
    for s in subjects.as_array().cloned().unwrap_or_default() {
        let s = s.as_str().unwrap().to_string();
        let (_, versions) = get(base, &format!("/subjects/{s}/versions")).await;
        for v in versions.as_array().cloned().unwrap_or_default() {
            let (_, body) = get(base, &format!("/subjects/{s}/versions/{v}")).await;
            out.push((
                s.clone(),
                body["version"].as_i64().unwrap_or(-1),
                body["id"].as_i64().unwrap_or(-1),
                body["schema"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    out.sort();
    out
}

/// Two nodes on a fresh topic, their leader, and a single-node destination registry.
struct ExportSetup {
    _dest_dir: tempfile::TempDir,
    dest: Server,
    nodes: Vec<Option<Server>>,
    urls: Vec<String>,
    leader: usize,
}

impl ExportSetup {
    async fn start(name: &str) -> ExportSetup {
        let t = create_topic(name).await;
        let dest_dir = tempfile::tempdir().unwrap();
        let dest = Server::start(dest_dir.path());
        let nodes: Vec<Option<Server>> = (0..2).map(|_| Some(node(&t))).collect();
        let urls: Vec<String> = nodes.iter().map(|n| n.as_ref().unwrap().url.clone()).collect();
        let all: Vec<&str> = urls.iter().map(String::as_str).collect();
        let (leader, _) = one_leader(&all, Duration::from_secs(20)).await;
        ExportSetup { _dest_dir: dest_dir, dest, nodes, urls, leader }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Kafka: run by tests/kafka/store.sh"]
async fn exporters_live_in_the_cluster_run_on_the_leader_and_resume_after_it_dies() {
    let ExportSetup { _dest_dir, dest, mut nodes, urls, leader } = ExportSetup::start("export").await;
    let all: Vec<&str> = urls.iter().map(String::as_str).collect();
    let follower = 1 - leader;

    // Created on the follower; visible on the leader, which runs it.
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("{}/exporters", all[follower]),
        Some(json!({"name": "dr", "contextType": "NONE", "config": {"schema.registry.url": dest.url}})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(get(all[follower], "/exporters").await.1, json!(["dr"]));
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(all[leader], "/exporters").await.1 != json!(["dr"]) {
        assert!(Instant::now() < deadline, "the exporter never appeared on the leader");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, info) = get(all[leader], "/exporters/dr").await;
    assert_eq!(info["config"]["schema.registry.url"], json!(dest.url), "{info}");

    // Versions flow while the leader is killed midway; registrations go through the survivor.
    let survivor = all[follower].to_string();
    let (subjects, versions) = (12, 3);
    let writer = {
        let survivor = survivor.clone();
        tokio::spawn(async move {
            for v in 1..=versions {
                for s in 0..subjects {
                    register(&survivor, &format!("s{s}-value"), &schema(s, v)).await;
                    tokio::time::sleep(Duration::from_millis(40)).await;
                }
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = get(&dest.url, "/subjects").await.1.as_array().map_or(0, Vec::len);
        if n >= 4 {
            break;
        }
        assert!(Instant::now() < deadline, "nothing exported before the kill");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    nodes[leader].take().unwrap().kill9();
    let killed = Instant::now();
    assert_eq!(one_leader(&[&survivor], Duration::from_secs(25)).await.0, 0);
    eprintln!("new leader after {:?}", killed.elapsed());
    writer.await.unwrap();

    // The destination ends with every version exactly as on the source.
    let want = contents(&survivor).await;
    assert_eq!(want.len(), subjects * versions);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = contents(&dest.url).await;
        if got == want {
            break;
        }
        assert!(Instant::now() < deadline, "destination differs:\n got {got:?}\nwant {want:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("all {} versions exported {:?} after the kill", want.len(), killed.elapsed());
    let (_, st) = get(&survivor, "/exporters/dr/status").await;
    assert_eq!(st["state"], "RUNNING", "{st}");
    // Pause on the survivor: the state reads PAUSED, and resume brings it back.
    assert_eq!(call(reqwest::Method::PUT, &format!("{survivor}/exporters/dr/pause"), None).await.0, 200);
    assert_eq!(get(&survivor, "/exporters/dr/status").await.1["state"], "PAUSED");
    let (status, body) = call(reqwest::Method::PUT, &format!("{survivor}/exporters/dr/resume"), None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(reqwest::Method::PUT, &format!("{survivor}/exporters/dr/resume"), None).await;
    assert_eq!((status, body["error_code"].clone()), (409, json!(40961)), "{body}");
    assert_eq!(call(reqwest::Method::DELETE, &format!("{survivor}/exporters/dr"), None).await.0, 204);
    assert_eq!(get(&survivor, "/exporters").await.1, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Kafka: run by tests/kafka/store.sh"]
async fn exporters_of_a_data_dir_move_into_the_cluster_on_first_start() {
    let t = create_topic("migrate").await;
    let dir = tempfile::tempdir().unwrap();
    let exporters = dir.path().join("exporters");
    std::fs::create_dir_all(&exporters).unwrap();
    let info = json!({"name": "old", "subjects": ["*"], "contextType": "NONE", "subjectRenameFormat": "${subject}",
                      "config": {"schema.registry.url": "http://127.0.0.1:9"}});
    std::fs::write(exporters.join("old.json"), json!({"info": info, "paused": true}).to_string()).unwrap();
    std::fs::write(exporters.join("old.state.json"), json!({"state": "PAUSED", "position": 7}).to_string()).unwrap();
    let a = node_in(&t, dir.path());
    // Moved in the background once the node has read the coordination topic.
    let deadline = Instant::now() + Duration::from_secs(15);
    while get(&a.url, "/exporters").await.1 != json!(["old"]) {
        assert!(Instant::now() < deadline, "the data dir's exporter never showed up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, st) = get(&a.url, "/exporters/old/status").await;
    assert_eq!((st["state"].clone(), st["offset"].clone()), (json!("PAUSED"), json!(7)), "{st}");
    assert!(exporters.join("old.json.migrated").exists() && !exporters.join("old.json").exists());
    // Another node (no data dir of its own) sees it, and a restart does not migrate it twice.
    let b = node(&t);
    let deadline = Instant::now() + Duration::from_secs(15);
    while get(&b.url, "/exporters/old").await.1["config"]["schema.registry.url"] != "http://127.0.0.1:9" {
        assert!(Instant::now() < deadline, "the other node never showed the exporter");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(a);
    let a = node_in(&t, dir.path());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(get(&a.url, "/exporters").await.1, json!(["old"]));
}

/// A counter of `/metrics` (the sum over its label sets matching `labels`).
async fn metric(base: &str, name: &str, labels: &str) -> f64 {
    let text = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains(labels))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn forwarded(base: &str) -> f64 {
    metric(base, "lockstep_registry_forwarded_writes_total", "outcome=\"forwarded\"").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Kafka: run by tests/kafka/store.sh"]
async fn followers_forward_writes_to_the_leader_and_read_their_own_writes() {
    let t = create_topic("forward").await;
    let mut nodes: Vec<Option<Server>> = (0..3).map(|_| Some(node(&t))).collect();
    let urls: Vec<String> = nodes.iter().map(|n| n.as_ref().unwrap().url.clone()).collect();
    let all: Vec<&str> = urls.iter().map(String::as_str).collect();
    let (leader, _) = one_leader(&all, Duration::from_secs(20)).await;
    let followers: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    // Every node has read the LEADER record once its own status names the leader.
    for f in &followers {
        let deadline = Instant::now() + Duration::from_secs(10);
        while leader_status(all[*f]).await["current"]["node"] != json!(all[leader]) {
            assert!(Instant::now() < deadline, "node {f} never read the LEADER record");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // Writes on a follower go to the leader; the follower answers only once it can read them.
    let f = all[followers[0]];
    for s in 0..20 {
        let (status, body) = call(
            reqwest::Method::POST,
            &format!("{f}/subjects/fw{s}-value/versions"),
            Some(json!({ "schema": schema(s, 1) })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let id = body["id"].as_i64().unwrap();
        let (status, got) = get(f, &format!("/schemas/ids/{id}")).await;
        assert_eq!(status, 200, "the follower cannot read its own write {id} at once: {got}");
        assert_eq!(get(f, &format!("/subjects/fw{s}-value/versions/latest")).await.1["id"], json!(id));
    }
    assert_eq!(forwarded(f).await, 20.0);
    assert_eq!(forwarded(all[leader]).await, 0.0, "the leader writes itself");
    // What a follower can answer alone stays there: a schema already registered.
    let (status, _) = call(
        reqwest::Method::POST,
        &format!("{f}/subjects/fw0-value/versions"),
        Some(json!({ "schema": schema(0, 1) })),
    )
    .await;
    assert_eq!((status, forwarded(f).await), (200, 20.0));
    // The leader's errors come back as they are; settings too.
    let (status, body) =
        call(reqwest::Method::PUT, &format!("{f}/config/fw1-value"), Some(json!({ "compatibility": "FULL" }))).await;
    assert_eq!((status, body.clone()), (200, json!({ "compatibility": "FULL" })), "{body}");
    assert_eq!(get(f, "/config/fw1-value").await.1["compatibilityLevel"], "FULL");
    let bad = json!({"type": "record", "name": "R1", "fields": [{"name": "id", "type": "string"}]}).to_string();
    let (status, body) =
        call(reqwest::Method::POST, &format!("{f}/subjects/fw1-value/versions"), Some(json!({ "schema": bad }))).await;
    assert_eq!((status, body["error_code"].clone()), (409, json!(409)), "{body}");
    assert!(forwarded(f).await >= 22.0);

    // Exporters are created one at a time, by the leader: of several nodes creating one name at
    // once, exactly one succeeds, every round.
    for round in 0..8 {
        let name = format!("race{round}");
        let tries = all.iter().flat_map(|u| [u.to_string(), u.to_string()]).map(|u| {
            let body =
                json!({"name": name, "contextType": "NONE", "config": {"schema.registry.url": "http://127.0.0.1:9"}});
            tokio::spawn(async move { call(reqwest::Method::POST, &format!("{u}/exporters"), Some(body)).await })
        });
        let mut outcomes = Vec::new();
        for t in tries.collect::<Vec<_>>() {
            let (status, body) = t.await.unwrap();
            outcomes.push((status, body["error_code"].clone()));
        }
        let created = outcomes.iter().filter(|(s, _)| *s == 200).count();
        let refused = outcomes.iter().filter(|(s, c)| *s == 409 && *c == json!(40960)).count();
        assert_eq!((created, refused), (1, outcomes.len() - 1), "round {round}: {outcomes:?}");
    }

    // The leader dies: the next write on a follower still succeeds at once (the dead leader
    // refuses connections, so the follower writes itself), and a new leader takes the writes.
    let before = metric(f, "lockstep_registry_forwarded_writes_total", "outcome=\"local\"").await;
    nodes[leader].take().unwrap().kill9();
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("{f}/subjects/after-value/versions"),
        Some(json!({ "schema": schema(99, 1) })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let local = metric(f, "lockstep_registry_forwarded_writes_total", "outcome=\"local\"").await;
    assert_eq!(local, before + 1.0);
    let rest: Vec<&str> = followers.iter().map(|i| all[*i]).collect();
    let (new_leader, _) = one_leader(&rest, Duration::from_secs(25)).await;
    let other = rest[1 - new_leader];
    let deadline = Instant::now() + Duration::from_secs(10);
    while leader_status(other).await["current"]["node"] != json!(rest[new_leader]) {
        assert!(Instant::now() < deadline, "the other node never read the new LEADER record");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let was = forwarded(other).await;
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("{other}/subjects/after2-value/versions"),
        Some(json!({ "schema": schema(98, 1) })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(forwarded(other).await, was + 1.0);
    assert_eq!(contents(rest[0]).await, contents(rest[1]).await);
}

/// Requests a registry answered on per-subject routes (`/subjects/{subject}…`).
async fn subject_requests(base: &str) -> f64 {
    metric(base, "lockstep_registry_requests_total", "route=\"/subjects/{subject}").await
}

/// Versions a registry holds, from one listing (no per-subject request).
async fn version_count(base: &str) -> usize {
    get(base, "/schemas?deleted=true").await.1.as_array().map_or(0, Vec::len)
}

async fn wait_versions(base: &str, n: usize, within: Duration, what: &str) {
    let deadline = Instant::now() + within;
    while version_count(base).await < n {
        assert!(Instant::now() < deadline, "{what}: {} of {n} versions", version_count(base).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Kafka: run by tests/kafka/store.sh"]
async fn a_new_leader_resumes_an_exporter_from_its_saved_position_not_from_the_start() {
    let ExportSetup { _dest_dir, dest, mut nodes, urls, leader } = ExportSetup::start("resume").await;
    let all: Vec<&str> = urls.iter().map(String::as_str).collect();
    let survivor = all[1 - leader].to_string();
    let subjects = 30;
    for s in 0..subjects {
        register(all[leader], &format!("r{s}-value"), &schema(s, 1)).await;
    }
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("{}/exporters", all[leader]),
        Some(json!({"name": "dr", "contextType": "NONE", "config": {"schema.registry.url": dest.url}})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    wait_versions(&dest.url, subjects, Duration::from_secs(30), "first pass").await;
    // The leader saves its position after exporting (unforced saves at most every 200 ms).
    tokio::time::sleep(Duration::from_secs(2)).await;

    let before = subject_requests(&dest.url).await;
    nodes[leader].take().unwrap().kill9();
    assert_eq!(one_leader(&[&survivor], Duration::from_secs(25)).await.0, 0);
    for s in 0..2 {
        register(&survivor, &format!("r{s}-value"), &schema(s, 2)).await;
    }
    wait_versions(&dest.url, subjects + 2, Duration::from_secs(30), "after the new leader took over").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let resumed = subject_requests(&dest.url).await - before;
    eprintln!("per-subject requests on the destination after the takeover: {resumed}");
    assert!(
        resumed < subjects as f64 / 2.0,
        "the new leader touched {resumed} subjects' routes for 2 new versions: a pass from the start, not a resume"
    );

    // The control: a reset makes the next run a full pass, which the same counter sees.
    let before = subject_requests(&dest.url).await;
    for op in ["pause", "reset", "resume"] {
        let (status, body) = call(reqwest::Method::PUT, &format!("{survivor}/exporters/dr/{op}"), None).await;
        assert_eq!(status, 200, "{op}: {body}");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while subject_requests(&dest.url).await - before < subjects as f64 {
        assert!(Instant::now() < deadline, "a full pass after a reset did not touch every subject");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(contents(&dest.url).await, contents(&survivor).await);
}
