//! Group commit on a shared log (the Kafka store): concurrent writes on a node go out as one
//! produce and come back in one read-back.
//!
//! A writer takes the writer lock, computes its records against the writer's state — the state
//! read back at the last barrier plus every record this node has staged or has in flight since —
//! applies them to that state, stages them in the open batch and releases the lock. One flusher
//! task at a time sends a batch (one produce, in staging order), waits until the node has read
//! the batch back, and tells each writer whether its records took effect. Writers that arrive
//! while a batch is in flight fill the next one. State is still built only from records read
//! back, with the same deterministic apply rules, so nodes agree whatever the batching.
//!
//! Staging on top of unread records is only safe while this node is the topic's only writer: a
//! record of another node could make a staged record lose after later ones were computed on it.
//! So a node that has read another writer's record recently ([`SharedLog::foreign_recently`]),
//! or whose batch had a record lose, drains first: the next write waits until nothing is in
//! flight, takes the barrier (end offset, read up to it) and starts again from the state read
//! back — one write at a time, as before group commit. When a batch fails or loses, the batch
//! staged behind it (built on it, not yet sent) is not sent: its writers retry or get the error.

use super::*;

/// A batch's outcome: for each record whether it lost to an earlier record, or the error.
#[derive(Clone)]
enum Outcome {
    Done(Arc<Vec<bool>>),
    /// The batch staged before this one failed or lost: nothing of this one was sent.
    Dropped,
    Failed(ApiError),
}

/// Records staged by writers, sent together.
struct Batch {
    seq: u64,
    records: Vec<LogRecord>,
    /// The subjects its records write or reference (see [`touched_subjects`]).
    subjects: HashSet<String>,
    done: watch::Sender<Option<Outcome>>,
}

/// Group-commit bookkeeping of a node on a shared log.
pub(super) struct Group {
    state: parking_lot::Mutex<GroupState>,
    /// The sequence number of the last batch settled (sent and read back, failed or dropped).
    settled: watch::Sender<u64>,
    /// No batch is staged or in flight.
    idle: watch::Sender<bool>,
}

impl Default for Group {
    fn default() -> Self {
        Self { state: Default::default(), settled: watch::channel(0).0, idle: watch::channel(true).0 }
    }
}

#[derive(Default)]
struct GroupState {
    open: Option<Batch>,
    flushing: bool,
    /// Sequence number of the last batch opened (batches are numbered from 1).
    last_seq: u64,
    /// Since the last barrier a batch lost or failed: the writer's state may hold records that
    /// are not in the log.
    stale: bool,
    /// How many batches lost or failed, ever.
    losses: u64,
}

impl Registry {
    /// Take the writer lock on a shared log. When nothing of this node is staged or in flight,
    /// take the barrier (read up to the log's end) so the write is checked against every earlier
    /// write; when batches are in flight and this node is the only writer, build on them.
    pub(super) async fn lock_writer_shared(&self, log: &dyn SharedLog) -> ApiResult<WriterGuard> {
        let deadline = Instant::now() + self.config.write_timeout;
        loop {
            let mut w = tokio::time::timeout_at(deadline, self.writer.clone().lock_owned()).await.map_err(|_| {
                ApiError::timeout("Write timed out waiting for earlier writes: the Kafka store is slow or down")
            })?;
            let (idle, drain) = {
                let g = self.group.state.lock();
                (g.open.is_none() && !g.flushing, g.stale || log.foreign_recently())
            };
            if idle {
                let end = match tokio::time::timeout_at(deadline, log.end_offset()).await {
                    Ok(Ok(end)) => end,
                    Ok(Err(e)) => return Err(ApiError::store(format!("Error while reading the Kafka store: {e}"))),
                    Err(_) => return Err(ApiError::timeout("Timed out reading the end of the Kafka store")),
                };
                self.wait_visible(end, deadline).await?;
                self.group.state.lock().stale = false;
                w.pending = (*self.snapshot()).clone();
                w.deadline = deadline;
                return Ok(w);
            }
            if !drain {
                w.deadline = deadline;
                return Ok(w);
            }
            drop(w);
            let mut rx = self.group.idle.subscribe();
            let waited = tokio::time::timeout_at(deadline, rx.wait_for(|idle| *idle)).await.map(|r| r.map(|_| ()));
            match waited {
                Ok(Ok(_)) => {}
                Ok(Err(_)) => return Err(ApiError::store("the registry is shutting down")),
                Err(_) => {
                    return Err(ApiError::timeout(
                        "Write timed out waiting for earlier writes: the Kafka store is slow or down",
                    ))
                }
            }
        }
    }

