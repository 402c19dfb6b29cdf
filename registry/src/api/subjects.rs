//! `/subjects`: listing, lookup, register, versions, deletes, referencedby. `?format=`
//! (Confluent's `formattedString`) applies to lookup, register, `/metadata` and version reads.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use std::sync::Arc;

use super::schemas::{formatted, prefix_matches, render_version, sorted_subjects};
use super::{ok, raw_json, ApiResponse, JsonBody, Params, Shared};
use crate::error::{ApiError, ApiResult};
use crate::registry::{RegisterRequest, Registry, VersionSpec};
use crate::schema::SchemaType;
use crate::state::{State as RegState, VersionEntry};
use crate::subject::WILDCARD;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/subjects", get(list))
        .route("/subjects/{subject}", post(lookup).delete(delete_subject))
        .route("/subjects/{subject}/metadata", get(latest_with_metadata))
        .route("/subjects/{subject}/versions", get(versions).post(register))
        .route("/subjects/{subject}/versions/{version}", get(get_version).delete(delete_version))
        .route("/subjects/{subject}/versions/{version}/schema", get(get_raw))
        .route("/subjects/{subject}/versions/{version}/referencedby", get(referenced_by))
}

/// GET /subjects: all contexts by default (`:*:`), qualified names outside the default context.
async fn list(State(app): State<Shared>, p: Params) -> Response {
    let st = app.registry.snapshot();
    let prefix = p.get("subjectPrefix").unwrap_or(WILDCARD);
    let deleted_only = p.flag("deletedOnly");
    let deleted = p.flag("deleted");
    let names: Vec<&String> = sorted_subjects(&st)
        .into_iter()
        .filter(|(name, s)| {
            prefix_matches(prefix, name) && if deleted_only { !s.has_live() } else { deleted || s.has_live() }
        })
        .map(|(name, _)| name)
        .collect();
    ok(&p.page(names, usize::MAX, usize::MAX))
}

async fn lookup(
    State(app): State<Shared>,
    Path(subject): Path<String>,
    p: Params,
    JsonBody(req): JsonBody<RegisterRequest>,
) -> ApiResponse {
    let subject = checked_request(&app, subject, &req)?;
    let deleted = p.flag("deleted");
    if req.schema.as_deref().unwrap_or("").trim().is_empty() {
        // Only a registration fills an empty schema from the previous version; a lookup of
        // nothing finds nothing (Confluent: 40401 for an unknown subject, else 40403).
        Registry::find_subject(&app.registry.snapshot(), &subject, deleted)?;
        return Err(ApiError::schema_not_found());
    }
    let (st, name, version) = app.registry.lookup(&subject, req, p.flag("normalize"), deleted).await?;
    let found = st.subject(&name).and_then(|s| s.versions.get(&version)).ok_or_else(ApiError::schema_not_found)?;
    version_response_as(&app, &st, &name, found, &p).await
}

/// A lookup's or registration's subject (aliases applied) once its `schemaType` is known good.
fn checked_request(app: &Shared, subject: String, req: &RegisterRequest) -> ApiResult<String> {
    let subject = aliased(app, subject);
    check_schema_type(req)?;
    Ok(subject)
}

/// The path's subject with Confluent's subject aliases applied (see `Registry::resolve_alias`).
fn aliased(app: &Shared, subject: String) -> String {
    Registry::resolve_alias(&app.registry.snapshot(), &subject)
}

/// What a `/subjects/{s}/versions/{v}` path names: the snapshot, the subject as found (40401
/// when unknown, `deleted` includes soft-deleted ones) and the parsed version (42202 when bad).
fn version_path(
    app: &Shared,
    subject: String,
    version: &str,
    deleted: bool,
) -> ApiResult<(Arc<RegState>, String, VersionSpec)> {
    let subject = aliased(app, subject);
    let spec = VersionSpec::parse(version)?;
    let st = app.registry.snapshot();
    let name = Registry::find_subject(&st, &subject, deleted)?;
    Ok((st, name, spec))
}

/// `schemaType` as Confluent matches it: case-sensitive (`"avro"` is not a type: 42201).
pub(super) fn check_schema_type(req: &RegisterRequest) -> ApiResult<()> {
    match req.schema_type.as_deref() {
        None => Ok(()),
        Some(t) if SchemaType::supported().iter().any(|s| s.as_str() == t) => Ok(()),
        Some(t) => Err(ApiError::invalid_schema(format!("Invalid schema type {t}"))),
    }
}

/// GET /subjects/{s}/metadata?key=K&value=V[&key=..&value=..]: the latest version whose
/// `metadata.properties` hold every pair (keys and values pair up in order; a repeated key keeps
/// its last value). `deleted` includes soft-deleted versions. 40401 unknown subject, 40403 no match.
async fn latest_with_metadata(State(app): State<Shared>, Path(subject): Path<String>, p: Params) -> ApiResponse {
    let subject = aliased(&app, subject);
    let st = app.registry.snapshot();
    let deleted = p.flag("deleted");
    let name = crate::subject::normalize(&subject).ok_or_else(|| ApiError::subject_not_found(&subject))?;
    let entry =
        st.subject(&name).filter(|e| deleted || e.has_live()).ok_or_else(|| ApiError::subject_not_found(&name))?;
    let all = |k: &'static str| p.0.iter().filter(move |(n, _)| n == k).map(|(_, v)| v.as_str());
    let wanted: std::collections::HashMap<&str, &str> = all("key").zip(all("value")).collect();
    let found = entry.versions.values().rev().filter(|v| deleted || !v.deleted).find(|v| {
        let props = v.schema.metadata.as_ref().and_then(|m| m.get("properties")).and_then(Value::as_object);
        props.is_some_and(|props| wanted.iter().all(|(k, val)| props.get(*k).and_then(Value::as_str) == Some(val)))
    });
    let v = found.ok_or_else(ApiError::schema_not_found)?;
    version_response_as(&app, &st, &name, v, &p).await
}

