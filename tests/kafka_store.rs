//! The registry on the Kafka store, against real Apache Kafka started by `scripts/kafka`.
//!
//! These tests need a broker: `tests/kafka/store.sh` starts one, sets `LOCKSTEP_TEST_KAFKA` and
//! runs them with `--ignored` (the README's test command does that). Each test uses its own topic.

#[path = "../registry/tests/api/restart_paths.rs"]
mod restart_paths;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{json, Value};
use support::Server;

const NEEDS_KAFKA: &str = "needs Kafka: run by tests/kafka/store.sh";

fn kafka() -> String {
    std::env::var("LOCKSTEP_TEST_KAFKA").expect("LOCKSTEP_TEST_KAFKA=host:port (tests/kafka/store.sh sets it)")
}

fn topic(name: &str) -> String {
    format!("_schemas_{name}_{}", std::process::id())
}

/// A data dir of its own per node (it holds only the exporters' state with the Kafka store).
fn node_dir() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "lockstep-kafka-store-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    d.to_string_lossy().into_owned()
}

fn node(topic: &str) -> Server {
    let dir = node_dir();
    Server::start_with(&[
        "--kafka-bootstrap",
        &kafka(),
        "--kafka-topic",
        topic,
        "--kafka-timeout-ms",
        "5000",
        "--data-dir",
        &dir,
    ])
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap()
}

async fn call(method: reqwest::Method, url: &str, body: Option<Value>) -> Result<(u16, Value), reqwest::Error> {
    let mut rb = client().request(method, url).header("Content-Type", "application/vnd.schemaregistry.v1+json");
    if let Some(b) = body {
        rb = rb.body(b.to_string());
    }
    let r = rb.send().await?;
    let status = r.status().as_u16();
    let text = r.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
}

async fn get(base: &str, path: &str) -> (u16, Value) {
    call(reqwest::Method::GET, &format!("{base}{path}"), None).await.unwrap()
}

async fn post(base: &str, path: &str, body: Value) -> (u16, Value) {
    call(reqwest::Method::POST, &format!("{base}{path}"), Some(body)).await.unwrap()
}

async fn put(base: &str, path: &str, body: Value) -> (u16, Value) {
    call(reqwest::Method::PUT, &format!("{base}{path}"), Some(body)).await.unwrap()
}

async fn delete(base: &str, path: &str) -> (u16, Value) {
    call(reqwest::Method::DELETE, &format!("{base}{path}"), None).await.unwrap()
}

fn record(name: &str, fields: &[&str]) -> String {
    let fields: Vec<Value> =
        fields.iter().map(|f| json!({"name": f, "type": ["null", "string"], "default": null})).collect();
    json!({"type": "record", "name": name, "fields": fields}).to_string()
}

