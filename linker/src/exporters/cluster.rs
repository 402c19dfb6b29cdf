//! Exporters of a registry cluster (several nodes on one Kafka store).
//!
//! - Each exporter's definition is an `EXPORTER` record in the cluster's coordination topic.
//!   Create, update, pause, resume, reset and delete work on every node: a follower forwards the
//!   call to the leader ([`registry::cluster::forward`]), which makes the changes one at a time,
//!   so two nodes cannot both create one name; with no reachable leader, the node the call
//!   reached writes the record. Each call answers once its record has been read back.
//! - Only the elected leader runs exporters. It persists each link's state (position, counts,
//!   state) as an `EXPORTER_STATE` record through its fenced transactional producer, so a leader
//!   that was replaced cannot overwrite its successor's progress.
//! - When the leader changes, the next one starts every exporter that is neither paused nor in
//!   ERROR from its last persisted state. The persisted position never runs ahead of what was
//!   exported (the link saves after exporting), so nothing is skipped; what was exported after
//!   the last save is exported again, which the destination (IMPORT mode, same id and version)
//!   takes as a no-op.
//! - `run` (bumped by resume) and `reset` (bumped by reset and by a changed mapping) generations
//!   tell the leader to restart a link or to drop its persisted state.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use registry::cluster::{key, Cluster, View};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{
    apply_request, masked, ok, start, stop, validate, ApiResult, CreateRequest, Exporter, ExporterError, ExporterInfo,
    ExporterManager, Saved, MAX_EXPORTERS,
};
use crate::mapping::{auto_context, ContextType};
use crate::state::{LinkState, RunState, StateBackend, StateFile};

/// An exporter's definition in the coordination topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Record {
    info: ExporterInfo,
    paused: bool,
    #[serde(default)]
    run: u64,
    #[serde(default)]
    reset: u64,
}

/// A link's state as the leader persisted it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StateRecord {
    reset: u64,
    run: u64,
    state: LinkState,
}

fn config_key(name: &str) -> String {
    key("EXPORTER", name)
}

fn state_key(name: &str) -> String {
    key("EXPORTER_STATE", name)
}

fn records(view: &View) -> BTreeMap<String, Record> {
    view.entries
        .iter()
        .filter_map(|(k, e)| {
            let kv: Value = serde_json::from_str(k).ok()?;
            if kv["keytype"] != "EXPORTER" {
                return None;
            }
            serde_json::from_value::<Record>(e.value.clone()).ok().map(|r| (r.info.name.clone(), r))
        })
        .collect()
}

fn state_of(view: &View, name: &str, reset: u64) -> Option<StateRecord> {
    let e = view.entries.get(&state_key(name))?;
    serde_json::from_value::<StateRecord>(e.value.clone()).ok().filter(|s| s.reset == reset)
}

fn record(c: &Cluster, name: &str) -> Result<Record, ExporterError> {
    records(&c.view().borrow()).remove(name).ok_or_else(|| ExporterError::not_found(name))
}

async fn put(c: &Cluster, key: String, value: Option<Value>) -> Result<(), ExporterError> {
    c.put(key, value).await.map(|_| ()).map_err(|e| ExporterError::internal(format!("{e:#}")))
}

async fn put_record(c: &Cluster, r: &Record) -> Result<(), ExporterError> {
    put(c, config_key(&r.info.name), Some(serde_json::to_value(r).map_err(ExporterError::internal)?)).await
}

/// Wait for this node's turn to change exporters; on a follower whose request may be forwarded,
/// the answer that sends it to the leader instead (so one node, the leader, orders every change
/// and two nodes cannot both create one name).
async fn turn(c: &Cluster) -> Result<tokio::sync::MutexGuard<'_, ()>, axum::response::Response> {
    if let Some(resp) = registry::cluster::forward::refusal_response(c) {
        return Err(resp);
    }
    Ok(c.write_turn().await)
}

/// The state a link of the leader reads and writes.
struct LogState {
    cluster: Arc<Cluster>,
    name: String,
    reset: u64,
    run: u64,
}

impl StateBackend for LogState {
    fn load(&self) -> anyhow::Result<Option<LinkState>> {
        let view = self.cluster.view().borrow().clone();
        // The source is this cluster, reached through this node's own URL: not the URL of the
        // node that saved the state.
        Ok(state_of(&view, &self.name, self.reset).map(|s| LinkState { source: String::new(), ..s.state }))
    }

    fn save(&self, state: &LinkState) -> anyhow::Result<()> {
        let rec = StateRecord { reset: self.reset, run: self.run, state: state.clone() };
        // Not the leader (any more): nothing is written.
        self.cluster.offer(state_key(&self.name), Some(serde_json::to_value(rec)?));
        Ok(())
    }
}

