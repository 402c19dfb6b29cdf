//! Bearer (JWT) authentication against a JWKS file, with keys generated at test time.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use registry::security::{SecurityArgs, SecurityFile, SecurityLayer};
use serde_json::{json, Value};

struct Key {
    kid: String,
    pair: rcgen::KeyPair,
}

impl Key {
    fn new(kid: &str) -> Key {
        Key { kid: kid.into(), pair: rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap() }
    }
    fn jwk(&self) -> Value {
        let raw = self.pair.public_key_raw();
        assert_eq!(raw.len(), 65);
        json!({"kty":"EC","crv":"P-256","kid":self.kid,"use":"sig","alg":"ES256",
               "x": URL_SAFE_NO_PAD.encode(&raw[1..33]), "y": URL_SAFE_NO_PAD.encode(&raw[33..])})
    }
    fn sign(&self, claims: &Value) -> String {
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&h, claims, &EncodingKey::from_ec_der(&self.pair.serialize_der())).unwrap()
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn claims(sub: &str, groups: &[&str], exp_from_now: i64, iss: &str, aud: &str) -> Value {
    json!({"sub": sub, "groups": groups, "exp": (now() as i64 + exp_from_now), "iat": now(), "iss": iss, "aud": aud})
}

async fn start(key: &Key) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, json!({"keys":[key.jwk()]}).to_string()).unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\ngroups=[\"writers\"]\noperations=[\"read\",\"write\"]\nresources=[\"subject:*\"]\n\
         [[rule]]\nprincipals=[\"*\"]\noperations=[\"read\"]\nresources=[\"*\"]\n",
    )
    .unwrap();
    let args = SecurityArgs {
        auth_bearer_jwks_file: Some(jwks),
        auth_bearer_issuer: Some("https://idp.test".into()),
        auth_bearer_audience: vec!["lockstep".into()],
        auth_bearer_leeway_secs: Some(0),
        authz_rules_file: Some(rules),
        ..Default::default()
    };
    (serve_secured(dir.path(), args).await, dir)
}

/// A file registry in `dir/data` behind the security layer `args` configure, served on a free
/// loopback port: its base URL.
async fn serve_secured(dir: &std::path::Path, args: SecurityArgs) -> String {
    let reg = registry::open_file_registry(&dir.join("data"), registry::RegistryConfig::default()).unwrap();
    let layer = SecurityLayer::new(args.resolve(SecurityFile::default()).unwrap(), reg.clone()).await.unwrap();
    let app = registry::api::app(reg).layer(layer);
    let (listener, addr) = registry::bind("127.0.0.1:0").await.unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn call(base: &str, token: &str, method: &str) -> (u16, Value, Vec<String>) {
    let http = reqwest::Client::new();
    let mut r = http
        .request(method.parse().unwrap(), format!("{base}/subjects/t-value/versions"))
        .header("Authorization", format!("Bearer {token}"));
    if method == "POST" {
        r = r
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .body(json!({"schema": "\"string\""}).to_string());
    }
    let resp = r.send().await.unwrap();
    let st = resp.status().as_u16();
    let www = resp.headers().get_all("www-authenticate").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    (st, resp.json().await.unwrap_or(Value::Null), www)
}

#[tokio::test]
async fn jwt_validation() {
    let key = Key::new("k1");
    let (base, _dir) = start(&key).await;
    let good = key.sign(&claims("svc-a", &["writers"], 300, "https://idp.test", "lockstep"));
    assert_eq!(call(&base, &good, "POST").await.0, 200);
    // Groups come from the token: without "writers", reading is allowed, writing is not.
    let reader = key.sign(&claims("svc-b", &[], 300, "https://idp.test", "lockstep"));
    assert_eq!(call(&base, &reader, "GET").await.0, 200);
    let (st, body, _) = call(&base, &reader, "POST").await;
    assert_eq!((st, body["message"].as_str().unwrap()), (403, "User is denied operation Write on Subject: t-value"));

    let other = Key::new("k1"); // same kid, different key: bad signature
    let unsigned = {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload =
            URL_SAFE_NO_PAD.encode(claims("svc-a", &["writers"], 300, "https://idp.test", "lockstep").to_string());
        format!("{header}.{payload}.")
    };
    let no_exp = key.sign(&json!({"sub":"svc-a","iss":"https://idp.test","aud":"lockstep"}));
    let cases = [
        ("expired", key.sign(&claims("svc-a", &["writers"], -120, "https://idp.test", "lockstep")), "token expired"),
        ("wrong audience", key.sign(&claims("svc-a", &[], 300, "https://idp.test", "other")), "wrong audience"),
        ("wrong issuer", key.sign(&claims("svc-a", &[], 300, "https://evil.test", "lockstep")), "wrong issuer"),
        ("bad signature", other.sign(&claims("svc-a", &[], 300, "https://idp.test", "lockstep")), "bad signature"),
        ("unsigned", unsigned, "malformed token"),
        ("no exp", no_exp, "required claim"),
        ("garbage", "not-a-jwt".into(), "malformed token"),
        (
            "unknown kid",
            Key::new("k2").sign(&claims("svc-a", &[], 300, "https://idp.test", "lockstep")),
            "unknown signing key",
        ),
    ];
    for (what, token, why) in cases {
        let (st, body, www) = call(&base, &token, "GET").await;
        assert_eq!(st, 401, "{what}: {body}");
        assert_eq!(body["error_code"], 401, "{what}");
        assert!(body["message"].as_str().unwrap().contains(why), "{what}: {body}");
        assert_eq!(www, vec!["Bearer realm=\"lockstep\", error=\"invalid_token\""], "{what}");
    }
    // Basic is not enabled on this server.
    let (st, body, _) = {
        let resp = reqwest::Client::new()
            .get(format!("{base}/subjects"))
            .header("Authorization", "Basic YTpi")
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json::<Value>().await.unwrap(), ())
    };
    assert_eq!((st, body["message"].as_str().unwrap()), (401, "Unauthorized: Basic authentication is not enabled"));
}

