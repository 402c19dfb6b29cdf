//! The compatibility playground: paste or upload a schema, pick a subject and a level, see the
//! verdict and each message, and register it. At the subject's own level the browser calls
//! `POST /compatibility/subjects/{s}/versions?verbose=true`; at another level it calls
//! `POST /ui/api/check/{s}?level=…` (below), which runs the same engines; registering is
//! `POST /subjects/{s}/versions` — all under the caller's own credentials.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::html;
use serde_json::json;

use super::layout::{self, Nav};
use super::{on_cpu, Access, Shared};
use crate::api::{json_response, ok, JsonBody, Params};
use crate::error::ApiError;
use crate::registry::{RegisterRequest, Registry};
use crate::schema::{self, CompatibilityLevel, Previous, SchemaType};
use crate::state::VersionEntry;

const LEVELS: [&str; 7] =
    ["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"];

/// `GET /ui/playground?subject=S`
pub(crate) async fn page(State(ui): State<Shared>, access: Access, p: Params) -> Response {
    let subject = p.get("subject").unwrap_or("").to_string();
    let st = ui.registry.snapshot();
    // Start from the subject's latest schema, when there is one the caller may read.
    let latest = Registry::find_subject(&st, &subject, false)
        .ok()
        .filter(|s| access.may_read(s))
        .and_then(|s| st.subject(&s).and_then(|e| e.latest_live()).cloned());
    let (text, ty) = match &latest {
        Some(v) => (super::highlight::pretty(v.schema.schema_type, &v.schema.schema), v.schema.schema_type),
        None => (String::new(), SchemaType::Avro),
    };
    let refs = latest
        .as_ref()
        .filter(|v| !v.schema.references.is_empty())
        .and_then(|v| serde_json::to_string_pretty(&v.schema.references).ok())
        .unwrap_or_default();
    let body = html! {
        h1 { "Compatibility" }
        p.note { "Check a schema against a subject's versions at its own level or any other, then register it." }
        form.playground id="playground" {
            div.row {
                div.field.grow {
                    label for="pg-subject" { "Subject" }
                    input id="pg-subject" name="subject" required value=(subject) autocomplete="off";
                }
                div.field {
                    label for="pg-level" { "Level" }
                    select id="pg-level" name="level" {
                        option value="" { "the subject's own" }
                        @for l in LEVELS { option value=(l) { (l) } }
                    }
                }
                div.field {
                    label for="pg-type" { "Type" }
                    select id="pg-type" name="schemaType" {
                        @for t in SchemaType::supported() { option value=(t.as_str()) selected[*t == ty] { (t.as_str()) } }
                    }
                }
            }
            div.field {
                label for="pg-schema" { "Schema" }
                textarea id="pg-schema" name="schema" rows="16" spellcheck="false" required { (text) }
            }
            div.row {
                div.field.grow {
                    label for="pg-refs" { "References (JSON array, optional)" }
                    textarea id="pg-refs" name="references" rows="3" spellcheck="false" { (refs) }
                }
                div.field {
                    label for="pg-file" { "…or upload a file" }
                    input id="pg-file" type="file" accept=".avsc,.json,.proto,.txt";
                }
            }
            div.actions {
                button id="pg-check" type="submit" { "Check" }
                button id="pg-register" type="button" { "Register" }
            }
        }
        div id="pg-result" role="status" aria-live="polite" {}
    };
    layout::page("Compatibility", Nav::Playground, &access, body)
}

/// `POST /ui/api/check/{subject}?level=LEVEL` with a RegisterSchemaRequest body: the verdict of
/// the schema against the subject's live versions at LEVEL (the subject's own when absent), as
/// `{"is_compatible", "messages", "level"}`. An invalid schema is 422/42201; an invalid level
/// 422/42203.
pub(crate) async fn api(
    State(ui): State<Shared>,
    Path(subject): Path<String>,
    p: Params,
    JsonBody(req): JsonBody<RegisterRequest>,
) -> Response {
    match check(&ui, &subject, p.get("level"), req).await {
        Ok((level, messages)) => ok(&json!({
            "is_compatible": messages.is_empty(),
            "messages": messages,
            "level": level.as_str(),
        })),
        Err(e) => json_response(e.status, &json!({"error_code": e.code, "message": e.message})),
    }
}

async fn check(
    ui: &Shared,
    subject: &str,
    level: Option<&str>,
    req: RegisterRequest,
) -> Result<(CompatibilityLevel, Vec<String>), ApiError> {
    let st = ui.registry.snapshot();
    let q = Registry::parse_subject(&Registry::resolve_alias(&st, subject))?;
    let level = match level.map(str::trim).filter(|l| !l.is_empty()) {
        Some(l) => CompatibilityLevel::parse(l).ok_or_else(ApiError::invalid_compatibility_level)?,
        None => ui.registry.compatibility_level(&st, &q),
    };
    if req.schema.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return Err(ApiError::invalid_schema("Empty schema"));
    }
    let reg = ui.registry.clone();
    let messages = on_cpu(ui, move || -> Result<Vec<String>, ApiError> {
        let new = reg.prepare(&st, &q, &req, false)?;
        let versions: Vec<VersionEntry> =
            st.subject(&q.qualified()).map(|e| e.live().rev().cloned().collect()).unwrap_or_default();
        let take = if level.is_transitive() { versions.len() } else { versions.len().min(1) };
        let mut parsed = Vec::with_capacity(take);
        for v in &versions[..take] {
            let r = RegisterRequest {
                schema: Some(v.schema.schema.to_string()),
                schema_type: Some(v.schema.schema_type.as_str().to_string()),
                references: Some(v.schema.references.clone()),
                ..Default::default()
            };
            parsed.push((v.version, reg.prepare(&st, &q, &r, false)?.parsed));
        }
        let previous: Vec<Previous<'_>> = parsed.iter().map(|(n, s)| Previous { version: *n, schema: s }).collect();
        Ok(schema::check_compatibility(level, &new.parsed, &previous))
    })
    .await??;
    Ok((level, messages))
}
