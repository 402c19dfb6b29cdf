//! `lockstep-bench heavy`: the latency of a plain GET while the heaviest requests the registry
//! accepts are being processed (compatibility checks of two records with tens of thousands of
//! fields, near the 1 MiB schema limit), as a JSON line.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use axum::body::Bytes;
use serde_json::json;

use super::{authority_of, connect, histogram, send};

/// An Avro record with `fields` int fields (plus one optional field when `extra`).
fn wide_record(fields: usize, extra: bool) -> String {
    let mut fs: Vec<serde_json::Value> = (0..fields).map(|i| json!({"name": format!("f{i}"), "type": "int"})).collect();
    if extra {
        fs.push(json!({"name": "extra", "type": ["null", "int"], "default": null}));
    }
    json!({"type": "record", "name": "Wide", "namespace": "bench.heavy", "fields": fs}).to_string()
}

pub async fn heavy(url: &str, fields: usize, heavy_tasks: usize, duration: Duration) -> Result<()> {
    let authority = authority_of(url)?;
    let mut conn = connect(&authority).await?;
    let base = Bytes::from(json!({ "schema": wide_record(fields, false) }).to_string());
    let (status, resp) = send(&mut conn, &authority, "POST", "/subjects/bench-heavy/versions", Some(base)).await?;
    if !status.is_success() {
        bail!("setup: {status}: {}", String::from_utf8_lossy(&resp));
    }
    let small = Bytes::from(json!({ "schema": super::schema("H") }).to_string());
    let (status, resp) = send(&mut conn, &authority, "POST", "/subjects/bench-heavy-get/versions", Some(small)).await?;
    let id = serde_json::from_slice::<serde_json::Value>(&resp)?["id"].as_u64().context("no id")?;
    if !status.is_success() {
        bail!("setup: {status}");
    }
    let body = Bytes::from(json!({ "schema": wide_record(fields, true) }).to_string());
    let stop = Arc::new(AtomicBool::new(false));
    let heavy_done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..heavy_tasks {
        let (authority, body, stop, done) = (authority.clone(), body.clone(), stop.clone(), heavy_done.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = connect(&authority).await?;
            let mut worst = Duration::ZERO;
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let path = "/compatibility/subjects/bench-heavy/versions/latest";
                let (status, _) = send(&mut conn, &authority, "POST", path, Some(body.clone())).await?;
                if !status.is_success() {
                    bail!("heavy request answered {status}");
                }
                worst = worst.max(t.elapsed());
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<Duration, anyhow::Error>(worst)
        }));
    }
    // Let the heavy requests start before measuring.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut h = histogram()?;
    let path = format!("/schemas/ids/{id}");
    let end = Instant::now() + duration;
    while Instant::now() < end {
        let t = Instant::now();
        let (status, _) = send(&mut conn, &authority, "GET", &path, None).await?;
        if !status.is_success() {
            bail!("GET {path} answered {status}");
        }
        h.record(t.elapsed().as_micros() as u64)?;
    }
    stop.store(true, Ordering::Relaxed);
    let mut heavy_worst = Duration::ZERO;
    for t in tasks {
        heavy_worst = heavy_worst.max(t.await??);
    }
    let line = json!({
        "scenario": "get-while-heavy",
        "fields": fields,
        "heavy_connections": heavy_tasks,
        "heavy_requests": heavy_done.load(Ordering::Relaxed),
        "heavy_worst_ms": heavy_worst.as_secs_f64() * 1e3,
        "gets": h.len(),
        "get_p50_ms": h.value_at_quantile(0.5) as f64 / 1e3,
        "get_p99_ms": h.value_at_quantile(0.99) as f64 / 1e3,
        "get_max_ms": h.max() as f64 / 1e3,
    });
    println!("{line}");
    Ok(())
}
