//! Confluent's Schema Linking API (`/exporters`) in process: each exporter is a link whose
//! source is this registry (over HTTP at `self_url`) and whose destination is the registry in
//! its `config` (`schema.registry.url`; credentials as Confluent's clients name them: basic
//! `basic.auth.user.info`, bearer `bearer.auth.token` or the OAuth client-credentials
//! `bearer.auth.*` keys; TLS `schema.registry.ssl.*`, with a PEM client certificate for mTLS).
//! Secrets read back masked.
//!
//! With the embedded store, exporters and their state live under `state_dir` (`<name>.json` +
//! `<name>.state.json`) and survive restarts: RUNNING exporters start again, PAUSED and ERROR
//! ones wait for `resume`. With several nodes on a Kafka store ([`cluster`]), they live in the
//! cluster's coordination topic: managed from any node, run by the elected leader only.

mod cluster;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::{watch, Mutex};

use crate::client::{ClientOptions, OAuthClientCredentials, RegistryClient};
use crate::engine::{Link, LinkConfig};
use crate::mapping::{auto_context, valid_context, ContextType, Mapping};
use crate::state::{write_atomically, RunState, StateFile};

const V1_JSON: &str = "application/vnd.schemaregistry.v1+json";
/// Most exporters one registry runs (40964 beyond).
pub const MAX_EXPORTERS: usize = 100;

/// An exporter as `GET /exporters/{name}` shows it (Confluent's ExporterInfo).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExporterInfo {
    pub name: String,
    pub subjects: Vec<String>,
    pub context_type: ContextType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    pub subject_rename_format: String,
    pub config: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Saved {
    info: ExporterInfo,
    paused: bool,
}

struct Exporter {
    info: ExporterInfo,
    /// In a cluster: the config's run and reset generations this link was started for.
    run: u64,
    reset: u64,
    link: Arc<Link>,
    run_task: Option<(watch::Sender<bool>, tokio::task::JoinHandle<()>)>,
}

/// An API error: HTTP status + Confluent error code.
#[derive(Debug)]
pub struct ExporterError {
    status: StatusCode,
    code: u32,
    message: String,
}

impl ExporterError {
    fn conflict(code: u32, message: impl Into<String>) -> Self {
        Self { status: StatusCode::CONFLICT, code, message: message.into() }
    }
    fn not_found(name: &str) -> Self {
        Self { status: StatusCode::NOT_FOUND, code: 40450, message: format!("Exporter '{name}' not found.") }
    }
    fn http(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, code: u32::from(status.as_u16()), message: message.into() }
    }
    fn internal(message: impl std::fmt::Display) -> Self {
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, code: 50001, message: message.to_string() }
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(V1_JSON));
    r
}

impl IntoResponse for ExporterError {
    fn into_response(self) -> Response {
        json_response(self.status, &json!({ "error_code": self.code, "message": self.message }))
    }
}

type ApiResult = Result<Response, ExporterError>;

fn ok(body: Value) -> ApiResult {
    Ok(json_response(StatusCode::OK, &body))
}

/// What anonymous `/exporters` callers may make this registry do.
#[derive(Debug, Clone, Default)]
pub struct ExporterOptions {
    /// The only directory `schema.registry.ssl.ca.location` may name a file in. None (the
    /// default): no local files at all, CA certificates only inline
    /// (`schema.registry.ssl.truststore.certificates`).
    pub file_dir: Option<PathBuf>,
    /// URL prefixes `schema.registry.url` must start with. Empty (the default): any URL.
    pub allowed_destinations: Vec<String>,
    /// How exporters reach this registry itself (their source): the internal bearer token when
    /// authentication is on, and TLS settings for its own listener.
    pub self_client: ClientOptions,
    /// The registry cluster (Kafka store): exporters live in its coordination topic and run on
    /// its leader only. None: one node, exporters in `state_dir`.
    pub cluster: Option<Arc<registry::cluster::Cluster>>,
}

/// Config keys whose values are secrets: shown as [`HIDDEN`] on read.
const SECRET_KEYS: &[&str] =
    &["basic.auth.user.info", "bearer.auth.token", "bearer.auth.client.secret", "schema.registry.ssl.keystore.key"];
/// What a secret reads as (Kafka's and Confluent's mask).
pub const HIDDEN: &str = "[hidden]";

