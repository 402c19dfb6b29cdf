//! End-to-end link tests between real in-process Lockstep registries.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::link_cli as cli;
use common::*;
use linker::client::Registration;
use linker::engine::{Link, LinkConfig, SyncError};
use linker::mapping::{ContextType, Mapping};
use linker::state::{RunState, StateFile};
use serde_json::json;
use tokio::sync::watch;

fn config(src: &Reg, dst: &Reg, ct: ContextType, ctx: Option<&str>, subjects: &[&str]) -> LinkConfig {
    let mut c = LinkConfig::new(src.client(), dst.client());
    c.context_type = ct;
    c.context = ctx.map(String::from);
    c.subjects = subjects.iter().map(|s| s.to_string()).collect();
    c.poll_interval = Duration::from_millis(100);
    c
}

async fn no_diffs(src: &Reg, dst: &Reg, mapping: &Mapping) {
    let (_, _, diffs) = linker::cli::compare(&src.client(), &dst.client(), mapping, 8).await.unwrap();
    assert!(diffs.is_empty(), "differences: {diffs:#?}");
}

#[tokio::test]
async fn initial_sync_carries_references_deletes_and_configs_with_ids() {
    let (a, b) = (start().await, start().await);
    let src = a.client();
    // Ids on the source are not 1, 2, 3...: a throwaway schema takes id 1.
    register(&src, "throwaway", "\"string\"").await;
    let common = avro_record("Common", &[("c", "int")]);
    let common_id = register(&src, "common", &common).await;
    let orders_v1 = json!({"type":"record","name":"Order","fields":[{"name":"c","type":"Common"}]}).to_string();
    let reg = Registration {
        schema: orders_v1,
        references: vec![linker::client::Reference { name: "Common".into(), subject: "common".into(), version: 1 }],
        ..Default::default()
    };
    let orders_id = src.register("orders-value", &reg).await.unwrap();
    let s1 = register(&src, "soft", &avro_record("S", &[("a", "int")])).await;
    register(&src, "soft", &avro_record("S", &[("a", "int"), ("b", "[\"null\",\"string\"]")])).await;
    src.delete_version("soft", 1, false).await.unwrap();
    register(&src, "gone", &avro_record("G", &[("a", "int")])).await;
    src.delete_subject("gone", false).await.unwrap();
    let mut m = serde_json::Map::new();
    m.insert("compatibility".into(), json!("FULL"));
    src.put_config(Some("orders-value"), &m).await.unwrap();
    m.insert("compatibility".into(), json!("FORWARD"));
    src.put_config(None, &m).await.unwrap();
    src.delete_subject("throwaway", false).await.unwrap();
    src.delete_subject("throwaway", true).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("link.json");
    let st = state.to_str().unwrap();
    let code =
        cli(&["--once", "--source", &a.url, "--destination", &b.url, "--context-type", "NONE", "--state-file", st])
            .await;
    assert_eq!(code, std::process::ExitCode::SUCCESS);

    let dst = b.client();
    let mapping = Mapping::new(&["*".into()], ContextType::None, None, "${subject}").unwrap();
    no_diffs(&a, &b, &mapping).await;
    assert_eq!(dst.schema_by_id(common_id).await.unwrap(), common);
    let o = dst.version("orders-value", "1").await.unwrap();
    assert_eq!((o.id, o.references[0].subject.as_str()), (orders_id, "common"));
    assert_eq!(dump(&dst, "soft").await.iter().map(|v| (v.1, v.2)).collect::<Vec<_>>()[0], (s1, true));
    assert_eq!(dst.versions_with("gone", false).await.unwrap(), Vec::<i64>::new());
    assert_eq!(dst.versions_with("gone", true).await.unwrap(), vec![1]);
    assert!(dst.versions_with("throwaway", true).await.unwrap().is_empty());
    assert_eq!(dst.get_config(Some("orders-value"), false).await.unwrap().unwrap()["compatibilityLevel"], "FULL");
    assert_eq!(dst.get_config(None, true).await.unwrap().unwrap()["compatibilityLevel"], "FORWARD");
    assert_eq!(dst.get_mode(Some("orders-value"), true).await.unwrap().as_deref(), Some("IMPORT"));
    // Applications cannot write to the destination while it is linked.
    let err = dst.register("orders-value", &Registration { schema: "\"int\"".into(), ..Default::default() }).await;
    assert_eq!(err.unwrap_err().code(), Some(42205));

    // Hard deletes and config removal follow on the next run.
    src.delete_version("soft", 1, true).await.unwrap();
    src.delete_subject("gone", true).await.unwrap();
    src.delete_config(Some("orders-value")).await.unwrap();
    let code =
        cli(&["--once", "--source", &a.url, "--destination", &b.url, "--context-type", "NONE", "--state-file", st])
            .await;
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    no_diffs(&a, &b, &mapping).await;
    assert_eq!(dst.versions_with("soft", true).await.unwrap(), vec![2]);
    assert!(dst.versions_with("gone", true).await.unwrap().is_empty());
    assert_eq!(dst.get_config(Some("orders-value"), false).await.unwrap(), None);
    let saved = StateFile::new(Some(state.clone())).load().unwrap().unwrap();
    assert!(saved.initial_sync_done && saved.feed && saved.position > 0);
    assert!(saved.counts.versions_imported >= 5 && saved.counts.hard_deletes >= 2);
    // `verify` agrees.
    let code = cli(&["verify", "--source", &a.url, "--destination", &b.url, "--context-type", "NONE"]).await;
    assert_eq!(code, std::process::ExitCode::SUCCESS);
}

