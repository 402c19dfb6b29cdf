//! Parsing and canonicalizing requests, resolving references, and compatibility checks against stored versions.

use super::*;

impl Registry {
    /// Parse a subject from the API (42208 when invalid).
    pub fn parse_subject(s: &str) -> ApiResult<QualifiedSubject> {
        QualifiedSubject::parse(s).filter(subject::is_valid_subject).ok_or_else(|| ApiError::invalid_subject(s))
    }

    pub(super) fn normalize_for(&self, st: &State, q: &QualifiedSubject, requested: bool) -> bool {
        requested || st.config_field(Some(q), "normalize").and_then(Value::as_bool).unwrap_or(false)
    }

    /// Resolve references in the referrer's context: `version: -1` becomes the latest version.
    /// New registrations may not reference soft-deleted versions. Each referenced version is
    /// expanded once (a diamond of references costs its edges, not its paths) and the whole
    /// closure is bounded in count and size (42201 past the bounds).
    pub(super) fn resolve_references(
        st: &State,
        referrer: &QualifiedSubject,
        refs: &[SchemaReference],
        allow_deleted: bool,
    ) -> ApiResult<(Vec<SchemaReference>, Vec<Dependency>)> {
        let mut closure = Closure::default();
        closure.resolve(st, referrer, refs, allow_deleted, 0)
    }
    /// The schema a request names: its type, text and references. An empty schema means the
    /// latest version's schema (Confluent: used to change only metadata).
    fn requested_schema(
        st: &State,
        q: &QualifiedSubject,
        req: &RegisterRequest,
    ) -> ApiResult<(SchemaType, Arc<str>, Vec<SchemaReference>)> {
        let text = req.schema.as_deref().unwrap_or("");
        if text.trim().is_empty() {
            let latest = st.subject(&q.qualified()).and_then(|s| s.latest_live());
            let prev = latest.ok_or_else(|| ApiError::invalid_schema("Empty schema"))?;
            return Ok((prev.schema.schema_type, prev.schema.schema.clone(), prev.schema.references.clone()));
        }
        let t = SchemaType::parse(req.schema_type.as_deref()).ok_or_else(|| {
            ApiError::invalid_schema(format!("Invalid schema type {}", req.schema_type.as_deref().unwrap_or("")))
        })?;
        Ok((t, Arc::<str>::from(text), req.references.clone().unwrap_or_default()))
    }

    /// Would [`Self::prepare`] find this request's schema already parsed (no references, in the
    /// parse cache)? Then preparing it is cheap enough for the request's own task.
    pub(super) fn parse_is_cached(
        &self,
        st: &State,
        q: &QualifiedSubject,
        req: &RegisterRequest,
        normalize: bool,
    ) -> bool {
        match Self::requested_schema(st, q, req) {
            Ok((schema_type, text, refs)) if refs.is_empty() && text.len() <= self.config.max_schema_bytes => {
                let normalize = self.normalize_for(st, q, normalize);
                self.parse_cache.contains_key(&ParseKey { schema_type: schema_type.as_str(), normalize, text })
            }
            _ => false,
        }
    }

    /// Parse + canonicalize a request against `st`. Empty schema reuses the latest version's
    /// schema (Confluent: used to change only metadata).
    pub fn prepare(
        &self,
        st: &State,
        q: &QualifiedSubject,
        req: &RegisterRequest,
        normalize: bool,
    ) -> ApiResult<Prepared> {
        let (schema_type, text, refs) = Self::requested_schema(st, q, req)?;
        if text.len() > self.config.max_schema_bytes {
            return Err(ApiError::schema_too_large(format!(
                "Schema too large: {} bytes, the limit is {} bytes",
                text.len(),
                self.config.max_schema_bytes
            )));
        }
        let normalize = self.normalize_for(st, q, normalize);
        let metadata = req.metadata.clone().filter(|m| !m.is_null() && m.as_object().is_none_or(|o| !o.is_empty()));
        // A rule set is kept even when empty (`{}`): Confluent stores and hashes it so.
        let rule_set = req.rule_set.clone().filter(|r| !r.is_null());
        let (references, parsed, hash) = if refs.is_empty() {
            let key = ParseKey { schema_type: schema_type.as_str(), normalize, text: text.clone() };
            let (parsed, plain_hash) = match self.parse_cache.get(&key) {
                Some(hit) => hit,
                None => {
                    let p = Arc::new(
                        ParsedSchema::parse(schema_type, &text, &[], normalize).map_err(ApiError::invalid_schema)?,
                    );
                    let h = state::schema_hash(p.canonical(), &[], None, None);
                    self.parse_cache.insert(key, (p.clone(), h));
                    (p, h)
                }
            };
            let hash = match (&metadata, &rule_set) {
                (None, None) => plain_hash,
                (m, r) => state::schema_hash(parsed.canonical(), &[], m.as_ref(), r.as_ref()),
            };
            (Vec::new(), parsed, hash)
        } else {
            let (concrete, deps) = Self::resolve_references(st, q, &refs, false)?;
            let p = ParsedSchema::parse(schema_type, &text, &deps, normalize).map_err(ApiError::invalid_schema)?;
            let hash = state::schema_hash(p.canonical(), &concrete, metadata.as_ref(), rule_set.as_ref());
            (concrete, Arc::new(p), hash)
        };
        if parsed.canonical().len() > self.config.max_schema_bytes {
            return Err(ApiError::schema_too_large("Schema too large"));
        }
        Ok(Prepared { parsed, references, metadata, rule_set, hash })
    }

