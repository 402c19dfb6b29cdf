//! Prometheus metrics (`/metrics`, text format 0.0.4): counters, per-partition lag and a
//! replication-latency histogram, kept in atomics the pipeline updates without locks.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::routing::get;
use axum::Router;

/// Upper bounds (ms) of the latency histogram buckets.
const BUCKETS_MS: [u64; 14] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 60_000];

#[derive(Default)]
pub struct Metrics {
    pub records: AtomicU64,
    pub bytes: AtomicU64,
    pub skipped_cycle: AtomicU64,
    pub errors: AtomicU64,
    pub transactions: AtomicU64,
    /// Batches kept open past `batch_max_ms` because a backlog was waiting.
    pub stretched: AtomicU64,
    pub schemas_imported: AtomicU64,
    pub dead_lettered: AtomicU64,
    pub invalid_passed: AtomicU64,
    /// Records per bucket (not cumulative; `render` makes them so).
    latency_buckets: [AtomicU64; BUCKETS_MS.len()],
    latency_count: AtomicU64,
    latency_sum_ms: AtomicU64,
    /// (source topic, partition) → records behind the source's end.
    pub lag: parking_lot::Mutex<BTreeMap<(String, i32), i64>>,
    /// (source topic, partition) → (offset, reason) where the partition stopped.
    pub halted: parking_lot::Mutex<BTreeMap<(String, i32), (i64, String)>>,
}

impl Metrics {
    /// Replication latency of one record: now − its timestamp.
    pub fn observe_latency_ms(&self, ms: u64) {
        // One counter per record (the bucket it falls in); render sums them up.
        if let Some(i) = BUCKETS_MS.iter().position(|b| ms <= *b) {
            self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_ms.fetch_add(ms, Ordering::Relaxed);
    }

    pub fn render(&self, name: &str) -> String {
        let mut out = String::new();
        let l = format!("replication=\"{name}\"");
        let counter = |out: &mut String, metric: &str, help: &str, v: &AtomicU64| {
            let _ = writeln!(out, "# HELP {metric} {help}\n# TYPE {metric} counter");
            let _ = writeln!(out, "{metric}{{{l}}} {}", v.load(Ordering::Relaxed));
        };
        counter(&mut out, "lockstep_replicator_records_total", "Records produced to the destination.", &self.records);
        counter(&mut out, "lockstep_replicator_bytes_total", "Key and value bytes produced.", &self.bytes);
        counter(
            &mut out,
            "lockstep_replicator_skipped_cycle_total",
            "Records skipped because they came from the destination cluster.",
            &self.skipped_cycle,
        );
        counter(&mut out, "lockstep_replicator_errors_total", "Failed batches and gate errors.", &self.errors);
        counter(&mut out, "lockstep_replicator_transactions_total", "Committed batches.", &self.transactions);
        counter(
            &mut out,
            "lockstep_replicator_stretched_batches_total",
            "Batch extensions past batch_max_ms while a backlog waited (exactly-once).",
            &self.stretched,
        );
        counter(
            &mut out,
            "lockstep_replicator_schemas_imported_total",
            "Schemas imported or registered in the destination registry.",
            &self.schemas_imported,
        );
        counter(
            &mut out,
            "lockstep_replicator_dead_lettered_total",
            "Records written to the dead-letter topic (on_invalid = dead-letter).",
            &self.dead_lettered,
        );
        counter(
            &mut out,
            "lockstep_replicator_invalid_passed_total",
            "Records not framed or with an unknown schema, copied untouched (on_invalid = pass).",
            &self.invalid_passed,
        );
        let _ = writeln!(out, "# HELP lockstep_replicator_halted Partitions stopped at a record (1 each).");
        let _ = writeln!(out, "# TYPE lockstep_replicator_halted gauge");
        for ((topic, p), (offset, _)) in self.halted.lock().iter() {
            let _ = writeln!(
                out,
                "lockstep_replicator_halted{{{l},topic=\"{topic}\",partition=\"{p}\",offset=\"{offset}\"}} 1"
            );
        }
        let _ = writeln!(out, "# HELP lockstep_replicator_lag_records Records behind the source partition's end.");
        let _ = writeln!(out, "# TYPE lockstep_replicator_lag_records gauge");
        for ((topic, p), lag) in self.lag.lock().iter() {
            let _ = writeln!(out, "lockstep_replicator_lag_records{{{l},topic=\"{topic}\",partition=\"{p}\"}} {lag}");
        }
        let m = "lockstep_replicator_latency_seconds";
        let _ = writeln!(out, "# HELP {m} Time from a record's timestamp to its produce on the destination.");
        let _ = writeln!(out, "# TYPE {m} histogram");
        let mut v = 0;
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            v += self.latency_buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{m}_bucket{{{l},le=\"{}\"}} {v}", *b as f64 / 1000.0);
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{m}_bucket{{{l},le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{m}_sum{{{l}}} {}", self.latency_sum_ms.load(Ordering::Relaxed) as f64 / 1000.0);
        let _ = writeln!(out, "{m}_count{{{l}}} {count}");
        out
    }
}

/// Serve `/metrics` on `listen` until the task is dropped.
pub async fn serve(listen: &str, name: String, metrics: Arc<Metrics>) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot serve metrics on {listen}: {e}"))?;
    tracing::info!(addr = %listener.local_addr()?, "metrics on /metrics");
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let body = metrics.render(&name);
            async move { ([("content-type", "text/plain; version=0.0.4")], body) }
        }),
    );
    Ok(tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.records.fetch_add(3, Ordering::Relaxed);
        m.observe_latency_ms(4);
        m.observe_latency_ms(700);
        m.lag.lock().insert(("orders".into(), 2), 17);
        let t = m.render("r");
        assert!(t.contains("lockstep_replicator_records_total{replication=\"r\"} 3"));
        assert!(t.contains("lockstep_replicator_latency_seconds_bucket{replication=\"r\",le=\"0.005\"} 1"));
        assert!(t.contains("lockstep_replicator_latency_seconds_bucket{replication=\"r\",le=\"1\"} 2"));
        assert!(t.contains("lockstep_replicator_latency_seconds_count{replication=\"r\"} 2"));
        assert!(t.contains("lockstep_replicator_lag_records{replication=\"r\",topic=\"orders\",partition=\"2\"} 17"));
    }
}
