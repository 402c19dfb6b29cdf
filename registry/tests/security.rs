//! Security layer over the real API: authentication (basic, bearer, mTLS, anonymous), the
//! principal × route matrix, listing filters, audit log, and a flood of wrong passwords.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::Next;
use base64::Engine;
use registry::security::{ClientCertChain, SecurityArgs, SecurityFile, SecurityLayer};
use serde_json::{json, Value};

const CT: &str = "application/vnd.schemaregistry.v1+json";

struct Sec {
    base: String,
    http: reqwest::Client,
    dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// Test-only stand-in for the TLS listener: a hex DER certificate in `x-test-cert` becomes the
/// verified-chain extension the listener would add.
async fn fake_tls(mut req: Request, next: Next) -> axum::response::Response {
    if let Some(h) = req.headers().get("x-test-cert").and_then(|v| v.to_str().ok()) {
        let der: Vec<u8> = (0..h.len() / 2).filter_map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).ok()).collect();
        req.extensions_mut().insert(ClientCertChain(vec![der]));
    }
    next.run(req).await
}

/// Cheap argon2 hashes keep the tests fast; the flood test uses the real cost.
fn cheap_hash(pw: &str) -> String {
    registry::security::users::hash_password_with_cost(pw, 64, 1).unwrap()
}

fn users_file(dir: &Path, users: &[(&str, &str, &[&str])]) -> PathBuf {
    let mut text = String::from("# JAAS PropertyFileLoginModule format\n");
    for (name, pw, groups) in users {
        text.push_str(&format!("{name}: {}", cheap_hash(pw)));
        for g in *groups {
            text.push_str(&format!(",{g}"));
        }
        text.push('\n');
    }
    let p = dir.join("users.properties");
    std::fs::write(&p, text).unwrap();
    p
}

const RULES: &str = r#"
[[rule]]
groups = ["team-a"]
operations = ["read", "write", "delete", "config", "mode"]
resources = ["subject:orders-*"]

[[rule]]
principals = ["bob"]
operations = ["read"]
resources = ["subject:payments-*", "context:.eu"]

[[rule]]
principals = ["admin"]
operations = ["*"]
resources = ["*"]
"#;

async fn start_with(dir: tempfile::TempDir, args: SecurityArgs) -> Sec {
    let reg = registry::open_file_registry(&dir.path().join("data"), registry::RegistryConfig::default()).unwrap();
    let cfg = args.resolve(SecurityFile::default()).unwrap();
    let layer = SecurityLayer::new(cfg, reg.clone()).await.unwrap();
    let app = registry::api::app(reg).layer(layer).layer(axum::middleware::from_fn(fake_tls));
    let (listener, addr) = registry::bind("127.0.0.1:0").await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    Sec { base: format!("http://{addr}"), http: reqwest::Client::new(), dir, _shutdown: tx }
}

/// Users alice (team-a), bob, admin; the rules above; audit log in the temp dir.
async fn start_matrix() -> Sec {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(dir.path(), &[("alice", "a-pw", &["team-a"]), ("bob", "b-pw", &[]), ("admin", "adm", &[])]);
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, RULES).unwrap();
    let args = SecurityArgs {
        auth_basic_users_file: Some(users),
        authz_rules_file: Some(rules),
        audit_log: Some(dir.path().join("audit.log").display().to_string()),
        ..Default::default()
    };
    start_with(dir, args).await
}

fn pw(user: &str) -> &'static str {
    match user {
        "alice" => "a-pw",
        "bob" => "b-pw",
        "admin" => "adm",
        _ => "nope",
    }
}

impl Sec {
    async fn req(&self, user: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let auth =
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", pw(user))));
        self.raw(Some(&auth), method, path, body).await
    }

