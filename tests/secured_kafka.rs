//! The Kafka store and the replicator against a secured Apache Kafka: SASL_SSL with
//! SCRAM-SHA-512 on one listener, SSL with required client certificates (mTLS) on the other.
//! `tests/kafka/secure.sh` starts the cluster (`scripts/kafka start-secure`, which makes the CA,
//! the certificates and the SCRAM user at start) and sets `LOCKSTEP_TEST_SECURE_KAFKA` to its
//! `secure-env` file; marked #[ignore] for plain `cargo test`.

mod support;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::{json, Value};
use support::Server;

/// The secured cluster's addresses and client material.
struct Secure(BTreeMap<String, String>);

impl Secure {
    fn load() -> Secure {
        let path = std::env::var("LOCKSTEP_TEST_SECURE_KAFKA")
            .expect("LOCKSTEP_TEST_SECURE_KAFKA=<secure-env file> (tests/kafka/secure.sh sets it)");
        let text = std::fs::read_to_string(path).unwrap();
        Secure(
            text.lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect(),
        )
    }

    fn get(&self, k: &str) -> &str {
        self.0.get(k).map(String::as_str).unwrap_or_else(|| panic!("{k} missing in the secure-env file"))
    }

    /// librdkafka settings for the SASL_SSL listener with `password`.
    fn sasl(&self, password: &str) -> Vec<(&'static str, String)> {
        vec![
            ("security.protocol", "SASL_SSL".into()),
            ("sasl.mechanism", "SCRAM-SHA-512".into()),
            ("sasl.username", self.get("KAFKA_SCRAM_USER").into()),
            ("sasl.password", password.into()),
            ("ssl.ca.location", self.get("KAFKA_CA").into()),
        ]
    }

    /// librdkafka settings for the mTLS listener.
    fn mtls(&self) -> Vec<(&'static str, String)> {
        vec![
            ("security.protocol", "SSL".into()),
            ("ssl.ca.location", self.get("KAFKA_CA").into()),
            ("ssl.certificate.location", self.get("KAFKA_CLIENT_CERT").into()),
            ("ssl.key.location", self.get("KAFKA_CLIENT_KEY").into()),
        ]
    }

