//! Polling a source without a change feed: full passes over every selected subject.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use tokio::sync::watch;

use super::{side_err, sleep_or_stop, Link, PassReport, SyncError};
use crate::state::now_ms;

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
        r
    }

    pub(super) async fn poll(&self, stop: &mut watch::Receiver<bool>) -> Result<(), SyncError> {
        self.state.lock().feed = false;
        loop {
            if sleep_or_stop(stop, self.cfg.poll_interval).await {
                return Ok(());
            }
            match self.full_pass().await {
                Ok(_) => {
                    let mut st = self.state.lock();
                    st.lag = st.dirty.len() as u64;
                    st.last_sync_ms = now_ms();
                }
                Err(e) if e.stops_link() => return Err(e),
                Err(e) => self.state.lock().last_error = Some(e.to_string()),
            }
            self.save(false);
        }
    }
}
