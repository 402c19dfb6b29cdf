//! Every client side against secured registries, with certificates and keys made at test time:
//! `lockstep link` between two registries that want different credentials (basic auth over
//! HTTPS on one side; a client certificate plus an OAuth2 client-credentials bearer token on the
//! other), `lockstep check --registry` with credentials, and exporters of a registry that
//! requires client certificates (to a destination that requires one too).

mod support;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use linker::client::{ClientOptions, OAuthClientCredentials, Registration};
use linker::RegistryClient;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_lockstep");
const ISSUER: &str = "https://idp.test";

/// A CA and what it signs, written under `dir`.
struct Pki {
    dir: PathBuf,
    ca: rcgen::Certificate,
    ca_key: rcgen::KeyPair,
}

impl Pki {
    fn new(dir: &Path) -> Pki {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.distinguished_name.push(rcgen::DnType::CommonName, "test-ca");
        let ca = p.self_signed(&ca_key).unwrap();
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        Pki { dir: dir.to_path_buf(), ca, ca_key }
    }

    fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A certificate for `cn` (a server certificate for 127.0.0.1 when `server`): (cert, key) files.
    fn issue(&self, cn: &str, server: bool) -> (PathBuf, PathBuf) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(rcgen::DnType::CommonName, cn);
        if server {
            p.subject_alt_names.push(rcgen::SanType::IpAddress(IpAddr::from([127, 0, 0, 1])));
        }
        let cert = p.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        let (c, k) = (self.dir.join(format!("{cn}.pem")), self.dir.join(format!("{cn}.key")));
        std::fs::write(&c, cert.pem()).unwrap();
        std::fs::write(&k, key.serialize_pem()).unwrap();
        (c, k)
    }
}

/// An ES256 key, its JWKS file and tokens it signs.
struct Jwt {
    pair: rcgen::KeyPair,
}

impl Jwt {
    fn new(dir: &Path) -> (Jwt, PathBuf) {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let raw = pair.public_key_raw();
        let jwks = json!({"keys": [{"kty":"EC","crv":"P-256","kid":"k1","use":"sig","alg":"ES256",
            "x": URL_SAFE_NO_PAD.encode(&raw[1..33]), "y": URL_SAFE_NO_PAD.encode(&raw[33..])}]});
        let path = dir.join("jwks.json");
        std::fs::write(&path, jwks.to_string()).unwrap();
        (Jwt { pair }, path)
    }

    fn sign(&self, sub: &str) -> String {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let claims = json!({"sub": sub, "iss": ISSUER, "aud": "lockstep", "iat": now, "exp": now + 600});
        let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        h.kid = Some("k1".into());
        jsonwebtoken::encode(&h, &claims, &jsonwebtoken::EncodingKey::from_ec_der(&self.pair.serialize_der())).unwrap()
    }
}

