//! Planning: read both sides of a subject and diff them; phase 1 imports what is missing
//! (the writes themselves are in `apply`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::{Map, Value};

use super::{abbreviate, side_err, Link, SyncError};
use crate::client::{Reference, RegistryClient, SubjectVersion};
use crate::mapping::{Qualified, DEFAULT_CONTEXT};

/// One version's content (immutable on a registry once written).
#[derive(Debug, Clone, PartialEq)]
pub struct VersionData {
    pub id: i64,
    pub schema_type: String,
    pub references: Vec<Reference>,
    pub schema: String,
    /// Metadata and rule set (data contracts), copied as they are.
    pub metadata: Option<Value>,
    pub rule_set: Option<Value>,
}

impl VersionData {
    pub(super) fn from(v: SubjectVersion) -> Self {
        Self {
            id: v.id,
            schema_type: v.schema_type.unwrap_or_else(|| "AVRO".into()),
            references: v.references,
            schema: v.schema,
            metadata: v.metadata,
            rule_set: v.rule_set,
        }
    }
}

/// A subject on one side: versions (with soft-delete flags), effective mode, subject config.
#[derive(Debug, Clone, Default)]
pub struct SubjectSnapshot {
    pub versions: BTreeMap<i64, (Arc<VersionData>, bool)>,
    pub mode: Option<String>,
    pub config: Option<Map<String, Value>>,
}

impl SubjectSnapshot {
    pub(super) fn fingerprint(&self) -> String {
        format!("{}|{}", self.versions_fingerprint(), meta_fingerprint(&self.mode, &self.config))
    }

    /// The versions as (version, id, deleted), comparable with a `GET /schemas` listing.
    pub(super) fn versions_fingerprint(&self) -> String {
        versions_fingerprint(self.versions.iter().map(|(n, (d, del))| (*n, d.id, *del)))
    }
}

/// (version, id, deleted) triples in version order, as text.
pub(super) fn versions_fingerprint(v: impl Iterator<Item = (i64, i64, bool)>) -> String {
    format!("{:?}", v.collect::<Vec<_>>())
}

/// A subject's effective mode and subject-level config (without `subject`), as text.
pub(super) fn meta_fingerprint(mode: &Option<String>, config: &Option<Map<String, Value>>) -> String {
    format!("{mode:?}|{config:?}")
}

/// Same schema text, or the same after JSON parsing (key order, whitespace) or whitespace folding.
pub fn same_schema(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if let (Ok(x), Ok(y)) = (serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)) {
        return x == y;
    }
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    fold(a) == fold(b)
}

pub(super) fn is_readonly(mode: Option<&str>) -> bool {
    matches!(mode, Some("READONLY" | "READONLY_OVERRIDE"))
}

/// Version contents by (subject, version).
pub(super) type VersionCache = Mutex<HashMap<(String, i64), Arc<VersionData>>>;

/// Read a subject's versions, mode and config from a registry. `cache` keeps version contents.
pub(super) async fn fetch_subject(
    c: &RegistryClient,
    side: &str,
    subject: &str,
    cache: Option<&VersionCache>,
) -> Result<SubjectSnapshot, SyncError> {
    let what = |w: &str| format!("{w} of subject '{subject}'");
    let (all, live, mode, config) = tokio::join!(
        c.versions_with(subject, true),
        c.versions_with(subject, false),
        c.get_mode(Some(subject), true),
        c.get_config(Some(subject), false),
    );
    let all = all.map_err(|e| side_err(side, &what("versions"), e))?;
    let live: HashSet<i64> = live.map_err(|e| side_err(side, &what("versions"), e))?.into_iter().collect();
    let mode = mode.map_err(|e| side_err(side, &what("mode"), e))?;
    let config = config.map_err(|e| side_err(side, &what("config"), e))?.map(|mut m| {
        m.remove("subject");
        m
    });
    let mut snap = SubjectSnapshot { versions: BTreeMap::new(), mode, config };
    for n in all {
        let key = (subject.to_string(), n);
        let cached = cache.and_then(|c| c.lock().get(&key).cloned());
        let data = match cached {
            Some(d) => d,
            None => match c.version_any(subject, n).await.map_err(|e| side_err(side, &what("a version"), e))? {
                Some(v) => {
                    let d = Arc::new(VersionData::from(v));
                    if let Some(c) = cache {
                        c.lock().insert(key, d.clone());
                    }
                    d
                }
                // Hard-deleted between the listing and the read.
                None => continue,
            },
        };
        snap.versions.insert(n, (data, !live.contains(&n)));
    }
    Ok(snap)
}

/// Read a subject (versions with delete flags, effective mode, subject config) for comparisons.
pub async fn fetch_subject_public(c: &RegistryClient, side: &str, subject: &str) -> anyhow::Result<SubjectSnapshot> {
    fetch_subject(c, side, subject, None).await.map_err(|e| anyhow::anyhow!(e.to_string()))
}

