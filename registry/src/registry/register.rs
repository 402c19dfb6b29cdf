//! Registration (POST /subjects/{s}/versions), in named steps: read the request → prepare
//! (parse and canonicalize) → find an existing version → check compatibility → allocate the
//! version and id → build the records → commit.
//!
//! Parsing and compatibility checks run on the CPU pool against a snapshot, never under the
//! writer lock. Under the lock the write only confirms that what they looked at is unchanged
//! (the referenced versions, the subject's live versions and its level); when it changed, the
//! registration is prepared again against newer state.

use super::*;

/// How often a registration is prepared again because the subject changed while it was being
/// checked, before it is checked once more while holding the writer lock.
const MAX_UNLOCKED_TRIES: u32 = 4;

/// What the request asks for, read once.
struct Ask {
    q: QualifiedSubject,
    subject: String,
    /// An explicit id (IMPORT mode).
    id: Option<u32>,
    /// An explicit version (IMPORT mode, or the next version).
    version: Option<u32>,
}

/// The facts a compatibility verdict rests on: the level and the live versions it was checked
/// against. A verdict stays valid while these are unchanged.
#[derive(PartialEq, Eq)]
struct CheckBasis {
    level: CompatibilityLevel,
    live: Vec<(u32, u32)>,
}

/// A prepared schema and its compatibility verdict, with what they rest on.
struct Checked {
    prepared: Prepared,
    /// Confluent's messages (empty = compatible); None when no check was needed.
    problems: Option<Vec<String>>,
    basis: CheckBasis,
}

impl Ask {
    fn read(subject_str: &str, req: &RegisterRequest) -> ApiResult<Ask> {
        let q = Registry::parse_subject(subject_str)?;
        let subject = q.qualified();
        let id = match req.id {
            None | Some(0) => None,
            Some(n) if (1..=i64::from(i32::MAX)).contains(&n) => Some(n as u32),
            Some(n) => return Err(ApiError::invalid_schema(format!("Invalid id {n}: ids are between 1 and 2^31-1"))),
        };
        let version = match req.version {
            None | Some(0) | Some(-1) => None,
            Some(n) if (1..=i64::from(i32::MAX)).contains(&n) => Some(n as u32),
            Some(n) => return Err(ApiError::invalid_version(&n.to_string())),
        };
        Ok(Ask { q, subject, id, version })
    }

    /// An identical live version answers a plain registration.
    fn existing_live(&self, st: &State, hash: &state::SchemaHash) -> Option<VersionEntry> {
        if self.id.is_some() || self.version.is_some() {
            return None;
        }
        st.subject(&self.subject)?.live().rev().find(|v| v.schema.hash == *hash).cloned()
    }

    /// The mode allows this write; true when it imports (explicit ids, no compatibility check).
    fn check_mode(&self, st: &State) -> ApiResult<bool> {
        let (subject, ctx_label) = (&self.subject, &self.q.context);
        let mode = st.effective_mode(Some(&self.q));
        if mode.is_read_only() {
            return Err(ApiError::not_permitted(format!(
                "Subject {subject} in context {ctx_label} is in read-only mode"
            )));
        }
        let importing = matches!(mode, Mode::Import | Mode::Forward);
        if self.id.is_some() && !importing {
            return Err(ApiError::not_permitted(format!(
                "Subject {subject} in context {ctx_label} is not in import mode"
            )));
        }
        if self.id.is_none() && mode != Mode::ReadWrite {
            return Err(ApiError::not_permitted(format!(
                "Subject {subject} in context {ctx_label} is not in read-write mode"
            )));
        }
        Ok(importing)
    }

    /// Does this registration need a compatibility check against `st`?
    fn needs_check(&self, st: &State, force: bool) -> bool {
        !force && !matches!(st.effective_mode(Some(&self.q)), Mode::Import | Mode::Forward)
    }
}

/// Where a new registration goes, or the version that already holds it.
enum Slot {
    New { version: u32, id: u32 },
    Existing(Registered),
}

