//! Polling a source without a change feed (or with `--no-feed`).
//!
//! A poll costs a few requests whatever the number of subjects: `GET /schemas?deleted=true`
//! pages (subject, version, id and schema of every version, 1000 a page) show new, deleted and
//! hard-deleted versions; the global config and mode are read once; subject modes and configs
//! (which no listing shows) are swept a slice per poll. Only subjects whose listing or settings
//! changed are read one by one and synced. While nothing changes the interval doubles up to
//! the maximum; a change brings it back to the shortest. A source without `GET /schemas` is
//! polled with full passes.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::watch;

use super::plan::{meta_fingerprint, versions_fingerprint, VersionData};
use super::{side_err, sleep_or_stop, Link, PassReport, SyncError};
use crate::client::{ClientError, SubjectVersion};
use crate::state::now_ms;

/// Versions asked for per `GET /schemas` page (Confluent's default maximum).
const PAGE: usize = 1000;
/// Pages read per listing at most (10 million versions).
const MAX_PAGES: usize = 10_000;

/// Per selected subject: (version, id, deleted), in version order.
type Listing = BTreeMap<String, Vec<(i64, i64, bool)>>;

impl Link {
    // ------------------------------------------------------------------ selection

    /// Source subjects to sync in a full pass: the selected ones (incl. soft-deleted), plus
    /// exported ones that have disappeared (hard-deleted), plus dirty ones.
    pub(super) async fn all_subjects(&self) -> Result<Vec<String>, SyncError> {
        let prefix = if self.mapping.needs_contexts() { Some(":*:") } else { None };
        let listed = self
            .cfg
            .source
            .subjects_with(prefix, true)
            .await
            .map_err(|e| side_err(&self.src_name(), "listing subjects", e))?;
        let mut set: BTreeSet<String> = listed.into_iter().filter(|s| self.mapping.selects(s)).collect();
        let st = self.state.lock();
        set.extend(st.exported.iter().cloned());
        set.extend(st.dirty.iter().cloned());
        Ok(set.into_iter().collect())
    }

    /// A full pass: destination scope, global config, every selected subject.
    pub async fn full_pass(&self) -> Result<PassReport, SyncError> {
        self.prepare_destination().await?;
        self.sync_global().await?;
        let subjects = self.all_subjects().await?;
        // The source's versions in a few pages instead of one request each (best effort).
        let _ = self.list_source().await;
        // One listing of the destination spares reading subjects it does not have.
        // (Both listings: registries without contexts may not understand `:*:`.)
        let d = &self.cfg.destination;
        let (all, default) = tokio::join!(d.subjects_with(Some(":*:"), true), d.subjects_with(None, true));
        let mut listed: HashSet<String> =
            all.map_err(|e| side_err(&self.dst_name(), "listing subjects", e))?.into_iter().collect();
        listed.extend(default.map_err(|e| side_err(&self.dst_name(), "listing subjects", e))?);
        *self.dst_listing.lock() = Some(Arc::new(listed));
        self.context_modes.lock().clear();
        let r = self.sync_subjects(subjects).await;
        *self.dst_listing.lock() = None;
        // Contexts that received their first subjects in this pass.
        let r = r?;
        self.sync_contexts().await?;
        Ok(r)
    }

    // ------------------------------------------------------------------ listing

