//! The Confluent Schema Registry REST API over axum: one module per resource.
//!
//! This module holds what every resource shares: the router, Confluent's media types and
//! content negotiation, the JSON body extractor (415/400/422 as rest-utils reports them),
//! Jersey-style query parameters, error rendering, and the `/contexts/{ctx}/...` URL prefix.

mod changes;
mod compatibility;
mod config;
mod contexts;
mod dek;
mod metadata;
mod mode;
mod schemas;
mod subjects;

pub use config::{ALIAS_FIELDS, CONFIG_FIELDS};
pub use contexts::rewrite_context_prefix;

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tower::Layer;

use crate::error::ApiError;
use crate::registry::Registry;
use crate::server::http::{self, BodyFailure, BodyLimits, HttpOptions};

/// Confluent's default (and preferred) response type.
pub const V1_JSON: &str = "application/vnd.schemaregistry.v1+json";
const SR_JSON: &str = "application/vnd.schemaregistry+json";
const JSON: &str = "application/json";

/// Shared by all handlers.
pub struct AppState {
    pub registry: Arc<Registry>,
}

pub type Shared = Arc<AppState>;

/// Wraps the API's routes in more layers: the place for authentication and authorization. It
/// sees requests after the allowed-hosts check, CORS and the `/contexts/{ctx}` rewrite, and
/// before body limits, content-type checks and the handlers.
pub type RouterLayer = Box<dyn FnOnce(Router) -> Router + Send>;

/// The whole API as a service: the context-prefix rewrite runs before routing.
pub fn app(registry: Arc<Registry>) -> Router {
    app_with(registry, Router::new())
}

/// The API plus `extra` routes (e.g. the linker's `/exporters`), which share content
/// negotiation and the `/contexts/{ctx}` prefix. `extra` must not set a fallback.
pub fn app_with(registry: Arc<Registry>, extra: Router) -> Router {
    app_with_options(registry, extra, &HttpOptions::default(), None)
}

/// [`app_with`] with request limits, allowed hosts and CORS from `opts`, and `guard` (when
/// given) around the routes (see [`RouterLayer`]).
pub fn app_with_options(
    registry: Arc<Registry>,
    extra: Router,
    opts: &HttpOptions,
    guard: Option<RouterLayer>,
) -> Router {
    let state = Arc::new(AppState { registry: registry.clone() });
    let limits = BodyLimits {
        max_body_bytes: opts.max_body_bytes,
        max_metadata_bytes: opts.max_metadata_bytes,
        body_timeout: opts.body_timeout,
    };
    let routes = Router::new()
        .route("/", get(metadata::root).post(metadata::root))
        .merge(metadata::routes())
        .merge(schemas::routes())
        .merge(subjects::routes())
        .merge(compatibility::routes())
        .merge(config::routes())
        .merge(mode::routes())
        .merge(contexts::routes())
        .merge(changes::routes())
        .merge(dek::routes())
        .with_state(state)
        .merge(extra)
        .fallback(|| async { ApiError::http(StatusCode::NOT_FOUND, "HTTP 404 Not Found") })
        .method_not_allowed_fallback(|| async {
            ApiError::http(StatusCode::METHOD_NOT_ALLOWED, "HTTP 405 Method Not Allowed")
        });
    // Several nodes on one Kafka store: followers hand writes to the leader.
    let routes = match registry.cluster() {
        Some(c) => match crate::cluster::forward::Forwarder::new(registry.clone(), c.clone(), c.ca_pem()) {
            Ok(f) => routes.layer(axum::middleware::from_fn_with_state(f, crate::cluster::forward::layer)),
            Err(e) => {
                tracing::error!("cannot set up forwarding to the leader, every node writes itself: {e:#}");
                routes
            }
        },
        None => routes,
    };
    let routes = routes.layer(axum::middleware::from_fn_with_state(limits, http::limit_body));
    let routes = match guard {
        Some(g) => g(routes),
        None => routes,
    };
    let api = routes.layer(axum::middleware::from_fn(negotiate));
    // `/metrics` answers Prometheus' own content type, outside negotiation and authentication.
    let (api, _) = crate::metrics::instrument(api, registry);
    let mut app =
        Router::new().fallback_service(tower::util::MapRequestLayer::new(contexts::rewrite_context_prefix).layer(api));
    if let Some(cors) = http::cors_layer(&opts.cors_origins) {
        app = app.layer(cors);
    }
    if !opts.allowed_hosts.is_empty() {
        app = app.layer(axum::middleware::from_fn_with_state(Arc::new(opts.allowed_hosts.clone()), http::check_host));
    }
    app
}

// ---------------------------------------------------------------------------- responses

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error_code": self.code, "message": self.message });
        let mut resp = json_response(self.status, &body);
        if self.code == crate::error::NOT_LEADER {
            resp.extensions_mut().insert(crate::cluster::forward::NotLeader);
        }
        resp
    }
}

/// A JSON response with Confluent's content type (the negotiation layer may change it).
pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => raw_json(status, Bytes::from(bytes)),
        Err(e) => {
            tracing::error!("cannot render response: {e}");
            raw_json(
                StatusCode::INTERNAL_SERVER_ERROR,
                Bytes::from_static(br#"{"error_code":500,"message":"Internal Server Error"}"#),
            )
        }
    }
}

