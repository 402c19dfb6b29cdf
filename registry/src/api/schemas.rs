//! `/schemas`, `/schemas/ids/{id}[/schema|/subjects|/versions]`, `/schemas/guids/{guid}[/ids]`, `/schemas/types`.
//! `?format=` (Confluent's `formattedString`) applies to the id, `/schema` and guid reads.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use super::{ok, raw_json, ApiResponse, Params, Shared};
use crate::error::ApiError;
use crate::registry::Registry;
use crate::schema::SchemaType;
use crate::state::{State as RegState, StoredSchema, VersionEntry};
use crate::subject::{self, QualifiedSubject, DEFAULT_CONTEXT, WILDCARD};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/schemas", get(list))
        .route("/schemas/types", get(types))
        .route("/schemas/ids/{id}", get(by_id))
        .route("/schemas/ids/{id}/schema", get(raw_by_id))
        .route("/schemas/ids/{id}/subjects", get(subjects_of_id))
        .route("/schemas/ids/{id}/versions", get(versions_of_id))
        .route("/schemas/guids/{guid}", get(by_guid))
        .route("/schemas/guids/{guid}/ids", get(ids_of_guid))
}

/// The Schema entity for one subject-version (lookup, GET version, /schemas listing).
pub fn render_version(subject: &str, v: &VersionEntry) -> Value {
    let mut m = Map::new();
    m.insert("subject".into(), json!(subject));
    m.insert("version".into(), json!(v.version));
    m.insert("id".into(), json!(v.schema.id));
    m.insert("guid".into(), json!(v.schema.guid()));
    schema_fields(&v.schema, &mut m);
    if v.deleted {
        m.insert("deleted".into(), json!(true));
    }
    Value::Object(m)
}

/// schemaType, references, metadata, ruleSet, schema: the fields every schema entity carries.
pub fn schema_fields(s: &StoredSchema, m: &mut Map<String, Value>) {
    m.insert("schemaType".into(), json!(s.schema_type.as_str()));
    if !s.references.is_empty() {
        m.insert("references".into(), json!(s.references));
    }
    if let Some(md) = &s.metadata {
        m.insert("metadata".into(), md.clone());
    }
    if let Some(rs) = &s.rule_set {
        m.insert("ruleSet".into(), rs.clone());
    }
    m.insert("schema".into(), json!(&*s.schema));
}

/// The schema text `?format=` asks for (Confluent's `formattedString`), or None for the stored
/// text. A formatted body is never the cached one.
pub(super) async fn formatted(
    app: &Shared,
    st: &Arc<RegState>,
    context: &str,
    schema: &Arc<StoredSchema>,
    p: &Params,
) -> Result<Option<String>, ApiError> {
    match p.get("format") {
        None => Ok(None),
        format => app.registry.formatted_schema(st.clone(), context, schema, format).await,
    }
}

async fn types() -> Response {
    let names: Vec<&str> = SchemaType::supported().iter().map(|t| t.as_str()).collect();
    ok(&names)
}

fn parse_id(s: &str) -> Result<u32, ApiError> {
    s.parse::<u32>().ok().filter(|n| *n >= 1 && *n <= i32::MAX as u32).ok_or_else(|| ApiError::schema_id_not_found(s))
}

/// The `subject=` query parameter of `/schemas/ids/...`, with subject aliases applied (as
/// Confluent's `AliasFilter` does for these paths).
fn subject_param(st: &RegState, p: &Params) -> Option<String> {
    p.get("subject").map(|s| Registry::resolve_alias(st, s))
}

/// The context a `subject=` query parameter selects (the default context without one).
fn context_param(st: &RegState, p: &Params) -> String {
    subject_param(st, p)
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(QualifiedSubject::parse)
        .map(|q| q.context)
        .unwrap_or_else(|| DEFAULT_CONTEXT.to_string())
}

fn find_id<'a>(st: &'a RegState, context: &str, id: &str) -> Result<(u32, &'a Arc<StoredSchema>), ApiError> {
    let n = parse_id(id)?;
    st.schema_by_id(context, n).map(|s| (n, s)).ok_or_else(|| ApiError::schema_id_not_found(n))
}

