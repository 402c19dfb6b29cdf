//! Exact offset translation, checkpoints of many groups, continuous group-offset sync.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::DefaultProducerContext;
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};
use replicator::group_offsets::GroupOffsets;

use crate::common::*;

fn failover(conf: &std::path::Path, group: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
            .args(["replicate", "failover", "--group", group, "--config"])
            .arg(conf)
            .output()
            .unwrap();
        if out.status.success() {
            return;
        }
        assert!(Instant::now() < deadline, "failover failed: {}", String::from_utf8_lossy(&out.stderr));
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The keys a group reads on the destination from its committed offsets to the end.
fn resume_keys(group: &str, topic: &str, expect: usize) -> Vec<String> {
    let c: BaseConsumer = cfg(&dst())
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("auto.offset.reset", "latest")
        .create()
        .unwrap();
    c.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while out.len() < expect && Instant::now() < deadline {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(300)) {
            out.push(String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned());
        }
    }
    // Nothing more.
    let end = Instant::now() + Duration::from_secs(2);
    while Instant::now() < end {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(200)) {
            out.push(String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned());
        }
    }
    out
}

/// One plain record, then one-record transactions (records on odd offsets, markers on even
/// ones); some aborted, some carrying the destination's origin (skipped as loops). Returns the
/// keys that reach the destination, in order.
async fn transactional_history(topic: &str) -> Vec<String> {
    create_topic(&src(), topic, 1, &[]).await;
    produce_raw(&src(), topic, 0, &[(b"r-0".to_vec(), b"plain".to_vec(), vec![])]).await;
    let p: ThreadedProducer<DefaultProducerContext> =
        cfg(&src()).set("transactional.id", unique("exact-tx")).create().unwrap();
    p.init_transactions(Duration::from_secs(30)).unwrap();
    let mut copied = vec!["r-0".to_string()];
    for i in 1..=200 {
        let (key, abort, looped) = (format!("r-{i}"), i % 10 == 5, i % 10 == 7);
        p.begin_transaction().unwrap();
        let mut h = OwnedHeaders::new();
        if looped {
            h = h.insert(Header { key: "lockstep.origin", value: Some(b"us".as_slice()) });
        }
        p.send(BaseRecord::<[u8], [u8]>::to(topic).partition(0).key(key.as_bytes()).payload(b"t").headers(h)).unwrap();
        if abort {
            p.abort_transaction(Duration::from_secs(30)).unwrap();
        } else {
            p.commit_transaction(Duration::from_secs(30)).unwrap();
            if !looped {
                copied.push(key);
            }
        }
    }
    copied
}

/// `group` processes the first `n` records it sees (read_committed) and commits; their keys.
fn process_and_commit(topic: &str, group: &str, n: usize) -> Vec<String> {
    let c: BaseConsumer = cfg(&src())
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning).unwrap();
    c.assign(&tpl).unwrap();
    let mut seen = Vec::new();
    let mut next = 0;
    while seen.len() < n {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(500)) {
            seen.push(String::from_utf8_lossy(m.key().unwrap()).into_owned());
            next = m.offset() + 1;
        }
    }
    let mut commit = TopicPartitionList::new();
    commit.add_partition_offset(topic, 0, Offset::Offset(next)).unwrap();
    c.commit(&commit, rdkafka::consumer::CommitMode::Sync).unwrap();
    seen
}

