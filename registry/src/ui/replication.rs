//! Replication: the status of `lockstep replicate` processes, read by this server from the
//! `/metrics` URLs the operator configured (`--ui-replicator-url`; never a URL a caller names):
//! per topic the lag, and per process the rate, schema-gate imports and errors. Scrapes are
//! bounded (2 s timeout, 4 MiB body) and shared by all viewers for 2 s.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::Response;
use maud::html;

use super::layout::{self, Nav};
use super::{Access, Shared};

const TIMEOUT: Duration = Duration::from_secs(2);
const MAX_BODY: usize = 4 * 1024 * 1024;
/// Scrapes younger than this are served again instead of fetching.
const FRESH: Duration = Duration::from_secs(2);

/// What one replicator's metrics say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplicatorMetrics {
    /// The `replication` label.
    pub name: Option<String>,
    pub records: f64,
    pub bytes: f64,
    pub errors: f64,
    pub schemas_imported: f64,
    pub dead_lettered: f64,
    pub invalid_passed: f64,
    /// topic → (partitions, records behind the source's end in all of them).
    pub lag: BTreeMap<String, (usize, f64)>,
    /// (topic, partition, offset) where a partition stopped.
    pub halted: Vec<(String, String, String)>,
}

/// Label name → value pairs of one sample.
type Labels = Vec<(String, String)>;

/// One sample line: name, labels, value.
fn sample(line: &str) -> Option<(&str, Labels, f64)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (name, rest) = match line.find('{') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => {
            let (n, v) = line.split_once(' ')?;
            return Some((n, Vec::new(), v.split_whitespace().next()?.parse().ok()?));
        }
    };
    let mut labels = Vec::new();
    let mut chars = rest.char_indices().peekable();
    let mut end = None;
    loop {
        // label name up to '='
        let mut key = String::new();
        for (i, c) in chars.by_ref() {
            match c {
                '=' => break,
                '}' => {
                    end = Some(i);
                    break;
                }
                ',' | ' ' => {}
                c => key.push(c),
            }
        }
        if end.is_some() {
            break;
        }
        if chars.next().map(|(_, c)| c) != Some('"') {
            return None;
        }
        let mut value = String::new();
        let mut escaped = false;
        for (_, c) in chars.by_ref() {
            match (escaped, c) {
                (true, 'n') => {
                    value.push('\n');
                    escaped = false;
                }
                (true, c) => {
                    value.push(c);
                    escaped = false;
                }
                (false, '\\') => escaped = true,
                (false, '"') => break,
                (false, c) => value.push(c),
            }
        }
        labels.push((key, value));
        chars.peek()?;
    }
    let value = rest[end? + 1..].split_whitespace().next()?.parse().ok()?;
    Some((name, labels, value))
}

/// Read the replicator's Prometheus text (see `replicator/src/metrics.rs`).
pub fn parse_metrics(text: &str) -> ReplicatorMetrics {
    let mut m = ReplicatorMetrics::default();
    for line in text.lines() {
        let Some((name, labels, value)) = sample(line) else { continue };
        let label = |k: &str| labels.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if m.name.is_none() {
            m.name = label("replication");
        }
        match name {
            "lockstep_replicator_records_total" => m.records = value,
            "lockstep_replicator_bytes_total" => m.bytes = value,
            "lockstep_replicator_errors_total" => m.errors = value,
            "lockstep_replicator_schemas_imported_total" => m.schemas_imported = value,
            "lockstep_replicator_dead_lettered_total" => m.dead_lettered = value,
            "lockstep_replicator_invalid_passed_total" => m.invalid_passed = value,
            "lockstep_replicator_lag_records" => {
                let e = m.lag.entry(label("topic").unwrap_or_default()).or_insert((0, 0.0));
                e.0 += 1;
                e.1 += value;
            }
            "lockstep_replicator_halted" if value > 0.0 => m.halted.push((
                label("topic").unwrap_or_default(),
                label("partition").unwrap_or_default(),
                label("offset").unwrap_or_default(),
            )),
            _ => {}
        }
    }
    m
}

/// One scrape: the metrics or why there are none, and records/s since the previous scrape.
#[derive(Debug, Clone)]
struct Report {
    url: String,
    result: Result<ReplicatorMetrics, String>,
    rate: Option<f64>,
}

pub(crate) struct Scraper {
    urls: Vec<String>,
    client: reqwest::Client,
    /// url → (when, records) of the previous successful scrape.
    previous: parking_lot::Mutex<HashMap<String, (Instant, f64)>>,
    last: tokio::sync::Mutex<Option<(Instant, Arc<Vec<Report>>)>>,
}

impl Scraper {
    pub(crate) fn new(urls: Vec<String>) -> Scraper {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Scraper { urls, client, previous: Default::default(), last: Default::default() }
    }