    fn client(bootstrap: &str, props: &[(&'static str, String)]) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", bootstrap);
        for (k, v) in props {
            c.set(*k, v);
        }
        c
    }
}

fn unique(name: &str) -> String {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() % 1_000_000_000;
    format!("{name}-{n}-{}", std::process::id())
}

/// A registry on the Kafka store over `props`.
fn kafka_node(bootstrap: &str, topic: &str, props: &[(&'static str, String)], dir: &std::path::Path) -> Server {
    let mut args: Vec<String> = ["--kafka-bootstrap", bootstrap, "--kafka-topic", topic, "--kafka-timeout-ms", "10000"]
        .into_iter()
        .map(String::from)
        .collect();
    args.extend(["--data-dir".to_string(), dir.to_string_lossy().into_owned()]);
    for (k, v) in props {
        args.extend(["--kafka-property".to_string(), format!("{k}={v}")]);
    }
    Server::start_with(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

async fn register(base: &str, subject: &str, schema: &str) -> Value {
    support::register_schema(&reqwest::Client::new(), base, subject, schema).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a secured Kafka: tests/kafka/secure.sh"]
async fn the_kafka_store_runs_over_sasl_ssl_and_over_mtls() {
    let sec = Secure::load();
    let dir = tempfile::tempdir().unwrap();
    let listeners = [
        ("sasl", sec.get("KAFKA_SASL_BOOTSTRAP").to_string(), sec.sasl(sec.get("KAFKA_SCRAM_PASSWORD"))),
        ("mtls", sec.get("KAFKA_SSL_BOOTSTRAP").to_string(), sec.mtls()),
    ];
    for (name, bootstrap, props) in &listeners {
        let topic = unique(&format!("_schemas_{name}"));
        let node = kafka_node(bootstrap, &topic, props, &dir.path().join(format!("{name}-1")));
        let r = register(&node.url, "orders-value", "\"string\"").await;
        assert_eq!(r["id"], 1, "{name}: {r}");
        drop(node);
        // A second node reads the record back from the topic over the same listener.
        let again = kafka_node(bootstrap, &topic, props, &dir.path().join(format!("{name}-2")));
        let v = support::get_json(&reqwest::Client::new(), &format!("{}/subjects/orders-value/versions/1", again.url))
            .await;
        assert_eq!((v["id"].clone(), v["schema"].clone()), (json!(1), json!("\"string\"")), "{name}: {v}");
    }
}

#[test]
#[ignore = "needs a secured Kafka: tests/kafka/secure.sh"]
fn a_wrong_scram_password_or_a_missing_client_certificate_keeps_the_store_from_starting() {
    let sec = Secure::load();
    let dir = tempfile::tempdir().unwrap();
    let without_cert: Vec<_> = sec
        .mtls()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("ssl.certificate") && !k.starts_with("ssl.key"))
        .collect();
    let cases = [
        ("wrong password", sec.get("KAFKA_SASL_BOOTSTRAP").to_string(), sec.sasl("not-the-password")),
        ("no client certificate", sec.get("KAFKA_SSL_BOOTSTRAP").to_string(), without_cert),
    ];
    for (what, bootstrap, props) in cases {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lockstep"));
        cmd.args([
            "registry",
            "--listen",
            "127.0.0.1:0",
            "--kafka-bootstrap",
            &bootstrap,
            "--kafka-timeout-ms",
            "5000",
        ])
        .args(["--kafka-topic", &unique("_schemas_refused")])
        .arg("--data-dir")
        .arg(dir.path().join(what.replace(' ', "-")));
        for (k, v) in &props {
            cmd.args(["--kafka-property", &format!("{k}={v}")]);
        }
        let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(90);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{what}: the registry neither served nor stopped within 90 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        assert!(!status.success(), "{what}: the registry started: {err}");
        assert!(!err.contains("lockstep registry serving"), "{what}: {err}");
        assert!(err.contains("cannot open the Kafka store"), "{what}: {err}");
        if what == "no client certificate" {
            assert!(err.contains("bad certificate"), "{what}: the broker's refusal is logged: {err}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a secured Kafka: tests/kafka/secure.sh"]
async fn replication_from_the_sasl_ssl_listener_to_the_mtls_listener() {
    let sec = Secure::load();
    let (sasl_bootstrap, ssl_bootstrap) = (sec.get("KAFKA_SASL_BOOTSTRAP"), sec.get("KAFKA_SSL_BOOTSTRAP"));
    let sasl = sec.sasl(sec.get("KAFKA_SCRAM_PASSWORD"));
    let mtls = sec.mtls();
    let topic = unique("secured");
    let admin: AdminClient<DefaultClientContext> = Secure::client(sasl_bootstrap, &sasl).create().unwrap();
    for r in admin
        .create_topics([&NewTopic::new(&topic, 2, TopicReplication::Fixed(1))], &AdminOptions::new())
        .await
        .unwrap()
    {
        r.unwrap();
    }
    let producer: FutureProducer = Secure::client(sasl_bootstrap, &sasl).create().unwrap();
    for i in 0..100 {
        let (k, v) = (format!("k{i}"), format!("v{i}"));
        producer
            .send(FutureRecord::to(&topic).partition(i % 2).key(&k).payload(&v), Duration::from_secs(30))
            .await
            .unwrap();
    }

    // The same cluster on both sides, through different listeners and credentials; the copy goes
    // to `copy.<topic>`.
    let dir = tempfile::tempdir().unwrap();
    let props = |p: &[(&str, String)]| p.iter().map(|(k, v)| format!("{k:?} = {v:?}\n")).collect::<String>();
    let config = format!(
        "name = \"{topic}\"\n[source]\nalias = \"src\"\nbootstrap = \"{sasl_bootstrap}\"\n[source.properties]\n{}\
         [destination]\nalias = \"dst\"\nbootstrap = \"{ssl_bootstrap}\"\n[destination.properties]\n{}\
         [topics]\ninclude = [\"{topic}\"]\nrename = \"prefix\"\nprefix = \"copy.\"\nrefresh_interval_ms = 500\n",
        props(&sasl),
        props(&mtls)
    );
    let path = dir.path().join("replicate.toml");
    std::fs::write(&path, config).unwrap();
    let log = dir.path().join("replicate.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["replicate", "--config"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let consumer: BaseConsumer = Secure::client(ssl_bootstrap, &mtls)
        .set("group.id", unique("reader"))
        .set("auto.offset.reset", "earliest")
        .set("isolation.level", "read_committed")
        .set("topic.metadata.refresh.interval.ms", "500")
        .create()
        .unwrap();
    consumer.subscribe(&[&format!("copy.{topic}")]).unwrap();
    let mut got = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while got.len() < 100 && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(500)) {
            let k = String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned();
            got.insert(k, (m.partition(), String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned()));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        got.len(),
        100,
        "copied {} of 100; replicator log:\n{}",
        got.len(),
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    for i in 0..100 {
        assert_eq!(got[&format!("k{i}")], (i % 2, format!("v{i}")));
    }
}
