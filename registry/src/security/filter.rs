//! Listings filtered to what the caller may read, without the handlers' help: the layer asks the
//! API for the whole listing in pages of 1000 (`offset`/`limit`), keeps the readable items, and
//! applies the caller's own `offset`/`limit` to what is left — so paging stays exact.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::http::{header, Request, Uri};
use axum::response::Response;
use serde_json::Value;
use tower::Service;

use super::authz::{Authorizer, Operation, Resource};
use super::classify::Listing;
use super::principal::Principal;
use super::{call, Security};
use crate::api::Params;
use crate::subject;

/// Items fetched per inner request.
const CHUNK: usize = 1000;
/// Largest number of inner requests for one listing (a million items).
const MAX_CHUNKS: usize = 1000;
/// Largest exporter-creation body read to find the name.
const MAX_EXPORTER_BODY: usize = 1024 * 1024;

/// May `p` read some subject that uses schema `id` in `context`? An id that does not exist is
/// left to the handler (404).
pub(super) fn may_read_id(sec: &Security, authz: &Authorizer, p: &Principal, context: &str, id: &str) -> bool {
    if authz.allows_all_subjects(p, Operation::Read) {
        return true;
    }
    let Ok(n) = id.parse::<u32>() else { return true };
    let generation = sec.rules_generation.load(std::sync::atomic::Ordering::SeqCst);
    let who = format!("{}\0{}\0{}", p.method.as_str(), p.name, p.groups.join("\0"));
    let key = (who, context.to_string(), n, generation);
    if let Some(v) = sec.id_cache.get(&key) {
        return v;
    }
    let st = sec.registry.snapshot();
    if st.schema_by_id(context, n).is_none() {
        return true;
    }
    let allowed = st.subjects.iter().any(|(name, s)| {
        subject::context_of(name) == context
            && s.versions.values().any(|v| v.schema.id == n)
            && authz.allows(p, Operation::Read, &Resource::Subject(name.clone()))
    });
    sec.id_cache.insert(key, allowed);
    allowed
}

/// May `p` read some subject using a schema with this guid? An unknown guid is left to the handler.
pub(super) fn may_read_guid(sec: &Security, authz: &Authorizer, p: &Principal, guid: &str) -> bool {
    if authz.allows_all_subjects(p, Operation::Read) {
        return true;
    }
    let hex: String = guid.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.is_ascii() {
        return true;
    }
    let mut hash = [0u8; 16];
    for (i, b) in hash.iter_mut().enumerate() {
        match u8::from_str_radix(&hex[2 * i..2 * i + 2], 16) {
            Ok(x) => *b = x,
            Err(_) => return true,
        }
    }
    let st = sec.registry.snapshot();
    let mut exists = false;
    for (name, s) in st.subjects.iter() {
        if s.versions.values().any(|v| v.schema.hash == hash) {
            exists = true;
            if authz.allows(p, Operation::Read, &Resource::Subject(name.clone())) {
                return true;
            }
        }
    }
    !exists
}

/// Read an exporter-creation body for its `name`, and give the request back intact.
pub(super) async fn exporter_name(req: Request<Body>) -> (Request<Body>, String) {
    let (parts, body) = req.into_parts();
    let bytes = match http_body_util::BodyExt::collect(http_body_util::Limited::new(body, MAX_EXPORTER_BODY)).await {
        Ok(c) => c.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let name = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("name").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default();
    (Request::from_parts(parts, Body::from(bytes)), name)
}

fn keep(sec: &Security, authz: &Authorizer, p: &Principal, listing: Listing, item: &Value) -> bool {
    let readable = |s: &str| authz.allows(p, Operation::Read, &Resource::Subject(s.to_string()));
    match listing {
        Listing::Subjects | Listing::IdSubjects => item.as_str().is_some_and(readable),
        Listing::Schemas | Listing::IdVersions => item.get("subject").and_then(Value::as_str).is_some_and(readable),
        Listing::Exporters => {
            item.as_str().is_some_and(|e| authz.allows(p, Operation::Admin, &Resource::Exporter(e.to_string())))
        }
        Listing::Contexts => item.as_str().is_some_and(|c| {
            authz.allows(p, Operation::Read, &Resource::Context(c.to_string()))
                || sec.registry.snapshot().subjects.keys().any(|s| subject::context_of(s) == c && readable(s))
        }),
    }
}

/// Run a listing and keep what `p` may read, honouring the caller's `offset`/`limit`.
pub(super) async fn filtered<S>(
    sec: &Security,
    p: &Principal,
    listing: Listing,
    req: Request<Body>,
    inner: S,
) -> Response
where
    S: Service<Request<Body>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    let authz = sec.authz.load();
    let params = Params::from_uri(req.uri());
    // Confluent's defaults: /schemas pages by 1000 at most; the others are unbounded.
    let (default_limit, max_limit) = if listing == Listing::Schemas { (1000, 1000) } else { (usize::MAX, usize::MAX) };
    let wanted = {
        let offset = params.get("offset").and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or(0).max(0) as usize;
        let limit = match params.get("limit").and_then(|v| v.trim().parse::<i64>().ok()) {
            Some(l) if l > 0 && (l as usize) <= max_limit => l as usize,
            _ => default_limit,
        };
        offset.saturating_add(limit)
    };
    let (parts, _) = req.into_parts();
    let base: Vec<(String, String)> = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .filter(|(k, _)| k != "offset" && k != "limit")
        .collect();
    let paged = listing != Listing::Exporters;
    let mut kept: Vec<Value> = Vec::new();
    let mut first: Option<axum::http::response::Parts> = None;
    for chunk in 0..MAX_CHUNKS {
        let mut q = base.clone();
        if paged {
            q.push(("offset".into(), (chunk * CHUNK).to_string()));
            q.push(("limit".into(), CHUNK.to_string()));
        }
        let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(q.iter()).finish();
        let uri = if query.is_empty() { parts.uri.path().to_string() } else { format!("{}?{query}", parts.uri.path()) };
        let Ok(uri) = uri.parse::<Uri>() else { break };
        let mut sub = Request::builder().method(parts.method.clone()).uri(uri);
        for (k, v) in parts.headers.iter() {
            if k != header::CONTENT_LENGTH {
                sub = sub.header(k, v);
            }
        }
        let Ok(sub) = sub.body(Body::empty()) else { break };
        let resp = call(inner.clone(), sub).await;
        if !resp.status().is_success() {
            return resp;
        }
        let (rparts, body) = resp.into_parts();
        let bytes = match http_body_util::BodyExt::collect(body).await {
            Ok(c) => c.to_bytes(),
            Err(_) => Bytes::new(),
        };
        let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&bytes) else {
            return Response::from_parts(rparts, Body::from(bytes));
        };
        first.get_or_insert(rparts);
        let n = items.len();
        kept.extend(items.into_iter().filter(|i| keep(sec, &authz, p, listing, i)));
        if !paged || n < CHUNK || kept.len() >= wanted {
            break;
        }
    }
    let page = params.page(kept, default_limit, max_limit);
    let body = serde_json::to_vec(&page).unwrap_or_else(|_| b"[]".to_vec());
    let Some(mut rparts) = first else {
        return crate::api::ok(&page);
    };
    rparts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(rparts, Body::from(body))
}
