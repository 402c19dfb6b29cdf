//! `/config` and `/config/{subject}`: compatibility level and the other config fields.
//! Requests use `compatibility`, responses of GET use `compatibilityLevel` (as Confluent).

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use super::{ok, ApiResponse, JsonBody, Params, Shared};
use crate::error::{ApiError, ApiResult};
use crate::rules::{self, RuleSetPolicy};
use crate::schema::CompatibilityLevel;
use crate::state::{ScopeKey, State as RegState};
use crate::subject::{self, QualifiedSubject};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/config", get(get_global).put(put_global).delete(delete_global))
        .route("/config/{subject}", get(get_subject).put(put_subject).delete(delete_subject))
}

/// Config fields Confluent knows; others in a request are ignored.
pub const CONFIG_FIELDS: &[&str] = &[
    "compatibilityLevel",
    "normalize",
    "validateFields",
    "validateRules",
    "alias",
    "aliasForDeks",
    "compatibilityGroup",
    "compatibilityPolicy",
    "defaultMetadata",
    "overrideMetadata",
    "defaultRuleSet",
    "overrideRuleSet",
];

/// The config fields that name another subject (aliases): local to a registry, a link does not
/// mirror them.
pub const ALIAS_FIELDS: &[&str] = &["alias", "aliasForDeks"];

/// A config/mode scope from a path subject: `:.:` = global, `:.ctx:` = a context, else a subject.
pub fn scope_of(s: &str) -> ApiResult<(ScopeKey, QualifiedSubject)> {
    let q = QualifiedSubject::parse(s).ok_or_else(|| ApiError::invalid_subject(s))?;
    if q.name.is_empty() {
        let key = q.context_key();
        return Ok((key, q));
    }
    if !subject::is_valid_subject(&q) {
        return Err(ApiError::invalid_subject(s));
    }
    Ok((Some(q.qualified()), q))
}

/// A config record as Confluent answers it: a missing `compatibilityLevel` is the server default.
fn with_default(app: &Shared, mut m: Map<String, Value>) -> Map<String, Value> {
    if !m.contains_key("compatibilityLevel") {
        m.insert("compatibilityLevel".into(), json!(app.registry.config.default_compatibility.as_str()));
    }
    m
}

/// GET /config (and `/config/:.:`): the root record, or with `defaultToGlobal` the root then
/// `:.__GLOBAL:`; the server default when neither is set.
fn root_config(app: &Shared, p: &Params) -> Response {
    let st = app.registry.snapshot();
    let record =
        if p.flag("defaultToGlobal") { st.config_in_scope(None) } else { st.configs.get(&None).map(|c| &*c.value) };
    ok(&with_default(app, record.cloned().unwrap_or_default()))
}

/// Turn a request body into a field update: `compatibility` → `compatibilityLevel`, validated.
/// `defaultRuleSet`/`overrideRuleSet` are validated as Confluent does (42210) and stored in
/// normal form; with `--rule-sets=reject` one holding rules is refused (42210).
fn parse_update(body: Map<String, Value>, rule_sets: RuleSetPolicy) -> ApiResult<Map<String, Value>> {
    let mut update = Map::new();
    for (k, v) in body {
        let k = if k == "compatibility" { "compatibilityLevel".to_string() } else { k };
        if !CONFIG_FIELDS.contains(&k.as_str()) {
            continue;
        }
        match (k.as_str(), &v) {
            (_, Value::Null) => {}
            ("compatibilityLevel", Value::String(s)) => {
                let level = CompatibilityLevel::parse(s).ok_or_else(ApiError::invalid_compatibility_level)?;
                update.insert(k, json!(level.as_str()));
                continue;
            }
            ("compatibilityLevel", _) => return Err(ApiError::invalid_compatibility_level()),
            ("defaultRuleSet" | "overrideRuleSet", v) => {
                let rs = rules::normalize(v)?;
                match rule_sets {
                    RuleSetPolicy::Accept => {
                        update.insert(k, rs);
                    }
                    RuleSetPolicy::Reject if rs.as_object().is_some_and(|o| o.is_empty()) => {}
                    RuleSetPolicy::Reject => return Err(rules::disabled()),
                }
                continue;
            }
            ("normalize" | "validateFields" | "validateRules", v) if !v.is_boolean() => {
                return Err(ApiError::http(axum::http::StatusCode::BAD_REQUEST, format!("{k} must be true or false")))
            }
            _ => {}
        }
        update.insert(k, v);
    }
    Ok(update)
}

/// PUT responses name the level `compatibility`.
fn as_update_response(fields: Map<String, Value>) -> Map<String, Value> {
    fields
        .into_iter()
        .map(|(k, v)| if k == "compatibilityLevel" { ("compatibility".to_string(), v) } else { (k, v) })
        .collect()
}

async fn get_global(State(app): State<Shared>, p: Params) -> Response {
    root_config(&app, &p)
}

async fn put_global(State(app): State<Shared>, JsonBody(body): JsonBody<Map<String, Value>>) -> ApiResponse {
    let fields = app.registry.update_config(None, parse_update(body, app.registry.config.rule_sets)?).await?;
    Ok(ok(&as_update_response(fields)))
}

async fn delete_global(State(app): State<Shared>) -> ApiResponse {
    let old = app.registry.delete_config(None).await?.unwrap_or_default();
    Ok(ok(&with_default(&app, old)))
}

/// GET /config/{s}: the subject's (or context's) own record; with `defaultToGlobal` the record
/// in force (see [`crate::state::State::config_in_scope`]) or the server default.
async fn get_subject(State(app): State<Shared>, Path(subject): Path<String>, p: Params) -> ApiResponse {
    let (scope, q) = scope_of(&subject)?;
    if scope.is_none() {
        return Ok(root_config(&app, &p));
    }
    let st = app.registry.snapshot();
    let in_scope = p.flag("defaultToGlobal");
    let record = if in_scope { st.config_in_scope(Some(&q)) } else { st.configs.get(&scope).map(|c| &*c.value) };
    match record {
        Some(c) => Ok(ok(&with_default(&app, c.clone()))),
        None if in_scope || scope == RegState::global_scope() => Ok(ok(&with_default(&app, Map::new()))),
        None => Err(ApiError::subject_config_not_configured(&subject)),
    }
}

async fn put_subject(
    State(app): State<Shared>,
    Path(subject): Path<String>,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> ApiResponse {
    let (scope, _) = scope_of(&subject)?;
    let fields = app.registry.update_config(scope, parse_update(body, app.registry.config.rule_sets)?).await?;
    Ok(ok(&as_update_response(fields)))
}

async fn delete_subject(State(app): State<Shared>, Path(subject): Path<String>) -> ApiResponse {
    let (scope, _) = scope_of(&subject)?;
    let global = scope.is_none();
    match app.registry.delete_config(scope).await? {
        Some(old) => Ok(ok(&old)),
        None if global => Ok(ok(&with_default(&app, Map::new()))),
        None => Err(ApiError::subject_not_found(&subject)),
    }
}
