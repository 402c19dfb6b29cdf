//! Registration (POST /subjects/{s}/versions).

use super::*;

impl Registry {
    /// Register a schema under a subject (POST /subjects/{s}/versions).
    pub(super) async fn register_now(
        &self,
        subject_str: &str,
        req: RegisterRequest,
        normalize: bool,
        force: bool,
    ) -> ApiResult<Registered> {
        let q = Self::parse_subject(subject_str)?;
        let subject = q.qualified();
        let req_id = match req.id {
            None | Some(0) => None,
            Some(n) if (1..=i64::from(i32::MAX)).contains(&n) => Some(n as u32),
            Some(n) => return Err(ApiError::invalid_schema(format!("Invalid id {n}: ids are between 1 and 2^31-1"))),
        };
        let req_version = match req.version {
            None | Some(0) | Some(-1) => None,
            Some(n) if (1..=i64::from(i32::MAX)).contains(&n) => Some(n as u32),
            Some(n) => return Err(ApiError::invalid_version(&n.to_string())),
        };
        let snap = self.snapshot();
        let prepared = self.prepare(&snap, &q, &req, normalize)?;
        let hash = prepared.hash;
        let find_live = |st: &State| -> Option<VersionEntry> {
            st.subject(&subject)?.live().rev().find(|v| v.schema.hash == hash).cloned()
        };
        // Fast path: an identical live version, no explicit id/version: answered from durable state.
        if req_id.is_none() && req_version.is_none() {
            if let Some(v) = find_live(&snap) {
                return Ok(Registered { subject, version: v.version, schema: v.schema });
            }
        }

        let mut attempt = 0;
        loop {
            let w = self.lock_writer().await?;
            let st = &w.pending;
            // The references may have changed since `prepare` read the snapshot.
            let prepared = if attempt > 0 || (!prepared.references.is_empty() && st.position != snap.position) {
                self.prepare(st, &q, &req, normalize)?
            } else {
                prepared.clone()
            };
            if req_id.is_none() && req_version.is_none() {
                if let Some(v) = find_live(st) {
                    let out = Registered { subject, version: v.version, schema: v.schema };
                    self.commit(w, Vec::new()).await?;
                    return Ok(out);
                }
            }
            let mode = st.effective_mode(Some(&q));
            let ctx_label = &q.context;
            if mode.is_read_only() {
                return Err(ApiError::not_permitted(format!(
                    "Subject {subject} in context {ctx_label} is in read-only mode"
                )));
            }
            let importing = matches!(mode, Mode::Import | Mode::Forward);
            if req_id.is_some() && !importing {
                return Err(ApiError::not_permitted(format!(
                    "Subject {subject} in context {ctx_label} is not in import mode"
                )));
            }
            if req_id.is_none() && mode != Mode::ReadWrite {
                return Err(ApiError::not_permitted(format!(
                    "Subject {subject} in context {ctx_label} is not in read-write mode"
                )));
            }

            let entry = st.subject(&subject);
            let next_version = entry.map_or(0, |e| e.max_version()) + 1;
            let version = match req_version {
                None => next_version,
                Some(v) if importing => {
                    if let Some(existing) = entry.and_then(|e| e.versions.get(&v)) {
                        if existing.schema.hash == prepared.hash
                            && req_id.is_none_or(|id| id == existing.schema.id)
                            && !existing.deleted
                        {
                            let out = Registered { subject, version: v, schema: existing.schema.clone() };
                            self.commit(w, Vec::new()).await?;
                            return Ok(out);
                        }
                        return Err(ApiError::not_permitted(format!(
                            "Overwrite new schema for subject {subject} version {v} is not permitted: that version already holds schema id {}",
                            existing.schema.id
                        )));
                    }
                    v
                }
                Some(v) if v == next_version => v,
                Some(_) => return Err(ApiError::invalid_schema("Version is not one more than previous version")),
            };

            let ctx = st.context(&q.context);
            let hash_id = ctx.and_then(|c| c.by_hash.get(&prepared.hash).copied());
            let id = match req_id {
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
                return Err(ApiError::store("no schema ids left in this context"));
            }

            if !importing && !force {
                let live: Vec<&VersionEntry> = entry.map(|e| e.live().rev().collect()).unwrap_or_default();
                let problems = self.check_against(st, &q, &prepared.parsed, &live)?;
                if !problems.is_empty() {
                    return Err(ApiError::incompatible(&subject, &problems));
                }
            }

            let mut records = Vec::new();
            if !q.is_default_context() && st.context(&q.context).is_none() {
                let v = ContextValue { tenant: "default".into(), context: q.context.clone() };
                let key = Key::Context { tenant: "default".into(), context: q.context.clone() };
                records.push(LogRecord::new(key.encode(), Some(record::to_bytes(&v))));
            }
            // Older soft-deleted versions of this subject holding the same id are removed (Confluent does the same).
            if let Some(e) = entry {
                for old in e.versions.values().filter(|v| v.deleted && v.schema.id == id) {
                    if st.referrers(&subject, old.version, true).is_empty() {
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
                rule_set: None,
                schema: prepared.parsed.canonical().to_string(),
                deleted: false,
            };
            records.push(LogRecord::new(
                Key::Schema { subject: subject.clone(), version }.encode(),
                Some(record::to_bytes(&value)),
            ));
            if let Err(Lost) = self.commit_checked(w, records).await? {
                // Another node's record won (shared log): decide again against the state that holds it.
                attempt += 1;
                if attempt >= MAX_ATTEMPTS {
                    return Err(ApiError::store(format!(
                        "Registration under {subject} lost {attempt} races to other nodes' writes; try again"
                    )));
                }
                continue;
            }
            let snap = self.snapshot();
            let schema = snap
                .schema_by_id(&q.context, id)
                .cloned()
                .ok_or_else(|| ApiError::store("registered schema not visible after commit"))?;
            return Ok(Registered { subject, version, schema });
        }
    }
}
