//! `/contexts`, `DELETE /contexts/{ctx}`, and the `/contexts/{ctx}/...` URL prefix that lets a
//! client use `http://host:8081/contexts/.ctx` as its base URL (Confluent's ContextFilter).

use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::Router;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

use super::{ok, ApiResponse, Params, Shared};
use crate::error::ApiError;
use crate::subject::{self, DEFAULT_CONTEXT};

pub fn routes() -> Router<Shared> {
    Router::new().route("/contexts", get(list)).route("/contexts/{context}", delete(remove))
}

/// GET /contexts: the default context first, then the others in order.
async fn list(State(app): State<Shared>, p: Params) -> Response {
    let st = app.registry.snapshot();
    let prefix = p.get("contextPrefix").unwrap_or("");
    let mut names = vec![DEFAULT_CONTEXT.to_string()];
    names.extend(st.contexts.keys().filter(|c| c.as_str() != DEFAULT_CONTEXT).cloned());
    let names: Vec<String> = names.into_iter().filter(|c| c.starts_with(prefix)).collect();
    ok(&p.page(names, usize::MAX, usize::MAX))
}

async fn remove(State(app): State<Shared>, Path(context): Path<String>) -> ApiResponse {
    let ctx =
        subject::parse_context(&context).ok_or_else(|| ApiError::http(StatusCode::NOT_FOUND, "HTTP 404 Not Found"))?;
    app.registry.delete_context(&ctx).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Characters escaped when a qualified subject is put back into a path segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'/')
    .add(b'%')
    .add(b'?')
    .add(b'#')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Rewrite `/contexts/{ctx}/<resource>...` to the resource path with subjects qualified by the
/// context (`:.ctx:subject`), and add `subject=`/`subjectPrefix=` where Confluent does.
pub fn rewrite_context_prefix(mut req: Request) -> Request {
    let Some(rest) = req.uri().path().strip_prefix("/contexts/") else { return req };
    let Some((ctx_raw, rest)) = rest.split_once('/') else { return req };
    let ctx_decoded = percent_decode_str(ctx_raw).decode_utf8_lossy();
    let Some(ctx) = subject::parse_context(&ctx_decoded) else { return req };
    let ctxq = format!(":{ctx}:");
    let qualify = |seg: &str| -> String {
        let s = percent_decode_str(seg).decode_utf8_lossy();
        let q = if s.starts_with(':') { s.to_string() } else { format!("{ctxq}{s}") };
        let q = subject::normalize(&q).unwrap_or(q);
        utf8_percent_encode(&q, SEGMENT).to_string()
    };
    let mut segs: Vec<String> = rest.split('/').map(str::to_string).collect();
    let mut extra: Option<(&str, String)> = None;
    match segs.as_slice() {
        [r] if r == "subjects" || r == "schemas" => extra = Some(("subjectPrefix", ctxq.clone())),
        [r, ..] if r == "subjects" => segs[1] = qualify(&segs[1]),
        [r, ..] if r == "schemas" => extra = Some(("subject", ctxq.clone())),
        [r] if (r == "config" || r == "mode") && ctx != DEFAULT_CONTEXT => {
            segs.push(utf8_percent_encode(&ctxq, SEGMENT).to_string());
        }
        [r, _, ..] if r == "config" || r == "mode" => segs[1] = qualify(&segs[1]),
        [r, s, _, ..] if r == "compatibility" && s == "subjects" => segs[2] = qualify(&segs[2]),
        _ => {}
    }
    let mut path = format!("/{}", segs.join("/"));
    // `subject=`/`subjectPrefix=` given without a context mean a subject in this context.
    let qualified_params = ["subject", "subjectPrefix"];
    let mut pairs: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()).into_owned().collect();
    for (k, v) in &mut pairs {
        if qualified_params.contains(&k.as_str()) && !v.is_empty() && !v.starts_with(':') {
            *v = format!("{ctxq}{v}");
        }
    }
    if let Some((name, value)) = extra {
        if !pairs.iter().any(|(k, v)| k == name && !v.is_empty()) {
            pairs.retain(|(k, _)| k != name);
            pairs.push((name.to_string(), value));
        }
    }
    if !pairs.is_empty() {
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", utf8_percent_encode(k, SEGMENT), utf8_percent_encode(v, SEGMENT)))
            .collect();
        path = format!("{path}?{}", query.join("&"));
    }
    if let Ok(uri) = path.parse::<Uri>() {
        *req.uri_mut() = uri;
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn rw(uri: &str) -> String {
        let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
        rewrite_context_prefix(req).uri().to_string()
    }

    #[test]
    fn rewrites_context_prefixed_paths() {
        assert_eq!(rw("/contexts/.eu/subjects/orders/versions"), "/subjects/:.eu:orders/versions");
        assert_eq!(rw("/contexts/.eu/subjects"), "/subjects?subjectPrefix=:.eu:");
        assert_eq!(rw("/contexts/.eu/schemas/ids/3"), "/schemas/ids/3?subject=:.eu:");
        assert_eq!(rw("/contexts/.eu/config"), "/config/:.eu:");
        assert_eq!(rw("/contexts/.eu/mode/orders"), "/mode/:.eu:orders");
        assert_eq!(rw("/contexts/:.:/subjects/orders/versions"), "/subjects/orders/versions");
        assert_eq!(rw("/contexts/.eu/subjects/a%2Fb/versions"), "/subjects/:.eu:a%2Fb/versions");
        assert_eq!(
            rw("/contexts/.eu/compatibility/subjects/o/versions/latest"),
            "/compatibility/subjects/:.eu:o/versions/latest"
        );
        assert_eq!(rw("/contexts/.eu"), "/contexts/.eu");
        assert_eq!(rw("/contexts/.eu/schemas/ids/3?subject=:.eu:x"), "/schemas/ids/3?subject=:.eu:x");
        // Confluent's clients send the topic's subject unqualified: it is in the context.
        assert_eq!(rw("/contexts/.eu/schemas/ids/3?subject=t-value"), "/schemas/ids/3?subject=:.eu:t-value");
        assert_eq!(rw("/contexts/.eu/schemas/ids/3?subject=t-value&x=1"), "/schemas/ids/3?subject=:.eu:t-value&x=1");
    }
}