    /// Every version of the selected scope via `GET /schemas` pages; the contents go to the
    /// version cache. Ok(None) when the source has no such listing.
    pub(super) async fn list_source(&self) -> Result<Option<Listing>, SyncError> {
        let prefix = if self.mapping.needs_contexts() { Some(":*:") } else { None };
        let all = match self.list_pages(prefix, true).await {
            Ok(v) => v,
            Err(e) if !e.is_transient() && matches!(e, ClientError::Registry { status: 400..=405 | 501, .. }) => {
                return Ok(None)
            }
            Err(e) => return Err(side_err(&self.src_name(), "listing schemas", e)),
        };
        // Lockstep and Confluent 8 mark soft-deleted versions; for others, list the live ones.
        let marked = self.src_lockstep || all.iter().any(|v| v.deleted.is_some());
        let live: Option<HashSet<(String, i64)>> = if marked {
            None
        } else {
            let v =
                self.list_pages(prefix, false).await.map_err(|e| side_err(&self.src_name(), "listing schemas", e))?;
            Some(v.into_iter().map(|v| (v.subject, v.version)).collect())
        };
        let mut listing = Listing::new();
        let mut cache = self.src_cache.lock();
        for v in all {
            if !self.mapping.selects(&v.subject) {
                continue;
            }
            let deleted = match &live {
                Some(l) => !l.contains(&(v.subject.clone(), v.version)),
                None => v.deleted.unwrap_or(false),
            };
            let (subject, version, id) = (v.subject.clone(), v.version, v.id);
            cache.entry((subject.clone(), version)).or_insert_with(|| Arc::new(VersionData::from(v)));
            listing.entry(subject).or_default().push((version, id, deleted));
        }
        for versions in listing.values_mut() {
            versions.sort_unstable();
            versions.dedup_by_key(|v| v.0);
        }
        Ok(Some(listing))
    }

