//! Authentication, authorization and audit in front of every route, as one tower [`Layer`]:
//!
//! ```ignore
//! let layer = SecurityLayer::new(args.resolve(file)?, registry.clone()).await?;
//! let app = registry::api::app(registry).layer(layer);
//! ```
//!
//! Per request: the `/contexts/{ctx}/…` prefix is resolved first (the same rewrite the API
//! applies), then the caller is authenticated (basic, bearer, mTLS, or anonymous), the request is
//! classified into an operation on a resource ([`classify`]), checked against the rules
//! ([`authz`]), and listings are filtered to what the caller may read ([`filter`]). Writes and
//! refusals go to the audit log ([`audit`]). Operators' guide: `docs/security.md`.

pub mod audit;
pub mod authz;
pub mod basic;
pub mod bearer;
pub mod classify;
pub mod config;
mod filter;
pub mod mtls;
pub mod principal;
pub mod users;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context as TaskContext, Poll};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::response::Response;
use subtle::ConstantTimeEq;
use tower::{Layer, Service};

pub use audit::AuditTarget;
pub use authz::{Authorizer, Operation, Resource};
pub use config::{SecurityArgs, SecurityConfig, SecurityFile};
pub use mtls::ClientCertChain;
pub use principal::{AuthMethod, Principal};

use crate::api::{json_response, rewrite_context_prefix};
use crate::registry::Registry;
use classify::Access;

/// Why a request could not be authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No credentials and no anonymous access.
    Missing,
    /// An Authorization header that cannot be read.
    Malformed(&'static str),
    /// Unknown user or wrong password (one answer for both).
    BadCredentials,
    /// A bearer token that does not pass validation.
    Token(String),
    /// A client certificate that names no principal.
    Certificate(String),
    /// Too many password checks at once.
    Busy,
    /// A scheme that is not enabled.
    SchemeDisabled(&'static str),
}

impl AuthError {
    fn message(&self) -> String {
        match self {
            AuthError::Missing => "Unauthorized: credentials are required".into(),
            AuthError::Malformed(why) => format!("Unauthorized: malformed Authorization header ({why})"),
            AuthError::BadCredentials => "Unauthorized: bad user name or password".into(),
            AuthError::Token(why) => format!("Unauthorized: invalid bearer token ({why})"),
            AuthError::Certificate(why) => format!("Unauthorized: {why}"),
            AuthError::Busy => "Too many authentication checks in progress; retry later".into(),
            AuthError::SchemeDisabled(s) => format!("Unauthorized: {s} authentication is not enabled"),
        }
    }
}

/// What the authenticated caller of a request may do, for handlers that shape their own output
/// to it (the console filters subjects and hides buttons). Absent when nothing authenticates.
#[derive(Clone)]
pub struct Grants {
    pub principal: Principal,
    authz: Arc<Authorizer>,
}

impl Grants {
    pub fn allows(&self, op: Operation, r: &Resource) -> bool {
        self.authz.allows(&self.principal, op, r)
    }
    pub fn allows_all_subjects(&self, op: Operation) -> bool {
        self.authz.allows_all_subjects(&self.principal, op)
    }
}

/// Everything the layer needs, shared by all requests.
pub struct Security {
    basic: Option<basic::Basic>,
    bearer: Option<bearer::Bearer>,
    mtls: Option<mtls::Mtls>,
    anonymous: bool,
    authz: ArcSwap<Authorizer>,
    rules_file: Option<PathBuf>,
    audit: Option<audit::AuditLog>,
    registry: Arc<Registry>,
    /// (principal, groups, context, id, rules generation) → may read: `GET /schemas/ids/{id}`
    /// scans subjects, so its answers are kept briefly.
    id_cache: moka::sync::Cache<(String, String, u32, u64), bool>,
    rules_generation: std::sync::atomic::AtomicU64,
    /// A random bearer token, made at start and never stored, that this process's own clients
    /// (in-process exporters) present; it authenticates the `internal` principal.
    internal_token: String,
}

/// The tower layer. Cheap to clone.
#[derive(Clone)]
pub struct SecurityLayer(Arc<Security>);

impl SecurityLayer {
    /// Load users, keys and rules (errors name the file and line), open the audit log, and start
    /// watching the files for changes (when inside a tokio runtime).
    pub async fn new(cfg: SecurityConfig, registry: Arc<Registry>) -> anyhow::Result<SecurityLayer> {
        let basic = cfg.basic.clone().map(basic::Basic::new).transpose()?;
        let bearer = match cfg.bearer.clone() {
            Some(b) => Some(bearer::Bearer::new(b).await?),
            None => None,
        };
        let mtls = cfg.mtls.as_ref().map(|(f, rules)| mtls::Mtls::new(*f, rules)).transpose()?;
        let authz = match &cfg.rules_file {
            Some(p) => Authorizer::load(p)?,
            None => Authorizer::default(),
        };
        let audit = cfg.audit.as_ref().map(audit::AuditLog::open).transpose()?;
        let sec = Arc::new(Security {
            basic,
            bearer,
            mtls,
            anonymous: cfg.anonymous,
            authz: ArcSwap::from_pointee(authz),
            rules_file: cfg.rules_file.clone(),
            audit,
            registry,
            id_cache: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(std::time::Duration::from_secs(5))
                .build(),
            rules_generation: Default::default(),
            internal_token: random_token()?,
        });
        if tokio::runtime::Handle::try_current().is_ok() {
            spawn_watchers(&sec, cfg.reload_every);
        }
        Ok(SecurityLayer(sec))
    }

    /// The bearer token of the `internal` principal, for this process's own clients only.
    pub fn internal_token(&self) -> &str {
        &self.0.internal_token
    }
}

/// 32 random bytes, hex: unguessable, so only this process knows it.
fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    use password_hash::rand_core::{OsRng, RngCore};
    OsRng.try_fill_bytes(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness for the internal token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Poll the users, JWKS and rules files (mtime and size) and reload on change; fetch a JWKS URL
/// periodically. A bad new file is logged and the old contents stay in force. The tasks end when
/// the layer is dropped.
fn spawn_watchers(sec: &Arc<Security>, every: std::time::Duration) {
    fn stamp(p: &std::path::Path) -> Option<(SystemTime, u64)> {
        let m = std::fs::metadata(p).ok()?;
        Some((m.modified().ok()?, m.len()))
    }
    let weak: Weak<Security> = Arc::downgrade(sec);
    let files: Vec<PathBuf> = [
        sec.basic.as_ref().map(|b| b.users_file().to_path_buf()),
        sec.bearer.as_ref().and_then(|b| b.jwks_file().map(|p| p.to_path_buf())),
        sec.rules_file.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !files.is_empty() {
        let weak = weak.clone();
        tokio::spawn(async move {
            let mut stamps: Vec<_> = files.iter().map(|f| stamp(f)).collect();
            loop {
                tokio::time::sleep(every).await;
                let Some(sec) = weak.upgrade() else { return };
                for (f, old) in files.iter().zip(stamps.iter_mut()) {
                    let now = stamp(f);
                    if now != *old {
                        *old = now;
                        if let Err(e) = sec.reload(f).await {
                            tracing::error!("keeping the previous contents of {}: {e:#}", f.display());
                        } else {
                            tracing::info!("reloaded {}", f.display());
                        }
                    }
                }
            }
        });
    }
    if let Some(every) = sec.bearer.as_ref().and_then(|b| b.refresh_interval()) {
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(sec) = weak.upgrade() else { return };
                if let Some(b) = &sec.bearer {
                    if let Err(e) = b.reload().await {
                        tracing::warn!("keeping the previous JWKS: {e:#}");
                    }
                }
            }
        });
    }
}