/// After failover, `group` reads on the destination exactly the copies it had not processed.
fn assert_resumes_exactly(conf: &std::path::Path, group: &str, topic: &str, copied: &[String], seen: &[String]) {
    failover(conf, group);
    let processed: std::collections::BTreeSet<&String> = seen.iter().collect();
    let want: Vec<String> = copied.iter().filter(|k| !processed.contains(k)).cloned().collect();
    let got = resume_keys(group, topic, want.len());
    assert_eq!(got.first(), want.first(), "the group must resume right after its last processed record");
    assert_eq!(got, want, "replayed or skipped records");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn failover_replays_nothing_after_transactions_aborts_and_loop_skips() {
    let s = Setup::new();
    let topic = unique("exact");
    let group = unique("exact-group");
    let copied = transactional_history(&topic).await;
    let seen = process_and_commit(&topic, &group, 151);
    let conf = Conf::new("exact")
        .topics(&topic)
        .set("offsets", format!("groups = [\"{group}\"]"))
        .set("offsets", "checkpoint_interval_ms = 1000")
        .write(&s, "exact");
    let _r = Replicator::start(&conf);
    assert_eq!(read_all(&dst(), &topic, copied.len(), Duration::from_secs(60)).len(), copied.len());
    std::thread::sleep(Duration::from_millis(3000));
    assert_resumes_exactly(&conf, &group, &topic, &copied, &seen);
}

/// Plain records, one-record transactions (some aborted), plain records again; a group that
/// committed right after the transactions' markers resumes at the first record after them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn a_commit_past_aborted_transactions_translates_exactly() {
    let s = Setup::new();
    let topic = unique("exact-tail");
    let group = unique("exact-tail-group");
    create_topic(&src(), &topic, 1, &[]).await;
    let plain = |from: usize, n: usize| -> Vec<RawRecord<'static>> {
        (from..from + n).map(|i| (format!("k{i}").into_bytes(), b"p".to_vec(), vec![])).collect()
    };
    produce_raw(&src(), &topic, 0, &plain(0, 50)).await;
    let p: ThreadedProducer<DefaultProducerContext> =
        cfg(&src()).set("transactional.id", unique("tail-tx")).create().unwrap();
    p.init_transactions(Duration::from_secs(30)).unwrap();
    for i in 0..20 {
        p.begin_transaction().unwrap();
        let key = format!("k{}", 50 + i);
        p.send(BaseRecord::<[u8], [u8]>::to(&topic).partition(0).key(key.as_bytes()).payload(b"t")).unwrap();
        if i % 5 == 4 {
            // On the broker first, so the aborted record and its marker take offsets.
            p.flush(Duration::from_secs(30)).unwrap();
            p.abort_transaction(Duration::from_secs(30)).unwrap();
        } else {
            p.commit_transaction(Duration::from_secs(30)).unwrap();
        }
    }
    let c: BaseConsumer = cfg(&src()).set("group.id", &group).create().unwrap();
    let (_, tail) = c.fetch_watermarks(&topic, 0, Duration::from_secs(10)).unwrap();
    assert_eq!(tail, 90, "50 plain records, then 20 transactions of one record and one marker each");
    produce_raw(&src(), &topic, 0, &plain(70, 50)).await;
    // The group has processed everything before the tail (keys k70… from offset 90).
    let mut commit = TopicPartitionList::new();
    commit.add_partition_offset(&topic, 0, Offset::Offset(tail)).unwrap();
    c.commit(&commit, rdkafka::consumer::CommitMode::Sync).unwrap();
    let conf = Conf::new("exact-tail")
        .topics(&topic)
        .set("offsets", format!("groups = [\"{group}\"]"))
        .set("offsets", "checkpoint_interval_ms = 1000")
        .write(&s, "exact-tail");
    let _r = Replicator::start(&conf);
    let copied: Vec<String> = read_all(&dst(), &topic, 116, Duration::from_secs(60))
        .iter()
        .map(|r| String::from_utf8_lossy(&r.2).into_owned())
        .collect();
    let all: Vec<String> =
        (0..120).filter(|i| !(50..70).contains(i) || (i - 50) % 5 != 4).map(|i| format!("k{i}")).collect();
    assert_eq!(copied, all, "the copy differs");
    std::thread::sleep(Duration::from_millis(3000));
    failover(&conf, &group);
    let got = resume_keys(&group, &topic, 50);
    let want: Vec<String> = (70..120).map(|i| format!("k{i}")).collect();
    assert_eq!(got, want, "replayed or skipped records");
}