fn is_secret(key: &str) -> bool {
    SECRET_KEYS.contains(&key) || key.contains("password")
}

/// Apply a config update: `null` removes a key, and a masked secret sent back unchanged keeps
/// the secret.
fn merge_config(config: &mut BTreeMap<String, String>, update: impl IntoIterator<Item = (String, Value)>) {
    for (k, v) in update {
        if v.is_null() {
            config.remove(&k);
        } else if !(is_secret(&k) && v.as_str() == Some(HIDDEN)) {
            config.insert(k, v.as_str().map(String::from).unwrap_or_else(|| v.to_string()));
        }
    }
}

fn masked(config: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    config.iter().map(|(k, v)| (k.clone(), if is_secret(k) { HIDDEN.to_string() } else { v.clone() })).collect()
}

/// All exporters of this registry.
pub struct ExporterManager {
    dir: PathBuf,
    self_url: String,
    options: ExporterOptions,
    exporters: Mutex<BTreeMap<String, Exporter>>,
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 200
        && n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !n.starts_with('.')
}

impl ExporterManager {
    /// Load the exporters saved under `state_dir` and start those not paused or in error.
    /// Must be called inside a tokio runtime. `self_url` is this registry's own URL.
    pub async fn open(state_dir: &Path, self_url: String) -> anyhow::Result<Arc<ExporterManager>> {
        Self::open_with(state_dir, self_url, ExporterOptions::default()).await
    }

    /// [`ExporterManager::open`] with options (allowed file directory and destinations).
    pub async fn open_with(
        state_dir: &Path,
        self_url: String,
        options: ExporterOptions,
    ) -> anyhow::Result<Arc<ExporterManager>> {
        std::fs::create_dir_all(state_dir)
            .map_err(|e| anyhow::anyhow!("cannot create exporter directory {}: {e}", state_dir.display()))?;
        let mgr = Arc::new(ExporterManager {
            dir: state_dir.to_path_buf(),
            self_url: self_url.trim_end_matches('/').to_string(),
            options,
            exporters: Mutex::new(BTreeMap::new()),
        });
        let mut entries: Vec<PathBuf> = std::fs::read_dir(state_dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && !p.file_name().is_some_and(|n| n.to_string_lossy().ends_with(".state.json"))
            })
            .collect();
        entries.sort();
        if let Some(c) = mgr.options.cluster.clone() {
            tokio::spawn(cluster::reconcile_loop(mgr.clone(), c, entries));
            return Ok(mgr);
        }
        let mut map = mgr.exporters.lock().await;
        for path in entries {
            let saved: Saved =
                match std::fs::read(&path).map_err(anyhow::Error::from).and_then(|b| Ok(serde_json::from_slice(&b)?)) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!("skipping exporter file {}: {e}", path.display());
                        continue;
                    }
                };
            let link = mgr.build_link(&saved.info).await?;
            let state = link.status().state;
            let mut ex = Exporter { info: saved.info.clone(), run: 0, reset: 0, link, run_task: None };
            if saved.paused {
                ex.link.set_state(RunState::Paused, None);
            } else if state != RunState::Error {
                start(&mut ex);
            }
            map.insert(saved.info.name.clone(), ex);
        }
        drop(map);
        Ok(mgr)
    }

    fn info_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    fn state_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.state.json"))
    }

    /// A client for this registry itself.
    fn self_client(&self) -> anyhow::Result<RegistryClient> {
        RegistryClient::with_options(&self.self_url, &self.options.self_client)
    }

    fn save(&self, info: &ExporterInfo, paused: bool) -> Result<(), ExporterError> {
        let saved = Saved { info: info.clone(), paused };
        let bytes = serde_json::to_vec_pretty(&saved).map_err(ExporterError::internal)?;
        write_atomically(&self.info_path(&info.name), &bytes).map_err(ExporterError::internal)
    }

    async fn build_link(&self, info: &ExporterInfo) -> anyhow::Result<Arc<Link>> {
        self.build_link_with(info, StateFile::new(Some(self.state_path(&info.name)))).await
    }

    async fn build_link_with(&self, info: &ExporterInfo, state: StateFile) -> anyhow::Result<Arc<Link>> {
        let src = self.self_client()?;
        let dst = destination_client(&info.config, &self.options).map_err(|e| anyhow::anyhow!(e.message))?;
        let within_registry = dst.is_none();
        let mut cfg = LinkConfig::new(src.clone(), dst.unwrap_or(src));
        cfg.within_registry = within_registry;
        cfg.subjects = info.subjects.clone();
        cfg.context_type = info.context_type;
        cfg.context = info.context.clone();
        cfg.rename_format = info.subject_rename_format.clone();
        cfg.concurrency = 16;
        Link::open(cfg, state).await
    }
}

