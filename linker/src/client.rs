//! A client for any Confluent-compatible Schema Registry REST API (Confluent, Karapace,
//! Apicurio ccompat, Redpanda, Lockstep), with basic auth, bearer tokens (static or OAuth2
//! client credentials), a client certificate (mTLS) and TLS trust options.

mod auth;
mod keys;

pub use auth::{OAuthClientCredentials, RegistryAuth};

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

const CT: &str = "application/vnd.schemaregistry.v1+json";
/// Characters escaped in a subject path segment (subjects may hold `/`).
const SEGMENT: &AsciiSet = &CONTROLS.add(b' ').add(b'/').add(b'%').add(b'?').add(b'#').add(b'"').add(b'<').add(b'>');

/// Largest CA/PEM file read (a bundle of a few hundred certificates).
pub const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// Who a registry is: `GET /v1/metadata/id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// `scope.clusters.schema-registry-cluster`.
    pub cluster_id: Option<String>,
    /// `lockstepInstanceId` (Lockstep registries only).
    pub instance_id: Option<String>,
}

impl Identity {
    /// The context AUTO gives this registry's subjects elsewhere: `.ls-…` for a Lockstep
    /// registry (its origin, recognised by later links), else named for its cluster id or URL.
    pub fn auto_context(&self, base: &str) -> String {
        match &self.instance_id {
            Some(id) => crate::provenance::origin_context(id),
            None => crate::mapping::auto_context(self.cluster_id.as_deref(), base),
        }
    }
}

/// A registry error: Confluent's `error_code` and message, or a transport failure.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("registry answered HTTP {status}, error_code {code}: {message}")]
    Registry { status: u16, code: i64, message: String },
    #[error("cannot reach registry: {0}")]
    Transport(#[from] reqwest::Error),
    /// No bearer token: the OAuth token endpoint failed or answered nonsense.
    #[error("cannot get a bearer token: {0}")]
    Token(String),
}

impl ClientError {
    /// Confluent's `error_code`, when the registry answered with one.
    pub fn code(&self) -> Option<i64> {
        match self {
            ClientError::Registry { code, .. } => Some(*code),
            ClientError::Transport(_) | ClientError::Token(_) => None,
        }
    }

    /// Worth retrying later: the registry could not be reached, timed out or failed (5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Transport(_) | ClientError::Token(_) => true,
            ClientError::Registry { status, .. } => *status >= 500 || *status == 408 || *status == 429,
        }
    }

    /// A 404 (any error_code).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ClientError::Registry { status: 404, .. })
    }
}

/// A schema reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub name: String,
    pub subject: String,
    pub version: i64,
}

/// A subject-version as `GET /subjects/{s}/versions/{v}` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i64,
    pub id: i64,
    #[serde(rename = "schemaType", default)]
    pub schema_type: Option<String>,
    #[serde(default)]
    pub references: Vec<Reference>,
    /// Data contracts: part of the schema's identity, carried across as they are.
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(rename = "ruleSet", default)]
    pub rule_set: Option<Value>,
    pub schema: String,
    /// Confluent 8.x marks soft-deleted versions; 7.x omits the field.
    #[serde(default)]
    pub deleted: Option<bool>,
}

/// Body of a registration (explicit `id`/`version` for IMPORT mode).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Registration {
    pub schema: String,
    #[serde(rename = "schemaType", skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(rename = "ruleSet", skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// One record of Lockstep's change feed (`GET /lockstep/changes`).
#[derive(Debug, Clone, Deserialize)]
pub struct Change {
    pub offset: u64,
    pub key: Value,
    #[serde(default)]
    pub value: Value,
}

/// A page of the change feed.
#[derive(Debug, Clone, Deserialize)]
pub struct Changes {
    pub records: Vec<Change>,
    pub next: u64,
}