/// A version's Schema entity in the `?format=` asked for (Confluent's `formattedString`); the
/// stored text comes from the cached body.
async fn version_response_as(
    app: &Shared,
    st: &Arc<RegState>,
    subject: &str,
    v: &VersionEntry,
    p: &Params,
) -> ApiResponse {
    let context = crate::subject::context_of(subject);
    match formatted(app, st, &context, &v.schema, p).await? {
        None => Ok(version_response(subject, v)),
        Some(text) => {
            let mut body = render_version(subject, v);
            body["schema"] = Value::from(text);
            Ok(ok(&body))
        }
    }
}

/// A version's Schema entity, rendered once per version.
fn version_response(subject: &str, v: &VersionEntry) -> Response {
    let body =
        v.rendered.get_or_init(|| Bytes::from(serde_json::to_vec(&render_version(subject, v)).unwrap_or_default()));
    raw_json(StatusCode::OK, body.clone())
}

async fn register(
    State(app): State<Shared>,
    Path(subject): Path<String>,
    p: Params,
    JsonBody(req): JsonBody<RegisterRequest>,
) -> ApiResponse {
    let subject = checked_request(&app, subject, &req)?;
    let r = app.registry.register(&subject, req, p.flag("normalize"), p.flag("force")).await?;
    // The Schema entity of the version (Confluent 8.x answers id, version, guid, schemaType and
    // schema; the subject comes along).
    let st = app.registry.snapshot();
    if let Some(v) = st.subject(&r.subject).and_then(|e| e.versions.get(&r.version)) {
        if v.schema.id == r.schema.id {
            return version_response_as(&app, &st, &r.subject, v, &p).await;
        }
    }
    let mut m = Map::new();
    m.insert("id".into(), json!(r.schema.id));
    m.insert("version".into(), json!(r.version));
    m.insert("guid".into(), json!(r.schema.guid()));
    super::schemas::schema_fields(&r.schema, &mut m);
    let context = crate::subject::context_of(&r.subject);
    if let Some(text) = formatted(&app, &st, &context, &r.schema, &p).await? {
        m.insert("schema".into(), json!(text));
    }
    Ok(ok(&m))
}

async fn versions(State(app): State<Shared>, Path(subject): Path<String>, p: Params) -> ApiResponse {
    let subject = aliased(&app, subject);
    let st = app.registry.snapshot();
    let deleted_only = p.flag("deletedOnly");
    let deleted = p.flag("deleted") || deleted_only;
    let name = Registry::find_subject(&st, &subject, deleted)?;
    let negative = p.flag("deletedAsNegative");
    let list: Vec<i64> = st
        .subject(&name)
        .map(|s| {
            s.versions
                .values()
                .filter(|v| if deleted_only { v.deleted } else { deleted || !v.deleted })
                .map(|v| if negative && v.deleted { -i64::from(v.version) } else { i64::from(v.version) })
                .collect()
        })
        .unwrap_or_default();
    // `find_subject` answered 40401 for a subject without versions in scope; `deletedOnly` on a
    // subject with none deleted is an empty list (Confluent).
    Ok(ok(&p.page(list, usize::MAX, usize::MAX)))
}

async fn get_version(
    State(app): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
    p: Params,
) -> ApiResponse {
    version_or_schema(&app, subject, &version, &p, false).await
}

async fn get_raw(
    State(app): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
    p: Params,
) -> ApiResponse {
    version_or_schema(&app, subject, &version, &p, true).await
}

/// `/subjects/{s}/versions/{v}`: the version's Schema entity, or with `raw` (`…/schema`) only its
/// schema text, each in the `?format=` asked for.
async fn version_or_schema(app: &Shared, subject: String, version: &str, p: &Params, raw: bool) -> ApiResponse {
    let deleted = p.flag("deleted");
    let (st, name, spec) = version_path(app, subject, version, deleted)?;
    let v = Registry::version_entry(&st, &name, spec, deleted)?;
    if !raw {
        return version_response_as(app, &st, &name, v, p).await;
    }
    let context = crate::subject::context_of(&name);
    let text = formatted(app, &st, &context, &v.schema, p).await?.unwrap_or_else(|| v.schema.schema.to_string());
    Ok(raw_json(StatusCode::OK, Bytes::from(text)))
}

async fn referenced_by(
    State(app): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
    p: Params,
) -> ApiResponse {
    let (st, name, spec) = version_path(&app, subject, &version, true)?;
    let v = Registry::version_entry(&st, &name, spec, true)?;
    let ids = st.referrers(&name, v.version, p.flag("deleted"));
    Ok(ok(&p.page(ids, 1000, 1000)))
}

async fn delete_version(
    State(app): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
    p: Params,
) -> ApiResponse {
    let subject = aliased(&app, subject);
    let spec = VersionSpec::parse(&version)?;
    let v = app.registry.delete_version(&subject, spec, p.flag("permanent")).await?;
    Ok(ok(&Value::from(v)))
}

async fn delete_subject(State(app): State<Shared>, Path(subject): Path<String>, p: Params) -> ApiResponse {
    let subject = aliased(&app, subject);
    let versions = app.registry.delete_subject(&subject, p.flag("permanent")).await?;
    Ok(ok(&versions))
}