impl Registry {
    /// Register a schema under a subject (POST /subjects/{s}/versions).
    pub(super) async fn register_now(
        &self,
        subject_str: &str,
        req: RegisterRequest,
        normalize: bool,
        force: bool,
    ) -> ApiResult<Registered> {
        let req = Arc::new(self.checked_rule_set(req)?);
        let ask = Arc::new(Ask::read(subject_str, &req)?);
        let mut snap = self.snapshot();
        // A follower that hands writes to the leader answers only a schema it already holds; the
        // leader checks compatibility, so the follower does not.
        let handing_over = crate::cluster::forward::refusal(self.cluster().map(|c| &**c));
        let mut checked = self.prepare_and_check(&snap, &ask, &req, normalize, force || handing_over.is_some()).await?;
        if let Some(v) = ask.existing_live(&snap, &checked.prepared.hash) {
            return Ok(Registered { subject: ask.subject.clone(), version: v.version, schema: v.schema });
        }
        if let Some(e) = handing_over {
            return Err(e);
        }
        let (mut stale, mut lost) = (0, 0);
        loop {
            let w = self.lock_writer().await?;
            if !self.still_holds(&w.pending, &snap, &ask, &checked, force)? {
                // The subject, its level or a referenced version changed since the snapshot.
                stale += 1;
                snap = Arc::new(w.pending.clone());
                if stale >= MAX_UNLOCKED_TRIES {
                    // Keep the lock this time, so a busy subject cannot starve this write.
                    checked = self.prepare_and_check(&snap, &ask, &req, normalize, force).await?;
                } else {
                    drop(w);
                    checked = self.prepare_and_check(&snap, &ask, &req, normalize, force).await?;
                    continue;
                }
            }
            let st = &w.pending;
            if let Some(v) = ask.existing_live(st, &checked.prepared.hash) {
                let out = Registered { subject: ask.subject.clone(), version: v.version, schema: v.schema };
                self.commit(w, Vec::new()).await?;
                return Ok(out);
            }
            let importing = ask.check_mode(st)?;
            let (version, id) = match Self::allocate(st, &ask, &checked.prepared, importing)? {
                Slot::Existing(out) => {
                    self.commit(w, Vec::new()).await?;
                    return Ok(out);
                }
                Slot::New { version, id } => (version, id),
            };
            if let Some(problems) = checked.problems.as_ref().filter(|p| !p.is_empty()) {
                return Err(ApiError::incompatible(&ask.subject, problems));
            }
            let records = Self::registration_records(st, &ask, &checked.prepared, version, id);
            if let Err(Lost) = self.commit_checked(w, records).await? {
                // Another node's record won (shared log): decide again against the state that holds it.
                lost += 1;
                if lost >= MAX_ATTEMPTS {
                    return Err(ApiError::store(format!(
                        "Registration under {} lost {lost} races to other nodes' writes; try again",
                        ask.subject
                    )));
                }
                snap = self.snapshot();
                checked = self.prepare_and_check(&snap, &ask, &req, normalize, force).await?;
                continue;
            }
            let schema = self
                .snapshot()
                .schema_by_id(&ask.q.context, id)
                .cloned()
                .ok_or_else(|| ApiError::store("registered schema not visible after commit"))?;
            return Ok(Registered { subject: ask.subject.clone(), version, schema });
        }
    }

    /// Prepare the request and check it against `st`, on the CPU pool — or on this task when the
    /// schema is already parsed and needs no check (a re-registration).
    async fn prepare_and_check(
        &self,
        st: &Arc<State>,
        ask: &Arc<Ask>,
        req: &Arc<RegisterRequest>,
        normalize: bool,
        force: bool,
    ) -> ApiResult<Checked> {
        let merged = Self::registration_request(st, &ask.q, req, self.config.rule_sets);
        let asked = merged.as_ref().unwrap_or(req);
        if self.parse_is_cached(st, &ask.q, asked, normalize) {
            let prepared = self.prepare(st, &ask.q, asked, normalize)?;
            if !ask.needs_check(st, force) || ask.existing_live(st, &prepared.hash).is_some() {
                return Ok(Checked { basis: self.check_basis(st, ask), prepared, problems: None });
            }
        }
        let (st, ask, req) = (st.clone(), ask.clone(), req.clone());
        self.on_cpu(move |me| {
            // Metadata from the config and the previous version (data contracts).
            let merged = Self::registration_request(&st, &ask.q, &req, me.config.rule_sets);
            let prepared = me.prepare(&st, &ask.q, merged.as_ref().unwrap_or(&req), normalize)?;
            let basis = me.check_basis(&st, &ask);
            let problems = if ask.needs_check(&st, force) && ask.existing_live(&st, &prepared.hash).is_none() {
                let entry = st.subject(&ask.subject);
                let live: Vec<&VersionEntry> = entry.map(|e| e.live().rev().collect()).unwrap_or_default();
                let latest = live.first().copied();
                let live = Self::in_compatibility_group(&st, &ask.q, prepared.metadata.as_ref(), live);
                let problems = me.check_against(&st, &ask.q, &prepared.parsed, &live)?;
                let md = prepared.metadata.as_ref();
                Some(me.with_field_validation(&st, &ask.q, &prepared.parsed, md, latest, problems))
            } else {
                None
            };
            Ok(Checked { prepared, problems, basis })
        })
        .await
    }

    fn check_basis(&self, st: &State, ask: &Ask) -> CheckBasis {
        let live = st.subject(&ask.subject).map(|e| e.live().map(|v| (v.version, v.schema.id)).collect());
        CheckBasis { level: self.compatibility_level(st, &ask.q), live: live.unwrap_or_default() }
    }

