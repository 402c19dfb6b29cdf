//! `GET /metrics`: the registry's Prometheus metrics, in the OpenMetrics text format (which
//! Prometheus scrapes natively).
//!
//! - `lockstep_registry_requests_total{method,route,status}`: requests answered, by route
//!   template (`/subjects/{subject}/versions`, so subjects never become label values);
//! - `lockstep_registry_request_duration_seconds{method,route}`: latency histogram;
//! - `lockstep_registry_store_append_seconds`: time from handing a batch to the store to its
//!   being durable (fed through [`Metrics::observe_store_append`] by the write path);
//! - gauges read from the state at scrape time: `lockstep_registry_log_records` (records
//!   applied: the log's size), `lockstep_registry_subjects` (with a live version),
//!   `lockstep_registry_schemas` (distinct schema ids, over all contexts),
//!   `lockstep_registry_contexts`;
//! - `lockstep_registry_forwarded_writes_total{outcome}`: writes a follower sent to the leader
//!   (`forwarded`) or wrote itself because the leader could not be reached (`local`);
//! - `lockstep_registry_leader`: 1 while this node runs the once-per-cluster work (always with
//!   the embedded store; the elected node of a Kafka cluster, see [`crate::cluster`]).
//!
//! [`instrument`] adds the route and the per-request middleware to the API router.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry as PromRegistry;

use crate::registry::Registry;
use crate::state::State as RegState;

/// The OpenMetrics text content type.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

/// One registry's metrics.
pub struct Metrics {
    prom: PromRegistry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    store_append: Histogram,
    log_records: Gauge,
    subjects: Gauge,
    schemas: Gauge,
    contexts: Gauge,
    leader: Gauge,
    forwarded: Family<OutcomeLabels, Counter>,
}

/// Latency buckets: 100 µs to about 6.5 s, doubling.
fn buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.0001, 2.0, 17)
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut prom = PromRegistry::with_prefix("lockstep_registry");
        let requests = Family::<RequestLabels, Counter>::default();
        prom.register("requests", "HTTP requests answered, by method, route template and status", requests.clone());
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| Histogram::new(buckets()));
        prom.register("request_duration_seconds", "HTTP request latency by method and route template", latency.clone());
        let store_append = Histogram::new(buckets());
        prom.register(
            "store_append_seconds",
            "Time from appending a batch to the log until it is durable",
            store_append.clone(),
        );
        let log_records = Gauge::default();
        prom.register("log_records", "Records applied from the log (the log's size in records)", log_records.clone());
        let subjects = Gauge::default();
        prom.register("subjects", "Subjects with at least one live version", subjects.clone());
        let schemas = Gauge::default();
        prom.register("schemas", "Distinct schema ids, over all contexts", schemas.clone());
        let contexts = Gauge::default();
        prom.register("contexts", "Contexts, the default one included", contexts.clone());
        let leader = Gauge::default();
        leader.set(1);
        prom.register("leader", "1 while this node is the leader (runs the exporters), else 0", leader.clone());
        let forwarded = Family::<OutcomeLabels, Counter>::default();
        prom.register(
            "forwarded_writes",
            "Writes a follower sent to the leader (forwarded) or wrote itself, the leader being unreachable (local)",
            forwarded.clone(),
        );
        Self { prom, requests, latency, store_append, log_records, subjects, schemas, contexts, leader, forwarded }
    }

    /// Record one answered request.
    pub fn observe_request(&self, method: &Method, route: &str, status: StatusCode, took: Duration) {
        let method = method_label(method);
        let route = route.to_string();
        self.requests.get_or_create(&RequestLabels { method, route: route.clone(), status: status.as_u16() }).inc();
        self.latency.get_or_create(&RouteLabels { method, route }).observe(took.as_secs_f64());
    }

    /// Hook for the leader election: whether this node leads now.
    pub fn set_leader(&self, leader: bool) {
        self.leader.set(i64::from(leader));
    }

    /// Hook for the forwarding layer: a write sent to the leader (true) or written here (false).
    pub fn forwarded(&self, to_leader: bool) {
        let outcome = if to_leader { "forwarded" } else { "local" };
        self.forwarded.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// Hook for the write path: one batch appended and made durable in `took`.
    pub fn observe_store_append(&self, took: Duration) {
        self.store_append.observe(took.as_secs_f64());
    }

    /// The metrics as OpenMetrics text, with the state gauges read from `st`.
    pub fn render(&self, st: &RegState) -> String {
        self.log_records.set(i64::try_from(st.position).unwrap_or(i64::MAX));
        self.subjects.set(st.subjects.values().filter(|s| s.has_live()).count() as i64);
        self.schemas.set(st.contexts.values().map(|c| c.by_id.len() as i64).sum());
        self.contexts
            .set(st.contexts.keys().filter(|c| c.as_str() != crate::subject::DEFAULT_CONTEXT).count() as i64 + 1);
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.prom) {
            tracing::error!("cannot render metrics: {e}");
        }
        out
    }
}