async fn by_id(State(app): State<Shared>, Path(id): Path<String>, p: Params) -> ApiResponse {
    let st = app.registry.snapshot();
    let context = context_param(&st, &p);
    let (n, schema) = find_id(&st, &context, &id)?;
    let fetch_max = p.flag("fetchMaxId");
    let subject =
        subject_param(&st, &p).as_deref().and_then(subject::normalize).filter(|s| !s.is_empty() && !s.ends_with(':'));
    let formatted = formatted(&app, &st, &context, schema, &p).await?;
    if !fetch_max && subject.is_none() && formatted.is_none() {
        let body = schema.rendered.get_or_init(|| {
            let mut m = Map::new();
            schema_fields(schema, &mut m);
            m.insert("guid".into(), json!(schema.guid()));
            Bytes::from(serde_json::to_vec(&m).unwrap_or_default())
        });
        return Ok(raw_json(StatusCode::OK, body.clone()));
    }
    let mut m = Map::new();
    if let Some(s) = subject {
        if let Some(v) = st.subject(&s).and_then(|e| e.versions.values().rev().find(|v| v.schema.id == n)) {
            m.insert("subject".into(), json!(s));
            m.insert("version".into(), json!(v.version));
        }
    }
    m.insert("guid".into(), json!(schema.guid()));
    schema_fields(schema, &mut m);
    if let Some(text) = formatted {
        m.insert("schema".into(), json!(text));
    }
    if fetch_max {
        m.insert("maxId".into(), json!(st.context(&context).map_or(0, |c| c.max_id)));
    }
    Ok(ok(&m))
}

async fn raw_by_id(State(app): State<Shared>, Path(id): Path<String>, p: Params) -> ApiResponse {
    let st = app.registry.snapshot();
    let context = context_param(&st, &p);
    let (_, schema) = find_id(&st, &context, &id)?;
    let text = formatted(&app, &st, &context, schema, &p).await?.unwrap_or_else(|| schema.schema.to_string());
    let mut r = raw_json(StatusCode::OK, Bytes::from(text));
    if schema.schema_type == SchemaType::Protobuf {
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    }
    Ok(r)
}

/// (subject, version) pairs using an id in a context.
fn uses_of_id(st: &RegState, context: &str, id: u32, include_deleted: bool) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for (name, s) in st.subjects.iter() {
        if subject::context_of(name) != context {
            continue;
        }
        for v in s.versions.values() {
            if v.schema.id == id && (include_deleted || !v.deleted) {
                out.push((name.clone(), v.version));
            }
        }
    }
    out
}

async fn subjects_of_id(State(app): State<Shared>, Path(id): Path<String>, p: Params) -> ApiResponse {
    let st = app.registry.snapshot();
    let context = context_param(&st, &p);
    let (n, _) = find_id(&st, &context, &id)?;
    let only =
        subject_param(&st, &p).as_deref().and_then(subject::normalize).filter(|s| !s.is_empty() && !s.ends_with(':'));
    let mut subjects: Vec<String> = uses_of_id(&st, &context, n, p.flag("deleted"))
        .into_iter()
        .map(|(s, _)| s)
        .filter(|s| only.as_ref().is_none_or(|o| o == s))
        .collect();
    subjects.dedup();
    Ok(ok(&p.page(subjects, usize::MAX, usize::MAX)))
}

async fn versions_of_id(State(app): State<Shared>, Path(id): Path<String>, p: Params) -> ApiResponse {
    let st = app.registry.snapshot();
    let context = context_param(&st, &p);
    let (n, _) = find_id(&st, &context, &id)?;
    let only =
        subject_param(&st, &p).as_deref().and_then(subject::normalize).filter(|s| !s.is_empty() && !s.ends_with(':'));
    let items: Vec<Value> = uses_of_id(&st, &context, n, p.flag("deleted"))
        .into_iter()
        .filter(|(s, _)| only.as_ref().is_none_or(|o| o == s))
        .map(|(s, v)| json!({"subject": s, "version": v}))
        .collect();
    Ok(ok(&p.page(items, usize::MAX, usize::MAX)))
}

