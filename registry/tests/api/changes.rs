//! `GET /lockstep/changes`: the change feed links follow.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::*;

fn keytypes(body: &Value) -> Vec<String> {
    body["records"].as_array().unwrap().iter().map(|r| r["key"]["keytype"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn feed_lists_records_in_order_and_pages_with_next() {
    let api = start().await;
    api.register("a", &v1()).await;
    api.set_compat("/config/a", "NONE").await;
    api.register("a", &other("b")).await;
    api.delete("/subjects/a/versions/1").await.ok();

    let all = api.ok("/lockstep/changes").await;
    assert_eq!(keytypes(&all), ["SCHEMA", "CONFIG", "SCHEMA", "SCHEMA"]);
    let recs = all["records"].as_array().unwrap();
    assert_eq!(recs[0]["value"]["id"], 1);
    assert_eq!(recs[0]["value"]["subject"], "a");
    assert_eq!(recs[3]["value"]["deleted"], true);
    let offsets: Vec<u64> = recs.iter().map(|r| r["offset"].as_u64().unwrap()).collect();
    assert!(offsets.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(all["next"].as_u64().unwrap(), offsets[3] + 1);

    let page = api.ok("/lockstep/changes?from=0&limit=2").await;
    assert_eq!(keytypes(&page), ["SCHEMA", "CONFIG"]);
    let next = page["next"].as_u64().unwrap();
    let rest = api.ok(&format!("/lockstep/changes?from={next}")).await;
    assert_eq!(keytypes(&rest), ["SCHEMA", "SCHEMA"]);
    let end = rest["next"].as_u64().unwrap();
    let empty = api.ok(&format!("/lockstep/changes?from={end}")).await;
    assert_eq!(empty, json!({"records": [], "next": end}));

    // A hard delete shows as a tombstone (value null) with the key bytes of the version.
    api.delete("/subjects/a/versions/1?permanent=true").await.ok();
    let t = api.ok(&format!("/lockstep/changes?from={end}")).await;
    assert_eq!(t["records"][0]["value"], Value::Null);
    assert_eq!(t["records"][0]["key"], json!({"keytype":"SCHEMA","subject":"a","version":1,"magic":1}));

    api.get("/lockstep/changes?from=x").await.err(400, 400);
}

#[tokio::test]
async fn long_poll_returns_as_soon_as_a_record_lands() {
    let api = start().await;
    api.register("a", &v1()).await;
    let next = api.ok("/lockstep/changes").await["next"].as_u64().unwrap();
    let url = api.url(&format!("/lockstep/changes?from={next}&timeoutMs=20000"));
    let started = Instant::now();
    let poll = tokio::spawn(async move { reqwest::get(url).await.unwrap().json::<Value>().await.unwrap() });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!poll.is_finished(), "the long poll answered before any change");
    api.register("b", &v1()).await;
    let body = poll.await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(keytypes(&body), ["SCHEMA"]);
    assert_eq!(body["records"][0]["value"]["subject"], "b");

    // Nothing new: an empty answer after the timeout, `next` unchanged.
    let n = body["next"].as_u64().unwrap();
    let started = Instant::now();
    let idle = api.ok(&format!("/lockstep/changes?from={n}&timeoutMs=300")).await;
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_eq!(idle, json!({"records": [], "next": n}));
}
