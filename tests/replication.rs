//! `lockstep replicate` between two real Kafka clusters with two Lockstep registries.
//!
//! Needs the clusters: `tests/replicator/run.sh` starts them, sets `LOCKSTEP_TEST_SRC`,
//! `LOCKSTEP_TEST_DST` and `LOCKSTEP_TEST_PYTHON` (a venv with Confluent's Python client) and
//! runs these tests with `--ignored`, one at a time.

#[path = "replicator/common.rs"]
mod common;
#[path = "replicator/gate.rs"]
mod gate;
#[path = "replicator/offsets.rs"]
mod offsets;
#[path = "replicator/scale.rs"]
mod scale;
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use support::{get_json, register_schema};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn python_records_with_evolving_schemas_deserialize_on_the_destination() {
    let s = Setup::new();
    let (rs, rd) = (s.registry("src-registry"), s.registry("dst-registry"));
    let topic = unique("orders");
    let metrics_port = free_port();
    create_topic(&src(), &topic, 3, &[("retention.ms", "123456789")]).await;
    let conf = Conf::new("preserve")
        .registries(&rs, &rd)
        .topics(&topic)
        .set("topics", "refresh_interval_ms = 500")
        .set("schemas", "policy = \"preserve\"")
        .set("metrics", format!("listen = \"127.0.0.1:{metrics_port}\""))
        .write(&s, "preserve");
    let _r = Replicator::start(&conf);
    // Produced while the replicator runs; the value schema evolves half-way.
    produce(&src(), &rs.url, &topic, 300, 3);
    let on_src = consume(&src(), &rs.url, &topic, 300, None);
    let on_dst = consume(&dst(), &rd.url, &topic, 300, Some(90));
    assert_eq!(on_dst.len(), 300);
    assert_eq!(comparable(&on_dst), comparable(&on_src), "records differ after replication");
    // Ids preserved: the destination registry serves the same ids with the same schemas.
    let ids: std::collections::BTreeSet<u64> = on_src.iter().map(|r| r["wire_id"].as_u64().unwrap()).collect();
    assert_eq!(ids.len(), 2, "two value schemas were used");
    let http = reqwest::Client::new();
    for id in ids {
        let a = get_json(&http, &format!("{}/schemas/ids/{id}", rs.url)).await;
        let b = get_json(&http, &format!("{}/schemas/ids/{id}", rd.url)).await;
        assert_eq!(a["schema"], b["schema"], "id {id}");
    }
    let mode = get_json(&http, &format!("{}/mode/{topic}-value", rd.url)).await;
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
    let conf = Conf::new("dead").clusters(("eu", &format!("127.0.0.1:{dead}")), ("us", &dst())).write(&s, "dead");
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
        let r = register_schema(&http, &rd.url, &format!("other-{i}"), t).await;
        assert_eq!(r["id"], i as u64 + 1);
    }
    let topic = unique("translated");
    create_topic(&src(), &topic, 2, &[]).await;
    produce(&src(), &rs.url, &topic, 100, 2);
    let conf = Conf::new("translate")
        .registries(&rs, &rd)
        .topics(&topic)
        .set("schemas", "policy = \"translate\"")
        .delivery("at-least-once")
        .write(&s, "translate");
    let _r = Replicator::start(&conf);
    let on_src = consume(&src(), &rs.url, &topic, 100, None);
    let on_dst = consume(&dst(), &rd.url, &topic, 100, Some(90));
    assert_eq!(comparable(&on_dst), comparable(&on_src));
    let src_ids: std::collections::BTreeSet<u64> = on_src.iter().map(|r| r["wire_id"].as_u64().unwrap()).collect();
    let dst_ids: std::collections::BTreeSet<u64> = on_dst.iter().map(|r| r["wire_id"].as_u64().unwrap()).collect();
    assert!(dst_ids.iter().all(|id| *id > 3), "rewritten ids must not be the destination's other schemas: {dst_ids:?}");
    assert_ne!(src_ids, dst_ids);
    // The destination's own schemas are untouched.
    let one = get_json(&http, &format!("{}/schemas/ids/1", rd.url)).await;
    assert_eq!(one["schema"], "\"int\"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn exactly_once_across_kill_9() {
    let s = Setup::new();
    let topic = unique("eos");
    let n = 30_000;
    create_topic(&src(), &topic, 3, &[]).await;
    produce_plain(&src(), &topic, 3, n, "eos").await;
    let conf = Conf::new("eos")
        .topics(&topic)
        .delivery("exactly-once")
        .set("delivery", "batch_max_records = 500")
        .write(&s, "eos");
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
    let base = Conf::new("aa").topics(&topic).set("topics", "refresh_interval_ms = 500").delivery("at-least-once");
    let ab = Conf { name: unique("ab"), ..base.clone() }.clusters(("a", &src()), ("b", &dst())).write(&s, "ab");
    let ba = Conf { name: unique("ba"), ..base }.clusters(("b", &dst()), ("a", &src())).write(&s, "ba");
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
    let conf = Conf::new("fo")
        .topics(&topic)
        .set("offsets", format!("groups = [\"{group}\"]"))
        .set("offsets", "checkpoint_interval_ms = 300")
        .set("delivery", "batch_max_records = 50")
        .write(&s, "fo");
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
    assert_eq!(i, 120, "resumed at f-{i}: the group processed f-0..f-119 and must resume at f-120 exactly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn new_topics_and_partition_increases_are_followed() {
    let s = Setup::new();
    let prefix = unique("grow");
    let conf = Conf::new("grow")
        .topics(&format!("{prefix}-.*"))
        .set("topics", "rename = \"prefix\"")
        .set("topics", "prefix = \"eu.\"")
        .set("topics", "refresh_interval_ms = 500")
        .write(&s, "grow");
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