    async fn fetch(client: reqwest::Client, url: String) -> Result<ReplicatorMetrics, String> {
        let mut resp = client.get(&url).send().await.map_err(|e| format!("cannot reach it: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("it answered HTTP {}", resp.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| format!("cannot read it: {e}"))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(format!("its answer is larger than {MAX_BODY} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(parse_metrics(&String::from_utf8_lossy(&body)))
    }

    /// Every configured URL, scraped at once (or the scrape of the last 2 s).
    async fn scrape(&self) -> Arc<Vec<Report>> {
        let mut last = self.last.lock().await;
        if let Some((when, reports)) = last.as_ref() {
            if when.elapsed() < FRESH {
                return reports.clone();
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (i, u) in self.urls.iter().enumerate() {
            let (client, url) = (self.client.clone(), u.clone());
            tasks.spawn(async move { (i, Self::fetch(client, url).await) });
        }
        let mut results: Vec<Result<ReplicatorMetrics, String>> =
            self.urls.iter().map(|_| Err("no answer".to_string())).collect();
        while let Some(done) = tasks.join_next().await {
            if let Ok((i, r)) = done {
                results[i] = r;
            }
        }
        let now = Instant::now();
        let mut previous = self.previous.lock();
        let reports: Vec<Report> = self
            .urls
            .iter()
            .zip(results)
            .map(|(url, result)| {
                let mut rate = None;
                if let Ok(m) = &result {
                    if let Some((t, n)) = previous.get(url) {
                        let secs = now.duration_since(*t).as_secs_f64();
                        if secs > 0.0 && m.records >= *n {
                            rate = Some((m.records - n) / secs);
                        }
                    }
                    previous.insert(url.clone(), (now, m.records));
                }
                Report { url: url.clone(), result, rate }
            })
            .collect();
        let reports = Arc::new(reports);
        *last = Some((now, reports.clone()));
        reports
    }
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

/// `GET /ui/replication`
pub(crate) async fn page(State(ui): State<Shared>, access: Access) -> Response {
    let reports = ui.replication.scrape().await;
    let body = html! {
        h1 { "Replication" }
        @if reports.is_empty() {
            p.note { "No replicator is configured. Start the registry with "
                code { "--ui-replicator-url http://HOST:PORT/metrics" }
                " (repeatable) for each " code { "lockstep replicate" } " process whose "
                code { "[metrics] listen" } " address serves its metrics." }
        }
        @for r in reports.iter() {
            section.card.replicator {
                @match &r.result {
                    Err(e) => {
                        h2 { (r.url) }
                        p.error role="alert" { "Cannot read its status: " (e) }
                    }
                    Ok(m) => {
                        h2 { (m.name.as_deref().unwrap_or("replication")) " " small { (r.url) } }
                        dl.facts {
                            dt { "Records copied" } dd { (num(m.records)) }
                            dt { "Rate" } dd { @match r.rate { Some(x) => { (format!("{x:.1}")) " records/s" }, None => "— (next refresh)" } }
                            dt { "Bytes copied" } dd { (num(m.bytes)) }
                            dt { "Schemas imported" } dd { (num(m.schemas_imported)) }
                            dt { "Errors" } dd.bad[m.errors > 0.0] { (num(m.errors)) }
                            dt { "Dead-lettered" } dd { (num(m.dead_lettered)) }
                            dt { "Passed unframed" } dd { (num(m.invalid_passed)) }
                        }
                        @if !m.halted.is_empty() {
                            p.error role="alert" { "Stopped partitions: "
                                @for (t, p, o) in &m.halted { code { (t) "/" (p) " at " (o) } " " } }
                        }
                        div.scroll {
                            table {
                                thead { tr { th scope="col" { "Topic" } th scope="col" { "Partitions" } th scope="col" { "Lag (records)" } } }
                                tbody {
                                    @for (topic, (parts, lag)) in &m.lag {
                                        tr { td { (topic) } td.num { (parts) } td.num.bad[*lag > 0.0] { (num(*lag)) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout::page("Replication", Nav::Replication, &access, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_replicators_metrics() {
        let text = "# HELP x\n# TYPE lockstep_replicator_records_total counter\n\
            lockstep_replicator_records_total{replication=\"eu-us\"} 1200\n\
            lockstep_replicator_schemas_imported_total{replication=\"eu-us\"} 3\n\
            lockstep_replicator_errors_total{replication=\"eu-us\"} 1\n\
            lockstep_replicator_lag_records{replication=\"eu-us\",topic=\"orders\",partition=\"0\"} 5\n\
            lockstep_replicator_lag_records{replication=\"eu-us\",topic=\"orders\",partition=\"1\"} 7\n\
            lockstep_replicator_lag_records{replication=\"eu-us\",topic=\"a \\\"q\\\"\",partition=\"0\"} 0\n\
            lockstep_replicator_halted{replication=\"eu-us\",topic=\"orders\",partition=\"1\",offset=\"42\"} 1\n\
            lockstep_replicator_latency_seconds_bucket{replication=\"eu-us\",le=\"+Inf\"} 9\n";
        let m = parse_metrics(text);
        assert_eq!(m.name.as_deref(), Some("eu-us"));
        assert_eq!((m.records, m.schemas_imported, m.errors), (1200.0, 3.0, 1.0));
        assert_eq!(m.lag.get("orders"), Some(&(2, 12.0)));
        assert_eq!(m.lag.get("a \"q\""), Some(&(1, 0.0)));
        assert_eq!(m.halted, vec![("orders".into(), "1".into(), "42".into())]);
    }

    #[test]
    fn garbage_is_ignored() {
        for t in ["{", "x{a=", "x{a=\"b", "x{a=\"b\"", "x{a=\"b\"} notanumber", "\u{0}{}", "x{}"] {
            let _ = parse_metrics(t);
        }
        assert_eq!(parse_metrics("lockstep_replicator_records_total 5").records, 5.0);
    }
}