/// An OAuth2 token endpoint (client credentials): `client_id:secret` in basic auth gets a JWT
/// for `sub`; counts the tokens it hands out.
async fn token_endpoint(jwt: Arc<Jwt>, client: &'static str, sub: &'static str) -> (String, Arc<AtomicUsize>) {
    let issued = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    let count = issued.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let (jwt, count) = (jwt.clone(), count.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Head and the (small, form-encoded) body.
                while !String::from_utf8_lossy(&buf).contains("grant_type=") {
                    match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let req = String::from_utf8_lossy(&buf).to_lowercase();
                let want = format!("authorization: basic {}", STANDARD.encode(client).to_lowercase());
                let (status, body) = if req.contains(&want) {
                    count.fetch_add(1, Ordering::SeqCst);
                    ("200 OK", json!({"access_token": jwt.sign(sub), "token_type": "Bearer", "expires_in": 3600}))
                } else {
                    ("401 Unauthorized", json!({"error": "invalid_client"}))
                };
                let body = body.to_string();
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    (url, issued)
}

/// `lockstep registry` over HTTPS on a free port; killed on drop.
struct TlsServer {
    child: Child,
    url: String,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TlsServer {
    /// Start with `args` and wait until a client with `probe`'s options gets an HTTP answer.
    async fn start(args: &[&str], probe: &ClientOptions) -> TlsServer {
        let (child, rx) = support::spawn_registry(args);
        let mut server = TlsServer { child, url: String::new() };
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => addr,
            Err(e) => panic!("the registry did not report its address: {e} ({:?})", server.child.try_wait()),
        };
        server.url = format!("https://{addr}");
        let c = RegistryClient::with_options(&server.url, probe).unwrap();
        while Instant::now() < deadline {
            match c.get_json("/v1/metadata/id").await {
                Ok(_) => return server,
                Err(e) if e.code().is_some() => return server,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        panic!("registry at {} never answered", server.url);
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A users file in Confluent's JAAS format (MD5 needs the migration flag; the password check
/// itself is tested elsewhere).
fn users_file(dir: &Path, users: &[(&str, &str, &str)]) -> PathBuf {
    let path = dir.join("users.properties");
    let text: String = users.iter().map(|(u, pw, groups)| format!("{u}: MD5:{:x},{groups}\n", md5_hex(pw))).collect();
    std::fs::write(&path, text).unwrap();
    path
}

fn md5_hex(s: &str) -> impl std::fmt::LowerHex {
    use md5::Digest;
    md5::Md5::digest(s.as_bytes())
}

fn with_ca(pki: &Pki) -> ClientOptions {
    ClientOptions { ca_file: Some(pki.ca_file()), ..Default::default() }
}

fn run_bin(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN).args(args).env("LOCKSTEP_LOG", "warn").output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_between_registries_that_want_different_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Pki::new(d);
    let (server_cert, server_key) = pki.issue("registry", true);
    let (client_cert, client_key) = pki.issue("link-us", false);
    let (jwt, jwks) = Jwt::new(d);
    let jwt = Arc::new(jwt);
    let (token_url, issued) = token_endpoint(jwt.clone(), "link-us:s3cret", "link-us").await;

    // Source (eu): HTTPS + basic auth; the link's user may only read.
    let users = users_file(d, &[("admin", "admin-pw", "admins"), ("eu-link", "link-pw", "linkers")]);
    let rules = d.join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\ngroups = [\"admins\"]\noperations = [\"*\"]\nresources = [\"*\"]\n\n\
         [[rule]]\ngroups = [\"linkers\"]\noperations = [\"read\"]\nresources = [\"*\"]\n",
    )
    .unwrap();
    let (eu_data, us_data) = (d.join("eu"), d.join("us"));
    let eu = TlsServer::start(
        &[
            "--data-dir",
            s(&eu_data),
            "--tls-cert",
            s(&server_cert),
            "--tls-key",
            s(&server_key),
            "--auth-basic-users-file",
            s(&users),
            "--auth-basic-allow-insecure-passwords",
            "--authz-rules-file",
            s(&rules),
        ],
        &with_ca(&pki),
    )
    .await;
    // Destination (us): HTTPS that requires a client certificate, and bearer tokens (JWT).
    let us_probe =
        ClientOptions { cert_file: Some(client_cert.clone()), key_file: Some(client_key.clone()), ..with_ca(&pki) };
    let us = TlsServer::start(
        &[
            "--data-dir",
            s(&us_data),
            "--tls-cert",
            s(&server_cert),
            "--tls-key",
            s(&server_key),
            "--tls-client-ca",
            s(&pki.ca_file()),
            "--tls-client-auth",
            "require",
            "--auth-bearer-jwks-file",
            s(&jwks),
            "--auth-bearer-issuer",
            ISSUER,
            "--auth-bearer-audience",
            "lockstep",
        ],
        &us_probe,
    )
    .await;

    let admin = RegistryClient::with_options(
        &eu.url,
        &ClientOptions { user_info: Some("admin:admin-pw".into()), ..with_ca(&pki) },
    )
    .unwrap();
    admin.register("filler", &Registration { schema: "\"string\"".into(), ..Default::default() }).await.unwrap();
    let schema = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}"#;
    let id =
        admin.register("orders-value", &Registration { schema: schema.into(), ..Default::default() }).await.unwrap();
    assert_eq!(id, 2);

    let ca = pki.ca_file();
    let link = |dest_extra: &[&str]| {
        let mut args: Vec<String> = [
            "link",
            "--once",
            "--context-type",
            "NONE",
            "--source",
            &eu.url,
            "--source-user-info",
            "eu-link:link-pw",
            "--source-ca-file",
            s(&ca),
            "--destination",
            &us.url,
            "--destination-ca-file",
            s(&ca),
        ]
        .into_iter()
        .map(String::from)
        .collect();
        args.extend(dest_extra.iter().map(|a| a.to_string()));
        args
    };
    let oauth = [
        "--destination-oauth-token-url",
        &token_url,
        "--destination-oauth-client-id",
        "link-us",
        "--destination-oauth-client-secret",
        "s3cret",
    ];
    let cert = ["--destination-cert-file", s(&client_cert), "--destination-key-file", s(&client_key)];

    // Without the client certificate the destination refuses the TLS handshake.
    let args = link(&oauth);
    let (code, out) = run_bin(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_ne!(code, 0, "linked without a client certificate: {out}");
    let before = issued.load(Ordering::SeqCst);
    // With the certificate but a wrong client secret there is no token.
    let mut wrong: Vec<&str> = oauth.to_vec();
    wrong[5] = "wrong";
    wrong.extend(cert);
    let args = link(&wrong);
    let (code, out) = run_bin(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_ne!(code, 0, "linked with a wrong client secret: {out}");
    assert!(out.contains("token"), "{out}");
    assert_eq!(issued.load(Ordering::SeqCst), before);

    // Both right: the version arrives with its id; one token served the whole run.
    let mut good: Vec<&str> = oauth.to_vec();
    good.extend(cert);
    let args = link(&good);
    let (code, out) = run_bin(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{out}");
    assert_eq!(issued.load(Ordering::SeqCst), before + 1, "the token is cached for the run");
    let reader = RegistryClient::with_options(
        &us.url,
        &ClientOptions {
            oauth: Some(OAuthClientCredentials {
                token_url: token_url.clone(),
                client_id: "link-us".into(),
                client_secret: "s3cret".into(),
                scope: None,
            }),
            ..us_probe.clone()
        },
    )
    .unwrap();
    let v = reader.version("orders-value", "latest").await.unwrap();
    assert_eq!((v.id, v.schema.as_str()), (2, schema));

    // The replicator's schema gate with the same credentials (from its TOML tables): a record
    // framed with a schema id the destination lacks has its schema imported first.
    let id3 = admin
        .register("payments-value", &Registration { schema: "\"long\"".into(), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(id3, 3);
    let toml_path = |p: &Path| s(p).replace('\\', "/");
    let settings = format!(
        "name = \"gate\"\n[source]\nalias = \"eu\"\nbootstrap = \"unused:9092\"\n\
         [destination]\nalias = \"us\"\nbootstrap = \"unused:9092\"\n\
         [registries]\nsource = \"{}\"\ndestination = \"{}\"\n\
         [registries.source_auth]\nuser_info = \"eu-link:link-pw\"\nca_file = \"{ca}\"\n\
         [registries.destination_auth]\noauth_token_url = \"{token_url}\"\noauth_client_id = \"link-us\"\n\
         oauth_client_secret = \"s3cret\"\nca_file = \"{ca}\"\ncert_file = \"{}\"\nkey_file = \"{}\"\n",
        eu.url,
        us.url,
        toml_path(&client_cert),
        toml_path(&client_key),
        ca = toml_path(&ca),
    );
    let cfg = replicator::config::Config::from_settings(toml::from_str(&settings).unwrap()).unwrap();
    let gate = replicator::gate::Gate::open(&cfg, Default::default()).await.unwrap().unwrap();
    let rt = tokio::runtime::Handle::current();
    let verdict = tokio::task::spawn_blocking(move || {
        gate.check(&rt, &[0, 0, 0, 0, 3, 42], None, 0, Duration::from_secs(20)).map_err(|e| format!("{e:?}"))
    })
    .await
    .unwrap();
    assert_eq!(verdict, Ok(replicator::gate::Verdict::Keep));
    assert_eq!(reader.schema_by_id(3).await.unwrap(), "\"long\"");

    // `lockstep check --registry` with the source's credentials.
    let manifest = d.join("lockstep.toml");
    std::fs::write(d.join("order.avsc"), schema).unwrap();
    std::fs::write(&manifest, "[[subjects]]\nsubject = \"orders-value\"\nfile = \"order.avsc\"\n").unwrap();
    let check = |extra: &[&str]| {
        let out = Command::new(BIN)
            .args(["check", "--manifest", s(&manifest), "--registry", &eu.url, "--registry-ca-file", s(&ca)])
            .args(extra)
            .output()
            .unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, out) = check(&["--registry-user-info", "eu-link:link-pw"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = check(&[]);
    assert_eq!(code, 2, "no credentials: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exporters_of_a_registry_that_requires_client_certificates_export_over_mtls() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Pki::new(d);
    let (server_cert, server_key) = pki.issue("registry", true);
    let (client_cert, client_key) = pki.issue("exporter", false);
    let users = users_file(d, &[("admin", "admin-pw", "admins"), ("exp", "exp-pw", "admins")]);
    let mtls = |data: &Path| {
        vec![
            "--data-dir".to_string(),
            s(data).into(),
            "--tls-cert".into(),
            s(&server_cert).into(),
            "--tls-key".into(),
            s(&server_key).into(),
            "--tls-client-ca".into(),
            s(&pki.ca_file()).into(),
            "--tls-client-auth".into(),
            "require".into(),
            "--auth-basic-users-file".into(),
            s(&users).into(),
            "--auth-basic-allow-insecure-passwords".into(),
        ]
    };
    let probe =
        ClientOptions { cert_file: Some(client_cert.clone()), key_file: Some(client_key.clone()), ..with_ca(&pki) };
    let (a_data, b_data) = (d.join("a"), d.join("b"));
    let a_args = mtls(&a_data);
    let a = TlsServer::start(&a_args.iter().map(String::as_str).collect::<Vec<_>>(), &probe).await;
    let b_args = mtls(&b_data);
    let b = TlsServer::start(&b_args.iter().map(String::as_str).collect::<Vec<_>>(), &probe).await;
    let admin = |url: &str, user: &str| {
        RegistryClient::with_options(url, &ClientOptions { user_info: Some(user.into()), ..probe.clone() }).unwrap()
    };
    let a_admin = admin(&a.url, "admin:admin-pw");
    a_admin.register("orders", &Registration { schema: "\"string\"".into(), ..Default::default() }).await.unwrap();

    // The exporter reaches b with an inline CA, an inline client certificate and basic auth.
    let config = json!({
        "schema.registry.url": b.url,
        "basic.auth.credentials.source": "USER_INFO",
        "basic.auth.user.info": "exp:exp-pw",
        "schema.registry.ssl.truststore.certificates": std::fs::read_to_string(pki.ca_file()).unwrap(),
        "schema.registry.ssl.keystore.certificate.chain": std::fs::read_to_string(&client_cert).unwrap(),
        "schema.registry.ssl.keystore.key": std::fs::read_to_string(&client_key).unwrap(),
    });
    let http = reqwest_client(&pki, &client_cert, &client_key);
    let post = |path: &str, body: Value| {
        http.post(format!("{}{path}", a.url))
            .basic_auth("admin", Some("admin-pw"))
            .header("Content-Type", support::SR_CONTENT_TYPE)
            .body(body.to_string())
            .send()
    };
    // A keystore type other than PEM is refused with 40951.
    let mut pkcs12 = config.clone();
    pkcs12["schema.registry.ssl.keystore.type"] = json!("PKCS12");
    let r = post("/exporters", json!({"name": "bad", "contextType": "NONE", "config": pkcs12})).await.unwrap();
    let (status, body): (u16, Value) = (r.status().as_u16(), r.json().await.unwrap());
    assert_eq!((status, body["error_code"].as_i64()), (409, Some(40951)), "{body}");

    let r = post("/exporters", json!({"name": "to-b", "contextType": "NONE", "subjects": ["*"], "config": config}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let b_admin = admin(&b.url, "admin:admin-pw");
    let deadline = Instant::now() + Duration::from_secs(30);
    while b_admin.subjects().await.unwrap() != vec!["orders".to_string()] {
        let status = a_admin.get_json("/exporters/to-b/status").await.unwrap();
        assert!(Instant::now() < deadline, "nothing exported; exporter status: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Secrets read back masked; the certificate chain (public) does not.
    let shown = a_admin.get_json("/exporters/to-b/config").await.unwrap();
    assert_eq!(shown["basic.auth.user.info"], "[hidden]");
    assert_eq!(shown["schema.registry.ssl.keystore.key"], "[hidden]");
    assert!(shown["schema.registry.ssl.keystore.certificate.chain"].as_str().unwrap().contains("BEGIN CERTIFICATE"));
    let info = a_admin.get_json("/exporters/to-b").await.unwrap();
    assert!(!info.to_string().contains("PRIVATE KEY"), "{info}");
}

/// A reqwest client with the test CA and a client certificate.
fn reqwest_client(pki: &Pki, cert: &Path, key: &Path) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(&std::fs::read(pki.ca_file()).unwrap()).unwrap();
    let mut pem = std::fs::read(key).unwrap();
    pem.extend(std::fs::read(cert).unwrap());
    reqwest::Client::builder()
        .add_root_certificate(ca)
        .identity(reqwest::Identity::from_pem(&pem).unwrap())
        .build()
        .unwrap()
}