/// Work left for phase 2 of a subject.
#[derive(Debug, Default)]
pub(super) struct Finish {
    pub(super) src: String,
    pub(super) dst: String,
    pub(super) soft: Vec<i64>,
    pub(super) hard: Vec<(i64, bool)>,
    pub(super) config: Option<Option<Map<String, Value>>>,
    pub(super) mode: Option<String>,
    pub(super) gone: bool,
    pub(super) fingerprint: String,
    /// Forwarded (imported into the source from an origin context): kept under its name,
    /// additive — see [`crate::provenance`].
    pub(super) forward: bool,
    /// The highest source version.
    pub(super) latest: i64,
}

impl Link {
    pub(super) fn conflict_text(
        &self,
        src_subject: &str,
        n: i64,
        s: &VersionData,
        dst_subject: &str,
        d: &VersionData,
    ) -> String {
        format!(
            "{} subject '{src_subject}' version {n} is schema id {} ({}); {} subject '{dst_subject}' version {n} is schema id {} ({}); the destination is left unchanged",
            self.src_name(),
            s.id,
            abbreviate(&s.schema),
            self.dst_name(),
            d.id,
            abbreviate(&d.schema),
        )
    }

    /// A source subject's destination: mapped, or unchanged when forwarded.
    pub(super) fn dest_subject(&self, src_subject: &str, forward: bool) -> Option<String> {
        if forward {
            Qualified::parse(src_subject).map(|q| q.qualified())
        } else {
            self.mapping.dest_subject(src_subject)
        }
    }

    /// A reference's subject as written on the destination (unchanged when forwarded).
    pub(super) fn dest_reference(&self, referrer: &str, reference: &str, forward: bool) -> Option<String> {
        if forward {
            Qualified::parse(reference).map(|_| reference.to_string())
        } else {
            self.mapping.dest_reference(referrer, reference)
        }
    }

    /// Is this source subject forwarded (Some(true)), mirrored as the source's own (Some(false)),
    /// or skipped (None: imported from the destination itself, or from no known origin)?
    fn classify(&self, src_subject: &str, src: &SubjectSnapshot) -> Option<bool> {
        let imported = src.mode.as_deref() == Some("IMPORT") && !src.versions.is_empty();
        let before = self.state.lock().forwarded.contains_key(src_subject);
        if !imported && !before {
            return Some(false);
        }
        match crate::provenance::origin_of(src_subject) {
            Some(origin) if self.dst_instance.lock().as_ref().is_none_or(|d| d.as_deref() == Some(origin)) => None,
            Some(_) => Some(true),
            None if before => Some(true),
            None => None,
        }
    }

    pub(super) fn same_version(&self, src_subject: &str, s: &VersionData, d: &VersionData, forward: bool) -> bool {
        let refs_match = s.references.len() == d.references.len()
            && s.references.iter().zip(&d.references).all(|(a, b)| {
                a.name == b.name
                    && a.version == b.version
                    && self
                        .dest_reference(src_subject, &a.subject, forward)
                        .is_some_and(|m| m == b.subject || Qualified::parse(&m) == Qualified::parse(&b.subject))
            });
        s.id == d.id
            && s.schema_type == d.schema_type
            && same_schema(&s.schema, &d.schema)
            && refs_match
            && (&s.metadata, &s.rule_set) == (&d.metadata, &d.rule_set)
    }

    /// Phase 1 for one subject: compare, import what is missing; returns phase 2's work.
    pub(super) async fn phase_import(&self, src_subject: &str) -> Result<Option<Finish>, SyncError> {
        let src = fetch_subject(&self.cfg.source, &self.src_name(), src_subject, Some(&self.src_cache)).await?;
        // What polling compares the source's listings with (see `poll`).
        self.src_seen
            .lock()
            .insert(src_subject.to_string(), (src.versions_fingerprint(), meta_fingerprint(&src.mode, &src.config)));
        let Some(forward) = self.classify(src_subject, &src) else {
            // Imported into the source from the destination, or from nowhere known: not
            // exported again (no loops).
            self.count(|c| c.skipped_imported += 1);
            return Ok(None);
        };
        let dst_subject = self
            .dest_subject(src_subject, forward)
            .ok_or_else(|| SyncError::Fatal(format!("malformed subject '{src_subject}'")))?;
        if dst_subject == src_subject && self.same_registry {
            // Exporting within one registry: a subject never lands on itself.
            return Ok(None);
        }
        // The subject's KEKs and DEKs go first, and a new or rotated key is a change to sync.
        let keys = self.source_keys(src_subject).await?;
        let fingerprint = match keys.is_empty() {
            true => src.fingerprint(),
            false => format!("{}#keys:{}", src.fingerprint(), keys.fingerprint()),
        };
        if self.synced.lock().get(src_subject) == Some(&fingerprint) {
            return Ok(None);
        }
        let dst = self.fetch_destination(&dst_subject).await?;
        if forward && !dst.versions.is_empty() && matches!(dst.mode.as_deref(), None | Some("READWRITE")) {
            // The destination writes this subject itself (its own, or promoted): left alone.
            self.count(|c| c.skipped_imported += 1);
            return Ok(None);
        }
        let mut fin = Finish {
            src: src_subject.to_string(),
            dst: dst_subject.clone(),
            fingerprint,
            gone: src.versions.is_empty(),
            forward,
            latest: src.versions.keys().next_back().copied().unwrap_or(0),
            ..Default::default()
        };
        self.mirror_keys(src_subject, &dst_subject, &keys).await?;

        let missing = self.compare_versions(&src, &dst, &mut fin)?;

        // The destination subject is held in IMPORT mode (READONLY when the source's is).
        let mut dst_mode = dst.mode.clone();
        let writes = !missing.is_empty() || !fin.soft.is_empty() || !fin.hard.is_empty();
        if writes && dst_mode.as_deref() != Some("IMPORT") {
            let forced = self.ensure_import(&dst_subject, dst_mode.as_deref()).await?;
            if forced && dst.versions.values().any(|(_, del)| *del) {
                // Forcing IMPORT dropped the destination's soft-deleted versions: look again.
                self.state.lock().dirty.insert(src_subject.to_string());
            }
            dst_mode = Some("IMPORT".into());
        }
        for (n, data, deleted) in missing {
            self.import_version(src_subject, &dst_subject, n, data, 0, forward).await?;
            if deleted {
                fin.soft.push(n);
            }
        }
        if src.config != dst.config {
            fin.config = Some(src.config.clone());
        }
        let want = if is_readonly(src.mode.as_deref()) { src.mode.clone() } else { Some("IMPORT".to_string()) };
        if !fin.gone && dst_mode != want {
            fin.mode = want;
        }
        Ok(Some(fin))
    }

