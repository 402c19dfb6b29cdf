//! Following a Lockstep source's change feed (records after an offset, long-poll).

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::watch;

use super::{side_err, sleep_or_stop, Link, SyncError};

impl Link {
    /// The change feed's end: (next offset, has feed).
    pub(super) async fn feed_head(&self, from: u64) -> Result<Option<u64>, SyncError> {
        let mut pos = from;
        loop {
            match self.cfg.source.changes(pos, 10_000, 0).await {
                Ok(None) => return Ok(None),
                Ok(Some(page)) if page.records.is_empty() => return Ok(Some(page.next.max(pos))),
                Ok(Some(page)) => pos = page.next.max(pos + 1),
                Err(e) => return Err(side_err(&self.src_name(), "reading the change feed", e)),
            }
        }
    }

    /// Retry dirty subjects (after a backoff).
    pub(super) async fn retry_dirty(&self) -> Result<(), SyncError> {
        let dirty: Vec<String> = self.state.lock().dirty.iter().cloned().collect();
        if dirty.is_empty() {
            return Ok(());
        }
        self.sync_subjects(dirty).await.map(|_| ())
    }

    pub(super) async fn follow(&self, stop: &mut watch::Receiver<bool>) -> Result<(), SyncError> {
        let mut backoff = Duration::from_millis(200);
        let mut next_retry = tokio::time::Instant::now();
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let pos = self.state.lock().position;
            let has_dirty = !self.state.lock().dirty.is_empty();
            let wait_ms = if has_dirty { 200 } else { 5_000 };
            let page = tokio::select! {
                p = self.cfg.source.changes(pos, 10_000, wait_ms) => p,
                _ = stop.changed() => return Ok(()),
            };
            let page = match page {
                Ok(Some(p)) => p,
                Ok(None) => return self.poll(stop).await,
                Err(e) => {
                    self.state.lock().last_error = Some(format!("{}: reading the change feed: {e}", self.src_name()));
                    if sleep_or_stop(stop, backoff).await {
                        return Ok(());
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    continue;
                }
            };
            backoff = Duration::from_millis(200);
            if !page.records.is_empty() {
                let (subjects, global) = self.affected(&page.records);
                self.state.lock().lag = page.records.len() as u64;
                if global {
                    if let Err(e) = self.sync_global().await {
                        if e.stops_link() {
                            return Err(e);
                        }
                        self.state.lock().last_error = Some(e.to_string());
                    }
                }
                self.sync_subjects(subjects).await?;
                let mut st = self.state.lock();
                st.position = page.next.max(pos + 1);
                st.lag = st.dirty.len() as u64;
                drop(st);
                self.save(false);
            }
            if !self.state.lock().dirty.is_empty() && tokio::time::Instant::now() >= next_retry {
                self.retry_dirty().await?;
                let delay = if self.state.lock().dirty.is_empty() {
                    Duration::from_millis(200)
                } else {
                    Duration::from_secs(1)
                };
                next_retry = tokio::time::Instant::now() + delay;
                self.save(false);
            }
        }
    }

    /// Subjects named by feed records (selected or exported), and whether global settings changed.
    pub(super) fn affected(&self, records: &[crate::client::Change]) -> (Vec<String>, bool) {
        let mut set = BTreeSet::new();
        let mut global = false;
        let mut all = false;
        let exported = self.state.lock().exported.clone();
        for r in records {
            let keytype = r.key["keytype"].as_str().unwrap_or("");
            let subject = r.key["subject"].as_str();
            // A DEK (DEK Registry record, `type` instead of `keytype`): its subject syncs again.
            // A KEK names no subject: the exported subjects sync again (their keys' KEK may be it).
            if r.key["type"] == "KEK" {
                all = true;
                continue;
            }
            if r.key["type"] == "DEK" {
                if let Some(s) = subject.filter(|s| self.mapping.selects(s) || exported.contains(*s)) {
                    set.insert(s.to_string());
                }
                continue;
            }
            match (keytype, subject) {
                ("SCHEMA" | "DELETE_SUBJECT" | "CLEAR_SUBJECT" | "CONFIG" | "MODE", Some(s)) if !s.ends_with(':') => {
                    if self.mapping.selects(s) || exported.contains(s) {
                        set.insert(s.to_string());
                    }
                    continue;
                }
                ("CONFIG", _) => global = true,
                // A global or context mode changes the effective mode of many subjects.
                ("MODE", _) => {
                    all = true;
                    global = true;
                }
                _ => {}
            }
        }
        if all {
            set.extend(exported);
        }
        (set.into_iter().collect(), global)
    }
}
