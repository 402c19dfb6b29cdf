//! Request-level defences, as axum middleware in front of every route: the allowed-hosts check
//! (DNS rebinding), CORS (off unless configured), a JSON content type on writes (no CORS-less
//! cross-site writes), the request-body size cap and the whole-body deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Version};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Body as _, Frame, SizeHint};
use pin_project_lite::pin_project;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::ApiError;

/// Request media types Confluent accepts (`Versions.java`); `application/octet-stream` is read as
/// JSON "for ad hoc use".
pub const ACCEPTED_REQUEST_TYPES: [&str; 4] = [
    "application/vnd.schemaregistry.v1+json",
    "application/vnd.schemaregistry+json",
    "application/json",
    "application/octet-stream",
];

/// Per-request limits and checks (see the README's configuration table).
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Largest request body, in bytes (413 above it).
    pub max_body_bytes: usize,
    /// Largest `metadata` + `ruleSet` (and the config's default/override ones) in one request,
    /// as compact JSON bytes (422/42209 above it).
    pub max_metadata_bytes: usize,
    /// The whole request body must arrive within this time (408 otherwise).
    pub body_timeout: Duration,
    /// When not empty, only these `Host` values are served (421 otherwise): `name` (any port),
    /// `name:port`, or `*`.
    pub allowed_hosts: Vec<String>,
    /// Origins answered with CORS headers (`*` = any); empty = CORS off.
    pub cors_origins: Vec<String>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: 4 * 1024 * 1024,
            max_metadata_bytes: 256 * 1024,
            body_timeout: Duration::from_secs(30),
            allowed_hosts: Vec::new(),
            cors_origins: Vec::new(),
        }
    }
}

/// The limits the JSON body extractor applies, put in the request's extensions by [`limit_body`].
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_body_bytes: usize,
    pub max_metadata_bytes: usize,
    pub body_timeout: Duration,
}

impl Default for BodyLimits {
    fn default() -> Self {
        let o = HttpOptions::default();
        Self {
            max_body_bytes: o.max_body_bytes,
            max_metadata_bytes: o.max_metadata_bytes,
            body_timeout: o.body_timeout,
        }
    }
}

/// HTTP/1 responses that leave the request body unread also close the connection.
fn closing(mut resp: Response, version: Version) -> Response {
    if version <= Version::HTTP_11 {
        resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

fn has_body(req: &Request) -> bool {
    let body = req.body();
    !(body.is_end_stream() || body.size_hint().exact() == Some(0))
}

/// Writes with a body need one of Confluent's JSON types (a missing Content-Type is refused: a
/// web page could otherwise POST without a CORS preflight); bodies over the cap get 413 before
/// being read; every body gets the size cap and the whole-body deadline.
pub async fn limit_body(State(limits): State<BodyLimits>, mut req: Request, next: Next) -> Response {
    let version = req.version();
    let write = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
    if write && has_body(&req) {
        let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let ct = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if !ACCEPTED_REQUEST_TYPES.contains(&ct.as_str()) {
            let e = ApiError::http(StatusCode::UNSUPPORTED_MEDIA_TYPE, "HTTP 415 Unsupported Media Type");
            return closing(e.into_response(), version);
        }
    }
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        return closing(too_large(limits.max_body_bytes).into_response(), version);
    }
    req.extensions_mut().insert(limits);
    let req = req.map(|b| {
        Body::new(http_body_util::Limited::new(DeadlineBody::new(b, limits.body_timeout), limits.max_body_bytes))
    });
    let resp = next.run(req).await;
    if matches!(resp.status(), StatusCode::REQUEST_TIMEOUT | StatusCode::PAYLOAD_TOO_LARGE) {
        return closing(resp, version);
    }
    resp
}

pub fn too_large(max: usize) -> ApiError {
    ApiError::http(StatusCode::PAYLOAD_TOO_LARGE, format!("Request body larger than {max} bytes"))
}

pub fn body_timed_out(timeout: Duration) -> ApiError {
    ApiError::http(StatusCode::REQUEST_TIMEOUT, format!("Request body not received within {} ms", timeout.as_millis()))
}

/// What went wrong reading a body: the size cap, the deadline, or the connection.
pub enum BodyFailure {
    TooLarge,
    TimedOut,
    Other(String),
}

pub fn classify(e: &(dyn std::error::Error + 'static)) -> BodyFailure {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<http_body_util::LengthLimitError>() {
            return BodyFailure::TooLarge;
        }
        if err.is::<BodyDeadlineElapsed>() {
            return BodyFailure::TimedOut;
        }
        cur = err.source();
    }
    BodyFailure::Other(e.to_string())
}

