//! Config, mode and context writes.

use super::*;

impl Registry {
    /// PUT /config[/{s}]: merge `update` into the stored config (absent = keep, null = clear).
    /// Returns the resulting stored fields.
    pub(super) async fn update_config_now(
        &self,
        scope: ScopeKey,
        update: Map<String, Value>,
    ) -> ApiResult<Map<String, Value>> {
        let w = self.lock_writer().await?;
        let st = &w.pending;
        Self::check_writable(st, &Self::scope_subject(&scope))?;
        let mut fields: Map<String, Value> = st.configs.get(&scope).map(|c| (*c.value).clone()).unwrap_or_default();
        for (k, v) in update {
            if v.is_null() {
                fields.remove(&k);
            } else {
                fields.insert(k, v);
            }
        }
        let key = Key::Config { subject: scope.clone() };
        let rec = if fields.is_empty() {
            match st.configs.get(&scope) {
                Some(c) => LogRecord::tombstone(c.key.clone()),
                None => return Ok(fields),
            }
        } else {
            let key_bytes: Arc<[u8]> =
                st.configs.get(&scope).map(|c| c.key.clone()).unwrap_or_else(|| key.encode().into());
            LogRecord { key: key_bytes, value: Some(record::encode_config(scope.as_deref(), &fields).into()) }
        };
        self.commit(w, vec![rec]).await?;
        Ok(fields)
    }

    /// The subject (or bare context) whose mode governs writes to a config scope; the default
    /// context's for the global scope, so a global READONLY also freezes the global config.
    pub(super) fn scope_subject(scope: &ScopeKey) -> QualifiedSubject {
        scope.as_deref().and_then(QualifiedSubject::parse).unwrap_or_else(|| QualifiedSubject::new(DEFAULT_CONTEXT, ""))
    }

    /// DELETE /config[/{s}]: returns the old fields, None when nothing was set.
    pub(super) async fn delete_config_now(&self, scope: ScopeKey) -> ApiResult<Option<Map<String, Value>>> {
        let w = self.lock_writer().await?;
        Self::check_writable(&w.pending, &Self::scope_subject(&scope))?;
        let Some(old) = w.pending.configs.get(&scope).cloned() else { return Ok(None) };
        self.commit(w, vec![LogRecord::tombstone(old.key.clone())]).await?;
        Ok(Some((*old.value).clone()))
    }

    /// Subjects a mode scope covers: all (global), a context's, or one subject.
    pub(super) fn subjects_in_scope<'a>(st: &'a State, scope: &ScopeKey) -> Vec<(&'a String, &'a state::SubjectEntry)> {
        let q = scope.as_deref().and_then(QualifiedSubject::parse);
        st.subjects
            .iter()
            .filter(|(name, _)| match &q {
                None => true,
                Some(q) if q.name.is_empty() => subject::context_of(name) == q.context,
                Some(q) => **name == q.qualified(),
            })
            .collect()
    }

    /// PUT /mode[/{s}]. Switching to IMPORT needs an empty scope unless `force`; soft-deleted
    /// versions in scope are then removed for good.
    pub(super) async fn set_mode_now(&self, scope: ScopeKey, mode: Option<Mode>, force: bool) -> ApiResult<()> {
        let w = self.lock_writer().await?;
        let st = &w.pending;
        let key = Key::Mode { subject: scope.clone() };
        let key_bytes: Arc<[u8]> = st.modes.get(&scope).map(|m| m.key.clone()).unwrap_or_else(|| key.encode().into());
        let mut records = Vec::new();
        match mode {
            None => {
                if st.modes.contains_key(&scope) {
                    records.push(LogRecord::tombstone(key_bytes));
                }
            }
            Some(m) => {
                let q = scope.as_deref().and_then(QualifiedSubject::parse);
                let current = st.effective_mode(q.as_ref());
                if m == Mode::Import && current != Mode::Import {
                    let in_scope = Self::subjects_in_scope(st, &scope);
                    if !force && in_scope.iter().any(|(_, e)| e.has_live()) {
                        return Err(ApiError::not_permitted("Cannot import since found existing subjects"));
                    }
                    for (name, e) in &in_scope {
                        for v in e.versions.values().filter(|v| v.deleted) {
                            if !st.referrers(name, v.version, true).is_empty() {
                                return Err(ApiError::reference_exists(name, v.version));
                            }
                            records.push(LogRecord::tombstone(v.key.clone()));
                        }
                    }
                }
                let value = ModeValue { subject: scope.clone(), mode: m.as_str().to_string() };
                records.push(LogRecord { key: key_bytes, value: Some(record::to_bytes(&value).into()) });
            }
        }
        self.commit(w, records).await
    }

    /// DELETE /mode[/{s}]: returns the old mode (None when none was set). `recursive` also clears
    /// every subject-level mode in the scope's context.
    pub(super) async fn delete_mode_now(&self, scope: ScopeKey, recursive: bool) -> ApiResult<Option<Mode>> {
        let w = self.lock_writer().await?;
        let st = &w.pending;
        let old = st.modes.get(&scope).map(|m| m.value);
        let mut records: Vec<LogRecord> =
            st.modes.get(&scope).map(|m| LogRecord::tombstone(m.key.clone())).into_iter().collect();
        if recursive {
            let context = match scope.as_deref().and_then(QualifiedSubject::parse) {
                Some(q) => q.context,
                None => DEFAULT_CONTEXT.to_string(),
            };
            for (k, m) in st.modes.iter() {
                if let Some(s) = k {
                    let q = QualifiedSubject::parse(s);
                    if k != &scope && q.is_some_and(|q| q.context == context && !q.name.is_empty()) {
                        records.push(LogRecord::tombstone(m.key.clone()));
                    }
                }
            }
        }
        if records.is_empty() {
            return Ok(None);
        }
        self.commit(w, records).await?;
        Ok(old.or(Some(Mode::ReadWrite)))
    }

    /// DELETE /contexts/{ctx}: only an empty context.
    pub(super) async fn delete_context_now(&self, context: &str) -> ApiResult<()> {
        let w = self.lock_writer().await?;
        let st = &w.pending;
        let label = format!(":{context}:");
        if st.subjects.keys().any(|s| subject::context_of(s) == context) {
            return Err(ApiError::context_not_empty(&label));
        }
        if context == DEFAULT_CONTEXT || !st.contexts.contains_key(context) {
            return Ok(());
        }
        let key = Key::Context { tenant: "default".into(), context: context.to_string() };
        self.commit(w, vec![LogRecord::new(key.encode(), None)]).await
    }
}