#[tokio::test]
async fn continuous_link_follows_the_change_feed_within_milliseconds() {
    let (a, b) = (start().await, start().await);
    let src = a.client();
    register(&src, "early", &avro_record("E", &[("a", "int")])).await;
    let link =
        Link::open(config(&a, &b, ContextType::Custom, Some(".east"), &["*"]), StateFile::new(None)).await.unwrap();
    let (tx, rx) = watch::channel(false);
    let l2 = link.clone();
    let task = tokio::spawn(async move { l2.run(rx).await });
    let dst = b.client();
    eventually(10, "initial sync", || async {
        (!dst.versions_with(":.east:early", false).await.ok()?.is_empty()).then_some(())
    })
    .await;
    assert!(link.status().feed, "a Lockstep source is followed through its change feed");
    assert_eq!(dst.get_mode(Some(":.east:"), false).await.unwrap().as_deref(), Some("IMPORT"));

    let mut worst = Duration::ZERO;
    for i in 0..5 {
        let schema = avro_record(&format!("N{i}"), &[("a", "int")]);
        let t0 = Instant::now();
        let id = register(&src, &format!("new-{i}"), &schema).await;
        let subject = format!(":.east:new-{i}");
        let got = eventually(5, "new version", || async { dst.version(&subject, "1").await.ok() }).await;
        worst = worst.max(t0.elapsed());
        assert_eq!((got.id, got.schema), (id, schema));
    }
    assert!(worst < Duration::from_secs(2), "slowest change took {worst:?}");

    // Soft delete, new version, subject config: all followed.
    src.delete_subject("new-0", false).await.unwrap();
    eventually(5, "soft delete", || async {
        dst.versions_with(":.east:new-0", false).await.ok()?.is_empty().then_some(())
    })
    .await;
    let mut m = serde_json::Map::new();
    m.insert("compatibility".into(), json!("NONE"));
    src.put_config(Some("new-1"), &m).await.unwrap();
    eventually(5, "config", || async {
        (dst.get_config(Some(":.east:new-1"), false).await.ok()??["compatibilityLevel"] == "NONE").then_some(())
    })
    .await;
    src.delete_subject("new-0", true).await.unwrap();
    eventually(5, "hard delete", || async {
        dst.versions_with(":.east:new-0", true).await.ok()?.is_empty().then_some(())
    })
    .await;

    tx.send(true).unwrap();
    assert!(task.await.unwrap().is_ok());
    let mapping = link.mapping().clone();
    no_diffs(&a, &b, &mapping).await;
}

