//! Polling a source without a change feed costs a few requests per poll whatever the number of
//! subjects: counted against a fake registry answering as Confluent 7.x does (no `deleted`
//! marks in `GET /schemas`, a clamped page size, slow pages) and against Lockstep with the feed off.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use common::*;
use linker::engine::{Link, LinkConfig};
use linker::mapping::ContextType;
use linker::state::StateFile;
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio::sync::watch;

/// subject → version → (id, schema, deleted)
type Subjects = BTreeMap<String, BTreeMap<i64, (i64, String, bool)>>;

#[derive(Default)]
struct Fake {
    subjects: Mutex<Subjects>,
    configs: Mutex<HashMap<String, String>>,
    requests: AtomicU64,
    page_delay_ms: AtomicU64,
}

/// The fake's page size (Confluent's `schema.search.max.limit` set low).
const FAKE_PAGE: usize = 100;

fn error(status: StatusCode, code: i64, msg: &str) -> Response {
    (status, json!({"error_code": code, "message": msg}).to_string()).into_response()
}

fn item(s: &str, v: i64, id: i64, schema: &str) -> Value {
    json!({"subject": s, "version": v, "id": id, "schema": schema})
}

async fn answer(State(f): State<Arc<Fake>>, req: Request) -> Response {
    f.requests.fetch_add(1, Ordering::SeqCst);
    let path = req.uri().path().to_string();
    let q: HashMap<String, String> = req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect();
    let flag = |k: &str| q.get(k).is_some_and(|v| v == "true");
    let body = match path.as_str() {
        "/v1/metadata/id" => json!({"scope": {"clusters": {"schema-registry-cluster": "fake"}}}),
        "/schemas" => {
            let delay = f.page_delay_ms.load(Ordering::SeqCst);
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            let offset: usize = q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
            let limit = match q.get("limit").and_then(|l| l.parse::<usize>().ok()) {
                Some(l) if l > 0 && l <= FAKE_PAGE => l,
                _ => FAKE_PAGE,
            };
            let subjects = f.subjects.lock();
            let all: Vec<Value> = subjects
                .iter()
                .flat_map(|(s, vs)| {
                    vs.iter()
                        .filter(|(_, (_, _, d))| flag("deleted") || !d)
                        .map(|(v, (id, sc, _))| item(s, *v, *id, sc))
                })
                .skip(offset)
                .take(limit)
                .collect();
            Value::Array(all)
        }
        "/subjects" => {
            let subjects = f.subjects.lock();
            let names: Vec<&String> = subjects
                .iter()
                .filter(|(_, vs)| vs.values().any(|v| flag("deleted") || !v.2))
                .map(|(s, _)| s)
                .collect();
            json!(names)
        }
        "/mode" => json!({"mode": "READWRITE"}),
        "/config" => json!({"compatibilityLevel": "BACKWARD"}),
        p => {
            let parts: Vec<&str> = p.trim_start_matches('/').split('/').collect();
            match parts.as_slice() {
                ["mode", _] => json!({"mode": "READWRITE"}),
                ["config", s] => match f.configs.lock().get(*s) {
                    Some(c) => json!({"compatibilityLevel": c}),
                    None => {
                        return error(
                            StatusCode::NOT_FOUND,
                            40408,
                            "Subject does not have subject-level compatibility configured",
                        )
                    }
                },
                ["subjects", s, "versions"] => {
                    let subjects = f.subjects.lock();
                    let vs: Vec<i64> = subjects
                        .get(*s)
                        .map(|vs| vs.iter().filter(|(_, v)| flag("deleted") || !v.2).map(|(n, _)| *n).collect())
                        .unwrap_or_default();
                    if vs.is_empty() {
                        return error(StatusCode::NOT_FOUND, 40401, "Subject not found.");
                    }
                    json!(vs)
                }
                ["subjects", s, "versions", v] => {
                    let subjects = f.subjects.lock();
                    let n: i64 = v.parse().unwrap_or(-1);
                    match subjects.get(*s).and_then(|vs| vs.get(&n)) {
                        Some((id, sc, d)) if flag("deleted") || !d => item(s, n, *id, sc),
                        _ => return error(StatusCode::NOT_FOUND, 40402, "Version not found."),
                    }
                }
                _ => return error(StatusCode::NOT_FOUND, 404, "HTTP 404 Not Found"),
            }
        }
    };
    ([("content-type", "application/vnd.schemaregistry.v1+json")], body.to_string()).into_response()
}

async fn fake(f: Arc<Fake>) -> String {
    serve_fake(axum::Router::new().fallback(answer).with_state(f)).await
}

fn schema(i: usize) -> String {
    avro_record(&format!("R{i}"), &[("a", "int")])
}

/// A fake source with `n` subjects `s-0000…` of one version each (ids 1..=n).
fn fill(f: &Fake, n: usize) {
    let mut subjects = f.subjects.lock();
    for i in 0..n {
        subjects.insert(format!("s-{i:04}"), BTreeMap::from([(1, (i as i64 + 1, schema(i), false))]));
    }
}

fn cfg(src: &str, dst: &Reg) -> LinkConfig {
    let mut c = LinkConfig::new(linker::RegistryClient::new(src), dst.client());
    c.context_type = ContextType::None;
    c.use_feed = false;
    c.poll_interval = Duration::from_millis(50);
    c.sweep_per_poll = 10;
    c
}

/// Requests one poll sends to the fake.
async fn counted(f: &Fake, link: &Link) -> (Option<bool>, u64) {
    let before = f.requests.load(Ordering::SeqCst);
    let r = link.poll_once().await.unwrap();
    (r, f.requests.load(Ordering::SeqCst) - before)
}