impl Security {
    async fn reload(&self, file: &std::path::Path) -> anyhow::Result<()> {
        if let Some(b) = self.basic.as_ref().filter(|b| b.users_file() == file) {
            b.reload()?;
        }
        if let Some(b) = self.bearer.as_ref().filter(|b| b.jwks_file() == Some(file)) {
            b.reload().await?;
        }
        if self.rules_file.as_deref() == Some(file) {
            self.authz.store(Arc::new(Authorizer::load(file)?));
            self.rules_generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.id_cache.invalidate_all();
        }
        Ok(())
    }

    fn enabled(&self) -> bool {
        self.basic.is_some() || self.bearer.is_some() || self.mtls.is_some() || self.audit.is_some()
    }

    fn authenticates(&self) -> bool {
        self.basic.is_some() || self.bearer.is_some() || self.mtls.is_some()
    }

    async fn authenticate(
        &self,
        authorization: Option<HeaderValue>,
        chain: Option<ClientCertChain>,
    ) -> Result<Principal, AuthError> {
        if let Some(h) = authorization {
            let h = h.to_str().map_err(|_| AuthError::Malformed("not ASCII"))?.trim();
            let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
            let rest = rest.trim();
            if scheme.eq_ignore_ascii_case("basic") {
                let b = self.basic.as_ref().ok_or(AuthError::SchemeDisabled("Basic"))?;
                if rest.is_empty() {
                    return Err(AuthError::Malformed("empty Basic credentials"));
                }
                return b.authenticate(rest).await;
            }
            if scheme.eq_ignore_ascii_case("bearer")
                && bool::from(rest.as_bytes().ct_eq(self.internal_token.as_bytes()))
            {
                return Ok(Principal::new("lockstep-internal", Vec::new(), AuthMethod::Internal));
            }
            if scheme.eq_ignore_ascii_case("bearer") {
                let b = self.bearer.as_ref().ok_or(AuthError::SchemeDisabled("Bearer"))?;
                if rest.is_empty() {
                    return Err(AuthError::Malformed("empty Bearer token"));
                }
                return b.authenticate(rest).await;
            }
            return Err(AuthError::Malformed("unsupported scheme"));
        }
        if let (Some(m), Some(chain)) = (&self.mtls, chain) {
            return m.authenticate(&chain);
        }
        if self.anonymous {
            return Ok(Principal::anonymous());
        }
        Err(AuthError::Missing)
    }