    async fn raw(&self, auth: Option<&str>, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self.http.request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        if let Some(b) = body {
            r = r.header("Content-Type", CT).body(b.to_string());
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    fn audit_lines(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.dir.path().join("audit.log")).unwrap_or_default();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

fn avro(name: &str) -> Value {
    json!({"schema": json!({"type":"record","name":name,"fields":[{"name":"id","type":"long"}]}).to_string()})
}

#[tokio::test]
async fn principal_route_matrix() {
    let s = start_matrix().await;
    assert_eq!(s.req("admin", "POST", "/subjects/payments-value/versions", Some(avro("P"))).await.0, 200);
    // (route, method, body, allowed principal, denied principal)
    let cases: Vec<(&str, &str, Option<Value>, &str, &str)> = vec![
        ("/subjects/orders-value/versions", "POST", Some(avro("O")), "alice", "bob"),
        ("/subjects/orders-value/versions", "GET", None, "alice", "bob"),
        ("/subjects/orders-value", "POST", Some(avro("O")), "alice", "bob"),
        ("/subjects/orders-value/versions/latest", "GET", None, "alice", "bob"),
        ("/subjects/payments-value/versions/1", "GET", None, "bob", "alice"),
        ("/compatibility/subjects/orders-value/versions", "POST", Some(avro("O")), "alice", "bob"),
        ("/config/orders-value", "PUT", Some(json!({"compatibility":"FULL"})), "alice", "bob"),
        ("/config/orders-value", "GET", None, "alice", "bob"),
        ("/config", "PUT", Some(json!({"compatibility":"BACKWARD"})), "admin", "alice"),
        ("/mode/orders-value", "PUT", Some(json!({"mode":"READWRITE"})), "alice", "bob"),
        ("/mode", "PUT", Some(json!({"mode":"READWRITE"})), "admin", "alice"),
        ("/mode/:.:", "PUT", Some(json!({"mode":"READWRITE"})), "admin", "alice"),
        ("/config/:.eu:", "PUT", Some(json!({"compatibility":"FULL"})), "admin", "bob"),
        ("/contexts/.eu/subjects/orders-value/versions", "POST", Some(avro("E")), "admin", "alice"),
        ("/subjects/%3A.eu%3Aorders-value/versions", "GET", None, "bob", "alice"),
        ("/contexts/.eu/subjects/orders-value/versions", "GET", None, "bob", "alice"),
        ("/contexts/.eu/contexts/.eu/subjects/orders-value/versions", "GET", None, "bob", "alice"),
        ("/subjects/orders-value/versions/1", "DELETE", None, "alice", "bob"),
        ("/subjects/orders-value", "DELETE", None, "alice", "bob"),
        ("/exporters", "POST", Some(json!({"name":"e1","subjects":["*"]})), "admin", "alice"),
        ("/exporters/e1/pause", "PUT", None, "admin", "alice"),
        (
            "/dek-registry/v1/keks",
            "POST",
            Some(json!({"name":"k1","kmsType":"local-kms","kmsKeyId":"x"})),
            "admin",
            "alice",
        ),
        ("/dek-registry/v1/keks/k1/deks/orders-value", "GET", None, "alice", "bob"),
        ("/dek-registry/v1/keks/k1/deks/orders-value/versions/latest", "GET", None, "alice", "bob"),
        // Producers create their subject's DEK on first use: write on the subject, in the path or
        // (the older form) in the body.
        (
            "/dek-registry/v1/keks/k1/deks/orders-value",
            "POST",
            Some(json!({"encryptedKeyMaterial": "AA"})),
            "alice",
            "bob",
        ),
        (
            "/dek-registry/v1/keks/k1/deks",
            "POST",
            Some(json!({"subject": "orders-value", "version": 2, "encryptedKeyMaterial": "AB"})),
            "alice",
            "bob",
        ),
        (
            "/dek-registry/v1/keks/k1/deks",
            "POST",
            Some(json!({"subject": "payments-value", "encryptedKeyMaterial": "P"})),
            "admin",
            "alice",
        ),
        ("/dek-registry/v1/keks/k1/deks/orders-value", "DELETE", None, "admin", "alice"),
        ("/lockstep/changes", "GET", None, "admin", "bob"),
        ("/contexts/.eu", "DELETE", None, "admin", "bob"),
    ];
    for (path, method, body, ok_user, denied_user) in cases {
        let (st, b) = s.req(denied_user, method, path, body.clone()).await;
        assert_eq!(st, 403, "{denied_user} {method} {path}: {b}");
        assert_eq!(b["error_code"], 40301, "{b}");
        assert!(b["message"].as_str().unwrap().starts_with("User is denied operation "), "{b}");
        let (st, b) = s.req(ok_user, method, path, body).await;
        assert!(st != 401 && st != 403, "{ok_user} {method} {path}: {st} {b}");
    }
    let (_, b) = s.req("bob", "POST", "/subjects/orders-value/versions", Some(avro("O"))).await;
    assert_eq!(b["message"], "User is denied operation Write on Subject: orders-value");
    // The DEKs alice created are there; a body without a subject is denied, not a 500.
    let (st, b) = s.req("alice", "GET", "/dek-registry/v1/keks/k1/deks/orders-value/versions?deleted=true", None).await;
    assert_eq!((st, b), (200, json!([1, 2])));
    let (st, b) =
        s.req("alice", "POST", "/dek-registry/v1/keks/k1/deks", Some(json!({"encryptedKeyMaterial": "X"}))).await;
    assert_eq!((st, b["error_code"].clone()), (403, json!(40301)), "{b}");
    // Reads of global config and metadata need only authentication.
    assert_eq!(s.req("bob", "GET", "/config", None).await.0, 200);
    assert_eq!(s.req("bob", "GET", "/schemas/types", None).await.0, 200);
    // Audit: writes and denials, with principal, operation, resource and result; no reads.
    let lines = s.audit_lines();
    let denied = lines
        .iter()
        .find(|l| l["result"] == "denied" && l["principal"] == "bob" && l["path"] == "/subjects/orders-value/versions")
        .expect("denial audited");
    assert_eq!(denied["operation"], "write");
    assert_eq!(denied["resource"], "Subject: orders-value");
    assert_eq!(denied["status"], 403);
    assert!(denied["time"].as_str().unwrap().contains('T'));
    assert!(denied["source"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert!(lines.iter().any(|l| l["result"] == "allowed" && l["principal"] == "alice" && l["method"] == "POST"));
    assert!(!lines.iter().any(|l| l["result"] == "allowed" && l["method"] == "GET"));
}

#[tokio::test]
async fn listings_show_only_readable_items() {
    let s = start_matrix().await;
    for subj in ["orders-a", "orders-b", "orders-c", "payments-a", ":.eu:x"] {
        let p = format!("/subjects/{}/versions", subj.replace(':', "%3A"));
        assert_eq!(s.req("admin", "POST", &p, Some(avro("Shared"))).await.0, 200);
    }
    assert_eq!(s.req("admin", "POST", "/subjects/orders-only/versions", Some(avro("OnlyOrders"))).await.0, 200);
    let (_, all) = s.req("admin", "GET", "/subjects", None).await;
    assert_eq!(all.as_array().unwrap().len(), 6);
    let (_, a) = s.req("alice", "GET", "/subjects", None).await;
    assert_eq!(a, json!(["orders-a", "orders-b", "orders-c", "orders-only"]));
    let (_, b) = s.req("bob", "GET", "/subjects", None).await;
    assert_eq!(b, json!(["payments-a", ":.eu:x"]));
    // Paging applies to what the caller may see.
    let (_, a) = s.req("alice", "GET", "/subjects?offset=1&limit=2", None).await;
    assert_eq!(a, json!(["orders-b", "orders-c"]));
    let (_, a) = s.req("alice", "GET", "/schemas", None).await;
    let subjects: Vec<&str> = a.as_array().unwrap().iter().map(|x| x["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, vec!["orders-a", "orders-b", "orders-c", "orders-only"]);
    // Id 1 is shared by orders-*, payments-a; id 2 only by orders-only.
    let (_, ids) = s.req("bob", "GET", "/schemas/ids/1/subjects", None).await;
    assert_eq!(ids, json!(["payments-a"]));
    let (_, v) = s.req("alice", "GET", "/schemas/ids/1/versions", None).await;
    assert_eq!(v.as_array().unwrap().len(), 3, "{v}");
    assert_eq!(s.req("bob", "GET", "/schemas/ids/1", None).await.0, 200);
    let (st, body) = s.req("bob", "GET", "/schemas/ids/2", None).await;
    assert_eq!((st, body["error_code"].clone()), (403, json!(40301)), "{body}");
    assert_eq!(s.req("bob", "GET", "/schemas/ids/2/schema", None).await.0, 403);
    assert_eq!(s.req("alice", "GET", "/schemas/ids/2", None).await.0, 200);
    // Unknown ids stay 40403 for everyone.
    assert_eq!(s.req("bob", "GET", "/schemas/ids/99", None).await.1["error_code"], 40403);
    // The .eu context's id 1 through the context prefix: bob reads the context.
    assert_eq!(s.req("bob", "GET", "/contexts/.eu/schemas/ids/1", None).await.0, 200);
    assert_eq!(s.req("alice", "GET", "/contexts/.eu/schemas/ids/1", None).await.0, 403);
    let guid = s.req("admin", "GET", "/schemas/ids/2", None).await.1["guid"].as_str().unwrap().to_string();
    assert_eq!(s.req("bob", "GET", &format!("/schemas/guids/{guid}"), None).await.0, 403);
    assert_eq!(s.req("alice", "GET", &format!("/schemas/guids/{guid}"), None).await.0, 200);
    let (_, c) = s.req("alice", "GET", "/contexts", None).await;
    assert_eq!(c, json!(["."]));
    let (_, c) = s.req("bob", "GET", "/contexts", None).await;
    assert_eq!(c, json!([".", ".eu"]));
    // An unqualified name the API would resolve in another context is checked there.
    assert_eq!(s.req("bob", "GET", "/subjects/x/versions", None).await.0, 200);
    assert_eq!(s.req("alice", "GET", "/subjects/x/versions", None).await.0, 403);
}

#[tokio::test]
async fn malformed_and_missing_credentials_get_401() {
    let s = start_matrix().await;
    let b64 = |t: &str| base64::engine::general_purpose::STANDARD.encode(t);
    let cases = [
        None,
        Some("Basic".to_string()),
        Some("Basic !!!notbase64".into()),
        Some(format!("Basic {}", b64("nocolon"))),
        Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode([0xff, 0xfe, b':', b'x']))),
        Some("Digest username=x".into()),
        Some("Bearer".into()),
        Some("Bearer a.b.c".into()),
        Some(format!("Basic {}", b64("alice:wrong"))),
        Some(format!("Basic {}", b64("nobody:wrong"))),
    ];
    for auth in cases {
        let mut r = s.http.get(format!("{}/subjects", s.base));
        if let Some(a) = &auth {
            r = r.header("Authorization", a);
        }
        let resp = r.send().await.unwrap();
        assert_eq!(resp.status(), 401, "{auth:?}");
        let www: Vec<_> =
            resp.headers().get_all("www-authenticate").iter().map(|v| v.to_str().unwrap().to_string()).collect();
        assert_eq!(www, vec!["Basic realm=\"lockstep\""], "{auth:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error_code"], 401, "{auth:?}");
    }
    // Unknown user and wrong password: same answer.
    let a = s.raw(Some(&format!("Basic {}", b64("alice:wrong"))), "GET", "/subjects", None).await;
    let b = s.raw(Some(&format!("Basic {}", b64("nobody:wrong"))), "GET", "/subjects", None).await;
    assert_eq!(a, b);
    assert!(s.audit_lines().iter().any(|l| l["result"] == "unauthenticated" && l["principal"].is_null()));
}

#[tokio::test]
async fn bad_users_file_line_is_a_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("users.properties");
    std::fs::write(&p, format!("alice: {}\nbob $2b$04$abc\n", cheap_hash("x"))).unwrap();
    let reg = registry::open_file_registry(&dir.path().join("data"), registry::RegistryConfig::default()).unwrap();
    let args = SecurityArgs { auth_basic_users_file: Some(p.clone()), ..Default::default() };
    let err = SecurityLayer::new(args.resolve(SecurityFile::default()).unwrap(), reg).await.err().unwrap();
    let msg = format!("{err:#}");
    assert!(msg.contains(&format!("users file {}: line 2", p.display())), "{msg}");
}

#[tokio::test]
async fn users_file_is_reloaded_on_change() {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(dir.path(), &[("alice", "a-pw", &[])]);
    let args = SecurityArgs {
        auth_basic_users_file: Some(users.clone()),
        security_reload_secs: Some(1),
        ..Default::default()
    };
    let s = start_with(dir, args).await;
    assert_eq!(s.req("bob", "GET", "/subjects", None).await.0, 401);
    std::fs::write(&users, format!("alice: {}\nbob: {}\n", cheap_hash("a-pw"), cheap_hash("b-pw"))).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.req("bob", "GET", "/subjects", None).await.0 != 200 {
        assert!(Instant::now() < deadline, "new user not accepted after reload");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A broken file keeps the users in force.
    std::fs::write(&users, "garbage line\n").unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(s.req("alice", "GET", "/subjects", None).await.0, 200);
}

#[tokio::test]
async fn anonymous_reads_only_without_rules() {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(dir.path(), &[("admin", "adm", &[])]);
    let args = SecurityArgs { auth_basic_users_file: Some(users), auth_anonymous: true, ..Default::default() };
    let s = start_with(dir, args).await;
    assert_eq!(s.raw(None, "GET", "/subjects", None).await.0, 200);
    let (st, b) = s.raw(None, "POST", "/subjects/x/versions", Some(avro("X"))).await;
    assert_eq!((st, b["error_code"].clone()), (403, json!(40301)));
    assert_eq!(s.req("admin", "POST", "/subjects/x/versions", Some(avro("X"))).await.0, 200);
}

#[tokio::test]
async fn mtls_principal_from_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nprincipals=[\"app-billing\"]\noperations=[\"read\",\"write\"]\nresources=[\"subject:billing-*\"]\n",
    )
    .unwrap();
    let args = SecurityArgs {
        auth_mtls: true,
        auth_mtls_principal: Some("dn".into()),
        auth_mtls_principal_rules: vec!["RULE:CN=([^,]+),OU=Apps,.*/app-$1/L".into()],
        authz_rules_file: Some(rules),
        ..Default::default()
    };
    let s = start_with(dir, args).await;
    let cert = |cn: &str, ou: &str| {
        let mut params = rcgen::CertificateParams::new(vec!["billing.internal".into()]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(rcgen::DnType::OrganizationName, "Acme");
        params.distinguished_name.push(rcgen::DnType::OrganizationalUnitName, ou);
        params.distinguished_name.push(rcgen::DnType::CommonName, cn);
        let key = rcgen::KeyPair::generate().unwrap();
        let der = params.self_signed(&key).unwrap().der().to_vec();
        der.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let call = |hexcert: String, method: &'static str, path: &'static str| {
        let r = s.http.request(method.parse().unwrap(), format!("{}{path}", s.base)).header("x-test-cert", hexcert);
        let r = if method == "POST" { r.header("Content-Type", CT).body(avro("B").to_string()) } else { r };
        async move { r.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(call(cert("Billing", "Apps"), "POST", "/subjects/billing-value/versions").await, 200);
    assert_eq!(call(cert("Billing", "Apps"), "POST", "/subjects/orders-value/versions").await, 403);
    // A certificate no mapping rule matches names no principal.
    assert_eq!(call(cert("Billing", "Humans"), "GET", "/subjects").await, 401);
    // No certificate, no credentials.
    assert_eq!(s.raw(None, "GET", "/subjects", None).await.0, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_wrong_passwords_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    // Real cost (argon2id defaults) for the attacked user and for the dummy hash.
    let text = format!(
        "alice: {}\nvictim: {}\n",
        cheap_hash("a-pw"),
        registry::security::users::hash_password("right").unwrap()
    );
    // The first strong hash sets the dummy's cost: put the real-cost one first.
    let text = text.lines().rev().collect::<Vec<_>>().join("\n");
    let users = dir.path().join("users.properties");
    std::fs::write(&users, text).unwrap();
    let args = SecurityArgs {
        auth_basic_users_file: Some(users),
        auth_verify_workers: Some(1),
        auth_verify_queue: Some(4),
        ..Default::default()
    };
    let s = Arc::new(start_with(dir, args).await);
    // alice's credentials are checked once, then served from the cache.
    assert_eq!(s.req("alice", "GET", "/subjects", None).await.0, 200);
    let started = Instant::now();
    let flood = {
        let s = s.clone();
        tokio::spawn(async move {
            let sem = Arc::new(tokio::sync::Semaphore::new(64));
            let mut tasks = Vec::new();
            for i in 0..10_000u32 {
                let permit = sem.clone().acquire_owned().await.unwrap();
                let s = s.clone();
                tasks.push(tokio::spawn(async move {
                    let user = if i % 2 == 0 { "victim" } else { "ghost" };
                    let auth = format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(format!("{user}:guess{i}"))
                    );
                    let st = s.raw(Some(&auth), "GET", "/subjects", None).await.0;
                    drop(permit);
                    st
                }));
            }
            let mut counts = std::collections::BTreeMap::new();
            for t in tasks {
                *counts.entry(t.await.unwrap()).or_insert(0u32) += 1;
            }
            counts
        })
    };
    // Meanwhile an authorized user is answered quickly.
    let mut worst = Duration::ZERO;
    while !flood.is_finished() {
        let t = Instant::now();
        assert_eq!(s.req("alice", "GET", "/subjects", None).await.0, 200);
        worst = worst.max(t.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let counts = flood.await.unwrap();
    let elapsed = started.elapsed();
    eprintln!("10,000 wrong passwords: {counts:?} in {elapsed:?}; worst authorized GET {worst:?}");
    assert_eq!(counts.keys().copied().filter(|c| *c != 401 && *c != 429).count(), 0, "{counts:?}");
    assert!(counts.get(&429).copied().unwrap_or(0) > 0, "a flood is shed: {counts:?}");
    assert!(elapsed < Duration::from_secs(90), "{elapsed:?}");
    assert!(worst < Duration::from_millis(1000), "authorized GET took {worst:?} during the flood");
}