#[tokio::test]
async fn a_poll_costs_a_few_requests_and_finds_every_kind_of_change() {
    let f = Arc::new(Fake::default());
    fill(&f, 300);
    let src = fake(f.clone()).await;
    let b = start().await;
    let dst = b.client();
    let link = Link::open(cfg(&src, &b), StateFile::new(None)).await.unwrap();
    link.run_once().await.unwrap();
    assert_eq!(dst.subjects().await.unwrap().len(), 300);

    // Nothing changed: 4 pages (3 full + 1 empty) of all versions, the same of live versions
    // (no `deleted` marks), global config and mode, 10 subjects' mode and config.
    let bound = 4 + 4 + 2 + 2 * 10;
    let (changed, n) = counted(&f, &link).await;
    assert_eq!(changed, Some(false));
    assert!(n <= bound, "{n} requests for an idle poll of 300 subjects (bound {bound})");

    // A new version: found by the listing, synced with a handful of extra requests.
    f.subjects
        .lock()
        .get_mut("s-0007")
        .unwrap()
        .insert(2, (1000, avro_record("R7", &[("a", "int"), ("b", "[\"null\",\"int\"]")]), false));
    let (changed, n) = counted(&f, &link).await;
    assert_eq!(changed, Some(true));
    assert!(n <= bound + 6, "{n} requests for a poll with one new version");
    assert_eq!(
        dump(&dst, "s-0007").await.iter().map(|v| (v.0, v.1, v.2)).collect::<Vec<_>>(),
        vec![(1, 8, false), (2, 1000, false)]
    );

    // A soft delete (seen only by comparing both listings).
    f.subjects.lock().get_mut("s-0008").unwrap().get_mut(&1).unwrap().2 = true;
    assert_eq!(counted(&f, &link).await.0, Some(true));
    assert_eq!(dump(&dst, "s-0008").await.iter().map(|v| v.2).collect::<Vec<_>>(), vec![true]);

    // A hard-deleted subject.
    f.subjects.lock().remove("s-0009");
    assert_eq!(counted(&f, &link).await.0, Some(true));
    assert!(dst.versions_with("s-0009", true).await.unwrap().is_empty());

    // A subject config: found by the sweep within 300 / 10 polls.
    f.configs.lock().insert("s-0250".into(), "NONE".into());
    let mut polls = 0;
    while dst.get_config(Some("s-0250"), false).await.unwrap().is_none() {
        link.poll_once().await.unwrap();
        polls += 1;
        assert!(polls <= 31, "the config change was not found in {polls} polls");
    }
    assert_eq!(dst.get_config(Some("s-0250"), false).await.unwrap().unwrap()["compatibilityLevel"], "NONE");
}

#[tokio::test]
async fn slow_pages_and_a_request_budget_do_not_break_a_poll() {
    let f = Arc::new(Fake::default());
    fill(&f, 60);
    let src = fake(f.clone()).await;
    let b = start().await;
    let dst = b.client();
    let mut c = cfg(&src, &b);
    c.max_requests_per_second = Some(40.0);
    c.poll_interval = Duration::from_millis(250);
    c.max_poll_interval = Some(Duration::from_millis(1000));
    let link = Link::open(c, StateFile::new(None)).await.unwrap();
    // Initial sync under the budget: 60 subjects (4 requests each) take seconds, not milliseconds.
    let t = Instant::now();
    link.run_once().await.unwrap();
    let used = link.status().counts.versions_imported;
    assert_eq!(used, 60);
    assert!(t.elapsed() >= Duration::from_secs(3), "the budget was not kept: {:?}", t.elapsed());

    // A poll's requests are spaced 25 ms apart; pages answering slowly only make it longer.
    f.page_delay_ms.store(300, Ordering::SeqCst);
    let t = Instant::now();
    let (changed, n) = counted(&f, &link).await;
    assert_eq!(changed, Some(false));
    assert!(t.elapsed() >= Duration::from_millis(25 * (n - 1)), "{n} requests in {:?}", t.elapsed());

    // Continuous: an idle link backs off to the longest interval and still sees a change.
    let (tx, rx) = watch::channel(false);
    let l = link.clone();
    let task = tokio::spawn(async move { l.run(rx).await });
    eventually(20, "backing off to 1000 ms", || async { (link.status().poll_interval_ms == 1000).then_some(()) }).await;
    f.subjects.lock().insert("new".into(), BTreeMap::from([(1, (5000, schema(5000), false))]));
    eventually(20, "the new subject", || async {
        dst.versions_with("new", false).await.ok().filter(|v| !v.is_empty())
    })
    .await;
    tx.send(true).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_lockstep_source_without_its_feed_is_listed_in_pages_too() {
    let a = start().await;
    let b = start().await;
    let (src, dst) = (a.client(), b.client());
    for i in 0..40 {
        register(&src, &format!("s-{i}"), &schema(i)).await;
    }
    let mut c = LinkConfig::new(src.clone(), dst.clone());
    c.context_type = ContextType::None;
    c.use_feed = false;
    c.sweep_per_poll = 5;
    let link = Link::open(c, StateFile::new(None)).await.unwrap();
    link.run_once().await.unwrap();
    // Lockstep marks soft-deleted versions: one listing (a page and an empty one).
    let before = src.requests_sent();
    assert_eq!(link.poll_once().await.unwrap(), Some(false));
    let n = src.requests_sent() - before;
    assert!(n <= 2 + 2 + 2 * 5, "{n} requests for an idle poll of 40 subjects");
    assert_eq!(link.status().dirty.len(), 0);
    src.delete_version("s-3", 1, false).await.unwrap();
    assert_eq!(link.poll_once().await.unwrap(), Some(true));
    assert_eq!(dump(&dst, "s-3").await.iter().map(|v| v.2).collect::<Vec<_>>(), vec![true]);
}
