//! Lockstep nodes on a shared `_schemas` topic on real Apache Kafka: group commit, and taking
//! over a topic that Karapace (Aiven's registry) writes too — records produced byte for byte as
//! Karapace 6.2.0 produces them.
//!
//! Needs a broker: `tests/kafka/store.sh` starts one and runs these with `--ignored`.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::{json, Value};
use support::Server;

fn kafka() -> String {
    std::env::var("LOCKSTEP_TEST_KAFKA").expect("LOCKSTEP_TEST_KAFKA=host:port (tests/kafka/store.sh sets it)")
}

fn client_config() -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", kafka());
    c
}

async fn create_topic(name: &str) -> String {
    let t = format!("_schemas_{name}_{}", std::process::id());
    let admin: AdminClient<DefaultClientContext> = client_config().create().unwrap();
    let new = NewTopic::new(&t, 1, TopicReplication::Fixed(1)).set("cleanup.policy", "compact");
    admin.create_topics([&new], &AdminOptions::new()).await.unwrap();
    t
}

fn node(topic: &str) -> Server {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "lockstep-cluster-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let dir = dir.to_string_lossy().into_owned();
    Server::start_with(&["--kafka-bootstrap", &kafka(), "--kafka-topic", topic, "--data-dir", &dir])
}

async fn call(method: reqwest::Method, url: &str, body: Option<Value>) -> (u16, Value) {
    let mut rb = reqwest::Client::new()
        .request(method, url)
        .timeout(Duration::from_secs(30))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json");
    if let Some(b) = body {
        rb = rb.body(b.to_string());
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn get(base: &str, path: &str) -> (u16, Value) {
    call(reqwest::Method::GET, &format!("{base}{path}"), None).await
}

/// Produce records as Karapace 6.2.0's `KarapaceProducer.send_kafka_message` does: UTF-8 key and
/// value bytes (an empty value for deletes, never a Kafka null) and its version header.
async fn produce_as_karapace(topic: &str, records: &[(&str, &str)]) {
    let producer: FutureProducer = client_config().set("acks", "all").create().unwrap();
    for (k, v) in records {
        let headers = OwnedHeaders::new().insert(Header { key: "X-Registry-Version", value: Some("karapace-6.2.0") });
        let r: FutureRecord<'_, str, str> = FutureRecord::to(topic).partition(0).key(*k).payload(*v).headers(headers);
        producer.send(r, Duration::from_secs(10)).await.map_err(|(e, _)| e).unwrap();
    }
}

/// Poll `path` until `ok` holds for its answer (the node follows the topic asynchronously).
async fn eventually(base: &str, path: &str, ok: impl Fn(u16, &Value) -> bool) -> (u16, Value) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = get(base, path).await;
        if ok(status, &body) || Instant::now() > deadline {
            return (status, body);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What every node must say once Karapace's records are applied.
async fn assert_karapace_records_applied(u: &str) {
    // Karapace's soft delete of a version Lockstep registered (schema rewritten with sorted keys,
    // no schemaType) took effect: the version is soft-deleted, its text is Lockstep's.
    let (status, body) = eventually(u, "/subjects/users-value/versions", |s, _| s == 404).await;
    assert_eq!(status, 404, "users-value should be soft-deleted: {body}");
    assert_eq!(get(u, "/subjects/users-value/versions?deleted=true").await.1, json!([1]));
    let (_, v1) = get(u, "/subjects/users-value/versions/1?deleted=true").await;
    assert_eq!(v1["schema"], USER_LOCKSTEP, "{v1}");
    // Karapace's permanent delete (empty value) removed its own subject and the id with it.
    let (status, body) = eventually(u, "/schemas/ids/2", |s, _| s == 404).await;
    assert_eq!((status, body["error_code"].clone()), (404, json!(40403)), "{body}");
    assert_eq!(get(u, "/subjects/karapace-value/versions?deleted=true").await.0, 404);
    // Karapace's subject-config delete (empty value) removed the config it had set.
    let (status, body) = eventually(u, "/config/users-value", |s, _| s == 404).await;
    assert_eq!(status, 404, "the deleted subject config is still in force: {body}");
    // Its global config is in force.
    assert_eq!(get(u, "/config").await.1["compatibilityLevel"], "FULL");
}

const USER_LOCKSTEP: &str =
    r#"{"type":"record","name":"User","namespace":"acme","fields":[{"name":"id","type":"long"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Kafka: run by tests/kafka/store.sh"]
async fn karapace_deletes_and_rewritten_schemas_take_effect_on_lockstep_nodes() {
    let t = create_topic("karapace").await;
    let a = node(&t);
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("{}/subjects/users-value/versions", a.url),
        Some(json!({"schema": USER_LOCKSTEP})),
    )
    .await;
    assert_eq!((status, body["id"].clone()), (200, json!(1)), "{body}");

    // Byte for byte what Karapace 6.2.0 writes: keys in Confluent's order (its CANONICAL key
    // mode), values as compact JSON with sorted keys, AVRO without schemaType, the schema itself
    // normalized to sorted keys, deletes as empty values.
    let user_sorted = r#"{"fields":[{"name":"id","type":"long"}],"name":"User","namespace":"acme","type":"record"}"#;
    let own = r#"{"fields":[{"name":"note","type":"string"}],"name":"Note","type":"record"}"#;
    let quoted = |s: &str| serde_json::to_string(s).unwrap();
    let users_soft_delete =
        format!(r#"{{"deleted":true,"id":1,"schema":{},"subject":"users-value","version":1}}"#, quoted(user_sorted));
    let karapace_v1 =
        format!(r#"{{"deleted":false,"id":2,"schema":{},"subject":"karapace-value","version":1}}"#, quoted(own));
    let karapace_soft =
        format!(r#"{{"deleted":true,"id":2,"schema":{},"subject":"karapace-value","version":1}}"#, quoted(own));
    let schema_key = |s: &str| format!(r#"{{"keytype":"SCHEMA","subject":"{s}","version":1,"magic":1}}"#);
    let (users_key, karapace_key) = (schema_key("users-value"), schema_key("karapace-value"));
    let users_config = r#"{"keytype":"CONFIG","subject":"users-value","magic":0}"#;
    produce_as_karapace(
        &t,
        &[
            (r#"{"keytype":"CONFIG","magic":0}"#, r#"{"compatibilityLevel":"FULL"}"#),
            (users_config, r#"{"compatibilityLevel":"NONE"}"#),
            (&users_key, &users_soft_delete),
            (&karapace_key, &karapace_v1),
            (&karapace_key, &karapace_soft),
            (&karapace_key, ""),
            (users_config, ""),
        ],
    )
    .await;

    // The node that was serving the topic follows Karapace's records...
    assert_karapace_records_applied(&a.url).await;
    // ...and a node started afterwards reads them the same way on replay.
    let b = node(&t);
    assert_karapace_records_applied(&b.url).await;
    // Lockstep continues past Karapace's ids.
    let next = r#"{"type":"record","name":"Other","fields":[{"name":"x","type":"int"}]}"#;
    let (status, body) =
        call(reqwest::Method::POST, &format!("{}/subjects/other-value/versions", b.url), Some(json!({"schema": next})))
            .await;
    assert_eq!((status, body["id"].clone()), (200, json!(3)), "{body}");
}

/// `lockstep_registry_store_append_seconds_count`: how many batches the node has produced.
async fn appends(base: &str) -> u64 {
    let text = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("lockstep_registry_store_append_seconds_count "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no store_append count in {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Kafka: run by tests/kafka/store.sh"]
async fn concurrent_writes_on_a_node_share_produces_and_every_node_agrees() {
    let t = create_topic("group").await;
    let a = node(&t);
    let before = appends(&a.url).await;
    let writes = 64;
    let tasks: Vec<_> = (0..writes)
        .map(|i| {
            let url = format!("{}/subjects/group-{i}/versions", a.url);
            let schema = format!(r#"{{"type":"record","name":"G{i}","fields":[{{"name":"f","type":"long"}}]}}"#);
            tokio::spawn(async move { call(reqwest::Method::POST, &url, Some(json!({"schema": schema}))).await })
        })
        .collect();
    let mut ids = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 200, "group-{i}: {body}");
        ids.push((i, body["id"].as_u64().unwrap()));
    }
    let mut sorted: Vec<u64> = ids.iter().map(|(_, id)| *id).collect();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=writes as u64).collect::<Vec<_>>(), "ids must be 1..={writes}, each once");
    let batches = appends(&a.url).await - before;
    assert!(batches > 0 && batches < writes as u64, "{writes} concurrent writes took {batches} produces");
    // Another node, started afterwards, reads the same ids; a later write on it continues after them.
    let b = node(&t);
    for (i, id) in &ids {
        let (_, v) = get(&b.url, &format!("/subjects/group-{i}/versions/1")).await;
        assert_eq!(v["id"].as_u64(), Some(*id), "group-{i} on node b: {v}");
    }
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("{}/subjects/group-0/versions", b.url),
        Some(json!({"schema": r#"{"type":"record","name":"G0","fields":[{"name":"f","type":"long"},{"name":"g","type":["null","long"],"default":null}]}"#})),
    )
    .await;
    assert_eq!((status, body["id"].clone()), (200, json!(writes + 1)), "{body}");
    // Node a follows node b's write (a foreign write: a drains and takes the barrier) and
    // registers on top of it.
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("{}/subjects/group-1/versions", a.url),
        Some(json!({"schema": "\"string\""})),
    )
    .await;
    assert_eq!(status, 409, "group-1 is BACKWARD: a string is not a record: {body}");
    let (status, body) = call(
        reqwest::Method::POST,
        &format!("{}/subjects/other/versions", a.url),
        Some(json!({"schema": "\"string\""})),
    )
    .await;
    assert_eq!((status, body["id"].clone()), (200, json!(writes + 2)), "{body}");
}

/// Every (key, value) of partition 0 of `topic`, oldest first.
fn read_topic(topic: &str) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::Message;
    let c: BaseConsumer = client_config().set("group.id", "lockstep-cluster-test-reader").create().unwrap();
    let (low, high) = c.fetch_watermarks(topic, 0, Duration::from_secs(10)).unwrap();
    let mut tpl = rdkafka::TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, rdkafka::Offset::Offset(low)).unwrap();
    c.assign(&tpl).unwrap();
    let mut out = Vec::new();
    let mut next = low;
    let deadline = Instant::now() + Duration::from_secs(30);
    while next < high && Instant::now() < deadline {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(200)) {
            next = m.offset() + 1;
            out.push((m.key().unwrap_or_default().to_vec(), m.payload().map(<[u8]>::to_vec)));
        }
    }
    out
}

/// A compacted schema topic whose segments roll and get cleaned within seconds.
async fn quickly_compacted_topic(name: &str) -> String {
    let t = format!("_schemas_{name}_{}", std::process::id());
    let admin: AdminClient<DefaultClientContext> = client_config().create().unwrap();
    let new = NewTopic::new(&t, 1, TopicReplication::Fixed(1))
        .set("cleanup.policy", "compact")
        .set("segment.ms", "300")
        .set("min.cleanable.dirty.ratio", "0.001")
        .set("min.compaction.lag.ms", "0")
        .set("delete.retention.ms", "100");
    admin.create_topics([&new], &AdminOptions::new()).await.unwrap();
    t
}

async fn produce(topic: &str, records: &[(&str, Option<String>)]) {
    let producer: FutureProducer = client_config().set("acks", "all").create().unwrap();
    for (k, v) in records {
        let mut r: FutureRecord<'_, str, str> = FutureRecord::to(topic).partition(0).key(*k);
        if let Some(v) = v {
            r = r.payload(v);
        }
        producer.send(r, Duration::from_secs(10)).await.map_err(|(e, _)| e).unwrap();
    }
}

/// The values (None: tombstone) of the records under `key`, oldest first.
fn values_for(topic: &str, key: &str) -> Vec<Option<Value>> {
    read_topic(topic)
        .into_iter()
        .filter(|(k, _)| k == key.as_bytes())
        .map(|(_, v)| v.and_then(|v| serde_json::from_slice(&v).ok()))
        .collect()
}

/// Keep appending (so segments roll and the cleaner runs) until `done` holds or 120 s pass.
async fn compact_until(topic: &str, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        produce(topic, &[(r#"{"keytype":"NOOP","magic":0}"#, None)]).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    true
}

fn schema_value(subject: &str, id: u32, schema: &str, deleted: bool) -> Option<String> {
    Some(
        json!({"subject": subject, "version": 1, "id": id, "schemaType": "AVRO", "schema": schema, "deleted": deleted})
            .to_string(),
    )
}

/// The compaction edge case: two nodes raced for `s` version 1 with the same key; the loser's
/// record came second and was skipped, and its node died before writing the winner again.
/// Compaction keeps the newest record per key — the loser's — so a node rebuilt from the
/// compacted topic would serve the loser's schema and id. Any node now writes the winner again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Kafka: run by tests/kafka/store.sh"]
async fn a_loser_under_the_winners_key_never_survives_compaction() {
    let t = quickly_compacted_topic("loser").await;
    const KEY: &str = r#"{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}"#;
    produce(&t, &[(KEY, schema_value("s", 1, "\"string\"", false)), (KEY, schema_value("s", 2, "\"long\"", false))])
        .await;
    let newest_id = || values_for(&t, KEY).last().cloned().flatten().and_then(|v| v["id"].as_u64());
    let n = node(&t);
    assert_eq!(get(&n.url, "/subjects/s/versions/1").await.1["id"], 1, "the first record wins");
    // A node writes the winner again: it is the newest record for the key.
    let deadline = Instant::now() + Duration::from_secs(20);
    while newest_id() != Some(1) {
        assert!(Instant::now() < deadline, "the winner was not written again: {:?}", values_for(&t, KEY));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Compaction leaves one record for the key: the winner.
    assert!(compact_until(&t, || values_for(&t, KEY).len() == 1).await, "not compacted: {:?}", values_for(&t, KEY));
    assert_eq!(newest_id(), Some(1));
    drop(n);
    let fresh = node(&t);
    let (status, body) = get(&fresh.url, "/subjects/s/versions/1").await;
    assert_eq!((status, body["id"].clone(), body["schema"].clone()), (200, json!(1), json!("\"string\"")), "{body}");
}

/// The other compaction edge case: `t` version 1 lost id 5 to `s` version 1 (another key), then
/// `s` was deleted permanently. Once compaction removes the winner's records, a node rebuilt from
/// the topic would apply the loser. Any node tombstones the loser's key, so compaction removes
/// it too — and a tombstone never deletes a live version, should `t` version 1 be registered
/// for real meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Kafka: run by tests/kafka/store.sh"]
async fn a_loser_never_comes_back_after_its_winner_is_deleted_and_compacted() {
    let t = quickly_compacted_topic("loser-elsewhere").await;
    const WINNER: &str = r#"{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}"#;
    const LOSER: &str = r#"{"keytype":"SCHEMA","subject":"t","version":1,"magic":1}"#;
    produce(
        &t,
        &[
            (WINNER, schema_value("s", 5, "\"string\"", false)),
            (LOSER, schema_value("t", 5, "\"long\"", false)),
            (WINNER, schema_value("s", 5, "\"string\"", true)),
            (WINNER, None),
        ],
    )
    .await;
    let n = node(&t);
    assert_eq!(get(&n.url, "/subjects/t/versions").await.0, 404, "the loser was skipped");
    // The winner's records and the loser's are compacted away.
    let gone =
        || values_for(&t, WINNER).iter().all(Option::is_none) && values_for(&t, LOSER).iter().all(Option::is_none);
    let compacted = compact_until(&t, gone).await;
    drop(n);
    let fresh = node(&t);
    let (status, body) = get(&fresh.url, "/subjects/t/versions").await;
    assert_eq!(status, 404, "the loser came back on a node rebuilt from the compacted topic: {body}");
    assert_eq!(get(&fresh.url, "/schemas/ids/5").await.0, 404);
    assert!(compacted, "not compacted: {:?} {:?}", values_for(&t, WINNER), values_for(&t, LOSER));
    // A stale tombstone never deletes a live version: `t` version 1 registered for real stays.
    let (status, body) =
        call(reqwest::Method::POST, &format!("{}/subjects/t/versions", fresh.url), Some(json!({"schema": "\"int\""})))
            .await;
    assert_eq!(status, 200, "{body}");
    produce(&t, &[(LOSER, None)]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(get(&fresh.url, "/subjects/t/versions/1").await.1["schema"], "\"int\"");
}
