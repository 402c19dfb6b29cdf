//! Context-level configs and modes (`/config/:.ctx:`, `/mode/:.ctx:`) of linked source contexts
//! are mirrored onto the destination contexts they map to — through the change feed and by polling.

mod common;

use std::time::Duration;

use common::*;
use linker::engine::{Link, LinkConfig};
use linker::mapping::ContextType;
use linker::state::StateFile;
use serde_json::{json, Map, Value};
use tokio::sync::watch;

fn body(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

async fn level(c: &linker::RegistryClient, scope: &str) -> Option<String> {
    c.get_config(Some(scope), false).await.unwrap().and_then(|m| m["compatibilityLevel"].as_str().map(String::from))
}

#[tokio::test]
async fn linked_context_configs_and_modes_follow_the_source() {
    let a = start().await;
    let b = start().await;
    let (src, dst) = (a.client(), b.client());
    register(&src, ":.x:orders", &avro_record("Order", &[("a", "int")])).await;
    register(&src, ":.y:other", &avro_record("Other", &[("a", "int")])).await;
    src.put_config(Some(":.x:"), &body(json!({"compatibility": "FULL"}))).await.unwrap();
    src.put_config(Some(":.y:"), &body(json!({"compatibility": "NONE"}))).await.unwrap();
    src.set_mode(Some(":.x:"), "READONLY", false).await.unwrap();

    let mut c = LinkConfig::new(src.clone(), dst.clone());
    c.subjects = vec![":.x:*".into()];
    c.context = Some(".b".into());
    c.context_type = ContextType::Custom;
    let link = Link::open(c.clone(), StateFile::new(None)).await.unwrap();
    link.run_once().await.unwrap();
    assert_eq!(dst.versions_with(":.b.x:orders", false).await.unwrap(), vec![1]);
    assert_eq!(level(&dst, ":.b.x:").await.as_deref(), Some("FULL"));
    assert_eq!(dst.get_mode(Some(":.b.x:"), false).await.unwrap().as_deref(), Some("READONLY"));
    // A context the link does not select is left alone.
    assert_eq!(level(&dst, ":.b.y:").await, None);

    // Following the feed: a context config change and the mode lifted.
    let (tx, rx) = watch::channel(false);
    let l = link.clone();
    let task = tokio::spawn(async move { l.run(rx).await });
    eventually(10, "following", || async { link.status().initial_sync_done.then_some(()) }).await;
    src.delete_mode(Some(":.x:")).await.unwrap();
    eventually(10, "the context mode lifted", || async {
        (dst.get_mode(Some(":.b.x:"), false).await.ok()?.is_none()).then_some(())
    })
    .await;
    src.put_config(Some(":.x:"), &body(json!({"compatibility": "BACKWARD_TRANSITIVE"}))).await.unwrap();
    eventually(10, "the new context config", || async {
        (level(&dst, ":.b.x:").await.as_deref() == Some("BACKWARD_TRANSITIVE")).then_some(())
    })
    .await;
    tx.send(true).unwrap();
    task.await.unwrap().unwrap();

    // Polling (no feed): the config removed on the source is removed on the destination.
    c.use_feed = false;
    c.poll_interval = Duration::from_millis(50);
    let link = Link::open(c, StateFile::new(None)).await.unwrap();
    link.run_once().await.unwrap();
    assert_eq!(link.poll_once().await.unwrap(), Some(false));
    src.delete_config(Some(":.x:")).await.unwrap();
    assert_eq!(link.poll_once().await.unwrap(), Some(true));
    assert_eq!(level(&dst, ":.b.x:").await, None);
}
