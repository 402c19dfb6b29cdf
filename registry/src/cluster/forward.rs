//! Followers forward writes to the leader, as Confluent's followers do: one node sequences the
//! writes, so its group commit batches them all and nodes no longer race for the next id.
//!
//! A write request on a follower runs here first, on this node, with forwarding allowed: reads it
//! needs and answers it can give without writing (a schema already registered, a bad request)
//! come from this node. Only when the write reaches the point where it would append to the log
//! does it stop with [`ApiError::not_leader`]; this layer then sends the same request to the
//! leader named in the coordination topic and answers the leader's response, after this node has
//! read the log up to the leader's position (`Lockstep-Position`), so a client that writes
//! through a follower then reads from it sees its write.
//!
//! The shared log stays correct with several writers, so forwarding is about throughput, not
//! safety: when no leader is known, or the leader cannot be reached (connection refused, TLS
//! handshake refused), the write runs on this node instead. A request sent to the leader whose
//! answer does not come back fails with 50003, as the write may have happened. A forwarded
//! request carries `Lockstep-Forwarded`; the node receiving it never forwards it again.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Cluster;
use crate::error::ApiError;
use crate::registry::Registry;
use crate::server::http::{self, BodyFailure, BodyLimits};

/// Marks a request a follower forwarded (the value names the follower).
pub const FORWARDED: HeaderName = HeaderName::from_static("lockstep-forwarded");
/// The leader's log position after a forwarded write.
pub const POSITION: HeaderName = HeaderName::from_static("lockstep-position");
/// The leader's position in the coordination topic after a forwarded write (exporters).
pub const COORDINATION: HeaderName = HeaderName::from_static("lockstep-coordination-position");

/// Headers a forwarded request keeps (Confluent: `inter.instance.headers.whitelist` plus auth).
const KEPT: [HeaderName; 4] = [header::CONTENT_TYPE, header::ACCEPT, header::AUTHORIZATION, header::USER_AGENT];

/// The largest response body taken from the leader.
const MAX_RESPONSE_BYTES: usize = 64 << 20;

tokio::task_local! {
    static MAY_FORWARD: bool;
}

/// In a response: the write stopped because this node is not the leader (see
/// [`ApiError::not_leader`]); the forwarding layer sends the request on.
#[derive(Debug, Clone, Copy)]
pub struct NotLeader;

/// Is the request this task serves one the forwarding layer may send to the leader?
pub fn may_forward() -> bool {
    MAY_FORWARD.try_with(|f| *f).unwrap_or(false)
}

/// `fut`, run with the caller's [`may_forward`] (for work moved to another task).
pub fn carry<F: Future>(fut: F) -> impl Future<Output = F::Output> {
    MAY_FORWARD.scope(may_forward(), fut)
}

/// The error that hands a write to the leader: when the request may be forwarded, this node
/// follows, and another node leads. None means: write here.
pub fn refusal(cluster: Option<&Cluster>) -> Option<ApiError> {
    let c = cluster?;
    (may_forward() && c.leader_url().is_some()).then(ApiError::not_leader)
}

/// [`refusal`] as a response, for routes with their own error type (`/exporters`).
pub fn refusal_response(cluster: &Cluster) -> Option<Response> {
    refusal(Some(cluster)).map(IntoResponse::into_response)
}

/// What the forwarding layer needs.
#[derive(Clone)]
pub struct Forwarder {
    registry: Arc<Registry>,
    cluster: Arc<Cluster>,
    client: reqwest::Client,
}

impl Forwarder {
    /// A forwarder whose HTTPS requests trust the system's roots plus `ca_pem` (PEM, may hold
    /// several certificates).
    pub fn new(registry: Arc<Registry>, cluster: Arc<Cluster>, ca_pem: Option<&[u8]>) -> anyhow::Result<Self> {
        let timeout = registry.config.write_timeout + Duration::from_secs(5);
        let mut b = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(64);
        if let Some(pem) = ca_pem {
            for cert in reqwest::Certificate::from_pem_bundle(pem)? {
                b = b.add_root_certificate(cert);
            }
        }
        Ok(Self { registry, cluster, client: b.build()? })
    }
}