fn start(ex: &mut Exporter) {
    let (tx, rx) = watch::channel(false);
    let link = ex.link.clone();
    let handle = tokio::spawn(async move {
        let _ = link.run(rx).await;
    });
    ex.run_task = Some((tx, handle));
}

/// Stop the exporter's task (if any) and wait for it.
async fn stop(ex: &mut Exporter) {
    if let Some((tx, handle)) = ex.run_task.take() {
        let _ = tx.send(true);
        let abort = handle.abort_handle();
        if tokio::time::timeout(Duration::from_secs(10), handle).await.is_err() {
            abort.abort();
        }
    }
}

fn is_running(ex: &Exporter) -> bool {
    ex.run_task.as_ref().is_some_and(|(_, h)| !h.is_finished())
}

/// The destination of an exporter's config; None without `schema.registry.url` (an export
/// within this registry, from context to context, as Confluent's exporters do).
fn destination_client(
    config: &BTreeMap<String, String>,
    options: &ExporterOptions,
) -> Result<Option<RegistryClient>, ExporterError> {
    let invalid = |m: String| ExporterError::conflict(40951, format!("Missing or invalid exporter config: {m}"));
    let Some(url) = config.get("schema.registry.url").and_then(|u| u.split(',').map(str::trim).find(|u| !u.is_empty()))
    else {
        return Ok(None);
    };
    if !options.allowed_destinations.is_empty()
        && !options.allowed_destinations.iter().any(|p| url.starts_with(p.as_str()))
    {
        return Err(invalid(format!("schema.registry.url {url} is not an allowed destination")));
    }
    let user_info = match config.get("basic.auth.credentials.source").map(|s| s.to_ascii_uppercase()) {
        None => config.get("basic.auth.user.info").cloned(),
        Some(s) if s == "USER_INFO" => config.get("basic.auth.user.info").cloned(),
        Some(s) => return Err(invalid(format!("basic.auth.credentials.source {s} is not supported (USER_INFO)"))),
    };
    let ca_file = match config.get("schema.registry.ssl.ca.location") {
        None => None,
        Some(p) => Some(allowed_file(p, options).ok_or_else(|| {
            // The same answer whether or not the file exists: no probing of local paths.
            invalid("schema.registry.ssl.ca.location must name a file in the directory allowed for exporter files (or use schema.registry.ssl.truststore.certificates with inline PEM)".into())
        })?),
    };
    let mut oauth = None;
    let bearer_token = match config.get("bearer.auth.credentials.source").map(|s| s.to_ascii_uppercase()) {
        None => None,
        Some(s) if s == "STATIC_TOKEN" => Some(
            config.get("bearer.auth.token").cloned().ok_or_else(|| invalid("bearer.auth.token is missing".into()))?,
        ),
        Some(s) if s == "OAUTHBEARER" => {
            let need = |k: &str| config.get(k).cloned().ok_or_else(|| invalid(format!("{k} is missing (OAUTHBEARER)")));
            oauth = Some(OAuthClientCredentials {
                token_url: need("bearer.auth.issuer.endpoint.url")?,
                client_id: need("bearer.auth.client.id")?,
                client_secret: need("bearer.auth.client.secret")?,
                scope: config.get("bearer.auth.scope").cloned(),
            });
            None
        }
        Some(s) => {
            return Err(invalid(format!(
                "bearer.auth.credentials.source {s} is not supported (STATIC_TOKEN, OAUTHBEARER)"
            )))
        }
    };
    if user_info.is_some() && (bearer_token.is_some() || oauth.is_some()) {
        return Err(invalid("give basic.auth.* or bearer.auth.*, not both".into()));
    }
    // A client certificate (mTLS): PEM only, inline or as files in the allowed directory.
    if let Some(t) = config.get("schema.registry.ssl.keystore.type").filter(|t| !t.eq_ignore_ascii_case("PEM")) {
        return Err(invalid(format!(
            "schema.registry.ssl.keystore.type {t} is not supported: give the client certificate as PEM \
             (schema.registry.ssl.keystore.certificate.chain + schema.registry.ssl.keystore.key)"
        )));
    }
    for k in ["schema.registry.ssl.keystore.location", "schema.registry.ssl.key.password"] {
        if config.contains_key(k) {
            return Err(invalid(format!(
                "{k} is not supported: give an unencrypted PEM client certificate and key \
                 (schema.registry.ssl.keystore.certificate.chain + schema.registry.ssl.keystore.key, or \
                 schema.registry.ssl.certificate.location + schema.registry.ssl.key.location)"
            )));
        }
    }
    let identity_pem = match (
        config.get("schema.registry.ssl.keystore.certificate.chain"),
        config.get("schema.registry.ssl.keystore.key"),
    ) {
        (None, None) => None,
        (Some(chain), Some(key)) => Some(format!("{key}\n{chain}").into_bytes()),
        _ => {
            return Err(invalid(
                "schema.registry.ssl.keystore.certificate.chain and schema.registry.ssl.keystore.key go together"
                    .into(),
            ))
        }
    };
    let file = |k: &str| match config.get(k) {
        None => Ok(None),
        Some(p) => allowed_file(p, options)
            .map(Some)
            .ok_or_else(|| invalid(format!("{k} must name a file in the directory allowed for exporter files"))),
    };
    let (cert_file, key_file) =
        (file("schema.registry.ssl.certificate.location")?, file("schema.registry.ssl.key.location")?);
    if identity_pem.is_some() && (cert_file.is_some() || key_file.is_some()) {
        return Err(invalid("give the client certificate inline or as files, not both".into()));
    }
    let opts = ClientOptions {
        user_info,
        bearer_token,
        oauth,
        cert_file,
        key_file,
        identity_pem,
        ca_file,
        ca_pem: config.get("schema.registry.ssl.truststore.certificates").map(|p| p.as_bytes().to_vec()),
        insecure: config.get("lockstep.ssl.insecure").is_some_and(|v| v.eq_ignore_ascii_case("true")),
        timeout: None,
        max_requests_per_second: match config.get("lockstep.max.requests.per.second") {
            None => None,
            Some(v) => Some(v.trim().parse::<f64>().ok().filter(|r| r.is_finite() && *r > 0.0).ok_or_else(|| {
                invalid(format!("lockstep.max.requests.per.second must be a positive number, not '{v}'"))
            })?),
        },
    };
    RegistryClient::with_options(url, &opts).map(Some).map_err(|e| invalid(format!("{e}")))
}