async fn snapshot(base: &str, paths: &[&str]) -> Vec<(String, u16, Value)> {
    let mut out = Vec::new();
    for p in paths {
        let (s, b) = get(base, p).await;
        out.push((p.to_string(), s, b));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Kafka: run by tests/kafka/store.sh"]
async fn a_restarted_node_rebuilds_its_state_from_the_topic() {
    let _ = NEEDS_KAFKA;
    let t = topic("restart");
    let n = node(&t);
    let u = n.url.clone();
    assert_eq!(put(&u, "/config", json!({"compatibility": "NONE"})).await.0, 200);
    assert_eq!(post(&u, "/subjects/a/versions", json!({"schema": record("A", &["x"])})).await.1["id"], 1);
    assert_eq!(post(&u, "/subjects/a/versions", json!({"schema": record("A", &["x", "y"])})).await.1["id"], 2);
    assert_eq!(post(&u, "/subjects/:.eu:x/versions", json!({"schema": record("X", &[])})).await.1["id"], 1);
    assert_eq!(post(&u, "/subjects/gone/versions", json!({"schema": "\"int\""})).await.1["id"], 3);
    assert_eq!(delete(&u, "/subjects/a/versions/1").await.0, 200);
    assert_eq!(delete(&u, "/subjects/gone").await.0, 200);
    assert_eq!(delete(&u, "/subjects/gone?permanent=true").await.0, 200);
    assert_eq!(put(&u, "/config/a", json!({"compatibility": "FULL"})).await.0, 200);
    assert_eq!(put(&u, "/mode/ro", json!({"mode": "READONLY"})).await.0, 200);
    let before = snapshot(&u, restart_paths::PATHS).await;
    let id3 = before.iter().find(|(p, ..)| p == "/schemas/ids/3");
    assert_eq!(id3.map(|r| r.1), Some(404), "hard-deleted id 3 must be gone: {id3:?}");
    n.kill9();

    let n2 = node(&t);
    assert_eq!(snapshot(&n2.url, restart_paths::PATHS).await, before);
    // Ids continue after the highest ever used.
    assert_eq!(post(&n2.url, "/subjects/b/versions", json!({"schema": "\"long\""})).await.1["id"], 4);
}

/// One acknowledged registration.
#[derive(Debug, Clone)]
struct Acked {
    subject: String,
    schema: String,
    id: u64,
    version: u64,
}

const SUBJECTS: &[&str] = &["s0", "s1", "s2", "s3", ":.eu:s0", ":.eu:s1", ":.us:s0"];

/// Everything a node says about the subjects the writers used: (subject, version) → (id, schema).
async fn dump(base: &str) -> BTreeMap<(String, u64), (u64, String)> {
    let mut out = BTreeMap::new();
    for s in SUBJECTS {
        let (status, versions) = get(base, &format!("/subjects/{s}/versions")).await;
        if status == 404 {
            continue;
        }
        assert_eq!(status, 200, "{s}: {versions}");
        for v in versions.as_array().unwrap() {
            let (status, body) = get(base, &format!("/subjects/{s}/versions/{v}")).await;
            assert_eq!(status, 200, "{s}/{v}: {body}");
            out.insert(
                (s.to_string(), v.as_u64().unwrap()),
                (body["id"].as_u64().unwrap(), body["schema"].as_str().unwrap().to_string()),
            );
        }
    }
    out
}

fn context_of(subject: &str) -> &str {
    subject.strip_prefix(':').and_then(|s| s.split(':').next()).unwrap_or(".")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Kafka: run by tests/kafka/store.sh"]
async fn three_nodes_and_eight_writers_agree_and_survive_a_killed_node() {
    let t = topic("multi");
    let nodes: Vec<Arc<parking_lot_free::Slot>> =
        (0..3).map(|_| Arc::new(parking_lot_free::Slot::new(node(&t)))).collect();
    let urls: Vec<String> = nodes.iter().map(|n| n.url()).collect();
    // Every context: named contexts never fall back to the root config (Confluent 8.1).
    assert_eq!(put(&urls[0], "/config/:.__GLOBAL:", json!({"compatibility": "NONE"})).await.0, 200);

    const WRITERS: usize = 8;
    const PER_WRITER: usize = 30;
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let urls = urls.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            let mut seed = 0x9E37_79B9u64.wrapping_mul(w as u64 + 1);
            for i in 0..PER_WRITER {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let subject = SUBJECTS[(seed >> 33) as usize % SUBJECTS.len()];
                // 12 schemas shared by all writers: the same schema lands in many subjects.
                let k = (seed >> 17) as usize % 12;
                let schema = record(&format!("S{k}"), &["a"]);
                // Try the writer's node first, then the others (one of them gets killed).
                let mut ok = None;
                for attempt in 0..30 {
                    let url = &urls[(w + i + attempt) % urls.len()];
                    match call(
                        reqwest::Method::POST,
                        &format!("{url}/subjects/{subject}/versions"),
                        Some(json!({"schema": schema})),
                    )
                    .await
                    {
                        Ok((200, body)) => {
                            ok = Some(body);
                            break;
                        }
                        Ok((status, body)) => {
                            assert!(status >= 500, "registration refused: {status} {body}");
                        }
                        Err(_) => {}
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                let body = ok.expect("registration never succeeded on any node");
                acked.push(Acked {
                    subject: subject.to_string(),
                    schema: schema.clone(),
                    id: body["id"].as_u64().unwrap(),
                    version: body["version"].as_u64().unwrap(),
                });
                done.fetch_add(1, Ordering::Relaxed);
            }
            acked
        }));
    }
    // Kill the third node mid-stream.
    let deadline = Instant::now() + Duration::from_secs(60);
    while done.load(Ordering::Relaxed) < WRITERS * PER_WRITER / 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    nodes[2].kill9();
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    assert_eq!(acked.len(), WRITERS * PER_WRITER);

    // A fresh node rebuilt from the topic, and the two survivors, say the same.
    let fresh = node(&t);
    let reference = dump(&fresh.url).await;
    for u in &urls[..2] {
        let mut d = dump(u).await;
        let until = Instant::now() + Duration::from_secs(10);
        while d != reference && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(100)).await;
            d = dump(u).await;
        }
        assert_eq!(d, reference, "node {u} differs from a node rebuilt from the topic");
    }
    // No id maps to two schemas, no schema has two ids, per context.
    let mut by_id: BTreeMap<(String, u64), BTreeSet<String>> = BTreeMap::new();
    let mut by_schema: BTreeMap<(String, String), BTreeSet<u64>> = BTreeMap::new();
    for ((subject, _), (id, schema)) in &reference {
        let ctx = context_of(subject).to_string();
        by_id.entry((ctx.clone(), *id)).or_default().insert(schema.clone());
        by_schema.entry((ctx, schema.clone())).or_default().insert(*id);
    }
    assert!(by_id.values().all(|s| s.len() == 1), "an id holds two schemas: {by_id:?}");
    assert!(by_schema.values().all(|s| s.len() == 1), "a schema has two ids: {by_schema:?}");
    // Every acknowledged write is there, as acknowledged.
    for a in &acked {
        let got = reference.get(&(a.subject.clone(), a.version));
        let want_schema: Value = serde_json::from_str(&a.schema).unwrap();
        let got_schema: Option<Value> = got.map(|(_, s)| serde_json::from_str(s).unwrap());
        assert_eq!(got.map(|g| g.0), Some(a.id), "acknowledged {a:?} is not there as acknowledged: {got:?}");
        assert_eq!(got_schema, Some(want_schema), "acknowledged {a:?}");
    }
    // Each subject holds each schema once: concurrent registrations of one schema in one subject
    // resolve to a single version.
    let mut seen = BTreeSet::new();
    for ((subject, _), (id, _)) in &reference {
        assert!(seen.insert((subject.clone(), *id)), "{subject} holds id {id} twice");
    }
}

