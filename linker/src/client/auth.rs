//! How a client proves who it is to a registry: the settings every client side shares
//! ([`RegistryAuth`]: `lockstep link` flags, the replicator's `[registries.*_auth]` tables,
//! `lockstep check --registry-*`) and the OAuth2 client-credentials token source.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use super::{ClientError, ClientOptions};

/// Largest token endpoint answer read.
const MAX_TOKEN_RESPONSE: usize = 64 * 1024;
/// Lifetime assumed when the token endpoint does not say (`expires_in` absent).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// OAuth2 client-credentials flow (RFC 6749 §4.4): what Confluent's clients call
/// `bearer.auth.credentials.source=OAUTHBEARER` with `bearer.auth.issuer.endpoint.url`,
/// `bearer.auth.client.id`, `bearer.auth.client.secret` and `bearer.auth.scope`.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthClientCredentials {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// Space-separated scopes, sent as `scope` when set.
    pub scope: Option<String>,
}

impl std::fmt::Debug for OAuthClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClientCredentials")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Gets tokens from the token endpoint and keeps each until shortly before it expires; shared by
/// every clone of a client.
pub(crate) struct TokenSource {
    creds: OAuthClientCredentials,
    http: reqwest::Client,
    /// (token, refresh after).
    cached: tokio::sync::Mutex<Option<(String, Instant)>>,
    fetches: AtomicU64,
}

impl TokenSource {
    pub(crate) fn new(creds: OAuthClientCredentials, http: reqwest::Client) -> anyhow::Result<Self> {
        let u = &creds.token_url;
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            anyhow::bail!("OAuth token URL must start with http:// or https://, not '{u}'");
        }
        if creds.client_id.is_empty() || creds.client_secret.is_empty() {
            anyhow::bail!("OAuth client credentials need a client id and a client secret");
        }
        Ok(Self { creds, http, cached: tokio::sync::Mutex::new(None), fetches: AtomicU64::new(0) })
    }

    /// Tokens fetched from the endpoint so far.
    pub(crate) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// A current token: the cached one, or a new one when it is about to expire.
    pub(crate) async fn token(&self) -> Result<String, ClientError> {
        let mut cached = self.cached.lock().await;
        if let Some((t, until)) = &*cached {
            if Instant::now() < *until {
                return Ok(t.clone());
            }
        }
        let (token, lifetime) = self.fetch().await?;
        // Refresh a little before expiry: a fifth of the lifetime early, at most a minute.
        let early = (lifetime / 5).min(Duration::from_secs(60));
        *cached = Some((token.clone(), Instant::now() + lifetime.saturating_sub(early)));
        Ok(token)
    }

    /// Forget `token` (the registry refused it): the next call fetches a new one.
    pub(crate) async fn invalidate(&self, token: &str) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|(t, _)| t == token) {
            *cached = None;
        }
    }

    async fn fetch(&self) -> Result<(String, Duration), ClientError> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let url = &self.creds.token_url;
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(s) = self.creds.scope.as_deref().filter(|s| !s.is_empty()) {
            form.push(("scope", s));
        }
        let fail = |m: String| ClientError::Token(format!("token endpoint {url}: {m}"));
        let mut resp = self
            .http
            .post(url)
            .basic_auth(&self.creds.client_id, Some(&self.creds.client_secret))
            .header("Accept", "application/json")
            .form(&form)
            .send()
            .await
            .map_err(|e| fail(format!("unreachable: {e}")))?;
        let status = resp.status();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| fail(format!("reading the answer: {e}")))? {
            if body.len() + chunk.len() > MAX_TOKEN_RESPONSE {
                return Err(fail(format!("answer larger than {MAX_TOKEN_RESPONSE} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        if !status.is_success() {
            let why = v["error_description"].as_str().or(v["error"].as_str()).unwrap_or("no error given");
            return Err(fail(format!("HTTP {}: {why}", status.as_u16())));
        }
        let token = v["access_token"].as_str().ok_or_else(|| fail("the answer has no access_token".into()))?;
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(fail("the access_token is empty or not printable ASCII".into()));
        }
        let lifetime = match &v["expires_in"] {
            serde_json::Value::Number(n) => n.as_f64().map(|s| Duration::from_secs_f64(s.clamp(1.0, 86_400.0))),
            serde_json::Value::String(s) => {
                s.trim().parse::<u64>().ok().map(|s| Duration::from_secs(s.clamp(1, 86_400)))
            }
            _ => None,
        }
        .unwrap_or(DEFAULT_LIFETIME);
        Ok((token.to_string(), lifetime))
    }
}

/// How to authenticate to one registry and trust its certificate, as every client side spells
/// it (TOML keys; the `lockstep link` flags `--source-user-info`, … map onto the same fields).
/// At most one of `user_info`, `bearer_token` and the `oauth_*` settings; a client certificate
/// (`cert_file` + `key_file`) combines with any of them.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryAuth {
    /// HTTP basic auth, `user:password` (Confluent's `basic.auth.user.info`).
    pub user_info: Option<String>,
    /// A static bearer token (Confluent's `bearer.auth.token`).
    pub bearer_token: Option<String>,
    /// OAuth2 client credentials: the token endpoint (Confluent's `bearer.auth.issuer.endpoint.url`).
    pub oauth_token_url: Option<String>,
    pub oauth_client_id: Option<String>,
    pub oauth_client_secret: Option<String>,
    pub oauth_scope: Option<String>,
    /// PEM file of CA certificates to trust (besides the built-in roots).
    pub ca_file: Option<PathBuf>,
    /// Client certificate chain (PEM) for mTLS, with `key_file`.
    pub cert_file: Option<PathBuf>,
    /// Unencrypted private key (PEM: PKCS#8, PKCS#1 or SEC1) of `cert_file`.
    pub key_file: Option<PathBuf>,
    /// Do not verify the registry's certificate (testing only).
    #[serde(default)]
    pub insecure: bool,
}

