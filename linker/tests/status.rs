//! `lockstep link status`: per linked subject its destination, origin (the registry its schemas
//! come from, through any number of hops), version, last sync and lag.

mod common;

use common::*;
use linker::cli::subject_statuses;
use linker::engine::{Link, LinkConfig};
use linker::mapping::ContextType;
use linker::state::{LinkState, StateFile, SubjectStatus};
use serde_json::json;
use tokio::sync::watch;

fn auto(src: &Reg, dst: &Reg) -> LinkConfig {
    let mut c = LinkConfig::new(src.client(), dst.client());
    c.context_type = ContextType::Auto;
    c.subjects = vec![":*:".into()];
    c
}

#[tokio::test]
async fn status_names_each_subjects_origin_version_and_lag() {
    let (a, b, c) = (start().await, start().await, start().await);
    let id = |r: &Reg| {
        let c = r.client();
        async move { c.identity().await.unwrap().instance_id.unwrap() }
    };
    let (ida, idb) = (id(&a).await, id(&b).await);
    register(&a.client(), "orders", &avro_record("Order", &[("a", "int")])).await;
    register(&a.client(), "orders", &avro_record("Order", &[("a", "int"), ("b", "[\"null\",\"int\"]")])).await;
    register(&b.client(), "payments", &avro_record("Payment", &[("a", "int")])).await;
    Link::open(auto(&a, &b), StateFile::new(None)).await.unwrap().run_once().await.unwrap();

    // B → C carries B's own subject and forwards A's.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b-to-c.json");
    let link = Link::open(auto(&b, &c), StateFile::new(Some(path.clone()))).await.unwrap();
    link.run_once().await.unwrap();
    let st: LinkState = StateFile::new(Some(path.clone())).load().unwrap().unwrap();
    assert_eq!(st.source_origin.as_deref(), Some(idb.as_str()));
    let rows = subject_statuses(&st, linker::state::now_ms());
    let by: std::collections::HashMap<String, serde_json::Value> =
        rows.into_iter().map(|r| (r["subject"].as_str().unwrap().to_string(), r)).collect();
    let fwd = &by[&format!(":.{ida}:orders")];
    assert_eq!(fwd["origin"], json!(ida));
    assert_eq!(fwd["destination"], json!(format!(":.{ida}:orders")));
    assert_eq!(fwd["version"], json!(2));
    let own = &by["payments"];
    assert_eq!(own["origin"], json!(idb));
    assert_eq!(own["destination"], json!(format!(":.{idb}:payments")));
    assert_eq!(own["version"], json!(1));
    for r in by.values() {
        assert!(r["lastSyncMs"].as_u64().unwrap() > 0 && r["lagMs"].is_u64() && r.get("pendingMs").is_none(), "{r}");
    }

    // A change followed through the feed updates the subject's row.
    let (tx, rx) = watch::channel(false);
    let l = link.clone();
    let task = tokio::spawn(async move { l.run(rx).await });
    eventually(10, "following", || async { link.status().initial_sync_done.then_some(()) }).await;
    register(&b.client(), "payments", &avro_record("Payment", &[("a", "int"), ("b", "[\"null\",\"int\"]")])).await;
    let row = eventually(10, "version 2 in the status", || async {
        let st = link.status();
        st.subjects.get("payments").filter(|x| x.version == 2).cloned()
    })
    .await;
    assert!(row.lag_ms < 5_000, "{row:?}");
    tx.send(true).unwrap();
    task.await.unwrap().unwrap();

    // The command itself reads the file.
    let code = link_cli(&["status", "--state-file", path.to_str().unwrap()]).await;
    assert_eq!(code, std::process::ExitCode::SUCCESS);
}

#[test]
fn a_waiting_subject_shows_how_long_it_has_waited() {
    let mut st = LinkState { source_origin: Some("http://a:8081".into()), ..Default::default() };
    st.subjects.insert(
        "s".into(),
        SubjectStatus {
            destination: "s".into(),
            version: 3,
            synced_ms: 500,
            lag_ms: 7,
            pending_since_ms: Some(1_000),
            ..Default::default()
        },
    );
    let rows = subject_statuses(&st, 4_000);
    assert_eq!(
        rows,
        vec![json!({"subject": "s", "destination": "s", "origin": "http://a:8081", "version": 3,
                    "lastSyncMs": 500, "lagMs": 7, "pendingMs": 3000})]
    );
}