fn find_guid<'a>(st: &'a RegState, guid: &str) -> Vec<(&'a String, &'a Arc<StoredSchema>)> {
    let mut out = Vec::new();
    for (ctx, c) in st.contexts.iter() {
        for s in c.by_id.values() {
            if s.guid() == guid {
                out.push((ctx, s));
            }
        }
    }
    out.sort_by_key(|(ctx, s)| ((*ctx).clone(), s.id));
    out
}

async fn by_guid(State(app): State<Shared>, Path(guid): Path<String>, p: Params) -> ApiResponse {
    let st = app.registry.snapshot();
    let found = find_guid(&st, &guid);
    let (context, schema) = found.first().ok_or_else(|| ApiError::schema_id_not_found(&guid))?;
    let mut m = Map::new();
    m.insert("guid".into(), json!(guid));
    schema_fields(schema, &mut m);
    if let Some(text) = formatted(&app, &st, context, schema, &p).await? {
        m.insert("schema".into(), json!(text));
    }
    Ok(ok(&m))
}

async fn ids_of_guid(State(app): State<Shared>, Path(guid): Path<String>) -> ApiResponse {
    let st = app.registry.snapshot();
    let found = find_guid(&st, &guid);
    if found.is_empty() {
        return Err(ApiError::schema_id_not_found(&guid));
    }
    let items: Vec<Value> = found.iter().map(|(ctx, s)| json!({"context": ctx, "id": s.id})).collect();
    Ok(ok(&items))
}

/// Does a `subjectPrefix` select this subject? `:*:` = every context; otherwise the prefix's
/// context (default when unqualified) and a name prefix.
pub fn prefix_matches(prefix: &str, subject_name: &str) -> bool {
    if prefix == WILDCARD {
        return true;
    }
    let Some(p) = QualifiedSubject::parse(prefix) else { return false };
    let Some(s) = QualifiedSubject::parse(subject_name) else { return false };
    s.context == p.context && s.name.starts_with(&p.name)
}

/// GET /schemas: every version in the prefix's scope (default context by default), sorted by
/// subject and version, at most 1000 by default.
async fn list(State(app): State<Shared>, p: Params) -> Response {
    let st = app.registry.snapshot();
    let prefix = p.get("subjectPrefix").unwrap_or("");
    let deleted = p.flag("deleted");
    let latest_only = p.flag("latestOnly");
    let rule_type = p.get("ruleType").filter(|t| !t.is_empty());
    // `ruleType`: only versions whose rule set has a rule of that type (after `latestOnly`, as Confluent).
    let typed = |v: &&VersionEntry| match rule_type {
        Some(t) => v.schema.rule_set.as_ref().is_some_and(|r| crate::rules::has_rules_with_type(r, t)),
        None => true,
    };
    // Choose the page first, render only it: the security layer reads a long listing in pages.
    let mut items: Vec<(&String, &VersionEntry)> = Vec::new();
    for (name, s) in sorted_subjects(&st) {
        if !prefix_matches(prefix, name) {
            continue;
        }
        let mut versions = s.versions.values().filter(|v| deleted || !v.deleted);
        if latest_only {
            items.extend(versions.next_back().filter(typed).map(|v| (name, v)));
        } else {
            items.extend(versions.filter(typed).map(|v| (name, v)));
        }
    }
    let page: Vec<Value> = p.page(items, 1000, 1000).into_iter().map(|(name, v)| render_version(name, v)).collect();
    ok(&page)
}

/// Subjects ordered as Confluent lists them: by context (default first), then name.
pub fn sorted_subjects(st: &RegState) -> Vec<(&String, &crate::state::SubjectEntry)> {
    let mut v: Vec<_> = st
        .subjects
        .iter()
        .map(|(name, s)| {
            let key = QualifiedSubject::parse(name).map(|q| (q.context, q.name));
            (key, name, s)
        })
        .collect();
    v.sort_by(|(ka, a, _), (kb, b, _)| match (ka, kb) {
        (Some(ka), Some(kb)) => ka.cmp(kb),
        _ => a.cmp(b),
    });
    v.into_iter().map(|(_, name, s)| (name, s)).collect()
}