impl std::fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |o: &Option<String>| o.as_ref().map(|_| "[hidden]");
        f.debug_struct("RegistryAuth")
            .field("user_info", &self.user_info.as_deref().map(|u| u.split(':').next().unwrap_or("")))
            .field("bearer_token", &hidden(&self.bearer_token))
            .field("oauth_token_url", &self.oauth_token_url)
            .field("oauth_client_id", &self.oauth_client_id)
            .field("oauth_client_secret", &hidden(&self.oauth_client_secret))
            .field("oauth_scope", &self.oauth_scope)
            .field("ca_file", &self.ca_file)
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .field("insecure", &self.insecure)
            .finish()
    }
}

impl RegistryAuth {
    /// The client options these settings make; `what` names the registry in errors
    /// (`source`, `destination`, …).
    pub fn options(&self, what: &str) -> anyhow::Result<ClientOptions> {
        let oauth_set = self.oauth_token_url.is_some()
            || self.oauth_client_id.is_some()
            || self.oauth_client_secret.is_some()
            || self.oauth_scope.is_some();
        let schemes = [self.user_info.is_some(), self.bearer_token.is_some(), oauth_set];
        if schemes.iter().filter(|s| **s).count() > 1 {
            anyhow::bail!("{what} registry: give one of user info (basic), a bearer token or OAuth client credentials");
        }
        let oauth = if oauth_set {
            let need = |v: &Option<String>, name: &str| {
                v.clone().ok_or_else(|| anyhow::anyhow!("{what} registry: OAuth client credentials need the {name}"))
            };
            Some(OAuthClientCredentials {
                token_url: need(&self.oauth_token_url, "token URL")?,
                client_id: need(&self.oauth_client_id, "client id")?,
                client_secret: need(&self.oauth_client_secret, "client secret")?,
                scope: self.oauth_scope.clone(),
            })
        } else {
            None
        };
        if self.cert_file.is_some() != self.key_file.is_some() {
            anyhow::bail!("{what} registry: a client certificate needs both the certificate and the key file");
        }
        Ok(ClientOptions {
            user_info: self.user_info.clone(),
            bearer_token: self.bearer_token.clone(),
            oauth,
            ca_file: self.ca_file.clone(),
            cert_file: self.cert_file.clone(),
            key_file: self.key_file.clone(),
            insecure: self.insecure,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;

    use super::*;

    /// A token endpoint: checks the client's basic credentials, hands out `tok-N` valid for
    /// `lifetime` seconds, and counts requests.
    async fn token_server(lifetime: u64) -> (String, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        let app = axum::Router::new().route(
            "/token",
            post(move |headers: HeaderMap, body: String| {
                let c = c.clone();
                async move {
                    let n = c.fetch_add(1, Ordering::SeqCst) + 1;
                    // "client:secret" in base64.
                    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
                    if auth != "Basic Y2xpZW50OnNlY3JldA==" {
                        let e = r#"{"error":"invalid_client","error_description":"bad client secret"}"#;
                        return (StatusCode::UNAUTHORIZED, e.to_string());
                    }
                    assert!(body.contains("grant_type=client_credentials") && body.contains("scope=sr"), "{body}");
                    (
                        StatusCode::OK,
                        format!(r#"{{"access_token":"tok-{n}","token_type":"Bearer","expires_in":{lifetime}}}"#),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/token"), count)
    }

    fn creds(url: &str, secret: &str) -> OAuthClientCredentials {
        OAuthClientCredentials {
            token_url: url.into(),
            client_id: "client".into(),
            client_secret: secret.into(),
            scope: Some("sr".into()),
        }
    }

    #[tokio::test]
    async fn a_token_is_fetched_once_and_reused_until_it_nears_expiry() {
        let (url, count) = token_server(3600).await;
        let ts = TokenSource::new(creds(&url, "secret"), reqwest::Client::new()).unwrap();
        for _ in 0..20 {
            assert_eq!(ts.token().await.unwrap(), "tok-1");
        }
        assert_eq!(count.load(Ordering::SeqCst), 1);
        // A refused token is replaced at once.
        ts.invalidate("tok-1").await;
        assert_eq!(ts.token().await.unwrap(), "tok-2");
        // Invalidating a token no longer cached keeps the current one.
        ts.invalidate("tok-1").await;
        assert_eq!(ts.token().await.unwrap(), "tok-2");
        assert_eq!(ts.fetches(), 2);
    }

    #[tokio::test]
    async fn a_short_lived_token_is_refreshed() {
        let (url, count) = token_server(1).await;
        let ts = TokenSource::new(creds(&url, "secret"), reqwest::Client::new()).unwrap();
        assert_eq!(ts.token().await.unwrap(), "tok-1");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(ts.token().await.unwrap(), "tok-2");
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_refusing_endpoint_is_a_clear_error() {
        let (url, _) = token_server(60).await;
        let ts = TokenSource::new(creds(&url, "wrong"), reqwest::Client::new()).unwrap();
        let e = ts.token().await.unwrap_err();
        assert!(matches!(e, ClientError::Token(_)));
        assert!(e.to_string().contains("HTTP 401: bad client secret"), "{e}");
        assert!(e.is_transient());
        let unreachable = TokenSource::new(creds("http://127.0.0.1:1/token", "s"), reqwest::Client::new()).unwrap();
        assert!(unreachable.token().await.unwrap_err().to_string().contains("unreachable"));
    }

    #[tokio::test]
    async fn a_registry_that_refuses_a_token_gets_a_fresh_one_once() {
        // The "registry" accepts only tok-2: the first token is refused, replaced, and the
        // request sent again with the new one.
        let (token_url, count) = token_server(3600).await;
        let app = axum::Router::new().route(
            "/subjects",
            axum::routing::get(|headers: HeaderMap| async move {
                match headers.get("authorization").and_then(|v| v.to_str().ok()) {
                    Some("Bearer tok-2") => (StatusCode::OK, r#"["a"]"#.to_string()),
                    _ => (StatusCode::UNAUTHORIZED, r#"{"error_code":401,"message":"Unauthorized"}"#.to_string()),
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let opts = ClientOptions { oauth: Some(creds(&token_url, "secret")), ..Default::default() };
        let c = super::super::RegistryClient::with_options(&format!("http://{addr}"), &opts).unwrap();
        assert_eq!(c.subjects().await.unwrap(), vec!["a".to_string()]);
        assert_eq!(c.subjects().await.unwrap(), vec!["a".to_string()]);
        assert_eq!(count.load(Ordering::SeqCst), 2);
        assert_eq!(c.tokens_fetched(), 2);
    }

    #[test]
    fn settings_are_checked_and_secrets_stay_out_of_debug_output() {
        let a = RegistryAuth {
            oauth_token_url: Some("https://idp/token".into()),
            oauth_client_id: Some("id".into()),
            oauth_client_secret: Some("very-secret".into()),
            ..Default::default()
        };
        assert!(a.options("source").unwrap().oauth.is_some());
        assert!(!format!("{a:?}").contains("very-secret"));
        assert!(!format!("{:?}", a.options("x").unwrap().oauth.unwrap()).contains("very-secret"));
        let both = RegistryAuth { user_info: Some("u:p".into()), bearer_token: Some("t".into()), ..Default::default() };
        assert!(both.options("source").unwrap_err().to_string().contains("one of"));
        let half = RegistryAuth { oauth_token_url: Some("https://idp".into()), ..Default::default() };
        assert!(half.options("destination").unwrap_err().to_string().contains("client id"));
        let key_only = RegistryAuth { key_file: Some("k.pem".into()), ..Default::default() };
        assert!(key_only.options("source").is_err());
        assert!(TokenSource::new(creds("ftp://idp", "s"), reqwest::Client::new()).is_err());
    }
}