/// How to reach a registry: credentials and TLS.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// `user:password` for HTTP basic auth (Confluent's `basic.auth.user.info`).
    pub user_info: Option<String>,
    /// A static bearer token (Confluent's `bearer.auth.token`); used when `user_info` is not set.
    pub bearer_token: Option<String>,
    /// Bearer tokens from an OAuth2 token endpoint (client credentials), cached until shortly
    /// before they expire; used when neither `user_info` nor `bearer_token` is set.
    pub oauth: Option<OAuthClientCredentials>,
    /// Client certificate chain (PEM file) presented for mTLS, with `key_file`.
    pub cert_file: Option<PathBuf>,
    /// The unencrypted PEM private key of `cert_file`.
    pub key_file: Option<PathBuf>,
    /// Client certificate chain and key as PEM text (inline, instead of the files).
    pub identity_pem: Option<Vec<u8>>,
    /// PEM file with CA certificates to trust in addition to the built-in roots.
    pub ca_file: Option<PathBuf>,
    /// PEM text of CA certificates (inline, instead of a file).
    pub ca_pem: Option<Vec<u8>>,
    /// Accept any server certificate (testing only).
    pub insecure: bool,
    /// Per-request timeout (long polls add their own wait). Default 30 s.
    pub timeout: Option<Duration>,
    /// At most this many requests per second to this registry (None: no limit).
    pub max_requests_per_second: Option<f64>,
}

/// The client certificate chain and key as one PEM buffer (key first), if configured.
fn client_identity_pem(opts: &ClientOptions) -> anyhow::Result<Option<Vec<u8>>> {
    match (&opts.cert_file, &opts.key_file, &opts.identity_pem) {
        (Some(_), Some(_), Some(_)) => anyhow::bail!("give the client certificate as files or inline, not both"),
        (Some(cert), Some(key), None) => {
            let read = |p: &PathBuf, what: &str| {
                crate::provenance::read_bounded(p, MAX_PEM_BYTES)
                    .map_err(|e| anyhow::anyhow!("cannot read client {what} file {}: {e}", p.display()))
            };
            let mut pem = read(key, "key")?;
            pem.push(b'\n');
            pem.extend(read(cert, "certificate")?);
            Ok(Some(pem))
        }
        (None, None, pem) => Ok(pem.clone()),
        _ => anyhow::bail!("a client certificate needs both the certificate file and the key file"),
    }
}

/// Spaces requests evenly: at most `per_sec` per second, shared by every clone of a client.
#[derive(Debug)]
struct Pacer {
    gap: Duration,
    next: parking_lot::Mutex<tokio::time::Instant>,
}

impl Pacer {
    fn new(per_sec: f64) -> Option<Self> {
        (per_sec.is_finite() && per_sec > 0.0).then(|| Self {
            gap: Duration::from_secs_f64(1.0 / per_sec.min(1e6)),
            next: parking_lot::Mutex::new(tokio::time::Instant::now()),
        })
    }

    /// Wait for this request's turn.
    async fn wait(&self) {
        let at = {
            let mut next = self.next.lock();
            let at = (*next).max(tokio::time::Instant::now());
            *next = at + self.gap;
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

/// A client bound to one registry base URL (which may carry a `/contexts/.ctx` prefix).
#[derive(Clone)]
pub struct RegistryClient {
    base: String,
    http: reqwest::Client,
    auth: Option<(String, Option<String>)>,
    bearer: Option<String>,
    oauth: Option<Arc<auth::TokenSource>>,
    pacer: Option<Arc<Pacer>>,
    /// Requests sent by this client and its clones.
    sent: Arc<AtomicU64>,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient").field("base", &self.base).finish_non_exhaustive()
    }
}

impl RegistryClient {
    /// A client with default options (no auth, system TLS roots).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::Client::new(),
            auth: None,
            bearer: None,
            oauth: None,
            pacer: None,
            sent: Arc::default(),
        }
    }