#[tokio::test]
async fn jwks_url_is_fetched_and_refetched_for_a_new_kid() {
    // The operator's JWKS endpoint, on loopback; its key set can be swapped.
    let k1 = Key::new("k1");
    let k2 = Key::new("k2");
    let served = std::sync::Arc::new(parking_lot::Mutex::new(json!({"keys":[k1.jwk()]})));
    let s2 = served.clone();
    let idp = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let v = s2.lock().clone();
            async move { axum::Json(v) }
        }),
    );
    let (l, idp_addr) = registry::bind("127.0.0.1:0").await.unwrap();
    tokio::spawn(async move { axum::serve(l, idp).await });

    let dir = tempfile::tempdir().unwrap();
    let args = SecurityArgs {
        auth_bearer_jwks_url: Some(format!("http://{idp_addr}/jwks")),
        auth_bearer_audience: vec!["lockstep".into()],
        auth_bearer_jwks_refresh_secs: Some(10),
        ..Default::default()
    };
    let base = serve_secured(dir.path(), args).await;

    let t1 = k1.sign(&claims("svc", &[], 300, "any", "lockstep"));
    assert_eq!(call(&base, &t1, "GET").await.0, 404, "authenticated (subject does not exist)");
    // The issuer rotates to k2: a token with the new kid makes the server fetch the keys again.
    *served.lock() = json!({"keys":[k2.jwk()]});
    let t2 = k2.sign(&claims("svc", &[], 300, "any", "lockstep"));
    let (st, body, _) = call(&base, &t2, "GET").await;
    assert_eq!(st, 401, "refetches are rate-limited (not right after the start-up fetch): {body}");
    assert!(body["message"].as_str().unwrap().contains("unknown signing key"));
    tokio::time::sleep(std::time::Duration::from_millis(10_500)).await;
    assert_eq!(call(&base, &t2, "GET").await.0, 404, "k2 accepted after the keys were fetched again");
    assert_eq!(call(&base, &t1, "GET").await.0, 401, "k1 is gone");

    // A JWKS URL that cannot be reached is a start-up error naming it.
    let args = SecurityArgs { auth_bearer_jwks_url: Some("http://127.0.0.1:9/jwks".into()), ..Default::default() };
    let reg2 = registry::open_file_registry(&dir.path().join("data2"), registry::RegistryConfig::default()).unwrap();
    let err = SecurityLayer::new(args.resolve(SecurityFile::default()).unwrap(), reg2).await.err().unwrap();
    assert!(format!("{err:#}").contains("cannot fetch JWKS http://127.0.0.1:9/jwks"), "{err:#}");
}