/// `path` resolved inside the allowed directory (None: no directory allowed, outside it, or
/// missing — one answer for all).
fn allowed_file(path: &str, options: &ExporterOptions) -> Option<PathBuf> {
    let dir = std::fs::canonicalize(options.file_dir.as_ref()?).ok()?;
    let p = std::fs::canonicalize(dir.join(path)).ok()?;
    (p.starts_with(&dir) && p.is_file()).then_some(p)
}

// ---------------------------------------------------------------------------- requests

/// A JSON body with one of Confluent's content types (415 otherwise, 400 malformed, 422 missing).
fn parse_body<T: for<'de> Deserialize<'de>>(headers: &HeaderMap, body: &Bytes) -> Result<T, ExporterError> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let accepted = [V1_JSON, "application/vnd.schemaregistry+json", "application/json", "application/octet-stream"];
        if !accepted.contains(&ct.as_str()) {
            return Err(ExporterError::http(StatusCode::UNSUPPORTED_MEDIA_TYPE, "HTTP 415 Unsupported Media Type"));
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ExporterError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: 422,
            message: "Request body is missing".into(),
        });
    }
    serde_json::from_slice(body)
        .map_err(|e| ExporterError::http(StatusCode::BAD_REQUEST, format!("Unrecognized request body: {e}")))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    name: Option<String>,
    subjects: Option<Vec<String>>,
    context_type: Option<String>,
    context: Option<String>,
    subject_rename_format: Option<String>,
    #[allow(dead_code)]
    kek_rename_format: Option<String>,
    config: Option<BTreeMap<String, Value>>,
}

