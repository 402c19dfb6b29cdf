//! Links against a small fake registry that answers as some Confluent-compatible registries do
//! (`null` lists, 5xx in the middle of a pass): tolerated, and a link that fails to start leaves
//! the destination's mode as it was.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use common::*;
use linker::engine::{Link, LinkConfig, SyncError};
use linker::mapping::ContextType;
use linker::state::StateFile;
use serde_json::json;
use tokio::sync::watch;

#[derive(Default)]
struct Fake {
    /// Answer 5xx to listings and per-subject reads (a registry failing mid-pass).
    fail_subjects: AtomicBool,
}

async fn answer(State(f): State<Arc<Fake>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let body = match path.as_str() {
        "/v1/metadata/id" => json!({"scope": {"clusters": {"schema-registry-cluster": "fake"}}}),
        // Empty lists as `null`, the way some registries answer.
        "/subjects" if !f.fail_subjects.load(Ordering::SeqCst) => serde_json::Value::Null,
        "/subjects" => {
            return (StatusCode::SERVICE_UNAVAILABLE, r#"{"error_code":50301,"message":"busy"}"#).into_response()
        }
        "/mode" => json!({"mode": "READWRITE"}),
        "/config" => json!({"compatibilityLevel": "BACKWARD"}),
        p if p.starts_with("/subjects/") => {
            if f.fail_subjects.load(Ordering::SeqCst) {
                return (StatusCode::INTERNAL_SERVER_ERROR, r#"{"error_code":50001,"message":"boom"}"#).into_response();
            }
            serde_json::Value::Null
        }
        _ => return (StatusCode::NOT_FOUND, r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#).into_response(),
    };
    ([("content-type", "application/vnd.schemaregistry.v1+json")], body.to_string()).into_response()
}

async fn fake(f: Arc<Fake>) -> String {
    serve_fake(axum::Router::new().fallback(answer).with_state(f)).await
}

fn cfg(src: &str, dst: &Reg) -> LinkConfig {
    let mut c = LinkConfig::new(linker::RegistryClient::new(src), dst.client());
    c.context_type = ContextType::None;
    c.poll_interval = Duration::from_millis(100);
    c
}

#[tokio::test]
async fn null_lists_are_empty_lists() {
    let src = fake(Arc::default()).await;
    let b = start().await;
    let link = Link::open(cfg(&src, &b), StateFile::new(None)).await.unwrap();
    let rep = link.run_once().await.unwrap();
    assert_eq!(rep.subjects, 0);
}

#[tokio::test]
async fn a_link_that_fails_to_start_leaves_the_destination_mode_as_it_was() {
    let f = Arc::new(Fake::default());
    f.fail_subjects.store(true, Ordering::SeqCst);
    let src = fake(f.clone()).await;
    let b = start().await;
    let dst = b.client();
    let dir = tempfile::tempdir().unwrap();
    let state = StateFile::new(Some(dir.path().join("link.json")));

    // --once: the pass fails on a 5xx after the destination was put in IMPORT mode.
    let link = Link::open(cfg(&src, &b), state.clone()).await.unwrap();
    let err = link.run_once().await.unwrap_err();
    assert!(matches!(err, SyncError::Transient(_)), "{err}");
    assert_eq!(dst.get_mode(None, false).await.unwrap().as_deref(), Some("READWRITE"));
    register(&dst, "app", &avro_record("App", &[("a", "int")])).await;
    assert_eq!(state.load().unwrap().unwrap().scope_mode, None);

    // Continuous: retries while the source fails; a clean stop puts the mode back too.
    let c = tempfile::tempdir().unwrap();
    let b2 = start_at(c.path(), "127.0.0.1:0", axum::Router::new()).await;
    let link = Link::open(cfg(&src, &b2), StateFile::new(None)).await.unwrap();
    let (tx, rx) = watch::channel(false);
    let l = link.clone();
    let task = tokio::spawn(async move { l.run(rx).await });
    let d2 = b2.client();
    eventually(10, "IMPORT while starting", || async {
        (d2.get_mode(None, false).await.ok()?.as_deref() == Some("IMPORT")).then_some(())
    })
    .await;
    tx.send(true).unwrap();
    task.await.unwrap().unwrap();
    assert_eq!(d2.get_mode(None, false).await.unwrap().as_deref(), Some("READWRITE"));

    // Once the source answers, the link starts and keeps the destination in IMPORT.
    f.fail_subjects.store(false, Ordering::SeqCst);
    let link = Link::open(cfg(&src, &b2), StateFile::new(None)).await.unwrap();
    link.run_once().await.unwrap();
    assert_eq!(d2.get_mode(None, false).await.unwrap().as_deref(), Some("IMPORT"));
}