    /// All pages of one `GET /schemas` listing. Registries that clamp `limit` are followed
    /// page by page; one that ignores `offset` (a page of nothing new) ends the listing.
    async fn list_pages(&self, prefix: Option<&str>, deleted: bool) -> Result<Vec<SubjectVersion>, ClientError> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut offset = 0;
        let mut page_size = PAGE;
        for n in 0..MAX_PAGES {
            let page = self.cfg.source.schemas_page(prefix, deleted, offset, PAGE).await?;
            let len = page.len();
            if n == 0 && len < PAGE {
                // All there is, or the registry's own page size: the next page tells.
                page_size = len;
            }
            let before = out.len();
            for v in page {
                if seen.insert((v.subject.clone(), v.version)) {
                    out.push(v);
                }
            }
            offset += len;
            if len == 0 || len < page_size || len > PAGE || out.len() == before {
                break;
            }
        }
        Ok(out)
    }

    // ------------------------------------------------------------------ polling

    /// One poll: list, compare with what was last read, sync what changed. Ok(None) when the
    /// source cannot be listed that way (a full pass was made instead); Ok(Some(changed)).
    pub async fn poll_once(&self) -> Result<Option<bool>, SyncError> {
        let Some(listing) = self.list_source().await? else {
            self.full_pass().await?;
            return Ok(None);
        };
        let mut changed: BTreeSet<String> = BTreeSet::new();
        let seen = self.src_seen.lock().clone();
        let (exported, dirty) = {
            let st = self.state.lock();
            (st.exported.clone(), st.dirty.clone())
        };
        // Versions: new, soft-deleted, gone.
        let candidates: BTreeSet<&String> =
            listing.keys().chain(exported.iter()).chain(seen.keys().filter(|s| self.mapping.selects(s))).collect();
        for s in candidates {
            let now = versions_fingerprint(listing.get(s).into_iter().flatten().copied());
            if seen.get(s).map(|(v, _)| v) != Some(&now) {
                changed.insert(s.clone());
            }
        }
        // Global config and mode (and linked contexts' settings): one read each.
        let scopes = self.read_source_scopes().await?;
        let scopes_changed = {
            let mut last = self.src_scopes_seen.lock();
            let c = last.as_ref().is_some_and(|l| *l != scopes);
            *last = Some(scopes);
            c
        };
        if scopes_changed {
            self.sync_global().await?;
            // The effective mode of every subject may have changed.
            changed.extend(listing.keys().cloned());
        }
        // Subject modes and configs: a slice per poll.
        changed.extend(self.sweep(&listing, &seen, &changed).await?);
        let any = !changed.is_empty() || scopes_changed;
        changed.extend(dirty);
        if !changed.is_empty() {
            self.sync_subjects(changed.into_iter().collect()).await?;
        }
        Ok(Some(any))
    }

    /// The source's global config and mode and linked contexts' settings, as text (compared
    /// between polls).
    async fn read_source_scopes(&self) -> Result<String, SyncError> {
        let s = &self.cfg.source;
        let (config, mode) = tokio::join!(s.get_config(None, true), s.get_mode(None, false));
        let config = config.map_err(|e| side_err(&self.src_name(), "reading global config", e))?;
        let mode = mode.map_err(|e| side_err(&self.src_name(), "reading global mode", e))?;
        let contexts = self.read_context_settings().await?;
        Ok(format!("{config:?}|{mode:?}|{contexts}"))
    }

    /// How many subjects' mode and config one poll reads.
    fn sweep_size(&self) -> usize {
        match self.cfg.max_requests_per_second {
            // Two requests a subject, about a quarter of the shortest interval's budget.
            Some(r) => ((r * self.cfg.poll_interval.as_secs_f64()) / 8.0).max(1.0) as usize,
            None => self.cfg.sweep_per_poll,
        }
    }

    /// Read the mode and config of the next slice of subjects; those that differ from what was
    /// last read are returned.
    async fn sweep(
        &self,
        listing: &Listing,
        seen: &std::collections::HashMap<String, (String, String)>,
        skip: &BTreeSet<String>,
    ) -> Result<Vec<String>, SyncError> {
        let subjects: Vec<&String> = listing.keys().collect();
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.sweep_size().min(subjects.len());
        let start = {
            let mut c = self.sweep_cursor.lock();
            let start = *c % subjects.len();
            *c = start + k;
            start
        };
        let slice: Vec<String> = (0..k)
            .map(|i| subjects[(start + i) % subjects.len()].clone())
            .filter(|s| !skip.contains(s) && seen.contains_key(s))
            .collect();
        let src = &self.cfg.source;
        let results: Vec<Result<Option<String>, SyncError>> = futures_util::stream::iter(slice)
            .map(|s| async move {
                let (mode, config) = tokio::join!(src.get_mode(Some(&s), true), src.get_config(Some(&s), false));
                let what = format!("mode and config of subject '{s}'");
                let mode = mode.map_err(|e| side_err(&self.src_name(), &what, e))?;
                let config = config.map_err(|e| side_err(&self.src_name(), &what, e))?.map(|mut m| {
                    m.remove("subject");
                    m
                });
                let now = meta_fingerprint(&mode, &config);
                Ok((seen.get(&s).map(|(_, m)| m) != Some(&now)).then_some(s))
            })
            .buffer_unordered(self.cfg.concurrency.max(1))
            .collect()
            .await;
        let mut out = Vec::new();
        for r in results {
            if let Some(s) = r? {
                out.push(s);
            }
        }
        Ok(out)
    }

    pub(super) async fn poll(&self, stop: &mut watch::Receiver<bool>) -> Result<(), SyncError> {
        self.state.lock().feed = false;
        let shortest = self.cfg.poll_interval;
        let longest = self.cfg.max_poll_interval.unwrap_or(shortest * 6).max(shortest);
        let mut interval = shortest;
        loop {
            self.state.lock().poll_interval_ms = interval.as_millis() as u64;
            if sleep_or_stop(stop, interval).await {
                return Ok(());
            }
            let sent = self.cfg.source.requests_sent();
            let r = self.poll_once().await;
            let used = self.cfg.source.requests_sent().saturating_sub(sent);
            match r {
                Ok(changed) => {
                    interval = if changed == Some(false) { (interval * 2).min(longest) } else { shortest };
                    let mut st = self.state.lock();
                    st.lag = st.dirty.len() as u64;
                    st.last_sync_ms = now_ms();
                    st.last_poll_requests = used;
                    if st.dirty.is_empty() {
                        st.last_error = None;
                    }
                }
                Err(e) if e.stops_link() => return Err(e),
                Err(e) => {
                    interval = shortest;
                    self.state.lock().last_error = Some(e.to_string());
                }
            }
            self.save(false);
        }
    }
}