/// Move exporters saved under `--data-dir` (before the node joined a cluster) into the
/// coordination topic, once: the files are renamed `*.migrated`.
async fn migrate(m: &ExporterManager, c: &Arc<Cluster>, files: &[PathBuf]) -> anyhow::Result<()> {
    for path in files {
        let saved: Saved =
            match std::fs::read(path).map_err(anyhow::Error::from).and_then(|b| Ok(serde_json::from_slice(&b)?)) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("skipping exporter file {}: {e}", path.display());
                    continue;
                }
            };
        let name = saved.info.name.clone();
        if !records(&c.view().borrow()).contains_key(&name) {
            let state = StateFile::new(Some(m.state_path(&name))).load().ok().flatten();
            if let Some(st) = state {
                let rec = StateRecord { reset: 0, run: 0, state: st };
                c.put(state_key(&name), Some(serde_json::to_value(rec)?)).await?;
            }
            let r = Record { info: saved.info, paused: saved.paused, run: 0, reset: 0 };
            c.put(config_key(&name), Some(serde_json::to_value(&r)?)).await?;
            tracing::info!(exporter = %name, "moved the exporter from the data dir into the coordination topic");
        }
        for p in [path.clone(), m.state_path(&name)] {
            if p.exists() {
                let mut to = p.clone().into_os_string();
                to.push(".migrated");
                let _ = std::fs::rename(&p, to);
            }
        }
    }
    Ok(())
}

/// Keep the running links in line with the leadership and the definitions, as both change.
pub(super) async fn reconcile_loop(m: Arc<ExporterManager>, c: Arc<Cluster>, files: Vec<PathBuf>) {
    if !files.is_empty() {
        // Migration needs the whole topic (not to add an exporter the cluster already has).
        loop {
            match c.sync().await {
                Ok(()) => break,
                Err(e) => tracing::warn!("reading the coordination topic (will retry): {e:#}"),
            }
        }
        if let Err(e) = migrate(&m, &c, &files).await {
            tracing::error!("cannot move the data dir's exporters into the coordination topic: {e:#}");
        }
    }
    let mut lead = c.leadership();
    let mut view = c.view();
    loop {
        let leader = lead.borrow_and_update().leader;
        let v = view.borrow_and_update().clone();
        reconcile(&m, &c, leader, &v).await;
        tokio::select! {
            r = lead.changed() => if r.is_err() { return },
            r = view.changed() => if r.is_err() { return },
        }
    }
}

async fn reconcile(m: &ExporterManager, c: &Arc<Cluster>, leader: bool, view: &View) {
    let mut map = m.exporters.lock().await;
    if !leader {
        // Stop acting at once: no goodbye writes to the destination, no state saved.
        for (name, ex) in std::mem::take(&mut *map) {
            if let Some((_, handle)) = ex.run_task {
                handle.abort();
                tracing::info!(exporter = %name, "exporter stopped: this node is not the leader");
            }
        }
        return;
    }
    let wanted = records(view);
    let names: Vec<String> = map.keys().cloned().collect();
    for name in names {
        let keep = wanted.get(&name).is_some_and(|r| {
            let ex = &map[&name];
            !r.paused && r.run == ex.run && r.reset == ex.reset && r.info == ex.info
        });
        if !keep {
            if let Some(mut ex) = map.remove(&name) {
                stop(&mut ex).await;
                ex.link.save(true);
            }
        }
    }
    for (name, r) in wanted {
        if r.paused || map.contains_key(&name) {
            continue;
        }
        let persisted = state_of(view, &name, r.reset);
        // An exporter in ERROR waits for resume (which bumps `run`).
        if persisted.as_ref().is_some_and(|s| s.state.state == RunState::Error && s.run == r.run) {
            continue;
        }
        let backend = LogState { cluster: c.clone(), name: name.clone(), reset: r.reset, run: r.run };
        match m.build_link_with(&r.info, StateFile::backed(Arc::new(backend))).await {
            Ok(link) => {
                let mut ex = Exporter { info: r.info.clone(), run: r.run, reset: r.reset, link, run_task: None };
                start(&mut ex);
                tracing::info!(exporter = %name, "exporter started on the leader");
                map.insert(name, ex);
            }
            Err(e) => {
                tracing::warn!(exporter = %name, "cannot start the exporter: {e:#}");
                let st = LinkState { state: RunState::Error, last_error: Some(format!("{e:#}")), ..Default::default() };
                let rec = StateRecord { reset: r.reset, run: r.run, state: st };
                if let Ok(v) = serde_json::to_value(rec) {
                    c.offer(state_key(&name), Some(v));
                }
            }
        }
    }
}

// ------------------------------------------------------------------------- API (any node)

pub(super) fn list(c: &Cluster) -> ApiResult {
    let names: Vec<String> = records(&c.view().borrow()).into_keys().collect();
    ok(json!(names))
}

pub(super) async fn create(m: &ExporterManager, c: &Cluster, mut info: ExporterInfo) -> ApiResult {
    let _turn = match turn(c).await {
        Ok(t) => t,
        Err(resp) => return Ok(resp),
    };
    {
        let all = records(&c.view().borrow());
        if all.contains_key(&info.name) {
            return Err(ExporterError::conflict(40960, format!("Exporter '{}' already exists.", info.name)));
        }
        if all.len() >= MAX_EXPORTERS {
            return Err(ExporterError::conflict(40964, format!("Too many exporters (at most {MAX_EXPORTERS}).")));
        }
    }
    if info.context_type == ContextType::Auto && info.context.is_none() {
        let src = m.self_client().map_err(|e| ExporterError::conflict(40951, format!("{e:#}")))?;
        info.context = Some(src.auto_context().await);
    }
    // A previous exporter of the same name left its state: start afresh.
    put(c, state_key(&info.name), None).await?;
    put_record(c, &Record { info: info.clone(), paused: false, run: 0, reset: 0 }).await?;
    ok(json!({ "name": info.name }))
}