    /// A client with credentials and TLS settings.
    pub fn with_options(base: &str, opts: &ClientOptions) -> anyhow::Result<Self> {
        let mut b = reqwest::Client::builder()
            .timeout(opts.timeout.unwrap_or(Duration::from_secs(30)))
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true);
        if let Some(path) = &opts.ca_file {
            let pem = crate::provenance::read_bounded(path, MAX_PEM_BYTES)
                .map_err(|e| anyhow::anyhow!("cannot read CA file {}: {e}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| anyhow::anyhow!("CA file {} holds no usable PEM certificate", path.display()))?;
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        if let Some(pem) = &opts.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| anyhow::anyhow!("the inline CA certificates hold no usable PEM certificate"))?;
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        if let Some(pem) = client_identity_pem(opts)? {
            let id = reqwest::Identity::from_pem(&pem).map_err(|e| {
                anyhow::anyhow!(
                    "the client certificate and key do not make a TLS identity (the key must be an unencrypted PEM \
                     PKCS#8, PKCS#1 or SEC1 key): {e}"
                )
            })?;
            b = b.identity(id);
        }
        if opts.insecure {
            b = b.danger_accept_invalid_certs(true);
        }
        let http = b.build().map_err(|e| anyhow::anyhow!("cannot build HTTP client: {e}"))?;
        let oauth = match &opts.oauth {
            Some(creds) if opts.user_info.is_none() && opts.bearer_token.is_none() => {
                Some(Arc::new(auth::TokenSource::new(creds.clone(), http.clone())?))
            }
            _ => None,
        };
        let auth = match &opts.user_info {
            None => None,
            Some(ui) => match ui.split_once(':') {
                Some((u, p)) => Some((u.to_string(), Some(p.to_string()))),
                None => Some((ui.clone(), None)),
            },
        };
        let base = base.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            anyhow::bail!("registry URL must start with http:// or https://, not '{base}'");
        }
        let pacer = opts.max_requests_per_second.and_then(Pacer::new).map(Arc::new);
        Ok(Self {
            base: base.to_string(),
            http,
            auth,
            bearer: opts.bearer_token.clone(),
            oauth,
            pacer,
            sent: Arc::default(),
        })
    }

    /// Tokens this client (and its clones) fetched from its OAuth token endpoint.
    pub fn tokens_fetched(&self) -> u64 {
        self.oauth.as_ref().map_or(0, |o| o.fetches())
    }

    /// Limit this client (and its clones) to `per_sec` requests per second (None: no limit).
    pub fn with_rate_limit(mut self, per_sec: Option<f64>) -> Self {
        self.pacer = per_sec.and_then(Pacer::new).map(Arc::new);
        self
    }

    /// Requests sent so far by this client and its clones.
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Send a request, paced by the rate limit, with an OAuth bearer token when configured (a
    /// token the registry refuses with 401 is replaced and the request sent once more).
    async fn send(&self, r: reqwest::RequestBuilder) -> Result<reqwest::Response, ClientError> {
        if let Some(p) = &self.pacer {
            p.wait().await;
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        let Some(oauth) = &self.oauth else { return Ok(r.send().await?) };
        let token = oauth.token().await?;
        let again = r.try_clone();
        let resp = r.bearer_auth(&token).send().await?;
        match again {
            Some(again) if resp.status() == reqwest::StatusCode::UNAUTHORIZED => {
                oauth.invalidate(&token).await;
                let token = oauth.token().await?;
                self.sent.fetch_add(1, Ordering::Relaxed);
                Ok(again.bearer_auth(&token).send().await?)
            }
            _ => Ok(resp),
        }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn subject_path(subject: &str) -> String {
        utf8_percent_encode(subject, SEGMENT).to_string()
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(method, self.url(path)).header("Accept", CT);
        match (&self.auth, &self.bearer) {
            (Some((u, p)), _) => r.basic_auth(u, p.as_deref()),
            (None, Some(token)) => r.bearer_auth(token),
            (None, None) => r,
        }
    }

    async fn decode<T: for<'de> Deserialize<'de>>(resp: reqwest::Response) -> Result<T, ClientError> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp.json::<T>().await?);
        }
        let text = resp.text().await.unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let message = match body["message"].as_str() {
            Some(m) => m.to_string(),
            None => text.chars().take(200).collect(),
        };
        Err(ClientError::Registry {
            status: status.as_u16(),
            code: body["error_code"].as_i64().unwrap_or(i64::from(status.as_u16())),
            message,
        })
    }