    fn unauthorized(&self, e: &AuthError) -> Response {
        if *e == AuthError::Busy {
            let mut r = json_response(
                StatusCode::TOO_MANY_REQUESTS,
                &serde_json::json!({"error_code": 429, "message": e.message()}),
            );
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return r;
        }
        let mut r =
            json_response(StatusCode::UNAUTHORIZED, &serde_json::json!({"error_code": 401, "message": e.message()}));
        if self.basic.is_some() {
            r.headers_mut().append(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"lockstep\""));
        }
        if self.bearer.is_some() {
            let v = if matches!(e, AuthError::Token(_)) {
                HeaderValue::from_static("Bearer realm=\"lockstep\", error=\"invalid_token\"")
            } else {
                HeaderValue::from_static("Bearer realm=\"lockstep\"")
            };
            r.headers_mut().append(header::WWW_AUTHENTICATE, v);
        }
        if self.basic.is_none() && self.bearer.is_none() {
            r.headers_mut().append(header::WWW_AUTHENTICATE, HeaderValue::from_static("Mutual-TLS realm=\"lockstep\""));
        }
        r
    }

    #[allow(clippy::too_many_arguments)]
    fn audit(
        &self,
        principal: Option<&Principal>,
        source: &Option<String>,
        method: &Method,
        path: &str,
        what: Option<(Operation, &Resource)>,
        result: &str,
        status: StatusCode,
    ) {
        if let Some(log) = &self.audit {
            log.record(&audit::AuditEvent {
                time: audit::now(),
                principal: principal.map(|p| p.name.as_str()),
                source: source.clone(),
                method: method.as_str(),
                path,
                operation: what.map(|(o, _)| match o {
                    Operation::Read => "read",
                    Operation::Write => "write",
                    Operation::Delete => "delete",
                    Operation::Config => "config",
                    Operation::Mode => "mode",
                    Operation::Admin => "admin",
                }),
                resource: what.map(|(_, r)| r.to_string()),
                result,
                status: status.as_u16(),
            });
        }
    }

    async fn handle<S>(self: Arc<Self>, req: Request<Body>, inner: S) -> Response
    where
        S: Service<Request<Body>, Response = Response, Error = Infallible> + Clone + Send + 'static,
        S::Future: Send,
    {
        if !self.enabled() {
            return call(inner, req).await;
        }
        let mut req = match settle_context_prefix(req) {
            Ok(req) => req,
            Err(resp) => return *resp,
        };
        let source = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.to_string());
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let is_write = method != Method::GET && method != Method::HEAD;
        if !self.authenticates() {
            // Audit only.
            let resp = call(inner, req).await;
            if is_write {
                self.audit(None, &source, &method, &path, None, "allowed", resp.status());
            }
            return resp;
        }
        let authorization = req.headers().get(header::AUTHORIZATION).cloned();
        let principal = match self.authenticate(authorization, client_chain(&req)).await {
            Ok(p) => p,
            Err(e) => {
                let resp = self.unauthorized(&e);
                let result = if e == AuthError::Busy { "throttled" } else { "unauthenticated" };
                self.audit(None, &source, &method, &path, None, result, resp.status());
                return resp;
            }
        };
        let query: Vec<(String, String)> =
            form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()).into_owned().collect();
        let mut access = classify::classify(&method, &path, &query);
        if access == Access::CreateExporter {
            let (r, name) = filter::exporter_name(req).await;
            req = r;
            access = Access::Need(Operation::Admin, Resource::Exporter(name));
        }
        let decision = self.decide(&principal, &access);
        req.extensions_mut().insert(principal.clone());
        req.extensions_mut().insert(Grants { principal: principal.clone(), authz: self.authz.load_full() });
        match decision {
            Decision::Deny(op, resource) => {
                let resp = json_response(
                    StatusCode::FORBIDDEN,
                    &serde_json::json!({
                        "error_code": 40301,
                        "message": format!("User is denied operation {} on {resource}", op.as_str()),
                    }),
                );
                self.audit(Some(&principal), &source, &method, &path, Some((op, &resource)), "denied", resp.status());
                resp
            }
            Decision::Filter(listing) => filter::filtered(&self, &principal, listing, req, inner).await,
            Decision::Allow(what) => {
                let resp = call(inner, req).await;
                if is_write {
                    let what = what.as_ref().map(|(o, r)| (*o, r));
                    self.audit(Some(&principal), &source, &method, &path, what, "allowed", resp.status());
                }
                resp
            }
        }
    }

    fn decide(&self, p: &Principal, access: &Access) -> Decision {
        let authz = self.authz.load();
        match access {
            Access::Authenticated => Decision::Allow(None),
            Access::Need(op, r) => {
                if authz.allows(p, *op, r) {
                    Decision::Allow(Some((*op, r.clone())))
                } else {
                    Decision::Deny(*op, r.clone())
                }
            }
            Access::SubjectOp(op, s) => {
                let st = self.registry.snapshot();
                // Deletes resolve the name counting soft-deleted subjects; reads either way
                // (depending on `deleted=`), so both resolutions are checked.
                let modes: &[bool] = if *op == Operation::Delete { &[true] } else { &[true, false] };
                let mut candidates: Vec<String> = Vec::new();
                for deleted in modes {
                    if let Ok(found) = Registry::find_subject(&st, s, *deleted) {
                        if !candidates.contains(&found) {
                            candidates.push(found);
                        }
                    }
                }
                if candidates.is_empty() {
                    candidates.push(crate::subject::normalize(s).unwrap_or_else(|| s.clone()));
                }
                for c in candidates.iter() {
                    let r = Resource::Subject(c.clone());
                    if !authz.allows(p, *op, &r) {
                        return Decision::Deny(*op, r);
                    }
                }
                Decision::Allow(Some((*op, Resource::Subject(candidates.swap_remove(0)))))
            }
            Access::SchemaId { id, context, listing } => {
                if !filter::may_read_id(self, &authz, p, context, id) {
                    return Decision::Deny(Operation::Read, Resource::Schema(id.clone()));
                }
                match listing {
                    Some(l) if !authz.allows_all_subjects(p, Operation::Read) => Decision::Filter(*l),
                    _ => Decision::Allow(None),
                }
            }
            Access::Guid(g) => {
                if filter::may_read_guid(self, &authz, p, g) {
                    Decision::Allow(None)
                } else {
                    Decision::Deny(Operation::Read, Resource::Schema(g.clone()))
                }
            }
            Access::List(l) => {
                let all = match l {
                    classify::Listing::Exporters => false,
                    _ => authz.allows_all_subjects(p, Operation::Read),
                };
                if all {
                    Decision::Allow(None)
                } else {
                    Decision::Filter(*l)
                }
            }
            Access::CreateExporter => Decision::Deny(Operation::Admin, Resource::Global),
        }
    }
}