fn config_strings(m: BTreeMap<String, Value>) -> BTreeMap<String, String> {
    m.into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k, v.as_str().map(String::from).unwrap_or_else(|| v.to_string())))
        .collect()
}

/// Validate an exporter's fields (40950/40951/40952), filling defaults.
fn validate(info: &mut ExporterInfo, options: &ExporterOptions) -> Result<(), ExporterError> {
    if !valid_name(&info.name) {
        return Err(ExporterError::conflict(40950, format!("Missing or invalid exporter name '{}'", info.name)));
    }
    if info.subjects.is_empty() {
        info.subjects = vec!["*".into()];
    }
    if info.subject_rename_format.is_empty() {
        info.subject_rename_format = "${subject}".into();
    }
    if let Some(c) = &info.context {
        let c = if c.starts_with('.') { c.clone() } else { format!(".{c}") };
        if !valid_context(&c) || c == "." {
            return Err(ExporterError::conflict(
                40951,
                format!("Missing or invalid exporter config: invalid context '{c}'"),
            ));
        }
        info.context = Some(c);
    }
    match info.context_type {
        ContextType::Custom if info.context.is_none() => {
            return Err(ExporterError::conflict(
                40951,
                "Missing or invalid exporter config: contextType CUSTOM needs a context",
            ))
        }
        ContextType::None | ContextType::Default => info.context = None,
        _ => {}
    }
    destination_client(&info.config, options)?;
    Mapping::new(
        &info.subjects,
        info.context_type,
        info.context.clone().or(Some(".x".into())),
        &info.subject_rename_format,
    )
    .map_err(|e| {
        if e.contains("pattern") {
            ExporterError::conflict(40952, format!("Invalid exporter subjects: {e}"))
        } else {
            ExporterError::conflict(40951, format!("Missing or invalid exporter config: {e}"))
        }
    })?;
    Ok(())
}

fn parse_context_type(s: Option<&str>) -> Result<Option<ContextType>, ExporterError> {
    s.map(|s| {
        s.parse::<ContextType>()
            .map_err(|e| ExporterError::conflict(40951, format!("Missing or invalid exporter config: {e}")))
    })
    .transpose()
}

type Mgr = Arc<ExporterManager>;

async fn list(State(m): State<Mgr>) -> ApiResult {
    if let Some(c) = m.options.cluster.clone() {
        return cluster::list(&c);
    }
    let names: Vec<String> = m.exporters.lock().await.keys().cloned().collect();
    ok(json!(names))
}

async fn create(State(m): State<Mgr>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let req: CreateRequest = parse_body(&headers, &body)?;
    let mut info = ExporterInfo {
        name: req.name.unwrap_or_default(),
        subjects: req.subjects.unwrap_or_default(),
        context_type: parse_context_type(req.context_type.as_deref())?.unwrap_or_default(),
        context: req.context,
        subject_rename_format: req.subject_rename_format.unwrap_or_default(),
        config: config_strings(req.config.unwrap_or_default()),
    };
    validate(&mut info, &m.options)?;
    if let Some(c) = m.options.cluster.clone() {
        return cluster::create(&m, &c, info).await;
    }
    {
        let map = m.exporters.lock().await;
        if map.contains_key(&info.name) {
            return Err(ExporterError::conflict(40960, format!("Exporter '{}' already exists.", info.name)));
        }
        if map.len() >= MAX_EXPORTERS {
            return Err(ExporterError::conflict(40964, format!("Too many exporters (at most {MAX_EXPORTERS}).")));
        }
    }
    if info.context_type == ContextType::Auto && info.context.is_none() {
        let src = m.self_client().map_err(|e| ExporterError::conflict(40951, format!("{e:#}")))?;
        info.context = Some(src.auto_context().await);
    }
    // A previous exporter of the same name left its state: start afresh.
    let _ = std::fs::remove_file(m.state_path(&info.name));
    let link = m.build_link(&info).await.map_err(|e| ExporterError::conflict(40951, format!("{e:#}")))?;
    let mut map = m.exporters.lock().await;
    if map.contains_key(&info.name) {
        return Err(ExporterError::conflict(40960, format!("Exporter '{}' already exists.", info.name)));
    }
    m.save(&info, false)?;
    let mut ex = Exporter { info: info.clone(), run: 0, reset: 0, link, run_task: None };
    start(&mut ex);
    map.insert(info.name.clone(), ex);
    ok(json!({ "name": info.name }))
}

