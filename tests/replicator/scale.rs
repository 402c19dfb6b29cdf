//! Several processes sharing one replication; live topic selection changes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::common::*;

/// Produce `n` records round-robin over `partitions`, spread over about `over`.
async fn produce_paced(topic: String, partitions: i32, n: usize, over: Duration) {
    let p: FutureProducer = cfg(&src()).set("linger.ms", "5").create().unwrap();
    let chunk = 1000;
    let pause = over / (n / chunk).max(1) as u32;
    for c in 0..n.div_ceil(chunk) {
        let mut futs = Vec::new();
        for i in c * chunk..((c + 1) * chunk).min(n) {
            let key = format!("k-{i}");
            let rec = FutureRecord::to(&topic).partition(i as i32 % partitions).key(&key).payload("v");
            futs.push(p.send_result(rec).map_err(|(e, _)| e).unwrap());
        }
        for f in futs {
            f.await.unwrap().unwrap();
        }
        tokio::time::sleep(pause).await;
    }
}

fn want(partitions: i32, n: usize) -> BTreeMap<i32, Vec<i64>> {
    let mut w = BTreeMap::new();
    for p in 0..partitions {
        let count = (0..n).filter(|i| *i as i32 % partitions == p).count() as i64;
        w.insert(p, (0..count).collect());
    }
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn three_processes_share_twelve_partitions_through_kill_9_and_a_late_joiner() {
    let s = Setup::new();
    let topic = unique("scale");
    let n = 60_000;
    create_topic(&src(), &topic, 12, &[]).await;
    let conf = Conf::new("scale")
        .topics(&topic)
        .set("topics", "refresh_interval_ms = 1000")
        .set("delivery", "batch_max_records = 2000")
        .set("delivery", "workers = 2")
        .write(&s, "scale");
    let mut procs: Vec<Replicator> = (0..3).map(|_| Replicator::start(&conf)).collect();
    let producer = tokio::spawn(produce_paced(topic.clone(), 12, n, Duration::from_secs(12)));
    let c: rdkafka::consumer::BaseConsumer = cfg(&dst()).create().unwrap();
    let written = || -> i64 {
        use rdkafka::consumer::Consumer;
        (0..12).map(|p| c.fetch_watermarks(&topic, p, Duration::from_secs(5)).map_or(0, |(_, h)| h)).sum()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while written() < 15_000 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    procs[1].kill9();
    std::thread::sleep(Duration::from_secs(4));
    procs.push(Replicator::start(&conf));
    producer.await.unwrap();
    let recs = read_all(&dst(), &topic, n, Duration::from_secs(120));
    assert_exactly_once(&recs, &want(12, n));
    assert_eq!(recs.len(), n);
    // The living processes share the partitions; status names them.
    std::thread::sleep(Duration::from_secs(3));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["replicate", "status", "--config"])
        .arg(&conf)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let owners: std::collections::BTreeSet<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(5))
        .map(|o| o.split('/').next().unwrap())
        .collect();
    assert_eq!(text.lines().filter(|l| l.starts_with(&topic)).count(), 12, "{text}");
    assert!(owners.len() >= 2, "partitions spread over the living processes: {text}");
    for (i, p) in procs.iter_mut().enumerate() {
        if i != 1 {
            assert!(p.child.try_wait().unwrap().is_none(), "process {i} exited");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn a_double_start_shares_the_work_and_topic_selection_reloads_live() {
    let s = Setup::new();
    let base = unique("reload");
    let (a, b) = (format!("{base}-a"), format!("{base}-b"));
    create_topic(&src(), &a, 4, &[]).await;
    create_topic(&src(), &b, 1, &[]).await;
    let conf = Conf::new("reload").topics(&a).set("topics", "refresh_interval_ms = 500");
    let path = conf.write(&s, "reload");
    let mut first = Replicator::start(&path);
    let mut second = Replicator::start(&path);
    produce_plain(&src(), &a, 4, 2000, "a").await;
    produce_plain(&src(), &b, 1, 10, "b").await;
    let recs = read_all(&dst(), &a, 2000, Duration::from_secs(60));
    assert_exactly_once(&recs, &want(4, 2000));
    assert!(
        first.child.try_wait().unwrap().is_none() && second.child.try_wait().unwrap().is_none(),
        "both keep running"
    );
    // Include b in the file: picked up without a restart.
    std::fs::write(
        &path,
        std::fs::read_to_string(&path).unwrap().replace(&format!("[\"{a}\"]"), &format!("[\"{base}-.*\"]")),
    )
    .unwrap();
    assert_eq!(read_all(&dst(), &b, 10, Duration::from_secs(30)).len(), 10);
}

/// The stretched-batch counter of a replicator's `/metrics`.
async fn stretched(port: u16) -> u64 {
    let m = metrics(port).await;
    m.lines()
        .find(|l| l.starts_with("lockstep_replicator_stretched_batches_total{"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no stretched-batch counter in {m}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn exactly_once_keeps_a_transaction_open_through_a_backlog_and_not_when_caught_up() {
    let s = Setup::new();
    let topic = unique("stretch");
    let n = 40_000;
    create_topic(&src(), &topic, 2, &[]).await;
    produce_plain(&src(), &topic, 2, n, "b").await;
    let port = free_port();
    let conf = Conf::new("stretch")
        .topics(&topic)
        .set("delivery", "workers = 1")
        .set("metrics", format!("listen = \"127.0.0.1:{port}\""))
        .write(&s, "stretch");
    let _r = Replicator::start(&conf);
    let recs = read_all(&dst(), &topic, n, Duration::from_secs(120));
    assert_exactly_once(&recs, &want(2, n));
    let after_backlog = stretched(port).await;
    assert!(after_backlog > 0, "a 40,000-record backlog copied in 50 ms transactions only");
    // Caught up: records one at a time, each copied in a batch of its own length.
    let p: rdkafka::producer::FutureProducer = cfg(&src()).create().unwrap();
    for i in 0..20 {
        let key = format!("c-{i}");
        let rec = FutureRecord::to(&topic).partition(i % 2).key(&key).payload("v");
        p.send(rec, Duration::from_secs(10)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recs = read_all(&dst(), &topic, n + 20, Duration::from_secs(60));
    assert_eq!(recs.len(), n + 20);
    assert_eq!(stretched(port).await, after_backlog, "a caught-up copy stretched a transaction");
}