/// Methods as a bounded label set.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "OTHER",
    }
}

async fn track(State(m): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    // The route template, not the path: subject names and ids never become label values.
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_string();
    let method = req.method().clone();
    let start = Instant::now();
    let resp = next.run(req).await;
    m.observe_request(&method, &route, resp.status(), start.elapsed());
    resp
}

/// Add `GET /metrics` and the per-request middleware to `api`, the router whose routes are the
/// API's (so each request carries its route template). Returns the router and its metrics.
pub fn instrument(api: Router, registry: Arc<Registry>) -> (Router, Arc<Metrics>) {
    let metrics = registry.metrics.clone();
    let m = metrics.clone();
    let scrape = move || {
        let (m, r) = (m.clone(), registry.clone());
        async move {
            let mut resp = m.render(&r.snapshot()).into_response();
            resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
            resp
        }
    };
    let router = api.route("/metrics", get(scrape)).layer(axum::middleware::from_fn_with_state(metrics.clone(), track));
    (router, metrics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    async fn call(app: &Router, method: &str, uri: &str, body: &str) -> (StatusCode, String) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = http_body_util::BodyExt::collect(resp.into_body()).await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn counts_requests_by_route_template_and_reads_state_gauges() {
        let dir = tempfile::tempdir().unwrap();
        let reg = crate::open_file_registry(dir.path(), Default::default()).unwrap();
        let req = crate::registry::RegisterRequest { schema: Some("\"string\"".into()), ..Default::default() };
        reg.register("orders-value", req, false, false).await.unwrap();
        let api = Router::new()
            .route("/subjects/{subject}/versions", get(|| async { "[1]" }))
            .route("/fail", get(|| async { StatusCode::NOT_FOUND }));
        let (app, _) = instrument(api, reg);
        for s in ["a", "b", "c"] {
            assert_eq!(call(&app, "GET", &format!("/subjects/{s}/versions"), "").await.0, StatusCode::OK);
        }
        call(&app, "GET", "/fail", "").await;
        call(&app, "GET", "/nowhere", "").await;
        let (status, text) = call(&app, "GET", "/metrics", "").await;
        assert_eq!(status, StatusCode::OK);
        let has = |line: &str| assert!(text.lines().any(|l| l == line), "no line {line:?} in\n{text}");
        has(r#"lockstep_registry_requests_total{method="GET",route="/subjects/{subject}/versions",status="200"} 3"#);
        has(r#"lockstep_registry_requests_total{method="GET",route="/fail",status="404"} 1"#);
        has(r#"lockstep_registry_requests_total{method="GET",route="unmatched",status="404"} 1"#);
        has(r#"lockstep_registry_request_duration_seconds_count{method="GET",route="/subjects/{subject}/versions"} 3"#);
        has("lockstep_registry_subjects 1");
        has("lockstep_registry_schemas 1");
        has("lockstep_registry_contexts 1");
        has("lockstep_registry_log_records 1");
        assert!(text.ends_with("# EOF\n"));
        assert!(!text.contains("route=\"/subjects/a/versions\""));
    }

    #[test]
    fn store_append_hook_feeds_its_histogram() {
        let m = Metrics::new();
        m.observe_store_append(Duration::from_millis(3));
        let text = m.render(&RegState::default());
        assert!(text.contains("lockstep_registry_store_append_seconds_count 1"), "{text}");
        assert!(text.contains("lockstep_registry_contexts 1"), "{text}");
    }
}
