//! `/mode` and `/mode/{subject}`: READWRITE, READONLY, READONLY_OVERRIDE, IMPORT, FORWARD.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use super::config::scope_of;
use super::{ok, ApiResponse, JsonBody, Params, Shared};
use crate::error::{ApiError, ApiResult};
use crate::state::{Mode, ScopeKey};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/mode", get(get_global).put(put_global).delete(delete_global))
        .route("/mode/{subject}", get(get_subject).put(put_subject).delete(delete_subject))
}

/// The requested mode: None clears it; FORWARD only globally.
fn parse_body(body: &Map<String, Value>, global: bool) -> ApiResult<Option<Mode>> {
    match body.get("mode") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let m = Mode::parse(s).ok_or_else(ApiError::invalid_mode)?;
            if m == Mode::Forward && !global {
                return Err(ApiError::invalid_mode_message("Forward mode only supported on global level"));
            }
            Ok(Some(m))
        }
        Some(_) => Err(ApiError::invalid_mode()),
    }
}

fn mode_json(m: Mode) -> Value {
    json!({ "mode": m.as_str() })
}

async fn set(app: &Shared, scope: ScopeKey, body: Map<String, Value>, p: &Params) -> ApiResponse {
    let mode = parse_body(&body, scope.is_none())?;
    app.registry.set_mode(scope, mode, p.flag("force")).await?;
    Ok(ok(&json!({ "mode": mode.map(Mode::as_str) })))
}

/// GET /mode: the root mode (a root READONLY_OVERRIDE included), or with `defaultToGlobal` the
/// root then `:.__GLOBAL:`; READWRITE when unset.
async fn get_global(State(app): State<Shared>, p: Params) -> ApiResponse {
    Ok(root_mode(&app, &p))
}

fn root_mode(app: &Shared, p: &Params) -> axum::response::Response {
    let st = app.registry.snapshot();
    let m =
        if p.flag("defaultToGlobal") { st.effective_mode(None) } else { st.mode_at(&None).unwrap_or(Mode::ReadWrite) };
    ok(&mode_json(m))
}

async fn put_global(State(app): State<Shared>, p: Params, JsonBody(body): JsonBody<Map<String, Value>>) -> ApiResponse {
    set(&app, None, body, &p).await
}

async fn delete_global(State(app): State<Shared>, p: Params) -> ApiResponse {
    let old = app.registry.delete_mode(None, p.flag("recursive")).await?;
    Ok(ok(&mode_json(old.unwrap_or(Mode::ReadWrite))))
}

async fn get_subject(State(app): State<Shared>, Path(subject): Path<String>, p: Params) -> ApiResponse {
    let (scope, q) = scope_of(&subject)?;
    if scope.is_none() {
        return Ok(root_mode(&app, &p));
    }
    let st = app.registry.snapshot();
    if p.flag("defaultToGlobal") {
        return Ok(ok(&mode_json(st.effective_mode(Some(&q)))));
    }
    match st.mode_at(&scope) {
        Some(m) => Ok(ok(&mode_json(m))),
        None => Err(ApiError::subject_mode_not_configured(&subject)),
    }
}

async fn put_subject(
    State(app): State<Shared>,
    Path(subject): Path<String>,
    p: Params,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> ApiResponse {
    let (scope, _) = scope_of(&subject)?;
    set(&app, scope, body, &p).await
}

async fn delete_subject(State(app): State<Shared>, Path(subject): Path<String>, p: Params) -> ApiResponse {
    let (scope, _) = scope_of(&subject)?;
    let global = scope.is_none();
    match app.registry.delete_mode(scope, p.flag("recursive")).await? {
        Some(old) => Ok(ok(&mode_json(old))),
        None if global => Ok(ok(&mode_json(Mode::ReadWrite))),
        None => Err(ApiError::subject_not_found(&subject)),
    }
}