async fn get_one(State(m): State<Mgr>, UrlPath(name): UrlPath<String>) -> ApiResult {
    if let Some(c) = m.options.cluster.clone() {
        return cluster::get_one(&c, &name);
    }
    let map = m.exporters.lock().await;
    let ex = map.get(&name).ok_or_else(|| ExporterError::not_found(&name))?;
    let info = ExporterInfo { config: masked(&ex.info.config), ..ex.info.clone() };
    ok(serde_json::to_value(&info).map_err(ExporterError::internal)?)
}

fn require_paused(ex: &Exporter) -> Result<(), ExporterError> {
    if is_running(ex) || ex.link.status().state != RunState::Paused {
        return Err(ExporterError::conflict(40963, format!("Exporter '{}' is not paused.", ex.info.name)));
    }
    Ok(())
}

/// Apply an updated `info` to a paused exporter (the link is rebuilt; a new destination starts afresh).
async fn replace(m: &ExporterManager, ex: &mut Exporter, mut info: ExporterInfo) -> Result<(), ExporterError> {
    validate(&mut info, &m.options)?;
    if info.context_type == ContextType::Auto && info.context.is_none() {
        info.context = ex.info.context.clone().or_else(|| Some(auto_context(None, &m.self_url)));
    }
    let mapping_changed = info.subjects != ex.info.subjects
        || info.context_type != ex.info.context_type
        || info.context != ex.info.context
        || info.subject_rename_format != ex.info.subject_rename_format
        || info.config.get("schema.registry.url") != ex.info.config.get("schema.registry.url");
    if mapping_changed {
        let _ = std::fs::remove_file(m.state_path(&info.name));
    }
    let link = m.build_link(&info).await.map_err(|e| ExporterError::conflict(40951, format!("{e:#}")))?;
    link.set_state(RunState::Paused, None);
    m.save(&info, true)?;
    ex.info = info;
    ex.link = link;
    Ok(())
}

async fn update(State(m): State<Mgr>, UrlPath(name): UrlPath<String>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let req: CreateRequest = parse_body(&headers, &body)?;
    if let Some(c) = m.options.cluster.clone() {
        return cluster::update(&m, &c, &name, req).await;
    }
    let mut map = m.exporters.lock().await;
    let ex = map.get_mut(&name).ok_or_else(|| ExporterError::not_found(&name))?;
    require_paused(ex)?;
    let mut info = ex.info.clone();
    apply_request(&mut info, req)?;
    replace(&m, ex, info).await?;
    ok(json!({ "name": name }))
}

/// An update request's fields over `info`.
fn apply_request(info: &mut ExporterInfo, req: CreateRequest) -> Result<(), ExporterError> {
    if let Some(s) = req.subjects {
        info.subjects = s;
    }
    if let Some(ct) = parse_context_type(req.context_type.as_deref())? {
        info.context_type = ct;
        if ct == ContextType::Auto && req.context.is_none() {
            info.context = None;
        }
    }
    if let Some(c) = req.context {
        info.context = Some(c);
    }
    if let Some(f) = req.subject_rename_format {
        info.subject_rename_format = f;
    }
    if let Some(c) = req.config {
        merge_config(&mut info.config, c);
    }
    Ok(())
}

