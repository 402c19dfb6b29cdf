//! Helpers of the replication tests: clusters from the environment, topics, producers, readers,
//! `lockstep replicate` processes and a builder for their config files.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{json, Value};

use crate::support::Server;

pub fn src() -> String {
    std::env::var("LOCKSTEP_TEST_SRC").expect("LOCKSTEP_TEST_SRC (tests/replicator/run.sh sets it)")
}
pub fn dst() -> String {
    std::env::var("LOCKSTEP_TEST_DST").expect("LOCKSTEP_TEST_DST (tests/replicator/run.sh sets it)")
}
pub fn unique(name: &str) -> String {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() % 1_000_000_000;
    format!("{name}-{n}")
}

pub fn cfg(bootstrap: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap);
    c
}

pub async fn create_topic(bootstrap: &str, topic: &str, partitions: i32, configs: &[(&str, &str)]) {
    let admin: AdminClient<DefaultClientContext> = cfg(bootstrap).create().unwrap();
    let mut t = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    for (k, v) in configs {
        t = t.set(k, v);
    }
    for r in admin.create_topics([&t], &AdminOptions::new()).await.unwrap() {
        r.unwrap();
    }
}

pub async fn produce_plain(bootstrap: &str, topic: &str, partitions: i32, count: usize, tag: &str) {
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
pub type Rec = (i32, i64, Vec<u8>, Vec<u8>, BTreeMap<String, Vec<u8>>, Option<i64>);

pub fn read_all(bootstrap: &str, topic: &str, expect: usize, within: Duration) -> Vec<Rec> {
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
    if out.len() < expect {
        // Say where the records are missing: per partition, read versus the log's end.
        for p in 0..assigned {
            let got = out.iter().filter(|r| r.0 == p as i32).count();
            let marks = c.fetch_watermarks(topic, p as i32, Duration::from_secs(5));
            eprintln!("read_all {topic} at {bootstrap}: partition {p}: read {got}, watermarks {marks:?}");
        }
    }
    out
}

/// A `lockstep replicate` process.
pub struct Replicator {
    pub child: Child,
    pub log: PathBuf,
}

impl Replicator {
    pub fn start(config: &Path) -> Replicator {
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
    pub fn kill9(&mut self) {
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

pub struct Setup {
    pub dir: tempfile::TempDir,
}

impl Setup {
    pub fn new() -> Setup {
        Setup { dir: tempfile::tempdir().unwrap() }
    }
    pub fn registry(&self, name: &str) -> Server {
        Server::start(&self.dir.path().join(name))
    }
    pub fn config(&self, name: &str, body: &str) -> PathBuf {
        let p = self.dir.path().join(format!("{name}.toml"));
        std::fs::write(&p, body).unwrap();
        p
    }
}

pub fn config(name: &str, from: (&str, &str), to: (&str, &str), extra: &str) -> String {
    format!(
        "name = \"{name}\"\n{extra}\n[source]\nalias = \"{}\"\nbootstrap = \"{}\"\n[destination]\nalias = \"{}\"\nbootstrap = \"{}\"\n",
        from.0, from.1, to.0, to.1
    )
}

pub fn python(args: &[&str]) -> String {
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

/// `serde.py produce`: `count` records to `topic` over `partitions` partitions.
pub fn produce(bootstrap: &str, registry: &str, topic: &str, count: usize, partitions: u32) {
    let (count, partitions) = (count.to_string(), partitions.to_string());
    python(&[
        "produce",
        "--bootstrap",
        bootstrap,
        "--registry",
        registry,
        "--topic",
        topic,
        "--count",
        &count,
        "--partitions",
        &partitions,
    ]);
}

/// The first `count` records `serde.py consume` decodes from `topic` (waiting at most
/// `timeout` seconds when given).
pub fn consume(bootstrap: &str, registry: &str, topic: &str, count: usize, timeout: Option<u32>) -> Vec<Value> {
    let (count, timeout) = (count.to_string(), timeout.map(|t| t.to_string()));
    let mut args =
        vec!["consume", "--bootstrap", bootstrap, "--registry", registry, "--topic", topic, "--count", &count];
    if let Some(t) = &timeout {
        args.extend(["--timeout", t]);
    }
    lines(&python(&args))
}

pub fn lines(s: &str) -> Vec<Value> {
    s.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// What must survive replication: per partition, in order, key, value, headers, timestamp.
pub fn comparable(v: &[Value]) -> Vec<Value> {
    v.iter().map(|r| json!([r["partition"], r["key"], r["value"], r["headers"], r["timestamp"]])).collect()
}

/// A replication config file, built up section by section (`Conf::new("x").topics("t")...`).
#[derive(Clone)]
pub struct Conf {
    pub name: String,
    pub from: (String, String),
    pub to: (String, String),
    pub sections: Vec<(String, Vec<String>)>,
}

impl Conf {
    /// `eu` (the source cluster) → `us` (the destination cluster), a unique name.
    pub fn new(name: &str) -> Conf {
        Conf { name: unique(name), from: ("eu".into(), src()), to: ("us".into(), dst()), sections: Vec::new() }
    }
    pub fn clusters(mut self, from: (&str, &str), to: (&str, &str)) -> Conf {
        self.from = (from.0.into(), from.1.into());
        self.to = (to.0.into(), to.1.into());
        self
    }
    /// A `key = value` line in `[section]` (`""`: raw text at the end, e.g. `[[schemas.topics]]`).
    pub fn set(mut self, section: &str, line: impl Into<String>) -> Conf {
        match self.sections.iter_mut().find(|(s, _)| s == section) {
            Some((_, lines)) => lines.push(line.into()),
            None => self.sections.push((section.into(), vec![line.into()])),
        }
        self
    }
    pub fn topics(self, include: &str) -> Conf {
        self.set("topics", format!("include = [\"{include}\"]"))
    }
    pub fn registries(self, rs: &Server, rd: &Server) -> Conf {
        self.set("registries", format!("source = \"{}\"", rs.url))
            .set("registries", format!("destination = \"{}\"", rd.url))
    }
    pub fn delivery(self, mode: &str) -> Conf {
        self.set("delivery", format!("mode = \"{mode}\""))
    }
    pub fn render(&self) -> String {
        let mut out = format!(
            "name = \"{}\"\n[source]\nalias = \"{}\"\nbootstrap = \"{}\"\n[destination]\nalias = \"{}\"\nbootstrap = \"{}\"\n",
            self.name, self.from.0, self.from.1, self.to.0, self.to.1
        );
        let mut raw = String::new();
        for (s, lines) in &self.sections {
            if s.is_empty() {
                raw.push_str(&lines.join("\n"));
                raw.push('\n');
                continue;
            }
            out.push_str(&format!("[{s}]\n{}\n", lines.join("\n")));
        }
        out + &raw
    }
    pub fn write(&self, setup: &Setup, file: &str) -> PathBuf {
        setup.config(file, &self.render())
    }
}

/// Source offsets of a destination topic's records, per partition, from the provenance header.
pub fn source_offsets(recs: &[Rec]) -> BTreeMap<i32, Vec<i64>> {
    let mut out: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for r in recs {
        let src = String::from_utf8(r.4["lockstep.source"].clone()).unwrap();
        let off: i64 = src.rsplit('/').next().unwrap().parse().unwrap();
        out.entry(r.0).or_default().push(off);
    }
    out
}

/// Every source offset in `want` exactly once per partition, in order.
pub fn assert_exactly_once(recs: &[Rec], want: &BTreeMap<i32, Vec<i64>>) {
    let per = source_offsets(recs);
    for (p, offs) in want {
        let got = per.get(p).cloned().unwrap_or_default();
        if &got != offs {
            let first_bad = got.iter().zip(offs).position(|(a, b)| a != b).unwrap_or(got.len().min(offs.len()));
            panic!(
                "partition {p}: duplicates, gaps or disorder: {} records (want {}), first difference at index {first_bad}: {:?}",
                got.len(),
                offs.len(),
                &got[first_bad.saturating_sub(3)..(first_bad + 3).min(got.len())]
            );
        }
    }
}

/// Prometheus text of a replicator's `/metrics`.
pub async fn metrics(port: u16) -> String {
    reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap().text().await.unwrap()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A raw record: key, value, headers.
pub type RawRecord<'a> = (Vec<u8>, Vec<u8>, Vec<(&'a str, Vec<u8>)>);

/// Write raw records (key, value, headers) to one partition and wait for them.
pub async fn produce_raw(bootstrap: &str, topic: &str, partition: i32, recs: &[RawRecord<'_>]) {
    let p: FutureProducer = cfg(bootstrap).create().unwrap();
    for (k, v, hs) in recs {
        let mut headers = rdkafka::message::OwnedHeaders::new();
        for (hk, hv) in hs {
            headers = headers.insert(rdkafka::message::Header { key: hk, value: Some(hv.as_slice()) });
        }
        let r = FutureRecord::to(topic).partition(partition).key(k).payload(v).headers(headers);
        p.send(r, Duration::from_secs(10)).await.map_err(|(e, _)| e).unwrap();
    }
}