/// The offset syncs outlive the process: a group that commits after the replicator was
/// killed and started again, inside what the first process copied, still translates exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn failover_is_exact_for_a_commit_made_after_the_replicator_was_killed_and_restarted() {
    let s = Setup::new();
    let topic = unique("exact-restart");
    let group = unique("exact-restart-group");
    let copied = transactional_history(&topic).await;
    let conf = Conf::new("exact-restart")
        .topics(&topic)
        .set("offsets", format!("groups = [\"{group}\"]"))
        .set("offsets", "checkpoint_interval_ms = 1000")
        .write(&s, "exact-restart");
    let mut first = Replicator::start(&conf);
    assert_eq!(read_all(&dst(), &topic, copied.len(), Duration::from_secs(60)).len(), copied.len());
    std::thread::sleep(Duration::from_millis(2500)); // the syncs are written within a second
    first.kill9();
    let seen = process_and_commit(&topic, &group, 151);
    let _second = Replicator::start(&conf);
    std::thread::sleep(Duration::from_millis(5000));
    assert_resumes_exactly(&conf, &group, &topic, &copied, &seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn a_thousand_groups_checkpoint_in_one_interval_and_opted_in_groups_sync_forward_only() {
    let s = Setup::new();
    let topic = unique("many");
    create_topic(&src(), &topic, 2, &[]).await;
    produce_plain(&src(), &topic, 2, 400, "m").await;
    let prefix = unique("cg");
    let groups: Vec<String> = (0..1000).map(|i| format!("{prefix}-{i}")).collect();
    let src_admin = GroupOffsets::new(cfg(&src())).unwrap();
    let mut commits = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        let o = BTreeMap::from([((topic.clone(), 0), (i % 200) as i64), ((topic.clone(), 1), 100)]);
        commits.insert(g.clone(), o);
    }
    let r = src_admin.alter(commits, Duration::from_secs(60)).unwrap();
    assert!(r.values().all(Result::is_ok), "{:?}", r.values().find(|v| v.is_err()));
    // Group 1 already consumed further on the destination: it must never move back.
    let dst_admin = GroupOffsets::new(cfg(&dst())).unwrap();
    let ahead = BTreeMap::from([(groups[1].clone(), BTreeMap::from([((topic.clone(), 0), 190i64)]))]);
    create_topic(&dst(), &topic, 2, &[]).await;
    // A fresh topic (or a coordinator still loading) can refuse the first commit: retry.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = dst_admin.alter(ahead.clone(), Duration::from_secs(30)).unwrap();
        match r.values().find(|v| v.is_err()) {
            None => break,
            Some(e) if Instant::now() > deadline => panic!("cannot commit group 1 on the destination: {e:?}"),
            Some(_) => std::thread::sleep(Duration::from_millis(500)),
        }
    }
    let spec = Conf::new("many")
        .topics(&topic)
        .set("offsets", format!("groups = [\"{prefix}-.*\"]"))
        .set("offsets", format!("sync_groups = [\"{prefix}-[0-9]\"]"))
        .set("offsets", "checkpoint_interval_ms = 3000")
        .delivery("at-least-once");
    let conf = spec.write(&s, "many");
    let _r = Replicator::start(&conf);
    let copied = read_all(&dst(), &topic, 400, Duration::from_secs(60));
    if copied.len() != 400 {
        let c: BaseConsumer = cfg(&src()).create().unwrap();
        for p in 0..2 {
            eprintln!("source partition {p}: watermarks {:?}", c.fetch_watermarks(&topic, p, Duration::from_secs(5)));
        }
    }
    assert_eq!(copied.len(), 400);
    // Within about one interval after the copy caught up, every group has its checkpoint.
    let c: BaseConsumer = cfg(&dst()).create().unwrap();
    let cp_topic = format!("lockstep-checkpoints.{}", spec.name);
    let deadline = Instant::now() + Duration::from_secs(12);
    let mut have = 0;
    while Instant::now() < deadline {
        let (_, high) = c.fetch_watermarks(&cp_topic, 0, Duration::from_secs(5)).unwrap_or((0, 0));
        have = high;
        if high >= 2000 {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(have >= 2000, "only {have} checkpoints of 2000 (1000 groups x 2 partitions)");
    // Opted-in groups are committed on the destination, forward only.
    std::thread::sleep(Duration::from_secs(4));
    let names: Vec<String> = groups[..10].to_vec();
    let now = dst_admin.list(&names, Duration::from_secs(30)).unwrap();
    assert_eq!(now[&groups[5]].get(&(topic.clone(), 0)), Some(&5), "group 5 synced exactly");
    assert_eq!(now[&groups[5]].get(&(topic.clone(), 1)), Some(&100));
    assert_eq!(now[&groups[1]].get(&(topic.clone(), 0)), Some(&190), "group 1 never moves backwards");
    let other = dst_admin.list(&[groups[10].clone()], Duration::from_secs(30)).unwrap();
    assert!(other[&groups[10]].is_empty(), "group 10 did not opt in");
}
