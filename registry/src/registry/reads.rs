//! Lookups of subjects, versions and compatibility verdicts against a snapshot.

use super::*;

impl Registry {
    /// The subject a request path names, with Confluent's subject aliases applied (its
    /// `AliasFilter`): when the subject's own config (not one inherited from its context or the
    /// root) has a non-empty `alias`, the request goes to that subject instead, resolved in the
    /// aliased subject's context when unqualified. One level only: an alias of an alias is not
    /// followed.
    pub fn resolve_alias(st: &State, subject_str: &str) -> String {
        if st.configs.is_empty() || subject_str.is_empty() {
            return subject_str.to_string();
        }
        let Some(q) = QualifiedSubject::parse(subject_str) else { return subject_str.to_string() };
        if q.name.is_empty() {
            return subject_str.to_string();
        }
        let alias = st.configs.get(&Some(q.qualified())).and_then(|c| c.value.get("alias")).and_then(Value::as_str);
        match alias.filter(|a| !a.is_empty()).and_then(|a| subject::qualify_in_context_of(a, &q)) {
            Some(target) => target,
            None => subject_str.to_string(),
        }
    }

    /// Find a subject, falling back to other contexts for an unqualified name (Confluent does).
    pub fn find_subject(st: &State, subject_str: &str, include_deleted: bool) -> ApiResult<String> {
        let q = QualifiedSubject::parse(subject_str).ok_or_else(|| ApiError::subject_not_found(subject_str))?;
        let visible = |name: &str| st.subject(name).is_some_and(|s| include_deleted || s.has_live());
        let name = q.qualified();
        if visible(&name) {
            return Ok(name);
        }
        if q.is_default_context() && !subject_str.starts_with(':') {
            for ctx in st.contexts.keys().filter(|c| c.as_str() != DEFAULT_CONTEXT) {
                let candidate = QualifiedSubject::new(ctx, &q.name).qualified();
                if visible(&candidate) {
                    return Ok(candidate);
                }
            }
        }
        Err(ApiError::subject_not_found(subject_str))
    }

    /// Is this schema registered under the subject? (POST /subjects/{s}) Returns the snapshot it
    /// was looked up in, the subject it was found under (unqualified names fall back to other
    /// contexts) and the version. Parsing runs on the CPU pool, unless the schema is parsed already.
    pub async fn lookup(
        &self,
        subject_str: &str,
        req: RegisterRequest,
        normalize: bool,
        include_deleted: bool,
    ) -> ApiResult<(Arc<State>, String, u32)> {
        let st = self.snapshot();
        let subject = Self::find_subject(&st, subject_str, include_deleted)?;
        let q = QualifiedSubject::parse(&subject).ok_or_else(|| ApiError::subject_not_found(subject_str))?;
        let (snap, name) = (st.clone(), subject.clone());
        let cached = self.parse_is_cached(&st, &q, &req, normalize);
        let work = move |me: &Registry| {
            let find = |hash: state::SchemaHash| {
                let s = snap.subject(&name)?;
                s.versions.values().rev().find(|v| v.schema.hash == hash && (include_deleted || !v.deleted))
            };
            let prepared = me.prepare(&snap, &q, &req, normalize)?;
            if let Some(v) = find(prepared.hash) {
                return Ok(Some(v.version));
            }
            // Again with the metadata and rule set a registration would store (config
            // defaults and overrides, the latest version's), as Confluent's lookup does.
            let Some(again) = Self::contract_request(&snap, &q, &req, me.config.rule_sets) else {
                return Ok(None);
            };
            let prepared = me.prepare(&snap, &q, &again, normalize)?;
            Ok(find(prepared.hash).map(|v| v.version))
        };
        let found = if cached { work(self) } else { self.on_cpu(work).await };
        let found = found?.ok_or_else(ApiError::schema_not_found)?;
        Ok((st, subject, found))
    }

    /// POST /compatibility/subjects/{s}/versions[/{v}]: the messages (empty = compatible).
    /// Parsing and checking run on the CPU pool.
    pub async fn check_compatibility(
        &self,
        subject_str: &str,
        version: Option<VersionSpec>,
        req: RegisterRequest,
        normalize: bool,
    ) -> ApiResult<Vec<String>> {
        let st = self.snapshot();
        let q = Self::parse_subject(&Self::resolve_alias(&st, subject_str))?;
        self.on_cpu(move |me| {
            let subject = q.qualified();
            let prepared = me.prepare(&st, &q, &req, normalize)?;
            let entry = st.subject(&subject);
            let versions: Vec<&VersionEntry> = match version {
                None => entry.map(|e| e.live().rev().collect()).unwrap_or_default(),
                Some(VersionSpec::Latest) => entry.and_then(|e| e.latest_live()).into_iter().collect(),
                Some(VersionSpec::Number(n)) => {
                    // Confluent answers 40402 for a missing numeric version, also of a missing subject.
                    let v = entry.and_then(|e| e.versions.get(&n)).filter(|v| !v.deleted);
                    vec![v.ok_or_else(|| ApiError::version_not_found(n))?]
                }
            };
            let latest = versions.first().copied();
            let versions = Self::in_compatibility_group(&st, &q, prepared.metadata.as_ref(), versions);
            let problems = me.check_against(&st, &q, &prepared.parsed, &versions)?;
            Ok(me.with_field_validation(&st, &q, &prepared.parsed, prepared.metadata.as_ref(), latest, problems))
        })
        .await
    }

    /// The schema text a `?format=` query asks for (Confluent's `formattedString`), for a schema
    /// stored in `context`; None when it is the stored text (no format, `default`, an unknown
    /// format, or nothing to do). Parsing runs on the CPU pool and is cached with the schema.
    pub async fn formatted_schema(
        &self,
        st: Arc<State>,
        context: &str,
        stored: &Arc<StoredSchema>,
        format: Option<&str>,
    ) -> ApiResult<Option<String>> {
        let format = format.map(str::trim).unwrap_or("");
        let wanted = match stored.schema_type {
            SchemaType::Avro => format == "resolved" && !stored.references.is_empty(),
            SchemaType::Protobuf => format == "serialized",
            SchemaType::Json => false,
        };
        if !wanted {
            return Ok(None);
        }
        let (subject, stored, format) =
            (QualifiedSubject::new(context, "").qualified(), stored.clone(), format.to_string());
        self.on_cpu(move |me| Ok(me.parsed_stored(&st, &subject, &stored)?.formatted(&format))).await
    }

    /// Resolve a version of a subject for reads and deletes.
    pub fn version_entry<'a>(
        st: &'a State,
        subject: &str,
        spec: VersionSpec,
        include_deleted: bool,
    ) -> ApiResult<&'a VersionEntry> {
        let entry = st.subject(subject).ok_or_else(|| ApiError::subject_not_found(subject))?;
        match spec {
            VersionSpec::Latest => {
                let latest = if include_deleted { entry.versions.values().next_back() } else { entry.latest_live() };
                latest.ok_or_else(|| {
                    if include_deleted || entry.has_live() {
                        ApiError::version_not_found("latest")
                    } else {
                        ApiError::subject_not_found(subject)
                    }
                })
            }
            VersionSpec::Number(n) => entry
                .versions
                .get(&n)
                .filter(|v| include_deleted || !v.deleted)
                .ok_or_else(|| ApiError::version_not_found(n)),
        }
    }
}