enum Decision {
    Allow(Option<(Operation, Resource)>),
    Deny(Operation, Resource),
    Filter(classify::Listing),
}

async fn call<S>(mut inner: S, req: Request<Body>) -> Response
where
    S: Service<Request<Body>, Response = Response, Error = Infallible>,
{
    match std::future::poll_fn(|cx| inner.poll_ready(cx)).await {
        Ok(()) => match inner.call(req).await {
            Ok(r) => r,
            Err(e) => match e {},
        },
        Err(e) => match e {},
    }
}

impl<S> Layer<S> for SecurityLayer {
    type Service = SecurityService<S>;
    fn layer(&self, inner: S) -> SecurityService<S> {
        SecurityService { sec: self.0.clone(), inner }
    }
}

/// The service [`SecurityLayer`] wraps around the API.
#[derive(Clone)]
pub struct SecurityService<S> {
    sec: Arc<Security>,
    inner: S,
}

impl<S> Service<Request<Body>> for SecurityService<S>
where
    S: Service<Request<Body>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let inner = self.inner.clone();
        let sec = self.sec.clone();
        Box::pin(async move { Ok(sec.handle(req, inner).await) })
    }
}

/// Resolves the `/contexts/{ctx}` prefix to a fixed point, so the API's own rewrite then changes
/// nothing and the resource checked is the resource served; 400 past 8 nested prefixes.
fn settle_context_prefix(mut req: Request<Body>) -> Result<Request<Body>, Box<Response>> {
    for _ in 0..8 {
        let before = req.uri().clone();
        req = rewrite_context_prefix(req);
        if *req.uri() == before {
            return Ok(req);
        }
    }
    Err(Box::new(json_response(
        StatusCode::BAD_REQUEST,
        &serde_json::json!({"error_code": 400, "message": "Too many nested /contexts prefixes"}),
    )))
}

/// The listener's verified client chain (or one a test put there directly).
fn client_chain(req: &Request<Body>) -> Option<ClientCertChain> {
    req.extensions().get::<ClientCertChain>().cloned().or_else(|| {
        let peer = req.extensions().get::<crate::server::PeerCertificates>()?;
        Some(ClientCertChain(peer.0.iter().map(|c| c.as_ref().to_vec()).collect()))
    })
}
