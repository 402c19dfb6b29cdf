//! The commit machinery: the writer lock, appends, durability and publication to readers.

use super::*;

impl Registry {
    /// Take the writer lock. On a shared log, also wait until this node has read everything in
    /// the log (the barrier) when nothing of its own is in flight, so the write is checked
    /// against the latest state (see [`super::group`]).
    pub(super) async fn lock_writer(&self) -> ApiResult<WriterGuard> {
        if let Some(e) = crate::cluster::forward::refusal(self.cluster().map(|c| &**c)) {
            return Err(e);
        }
        match &self.backend {
            Backend::Shared(log) => self.lock_writer_shared(log.as_ref()).await,
            Backend::Exclusive(_) => Ok(self.writer.clone().lock_owned().await),
        }
    }

    /// Wait until the committed state has reached `pos`.
    pub(super) async fn wait_visible(&self, pos: u64, deadline: Instant) -> ApiResult<()> {
        let mut rx = self.visible.subscribe();
        let reached = tokio::time::timeout_at(deadline, rx.wait_for(|p| *p >= pos)).await;
        match reached {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(ApiError::store("log reader stopped")),
            Err(_) => {
                Err(ApiError::timeout(format!("Timed out waiting for the Kafka store reader to reach offset {pos}")))
            }
        }
    }

    /// Append `records` and return once they are durable and visible; see [`Self::commit_checked`].
    pub(super) async fn commit(&self, w: WriterGuard, records: Vec<LogRecord>) -> ApiResult<()> {
        match self.commit_checked(w, records).await? {
            Ok(()) => Ok(()),
            Err(Lost) => Err(ApiError::store("Another node wrote a conflicting record at the same time; try again")),
        }
    }

    /// Append `records` and return once they are durable and visible to readers. `Err(Lost)`
    /// when, on a shared log, another node's record won over one of these.
    ///
    /// The commit runs on a task of its own: a client that disconnects (and so drops the request
    /// future) cannot stop a write between its append and its publication to readers.
    pub(super) async fn commit_checked(&self, w: WriterGuard, records: Vec<LogRecord>) -> ApiResult<Result<(), Lost>> {
        let me = self.me.upgrade().ok_or_else(|| ApiError::store("the registry is shutting down"))?;
        let task = tokio::spawn(async move {
            match &me.backend {
                Backend::Exclusive(store) => me.commit_exclusive(store.as_ref(), w, records).await.map(Ok),
                Backend::Shared(log) => me.commit_shared(log.clone(), w, records).await,
            }
        });
        task.await.map_err(|e| ApiError::store(format!("a commit task failed: {e}")))?
    }

    /// The SCHEMA value for a stored version.
    pub(super) fn schema_value(subject: &str, v: &VersionEntry, deleted: bool) -> SchemaValue {
        let s = &v.schema;
        SchemaValue {
            subject: subject.to_string(),
            version: v.version,
            id: s.id,
            schema_type: Some(s.schema_type.as_str().to_string()),
            references: s.references.clone(),
            metadata: s.metadata.clone(),
            rule_set: s.rule_set.clone(),
            schema: s.schema.to_string(),
            deleted,
        }
    }

    /// Exclusive log: append `records`, apply them to the writer's state, release the lock and
    /// wait until durable.
    pub(super) async fn commit_exclusive(
        &self,
        store: &dyn Store,
        mut w: WriterGuard,
        records: Vec<LogRecord>,
    ) -> ApiResult<()> {
        if records.is_empty() {
            let pos = w.pending.position;
            drop(w);
            return self.wait_durable(pos).await;
        }
        let start = w.pending.position;
        self.feed.write().append(records.iter().enumerate().map(|(i, r)| (start + i as u64, r.clone())));
        for r in &records {
            w.pending.apply(r);
        }
        let pos = w.pending.position;
        self.waiting.lock().push_back(Arc::new(w.pending.clone()));
        let started = std::time::Instant::now();
        let ticket = store.append(records);
        drop(w);
        let appended = ticket.await;
        self.metrics.observe_store_append(started.elapsed());
        match appended {
            Ok(Ok(())) => {
                self.publish(pos);
                Ok(())
            }
            Ok(Err(e)) => Err(self.fail(e.0).await),
            Err(_) => Err(self.fail("log writer stopped".into()).await),
        }
    }

    /// Publish the newest waiting snapshot at or below durable position `pos`.
    pub(super) fn publish(&self, pos: u64) {
        let mut q = self.waiting.lock();
        let mut newest = None;
        while q.front().is_some_and(|s| s.position <= pos) {
            newest = q.pop_front();
        }
        if let Some(s) = newest {
            if s.position > self.committed.load().position {
                let p = s.position;
                self.committed.store(s);
                self.visible.send_replace(p);
            }
        }
        drop(q);
        self.durable.send_if_modified(|d| match d {
            Ok(p) if *p < pos => {
                *p = pos;
                true
            }
            _ => false,
        });
    }

    /// A failed append: the store refuses further writes; drop undurable state and fail waiters.
    pub(super) async fn fail(&self, message: String) -> ApiError {
        tracing::error!("log store failure: {message}");
        let mut w = self.writer.lock().await;
        w.pending = (*self.committed.load_full()).clone();
        let pos = w.pending.position;
        self.feed.write().truncate(pos);
        self.waiting.lock().clear();
        let _ = self.durable.send_replace(Err(message.clone()));
        ApiError::store(format!("Error while writing to the log store: {message}"))
    }

    /// Wait until everything up to `pos` is durable (used when a write turned out to be a no-op
    /// but may rest on another writer's not-yet-durable records).
    pub(super) async fn wait_durable(&self, pos: u64) -> ApiResult<()> {
        let mut rx = self.durable.subscribe();
        loop {
            match &*rx.borrow_and_update() {
                Ok(p) if *p >= pos => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(ApiError::store(format!("Error while writing to the log store: {e}"))),
            }
            if rx.changed().await.is_err() {
                return Err(ApiError::store("log store closed"));
            }
        }
    }
}
