//! `/dek-registry/v1/keks…`: the DEK Registry as Confluent's clients call it (routes, query
//! parameters, entities and error codes of Confluent's `DekRegistryResource`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde_json::{Map, Value};

use super::{ok, ApiResponse, JsonBody, Params, Shared};
use crate::dek::ops::version_of;
use crate::dek::validate::{self, check_name, check_subject};
use crate::dek::{CreateDek, CreateKek};
use crate::error::ApiError;
use crate::security::{Grants, Operation, Resource};

const BASE: &str = "/dek-registry/v1/keks";

pub fn routes() -> Router<Shared> {
    Router::new()
        .route(BASE, get(list_keks).post(create_kek))
        .route(&format!("{BASE}/{{name}}"), get(get_kek).put(put_kek).delete(delete_kek))
        .route(&format!("{BASE}/{{name}}/undelete"), post(undelete_kek))
        .route(&format!("{BASE}/{{name}}/test"), post(test_kek))
        .route(&format!("{BASE}/{{name}}/deks"), get(list_dek_subjects).post(create_dek_in_body))
        .route(
            &format!("{BASE}/{{name}}/deks/{{subject}}"),
            get(get_dek).post(create_dek).delete(all_dek_versions::<false>),
        )
        .route(&format!("{BASE}/{{name}}/deks/{{subject}}/undelete"), post(all_dek_versions::<true>))
        .route(&format!("{BASE}/{{name}}/deks/{{subject}}/versions"), get(list_dek_versions))
        .route(
            &format!("{BASE}/{{name}}/deks/{{subject}}/versions/{{version}}"),
            get(get_dek_version).delete(one_dek_version::<false>),
        )
        .route(
            &format!("{BASE}/{{name}}/deks/{{subject}}/versions/{{version}}/undelete"),
            post(one_dek_version::<true>),
        )
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// All values of a repeated query parameter.
fn all(p: &Params, name: &str) -> Vec<String> {
    p.all(name)
}

/// GET /keks[?subjectPrefix=…&deleted&offset&limit]: KEK names, or with `subjectPrefix` the KEKs
/// of DEKs whose subject starts with one of the prefixes.
async fn list_keks(State(app): State<Shared>, p: Params) -> ApiResponse {
    let st = app.registry.snapshot();
    let deleted = p.flag("deleted");
    let prefixes = all(&p, "subjectPrefix");
    let names: Vec<String> = if prefixes.is_empty() {
        st.keys.keks.iter().filter(|(_, k)| deleted || !k.value.deleted).map(|(n, _)| n.clone()).collect()
    } else {
        let mut n: Vec<String> = st
            .keys
            .deks
            .values()
            .filter(|d| deleted || !d.value.deleted)
            .filter(|d| prefixes.iter().any(|pre| d.value.subject.starts_with(pre.as_str())))
            .map(|d| d.value.kek_name.clone())
            .collect();
        n.sort();
        n.dedup();
        n
    };
    Ok(ok(&p.page(names, usize::MAX, usize::MAX)))
}

async fn get_kek(State(app): State<Shared>, Path(name): Path<String>, p: Params) -> ApiResponse {
    check_name(&name)?;
    let st = app.registry.snapshot();
    let kek = st.keys.kek(&name, p.flag("deleted")).ok_or_else(|| validate::not_found(&name))?;
    Ok(ok(&kek.entity()))
}

async fn create_kek(State(app): State<Shared>, JsonBody(req): JsonBody<CreateKek>) -> ApiResponse {
    Ok(ok(&app.registry.create_kek(req).await?))
}

async fn put_kek(
    State(app): State<Shared>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> ApiResponse {
    Ok(ok(&app.registry.update_kek(name, body).await?))
}

async fn delete_kek(State(app): State<Shared>, Path(name): Path<String>, p: Params) -> ApiResponse {
    app.registry.delete_kek(name, p.flag("permanent")).await?;
    Ok(no_content())
}

async fn undelete_kek(State(app): State<Shared>, Path(name): Path<String>) -> ApiResponse {
    app.registry.undelete_kek(name).await?;
    Ok(no_content())
}

/// POST /keks/{name}/test: only a shared KEK can be tested, and testing it needs the KMS.
async fn test_kek(State(app): State<Shared>, Path(name): Path<String>) -> ApiResponse {
    check_name(&name)?;
    let st = app.registry.snapshot();
    let kek = st.keys.kek(&name, false).ok_or_else(|| validate::not_found(&name))?;
    if !kek.shared {
        return Err(validate::invalid("shared"));
    }
    Err(validate::dek_generation("encrypted", "__TEST"))
}

/// GET /keks/{name}/deks: the subjects with DEKs under the KEK.
async fn list_dek_subjects(State(app): State<Shared>, Path(name): Path<String>, p: Params) -> ApiResponse {
    check_name(&name)?;
    let deleted = p.flag("deleted");
    let st = app.registry.snapshot();
    st.keys.kek(&name, deleted).ok_or_else(|| validate::not_found(&name))?;
    let mut subjects: Vec<String> = st.keys.deks_of_kek(&name, deleted).map(|d| d.subject.clone()).collect();
    subjects.sort();
    subjects.dedup();
    Ok(ok(&p.page(subjects, usize::MAX, usize::MAX)))
}

/// The DEK a GET names: version 1 for `/deks/{subject}` (Confluent's `MIN_VERSION`), else the
/// version path segment. A shared KEK would make the registry unwrap the key with the KMS:
/// 50070, as Confluent answers when it cannot reach the KMS.
fn read_dek(app: &Shared, name: &str, subject: &str, version: Option<u32>, p: &Params) -> ApiResponse {
    check_name(name)?;
    check_subject(subject)?;
    let algorithm = validate::algorithm(p.get("algorithm"))?;
    let deleted = p.flag("deleted");
    let st = app.registry.snapshot();
    let kek = st.keys.kek(name, deleted).ok_or_else(|| validate::not_found(name))?;
    let dek = st.keys.dek(name, subject, algorithm, version, deleted).ok_or_else(|| validate::not_found(subject))?;
    if kek.shared {
        return Err(validate::dek_generation("raw", subject));
    }
    Ok(ok(&dek.entity()))
}

async fn get_dek(State(app): State<Shared>, Path((name, subject)): Path<(String, String)>, p: Params) -> ApiResponse {
    read_dek(&app, &name, &subject, Some(1), &p)
}

async fn get_dek_version(
    State(app): State<Shared>,
    Path((name, subject, version)): Path<(String, String, String)>,
    p: Params,
) -> ApiResponse {
    check_name(&name)?;
    check_subject(&subject)?;
    let v = version_of(&version)?;
    read_dek(&app, &name, &subject, v, &p)
}

async fn list_dek_versions(
    State(app): State<Shared>,
    Path((name, subject)): Path<(String, String)>,
    p: Params,
) -> ApiResponse {
    check_name(&name)?;
    check_subject(&subject)?;
    let algorithm = validate::algorithm(p.get("algorithm"))?;
    let deleted = p.flag("deleted");
    let st = app.registry.snapshot();
    st.keys.kek(&name, deleted).ok_or_else(|| validate::not_found(&name))?;
    let versions: Vec<u32> = st.keys.dek_versions(&name, &subject, algorithm, deleted).map(|d| d.version).collect();
    Ok(ok(&p.page(versions, usize::MAX, usize::MAX)))
}

async fn create_dek(
    State(app): State<Shared>,
    Path((name, subject)): Path<(String, String)>,
    p: Params,
    JsonBody(mut req): JsonBody<CreateDek>,
) -> ApiResponse {
    req.subject = Some(subject);
    Ok(ok(&app.registry.create_dek(name, req, p.flag("rewrap")).await?))
}

/// The deprecated form with the subject in the body. The security layer let any authenticated
/// caller through (it does not read bodies); creating a DEK needs `write` on its subject, as the
/// form with the subject in the path does.
async fn create_dek_in_body(
    State(app): State<Shared>,
    Path(name): Path<String>,
    grants: Option<Extension<Grants>>,
    JsonBody(req): JsonBody<CreateDek>,
) -> ApiResponse {
    if let Some(Extension(g)) = grants {
        let s = req.subject.clone().unwrap_or_default();
        let r = Resource::Subject(crate::subject::normalize(&s).unwrap_or(s));
        if !g.allows(Operation::Write, &r) {
            let op = Operation::Write.as_str();
            return Err(ApiError::new(StatusCode::FORBIDDEN, 40301, format!("User is denied operation {op} on {r}")));
        }
    }
    Ok(ok(&app.registry.create_dek(name, req, false).await?))
}

/// DELETE (soft, or `permanent`) or POST …/undelete of a subject's DEK: every version for the
/// algorithm, or the one in the path.
async fn dek_versions(
    app: &Shared,
    (name, subject): (String, String),
    version: Option<&str>,
    p: &Params,
    undelete: bool,
) -> ApiResponse {
    check_name(&name)?;
    check_subject(&subject)?;
    let v = version.map(version_of).transpose()?;
    let algorithm = validate::algorithm(p.get("algorithm"))?;
    if undelete {
        app.registry.undelete_dek(name, subject, algorithm, v).await?;
    } else {
        app.registry.delete_dek(name, subject, algorithm, v, p.flag("permanent")).await?;
    }
    Ok(no_content())
}

/// `DELETE` (`UNDELETE` false) or `POST …/undelete` of every version of a subject's DEK.
async fn all_dek_versions<const UNDELETE: bool>(
    State(app): State<Shared>,
    Path(ns): Path<(String, String)>,
    p: Params,
) -> ApiResponse {
    dek_versions(&app, ns, None, &p, UNDELETE).await
}

/// `DELETE` (`UNDELETE` false) or `POST …/undelete` of one version of a subject's DEK.
async fn one_dek_version<const UNDELETE: bool>(
    State(app): State<Shared>,
    Path((name, subject, version)): Path<(String, String, String)>,
    p: Params,
) -> ApiResponse {
    dek_versions(&app, (name, subject), Some(&version), &p, UNDELETE).await
}
