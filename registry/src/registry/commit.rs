//! The commit machinery: the writer lock, appends, durability and publication to readers.

use super::*;

impl Registry {
    /// Take the writer lock. On a shared log, also wait until this node has read everything in
    /// the log (the barrier), so the write is checked against the latest state.
    pub(super) async fn lock_writer(&self) -> ApiResult<WriterGuard> {
        let Backend::Shared(log) = &self.backend else {
            return Ok(self.writer.clone().lock_owned().await);
        };
        let deadline = Instant::now() + self.config.write_timeout;
        let mut w = tokio::time::timeout_at(deadline, self.writer.clone().lock_owned()).await.map_err(|_| {
            ApiError::timeout("Write timed out waiting for earlier writes: the Kafka store is slow or down")
        })?;
        let end = match tokio::time::timeout_at(deadline, log.end_offset()).await {
            Ok(Ok(end)) => end,
            Ok(Err(e)) => return Err(ApiError::store(format!("Error while reading the Kafka store: {e}"))),
            Err(_) => return Err(ApiError::timeout("Timed out reading the end of the Kafka store")),
        };
        self.wait_visible(end, deadline).await?;
        w.pending = (*self.snapshot()).clone();
        w.deadline = deadline;
        Ok(w)
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
                Backend::Shared(log) => me.commit_shared(log.as_ref(), w, records).await,
            }
        });
        task.await.map_err(|e| ApiError::store(format!("a commit task failed: {e}")))?
    }

    pub(super) async fn commit_shared(
        &self,
        log: &dyn SharedLog,
        w: WriterGuard,
        records: Vec<LogRecord>,
    ) -> ApiResult<Result<(), Lost>> {
        if records.is_empty() {
            return Ok(Ok(()));
        }
        let deadline = w.deadline;
        let sent = records.clone();
        let offsets = match tokio::time::timeout_at(deadline, log.produce(records)).await {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => return Err(ApiError::store(format!("Error while writing to the Kafka store: {e}"))),
            Err(_) => return Err(ApiError::timeout("Timed out writing to the Kafka store")),
        };
        let last = offsets.last().copied().unwrap_or(0);
        self.wait_visible(last + 1, deadline).await?;
        let lost: Vec<LogRecord> = {
            let mut rejected = self.rejected.lock();
            offsets.iter().zip(sent).filter(|(o, _)| rejected.remove(o)).map(|(_, r)| r).collect()
        };
        if lost.is_empty() {
            return Ok(Ok(()));
        }
        // A lost SCHEMA record may share its key with the winner (same subject and version):
        // compaction would keep the loser's record. Write the winner again so it is the newest.
        let st = self.snapshot();
        let mut again = Vec::new();
        for r in &lost {
            if let Ok(Key::Schema { subject, version }) = Key::decode(&r.key) {
                let Some(name) = subject::normalize(&subject) else { continue };
                if let Some(e) = st.subject(&name).and_then(|s| s.versions.get(&version)) {
                    if *e.key == *r.key {
                        let value = Self::schema_value(&name, e, e.deleted);
                        again.push(LogRecord { key: e.key.clone(), value: Some(record::to_bytes(&value).into()) });
                    }
                }
            }
        }
        if !again.is_empty() {
            if let Ok(Ok(o)) = tokio::time::timeout_at(deadline, log.produce(again)).await {
                let _ = self.wait_visible(o.last().copied().unwrap_or(0) + 1, deadline).await;
            }
        }
        tracing::debug!(lost = lost.len(), "a write lost a race to another node; retrying");
        drop(w);
        Ok(Err(Lost))
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
