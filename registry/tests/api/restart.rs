//! Restart: stop the server, reopen the same data dir, and find everything as it was.

use serde_json::{json, Value};

use crate::common::*;
use crate::restart_paths::PATHS;

async fn snapshot(api: &Server) -> Vec<(String, u16, Value)> {
    let mut out = Vec::new();
    for p in PATHS {
        let r = api.get(p).await;
        out.push((p.to_string(), r.status, r.body));
    }
    out
}

#[tokio::test]
async fn state_survives_a_restart() {
    let api = start().await;
    api.register("a", &v1()).await; // id 1
    api.register("a", &v2()).await; // id 2
    api.register("gone", &other("Gone")).await; // id 3
    api.register("hard", &other("Hard")).await; // id 4, deleted for good below
    api.register(":.eu:x", &v2()).await; // .eu id 1
    api.delete("/subjects/a/versions/1").await.ok();
    api.delete("/subjects/gone").await.ok();
    api.delete("/subjects/hard").await.ok();
    api.delete("/subjects/hard?permanent=true").await.ok();
    api.set_compat("/config", "FULL").await;
    api.put("/config/a", json!({"compatibility": "NONE", "normalize": true})).await.ok();
    api.set_compat("/config/:.eu:", "FORWARD").await;
    api.set_mode("/mode/ro", "READONLY").await;
    api.set_mode("/mode/:.imp:", "IMPORT").await;
    api.register_req(":.imp:i", json!({"schema": v1(), "id": 100, "version": 5})).await.ok();
    api.get("/schemas/ids/4").await.err(404, 40403);

    let before = snapshot(&api).await;
    // Sanity: the snapshot holds real data, not a page of errors.
    assert_eq!(before[1].2, json!(["a", "gone", ":.eu:x", ":.imp:i"]));
    assert_eq!(before[3].2, json!([1, 2]));

    let dir = api.stop().await.expect("the server owned its data dir");
    let api = start_at(dir.path()).await;
    let after = snapshot(&api).await;
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a, "{} differs after restart", b.0);
    }
    api.get("/schemas/ids/4").await.err(404, 40403);
    api.get("/subjects/hard/versions?deleted=true").await.err(404, 40401);
    // Modes still act: READONLY refuses, IMPORT wants ids.
    api.register_req("ro", json!({"schema": v1()})).await.err(422, 42205);
    api.register_req(":.imp:j", json!({"schema": v2()})).await.err(422, 42205);
    // Config still acts: subject a is NONE (+normalize), the rest FULL.
    assert_eq!(api.register("a", &v_required()).await.1, 3);
    // New ids continue from the highest id ever used, including the permanently deleted id 4.
    assert_eq!(api.register("new", &other("New")).await, (6, 1));
    assert_eq!(api.register(":.eu:y", &other("Y")).await, (2, 1));
    // And a second restart keeps the post-restart writes.
    let dir2 = dir;
    let api = {
        let owned = api.stop().await;
        assert!(owned.is_none());
        start_at(dir2.path()).await
    };
    assert_eq!(api.ok("/subjects/new/versions/1").await["id"], 6);
    assert_eq!(api.ok("/subjects/a/versions").await, json!([2, 3]));
    assert_eq!(api.register("newer", &other("Newer")).await, (7, 1));
}