    /// Parse a stored schema (cached), for compatibility checks.
    pub(super) fn parsed_stored(
        &self,
        st: &State,
        subject: &str,
        stored: &Arc<StoredSchema>,
    ) -> ApiResult<Arc<ParsedSchema>> {
        let context = subject::context_of(subject);
        let key = (context, stored.id);
        if let Some((s, p)) = self.stored_cache.get(&key) {
            if Arc::ptr_eq(&s, stored) {
                return Ok(p);
            }
        }
        let q = QualifiedSubject::parse(subject).ok_or_else(|| ApiError::invalid_subject(subject))?;
        let (_, deps) = Self::resolve_references(st, &q, &stored.references, true)?;
        let parsed = ParsedSchema::parse(stored.schema_type, &stored.schema, &deps, false).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                500,
                format!("stored schema id {} no longer parses: {e}", stored.id),
            )
        })?;
        let parsed = Arc::new(parsed);
        self.stored_cache.insert(key, (stored.clone(), parsed.clone()));
        Ok(parsed)
    }

    /// The compatibility level in force for a subject.
    pub fn compatibility_level(&self, st: &State, q: &QualifiedSubject) -> CompatibilityLevel {
        st.config_field(Some(q), "compatibilityLevel")
            .and_then(Value::as_str)
            .and_then(CompatibilityLevel::parse)
            .unwrap_or(self.config.default_compatibility)
    }

    /// Confluent's compatibility messages for `new` against the given versions (newest first).
    pub(super) fn check_against(
        &self,
        st: &State,
        q: &QualifiedSubject,
        new: &ParsedSchema,
        versions: &[&VersionEntry],
    ) -> ApiResult<Vec<String>> {
        let level = self.compatibility_level(st, q);
        if level == CompatibilityLevel::None || versions.is_empty() {
            return Ok(Vec::new());
        }
        let subject = q.qualified();
        let take = if level.is_transitive() { versions.len() } else { 1 };
        let mut parsed = Vec::with_capacity(take);
        for v in &versions[..take] {
            parsed.push((v.version, self.parsed_stored(st, &subject, &v.schema)?));
        }
        let previous: Vec<Previous<'_>> = parsed.iter().map(|(n, p)| Previous { version: *n, schema: p }).collect();
        Ok(schema::check_compatibility(level, new, &previous))
    }
}

/// Most referenced schemas one schema may pull in, directly and indirectly.
pub const MAX_REFERENCED_SCHEMAS: usize = 10_000;
/// Most bytes of referenced schema text one schema may pull in.
pub const MAX_REFERENCED_BYTES: usize = 32 * 1024 * 1024;

/// The referenced versions met so far while resolving one schema's references.
#[derive(Default)]
struct Closure {
    expanded: HashSet<(String, u32)>,
    bytes: usize,
}

impl Closure {
    fn resolve(
        &mut self,
        st: &State,
        referrer: &QualifiedSubject,
        refs: &[SchemaReference],
        allow_deleted: bool,
        depth: usize,
    ) -> ApiResult<(Vec<SchemaReference>, Vec<Dependency>)> {
        if depth > 32 {
            return Err(ApiError::invalid_schema("Invalid schema: references nested more than 32 levels deep"));
        }
        let mut concrete = Vec::with_capacity(refs.len());
        let mut deps = Vec::with_capacity(refs.len());
        for r in refs {
            let missing = || {
                ApiError::invalid_schema(format!(
                    "Invalid schema: reference {} to subject '{}' version {} not found",
                    r.name, r.subject, r.version
                ))
            };
            if r.name.is_empty() || r.subject.is_empty() {
                return Err(ApiError::invalid_schema("Invalid schema: a reference needs a name and a subject"));
            }
            let target = subject::qualify_in_context_of(&r.subject, referrer).ok_or_else(missing)?;
            let entry = st.subject(&target).ok_or_else(missing)?;
            let v = match r.version {
                -1 => entry.latest_live(),
                n if n > 0 => entry.versions.get(&(n as u32)).filter(|v| allow_deleted || !v.deleted),
                _ => None,
            }
            .ok_or_else(missing)?;
            // A version met before was expanded then, and its dependencies come before it in
            // `Dependency::flatten` order: here it needs only its own entry (its name may differ).
            let inner = if self.expanded.insert((target.clone(), v.version)) {
                self.bytes += v.schema.schema.len();
                if !crate::budget::charge_each(v.schema.schema.len(), 1) {
                    // The request's work budget is spent (the caller answers 42290).
                    return Err(ApiError::invalid_schema("Invalid schema: request work limit exceeded"));
                }
                if self.expanded.len() > MAX_REFERENCED_SCHEMAS {
                    return Err(ApiError::invalid_schema(format!(
                        "Invalid schema: it references more than {MAX_REFERENCED_SCHEMAS} schemas directly and indirectly"
                    )));
                }
                if self.bytes > MAX_REFERENCED_BYTES {
                    return Err(ApiError::invalid_schema(format!(
                        "Invalid schema: the schemas it references total more than {MAX_REFERENCED_BYTES} bytes"
                    )));
                }
                let target_q = QualifiedSubject::parse(&target).ok_or_else(missing)?;
                self.resolve(st, &target_q, &v.schema.references, true, depth + 1)?.1
            } else {
                Vec::new()
            };
            concrete.push(SchemaReference {
                name: r.name.clone(),
                subject: r.subject.clone(),
                version: v.version as i32,
            });
            deps.push(Dependency {
                name: r.name.clone(),
                schema_type: v.schema.schema_type,
                schema: v.schema.schema.clone(),
                dependencies: inner,
            });
        }
        Ok((concrete, deps))
    }
}
