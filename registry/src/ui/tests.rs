//! Console tests over the real API router (and, for access, the real security layer).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::UiOptions;
use crate::security::{SecurityArgs, SecurityFile, SecurityLayer};

const CT: &str = "application/vnd.schemaregistry.v1+json";

struct App {
    router: Router,
    _dir: tempfile::TempDir,
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    text: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

fn open(dir: &tempfile::TempDir) -> Arc<crate::Registry> {
    crate::open_file_registry(&dir.path().join("data"), crate::RegistryConfig::default()).unwrap()
}

fn app_with(opts: UiOptions) -> App {
    let dir = tempfile::tempdir().unwrap();
    let reg = open(&dir);
    let router = crate::api::app_with(reg.clone(), super::router(reg, opts));
    App { router, _dir: dir }
}

fn app() -> App {
    app_with(UiOptions::default())
}

/// alice reads `orders-*` only; admin may do anything.
async fn secured_app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let hash = |pw: &str| crate::security::users::hash_password_with_cost(pw, 64, 1).unwrap();
    let users = dir.path().join("users.properties");
    std::fs::write(&users, format!("alice: {}\nadmin: {}\n", hash("a-pw"), hash("adm"))).unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nprincipals = [\"alice\"]\noperations = [\"read\"]\nresources = [\"subject:orders-*\"]\n\n\
         [[rule]]\nprincipals = [\"admin\"]\noperations = [\"*\"]\nresources = [\"*\"]\n",
    )
    .unwrap();
    let args = SecurityArgs { auth_basic_users_file: Some(users), authz_rules_file: Some(rules), ..Default::default() };
    let reg = open(&dir);
    let layer = SecurityLayer::new(args.resolve(SecurityFile::default()).unwrap(), reg.clone()).await.unwrap();
    let guard: crate::api::RouterLayer = Box::new(move |routes| routes.layer(layer));
    let router = crate::api::app_with_options(
        reg.clone(),
        super::router(reg, UiOptions::default()),
        &Default::default(),
        Some(guard),
    );
    App { router, _dir: dir }
}

fn basic(user: &str, pw: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}")))
}

