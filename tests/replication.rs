//! `lockstep replicate` between two real Kafka clusters with two Lockstep registries.
//!
//! Needs the clusters: `tests/replicator/run.sh` starts them, sets `LOCKSTEP_TEST_SRC`,
//! `LOCKSTEP_TEST_DST` and `LOCKSTEP_TEST_PYTHON` (a venv with Confluent's Python client) and
//! runs these tests with `--ignored`, one at a time.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{json, Value};
use support::Server;

fn src() -> String {
    std::env::var("LOCKSTEP_TEST_SRC").expect("LOCKSTEP_TEST_SRC (tests/replicator/run.sh sets it)")
}
fn dst() -> String {
    std::env::var("LOCKSTEP_TEST_DST").expect("LOCKSTEP_TEST_DST (tests/replicator/run.sh sets it)")
}
fn unique(name: &str) -> String {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() % 1_000_000_000;
    format!("{name}-{n}")
}

fn cfg(bootstrap: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap);
    c
}

async fn create_topic(bootstrap: &str, topic: &str, partitions: i32, configs: &[(&str, &str)]) {
    let admin: AdminClient<DefaultClientContext> = cfg(bootstrap).create().unwrap();
    let mut t = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    for (k, v) in configs {
        t = t.set(k, v);
    }
    for r in admin.create_topics([&t], &AdminOptions::new()).await.unwrap() {
        r.unwrap();
    }
}

async fn produce_plain(bootstrap: &str, topic: &str, partitions: i32, count: usize, tag: &str) {
    let p: FutureProducer = cfg(bootstrap).set("linger.ms", "5").create().unwrap();
    let mut futs = Vec::new();
    for i in 0..count {
        let key = format!("{tag}-{i}");
        let value = format!("{tag} value {i}");
        let rec = FutureRecord::to(topic).partition(i as i32 % partitions).key(&key).payload(&value);
        futs.push(p.send_result(rec).map_err(|(e, _)| e).unwrap());
    }
    for f in futs {
        f.await.unwrap().unwrap();
    }
}

/// Every committed record of a topic: (partition, offset, key, value, header map, timestamp).
type Rec = (i32, i64, Vec<u8>, Vec<u8>, BTreeMap<String, Vec<u8>>, Option<i64>);

fn read_all(bootstrap: &str, topic: &str, expect: usize, within: Duration) -> Vec<Rec> {
    let c: BaseConsumer = cfg(bootstrap)
        .set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .create()
        .unwrap();
    // The topic (or some of its partitions) may not exist yet: assign partitions as they appear.
    let mut assigned = 0;
    let mut next_check = Instant::now();
    let mut out = Vec::new();
    let deadline = Instant::now() + within;
    while out.len() < expect && Instant::now() < deadline {
        if Instant::now() >= next_check {
            next_check = Instant::now() + Duration::from_millis(500);
            let parts = c
                .fetch_metadata(Some(topic), Duration::from_secs(10))
                .ok()
                .and_then(|md| md.topics().first().filter(|t| t.error().is_none()).map(|t| t.partitions().len()))
                .unwrap_or(0);
            if parts > assigned {
                let mut tpl = TopicPartitionList::new();
                for p in assigned..parts {
                    tpl.add_partition_offset(topic, p as i32, Offset::Beginning).unwrap();
                }
                c.incremental_assign(&tpl).unwrap();
                assigned = parts;
            }
        }
        if let Some(Ok(m)) = c.poll(Duration::from_millis(200)) {
            let mut h = BTreeMap::new();
            if let Some(hs) = m.headers() {
                for x in hs.iter() {
                    h.insert(x.key.to_string(), x.value.unwrap_or_default().to_vec());
                }
            }
            out.push((
                m.partition(),
                m.offset(),
                m.key().unwrap_or_default().to_vec(),
                m.payload().unwrap_or_default().to_vec(),
                h,
                m.timestamp().to_millis(),
            ));
        }
    }
    out.sort_by_key(|r| (r.0, r.1));
    out
}

/// A `lockstep replicate` process.
struct Replicator {
    child: Child,
    log: PathBuf,
}

