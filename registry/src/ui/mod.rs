//! The web console at `/ui`: server-rendered HTML (maud) plus one small stylesheet and script
//! served from the binary. No CDN, no build step.
//!
//! Every page is a GET that sits behind the same security layer as the REST API (a page needs
//! an authenticated caller, and shows only the subjects the caller may read); every change the
//! console makes (register, config, mode, exporters) is a call from the browser to the REST API
//! itself, so it is authorized exactly as any client's. Each request does bounded work: lists
//! are paged, and long ones are cut with a note. Operators' guide: `docs/console.md`.

mod check;
mod diff;
mod highlight;
mod layout;
mod links;
mod replication;
mod settings;
mod subject;
mod subjects;

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::registry::Registry;
use crate::security::{Grants, Operation, Resource};

pub use replication::parse_metrics;

/// What the console serves besides the registry's own data.
#[derive(Debug, Clone, Default)]
pub struct UiOptions {
    /// Replicators' `/metrics` URLs (operator-configured; fetched by the server, never chosen
    /// by a caller) shown on the Replication page.
    pub replicator_urls: Vec<String>,
}

impl UiOptions {
    /// Check the URLs: absolute `http`/`https` URLs only.
    pub fn validate(&self) -> anyhow::Result<()> {
        for u in &self.replicator_urls {
            let parsed = reqwest::Url::parse(u).map_err(|e| anyhow::anyhow!("replicator status URL '{u}': {e}"))?;
            anyhow::ensure!(
                matches!(parsed.scheme(), "http" | "https"),
                "replicator status URL '{u}': only http and https are supported"
            );
        }
        Ok(())
    }
}

pub(crate) struct Ui {
    registry: Arc<Registry>,
    /// At most this many diffs/checks at once (parsing and checking are CPU work).
    cpu: tokio::sync::Semaphore,
    replication: replication::Scraper,
    /// The subject search's index of the latest state searched.
    subject_index: parking_lot::Mutex<Option<Arc<subjects::SubjectIndex>>>,
}

type Shared = Arc<Ui>;

/// The console's routes, to merge with the API's (inside its security layer).
pub fn router(registry: Arc<Registry>, opts: UiOptions) -> Router {
    let slots = std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1)).max(1);
    let ui = Arc::new(Ui {
        registry,
        cpu: tokio::sync::Semaphore::new(slots),
        replication: replication::Scraper::new(opts.replicator_urls),
        subject_index: Default::default(),
    });
    Router::new()
        .route("/ui", get(subjects::page))
        .route("/ui/", get(subjects::page))
        .route("/ui/api/subjects", get(subjects::api))
        .route("/ui/subjects/{subject}", get(subject::page))
        .route("/ui/subjects/{subject}/diff", get(diff::page))
        .route("/ui/playground", get(check::page))
        .route("/ui/api/check/{subject}", post(check::api))
        .route("/ui/settings", get(settings::page))
        .route("/ui/links", get(links::page))
        .route("/ui/replication", get(replication::page))
        .route("/ui/assets/console.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
        .route("/ui/assets/console.js", get(|| async { asset("text/javascript; charset=utf-8", JS) }))
        .with_state(ui)
}

const CSS: &str = include_str!("../../assets/ui/console.css");
const JS: &str = include_str!("../../assets/ui/console.js");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

/// What the caller may do: everything when no authentication is configured.
#[derive(Clone, Default)]
pub(crate) struct Access(Option<Grants>);

impl<S: Send + Sync> FromRequestParts<S> for Access {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Access(parts.extensions.get::<Grants>().cloned()))
    }
}

impl Access {
    pub(crate) fn may(&self, op: Operation, r: &Resource) -> bool {
        self.0.as_ref().is_none_or(|g| g.allows(op, r))
    }
    pub(crate) fn may_read(&self, subject: &str) -> bool {
        self.may(Operation::Read, &Resource::Subject(subject.to_string()))
    }
    /// True when every subject is readable (a listing needs no per-subject check).
    pub(crate) fn reads_all(&self) -> bool {
        self.0.as_ref().is_none_or(|g| g.allows_all_subjects(Operation::Read))
    }
    pub(crate) fn user(&self) -> Option<&str> {
        self.0.as_ref().map(|g| g.principal.name.as_str()).filter(|n| !n.is_empty())
    }
}

/// An HTML error page with a status.
pub(crate) fn error_page(status: StatusCode, access: &Access, message: &str) -> Response {
    let body = maud::html! {
        h1 { (status.canonical_reason().unwrap_or("Error")) }
        p.error role="alert" { (message) }
        p { a href="/ui" { "Back to the subjects" } }
    };
    let mut r = layout::page(status.canonical_reason().unwrap_or("Error"), layout::Nav::None, access, body);
    *r.status_mut() = status;
    r
}

/// Run CPU work (parsing, diffing, compatibility checks) on the blocking pool, a few at a time.
pub(crate) async fn on_cpu<T: Send + 'static>(
    ui: &Ui,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, crate::error::ApiError> {
    let _permit = ui.cpu.acquire().await.map_err(|_| crate::error::ApiError::store("shutting down"))?;
    tokio::task::spawn_blocking(work).await.map_err(|e| crate::error::ApiError::store(format!("a task failed: {e}")))
}

/// `/ui/subjects/{subject}` for a subject name (path-encoded).
pub(crate) fn subject_href(subject: &str) -> String {
    format!("/ui/subjects/{}", path_encode(subject))
}

/// Everything but RFC 3986's unreserved characters is encoded in a path segment.
const SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub(crate) fn path_encode(s: &str) -> String {
    if s == "." || s == ".." {
        // Browsers would resolve these as relative path steps.
        return s.replace('.', "%2E");
    }
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

pub(crate) fn query_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests;
