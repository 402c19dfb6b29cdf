//! The schema gate: a record's key and value reach the destination cluster only once the schema
//! they reference resolves in the destination registry. References are read in every form
//! Confluent's clients write (see [`crate::wire`]): `0x00 + id` or `0x01 + guid` as a prefix, or
//! the same bytes in the `__key_schema_id` / `__value_schema_id` header. Payloads are never
//! decoded.
//!
//! - `preserve`: the subjects using the id are imported through the linker (same ids and
//!   versions, destination subjects held in IMPORT mode, references first);
//! - `translate`: the schema (and its references) is registered in the destination normally and
//!   the id is rewritten where it was found (prefix or header); a guid is the same in every
//!   registry, so it is only imported, never rewritten;
//! - `fail`: a reference the destination does not hold with the same schema stops the partition.
//!
//! A field that is not framed, or whose reference the source registry does not know, is
//! [`Verdict::Invalid`]: the topic's `on_invalid` policy decides. Resolved references are
//! cached (moka), so after the first record of a schema the cost is a lookup.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use linker::client::{Reference, Registration};
use linker::engine::same_schema;
use linker::mapping::ContextType;
use linker::state::StateFile;
use linker::{ClientError, Link, LinkConfig, RegistryClient, SyncError};

use crate::config::{Config, SchemaPolicy};
use crate::metrics::Metrics;
use crate::wire::{self, Location, SchemaRef};

/// Why a record cannot pass.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// Retrying later may help (a registry is unreachable).
    #[error("{0}")]
    Transient(String),
    /// Replication must stop: the schema cannot be made to resolve without overwriting.
    #[error("{0}")]
    Fatal(String),
}

fn client_err(side: &str, what: &str, e: ClientError) -> GateError {
    let msg = format!("{side} registry: {what}: {e}");
    if e.is_transient() {
        GateError::Transient(msg)
    } else {
        GateError::Fatal(msg)
    }
}

/// What to do with one field (key or value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Copy it as it is.
    Keep,
    /// Copy it with this payload (the id rewritten in the prefix).
    Payload(Vec<u8>),
    /// Copy it with this value in its schema-id header (the id rewritten in the header).
    Header(Vec<u8>),
    /// Not framed, or the source registry does not know the reference.
    Invalid(String),
}

/// How a reference resolved: the destination id for an id, nothing to rewrite for a guid.
#[derive(Debug, Clone, Copy)]
enum Resolved {
    Id(i32),
    Guid,
    /// The source registry does not know it.
    Unknown,
}

pub struct Gate {
    policy: SchemaPolicy,
    source: RegistryClient,
    destination: RegistryClient,
    link: Arc<Link>,
    /// Per source context ([`Config::source_contexts`]): `?subject=:.ctx:` for lookups there,
    /// or empty for the default context.
    ctx_queries: Vec<String>,
    /// Caches keyed by (source context index, reference).
    resolved: moka::sync::Cache<(usize, SchemaRef), i32>,
    guids: moka::sync::Cache<(usize, SchemaRef), ()>,
    /// References the source registry did not know, asked again after a while.
    unknown: moka::sync::Cache<(usize, SchemaRef), ()>,
    metrics: Arc<Metrics>,
}

impl Gate {
    /// None when no registries are configured (records pass untouched).
    pub async fn open(cfg: &Config, metrics: Arc<Metrics>) -> anyhow::Result<Option<Arc<Gate>>> {
        let (Some(src), Some(dst)) = (&cfg.registries.source, &cfg.registries.destination) else {
            return Ok(None);
        };
        let source = RegistryClient::with_options(src, &cfg.registries.source_options()?)?;
        let destination = RegistryClient::with_options(dst, &cfg.registries.destination_options()?)?;
        let mut lc = LinkConfig::new(source.clone(), destination.clone());
        lc.context_type = ContextType::None;
        lc.mirror_global_config = false;
        lc.use_feed = false;
        let link = Link::open(lc, StateFile::new(None)).await?;
        Ok(Some(Arc::new(Gate {
            policy: cfg.policy,
            source,
            destination,
            link,
            ctx_queries: cfg
                .source_contexts
                .iter()
                .map(|c| c.as_ref().map_or(String::new(), |c| format!("?subject=:{c}:")))
                .collect(),
            resolved: moka::sync::Cache::builder().max_capacity(100_000).build(),
            guids: moka::sync::Cache::builder().max_capacity(100_000).build(),
            unknown: moka::sync::Cache::builder().max_capacity(10_000).time_to_live(Duration::from_secs(10)).build(),
            metrics,
        })))
    }