    async fn wait_settled(&self, seq: u64, deadline: Instant) -> ApiResult<()> {
        let mut rx = self.group.settled.subscribe();
        let waited = tokio::time::timeout_at(deadline, rx.wait_for(|s| *s >= seq)).await.map(|r| r.map(|_| ()));
        match waited {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(ApiError::store("the registry is shutting down")),
            Err(_) => {
                Err(ApiError::timeout("Write timed out waiting for earlier writes: the Kafka store is slow or down"))
            }
        }
    }

    /// Shared log: stage `records` in the open batch (applied to the writer's state first, so
    /// the next writer builds on them), release the lock and wait until the batch is read back.
    pub(super) async fn commit_shared(
        &self,
        log: Arc<dyn SharedLog>,
        mut w: WriterGuard,
        records: Vec<LogRecord>,
    ) -> ApiResult<Result<(), Lost>> {
        let deadline = w.deadline;
        if records.is_empty() {
            // The answer may rest on records staged or in flight: wait until they are read back,
            // and report a loss if one of them lost since (the answer may rest on it).
            let (last, losses) = {
                let g = self.group.state.lock();
                (g.last_seq, g.losses)
            };
            drop(w);
            self.wait_settled(last, deadline).await?;
            return Ok(if self.group.state.lock().losses == losses { Ok(()) } else { Err(Lost) });
        }
        // A record that loses takes the records built on it in the same batch with it only if
        // they are about the same subject (its next version, a reference to it): such a write
        // waits, holding the lock, until the open batch it would join is read back.
        let touched = touched_subjects(&records);
        loop {
            let (conflict, losses) = {
                let g = self.group.state.lock();
                let seq = g.open.as_ref().filter(|b| !b.subjects.is_disjoint(&touched)).map(|b| b.seq);
                (seq, g.losses)
            };
            let Some(seq) = conflict else { break };
            self.wait_settled(seq, deadline).await?;
            if self.group.state.lock().losses != losses {
                return Ok(Err(Lost));
            }
        }
        for r in &records {
            w.pending.apply(r);
        }
        let n = records.len();
        let (start, mut rx, spawn) = {
            let mut g = self.group.state.lock();
            if g.open.is_none() {
                g.last_seq += 1;
                let (done, _) = watch::channel(None);
                g.open = Some(Batch { seq: g.last_seq, records: Vec::new(), subjects: HashSet::new(), done });
            }
            let Some(b) = g.open.as_mut() else { return Err(ApiError::store("no open batch")) };
            let start = b.records.len();
            b.records.extend(records);
            b.subjects.extend(touched);
            let rx = b.done.subscribe();
            let spawn = !g.flushing;
            if spawn {
                g.flushing = true;
                self.group.idle.send_replace(false);
            }
            (start, rx, spawn)
        };
        drop(w);
        if spawn {
            let me = self.me.upgrade().ok_or_else(|| ApiError::store("the registry is shutting down"))?;
            tokio::spawn(async move { me.flush_batches(log).await });
        }
        let waited =
            tokio::time::timeout_at(deadline, rx.wait_for(Option::is_some)).await.map(|r| r.map(|o| o.clone()));
        let outcome = match waited {
            Ok(Ok(o)) => o,
            Ok(Err(_)) => return Err(ApiError::store("the log writer stopped")),
            Err(_) => return Err(ApiError::timeout("Timed out writing to the Kafka store")),
        };
        match outcome {
            Some(Outcome::Done(lost)) if lost.get(start..start + n).is_none_or(|l| l.iter().any(|l| *l)) => {
                Ok(Err(Lost))
            }
            Some(Outcome::Done(_)) => Ok(Ok(())),
            Some(Outcome::Dropped) | None => Ok(Err(Lost)),
            Some(Outcome::Failed(e)) => Err(e),
        }
    }

    /// Send open batches one after the other until none is left.
    async fn flush_batches(&self, log: Arc<dyn SharedLog>) {
        loop {
            let batch = {
                let mut g = self.group.state.lock();
                match g.open.take() {
                    Some(b) => b,
                    None => {
                        g.flushing = false;
                        self.group.idle.send_replace(true);
                        return;
                    }
                }
            };
            let seq = batch.seq;
            let outcome = self.send_batch(log.as_ref(), batch.records).await;
            let bad = !matches!(&outcome, Outcome::Done(lost) if !lost.iter().any(|l| *l));
            if bad {
                // The next batch was computed on records that are not in the log: drop it.
                let mut g = self.group.state.lock();
                g.stale = true;
                g.losses += 1;
                if let Some(next) = g.open.take() {
                    next.done.send_replace(Some(Outcome::Dropped));
                    self.group.settled.send_replace(next.seq);
                }
            }
            batch.done.send_replace(Some(outcome));
            self.group.settled.send_modify(|s| *s = (*s).max(seq));
        }
    }

