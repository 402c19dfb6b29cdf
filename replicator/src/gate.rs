//! The schema gate: a record in Confluent's wire format reaches the destination cluster only
//! once its schema id resolves in the destination registry.
//!
//! - `preserve`: the subjects using the id are imported through the linker (same ids and
//!   versions, destination subjects held in IMPORT mode, references first);
//! - `translate`: the schema (and its references) is registered in the destination normally and
//!   the record's 4 id bytes are rewritten with the destination's id;
//! - `fail`: an id the destination does not hold with the same schema stops replication.
//!
//! Resolved ids are cached (moka), so after the first record of a schema the cost is a lookup.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use linker::client::{Reference, Registration};
use linker::engine::same_schema;
use linker::mapping::ContextType;
use linker::state::StateFile;
use linker::{ClientError, ClientOptions, Link, LinkConfig, RegistryClient, SyncError};

use crate::config::{Config, SchemaPolicy};
use crate::metrics::Metrics;
use crate::wire;

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

pub struct Gate {
    policy: SchemaPolicy,
    source: RegistryClient,
    destination: RegistryClient,
    link: Arc<Link>,
    /// Source id → destination id.
    resolved: moka::sync::Cache<i32, i32>,
    metrics: Arc<Metrics>,
}

impl Gate {
    /// None when no registries are configured (records pass untouched).
    pub async fn open(cfg: &Config, metrics: Arc<Metrics>) -> anyhow::Result<Option<Arc<Gate>>> {
        let (Some(src), Some(dst)) = (&cfg.registries.source, &cfg.registries.destination) else {
            return Ok(None);
        };
        let opts = |user: &Option<String>| ClientOptions { user_info: user.clone(), ..Default::default() };
        let source = RegistryClient::with_options(src, &opts(&cfg.registries.source_user_info))?;
        let destination = RegistryClient::with_options(dst, &opts(&cfg.registries.destination_user_info))?;
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
            resolved: moka::sync::Cache::builder().max_capacity(100_000).build(),
            metrics,
        })))
    }

    /// The bytes to produce for a key or value: unchanged, or with the id rewritten (translate).
    /// Blocks (retrying transient failures, up to `patience`) until the id resolves.
    pub fn pass(
        &self,
        rt: &tokio::runtime::Handle,
        bytes: &[u8],
        patience: Duration,
    ) -> Result<Option<Vec<u8>>, GateError> {
        let Some(h) = wire::parse(bytes) else { return Ok(None) };
        let id = match self.resolved.get(&h.schema_id) {
            Some(id) => id,
            None => {
                let deadline = std::time::Instant::now() + patience;
                let mut wait = Duration::from_millis(100);
                loop {
                    match rt.block_on(self.resolve(h.schema_id)) {
                        Ok(id) => {
                            self.resolved.insert(h.schema_id, id);
                            break id;
                        }
                        Err(GateError::Transient(m)) if std::time::Instant::now() < deadline => {
                            tracing::warn!("schema id {}: {m}; retrying", h.schema_id);
                            std::thread::sleep(wait);
                            wait = (wait * 2).min(Duration::from_secs(5));
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        };
        if id == h.schema_id {
            return Ok(None);
        }
        Ok(wire::with_schema_id(bytes, id))
    }

    async fn resolve(&self, id: i32) -> Result<i32, GateError> {
        let src = self.source.schema_entity(i64::from(id)).await.map_err(|e| {
            if e.code() == Some(40403) {
                GateError::Fatal(format!("schema id {id} is not in the source registry {}", self.source.base()))
            } else {
                client_err("source", &format!("reading schema id {id}"), e)
            }
        })?;
        let src_schema = src["schema"].as_str().unwrap_or_default().to_string();
        match self.policy {
            SchemaPolicy::Fail => {
                if self.destination_holds(id, &src_schema).await? {
                    return Ok(id);
                }
                Err(GateError::Fatal(format!(
                    "schema id {id} does not resolve to the same schema in the destination registry {} (schemas.policy = \"fail\")",
                    self.destination.base()
                )))
            }
            SchemaPolicy::Preserve => {
                if self.destination_holds(id, &src_schema).await? {
                    return Ok(id);
                }
                let subjects = self
                    .source
                    .subject_versions_of_id(i64::from(id))
                    .await
                    .map_err(|e| client_err("source", &format!("listing the subjects of id {id}"), e))?;
                let names: Vec<String> = subjects.into_iter().map(|(s, _)| s).collect();
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
                if self.destination_holds(id, &src_schema).await? {
                    self.metrics.schemas_imported.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(id, subjects = ?names, "schema imported into the destination registry");
                    Ok(id)
                } else {
                    Err(GateError::Transient(format!("schema id {id} not yet visible in the destination registry")))
                }
            }
            SchemaPolicy::Translate => {
                let subjects = self
                    .source
                    .subject_versions_of_id(i64::from(id))
                    .await
                    .map_err(|e| client_err("source", &format!("listing the subjects of id {id}"), e))?;
                let Some((subject, _)) = subjects.into_iter().next() else {
                    return Err(GateError::Fatal(format!(
                        "schema id {id} is used by no subject in the source registry"
                    )));
                };
                let new = Box::pin(self.translate(&subject, &src)).await?;
                self.metrics.schemas_imported.fetch_add(1, Ordering::Relaxed);
                tracing::info!(source_id = id, destination_id = new, %subject, "schema registered in the destination registry");
                i32::try_from(new).map_err(|_| GateError::Fatal(format!("destination id {new} out of range")))
            }
        }
    }

    async fn destination_holds(&self, id: i32, schema: &str) -> Result<bool, GateError> {
        match self.destination.schema_by_id(i64::from(id)).await {
            Ok(s) => Ok(same_schema(&s, schema)),
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
        id: None,
        version: None,
    }
}