#[tokio::test]
async fn polling_mirrors_a_source_without_a_feed() {
    let (a, b) = (start().await, start().await);
    let src = a.client();
    let mut cfg = config(&a, &b, ContextType::None, None, &["p-*"]);
    cfg.use_feed = false;
    let link = Link::open(cfg, StateFile::new(None)).await.unwrap();
    let (tx, rx) = watch::channel(false);
    let l2 = link.clone();
    let task = tokio::spawn(async move { l2.run(rx).await });
    let id = register(&src, "p-1", &avro_record("P", &[("a", "int")])).await;
    register(&src, "other", &avro_record("O", &[("a", "int")])).await;
    let dst = b.client();
    let v = eventually(10, "polled version", || async { dst.version("p-1", "1").await.ok() }).await;
    assert_eq!(v.id, id);
    assert!(!link.status().feed);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(dst.versions_with("other", true).await.unwrap().is_empty(), "not selected");
    tx.send(true).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_conflicting_id_stops_the_link_names_both_sides_and_resume_continues() {
    let (a, b) = (start().await, start().await);
    let (src, dst) = (a.client(), b.client());
    // The destination already holds id 1 with another schema.
    let theirs = avro_record("Theirs", &[("x", "string")]);
    assert_eq!(register(&dst, "local", &theirs).await, 1);
    let ours = avro_record("Ours", &[("a", "int")]);
    assert_eq!(register(&src, "orders", &ours).await, 1);
    register(&src, "fine", &avro_record("Fine", &[("a", "int")])).await;

    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.json");
    let st = state.to_str().unwrap();
    let args = [
        "--once",
        "--source",
        &a.url,
        "--destination",
        &b.url,
        "--context-type",
        "NONE",
        "--subjects",
        "orders",
        "--state-file",
        st,
    ];
    assert_eq!(cli(&args).await, std::process::ExitCode::from(1));
    // Never overwritten.
    assert_eq!(dst.schema_by_id(1).await.unwrap(), theirs);
    assert!(dst.versions_with("orders", true).await.unwrap().is_empty());
    let saved = StateFile::new(Some(state.clone())).load().unwrap().unwrap();
    assert_eq!(saved.state, RunState::Error);
    let msg = saved.last_error.unwrap();
    assert!(msg.contains(&a.url) && msg.contains(&b.url) && msg.contains("orders") && msg.contains("id 1"), "{msg}");
    assert!(saved.dirty.contains("orders"));

    // The operator frees id 1 on the destination; the same command resumes and succeeds.
    dst.delete_subject("local", false).await.unwrap();
    dst.delete_subject("local", true).await.unwrap();
    assert_eq!(cli(&args).await, std::process::ExitCode::SUCCESS);
    assert_eq!(dst.schema_by_id(1).await.unwrap(), ours);
    let saved = StateFile::new(Some(state)).load().unwrap().unwrap();
    assert!(saved.dirty.is_empty() && saved.last_error.is_none());
}

#[tokio::test]
async fn a_different_schema_under_the_same_version_is_a_conflict() {
    let (a, b) = (start().await, start().await);
    let (src, dst) = (a.client(), b.client());
    register(&src, "x", &avro_record("A", &[("a", "int")])).await;
    register(&dst, "y", "\"string\"").await; // makes the destination non-empty: per-subject IMPORT
    register(&dst, "x", &avro_record("B", &[("b", "int")])).await; // x v1 = id 2
    let link = Link::open(config(&a, &b, ContextType::None, None, &["x"]), StateFile::new(None)).await.unwrap();
    let err = link.run_once().await.unwrap_err();
    let SyncError::Conflict(msg) = err else { panic!("not a conflict: {err:?}") };
    assert!(msg.contains("'x' version 1 is schema id 1") && msg.contains("version 1 is schema id 2"), "{msg}");
    assert_eq!(link.status().state, RunState::Error);
    assert_eq!(dump(&dst, "x").await.len(), 1);
}

#[tokio::test]
async fn bidirectional_links_with_contexts_do_not_loop() {
    let (a, b) = (start().await, start().await);
    let ab = Link::open(config(&a, &b, ContextType::Custom, Some(".a"), &[":*:"]), StateFile::new(None)).await.unwrap();
    let ba = Link::open(config(&b, &a, ContextType::Custom, Some(".b"), &[":*:"]), StateFile::new(None)).await.unwrap();
    let (tx, rx) = watch::channel(false);
    let t1 = tokio::spawn({
        let (l, rx) = (ab.clone(), rx.clone());
        async move { l.run(rx).await }
    });
    let t2 = tokio::spawn({
        let l = ba.clone();
        async move { l.run(rx).await }
    });
    let (ca, cb) = (a.client(), b.client());
    // Both regions start ids at 1: contexts keep them apart.
    let xa = register(&ca, "x", &avro_record("X", &[("a", "int")])).await;
    let yb = register(&cb, "y", &avro_record("Y", &[("b", "int")])).await;
    assert_eq!((xa, yb), (1, 1));
    let on_b = eventually(10, "x on b", || async { cb.version(":.a:x", "1").await.ok() }).await;
    let on_a = eventually(10, "y on a", || async { ca.version(":.b:y", "1").await.ok() }).await;
    assert_eq!((on_b.id, on_a.id), (1, 1));
    // A second round of changes on both sides, then let the links settle.
    register(&ca, "x", &avro_record("X", &[("a", "int"), ("n", "[\"null\",\"int\"]")])).await;
    eventually(10, "x v2 on b", || async { cb.version(":.a:x", "2").await.ok() }).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut sa = ca.subjects().await.unwrap();
    let mut sb = cb.subjects().await.unwrap();
    sa.sort();
    sb.sort();
    assert_eq!(sa, vec![":.b:y".to_string(), "x".to_string()]);
    assert_eq!(sb, vec![":.a:x".to_string(), "y".to_string()]);
    assert!(ab.status().counts.skipped_imported + ba.status().counts.skipped_imported >= 2);
    tx.send(true).unwrap();
    t1.await.unwrap().unwrap();
    t2.await.unwrap().unwrap();
}

#[tokio::test]
async fn three_registries_fan_in_keeps_each_origin_in_its_context() {
    let (a, b, c) = (start().await, start().await, start().await);
    let ia = register(&a.client(), "orders", &avro_record("OA", &[("a", "int")])).await;
    let ib = register(&b.client(), "orders", &avro_record("OB", &[("b", "int")])).await;
    assert_eq!(ia, ib);
    for (src, ctx) in [(&a, ".region-a"), (&b, ".region-b")] {
        let l =
            Link::open(config(src, &c, ContextType::Custom, Some(ctx), &["*"]), StateFile::new(None)).await.unwrap();
        l.run_once().await.unwrap();
    }
    // And C's own schemas go back to A (its context .region-c), while A's copy in C is not re-exported.
    register(&c.client(), "local", &avro_record("L", &[("c", "int")])).await;
    let back = Link::open(config(&c, &a, ContextType::Custom, Some(".region-c"), &[":*:"]), StateFile::new(None))
        .await
        .unwrap();
    back.run_once().await.unwrap();
    let cc = c.client();
    assert_eq!(cc.version(":.region-a:orders", "1").await.unwrap().id, ia);
    assert_eq!(cc.version(":.region-b:orders", "1").await.unwrap().id, ib);
    assert_ne!(
        cc.version(":.region-a:orders", "1").await.unwrap().schema,
        cc.version(":.region-b:orders", "1").await.unwrap().schema
    );
    let mut on_a = a.client().subjects().await.unwrap();
    on_a.sort();
    assert_eq!(on_a, vec![":.region-c:local".to_string(), "orders".to_string()]);
}

#[tokio::test]
async fn a_restart_in_the_middle_of_the_initial_sync_resumes_without_duplicates() {
    let (a, b) = (start().await, start().await);
    let src = a.client();
    let n = 200;
    for i in 0..n {
        register(&src, &format!("s-{i:03}"), &avro_record(&format!("R{i}"), &[("a", "int")])).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("link.json");
    let mut cfg = config(&a, &b, ContextType::None, None, &["*"]);
    cfg.concurrency = 4;
    let link = Link::open(cfg.clone(), StateFile::new(Some(state.clone()))).await.unwrap();
    let (_tx, rx) = watch::channel(false);
    let l2 = link.clone();
    let task = tokio::spawn(async move { l2.run(rx).await });
    eventually(20, "some progress", || async { (link.status().counts.versions_imported >= 20).then_some(()) }).await;
    task.abort(); // a crash, not a graceful stop
    let _ = task.await;
    let dst = b.client();
    let copied = dst.subjects().await.unwrap().len();
    assert!(copied < n, "the first run should not have finished ({copied} of {n})");
    link.save(true);
    drop(link);

    let again = Link::open(cfg, StateFile::new(Some(state))).await.unwrap();
    assert!(!again.status().initial_sync_done);
    let rep = again.run_once().await.unwrap();
    assert_eq!(rep.failed, 0);
    let subjects = dst.subjects().await.unwrap();
    assert_eq!(subjects.len(), n);
    for s in subjects.iter().step_by(17) {
        let v = dump(&dst, s).await;
        assert_eq!(v.len(), 1, "{s} has one version");
        assert_eq!(v[0].1, src.version(s, "1").await.unwrap().id);
    }
    // Only the rest was imported by the second run.
    assert!(again.status().counts.versions_imported < 2 * n as u64);
    no_diffs(&a, &b, &Mapping::new(&["*".into()], ContextType::None, None, "${subject}").unwrap()).await;
}

#[tokio::test]
async fn a_destination_that_was_down_catches_up() {
    let (a, b) = (start().await, start().await);
    let src = a.client();
    register(&src, "before", &avro_record("B", &[("a", "int")])).await;
    let link = Link::open(config(&a, &b, ContextType::None, None, &["*"]), StateFile::new(None)).await.unwrap();
    let (tx, rx) = watch::channel(false);
    let l2 = link.clone();
    let task = tokio::spawn(async move { l2.run(rx).await });
    let dst = b.client();
    eventually(10, "initial", || async { dst.version("before", "1").await.ok() }).await;
    let (addr, dir) = (b.addr, b.dir.clone());
    let tmp = b.stop().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(register(&src, &format!("while-down-{i}"), &avro_record(&format!("W{i}"), &[("a", "int")])).await);
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(link.status().dirty.len() >= 5, "the subjects wait for the destination: {:?}", link.status());
    assert_eq!(link.status().state, RunState::Running, "a transient outage is not an ERROR");
    // `lockstep link status` shows them waiting.
    let st = link.status();
    assert!(st.subjects["while-down-0"].pending_since_ms.is_some(), "{:?}", st.subjects);
    let b2 = start_at(&dir, &addr.to_string(), axum::Router::new()).await;
    let dst = b2.client();
    for (i, id) in ids.iter().enumerate() {
        let s = format!("while-down-{i}");
        let v = eventually(15, "catch-up", || async { dst.version(&s, "1").await.ok() }).await;
        assert_eq!(v.id, *id);
    }
    eventually(5, "clean", || async { link.status().dirty.is_empty().then_some(()) }).await;
    let row = link.status().subjects["while-down-0"].clone();
    assert!(row.pending_since_ms.is_none() && row.version == 1 && row.lag_ms >= 500, "{row:?}");
    tx.send(true).unwrap();
    task.await.unwrap().unwrap();
    drop(tmp);
}

#[tokio::test]
async fn failover_promote_then_failback_by_reversing_the_link() {
    let (a, b) = (start().await, start().await);
    let (ca, cb) = (a.client(), b.client());
    let id = register(&ca, "orders", &avro_record("O", &[("a", "int")])).await;
    let ab = Link::open(config(&a, &b, ContextType::None, None, &["*"]), StateFile::new(None)).await.unwrap();
    ab.run_once().await.unwrap();
    assert_eq!(cb.get_mode(None, true).await.unwrap().as_deref(), Some("IMPORT"));

    // Region A is lost: promote B.
    assert_eq!(cli(&["promote", "--destination", &b.url]).await, std::process::ExitCode::SUCCESS);
    assert_eq!(cb.get_mode(Some("orders"), true).await.unwrap().as_deref(), Some("READWRITE"));
    let v2 = avro_record("O", &[("a", "int"), ("b", "[\"null\",\"string\"]")]);
    let id2 = register(&cb, "orders", &v2).await;
    assert_ne!(id2, id);

    // A is back: reverse the link (B → A), verify, then promote A again.
    let ba = Link::open(config(&b, &a, ContextType::None, None, &["*"]), StateFile::new(None)).await.unwrap();
    ba.run_once().await.unwrap();
    assert_eq!(ca.version("orders", "2").await.unwrap().id, id2);
    let code = cli(&["verify", "--source", &b.url, "--destination", &a.url, "--context-type", "NONE"]).await;
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    assert_eq!(ca.get_mode(Some("orders"), true).await.unwrap().as_deref(), Some("IMPORT"));
    assert_eq!(cli(&["promote", "--destination", &a.url]).await, std::process::ExitCode::SUCCESS);
    assert_eq!(ca.get_mode(Some("orders"), true).await.unwrap().as_deref(), Some("READWRITE"));
    register(
        &ca,
        "orders",
        &avro_record("O", &[("a", "int"), ("b", "[\"null\",\"string\"]"), ("c", "[\"null\",\"int\"]")]),
    )
    .await;
}

#[tokio::test]
async fn verify_reports_differences() {
    let (a, b) = (start().await, start().await);
    register(&a.client(), "x", &avro_record("X", &[("a", "int")])).await;
    let code = cli(&["verify", "--source", &a.url, "--destination", &b.url, "--context", ".dr"]).await;
    assert_eq!(code, std::process::ExitCode::from(1));
    let m = Mapping::new(&["*".into()], ContextType::Custom, Some(".dr".into()), "${subject}").unwrap();
    let (_, _, diffs) = linker::cli::compare(&a.client(), &b.client(), &m, 4).await.unwrap();
    assert_eq!(diffs.len(), 1);
    assert_eq!(diffs[0].destination_subject, ":.dr:x");
}

#[tokio::test]
async fn rename_format_and_auto_context() {
    let (a, b) = (start().await, start().await);
    register(&a.client(), "orders", &avro_record("O", &[("a", "int")])).await;
    let mut cfg = config(&a, &b, ContextType::Auto, None, &["*"]);
    cfg.rename_format = "dc_${subject}".into();
    let link = Link::open(cfg, StateFile::new(None)).await.unwrap();
    link.run_once().await.unwrap();
    let ctx = link.mapping().context().unwrap().to_string();
    // A Lockstep source is named by its instance id: the origin of what the link imports.
    let id = a.client().identity().await.unwrap().instance_id.unwrap();
    assert_eq!(ctx, format!(".{id}"));
    assert_eq!(b.client().version(&format!(":{ctx}:dc_orders"), "1").await.unwrap().id, 1);
    let _ = Arc::clone(&link);
}