    /// One produce, one read-back.
    async fn send_batch(&self, log: &dyn SharedLog, records: Vec<LogRecord>) -> Outcome {
        let deadline = Instant::now() + self.config.write_timeout;
        let started = std::time::Instant::now();
        let sent = records.clone();
        let offsets = match tokio::time::timeout_at(deadline, log.produce(records)).await {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => {
                return Outcome::Failed(ApiError::store(format!("Error while writing to the Kafka store: {e}")))
            }
            Err(_) => return Outcome::Failed(ApiError::timeout("Timed out writing to the Kafka store")),
        };
        self.metrics.observe_store_append(started.elapsed());
        let last = offsets.last().copied().unwrap_or(0);
        if let Err(e) = self.wait_visible(last + 1, deadline).await {
            return Outcome::Failed(e);
        }
        let lost: Vec<bool> = {
            let mut rejected = self.rejected.lock();
            offsets.iter().map(|o| rejected.remove(o)).collect()
        };
        let losers: Vec<Arc<[u8]>> = sent.iter().zip(&lost).filter(|(_, l)| **l).map(|(r, _)| r.key.clone()).collect();
        if !losers.is_empty() {
            self.rewrite_winners(log, &losers, deadline).await;
            tracing::debug!(lost = losers.len(), "writes lost races to another node; retrying");
        }
        Outcome::Done(Arc::new(lost))
    }

    /// A lost SCHEMA record may share its key with the winner (same subject and version):
    /// compaction would keep the loser's record. Write the winner again so it is the newest.
    /// `keys`: the keys of lost records; the number of winners written.
    pub(super) async fn rewrite_winners(&self, log: &dyn SharedLog, keys: &[Arc<[u8]>], deadline: Instant) -> usize {
        let st = self.snapshot();
        let mut again = Vec::new();
        for k in keys {
            if let Ok(Key::Schema { subject, version }) = Key::decode(k) {
                let Some(name) = subject::normalize(&subject) else { continue };
                if let Some(e) = st.subject(&name).and_then(|s| s.versions.get(&version)) {
                    if *e.key == **k {
                        let value = Self::schema_value(&name, e, e.deleted);
                        again.push(LogRecord { key: e.key.clone(), value: Some(record::to_bytes(&value).into()) });
                    }
                }
            }
        }
        let n = again.len();
        if !again.is_empty() {
            if let Ok(Ok(o)) = tokio::time::timeout_at(deadline, log.produce(again)).await {
                let _ = self.wait_visible(o.last().copied().unwrap_or(0) + 1, deadline).await;
            }
        }
        n
    }
}

/// The subjects `records` write (SCHEMA, DELETE_SUBJECT, CLEAR_SUBJECT, CONFIG, MODE keys; `*`
/// for a global or context scope) and the subjects their schemas reference.
fn touched_subjects(records: &[LogRecord]) -> HashSet<String> {
    let mut out = HashSet::new();
    for r in records {
        let subject = match Key::decode(&r.key) {
            Ok(Key::Schema { subject, .. }) | Ok(Key::DeleteSubject { subject }) => Some(subject),
            Ok(Key::ClearSubject { subject }) | Ok(Key::Config { subject }) | Ok(Key::Mode { subject }) => subject,
            _ => None,
        };
        let Some(subject) = subject.and_then(|s| subject::normalize(&s)) else {
            out.insert("*".to_string());
            continue;
        };
        if let Some(v) = r.value.as_deref().and_then(|v| serde_json::from_slice::<record::SchemaValue>(v).ok()) {
            if let Some(q) = QualifiedSubject::parse(&subject) {
                out.extend(v.references.iter().filter_map(|x| subject::qualify_in_context_of(&x.subject, &q)));
            }
        }
        out.insert(subject);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registration_touches_its_subject_and_what_it_references() {
        let value = SchemaValue {
            subject: ":.eu:orders".into(),
            version: 2,
            id: 7,
            schema_type: None,
            references: vec![SchemaReference { name: "a.avsc".into(), subject: "address".into(), version: 1 }],
            metadata: None,
            rule_set: None,
            schema: "\"string\"".into(),
            deleted: false,
        };
        let rec = LogRecord::new(
            Key::Schema { subject: ":.eu:orders".into(), version: 2 }.encode(),
            Some(record::to_bytes(&value)),
        );
        let config = LogRecord::new(Key::Config { subject: None }.encode(), Some(b"{}".to_vec()));
        let touched = touched_subjects(&[rec, config]);
        let want: HashSet<String> = [":.eu:orders", ":.eu:address", "*"].iter().map(|s| s.to_string()).collect();
        assert_eq!(touched, want);
    }
}