fn is_write(m: &Method) -> bool {
    matches!(*m, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
}

/// The forwarding layer (inside authentication and body limits, around every route).
pub async fn layer(State(f): State<Forwarder>, req: Request, next: Next) -> Response {
    if !is_write(req.method()) {
        return next.run(req).await;
    }
    if req.headers().contains_key(&FORWARDED) {
        let mut resp = next.run(req).await;
        let pos = f.registry.visible_position();
        resp.headers_mut().insert(POSITION, HeaderValue::from(pos));
        let next = f.cluster.view().borrow().next;
        resp.headers_mut().insert(COORDINATION, HeaderValue::from(next));
        return resp;
    }
    // A client known by its certificate alone cannot be vouched for to the leader.
    let cert_only = req.extensions().get::<crate::server::tls::PeerCertificates>().is_some()
        && !req.headers().contains_key(header::AUTHORIZATION);
    if f.cluster.is_leader() || cert_only {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let limits = parts.extensions.get::<BodyLimits>().copied().unwrap_or_default();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            return match http::classify(&e) {
                BodyFailure::TooLarge => http::too_large(limits.max_body_bytes),
                BodyFailure::TimedOut => http::body_timed_out(limits.body_timeout),
                BodyFailure::Other(e) => {
                    ApiError::http(StatusCode::BAD_REQUEST, format!("Cannot read request body: {e}"))
                }
            }
            .into_response()
        }
    };
    let rebuild = |bytes: Bytes| {
        let mut r = Request::new(Body::from(bytes));
        *r.method_mut() = parts.method.clone();
        *r.uri_mut() = parts.uri.clone();
        *r.version_mut() = parts.version;
        *r.headers_mut() = parts.headers.clone();
        *r.extensions_mut() = parts.extensions.clone();
        r
    };
    let resp = MAY_FORWARD.scope(true, next.clone().run(rebuild(bytes.clone()))).await;
    if resp.extensions().get::<NotLeader>().is_none() {
        return resp;
    }
    match f.send(&parts.method, &parts.uri, &parts.headers, bytes.clone()).await {
        Sent::Answered(resp) => resp,
        Sent::Unreachable(why) => {
            tracing::debug!("the leader cannot be reached ({why}): writing on this node");
            f.registry.metrics.forwarded(false);
            next.run(rebuild(bytes)).await
        }
        Sent::Failed(e) => e.into_response(),
    }
}

enum Sent {
    Answered(Response),
    /// Nothing reached the leader: the write may run here.
    Unreachable(String),
    /// The request went out; whether it took effect is unknown.
    Failed(ApiError),
}

impl Forwarder {
    async fn send(&self, method: &Method, uri: &axum::http::Uri, headers: &HeaderMap, body: Bytes) -> Sent {
        let Some(leader) = self.cluster.leader_url() else {
            return Sent::Unreachable("no leader is known".into());
        };
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let url = format!("{}{path}", leader.trim_end_matches('/'));
        let mut req = self.client.request(method.clone(), &url).body(body);
        for name in &KEPT {
            for v in headers.get_all(name) {
                req = req.header(name, v);
            }
        }
        req = req.header(FORWARDED, self.cluster.node());
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) if e.is_connect() => return Sent::Unreachable(format!("{url}: {e}")),
            Err(e) => return Sent::Failed(forwarding_failed(&leader, &e)),
        };
        let status = resp.status();
        let kept: Vec<(HeaderName, HeaderValue)> = resp
            .headers()
            .iter()
            .filter(|(k, _)| *k == header::CONTENT_TYPE || *k == header::WWW_AUTHENTICATE)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let number = |h: &HeaderName| resp.headers().get(h).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let (position, coordination) = (number(&POSITION), number(&COORDINATION));
        let body = match read_bounded(resp).await {
            Ok(b) => b,
            Err(e) => return Sent::Failed(forwarding_failed(&leader, &e)),
        };
        self.registry.metrics.forwarded(true);
        if status.is_success() {
            // Read-your-writes on this node: wait until it has read what the leader wrote.
            let deadline = tokio::time::Instant::now() + self.registry.config.write_timeout;
            if let Some(pos) = position {
                if let Err(e) = self.registry.wait_visible_at(pos, deadline).await {
                    tracing::warn!("a forwarded write is done, but this node has not read it yet: {e}");
                }
            }
            if let Some(next) = coordination.filter(|n| *n > 0) {
                if let Err(e) = self.cluster.wait_applied(next - 1).await {
                    tracing::warn!("a forwarded write is done, but this node has not read it yet: {e:#}");
                }
            }
        }
        let mut out = Response::new(Body::from(body));
        *out.status_mut() = status;
        for (k, v) in kept {
            out.headers_mut().append(k, v);
        }
        Sent::Answered(out)
    }
}

fn forwarding_failed(leader: &str, e: &dyn std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        50003,
        format!("Error while forwarding the request to the leader {leader}: {e}"),
    )
}

async fn read_bounded(mut resp: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        if out.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(format!("the leader's answer is larger than {MAX_RESPONSE_BYTES} bytes"));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}