/// A Confluent Schema Registry `_schemas` topic, record by record, as its 7.x and 8.x versions
/// write it (reference §5.2): legacy and current key forms, soft deletes, tombstones, configs,
/// modes, contexts.
fn confluent_records() -> Vec<(&'static str, Option<String>)> {
    let order_v1 = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}"#;
    let order_v2 = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"note","type":["null","string"],"default":null}]}"#;
    let eu_order = r#"{"type":"record","name":"EuOrder","fields":[{"name":"id","type":"string"}]}"#;
    let customer = "syntax = \"proto3\";\npackage acme;\n\nmessage Customer {\n  string name = 1;\n}\n";
    let invoice = "syntax = \"proto3\";\npackage acme;\n\nimport \"customer.proto\";\n\nmessage Invoice {\n  .acme.Customer customer = 1;\n}\n";
    let s = |v: &str| serde_json::to_string(v).unwrap();
    vec![
        // Global config, pre-7.0 key form (subject null).
        (r#"{"keytype":"CONFIG","subject":null,"magic":0}"#, Some(r#"{"compatibilityLevel":"BACKWARD"}"#.into())),
        // 7.x SCHEMA value: no schemaType for AVRO.
        (
            r#"{"keytype":"SCHEMA","subject":"orders-value","version":1,"magic":1}"#,
            Some(format!(
                r#"{{"subject":"orders-value","version":1,"id":1,"schema":{},"deleted":false}}"#,
                s(order_v1)
            )),
        ),
        // 8.x SCHEMA value: schemaType AVRO written.
        (
            r#"{"keytype":"SCHEMA","subject":"orders-value","version":2,"magic":1}"#,
            Some(format!(
                r#"{{"subject":"orders-value","version":2,"id":2,"schemaType":"AVRO","schema":{},"deleted":false}}"#,
                s(order_v2)
            )),
        ),
        (
            r#"{"keytype":"CONFIG","subject":"orders-value","magic":0}"#,
            Some(r#"{"subject":"orders-value","compatibilityLevel":"FULL"}"#.into()),
        ),
        (
            r#"{"keytype":"SCHEMA","subject":"customer.proto","version":1,"magic":1}"#,
            Some(format!(
                r#"{{"subject":"customer.proto","version":1,"id":3,"schemaType":"PROTOBUF","schema":{},"deleted":false}}"#,
                s(customer)
            )),
        ),
        (
            r#"{"keytype":"SCHEMA","subject":"invoices-value","version":1,"magic":1}"#,
            Some(format!(
                r#"{{"subject":"invoices-value","version":1,"id":4,"schemaType":"PROTOBUF","references":[{{"name":"customer.proto","subject":"customer.proto","version":1}}],"schema":{},"deleted":false}}"#,
                s(invoice)
            )),
        ),
        // A key in another field order with magic 0 (older writers), then its soft delete.
        (
            r#"{"magic":0,"keytype":"SCHEMA","subject":"legacy","version":1}"#,
            Some(r#"{"subject":"legacy","version":1,"id":5,"schema":"\"string\"","deleted":false}"#.into()),
        ),
        (
            r#"{"magic":0,"keytype":"SCHEMA","subject":"legacy","version":1}"#,
            Some(r#"{"subject":"legacy","version":1,"id":5,"schema":"\"string\"","deleted":true}"#.into()),
        ),
        // Registered, soft-deleted, hard-deleted (tombstone).
        (
            r#"{"keytype":"SCHEMA","subject":"gone","version":1,"magic":1}"#,
            Some(r#"{"subject":"gone","version":1,"id":6,"schema":"\"int\"","deleted":false}"#.into()),
        ),
        (
            r#"{"keytype":"SCHEMA","subject":"gone","version":1,"magic":1}"#,
            Some(r#"{"subject":"gone","version":1,"id":6,"schema":"\"int\"","deleted":true}"#.into()),
        ),
        (r#"{"keytype":"SCHEMA","subject":"gone","version":1,"magic":1}"#, None),
        // A subject in READONLY mode, sharing id 1.
        (
            r#"{"keytype":"MODE","subject":"frozen","magic":0}"#,
            Some(r#"{"subject":"frozen","mode":"READONLY"}"#.into()),
        ),
        (
            r#"{"keytype":"SCHEMA","subject":"frozen","version":1,"magic":1}"#,
            Some(format!(r#"{{"subject":"frozen","version":1,"id":1,"schema":{},"deleted":false}}"#, s(order_v1))),
        ),
        // A context with its own id space and a context-level config.
        (
            r#"{"keytype":"CONTEXT","tenant":"default","context":".eu","magic":0}"#,
            Some(r#"{"tenant":"default","context":".eu"}"#.into()),
        ),
        (
            r#"{"keytype":"SCHEMA","subject":":.eu:orders-value","version":1,"magic":1}"#,
            Some(format!(
                r#"{{"subject":":.eu:orders-value","version":1,"id":1,"schemaType":"AVRO","schema":{},"deleted":false}}"#,
                s(eu_order)
            )),
        ),
        (r#"{"keytype":"CONFIG","subject":":.eu:","magic":0}"#, Some(r#"{"compatibilityLevel":"NONE"}"#.into())),
        // A subject deleted as a whole (DELETE_SUBJECT up to version 2).
        (
            r#"{"keytype":"SCHEMA","subject":"deleted-subject","version":1,"magic":1}"#,
            Some(r#"{"subject":"deleted-subject","version":1,"id":7,"schema":"\"float\"","deleted":false}"#.into()),
        ),
        (
            r#"{"keytype":"SCHEMA","subject":"deleted-subject","version":2,"magic":1}"#,
            Some(r#"{"subject":"deleted-subject","version":2,"id":8,"schema":"\"double\"","deleted":false}"#.into()),
        ),
        (
            r#"{"keytype":"DELETE_SUBJECT","subject":"deleted-subject","magic":0}"#,
            Some(r#"{"subject":"deleted-subject","version":2}"#.into()),
        ),
        (r#"{"keytype":"NOOP","magic":0}"#, None),
        // Global config and mode, 7.0+ key form (no subject).
        (r#"{"keytype":"CONFIG","magic":0}"#, Some(r#"{"compatibilityLevel":"BACKWARD_TRANSITIVE"}"#.into())),
        (r#"{"keytype":"MODE","magic":0}"#, Some(r#"{"mode":"READWRITE"}"#.into())),
    ]
}

fn client_config() -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", kafka());
    c
}

async fn read_topic(topic: &str) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = client_config()
            .set("group.id", "lockstep-test-reader")
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "true")
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&topic, 0, Offset::Beginning).unwrap();
        consumer.assign(&tpl).unwrap();
        let mut out = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            match consumer.poll(Duration::from_millis(500)) {
                Some(Ok(m)) => out.push((m.key().unwrap_or_default().to_vec(), m.payload().map(<[u8]>::to_vec))),
                Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => break,
                _ => {}
            }
        }
        out
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Kafka: run by tests/kafka/store.sh"]
async fn serves_a_topic_written_by_confluent_schema_registry() {
    let t = topic("confluent");
    let admin: AdminClient<DefaultClientContext> = client_config().create().unwrap();
    let new = NewTopic::new(&t, 1, TopicReplication::Fixed(1)).set("cleanup.policy", "compact");
    admin.create_topics([&new], &AdminOptions::new()).await.unwrap();
    let producer: FutureProducer = client_config().set("acks", "all").create().unwrap();
    for (k, v) in confluent_records() {
        let mut r: FutureRecord<'_, str, str> = FutureRecord::to(&t).partition(0).key(k);
        if let Some(v) = &v {
            r = r.payload(v);
        }
        producer.send(r, Duration::from_secs(10)).await.map_err(|(e, _)| e).unwrap();
    }

    let n = node(&t);
    let u = n.url.clone();
    let (_, subjects) = get(&u, "/subjects").await;
    for s in ["orders-value", "customer.proto", "invoices-value", "frozen"] {
        assert!(subjects.as_array().unwrap().contains(&json!(s)), "{s} missing from {subjects}");
    }
    for s in ["legacy", "gone", "deleted-subject"] {
        assert!(!subjects.as_array().unwrap().contains(&json!(s)), "{s} should not be listed: {subjects}");
    }
    assert_eq!(get(&u, "/subjects/orders-value/versions").await.1, json!([1, 2]));
    let (_, v2) = get(&u, "/subjects/orders-value/versions/2").await;
    assert_eq!((v2["id"].clone(), v2["version"].clone()), (json!(2), json!(2)));
    assert!(v2["schema"].as_str().unwrap().contains("\"note\""));
    let (_, one) = get(&u, "/schemas/ids/1").await;
    assert!(one["schema"].as_str().unwrap().contains("\"Order\""));
    assert_eq!(
        get(&u, "/schemas/ids/1/versions").await.1,
        json!([{"subject":"frozen","version":1},{"subject":"orders-value","version":1}])
    );
    let (_, inv) = get(&u, "/subjects/invoices-value/versions/1").await;
    assert_eq!(inv["schemaType"], "PROTOBUF");
    assert_eq!(inv["id"], 4);
    assert_eq!(inv["references"], json!([{"name":"customer.proto","subject":"customer.proto","version":1}]));
    assert_eq!(get(&u, "/subjects/legacy/versions").await.0, 404);
    assert_eq!(get(&u, "/subjects/legacy/versions?deleted=true").await.1, json!([1]));
    assert_eq!(get(&u, "/schemas/ids/6").await.1["error_code"], 40403);
    assert_eq!(get(&u, "/subjects/deleted-subject/versions").await.0, 404);
    assert_eq!(get(&u, "/subjects/deleted-subject/versions?deleted=true").await.1, json!([1, 2]));
    let (_, eu) = get(&u, "/subjects/:.eu:orders-value/versions/1").await;
    assert_eq!(eu["id"], 1);
    assert!(eu["schema"].as_str().unwrap().contains("EuOrder"));
    assert_eq!(get(&u, "/contexts").await.1, json!([".", ".eu"]));
    assert_eq!(get(&u, "/config").await.1["compatibilityLevel"], "BACKWARD_TRANSITIVE");
    assert_eq!(get(&u, "/config/orders-value").await.1["compatibilityLevel"], "FULL");
    assert_eq!(get(&u, "/config/:.eu:").await.1["compatibilityLevel"], "NONE");
    assert_eq!(get(&u, "/mode/frozen").await.1["mode"], "READONLY");
    let frozen = post(&u, "/subjects/frozen/versions", json!({"schema": "\"bytes\""})).await;
    assert_eq!(frozen.1["error_code"], 42205, "{frozen:?}");

    // Lockstep continues the log: the next id is past every id Confluent used, FULL applies,
    // and the record is in Confluent's format.
    let order_v3 = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"note","type":["null","string"],"default":null},{"name":"tag","type":["null","string"],"default":null}]}"#;
    let (status, body) = post(&u, "/subjects/orders-value/versions", json!({"schema": order_v3})).await;
    assert_eq!((status, body["id"].clone()), (200, json!(9)), "{body}");
    let bad = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"#;
    assert_eq!(post(&u, "/subjects/orders-value/versions", json!({"schema": bad})).await.0, 409);
    // A hard delete tombstones exactly the key bytes Confluent wrote, whatever their field order.
    assert_eq!(delete(&u, "/subjects/legacy/versions/1?permanent=true").await.0, 200);

    let log = read_topic(&t).await;
    let written: Vec<&(Vec<u8>, Option<Vec<u8>>)> = log.iter().skip(confluent_records().len()).collect();
    let v3 = written
        .iter()
        .find(|(k, _)| k.as_slice() == br#"{"keytype":"SCHEMA","subject":"orders-value","version":3,"magic":1}"#)
        .expect("Lockstep's SCHEMA record with Confluent's key bytes");
    let value: Value = serde_json::from_slice(v3.1.as_ref().unwrap()).unwrap();
    let fields: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(fields, ["subject", "version", "id", "schemaType", "schema", "deleted"]);
    let last = log.last().unwrap();
    assert_eq!(last.0, br#"{"magic":0,"keytype":"SCHEMA","subject":"legacy","version":1}"#.to_vec());
    assert_eq!(last.1, None);

    // Restarted on the topic it now shares with Confluent's records, it says the same.
    let paths =
        ["/subjects", "/subjects/orders-value/versions/3", "/subjects/legacy/versions?deleted=true", "/schemas/ids/9"];
    let before = snapshot(&u, &paths).await;
    n.kill9();
    let n2 = node(&t);
    assert_eq!(snapshot(&n2.url, &paths).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Kafka: run by tests/kafka/store.sh"]
async fn refuses_a_topic_with_several_partitions_or_without_compaction() {
    let admin: AdminClient<DefaultClientContext> = client_config().create().unwrap();
    let wide = topic("wide");
    let plain = topic("plain");
    let a = NewTopic::new(&wide, 3, TopicReplication::Fixed(1)).set("cleanup.policy", "compact");
    let b = NewTopic::new(&plain, 1, TopicReplication::Fixed(1)).set("cleanup.policy", "delete");
    admin.create_topics([&a, &b], &AdminOptions::new()).await.unwrap();
    for (t, want) in [(&wide, "should have only 1 partition but has 3"), (&plain, "cleanup.policy is 'delete'")] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
            .args(["registry", "--listen", "127.0.0.1:0", "--kafka-bootstrap", &kafka(), "--kafka-topic", t])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{t}: {err}");
    }
}

/// What the Kafka-down test needs to stop and restart its own broker.
fn kafka_script(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/kafka");
    let out = std::process::Command::new(script).args(args).output().unwrap();
    assert!(out.status.success(), "scripts/kafka {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Kafka: run by tests/kafka/store.sh"]
async fn while_kafka_is_down_reads_work_writes_fail_quickly_and_it_recovers() {
    let name = format!("down-{}", std::process::id());
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let bootstrap = kafka_script(&["start", &name, &port.to_string()]);
    struct Stop(String);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/kafka"))
                .args(["stop", &self.0])
                .output();
        }
    }
    let _stop = Stop(name.clone());
    let dir = node_dir();
    let n = Server::start_with(&["--kafka-bootstrap", &bootstrap, "--kafka-timeout-ms", "3000", "--data-dir", &dir]);
    let u = n.url.clone();
    assert_eq!(post(&u, "/subjects/a/versions", json!({"schema": "\"string\""})).await.1["id"], 1);

    kafka_script(&["stop", &name]);
    assert_eq!(get(&u, "/subjects/a/versions/1").await.1["id"], 1, "reads are served from memory");
    assert_eq!(get(&u, "/schemas/ids/1").await.0, 200);
    let started = Instant::now();
    let (status, body) = post(&u, "/subjects/b/versions", json!({"schema": "\"int\""})).await;
    let took = started.elapsed();
    assert_eq!(status, 500, "{body}");
    let code = body["error_code"].as_u64().unwrap();
    assert!(code == 50001 || code == 50002, "{body}");
    assert!(took < Duration::from_secs(8), "a write against a dead Kafka took {took:?}");

    kafka_script(&["restart", &name]);
    let deadline = Instant::now() + Duration::from_secs(90);
    let id = loop {
        let (status, body) = post(&u, "/subjects/b/versions", json!({"schema": "\"int\""})).await;
        if status == 200 {
            break body["id"].as_u64().unwrap();
        }
        assert!(Instant::now() < deadline, "writes did not recover: {status} {body}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(id, 2);
    assert_eq!(get(&u, "/subjects/b/versions/1").await.1["id"], 2);
}

/// A server that one task can kill while others hold its URL.
mod parking_lot_free {
    use std::sync::Mutex;

    use super::Server;

    pub struct Slot {
        url: String,
        server: Mutex<Option<Server>>,
    }

    impl Slot {
        pub fn new(s: Server) -> Self {
            Self { url: s.url.clone(), server: Mutex::new(Some(s)) }
        }
        pub fn url(&self) -> String {
            self.url.clone()
        }
        pub fn kill9(&self) {
            if let Some(s) = self.server.lock().unwrap().take() {
                s.kill9();
            }
        }
    }
}
