//! Applying: destination scope and global config, IMPORT mode, version imports (references
//! first), deletes, configs and modes; `sync_subjects` runs both phases over a set of subjects.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures_util::StreamExt;
use serde_json::{Map, Value};

use super::plan::{Finish, VersionData};
use super::{abbreviate, side_err, Link, PassReport, SyncError};
use crate::client::{ClientError, Reference, Registration};
use crate::state::{now_ms, LinkState, ScopeMode, SubjectStatus};

impl Link {
    // ------------------------------------------------------------------ destination scope

    /// Put the destination scope (the link's context, or the whole registry for NONE/DEFAULT)
    /// in IMPORT mode when it holds no subjects yet; otherwise subjects get IMPORT one by one.
    pub(super) async fn prepare_destination(&self) -> Result<(), SyncError> {
        let d = &self.cfg.destination;
        if self.dst_instance.lock().is_none() {
            let id = match d.identity().await {
                Ok(id) => id.instance_id,
                Err(e) if e.is_transient() => return Err(side_err(&self.dst_name(), "reading its identity", e)),
                Err(_) => None,
            };
            *self.dst_instance.lock() = Some(id);
        }
        let scope = self.mapping.dest_scope();
        let effective =
            d.get_mode(scope.as_deref(), true).await.map_err(|e| side_err(&self.dst_name(), "reading mode", e))?;
        if effective.as_deref() == Some("IMPORT") {
            return Ok(());
        }
        let existing = d
            .subjects_with(Some(scope.as_deref().unwrap_or(":*:")), false)
            .await
            .map_err(|e| side_err(&self.dst_name(), "listing subjects", e))?;
        if existing.is_empty() {
            // Remember the mode set at that level before, so a failed start or a clean stop
            // puts it back (the state is saved before the change).
            if self.state.lock().scope_mode.is_none() {
                let original = d
                    .get_mode(scope.as_deref(), false)
                    .await
                    .map_err(|e| side_err(&self.dst_name(), "reading mode", e))?;
                self.state.lock().scope_mode = Some(ScopeMode { scope: scope.clone(), original });
                self.save(true);
            }
            match d.set_mode(scope.as_deref(), "IMPORT", false).await {
                Ok(()) => self.count(|c| c.modes_written += 1),
                Err(e) if e.is_transient() => return Err(side_err(&self.dst_name(), "setting IMPORT mode", e)),
                // Refused (e.g. subjects the listing did not show): subjects get IMPORT one by one.
                Err(e) => {
                    tracing::info!("destination scope stays as it is ({e}); subjects are set to IMPORT one by one")
                }
            }
        }
        Ok(())
    }

    /// Put back the destination scope's mode as it was before this link set IMPORT (a failed
    /// start, a clean stop). Failures are logged and kept for the next try.
    pub async fn restore_destination_mode(&self) {
        let Some(sm) = self.state.lock().scope_mode.clone() else { return };
        let d = &self.cfg.destination;
        let r = match &sm.original {
            Some(m) => d.set_mode(sm.scope.as_deref(), m, true).await,
            None => d.delete_mode(sm.scope.as_deref()).await,
        };
        match r {
            Ok(()) => {
                self.state.lock().scope_mode = None;
                self.save(true);
            }
            Err(e) => tracing::warn!("{}: cannot restore the mode of {:?}: {e}", self.dst_name(), sm.scope),
        }
    }

    /// Mirror the source's global config onto the destination scope, and linked contexts'
    /// configs and modes onto theirs.
    pub(super) async fn sync_global(&self) -> Result<(), SyncError> {
        self.sync_contexts().await?;
        if !self.cfg.mirror_global_config {
            return Ok(());
        }
        let src = self
            .cfg
            .source
            .get_config(None, true)
            .await
            .map_err(|e| side_err(&self.src_name(), "reading global config", e))?
            .unwrap_or_default();
        let scope = self.mapping.dest_scope();
        let dst = self
            .cfg
            .destination
            .get_config(scope.as_deref(), scope.is_none())
            .await
            .map_err(|e| side_err(&self.dst_name(), "reading config", e))?;
        let want = config_fields(&src);
        if want.is_empty() || dst.as_ref().map(config_fields).as_ref() == Some(&want) {
            return Ok(());
        }
        self.cfg
            .destination
            .put_config(scope.as_deref(), &config_body(&want, dst.as_ref()))
            .await
            .map_err(|e| side_err(&self.dst_name(), "writing config", e))?;
        self.count(|c| c.configs_written += 1);
        Ok(())
    }