    /// Is what `checked` was computed from (at `snap`) still true in the writer's state `st`?
    fn still_holds(&self, st: &State, snap: &State, ask: &Ask, checked: &Checked, force: bool) -> ApiResult<bool> {
        if st.position == snap.position {
            return Ok(true);
        }
        if checked.problems.is_none()
            && ask.needs_check(st, force)
            && ask.existing_live(st, &checked.prepared.hash).is_none()
        {
            return Ok(false);
        }
        if self.check_basis(st, ask) != checked.basis {
            return Ok(false);
        }
        let refs = &checked.prepared.references;
        if refs.is_empty() {
            return Ok(true);
        }
        // The references resolve to the same versions (a version's schema never changes).
        match Self::resolve_references(st, &ask.q, refs, false) {
            Ok((concrete, _)) => Ok(concrete == *refs),
            Err(_) => Ok(false),
        }
    }

    /// The version and id of a new registration, or the version that already holds it.
    fn allocate(st: &State, ask: &Ask, prepared: &Prepared, importing: bool) -> ApiResult<Slot> {
        let (subject, ctx_label) = (&ask.subject, &ask.q.context);
        let entry = st.subject(subject);
        let max_version = entry.map_or(0, |e| e.max_version());
        if max_version >= i32::MAX as u32 && ask.version.is_none() {
            // The next version would be past 2^31-1: Confluent's message says why.
            return Err(ApiError::invalid_version(&(u64::from(max_version) + 1).to_string()));
        }
        let next_version = max_version + 1;
        let version = match ask.version {
            None => next_version,
            Some(v) if importing => {
                if let Some(existing) = entry.and_then(|e| e.versions.get(&v)) {
                    if existing.schema.hash == prepared.hash
                        && ask.id.is_none_or(|id| id == existing.schema.id)
                        && !existing.deleted
                    {
                        let out = Registered { subject: subject.clone(), version: v, schema: existing.schema.clone() };
                        return Ok(Slot::Existing(out));
                    }
                }
                // IMPORT writes another schema over an existing version, as Confluent does; only
                // an id holding another schema is refused (below).
                v
            }
            Some(v) if v == next_version => v,
            Some(_) => return Err(ApiError::invalid_schema("Version is not one more than previous version")),
        };
        let ctx = st.context(&ask.q.context);
        let hash_id = ctx.and_then(|c| c.by_hash.get(&prepared.hash).copied());
        let id = match ask.id {
            Some(id) => {
                if let Some(existing) = ctx.and_then(|c| c.by_id.get(&id)) {
                    if existing.hash != prepared.hash {
                        return Err(ApiError::not_permitted(format!(
                            "Overwrite new schema with id {id} in context {ctx_label} is not permitted."
                        )));
                    }
                }
                if let Some(other) = hash_id.filter(|h| *h != id) {
                    return Err(ApiError::id_does_not_match(format!(
                        "The ID of an imported schema does not match the existing ID: this schema already has id {other} in context {ctx_label}, not {id}"
                    )));
                }
                id
            }
            None => hash_id.unwrap_or_else(|| ctx.map_or(0, |c| c.max_id) + 1),
        };
        if id > i32::MAX as u32 {
            return Err(ApiError::not_permitted(format!(
                "No schema ids left in context {ctx_label}: every id up to 2147483647 has been used"
            )));
        }
        Ok(Slot::New { version, id })
    }

    /// The log records of a new registration.
    fn registration_records(st: &State, ask: &Ask, prepared: &Prepared, version: u32, id: u32) -> Vec<LogRecord> {
        let (q, subject) = (&ask.q, &ask.subject);
        let mut records = Vec::new();
        if !q.is_default_context() && st.context(&q.context).is_none() {
            let v = ContextValue { tenant: "default".into(), context: q.context.clone() };
            let key = Key::Context { tenant: "default".into(), context: q.context.clone() };
            records.push(LogRecord::new(key.encode(), Some(record::to_bytes(&v))));
        }
        // Older soft-deleted versions of this subject holding the same id are removed (Confluent does the same).
        if let Some(e) = st.subject(subject) {
            for old in e.versions.values().filter(|v| v.deleted && v.schema.id == id) {
                if st.referrers(subject, old.version, true).is_empty() {
                    records.push(LogRecord::tombstone(old.key.clone()));
                }
            }
        }
        let value = SchemaValue {
            subject: subject.clone(),
            version,
            id,
            schema_type: Some(prepared.parsed.schema_type().as_str().to_string()),
            references: prepared.references.clone(),
            metadata: prepared.metadata.clone(),
            rule_set: prepared.rule_set.clone(),
            schema: prepared.parsed.canonical().to_string(),
            deleted: false,
        };
        records.push(LogRecord::new(
            Key::Schema { subject: subject.clone(), version }.encode(),
            Some(record::to_bytes(&value)),
        ));
        records
    }
}
