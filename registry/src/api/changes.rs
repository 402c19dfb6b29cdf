//! `GET /lockstep/changes`: Lockstep's change feed, the log records after a position, for links
//! that follow this registry (Confluent has no such endpoint; other registries are polled).
//!
//! `?from=N` (default 0): records at offsets ≥ N, in log order; `limit` (default 1000, at most
//! 10000); `timeoutMs` (default 0, at most 60000): when nothing is there yet, wait that long
//! for a record (long poll). Answer: `{"records":[{"offset","key","value"}],"next":M}` with key
//! and value as the `_schemas` JSON (value `null` for a tombstone); pass `next` as `from`.

use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::{ok, ApiResponse, Params, Shared};
use crate::error::ApiError;

pub fn routes() -> Router<Shared> {
    Router::new().route("/lockstep/changes", get(changes))
}

fn number(params: &Params, name: &str, default: u64, max: u64) -> Result<u64, ApiError> {
    match params.get(name) {
        None => Ok(default),
        Some(v) => v.trim().parse::<u64>().map(|n| n.min(max)).map_err(|_| {
            ApiError::http(axum::http::StatusCode::BAD_REQUEST, format!("{name} must be a number, not '{v}'"))
        }),
    }
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

async fn changes(State(app): State<Shared>, params: Params) -> ApiResponse {
    let from = number(&params, "from", 0, u64::MAX)?;
    let limit = number(&params, "limit", 1000, 10_000)?.max(1) as usize;
    let wait = Duration::from_millis(number(&params, "timeoutMs", 0, 60_000)?);
    let (records, next) = app.registry.wait_changes(from, limit, wait).await;
    let records: Vec<Value> = records
        .iter()
        .map(|(offset, r)| {
            json!({
                "offset": offset,
                "key": json_of(&r.key),
                "value": r.value.as_deref().map_or(Value::Null, json_of),
            })
        })
        .collect();
    Ok(ok(&json!({ "records": records, "next": next })))
}