async fn delete_one(State(m): State<Mgr>, UrlPath(name): UrlPath<String>) -> ApiResult {
    if let Some(c) = m.options.cluster.clone() {
        return cluster::delete(&c, &name).await;
    }
    let mut map = m.exporters.lock().await;
    let mut ex = map.remove(&name).ok_or_else(|| ExporterError::not_found(&name))?;
    stop(&mut ex).await;
    let _ = std::fs::remove_file(m.info_path(&name));
    let _ = std::fs::remove_file(m.state_path(&name));
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn status(State(m): State<Mgr>, UrlPath(name): UrlPath<String>) -> ApiResult {
    if let Some(c) = m.options.cluster.clone() {
        return cluster::status(&m, &c, &name).await;
    }
    let map = m.exporters.lock().await;
    let ex = map.get(&name).ok_or_else(|| ExporterError::not_found(&name))?;
    ok(status_body(&name, &ex.link.status()))
}

/// Confluent's exporter status answer.
fn status_body(name: &str, st: &crate::state::LinkState) -> Value {
    let mut body = json!({
        "name": name,
        "state": st.state.as_str(),
        "offset": st.position,
        "ts": st.last_sync_ms,
        "lag": st.lag,
        "counts": st.counts,
    });
    if let Some(e) = &st.last_error {
        body["trace"] = json!(e);
    }
    body
}

async fn get_config(State(m): State<Mgr>, UrlPath(name): UrlPath<String>) -> ApiResult {
    if let Some(c) = m.options.cluster.clone() {
        return cluster::get_config(&c, &name);
    }
    let map = m.exporters.lock().await;
    let ex = map.get(&name).ok_or_else(|| ExporterError::not_found(&name))?;
    ok(serde_json::to_value(masked(&ex.info.config)).map_err(ExporterError::internal)?)
}

async fn put_config(
    State(m): State<Mgr>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let update: BTreeMap<String, Value> = parse_body(&headers, &body)?;
    if let Some(c) = m.options.cluster.clone() {
        return cluster::put_config(&m, &c, &name, update).await;
    }
    let mut map = m.exporters.lock().await;
    let ex = map.get_mut(&name).ok_or_else(|| ExporterError::not_found(&name))?;
    require_paused(ex)?;
    let mut info = ex.info.clone();
    merge_config(&mut info.config, update);
    replace(&m, ex, info).await?;
    ok(json!({ "name": name }))
}

async fn pause(State(m): State<Mgr>, UrlPath(name): UrlPath<String>) -> ApiResult {
    if let Some(c) = m.options.cluster.clone() {
        return cluster::pause(&c, &name).await;
    }
    let mut map = m.exporters.lock().await;
    let ex = map.get_mut(&name).ok_or_else(|| ExporterError::not_found(&name))?;
    stop(ex).await;
    let err = ex.link.status().last_error;
    ex.link.set_state(RunState::Paused, err);
    m.save(&ex.info, true)?;
    ok(json!({ "name": name }))
}

async fn resume(State(m): State<Mgr>, UrlPath(name): UrlPath<String>) -> ApiResult {
    if let Some(c) = m.options.cluster.clone() {
        return cluster::resume(&c, &name).await;
    }
    let mut map = m.exporters.lock().await;
    let ex = map.get_mut(&name).ok_or_else(|| ExporterError::not_found(&name))?;
    if is_running(ex) {
        return Err(match ex.link.status().state {
            RunState::Starting => ExporterError::conflict(40962, format!("Exporter '{name}' is already starting.")),
            _ => ExporterError::conflict(40961, format!("Exporter '{name}' is already running.")),
        });
    }
    m.save(&ex.info, false)?;
    start(ex);
    ok(json!({ "name": name }))
}

async fn reset(State(m): State<Mgr>, UrlPath(name): UrlPath<String>) -> ApiResult {
    if let Some(c) = m.options.cluster.clone() {
        return cluster::reset(&c, &name).await;
    }
    let mut map = m.exporters.lock().await;
    let ex = map.get_mut(&name).ok_or_else(|| ExporterError::not_found(&name))?;
    require_paused(ex)?;
    ex.link.reset();
    ok(json!({ "name": name }))
}

/// The `/exporters` routes (no fallback; merge under the registry's API).
pub fn router(manager: Arc<ExporterManager>) -> Router {
    Router::new()
        .route("/exporters", get(list).post(create))
        .route("/exporters/{name}", get(get_one).put(update).delete(delete_one))
        .route("/exporters/{name}/status", get(status))
        .route("/exporters/{name}/config", get(get_config).put(put_config))
        .route("/exporters/{name}/pause", put(pause))
        .route("/exporters/{name}/resume", put(resume))
        .route("/exporters/{name}/reset", put(reset))
        .with_state(manager)
}

impl ExporterManager {
    /// Stop every exporter (for a graceful shutdown); their state is saved.
    pub async fn shutdown(&self) {
        let mut map = self.exporters.lock().await;
        for ex in map.values_mut() {
            if self.options.cluster.is_some() {
                // Handing over to the next leader: no mode restore on the destination.
                if let Some((_, handle)) = ex.run_task.take() {
                    handle.abort();
                }
            } else {
                stop(ex).await;
            }
            ex.link.save(true);
        }
    }
}