    async fn get<T: for<'de> Deserialize<'de>>(&self, path: &str) -> Result<T, ClientError> {
        Self::decode(self.send(self.req(reqwest::Method::GET, path)).await?).await
    }

    async fn send_json<T: for<'de> Deserialize<'de>>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        Self::decode(self.send(self.req(method, path).header("Content-Type", CT).json(body)).await?).await
    }

    /// `GET path` (with its query) as JSON, for calls without a typed helper.
    pub async fn get_json(&self, path: &str) -> Result<Value, ClientError> {
        self.get(path).await
    }

    /// `POST path` with a JSON body, for calls without a typed helper.
    pub async fn post_json(&self, path: &str, body: &Value) -> Result<Value, ClientError> {
        self.send_json(reqwest::Method::POST, path, body).await
    }

    /// `GET /subjects` (all contexts).
    pub async fn subjects(&self) -> Result<Vec<String>, ClientError> {
        Ok(self.get::<Option<Vec<String>>>("/subjects").await?.unwrap_or_default())
    }

    /// `GET /subjects?subjectPrefix=…&deleted=…`; `prefix` None = the registry's default listing.
    pub async fn subjects_with(&self, prefix: Option<&str>, deleted: bool) -> Result<Vec<String>, ClientError> {
        let mut path = format!("/subjects?deleted={deleted}");
        if let Some(p) = prefix {
            path.push_str("&subjectPrefix=");
            path.push_str(&utf8_percent_encode(p, SEGMENT).to_string().replace('&', "%26").replace('+', "%2B"));
        }
        // Some registries answer `null` for an empty list.
        Ok(self.get::<Option<Vec<String>>>(&path).await?.unwrap_or_default())
    }

    /// One page of `GET /schemas?subjectPrefix=…&deleted=…&offset=…&limit=…`: every version of
    /// every subject in the scope (`prefix` None = the default context) with its id and schema.
    pub async fn schemas_page(
        &self,
        prefix: Option<&str>,
        deleted: bool,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<SubjectVersion>, ClientError> {
        let mut path = format!("/schemas?deleted={deleted}&offset={offset}&limit={limit}");
        if let Some(p) = prefix {
            path.push_str("&subjectPrefix=");
            path.push_str(&utf8_percent_encode(p, SEGMENT).to_string().replace('&', "%26").replace('+', "%2B"));
        }
        Ok(self.get::<Option<Vec<SubjectVersion>>>(&path).await?.unwrap_or_default())
    }

    /// `GET /subjects/{s}/versions`.
    pub async fn versions(&self, subject: &str) -> Result<Vec<i64>, ClientError> {
        self.get(&format!("/subjects/{}/versions", Self::subject_path(subject))).await
    }

    /// `GET /subjects/{s}/versions?deleted=…`; an unknown subject is an empty list.
    pub async fn versions_with(&self, subject: &str, deleted: bool) -> Result<Vec<i64>, ClientError> {
        let path = format!("/subjects/{}/versions?deleted={deleted}", Self::subject_path(subject));
        match self.get::<Option<Vec<i64>>>(&path).await {
            Err(e) if e.code() == Some(40401) => Ok(Vec::new()),
            r => r.map(Option::unwrap_or_default),
        }
    }

    /// `GET /subjects/{s}/versions/{v}` (`v` a number or `latest`).
    pub async fn version(&self, subject: &str, version: &str) -> Result<SubjectVersion, ClientError> {
        self.get(&format!("/subjects/{}/versions/{version}", Self::subject_path(subject))).await
    }

    /// `GET /subjects/{s}/versions/{v}?deleted=true`: also a soft-deleted version. None when absent.
    pub async fn version_any(&self, subject: &str, version: i64) -> Result<Option<SubjectVersion>, ClientError> {
        match self.get(&format!("/subjects/{}/versions/{version}?deleted=true", Self::subject_path(subject))).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if matches!(e.code(), Some(40401 | 40402)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /schemas/ids/{id}` → the schema text.
    pub async fn schema_by_id(&self, id: i64) -> Result<String, ClientError> {
        let v: Value = self.get(&format!("/schemas/ids/{id}")).await?;
        Ok(v["schema"].as_str().unwrap_or_default().to_string())
    }

    /// `GET /schemas/ids/{id}` as the registry answers it (`schema`, `schemaType`, `references`).
    pub async fn schema_entity(&self, id: i64) -> Result<Value, ClientError> {
        self.get(&format!("/schemas/ids/{id}")).await
    }

    /// `GET /schemas/ids/{id}/versions` → the (subject, version) pairs using the id.
    pub async fn subject_versions_of_id(&self, id: i64) -> Result<Vec<(String, i64)>, ClientError> {
        let v: Value = self.get(&format!("/schemas/ids/{id}/versions")).await?;
        Ok(v.as_array()
            .map(|a| {
                a.iter().filter_map(|e| Some((e["subject"].as_str()?.to_string(), e["version"].as_i64()?))).collect()
            })
            .unwrap_or_default())
    }

    /// `POST /subjects/{s}` (lookup) → the version registered with this schema.
    pub async fn lookup(&self, subject: &str, reg: &Registration) -> Result<SubjectVersion, ClientError> {
        let path = format!("/subjects/{}", Self::subject_path(subject));
        self.send_json(reqwest::Method::POST, &path, reg).await
    }

    /// `POST /subjects/{s}/versions` → the id.
    pub async fn register(&self, subject: &str, reg: &Registration) -> Result<i64, ClientError> {
        let path = format!("/subjects/{}/versions", Self::subject_path(subject));
        let v: Value = self.send_json(reqwest::Method::POST, &path, reg).await?;
        Ok(v["id"].as_i64().unwrap_or_default())
    }

    /// `DELETE /subjects/{s}/versions/{v}[?permanent=true]`.
    pub async fn delete_version(&self, subject: &str, version: i64, permanent: bool) -> Result<(), ClientError> {
        let path = format!("/subjects/{}/versions/{version}?permanent={permanent}", Self::subject_path(subject));
        let _: Value = Self::decode(self.send(self.req(reqwest::Method::DELETE, &path)).await?).await?;
        Ok(())
    }

    /// `DELETE /subjects/{s}[?permanent=true]`.
    pub async fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i64>, ClientError> {
        let path = format!("/subjects/{}?permanent={permanent}", Self::subject_path(subject));
        Self::decode(self.send(self.req(reqwest::Method::DELETE, &path)).await?).await
    }

    /// `POST /compatibility/subjects/{s}/versions`: the registry's own check at the subject's
    /// level against the versions that level selects. Returns the messages (empty = compatible).
    /// An invalid schema is an error (42201): the verbose form would report it as incompatible,
    /// so messages are fetched only once the plain check says incompatible.
    pub async fn check_compatibility(&self, subject: &str, reg: &Registration) -> Result<Vec<String>, ClientError> {
        let path = format!("/compatibility/subjects/{}/versions", Self::subject_path(subject));
        let v: Value = self.send_json(reqwest::Method::POST, &format!("{path}?verbose=false"), reg).await?;
        if v["is_compatible"].as_bool().unwrap_or(false) {
            return Ok(Vec::new());
        }
        let v: Value = self.send_json(reqwest::Method::POST, &format!("{path}?verbose=true"), reg).await?;
        let messages: Vec<String> = v["messages"]
            .as_array()
            .map(|m| m.iter().filter_map(|x| x.as_str().map(String::from)).collect())
            .unwrap_or_default();
        Ok(if messages.is_empty() { vec!["incompatible".to_string()] } else { messages })
    }

    fn scoped(resource: &str, subject: Option<&str>) -> String {
        match subject {
            Some(s) => format!("/{resource}/{}", Self::subject_path(s)),
            None => format!("/{resource}"),
        }
    }

    /// `PUT /mode/{s}` (or `/mode` for None), with `force`.
    pub async fn set_mode(&self, subject: Option<&str>, mode: &str, force: bool) -> Result<(), ClientError> {
        let path = format!("{}?force={force}", Self::scoped("mode", subject));
        let _: Value = self.send_json(reqwest::Method::PUT, &path, &serde_json::json!({ "mode": mode })).await?;
        Ok(())
    }

    /// `GET /mode/{s}`: the mode set at that level (None when none is), or with
    /// `effective` the mode in force (`defaultToGlobal=true`). `/mode` for None.
    pub async fn get_mode(&self, subject: Option<&str>, effective: bool) -> Result<Option<String>, ClientError> {
        let path = format!("{}?defaultToGlobal={effective}", Self::scoped("mode", subject));
        match self.get::<Value>(&path).await {
            Ok(v) => Ok(v["mode"].as_str().map(String::from)),
            Err(e) if matches!(e.code(), Some(40401 | 40409)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `DELETE /mode/{s}`; nothing set is not an error.
    pub async fn delete_mode(&self, subject: Option<&str>) -> Result<(), ClientError> {
        match Self::decode::<Value>(self.send(self.req(reqwest::Method::DELETE, &Self::scoped("mode", subject))).await?)
            .await
        {
            Err(e) if matches!(e.code(), Some(40401 | 40409)) => Ok(()),
            r => r.map(|_| ()),
        }
    }

    /// `GET /config/{s}`: the config set at that level (None when none is), or with `effective`
    /// the config in force. `/config` (global, always effective) for None.
    pub async fn get_config(
        &self,
        subject: Option<&str>,
        effective: bool,
    ) -> Result<Option<Map<String, Value>>, ClientError> {
        let path = format!("{}?defaultToGlobal={effective}", Self::scoped("config", subject));
        match self.get::<Map<String, Value>>(&path).await {
            Ok(m) => Ok(Some(m)),
            Err(e) if matches!(e.code(), Some(40401 | 40408)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `PUT /config/{s}` with a request body (`compatibility`, …).
    pub async fn put_config(&self, subject: Option<&str>, body: &Map<String, Value>) -> Result<(), ClientError> {
        let _: Value = self.send_json(reqwest::Method::PUT, &Self::scoped("config", subject), body).await?;
        Ok(())
    }

    /// `DELETE /config/{s}`; nothing set is not an error.
    pub async fn delete_config(&self, subject: Option<&str>) -> Result<(), ClientError> {
        match Self::decode::<Value>(
            self.send(self.req(reqwest::Method::DELETE, &Self::scoped("config", subject))).await?,
        )
        .await
        {
            Err(e) if matches!(e.code(), Some(40401 | 40408)) => Ok(()),
            r => r.map(|_| ()),
        }
    }

    /// `GET /v1/metadata/id` → the schema-registry cluster id, if the registry says one.
    pub async fn cluster_id(&self) -> Result<Option<String>, ClientError> {
        Ok(self.identity().await?.cluster_id)
    }

    /// `GET /v1/metadata/id` → cluster id and (Lockstep) instance id.
    pub async fn identity(&self) -> Result<Identity, ClientError> {
        let v: Value = self.get("/v1/metadata/id").await?;
        Ok(Identity {
            cluster_id: v["scope"]["clusters"]["schema-registry-cluster"].as_str().map(String::from),
            instance_id: v["lockstepInstanceId"]
                .as_str()
                .filter(|s| crate::provenance::is_instance_id(s))
                .map(String::from),
        })
    }

    /// AUTO's context for this registry (see [`Identity::auto_context`]); an unreachable or
    /// silent registry is named for its URL.
    pub async fn auto_context(&self) -> String {
        self.identity().await.unwrap_or_default().auto_context(&self.base)
    }

    /// Lockstep's change feed: records at offsets ≥ `from`, waiting up to `timeout_ms` for one.
    /// None when the registry has no feed (not Lockstep: 404).
    pub async fn changes(&self, from: u64, limit: usize, timeout_ms: u64) -> Result<Option<Changes>, ClientError> {
        let path = format!("/lockstep/changes?from={from}&limit={limit}&timeoutMs={timeout_ms}");
        let mut r = self.req(reqwest::Method::GET, &path);
        if timeout_ms > 0 {
            r = r.timeout(Duration::from_millis(timeout_ms) + Duration::from_secs(30));
        }
        match Self::decode(self.send(r).await?).await {
            Ok(c) => Ok(Some(c)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn start() -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let reg = registry::open_file_registry(dir.path(), registry::RegistryConfig::default()).unwrap();
        let (listener, addr) = registry::bind("127.0.0.1:0").await.unwrap();
        tokio::spawn(registry::serve(listener, reg, std::future::pending()));
        (dir, format!("http://{addr}"))
    }

    #[tokio::test]
    async fn copies_a_version_with_its_id_into_an_import_mode_registry() {
        let (_a, src_url) = start().await;
        let (_b, dst_url) = start().await;
        let src = RegistryClient::new(&src_url);
        let dst = RegistryClient::new(&dst_url);
        let schema = r#"{"type":"record","name":"T","fields":[{"name":"a","type":"int"}]}"#.to_string();
        // Take id 1 on the source with a throwaway schema so the copied id is 2, not a coincidence.
        src.register("other/x", &Registration { schema: "\"string\"".into(), ..Default::default() }).await.unwrap();
        let id = src.register("a/b", &Registration { schema: schema.clone(), ..Default::default() }).await.unwrap();
        assert_eq!(id, 2);
        let v = src.version("a/b", "latest").await.unwrap();

        // Registering with an id needs IMPORT mode.
        let import =
            Registration { schema: v.schema.clone(), id: Some(v.id), version: Some(v.version), ..Default::default() };
        let err = dst.register("a/b", &import).await.unwrap_err();
        assert_eq!(err.code(), Some(42205));
        dst.set_mode(None, "IMPORT", false).await.unwrap();
        let got = dst.register("a/b", &import).await.unwrap();
        assert_eq!(got, 2);
        assert_eq!(dst.schema_by_id(2).await.unwrap(), v.schema);
        assert_eq!(dst.versions("a/b").await.unwrap(), vec![1]);
        assert_eq!(dst.subjects().await.unwrap(), vec!["a/b".to_string()]);
        // Nothing is overwritten: id 2 with another schema is refused.
        let err = dst
            .register("c", &Registration { schema: "\"int\"".into(), id: Some(2), ..Default::default() })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(42205));
    }

    #[tokio::test]
    async fn unreachable_registry_is_a_transport_error() {
        let c = RegistryClient::new("http://127.0.0.1:1");
        let e = c.subjects().await.unwrap_err();
        assert!(matches!(e, ClientError::Transport(_)));
        assert!(e.is_transient());
    }

    #[test]
    fn options_reject_a_url_without_scheme_and_a_missing_ca_file() {
        assert!(RegistryClient::with_options("localhost:8081", &ClientOptions::default()).is_err());
        let opts = ClientOptions { ca_file: Some("/nonexistent/ca.pem".into()), ..Default::default() };
        assert!(RegistryClient::with_options("https://x", &opts).is_err());
        let opts = ClientOptions { user_info: Some("u:p:w".into()), insecure: true, ..Default::default() };
        let c = RegistryClient::with_options("https://x/", &opts).unwrap();
        assert_eq!(c.base(), "https://x");
        assert_eq!(c.auth, Some(("u".to_string(), Some("p:w".to_string()))));
    }
}