pub(super) fn get_one(c: &Cluster, name: &str) -> ApiResult {
    let r = record(c, name)?;
    let info = ExporterInfo { config: masked(&r.info.config), ..r.info };
    ok(serde_json::to_value(&info).map_err(ExporterError::internal)?)
}

pub(super) fn get_config(c: &Cluster, name: &str) -> ApiResult {
    ok(serde_json::to_value(masked(&record(c, name)?.info.config)).map_err(ExporterError::internal)?)
}

pub(super) async fn status(m: &ExporterManager, c: &Cluster, name: &str) -> ApiResult {
    let r = record(c, name)?;
    let live = m.exporters.lock().await.get(name).map(|ex| ex.link.status());
    let mut st = match live {
        Some(st) => st,
        None => state_of(&c.view().borrow(), name, r.reset).map(|s| s.state).unwrap_or_default(),
    };
    if r.paused {
        st.state = RunState::Paused;
    }
    ok(super::status_body(name, &st))
}

fn require_paused(r: &Record) -> Result<(), ExporterError> {
    if !r.paused {
        return Err(ExporterError::conflict(40963, format!("Exporter '{}' is not paused.", r.info.name)));
    }
    Ok(())
}

/// A paused exporter's new definition (a changed mapping or destination starts afresh).
async fn replace(m: &ExporterManager, c: &Cluster, mut r: Record, mut info: ExporterInfo) -> ApiResult {
    validate(&mut info, &m.options)?;
    if info.context_type == ContextType::Auto && info.context.is_none() {
        info.context = r.info.context.clone().or_else(|| Some(auto_context(None, &m.self_url)));
    }
    let mapping_changed = info.subjects != r.info.subjects
        || info.context_type != r.info.context_type
        || info.context != r.info.context
        || info.subject_rename_format != r.info.subject_rename_format
        || info.config.get("schema.registry.url") != r.info.config.get("schema.registry.url");
    if mapping_changed {
        r.reset += 1;
    }
    let name = info.name.clone();
    r.info = info;
    put_record(c, &r).await?;
    ok(json!({ "name": name }))
}

pub(super) async fn update(m: &ExporterManager, c: &Cluster, name: &str, req: CreateRequest) -> ApiResult {
    let _turn = match turn(c).await {
        Ok(t) => t,
        Err(resp) => return Ok(resp),
    };
    let r = record(c, name)?;
    require_paused(&r)?;
    let mut info = r.info.clone();
    apply_request(&mut info, req)?;
    replace(m, c, r, info).await
}

pub(super) async fn put_config(
    m: &ExporterManager,
    c: &Cluster,
    name: &str,
    update: BTreeMap<String, Value>,
) -> ApiResult {
    let _turn = match turn(c).await {
        Ok(t) => t,
        Err(resp) => return Ok(resp),
    };
    let r = record(c, name)?;
    require_paused(&r)?;
    let mut info = r.info.clone();
    super::merge_config(&mut info.config, update);
    replace(m, c, r, info).await
}

pub(super) async fn pause(c: &Cluster, name: &str) -> ApiResult {
    let _turn = match turn(c).await {
        Ok(t) => t,
        Err(resp) => return Ok(resp),
    };
    let mut r = record(c, name)?;
    if !r.paused {
        r.paused = true;
        put_record(c, &r).await?;
    }
    ok(json!({ "name": name }))
}

pub(super) async fn resume(c: &Cluster, name: &str) -> ApiResult {
    let _turn = match turn(c).await {
        Ok(t) => t,
        Err(resp) => return Ok(resp),
    };
    let mut r = record(c, name)?;
    let errored = state_of(&c.view().borrow(), name, r.reset).is_some_and(|s| s.state.state == RunState::Error);
    if !r.paused && !errored {
        return Err(ExporterError::conflict(40961, format!("Exporter '{name}' is already running.")));
    }
    r.paused = false;
    r.run += 1;
    put_record(c, &r).await?;
    ok(json!({ "name": name }))
}

pub(super) async fn reset(c: &Cluster, name: &str) -> ApiResult {
    let _turn = match turn(c).await {
        Ok(t) => t,
        Err(resp) => return Ok(resp),
    };
    let mut r = record(c, name)?;
    require_paused(&r)?;
    r.reset += 1;
    put_record(c, &r).await?;
    ok(json!({ "name": name }))
}

pub(super) async fn delete(c: &Cluster, name: &str) -> ApiResult {
    let _turn = match turn(c).await {
        Ok(t) => t,
        Err(resp) => return Ok(resp),
    };
    record(c, name)?;
    put(c, config_key(name), None).await?;
    put(c, state_key(name), None).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

use axum::response::IntoResponse;