    // ------------------------------------------------------------------ one subject

    pub(super) async fn ensure_import(&self, dst_subject: &str, current: Option<&str>) -> Result<bool, SyncError> {
        if self.dst_import.lock().contains(dst_subject) || current == Some("IMPORT") {
            self.dst_import.lock().insert(dst_subject.to_string());
            return Ok(false);
        }
        // The subject's destination versions were compared first: forcing only drops soft-deleted
        // versions, which the link imports again.
        self.cfg
            .destination
            .set_mode(Some(dst_subject), "IMPORT", true)
            .await
            .map_err(|e| side_err(&self.dst_name(), &format!("setting IMPORT mode on '{dst_subject}'"), e))?;
        self.count(|c| c.modes_written += 1);
        self.dst_import.lock().insert(dst_subject.to_string());
        Ok(true)
    }

    /// Register one source version on the destination (its references first).
    pub(super) fn import_version<'a>(
        &'a self,
        src_subject: &'a str,
        dst_subject: &'a str,
        n: i64,
        data: Arc<VersionData>,
        depth: usize,
        forward: bool,
    ) -> futures_util::future::BoxFuture<'a, Result<(), SyncError>> {
        Box::pin(async move {
            if depth > 32 {
                return Err(SyncError::Fatal(format!(
                    "references of '{src_subject}' version {n} nest more than 32 levels"
                )));
            }
            for r in &data.references {
                self.ensure_reference(src_subject, r, depth + 1, forward).await?;
            }
            let references = data
                .references
                .iter()
                .map(|r| {
                    let subject = self.dest_reference(src_subject, &r.subject, forward).ok_or_else(|| {
                        SyncError::Fatal(format!("malformed reference subject '{}' in '{src_subject}'", r.subject))
                    })?;
                    Ok(Reference { name: r.name.clone(), subject, version: r.version })
                })
                .collect::<Result<Vec<_>, SyncError>>()?;
            let reg = Registration {
                schema: data.schema.clone(),
                schema_type: Some(data.schema_type.clone()),
                references,
                metadata: data.metadata.clone(),
                rule_set: data.rule_set.clone(),
                id: Some(data.id),
                version: Some(n),
            };
            match self.cfg.destination.register(dst_subject, &reg).await {
                Ok(_) => {
                    self.count(|c| c.versions_imported += 1);
                    self.dst_ok.lock().insert((dst_subject.to_string(), n));
                    if forward {
                        self.state.lock().forwarded.entry(src_subject.to_string()).or_default().insert(n);
                    }
                    Ok(())
                }
                Err(e) if matches!(e.code(), Some(42205 | 42207)) => {
                    self.dst_import.lock().remove(dst_subject);
                    Err(SyncError::Conflict(format!(
                        "{} subject '{src_subject}' version {n} (schema id {}, {}) cannot be imported into {} subject '{dst_subject}': {}",
                        self.src_name(),
                        data.id,
                        abbreviate(&data.schema),
                        self.dst_name(),
                        e
                    )))
                }
                Err(e) => Err(side_err(
                    &self.dst_name(),
                    &format!("importing '{src_subject}' version {n} (id {}) as '{dst_subject}'", data.id),
                    e,
                )),
            }
        })
    }

    /// Make sure a referenced version exists on the destination (imported if missing).
    pub(super) async fn ensure_reference(
        &self,
        referrer: &str,
        r: &Reference,
        depth: usize,
        forward: bool,
    ) -> Result<(), SyncError> {
        let bad = || SyncError::Fatal(format!("malformed reference subject '{}' in '{referrer}'", r.subject));
        let src_subject = self.mapping.source_reference(referrer, &r.subject).ok_or_else(bad)?;
        let dst_subject = self.dest_subject(&src_subject, forward).ok_or_else(bad)?;
        if self.dst_ok.lock().contains(&(dst_subject.clone(), r.version)) {
            return Ok(());
        }
        let key = (src_subject.clone(), r.version);
        let cached = self.src_cache.lock().get(&key).cloned();
        let data = match cached {
            Some(d) => d,
            None => {
                let v = self
                    .cfg
                    .source
                    .version_any(&src_subject, r.version)
                    .await
                    .map_err(|e| side_err(&self.src_name(), "reading a referenced version", e))?
                    .ok_or_else(|| {
                        SyncError::Fatal(format!(
                            "{}: '{referrer}' references '{src_subject}' version {}, which does not exist",
                            self.src_name(),
                            r.version
                        ))
                    })?;
                let d = Arc::new(VersionData::from(v));
                self.src_cache.lock().insert(key, d.clone());
                d
            }
        };
        let existing = self
            .cfg
            .destination
            .version_any(&dst_subject, r.version)
            .await
            .map_err(|e| side_err(&self.dst_name(), "reading a referenced version", e))?;
        if let Some(v) = existing {
            let d = VersionData::from(v);
            if !self.same_version(&src_subject, &data, &d, forward) {
                return Err(SyncError::Conflict(self.conflict_text(&src_subject, r.version, &data, &dst_subject, &d)));
            }
            self.dst_ok.lock().insert((dst_subject, r.version));
            return Ok(());
        }
        let mode = self.cfg.destination.get_mode(Some(&dst_subject), true).await.ok().flatten();
        self.ensure_import(&dst_subject, mode.as_deref()).await?;
        self.import_version(&src_subject, &dst_subject, r.version, data, depth, forward).await
    }

    /// Phase 2 for one subject. Ok(false) when a delete must wait for a referrer's delete.
    pub(super) async fn phase_finish(&self, fin: &mut Finish) -> Result<bool, SyncError> {
        if !self.finish_deletes(fin).await? {
            return Ok(false);
        }
        let dst = fin.dst.clone();
        if fin.gone {
            self.dst_import.lock().remove(&dst);
        } else {
            self.finish_settings(fin).await?;
        }
        Ok(true)
    }

    /// Phase 2's deletes (soft, then permanent). Ok(false) when one waits for a referrer's delete
    /// (kept in `fin` for the next round).
    async fn finish_deletes(&self, fin: &mut Finish) -> Result<bool, SyncError> {
        let d = &self.cfg.destination;
        let dn = self.dst_name();
        let dst = fin.dst.clone();
        let mut deferred = false;
        let soft: Vec<i64> = fin.soft.drain(..).collect();
        for n in soft {
            match d.delete_version(&dst, n, false).await {
                Ok(()) => self.count(|c| c.soft_deletes += 1),
                Err(e) if e.code() == Some(40406) => {}
                Err(e) if e.code() == Some(42206) => {
                    fin.soft.push(n);
                    deferred = true;
                }
                Err(e) => return Err(side_err(&dn, &format!("soft-deleting '{dst}' version {n}"), e)),
            }
        }
        let hard: Vec<(i64, bool)> = fin.hard.drain(..).collect();
        for (n, live) in hard {
            if live {
                match d.delete_version(&dst, n, false).await {
                    Ok(()) | Err(ClientError::Registry { code: 40406, .. }) => {}
                    Err(e) if e.code() == Some(42206) => {
                        fin.hard.push((n, live));
                        deferred = true;
                        continue;
                    }
                    Err(e) => return Err(side_err(&dn, &format!("deleting '{dst}' version {n}"), e)),
                }
            }
            match d.delete_version(&dst, n, true).await {
                Ok(()) | Err(ClientError::Registry { code: 40401 | 40402, .. }) => {
                    self.count(|c| c.hard_deletes += 1);
                    self.dst_ok.lock().remove(&(dst.clone(), n));
                    if fin.forward {
                        let mut st = self.state.lock();
                        if let Some(w) = st.forwarded.get_mut(&fin.src) {
                            w.remove(&n);
                            if w.is_empty() {
                                st.forwarded.remove(&fin.src);
                            }
                        }
                    }
                }
                Err(e) if e.code() == Some(42206) => {
                    fin.hard.push((n, false));
                    deferred = true;
                }
                Err(e) => return Err(side_err(&dn, &format!("permanently deleting '{dst}' version {n}"), e)),
            }
        }
        Ok(!deferred)
    }

    /// Phase 2's subject config and mode, for a subject that is not gone.
    async fn finish_settings(&self, fin: &mut Finish) -> Result<(), SyncError> {
        let d = &self.cfg.destination;
        let dn = self.dst_name();
        let dst = fin.dst.clone();
        if let Some(cfg) = fin.config.take() {
            match cfg {
                Some(m) => {
                    let body = config_body(&config_fields(&m), None);
                    d.put_config(Some(&dst), &body)
                        .await
                        .map_err(|e| side_err(&dn, &format!("writing config of '{dst}'"), e))?;
                }
                None => {
                    d.delete_config(Some(&dst))
                        .await
                        .map_err(|e| side_err(&dn, &format!("deleting config of '{dst}'"), e))?;
                }
            }
            self.count(|c| c.configs_written += 1);
        }
        if let Some(m) = fin.mode.take() {
            d.set_mode(Some(&dst), &m, true)
                .await
                .map_err(|e| side_err(&dn, &format!("setting mode {m} on '{dst}'"), e))?;
            self.count(|c| c.modes_written += 1);
            if m == "IMPORT" {
                self.dst_import.lock().insert(dst.clone());
            } else {
                self.dst_import.lock().remove(&dst);
            }
        }
        Ok(())
    }

    /// Sync a set of source subjects (two phases, `concurrency` at a time). Transient failures
    /// leave subjects dirty; a conflict or fatal error stops the pass and is returned.
    pub async fn sync_subjects(&self, subjects: Vec<String>) -> Result<PassReport, SyncError> {
        let n = subjects.len();
        let started = now_ms();
        self.refresh_source_keks().await?;
        self.progress.total.store(n as u64, Ordering::Relaxed);
        self.progress.done.store(0, Ordering::Relaxed);
        let conc = self.cfg.concurrency.max(1);
        let mut failed: BTreeSet<String> = BTreeSet::new();
        let mut stop: Option<SyncError> = None;
        let mut finishes = Vec::new();

        let mut results = futures_util::stream::iter(subjects.iter().cloned())
            .map(|s| async move {
                let r = self.phase_import(&s).await;
                (s, r)
            })
            .buffer_unordered(conc);
        while let Some((s, r)) = results.next().await {
            self.progress.done.fetch_add(1, Ordering::Relaxed);
            match r {
                Ok(Some(f)) => finishes.push(f),
                Ok(None) => {
                    let mut st = self.state.lock();
                    st.dirty.remove(&s);
                    // In step (or skipped): nothing pending any more.
                    match st.subjects.get_mut(&s) {
                        Some(x) if x.synced_ms == 0 => {
                            st.subjects.remove(&s);
                        }
                        Some(x) => x.pending_since_ms = None,
                        None => {}
                    }
                }
                Err(e) => {
                    failed.insert(s.clone());
                    if e.stops_link() {
                        stop.get_or_insert(e);
                        break;
                    }
                    tracing::debug!("sync of '{s}' failed, retried later: {e}");
                    self.state.lock().last_error = Some(e.to_string());
                }
            }
        }
        drop(results);

        if stop.is_none() {
            self.finish_all(finishes, started, &mut failed, &mut stop).await;
        }
        {
            let mut st = self.state.lock();
            for s in &failed {
                st.dirty.insert(s.clone());
                self.synced.lock().remove(s);
                let entry = st.subjects.entry(s.clone()).or_insert_with(|| SubjectStatus {
                    destination: self.mapping.dest_subject(s).unwrap_or_default(),
                    ..Default::default()
                });
                entry.pending_since_ms.get_or_insert(started);
            }
            st.counts.retries += failed.len() as u64;
            st.last_sync_ms = now_ms();
        }
        if let Some(e) = stop {
            if matches!(e, SyncError::Conflict(_)) {
                self.count(|c| c.conflicts += 1);
            }
            return Err(e);
        }
        Ok(PassReport { subjects: n, failed: failed.len() })
    }

    /// Phase 2 of a pass for every subject phase 1 left a `Finish`; deletes blocked by references
    /// are retried while some progress is made. Subjects that fail join `failed`; an error that
    /// stops the link goes to `stop`.
    async fn finish_all(
        &self,
        finishes: Vec<Finish>,
        started: u64,
        failed: &mut BTreeSet<String>,
        stop: &mut Option<SyncError>,
    ) {
        let conc = self.cfg.concurrency.max(1);
        let mut pending: Vec<Finish> = finishes;
        for _round in 0..8 {
            if pending.is_empty() {
                break;
            }
            let before = pending.len();
            let outcomes: Vec<(Finish, Result<bool, SyncError>)> = futures_util::stream::iter(pending)
                .map(|mut f| async move {
                    let r = self.phase_finish(&mut f).await;
                    (f, r)
                })
                .buffer_unordered(conc)
                .collect()
                .await;
            pending = Vec::new();
            for (f, r) in outcomes {
                match r {
                    Ok(true) => {
                        let mut st = self.state.lock();
                        st.dirty.remove(&f.src);
                        st.counts.subjects_synced += 1;
                        record_synced(&mut st, &f, started);
                        if f.gone {
                            st.exported.remove(&f.src);
                            drop(st);
                            self.synced.lock().remove(&f.src);
                        } else {
                            st.exported.insert(f.src.clone());
                            drop(st);
                            self.synced.lock().insert(f.src.clone(), f.fingerprint.clone());
                        }
                    }
                    Ok(false) => pending.push(f),
                    Err(e) if e.stops_link() => {
                        failed.insert(f.src.clone());
                        stop.get_or_insert(e);
                    }
                    Err(e) => {
                        self.state.lock().last_error = Some(e.to_string());
                        failed.insert(f.src.clone());
                    }
                }
            }
            if pending.len() == before || stop.is_some() {
                break;
            }
        }
        for f in pending {
            failed.insert(f.src);
        }
    }
}