impl Replicator {
    fn start(config: &Path) -> Replicator {
        let path = config.with_extension("log");
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&path).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
            .args(["replicate", "--config"])
            .arg(config)
            .env("LOCKSTEP_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Replicator { child, log: path }
    }
    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Replicator {
    fn drop(&mut self) {
        self.kill9();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- replicator log ({}), last lines:", self.log.display());
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
    }
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        Setup { dir: tempfile::tempdir().unwrap() }
    }
    fn registry(&self, name: &str) -> Server {
        Server::start(&self.dir.path().join(name))
    }
    fn config(&self, name: &str, body: &str) -> PathBuf {
        let p = self.dir.path().join(format!("{name}.toml"));
        std::fs::write(&p, body).unwrap();
        p
    }
}

fn config(name: &str, from: (&str, &str), to: (&str, &str), extra: &str) -> String {
    format!(
        "name = \"{name}\"\n{extra}\n[source]\nalias = \"{}\"\nbootstrap = \"{}\"\n[destination]\nalias = \"{}\"\nbootstrap = \"{}\"\n",
        from.0, from.1, to.0, to.1
    )
}

fn python(args: &[&str]) -> String {
    let py = std::env::var("LOCKSTEP_TEST_PYTHON").expect("LOCKSTEP_TEST_PYTHON");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/replicator/serde.py");
    let out = Command::new(py).arg(script).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "serde.py {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout).chars().take(2000).collect::<String>()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn lines(s: &str) -> Vec<Value> {
    s.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// What must survive replication: per partition, in order, key, value, headers, timestamp.
fn comparable(v: &[Value]) -> Vec<Value> {
    v.iter().map(|r| json!([r["partition"], r["key"], r["value"], r["headers"], r["timestamp"]])).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn python_records_with_evolving_schemas_deserialize_on_the_destination() {
    let s = Setup::new();
    let (rs, rd) = (s.registry("src-registry"), s.registry("dst-registry"));
    let topic = unique("orders");
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    create_topic(&src(), &topic, 3, &[("retention.ms", "123456789")]).await;
    let conf = s.config(
        "preserve",
        &config(
            &unique("preserve"),
            ("eu", &src()),
            ("us", &dst()),
            &format!(
                "[registries]\nsource = \"{}\"\ndestination = \"{}\"\n[topics]\ninclude = [\"{topic}\"]\nrefresh_interval_ms = 500\n[schemas]\npolicy = \"preserve\"\n[metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\n",
                rs.url, rd.url
            ),
        ),
    );
    let _r = Replicator::start(&conf);
    // Produced while the replicator runs; the value schema evolves half-way.
    python(&[
        "produce",
        "--bootstrap",
        &src(),
        "--registry",
        &rs.url,
        "--topic",
        &topic,
        "--count",
        "300",
        "--partitions",
        "3",
    ]);
    let on_src =
        lines(&python(&["consume", "--bootstrap", &src(), "--registry", &rs.url, "--topic", &topic, "--count", "300"]));
    let on_dst = lines(&python(&[
        "consume",
        "--bootstrap",
        &dst(),
        "--registry",
        &rd.url,
        "--topic",
        &topic,
        "--count",
        "300",
        "--timeout",
        "90",
    ]));
    assert_eq!(on_dst.len(), 300);
    assert_eq!(comparable(&on_dst), comparable(&on_src), "records differ after replication");
    // Ids preserved: the destination registry serves the same ids with the same schemas.
    let ids: std::collections::BTreeSet<u64> = on_src.iter().map(|r| r["wire_id"].as_u64().unwrap()).collect();
    assert_eq!(ids.len(), 2, "two value schemas were used");
    let http = reqwest::Client::new();
    for id in ids {
        let a: Value = http.get(format!("{}/schemas/ids/{id}", rs.url)).send().await.unwrap().json().await.unwrap();
        let b: Value = http.get(format!("{}/schemas/ids/{id}", rd.url)).send().await.unwrap().json().await.unwrap();
        assert_eq!(a["schema"], b["schema"], "id {id}");
    }
    let mode: Value = http.get(format!("{}/mode/{topic}-value", rd.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(mode["mode"], "IMPORT");
    // The destination topic has the source's partitions and topic configs.
    let admin: AdminClient<DefaultClientContext> = cfg(&dst()).create().unwrap();
    let res = admin.describe_configs([&ResourceSpecifier::Topic(&topic)], &AdminOptions::new()).await.unwrap();
    let entries = res.into_iter().next().unwrap().unwrap().entries;
    let retention = entries.iter().find(|e| e.name == "retention.ms").and_then(|e| e.value.clone());
    assert_eq!(retention.as_deref(), Some("123456789"));
    // Provenance headers name the origin and the source position.
    let raw = read_all(&dst(), &topic, 300, Duration::from_secs(30));
    assert!(raw.iter().all(|r| r.4.get("lockstep.origin").map(Vec::as_slice) == Some(b"eu".as_slice())));
    let first = raw.iter().find(|r| r.0 == 0).unwrap();
    assert_eq!(first.4.get("lockstep.source").unwrap(), format!("eu/{topic}/0/0").as_bytes());
    // Prometheus metrics count what happened.
    let m = http.get(format!("http://127.0.0.1:{metrics_port}/metrics")).send().await.unwrap().text().await.unwrap();
    let value = |name: &str| -> f64 {
        m.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from /metrics:\n{m}"))
    };
    assert!(value("lockstep_replicator_records_total") >= 300.0);
    assert!(value("lockstep_replicator_schemas_imported_total") >= 2.0);
    assert!(value("lockstep_replicator_latency_seconds_count") >= 300.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn an_unreachable_cluster_is_a_clear_error() {
    let s = Setup::new();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let conf = s.config("dead", &config("dead", ("eu", &format!("127.0.0.1:{dead}")), ("us", &dst()), ""));
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep")).args(["replicate", "--config"]).arg(&conf).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("cannot reach the source cluster at 127.0.0.1:{dead}")), "{err}");
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn translate_rewrites_ids_for_a_destination_that_uses_them_already() {
    let s = Setup::new();
    let (rs, rd) = (s.registry("src-registry"), s.registry("dst-registry"));
    // The destination already holds other schemas at ids 1..3.
    let http = reqwest::Client::new();
    for (i, t) in ["\"int\"", "\"float\"", "\"bytes\""].iter().enumerate() {
        let r: Value = http
            .post(format!("{}/subjects/other-{i}/versions", rd.url))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .body(json!({ "schema": t }).to_string())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["id"], i as u64 + 1);
    }
    let topic = unique("translated");
    create_topic(&src(), &topic, 2, &[]).await;
    python(&[
        "produce",
        "--bootstrap",
        &src(),
        "--registry",
        &rs.url,
        "--topic",
        &topic,
        "--count",
        "100",
        "--partitions",
        "2",
    ]);
    let conf = s.config(
        "translate",
        &config(
            &unique("translate"),
            ("eu", &src()),
            ("us", &dst()),
            &format!(
                "[registries]\nsource = \"{}\"\ndestination = \"{}\"\n[topics]\ninclude = [\"{topic}\"]\n[schemas]\npolicy = \"translate\"\n[delivery]\nmode = \"at-least-once\"\n",
                rs.url, rd.url
            ),
        ),
    );
    let _r = Replicator::start(&conf);
    let on_src =
        lines(&python(&["consume", "--bootstrap", &src(), "--registry", &rs.url, "--topic", &topic, "--count", "100"]));
    let on_dst = lines(&python(&[
        "consume",
        "--bootstrap",
        &dst(),
        "--registry",
        &rd.url,
        "--topic",
        &topic,
        "--count",
        "100",
        "--timeout",
        "90",
    ]));
    assert_eq!(comparable(&on_dst), comparable(&on_src));
    let src_ids: std::collections::BTreeSet<u64> = on_src.iter().map(|r| r["wire_id"].as_u64().unwrap()).collect();
    let dst_ids: std::collections::BTreeSet<u64> = on_dst.iter().map(|r| r["wire_id"].as_u64().unwrap()).collect();
    assert!(dst_ids.iter().all(|id| *id > 3), "rewritten ids must not be the destination's other schemas: {dst_ids:?}");
    assert_ne!(src_ids, dst_ids);
    // The destination's own schemas are untouched.
    let one: Value = http.get(format!("{}/schemas/ids/1", rd.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(one["schema"], "\"int\"");
}

/// Source offsets of a destination topic's records, per partition, from the provenance header.
fn source_offsets(recs: &[Rec]) -> BTreeMap<i32, Vec<i64>> {
    let mut out: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for r in recs {
        let src = String::from_utf8(r.4["lockstep.source"].clone()).unwrap();
        let off: i64 = src.rsplit('/').next().unwrap().parse().unwrap();
        out.entry(r.0).or_default().push(off);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn exactly_once_across_kill_9() {
    let s = Setup::new();
    let topic = unique("eos");
    let n = 30_000;
    create_topic(&src(), &topic, 3, &[]).await;
    produce_plain(&src(), &topic, 3, n, "eos").await;
    let conf = s.config(
        "eos",
        &config(
            &unique("eos"),
            ("eu", &src()),
            ("us", &dst()),
            &format!(
                "[topics]\ninclude = [\"{topic}\"]\n[delivery]\nmode = \"exactly-once\"\nbatch_max_records = 500\n"
            ),
        ),
    );
    let mut r = Replicator::start(&conf);
    // Kill it mid-stream, twice, each time after it has written more.
    let c: BaseConsumer = cfg(&dst()).create().unwrap();
    let written =
        || -> i64 { (0..3).map(|p| c.fetch_watermarks(&topic, p, Duration::from_secs(5)).map_or(0, |(_, h)| h)).sum() };
    for round in 1..=2 {
        let deadline = Instant::now() + Duration::from_secs(60);
        while written() < 4000 * round && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        r.kill9();
        r = Replicator::start(&conf);
    }
    let recs = read_all(&dst(), &topic, n, Duration::from_secs(180));
    // Every source record exactly once, in order, in its partition.
    let per = source_offsets(&recs);
    for (p, offs) in &per {
        let want: Vec<i64> = (0..offs.len() as i64).collect();
        if offs != &want {
            let first_bad = offs.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(offs.len().min(want.len()));
            panic!(
                "partition {p}: duplicates or gaps: {} records, first difference at index {first_bad}: {:?}",
                offs.len(),
                &offs[first_bad.saturating_sub(3)..(first_bad + 3).min(offs.len())]
            );
        }
    }
    let counts: Vec<usize> = per.values().map(Vec::len).collect();
    assert_eq!(recs.len(), n, "records missing: per partition {counts:?}");
    assert_eq!(per.values().map(Vec::len).sum::<usize>(), n);
    // Nothing more arrives later (no duplicates committed after the count was reached).
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(read_all(&dst(), &topic, n + 1, Duration::from_secs(5)).len(), n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn active_active_does_not_loop() {
    let s = Setup::new();
    let topic = unique("aa");
    create_topic(&src(), &topic, 2, &[]).await;
    create_topic(&dst(), &topic, 2, &[]).await;
    let extra =
        format!("[topics]\ninclude = [\"{topic}\"]\nrefresh_interval_ms = 500\n[delivery]\nmode = \"at-least-once\"\n");
    let ab = s.config("ab", &config(&unique("ab"), ("a", &src()), ("b", &dst()), &extra));
    let ba = s.config("ba", &config(&unique("ba"), ("b", &dst()), ("a", &src()), &extra));
    let _r1 = Replicator::start(&ab);
    let _r2 = Replicator::start(&ba);
    produce_plain(&src(), &topic, 2, 50, "from-a").await;
    produce_plain(&dst(), &topic, 2, 50, "from-b").await;
    for side in [src(), dst()] {
        let recs = read_all(&side, &topic, 100, Duration::from_secs(60));
        assert_eq!(recs.len(), 100, "{side}");
    }
    std::thread::sleep(Duration::from_secs(3));
    for side in [src(), dst()] {
        let recs = read_all(&side, &topic, 101, Duration::from_secs(5));
        assert_eq!(recs.len(), 100, "records looped on {side}");
        let from_a = recs.iter().filter(|r| r.2.starts_with(b"from-a")).count();
        assert_eq!(from_a, 50);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn a_consumer_group_fails_over_to_the_destination_where_it_stopped() {
    let s = Setup::new();
    let topic = unique("failover");
    let group = unique("billing");
    create_topic(&src(), &topic, 1, &[]).await;
    produce_plain(&src(), &topic, 1, 200, "f").await;
    // The group reads 120 records on the source and commits.
    {
        let c: BaseConsumer = cfg(&src()).set("group.id", &group).set("enable.auto.commit", "false").create().unwrap();
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&topic, 0, Offset::Beginning).unwrap();
        c.assign(&tpl).unwrap();
        let mut n = 0;
        while n < 120 {
            if let Some(Ok(_)) = c.poll(Duration::from_millis(500)) {
                n += 1;
            }
        }
        let mut commit = TopicPartitionList::new();
        commit.add_partition_offset(&topic, 0, Offset::Offset(120)).unwrap();
        c.commit(&commit, CommitMode::Sync).unwrap();
    }
    let conf = s.config(
        "fo",
        &config(
            &unique("fo"),
            ("eu", &src()),
            ("us", &dst()),
            &format!(
                "[topics]\ninclude = [\"{topic}\"]\n[offsets]\ngroups = [\"{group}\"]\ncheckpoint_interval_ms = 300\n[delivery]\nbatch_max_records = 50\n"
            ),
        ),
    );
    let _r = Replicator::start(&conf);
    assert_eq!(read_all(&dst(), &topic, 200, Duration::from_secs(60)).len(), 200);
    // Let a checkpoint be taken after everything is copied (the runbook's "wait one interval"),
    // then fail the group over.
    std::thread::sleep(Duration::from_millis(1500));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
            .args(["replicate", "failover", "--group", &group, "--config"])
            .arg(&conf)
            .output()
            .unwrap();
        if out.status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "failover never found a checkpoint: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // The group resumes on the destination at the record after the last one it consumed.
    let c: BaseConsumer = cfg(&dst())
        .set("group.id", &group)
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("auto.offset.reset", "latest")
        .create()
        .unwrap();
    c.subscribe(&[&topic]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = loop {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(500)) {
            break String::from_utf8(m.key().unwrap().to_vec()).unwrap();
        }
        assert!(Instant::now() < deadline, "the group read nothing on the destination");
    };
    let i: i64 = first.strip_prefix("f-").unwrap().parse().unwrap();
    assert!((104..=120).contains(&i), "resumed at f-{i}: must be at most 16 records before f-120, never after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn new_topics_and_partition_increases_are_followed() {
    let s = Setup::new();
    let prefix = unique("grow");
    let conf = s.config(
        "grow",
        &config(
            &unique("grow"),
            ("eu", &src()),
            ("us", &dst()),
            &format!("[topics]\ninclude = [\"{prefix}-.*\"]\nrename = \"prefix\"\nprefix = \"eu.\"\nrefresh_interval_ms = 500\n"),
        ),
    );
    let _r = Replicator::start(&conf);
    std::thread::sleep(Duration::from_secs(2));
    let topic = format!("{prefix}-1");
    create_topic(&src(), &topic, 1, &[("cleanup.policy", "compact")]).await;
    produce_plain(&src(), &topic, 1, 10, "g").await;
    let renamed = format!("eu.{topic}");
    assert_eq!(read_all(&dst(), &renamed, 10, Duration::from_secs(30)).len(), 10);
    let admin: AdminClient<DefaultClientContext> = cfg(&src()).create().unwrap();
    for r in admin.create_partitions([&NewPartitions::new(&topic, 3)], &AdminOptions::new()).await.unwrap() {
        r.unwrap();
    }
    let p: FutureProducer = cfg(&src()).create().unwrap();
    p.send(FutureRecord::to(&topic).partition(2).key("late").payload("in partition 2"), Duration::from_secs(10))
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let recs = read_all(&dst(), &renamed, 11, Duration::from_secs(30));
    assert_eq!(recs.len(), 11);
    assert!(
        recs.iter().any(|r| r.0 == 2 && r.2 == b"late"),
        "the record in the new partition 2 was not copied to partition 2"
    );
}