    /// Phase 1's comparison of the versions both sides hold: a different schema under one version
    /// (or, for a non-forwarding link, a version deleted only on the destination) is a conflict;
    /// soft deletes to mirror and versions to remove go to `fin`. Returns the missing versions.
    fn compare_versions(
        &self,
        src: &SubjectSnapshot,
        dst: &SubjectSnapshot,
        fin: &mut Finish,
    ) -> Result<Vec<(i64, Arc<VersionData>, bool)>, SyncError> {
        let (src_owned, dst_subject, forward) = (fin.src.clone(), fin.dst.clone(), fin.forward);
        let src_subject = src_owned.as_str();
        let written = if forward {
            self.state.lock().forwarded.get(src_subject).cloned().unwrap_or_default()
        } else {
            Default::default()
        };

        let mut missing = Vec::new();
        for (n, (s, s_deleted)) in &src.versions {
            match dst.versions.get(n) {
                Some((d, d_deleted)) => {
                    if !self.same_version(src_subject, s, d, forward) {
                        return Err(SyncError::Conflict(self.conflict_text(src_subject, *n, s, &dst_subject, d)));
                    }
                    if *d_deleted && !*s_deleted && !forward {
                        return Err(SyncError::Conflict(format!(
                            "{} subject '{src_subject}' version {n} (id {}) is live but {} subject '{dst_subject}' version {n} was deleted there; the destination is left unchanged",
                            self.src_name(),
                            s.id,
                            self.dst_name()
                        )));
                    }
                    self.dst_ok.lock().insert((dst_subject.clone(), *n));
                    if *s_deleted && !*d_deleted {
                        fin.soft.push(*n);
                    }
                }
                None => missing.push((*n, s.clone(), *s_deleted)),
            }
        }
        for (n, (_, d_deleted)) in &dst.versions {
            // A forwarding link removes only what it wrote: the destination may be ahead of the
            // source (another path brought it newer versions).
            if !src.versions.contains_key(n) && (!forward || written.contains(n)) {
                fin.hard.push((*n, !*d_deleted));
            }
        }
        Ok(missing)
    }

    /// A destination subject: read it, unless this pass's listing shows it does not exist (then
    /// only its context's effective mode is needed, read once per context).
    pub(super) async fn fetch_destination(&self, subject: &str) -> Result<SubjectSnapshot, SyncError> {
        let listing = self.dst_listing.lock().clone();
        let absent = listing.is_some_and(|l| !l.contains(subject));
        if !absent {
            return fetch_subject(&self.cfg.destination, &self.dst_name(), subject, None).await;
        }
        let context = Qualified::parse(subject).map(|q| q.context).unwrap_or_else(|| DEFAULT_CONTEXT.into());
        let cached = self.context_modes.lock().get(&context).cloned();
        let mode = match cached {
            Some(m) => m,
            None => {
                let scope = (context != DEFAULT_CONTEXT).then(|| format!(":{context}:"));
                let m = self
                    .cfg
                    .destination
                    .get_mode(scope.as_deref(), true)
                    .await
                    .map_err(|e| side_err(&self.dst_name(), "reading mode", e))?;
                self.context_modes.lock().insert(context, m.clone());
                m
            }
        };
        Ok(SubjectSnapshot { versions: BTreeMap::new(), mode, config: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_compare_by_meaning_of_their_text() {
        assert!(same_schema(r#"{"type":"string"}"#, r#"{ "type" : "string" }"#));
        assert!(!same_schema(r#"{"type":"string"}"#, r#"{"type":"int"}"#));
        assert!(same_schema("syntax = \"proto3\";\nmessage A {}", "syntax = \"proto3\"; message A {}"));
        assert!(!same_schema("message A {}", "message B {}"));
    }
}
