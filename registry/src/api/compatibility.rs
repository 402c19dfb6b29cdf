//! `/compatibility/subjects/{subject}/versions[/{version}]`.

use axum::extract::{Path, State};
use axum::routing::post;
use axum::Router;
use serde_json::json;

use super::{ok, ApiResponse, JsonBody, Params, Shared};
use crate::registry::{RegisterRequest, VersionSpec};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/compatibility/subjects/{subject}/versions", post(against_all))
        .route("/compatibility/subjects/{subject}/versions/{version}", post(against_one))
}

async fn against_all(
    State(app): State<Shared>,
    Path(subject): Path<String>,
    p: Params,
    JsonBody(req): JsonBody<RegisterRequest>,
) -> ApiResponse {
    check(&app, &subject, None, &p, req).await
}

async fn against_one(
    State(app): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
    p: Params,
    JsonBody(req): JsonBody<RegisterRequest>,
) -> ApiResponse {
    let spec = VersionSpec::parse(&version)?;
    check(&app, &subject, Some(spec), &p, req).await
}

/// `{"is_compatible": bool}`, plus `messages` when verbose. With verbose, an invalid schema is
/// reported as incompatible with its error as the message (Confluent does the same).
async fn check(
    app: &Shared,
    subject: &str,
    version: Option<VersionSpec>,
    p: &Params,
    req: RegisterRequest,
) -> ApiResponse {
    let verbose = p.flag("verbose");
    let result = match super::subjects::check_schema_type(&req) {
        Ok(()) => app.registry.check_compatibility(subject, version, req, p.flag("normalize")).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(messages) if verbose => Ok(ok(&json!({"is_compatible": messages.is_empty(), "messages": messages}))),
        Ok(messages) => Ok(ok(&json!({"is_compatible": messages.is_empty()}))),
        Err(e) if verbose && e.code == 42201 => Ok(ok(&json!({"is_compatible": false, "messages": [e.message]}))),
        Err(e) => Err(e),
    }
}
