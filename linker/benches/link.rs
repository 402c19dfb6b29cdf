//! Linker benchmark: two in-process Lockstep registries (file store, fsync) on loopback.
//!
//! 1. initial sync of N subjects (one version each) with `Link::run_once`;
//! 2. continuous link: time from sending a registration to the source until the record is
//!    durable and applied on the destination (observed through the destination's change feed, so
//!    the measurement adds no polling load), over S sequential registrations.
//!
//! 3. polling (change feed off, as for a non-Lockstep source): requests and time of an idle poll
//!    over N subjects, then the time from a registration on the source until it is visible on the
//!    destination with a 1 s poll interval (no backoff), over P samples.
//!
//! `LINK_BENCH_SUBJECTS` (default 10000), `LINK_BENCH_SAMPLES` (default 500),
//! `LINK_BENCH_CONTEXT_TYPE` (NONE or CUSTOM, default NONE), `LINK_BENCH_POLL_SAMPLES`
//! (default 10; 0 skips polling), `LINK_BENCH_POLL_MS` (default 1000).
//! Run: `CARGO_TARGET_DIR=target-linker cargo bench -p lockstep-linker --bench link`

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use linker::client::{Registration, RegistryClient};
use linker::engine::{Link, LinkConfig};
use linker::mapping::ContextType;
use linker::state::StateFile;
use parking_lot::Mutex;
use tokio::sync::watch;

async fn start(dir: &std::path::Path) -> String {
    let reg = registry::open_file_registry(dir, registry::RegistryConfig::default()).expect("open registry");
    let (listener, addr) = registry::bind("127.0.0.1:0").await.expect("bind");
    tokio::spawn(registry::serve(listener, reg, std::future::pending()));
    format!("http://{addr}")
}