    /// Check one field. `header` is the value of the field's schema-id header, if the record
    /// has one. Blocks (retrying transient failures, up to `patience`) until the reference
    /// resolves in the destination.
    pub fn check(
        &self,
        rt: &tokio::runtime::Handle,
        payload: &[u8],
        header: Option<&[u8]>,
        ctx: usize,
        patience: Duration,
    ) -> Result<Verdict, GateError> {
        let (r, at) = match wire::locate(payload, header) {
            Ok(Some(found)) => found,
            Ok(None) => return Ok(Verdict::Invalid("not in Confluent's wire format".into())),
            Err(m) => return Ok(Verdict::Invalid(m.into())),
        };
        let key = (ctx, r);
        let resolved = if let Some(id) = self.resolved.get(&key) {
            Resolved::Id(id)
        } else if self.guids.contains_key(&key) {
            Resolved::Guid
        } else if self.unknown.contains_key(&key) {
            Resolved::Unknown
        } else {
            let deadline = std::time::Instant::now() + patience;
            let mut wait = Duration::from_millis(100);
            loop {
                match rt.block_on(self.resolve(r, ctx)) {
                    Ok(res) => {
                        match res {
                            Resolved::Id(id) => self.resolved.insert(key, id),
                            Resolved::Guid => self.guids.insert(key, ()),
                            Resolved::Unknown => self.unknown.insert(key, ()),
                        }
                        break res;
                    }
                    Err(GateError::Transient(m)) if std::time::Instant::now() < deadline => {
                        tracing::warn!("schema {r}: {m}; retrying");
                        std::thread::sleep(wait);
                        wait = (wait * 2).min(Duration::from_secs(5));
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        let (SchemaRef::Id(from), Resolved::Id(to)) = (r, resolved) else {
            return Ok(match resolved {
                Resolved::Unknown => Verdict::Invalid(format!("schema {r} is not in the source registry")),
                _ => Verdict::Keep,
            });
        };
        if from == to {
            return Ok(Verdict::Keep);
        }
        Ok(match at {
            Location::Prefix => wire::with_schema_id(payload, to).map_or(Verdict::Keep, Verdict::Payload),
            Location::Header => header.and_then(|h| wire::with_schema_id(h, to)).map_or(Verdict::Keep, Verdict::Header),
        })
    }

    async fn resolve(&self, r: SchemaRef, ctx: usize) -> Result<Resolved, GateError> {
        let q = self.ctx_queries.get(ctx).map_or("", String::as_str);
        match r {
            SchemaRef::Id(id) => self.resolve_id(id, q).await,
            SchemaRef::Guid(g) => self.resolve_guid(&wire::guid_string(&g), q).await,
        }
    }

    async fn resolve_guid(&self, guid: &str, q: &str) -> Result<Resolved, GateError> {
        match self.destination.get_json(&format!("/schemas/guids/{guid}")).await {
            Ok(_) => return Ok(Resolved::Guid),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(client_err("destination", &format!("reading schema guid {guid}"), e)),
        }
        let ids = match self.source.get_json(&format!("/schemas/guids/{guid}/ids")).await {
            Ok(v) => v,
            Err(e) if e.is_not_found() => return Ok(Resolved::Unknown),
            Err(e) => return Err(client_err("source", &format!("reading schema guid {guid}"), e)),
        };
        let want = q.strip_prefix("?subject=:").and_then(|c| c.strip_suffix(':')).unwrap_or(".");
        let entries: Vec<(String, i64)> = ids
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| Some((e["context"].as_str()?.to_string(), e["id"].as_i64()?)))
            .collect();
        let Some((_, id)) = entries.iter().find(|(c, _)| c == want).or(entries.first()) else {
            return Ok(Resolved::Unknown);
        };
        if self.policy == SchemaPolicy::Fail {
            return Err(GateError::Fatal(format!(
                "schema guid {guid} is not in the destination registry {} (schemas.policy = \"fail\")",
                self.destination.base()
            )));
        }
        let id = i32::try_from(*id).map_err(|_| GateError::Fatal(format!("schema id {id} out of range")))?;
        if let Resolved::Unknown = self.resolve_id(id, q).await? {
            return Ok(Resolved::Unknown);
        }
        match self.destination.get_json(&format!("/schemas/guids/{guid}")).await {
            Ok(_) => Ok(Resolved::Guid),
            Err(e) if e.is_not_found() => Err(GateError::Fatal(format!(
                "schema guid {guid} (source id {id}) did not appear in the destination registry after its import"
            ))),
            Err(e) => Err(client_err("destination", &format!("reading schema guid {guid}"), e)),
        }
    }

    async fn resolve_id(&self, id: i32, q: &str) -> Result<Resolved, GateError> {
        let src = match self.source.get_json(&format!("/schemas/ids/{id}{q}")).await {
            Ok(v) => v,
            Err(e) if e.code() == Some(40403) || e.is_not_found() => return Ok(Resolved::Unknown),
            Err(e) => return Err(client_err("source", &format!("reading schema id {id}"), e)),
        };
        let src_schema = src["schema"].as_str().unwrap_or_default().to_string();
        let subjects_of = |id: i32| async move {
            let v = self
                .source
                .get_json(&format!("/schemas/ids/{id}/versions{q}"))
                .await
                .map_err(|e| client_err("source", &format!("listing the subjects of id {id}"), e))?;
            Ok::<Vec<String>, GateError>(
                v.as_array().into_iter().flatten().filter_map(|e| Some(e["subject"].as_str()?.to_string())).collect(),
            )
        };
        match self.policy {
            SchemaPolicy::Fail => {
                if self.destination_holds(id, &src_schema, q).await? {
                    return Ok(Resolved::Id(id));
                }
                Err(GateError::Fatal(format!(
                    "schema id {id} does not resolve to the same schema in the destination registry {} (schemas.policy = \"fail\")",
                    self.destination.base()
                )))
            }
            SchemaPolicy::Preserve => {
                let held = self.destination_holds(id, &src_schema, q).await?;
                let names = subjects_of(id).await?;
                // The schema alone is not enough when its subjects have encryption keys: a
                // record is not produced before the DEKs its subject needs exist there too.
                if held && !self.keys_missing(&names).await? {
                    return Ok(Resolved::Id(id));
                }
                if names.is_empty() {
                    return Err(GateError::Fatal(format!(
                        "schema id {id} is used by no subject in the source registry"
                    )));
                }
                match self.link.sync_subjects(names.clone()).await {
                    Ok(_) => {}
                    Err(SyncError::Transient(m)) => return Err(GateError::Transient(m)),
                    Err(e) => return Err(GateError::Fatal(format!("importing schema id {id} ({names:?}): {e}"))),
                }
                if self.destination_holds(id, &src_schema, q).await? {
                    self.metrics.schemas_imported.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(id, subjects = ?names, "schema imported into the destination registry");
                    Ok(Resolved::Id(id))
                } else {
                    Err(GateError::Transient(format!("schema id {id} not yet visible in the destination registry")))
                }
            }
            SchemaPolicy::Translate => {
                let Some(subject) = subjects_of(id).await?.into_iter().next() else {
                    return Err(GateError::Fatal(format!(
                        "schema id {id} is used by no subject in the source registry"
                    )));
                };
                let new = Box::pin(self.translate(&subject, &src)).await?;
                self.metrics.schemas_imported.fetch_add(1, Ordering::Relaxed);
                tracing::info!(source_id = id, destination_id = new, %subject, "schema registered in the destination registry");
                i32::try_from(new)
                    .map(Resolved::Id)
                    .map_err(|_| GateError::Fatal(format!("destination id {new} out of range")))
            }
        }
    }

    /// Whether a KEK or DEK of one of these source subjects is missing in the destination.
    async fn keys_missing(&self, subjects: &[String]) -> Result<bool, GateError> {
        for s in subjects {
            match self.link.keys_missing(s).await {
                Ok(true) => return Ok(true),
                Ok(false) => {}
                Err(SyncError::Transient(m)) => return Err(GateError::Transient(m)),
                Err(e) => return Err(GateError::Fatal(format!("checking the keys of '{s}': {e}"))),
            }
        }
        Ok(false)
    }

    async fn destination_holds(&self, id: i32, schema: &str, q: &str) -> Result<bool, GateError> {
        match self.destination.get_json(&format!("/schemas/ids/{id}{q}")).await {
            Ok(s) => Ok(same_schema(s["schema"].as_str().unwrap_or_default(), schema)),
            Err(e) if e.code() == Some(40403) => Ok(false),
            Err(e) => Err(client_err("destination", &format!("reading schema id {id}"), e)),
        }
    }

    /// Register `entity` (a source `/schemas/ids/{id}` answer) under `subject` in the
    /// destination, references first; the destination id.
    async fn translate(&self, subject: &str, entity: &serde_json::Value) -> Result<i64, GateError> {
        let mut refs = Vec::new();
        for r in entity["references"].as_array().into_iter().flatten() {
            let (Some(name), Some(rs), Some(rv)) = (r["name"].as_str(), r["subject"].as_str(), r["version"].as_i64())
            else {
                continue;
            };
            let v = self
                .source
                .version(rs, &rv.to_string())
                .await
                .map_err(|e| client_err("source", &format!("reading reference {rs} version {rv}"), e))?;
            let sub = self
                .source
                .schema_entity(v.id)
                .await
                .map_err(|e| client_err("source", &format!("reading schema id {}", v.id), e))?;
            Box::pin(self.translate(rs, &sub)).await?;
            let reg = registration(&sub, Vec::new());
            let reg = Registration { references: refs_of(&sub), ..reg };
            let found = self
                .destination
                .lookup(rs, &reg)
                .await
                .map_err(|e| client_err("destination", &format!("looking up reference {rs}"), e))?;
            refs.push(Reference { name: name.to_string(), subject: rs.to_string(), version: found.version });
        }
        let reg = registration(entity, refs);
        self.destination
            .register(subject, &reg)
            .await
            .map_err(|e| client_err("destination", &format!("registering under {subject}"), e))
    }
}

fn refs_of(entity: &serde_json::Value) -> Vec<Reference> {
    entity["references"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some(Reference {
                name: r["name"].as_str()?.to_string(),
                subject: r["subject"].as_str()?.to_string(),
                version: r["version"].as_i64()?,
            })
        })
        .collect()
}

fn registration(entity: &serde_json::Value, references: Vec<Reference>) -> Registration {
    Registration {
        schema: entity["schema"].as_str().unwrap_or_default().to_string(),
        schema_type: entity["schemaType"].as_str().map(str::to_string),
        references,
        // Part of the schema's identity (and guid): the import must carry them.
        metadata: entity.get("metadata").filter(|v| !v.is_null()).cloned(),
        rule_set: entity.get("ruleSet").filter(|v| !v.is_null()).cloned(),
        id: None,
        version: None,
    }
}