pub fn ok<T: Serialize + ?Sized>(body: &T) -> Response {
    json_response(StatusCode::OK, body)
}

pub fn raw_json(status: StatusCode, body: Bytes) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(V1_JSON));
    r
}

pub type ApiResponse = Result<Response, ApiError>;

/// Content negotiation on Accept: Confluent's three JSON types by server preference; 406 when the
/// client accepts none of them.
async fn negotiate(req: Request, next: axum::middleware::Next) -> Response {
    // The console's pages are HTML for browsers, outside JSON negotiation.
    if req.uri().path() == "/ui" || req.uri().path().starts_with("/ui/") {
        return next.run(req).await;
    }
    let chosen = match req.headers().get(header::ACCEPT).map(HeaderValue::as_bytes) {
        None | Some(b"" | b"*/*") => V1_JSON,
        Some(a) => {
            let a = String::from_utf8_lossy(a).to_ascii_lowercase();
            let types: Vec<&str> = a.split(',').map(|t| t.split(';').next().unwrap_or("").trim()).collect();
            let has = |t: &str| types.contains(&t);
            if has(V1_JSON) || has("*/*") || has("application/*") {
                V1_JSON
            } else if has(SR_JSON) {
                SR_JSON
            } else if has(JSON) {
                JSON
            } else {
                return ApiError::http(StatusCode::NOT_ACCEPTABLE, "HTTP 406 Not Acceptable").into_response();
            }
        }
    };
    let mut resp = json_rejection(next.run(req).await).await;
    if chosen != V1_JSON {
        let is_json = resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes() == V1_JSON.as_bytes());
        if is_json {
            resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(chosen));
        }
    }
    resp
}

/// axum's own extractor rejections (a path segment that is not UTF-8, say) answer plain text:
/// give them Confluent's JSON error shape like every other error.
async fn json_rejection(resp: Response) -> Response {
    let plain = resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if !plain || !resp.status().is_client_error() {
        return resp;
    }
    let status = resp.status();
    let text = match http_body_util::BodyExt::collect(http_body_util::Limited::new(resp.into_body(), 4096)).await {
        Ok(body) => String::from_utf8_lossy(&body.to_bytes()).into_owned(),
        Err(_) => status.canonical_reason().unwrap_or("Bad Request").to_string(),
    };
    ApiError::http(status, text).into_response()
}

// ---------------------------------------------------------------------------- request bodies

/// A JSON request body as Confluent accepts it: the three JSON media types and
/// `application/octet-stream`; other types → 415 (a missing type with a body is refused by
/// [`http::limit_body`]); over the size cap → 413; too slow → 408; bad JSON → 400; missing body
/// → 422; `metadata`/`ruleSet` over their cap → 422/42209.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            if !http::ACCEPTED_REQUEST_TYPES.contains(&ct.as_str()) {
                return Err(ApiError::http(StatusCode::UNSUPPORTED_MEDIA_TYPE, "HTTP 415 Unsupported Media Type"));
            }
        }
        let limits = req.extensions().get::<BodyLimits>().copied().unwrap_or_default();
        let body = http_body_util::Limited::new(req.into_body(), limits.max_body_bytes);
        let bytes = match http_body_util::BodyExt::collect(body).await {
            Ok(c) => c.to_bytes(),
            Err(e) => {
                return Err(match http::classify(e.as_ref()) {
                    BodyFailure::TooLarge => http::too_large(limits.max_body_bytes),
                    BodyFailure::TimedOut => http::body_timed_out(limits.body_timeout),
                    BodyFailure::Other(e) => {
                        ApiError::http(StatusCode::BAD_REQUEST, format!("Cannot read request body: {e}"))
                    }
                })
            }
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, 422, "Request body is missing"));
        }
        http::check_metadata_size(&bytes, limits.max_metadata_bytes)?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            let msg = if e.is_data() {
                format!("Unrecognized request body: {e}")
            } else {
                format!("Unexpected character in JSON body: {e}")
            };
            ApiError::http(StatusCode::BAD_REQUEST, msg)
        })
    }
}

// ---------------------------------------------------------------------------- query parameters

/// Query parameters with Jersey's conventions: absent boolean = false, `true` in any case = true.
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, ApiError> {
        Ok(Params::from_uri(&parts.uri))
    }
}

impl Params {
    pub fn from_uri(uri: &Uri) -> Self {
        Params(form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect())
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    /// Every value of a repeated parameter, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
    pub fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
    fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|v| v.trim().parse().ok())
    }
    /// Apply `offset` and `limit` (limit ≤ 0 or above `max` = `default_limit`), as Confluent.
    pub fn page<T>(&self, items: Vec<T>, default_limit: usize, max: usize) -> Vec<T> {
        let offset = self.int("offset").unwrap_or(0).max(0) as usize;
        let limit = match self.int("limit") {
            Some(l) if l > 0 && (l as usize) <= max => l as usize,
            _ => default_limit,
        };
        items.into_iter().skip(offset).take(limit).collect()
    }
}