fn schema(i: usize) -> String {
    format!(r#"{{"type":"record","name":"R{i}","namespace":"bench","fields":[{{"name":"f{i}","type":"long"}}]}}"#)
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(bench());
}

async fn bench() {
    let n = env("LINK_BENCH_SUBJECTS", 10_000);
    let samples = env("LINK_BENCH_SAMPLES", 500);
    let ct: ContextType =
        std::env::var("LINK_BENCH_CONTEXT_TYPE").ok().and_then(|v| v.parse().ok()).unwrap_or(ContextType::None);
    let (da, db) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
    let (a, b) = (start(da.path()).await, start(db.path()).await);
    let src = RegistryClient::new(&a);
    let dst = RegistryClient::new(&b);

    populate(&src, n).await;

    let mut cfg = LinkConfig::new(src.clone(), dst.clone());
    cfg.context_type = ct;
    if ct == ContextType::Custom {
        cfg.context = Some(".bench".into());
    }
    cfg.concurrency = 64;
    let link = Link::open(cfg.clone(), StateFile::new(None)).await.expect("link");
    let t = Instant::now();
    let rep = link.run_once().await.expect("initial sync");
    let took = t.elapsed();
    let st = link.status();
    println!(
        "initial sync ({ct}): {} subjects, {} versions imported in {:.2?} ({:.0} subjects/s)",
        rep.subjects,
        st.counts.versions_imported,
        took,
        rep.subjects as f64 / took.as_secs_f64()
    );
    assert_eq!(st.counts.versions_imported as usize, n);
    let prefix = if ct == ContextType::Custom { ":.bench:" } else { "" };

    // Continuous: follow the feed.
    drop(link);
    let link = Link::open(cfg, StateFile::new(None)).await.expect("link");
    let (tx, rx) = watch::channel(false);
    let l2 = link.clone();
    let runner = tokio::spawn(async move { l2.run(rx).await });
    // Wait for the link to be following (its initial pass finds nothing to do).
    while !link.status().initial_sync_done {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Watch the destination's log.
    let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let (wtx, wrx) = watch::channel(false);
    let watcher = watch_destination(dst.clone(), seen.clone(), wrx);
    let mut lat = feed_latencies(&src, &seen, prefix, n, samples).await;
    lat.sort();
    println!(
        "registration sent to source → durable on destination ({} samples): p50 {:.1?}  p90 {:.1?}  p99 {:.1?}  max {:.1?}",
        lat.len(),
        pct(&lat, 0.50),
        pct(&lat, 0.90),
        pct(&lat, 0.99),
        lat.last().copied().unwrap_or_default()
    );
    let _ = tx.send(true);
    let _ = wtx.send(true);
    let _ = runner.await;
    let _ = watcher.await;

    let poll_samples = env("LINK_BENCH_POLL_SAMPLES", 10);
    if poll_samples > 0 {
        poll(&src, &dst, ct, n, samples, poll_samples).await;
    }
}

/// `n` subjects on the source, one version each, 64 registrations at a time.
async fn populate(src: &RegistryClient, n: usize) {
    let t = Instant::now();
    futures_util::stream::iter(0..n)
        .map(|i| {
            let src = src.clone();
            async move {
                let reg = Registration { schema: schema(i), ..Default::default() };
                src.register(&format!("subject-{i:05}-value"), &reg).await.expect("register");
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await;
    println!("populated source: {n} subjects in {:.2?}", t.elapsed());
}

/// Follows the destination's change feed, noting when each subject's first version appears,
/// until `stop` changes.
fn watch_destination(
    dst: RegistryClient,
    seen: Arc<Mutex<HashMap<String, Instant>>>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut pos = 0;
        loop {
            let page = tokio::select! {
                p = dst.changes(pos, 10_000, 1_000) => p,
                _ = stop.changed() => return,
            };
            let Ok(Some(page)) = page else { continue };
            let now = Instant::now();
            for r in &page.records {
                if r.key["keytype"] == "SCHEMA" {
                    if let Some(s) = r.key["subject"].as_str() {
                        seen.lock().entry(s.to_string()).or_insert(now);
                    }
                }
            }
            pos = page.next.max(pos);
        }
    })
}

/// Registers `samples` new subjects on the source one at a time; for each, the time from before
/// the request until the destination shows it.
async fn feed_latencies(
    src: &RegistryClient,
    seen: &Mutex<HashMap<String, Instant>>,
    prefix: &str,
    n: usize,
    samples: usize,
) -> Vec<Duration> {
    let mut lat = Vec::with_capacity(samples);
    for i in 0..samples {
        let subject = format!("live-{i:05}");
        let want = format!("{prefix}{subject}");
        let reg = Registration { schema: schema(n + i), ..Default::default() };
        // Measured from before the request (conservative: includes the source's own fsync).
        let acked = Instant::now();
        src.register(&subject, &reg).await.expect("register");
        let deadline = acked + Duration::from_secs(10);
        loop {
            if let Some(at) = seen.lock().get(&want) {
                lat.push(at.saturating_duration_since(acked));
                break;
            }
            if Instant::now() > deadline {
                panic!("{want} not visible on the destination after 10 s");
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    lat
}

/// Polling with the change feed off: what a poll costs and how soon a change is seen.
async fn poll(src: &RegistryClient, dst: &RegistryClient, ct: ContextType, n: usize, offset: usize, samples: usize) {
    let interval = Duration::from_millis(env("LINK_BENCH_POLL_MS", 1000) as u64);
    let mut cfg = LinkConfig::new(src.clone(), dst.clone());
    cfg.context_type = ct;
    if ct == ContextType::Custom {
        cfg.context = Some(".bench".into());
    }
    cfg.concurrency = 64;
    cfg.use_feed = false;
    cfg.poll_interval = interval;
    cfg.max_poll_interval = Some(interval);
    let link = Link::open(cfg, StateFile::new(None)).await.expect("link");
    link.run_once().await.expect("initial pass");
    // Idle polls (the first one reads every subject's mode/config slice like any other).
    let mut costs = Vec::new();
    for _ in 0..5 {
        let before = src.requests_sent();
        let t = Instant::now();
        let changed = link.poll_once().await.expect("poll");
        costs.push((src.requests_sent() - before, t.elapsed(), changed));
    }
    for (reqs, took, changed) in &costs {
        println!(
            "idle poll over {} subjects: {reqs} requests to the source in {took:.1?} (changed: {changed:?})",
            n + offset
        );
    }
    let (tx, rx) = watch::channel(false);
    let l2 = link.clone();
    let runner = tokio::spawn(async move { l2.run(rx).await });
    let prefix = if ct == ContextType::Custom { ":.bench:" } else { "" };
    let mut lat = Vec::with_capacity(samples);
    for i in 0..samples {
        let subject = format!("polled-{i:05}");
        let reg = Registration { schema: schema(n + offset + i), ..Default::default() };
        let sent = Instant::now();
        src.register(&subject, &reg).await.expect("register");
        let want = format!("{prefix}{subject}");
        loop {
            if dst.versions_with(&want, false).await.map(|v| !v.is_empty()).unwrap_or(false) {
                lat.push(sent.elapsed());
                break;
            }
            if sent.elapsed() > interval * 4 + Duration::from_secs(60) {
                panic!("{want} not visible on the destination");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Land at different points of the poll cycle.
        tokio::time::sleep(Duration::from_millis(137)).await;
    }
    lat.sort();
    println!(
        "polling every {interval:.0?} (feed off), registration → visible ({} samples): p50 {:.0?}  p90 {:.0?}  max {:.0?}",
        lat.len(),
        pct(&lat, 0.50),
        pct(&lat, 0.90),
        lat.last().copied().unwrap_or_default()
    );
    let _ = tx.send(true);
    let _ = runner.await;
}
