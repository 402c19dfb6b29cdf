//! `/` and `/v1/metadata/*`.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::json;

use super::{ok, Shared};

pub fn routes() -> Router<Shared> {
    Router::new().route("/v1/metadata/id", get(id)).route("/v1/metadata/version", get(version))
}

/// Liveness: `{}` for GET and POST, as Confluent's RootResource.
pub async fn root() -> Response {
    ok(&json!({}))
}

/// Confluent's body, plus `lockstepInstanceId` when the registry has one (links read it to
/// recognise a registry whatever URL names it, and to skip what originated there).
async fn id(State(app): State<Shared>) -> Response {
    let mut body = json!({
        "id": "",
        "scope": {
            "path": [],
            "clusters": {
                "kafka-cluster": app.registry.config.cluster_id,
                "schema-registry-cluster": "schema-registry"
            }
        }
    });
    if !app.registry.config.instance_id.is_empty() {
        body["lockstepInstanceId"] = json!(app.registry.config.instance_id);
    }
    ok(&body)
}

async fn version() -> Response {
    ok(&json!({ "version": env!("CARGO_PKG_VERSION"), "commitId": "" }))
}