/// 422/42209 when `metadata`, `ruleSet`, `defaultMetadata`, `overrideMetadata`, `defaultRuleSet`
/// and `overrideRuleSet` together exceed `max` bytes of compact JSON (they are stored with every
/// version, so a tiny schema could otherwise carry megabytes into the log).
pub fn check_metadata_size(body: &[u8], max: usize) -> Result<(), ApiError> {
    // Cheap pre-check: most bodies carry none of these keys.
    let mentions = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
    if !mentions(b"etadata\"") && !mentions(b"uleSet\"") {
        return Ok(());
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Contract {
        metadata: Option<serde_json::Value>,
        rule_set: Option<serde_json::Value>,
        default_metadata: Option<serde_json::Value>,
        override_metadata: Option<serde_json::Value>,
        default_rule_set: Option<serde_json::Value>,
        override_rule_set: Option<serde_json::Value>,
    }
    // Not an object of that shape: the real extractor reports the error.
    let Ok(c) = serde_json::from_slice::<Contract>(body) else { return Ok(()) };
    let size: usize =
        [c.metadata, c.rule_set, c.default_metadata, c.override_metadata, c.default_rule_set, c.override_rule_set]
            .iter()
            .flatten()
            .map(|v| serde_json::to_vec(v).map_or(0, |b| b.len()))
            .sum();
    if size > max {
        return Err(ApiError::schema_too_large(format!(
            "Metadata and rule set too large: {size} bytes, the limit is {max} bytes"
        )));
    }
    Ok(())
}

/// 421 for a `Host` (or HTTP/2 `:authority`) not in the allowed list: a DNS-rebinding page
/// reaches us with its own host name.
pub async fn check_host(State(allowed): State<Arc<Vec<String>>>, req: Request, next: Next) -> Response {
    let host = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_string));
    match host {
        Some(h) if host_allowed(&allowed, &h) => next.run(req).await,
        h => {
            let shown = h.unwrap_or_default();
            let shown: String = shown.chars().take(200).collect();
            ApiError::http(StatusCode::MISDIRECTED_REQUEST, format!("Host '{shown}' is not allowed")).into_response()
        }
    }
}

pub fn host_allowed(allowed: &[String], host: &str) -> bool {
    let host = host.trim().to_ascii_lowercase();
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map_or(host.as_str(), |(v6, _)| v6),
        None => host.rsplit_once(':').map_or(host.as_str(), |(n, _)| n),
    };
    allowed.iter().any(|a| {
        let a = a.trim().to_ascii_lowercase();
        let a_name = a.trim_start_matches('[').trim_end_matches(']');
        a == "*" || a == host || a_name == name
    })
}

/// CORS for the configured origins (`*` = any); `None` when none are configured.
pub fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o.trim() == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o.trim()).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([header::CONTENT_TYPE, header::ACCEPT, header::AUTHORIZATION])
            .max_age(Duration::from_secs(3600)),
    )
}

// ---------------------------------------------------------------------------- body deadline

/// The whole body must arrive before a deadline set when the body is first polled. (tower-http's
/// `RequestBodyTimeoutLayer` restarts its timer on every frame, so a client trickling a byte at
/// a time would never hit it.)
#[derive(Debug)]
pub struct BodyDeadlineElapsed;

impl std::fmt::Display for BodyDeadlineElapsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request body deadline elapsed")
    }
}

impl std::error::Error for BodyDeadlineElapsed {}

pin_project! {
    pub struct DeadlineBody<B> {
        #[pin]
        inner: B,
        timeout: Duration,
        #[pin]
        sleep: Option<tokio::time::Sleep>,
    }
}

impl<B> DeadlineBody<B> {
    pub fn new(inner: B, timeout: Duration) -> Self {
        Self { inner, timeout, sleep: None }
    }
}

impl<B> http_body::Body for DeadlineBody<B>
where
    B: http_body::Body,
    B::Error: Into<axum::BoxError>,
{
    type Data = B::Data;
    type Error = axum::BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<B::Data>, Self::Error>>> {
        let mut this = self.project();
        if this.sleep.is_none() {
            this.sleep.set(Some(tokio::time::sleep(*this.timeout)));
        }
        if let Poll::Ready(frame) = this.inner.poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if let Some(sleep) = this.sleep.as_pin_mut() {
            if sleep.poll(cx).is_ready() {
                return Poll::Ready(Some(Err(Box::new(BodyDeadlineElapsed))));
            }
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_by_name_or_name_and_port() {
        let allowed = vec!["registry.example.com".to_string(), "127.0.0.1:8081".into(), "[::1]".into()];
        assert!(host_allowed(&allowed, "registry.example.com"));
        assert!(host_allowed(&allowed, "Registry.Example.com:443"));
        assert!(host_allowed(&allowed, "127.0.0.1:8081"));
        assert!(!host_allowed(&allowed, "127.0.0.1:9999"));
        assert!(host_allowed(&allowed, "[::1]:8081"));
        assert!(!host_allowed(&allowed, "evil.example"));
        assert!(!host_allowed(&allowed, "registry.example.com.evil.example"));
        assert!(host_allowed(&["*".to_string()], "anything"));
    }

    #[test]
    fn metadata_size_counts_every_contract_field() {
        assert!(check_metadata_size(br#"{"schema":"\"int\""}"#, 10).is_ok());
        let body = serde_json::json!({"schema": "\"int\"", "metadata": {"properties": {"k": "x".repeat(100)}}});
        let body = serde_json::to_vec(&body).unwrap();
        assert!(check_metadata_size(&body, 1000).is_ok());
        let e = check_metadata_size(&body, 50).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (422, 42209));
        let cfg = serde_json::json!({"defaultRuleSet": {"domainRules": [{"name": "r".repeat(40)}]}});
        assert!(check_metadata_size(&serde_json::to_vec(&cfg).unwrap(), 20).is_err());
    }
}