impl App {
    async fn send(&self, method: &str, uri: &str, body: Option<Value>, auth: Option<&str>) -> Resp {
        let mut b = Request::builder().method(method).uri(uri).header(header::ACCEPT, "text/html,*/*;q=0.8");
        if let Some(a) = auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        let req = match body {
            Some(v) => b.header(header::CONTENT_TYPE, CT).body(Body::from(v.to_string())).unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = http_body_util::BodyExt::collect(resp.into_body()).await.unwrap().to_bytes();
        Resp { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
    }
    async fn get(&self, uri: &str) -> Resp {
        self.send("GET", uri, None, None).await
    }
    async fn register(&self, subject: &str, schema: Value, auth: Option<&str>) -> Value {
        let r = self.send("POST", &format!("/subjects/{subject}/versions"), Some(schema), auth).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json()
    }
}

fn avro(name: &str, extra: &[Value]) -> Value {
    let mut fields = vec![json!({"name":"id","type":"long"})];
    fields.extend(extra.iter().cloned());
    json!({"schema": json!({"type":"record","name":name,"fields":fields}).to_string()})
}

#[tokio::test]
async fn subject_list_searches_and_pages_on_the_server() {
    let a = app();
    for i in 0..120 {
        a.register(&format!("orders-{i:03}"), avro("O", &[]), None).await;
    }
    a.register("payments-value", avro("P", &[]), None).await;
    a.register(":.eu:orders-eu", avro("E", &[]), None).await;

    let r = a.get("/ui/api/subjects?q=ORDERS&limit=50").await;
    let v = r.json();
    assert_eq!(v["total"], 121, "{v}");
    assert_eq!(v["subjects"].as_array().unwrap().len(), 50);
    assert_eq!(v["subjects"][0]["subject"], "orders-000");
    assert_eq!(v["subjects"][0]["compatibility"], "BACKWARD");
    assert_eq!(v["subjects"][0]["mode"], "READWRITE");
    assert_eq!(v["subjects"][0]["latest"], 1);
    let v = a.get("/ui/api/subjects?q=orders&offset=100&limit=50").await.json();
    assert_eq!(v["subjects"].as_array().unwrap().len(), 21);
    let v = a.get("/ui/api/subjects?q=ments&match=prefix").await.json();
    assert_eq!(v["total"], 0);
    let v = a.get("/ui/api/subjects?q=pay&match=prefix").await.json();
    assert_eq!(v["total"], 1);
    let v = a.get("/ui/api/subjects?context=.eu").await.json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["subjects"][0]["subject"], ":.eu:orders-eu");
    let v = a.get("/ui/api/subjects?type=PROTOBUF").await.json();
    assert_eq!(v["total"], 0);

    // The page renders one page of rows, a count, a pager and escapes what it shows.
    let r = a.get("/ui?q=orders-1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("default-src 'self'"));
    assert!(r.text.contains("Subjects 1–20 of 20"), "{}", r.text);
    assert!(r.text.contains(r#"href="/ui/subjects/orders-100""#), "{}", r.text);
    let r = a.get("/ui?q=orders").await;
    assert!(r.text.contains("Subjects 1–50 of 121") && r.text.contains("rel=\"next\""), "{}", r.text);
    let r = a.get("/ui?q=%3Cscript%3E&fragment=1").await;
    assert!(!r.text.contains("<html") && r.text.contains("No subjects match."), "{}", r.text);

    // Soft-deleted subjects show only when asked, marked.
    a.send("DELETE", "/subjects/payments-value", None, None).await;
    assert_eq!(a.get("/ui/api/subjects?q=payments").await.json()["total"], 0);
    let v = a.get("/ui/api/subjects?q=payments&deleted=true").await.json();
    assert_eq!(v["subjects"][0]["deleted"], true);
}

#[tokio::test]
async fn html_pages_are_served_whatever_the_browser_accepts() {
    let a = app();
    let req = Request::builder().uri("/ui").header(header::ACCEPT, "text/html").body(Body::empty()).unwrap();
    let resp = a.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let css = a.get("/ui/assets/console.css").await;
    assert!(css.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
    assert!(css.text.contains("prefers-color-scheme: dark"));
    assert!(a.get("/ui/assets/console.js").await.text.contains("subjectSearch"));
    assert_eq!(a.get("/ui/subjects/nope").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn subject_page_shows_versions_references_and_ids() {
    let a = app();
    a.register("address", avro("Address", &[]), None).await;
    let user = json!({
        "schema": json!({"type":"record","name":"User","fields":[{"name":"a","type":"Address"}]}).to_string(),
        "references": [{"name":"Address","subject":"address","version":1}],
    });
    let reg = a.register("user-value", user, None).await;
    a.register("user-value", json!({"schema": json!({"type":"record","name":"User","fields":[{"name":"a","type":"Address"},{"name":"b","type":"string","default":"<b>"}]}).to_string(), "references": [{"name":"Address","subject":"address","version":1}]}), None).await;
    a.send("DELETE", "/subjects/user-value/versions/1", None, None).await;

    let r = a.get("/ui/subjects/user-value").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("Version 2"), "{}", r.text);
    assert!(r.text.contains(r#"<li class="deleted">"#), "soft-deleted v1 is listed, marked: {}", r.text);
    assert!(r.text.contains(r#"href="/ui/subjects/address?version=1""#), "reference link: {}", r.text);
    assert!(r.text.contains(r#"<span class="t-str">&quot;&lt;b&gt;&quot;</span>"#), "highlighted, escaped: {}", r.text);
    let r1 = a.get("/ui/subjects/user-value?version=1").await;
    assert!(r1.text.contains(reg["guid"].as_str().unwrap()), "guid of v1: {}", r1.text);
    assert!(r1.text.contains("soft-deleted"));
    let r = a.get("/ui/subjects/address").await;
    assert!(r.text.contains(r#"href="/ui/subjects/user-value?version=2""#), "referenced by: {}", r.text);
    assert_eq!(a.get("/ui/subjects/user-value?version=9").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn diff_shows_changed_lines_and_the_engines_verdict() {
    let a = app();
    a.send("PUT", "/config/s", Some(json!({"compatibility":"NONE"})), None).await;
    a.register("s", avro("R", &[]), None).await;
    a.register("s", avro("R", &[json!({"name":"x","type":"string"})]), None).await;
    a.register(
        "s",
        avro("R", &[json!({"name":"x","type":"string"}), json!({"name":"y","type":"int","default":0})]),
        None,
    )
    .await;

    let r = a.get("/ui/subjects/s/diff?a=1&b=2&level=BACKWARD").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains(r#"data-compatible="false""#), "{}", r.text);
    assert!(r.text.contains("READER_FIELD_MISSING_DEFAULT_VALUE"), "Confluent's message: {}", r.text);
    assert!(r.text.contains(r#"<tr class="added">"#) || r.text.contains(r#"<tr class="changed">"#), "{}", r.text);
    let r = a.get("/ui/subjects/s/diff?a=2&b=3&level=BACKWARD").await;
    assert!(r.text.contains(r#"data-compatible="true""#), "{}", r.text);
    // Without a level: the subject's own (NONE accepts everything).
    let r = a.get("/ui/subjects/s/diff?a=1&b=2").await;
    assert!(r.text.contains(r#"data-compatible="true""#) && r.text.contains("NONE (subject's)"), "{}", r.text);
    assert_eq!(a.get("/ui/subjects/s/diff?a=1&b=7").await.status, StatusCode::NOT_FOUND);
    assert_eq!(a.get("/ui/subjects/s/diff?a=x").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn check_api_gives_both_verdicts_at_any_level() {
    let a = app();
    a.register("c", avro("R", &[]), None).await;
    let bad = avro("R", &[json!({"name":"x","type":"string"})]);
    let good = avro("R", &[json!({"name":"x","type":"string","default":""})]);
    let v = a.send("POST", "/ui/api/check/c?level=BACKWARD", Some(bad.clone()), None).await.json();
    assert_eq!(v["is_compatible"], false, "{v}");
    assert!(v["messages"][0].as_str().unwrap().contains("READER_FIELD_MISSING_DEFAULT_VALUE"), "{v}");
    let v = a.send("POST", "/ui/api/check/c?level=FORWARD", Some(bad.clone()), None).await.json();
    assert_eq!(v["is_compatible"], true, "adding a field is forward compatible: {v}");
    let v = a.send("POST", "/ui/api/check/c", Some(good), None).await.json();
    assert_eq!((v["is_compatible"].clone(), v["level"].clone()), (json!(true), json!("BACKWARD")), "{v}");
    let r = a.send("POST", "/ui/api/check/c?level=SIDEWAYS", Some(bad), None).await;
    assert_eq!((r.status, r.json()["error_code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!(42203)));
    let r = a.send("POST", "/ui/api/check/c", Some(json!({"schema":"{not json"})), None).await;
    assert_eq!((r.status, r.json()["error_code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!(42201)));
    // A subject without versions: anything goes.
    let v = a.send("POST", "/ui/api/check/fresh", Some(avro("Z", &[])), None).await.json();
    assert_eq!(v["is_compatible"], true);
    let page = a.get("/ui/playground?subject=c").await;
    assert!(page.text.contains("&quot;name&quot;: &quot;R&quot;"), "starts from the latest schema: {}", page.text);
}

#[tokio::test]
async fn settings_page_shows_what_is_set_and_in_force() {
    let a = app();
    a.register("orders", avro("O", &[]), None).await;
    a.send("PUT", "/config", Some(json!({"compatibility":"FULL"})), None).await;
    a.send("PUT", "/mode/orders", Some(json!({"mode":"READONLY"})), None).await;
    let r = a.get("/ui/settings?scope=orders").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains(r#"<dd id="level-in-force">FULL</dd>"#), "{}", r.text);
    assert!(r.text.contains(r#"<dd id="mode-here">READONLY</dd>"#), "{}", r.text);
    assert!(r.text.contains(r#"data-url="/config/orders""#), "{}", r.text);
    let r = a.get("/ui/settings").await;
    assert!(
        r.text.contains(r#"<dd id="level-here">FULL</dd>"#) && r.text.contains(r#"data-url="/mode""#),
        "{}",
        r.text
    );
    assert!(r.text.contains("subject orders"), "scopes with settings: {}", r.text);
}

#[tokio::test]
async fn pages_need_credentials_and_show_only_what_the_user_may_read() {
    let a = secured_app().await;
    let admin = basic("admin", "adm");
    let alice = basic("alice", "a-pw");
    a.register("orders-1", avro("O", &[]), Some(&admin)).await;
    a.register("secret-1", avro("S", &[]), Some(&admin)).await;

    let r = a.get("/ui").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.headers[header::WWW_AUTHENTICATE].to_str().unwrap().starts_with("Basic"), "the browser prompts");
    assert_eq!(a.get("/ui/assets/console.js").await.status, StatusCode::UNAUTHORIZED);

    let r = a.send("GET", "/ui", None, Some(&alice)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("orders-1") && !r.text.contains("secret-1"), "{}", r.text);
    assert!(r.text.contains(r#"class="user""#) && r.text.contains(">alice<"), "{}", r.text);
    let v = a.send("GET", "/ui/api/subjects", None, Some(&alice)).await.json();
    assert_eq!(v["total"], 1);
    assert_eq!(a.send("GET", "/ui/subjects/secret-1", None, Some(&alice)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(a.send("GET", "/ui/subjects/orders-1", None, Some(&alice)).await.status, StatusCode::OK);
    let r = a.send("POST", "/ui/api/check/secret-1", Some(avro("S", &[])), Some(&alice)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A reader sees the settings forms disabled, and the API refuses the change anyway.
    let r = a.send("GET", "/ui/settings?scope=orders-1", None, Some(&alice)).await;
    assert!(r.text.contains("<fieldset disabled>") && r.text.contains("may not change this"), "{}", r.text);
    let r = a.send("PUT", "/config/orders-1", Some(json!({"compatibility":"NONE"})), Some(&alice)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = a.send("GET", "/ui/settings?scope=orders-1", None, Some(&admin)).await;
    assert!(r.text.contains("<fieldset>"), "{}", r.text);
    assert!(a.send("GET", "/ui", None, Some(&admin)).await.text.contains("secret-1"));
}

#[tokio::test]
async fn replication_page_reads_the_configured_urls_only() {
    // A stand-in replicator serving the metrics text format.
    let metrics = "lockstep_replicator_records_total{replication=\"eu-us\"} 42\n\
        lockstep_replicator_schemas_imported_total{replication=\"eu-us\"} 2\n\
        lockstep_replicator_lag_records{replication=\"eu-us\",topic=\"orders\",partition=\"0\"} 7\n";
    let (listener, addr) = crate::bind("127.0.0.1:0").await.unwrap();
    let fake = Router::new().route("/metrics", axum::routing::get(move || async move { metrics }));
    tokio::spawn(async move { axum::serve(listener, fake).await });
    let (dead, dead_addr) = crate::bind("127.0.0.1:0").await.unwrap();
    drop(dead);
    let a = app_with(UiOptions {
        replicator_urls: vec![format!("http://{addr}/metrics"), format!("http://{dead_addr}/metrics")],
    });
    let r = a.get("/ui/replication?url=http://evil.example/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("eu-us") && r.text.contains(">orders<") && r.text.contains(">7<"), "{}", r.text);
    assert!(r.text.contains("Cannot read its status"), "the dead one is named: {}", r.text);
    assert!(!r.text.contains("evil.example"));
    let none = app();
    assert!(none.get("/ui/replication").await.text.contains("No replicator is configured"));
}