/// A subject mirrored: its status for `lockstep link status` (removed once gone).
fn record_synced(st: &mut LinkState, f: &Finish, started: u64) {
    if f.gone {
        st.subjects.remove(&f.src);
        return;
    }
    let now = now_ms();
    let since = st.subjects.get(&f.src).and_then(|s| s.pending_since_ms).unwrap_or(started);
    let origin = if f.forward { crate::provenance::origin_of(&f.src).map(String::from) } else { None };
    st.subjects.insert(
        f.src.clone(),
        SubjectStatus {
            destination: f.dst.clone(),
            origin,
            version: f.latest,
            synced_ms: now,
            lag_ms: now.saturating_sub(since),
            pending_since_ms: None,
        },
    );
}

/// The config fields worth mirroring (what `GET /config` answers, minus `subject` and aliases).
pub(super) fn config_fields(m: &Map<String, Value>) -> Map<String, Value> {
    use registry::api::{ALIAS_FIELDS, CONFIG_FIELDS};
    m.iter()
        .filter(|(k, v)| CONFIG_FIELDS.contains(&k.as_str()) && !ALIAS_FIELDS.contains(&k.as_str()) && !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A `PUT /config` body making the destination hold exactly `want` (fields it has beyond are cleared).
pub(super) fn config_body(want: &Map<String, Value>, have: Option<&Map<String, Value>>) -> Map<String, Value> {
    let rename = |k: &str| if k == "compatibilityLevel" { "compatibility".to_string() } else { k.to_string() };
    let mut body: Map<String, Value> = want.iter().map(|(k, v)| (rename(k), v.clone())).collect();
    if let Some(h) = have {
        for k in config_fields(h).keys() {
            if !want.contains_key(k) {
                body.insert(rename(k), Value::Null);
            }
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_bodies_clear_extra_fields() {
        let want: Map<String, Value> = serde_json::from_str(r#"{"compatibilityLevel":"FULL"}"#).unwrap();
        let have: Map<String, Value> =
            serde_json::from_str(r#"{"compatibilityLevel":"NONE","normalize":true,"alias":"x"}"#).unwrap();
        let body = config_body(&want, Some(&have));
        assert_eq!(Value::Object(body), serde_json::json!({"compatibility":"FULL","normalize":null}));
    }
}
