//! The DEK Registry (Confluent's `/dek-registry/v1`): key encryption keys (KEKs, references to a
//! key in a KMS) and data encryption keys (DEKs, wrapped by a KEK) that clients use for
//! field-level encryption.
//!
//! Keys live in the same log as schemas, as records in the format Confluent's DEK Registry writes
//! to its `_dek_registry_keys` topic (see [`crate::store::record::Key::Kek`]), and reach the state
//! only through [`KeyState::apply`], so replay, other nodes' writes and local writes take one
//! path. A later record for the same key replaces the earlier one; a tombstone removes it.
//!
//! Lockstep reaches no KMS: it stores what clients send (KMS-wrapped DEKs) and never sees a
//! plaintext key. Requests that need the registry itself to wrap or unwrap a key (DEKs of a
//! `shared` KEK) answer Confluent's 50070, as Confluent does for a KMS it cannot use.

pub mod ops;
pub mod validate;

use std::collections::BTreeMap;
use std::sync::Arc;

use imbl::OrdMap;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::state::Keyed;
use crate::store::record::Key;

pub use ops::{CreateDek, CreateKek};

/// The only tenant a Lockstep registry has (Confluent's default tenant).
pub const TENANT: &str = "default";

/// The most KEKs (and, separately, DEKs) a registry holds (Confluent's `dek.registry.max.keys`).
pub const MAX_KEYS: usize = 20_000;

/// DEK algorithms, in Confluent's `DekFormat` order.
pub const ALGORITHMS: [&str; 3] = ["AES128_GCM", "AES256_GCM", "AES256_SIV"];

/// The default algorithm.
pub const DEFAULT_ALGORITHM: &str = "AES256_GCM";

/// The value of a KEK record: Confluent's `KeyEncryptionKey` as Jackson writes it (creator
/// properties, then `type`), plus `ts` (ms since the epoch) which Confluent takes from the Kafka
/// record's timestamp and Lockstep writes into the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KekValue {
    pub name: String,
    #[serde(rename = "kmsType")]
    pub kms_type: String,
    #[serde(rename = "kmsKeyId")]
    pub kms_key_id: String,
    #[serde(rename = "kmsProps", default)]
    pub kms_props: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    #[serde(default)]
    pub shared: bool,
    #[serde(default)]
    pub deleted: bool,
    #[serde(rename = "type", default = "kek_type")]
    pub key_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
}

/// The value of a DEK record (Confluent's `DataEncryptionKey`, plus `ts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DekValue {
    #[serde(rename = "kekName")]
    pub kek_name: String,
    pub subject: String,
    #[serde(default = "default_algorithm")]
    pub algorithm: String,
    pub version: u32,
    #[serde(rename = "encryptedKeyMaterial", default, skip_serializing_if = "Option::is_none")]
    pub encrypted_key_material: Option<String>,
    #[serde(default)]
    pub deleted: bool,
    #[serde(rename = "type", default = "dek_type")]
    pub key_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
}

fn kek_type() -> String {
    "KEK".into()
}
fn dek_type() -> String {
    "DEK".into()
}
fn default_algorithm() -> String {
    DEFAULT_ALGORITHM.into()
}

impl KekValue {
    /// Confluent's `isEquivalent`: everything but `deleted` and the timestamp.
    pub fn equivalent(&self, o: &KekValue) -> bool {
        (self.shared, &self.name, &self.kms_type, &self.kms_key_id, &self.kms_props, &self.doc)
            == (o.shared, &o.name, &o.kms_type, &o.kms_key_id, &o.kms_props, &o.doc)
    }

    /// The `Kek` entity of the REST API.
    pub fn entity(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("kmsType".into(), json!(self.kms_type));
        m.insert("kmsKeyId".into(), json!(self.kms_key_id));
        m.insert("kmsProps".into(), json!(self.kms_props));
        if let Some(d) = &self.doc {
            m.insert("doc".into(), json!(d));
        }
        m.insert("shared".into(), json!(self.shared));
        if let Some(ts) = self.ts {
            m.insert("ts".into(), json!(ts));
        }
        if self.deleted {
            m.insert("deleted".into(), json!(true));
        }
        Value::Object(m)
    }
}

impl DekValue {
    /// Confluent's `isEquivalent`: same KEK, subject, algorithm, version and wrapped key.
    pub fn equivalent(&self, o: &DekValue) -> bool {
        (&self.kek_name, &self.subject, &self.algorithm, self.version, &self.encrypted_key_material)
            == (&o.kek_name, &o.subject, &o.algorithm, o.version, &o.encrypted_key_material)
    }

    /// The `Dek` entity of the REST API (Lockstep never has `keyMaterial`).
    pub fn entity(&self) -> Value {
        let mut m = Map::new();
        m.insert("kekName".into(), json!(self.kek_name));
        m.insert("subject".into(), json!(self.subject));
        m.insert("version".into(), json!(self.version));
        m.insert("algorithm".into(), json!(self.algorithm));
        if let Some(k) = &self.encrypted_key_material {
            m.insert("encryptedKeyMaterial".into(), json!(k));
        }
        if let Some(ts) = self.ts {
            m.insert("ts".into(), json!(ts));
        }
        if self.deleted {
            m.insert("deleted".into(), json!(true));
        }
        Value::Object(m)
    }

    /// This DEK's identity in the state.
    pub fn id(&self) -> DekId {
        DekId {
            kek: self.kek_name.clone(),
            subject: self.subject.clone(),
            algorithm: self.algorithm.clone(),
            version: self.version,
        }
    }
}

/// A DEK's identity: KEK name, subject, algorithm, version (Confluent's sort order, with the
/// subject compared as text).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DekId {
    pub kek: String,
    pub subject: String,
    pub algorithm: String,
    pub version: u32,
}

impl DekId {
    pub fn key(&self) -> Key {
        Key::Dek {
            tenant: TENANT.into(),
            kek: self.kek.clone(),
            subject: self.subject.clone(),
            algorithm: self.algorithm.clone(),
            version: self.version,
        }
    }
}

/// Every KEK and DEK, with the key bytes of the record that wrote it (a permanent delete
/// tombstones exactly those bytes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyState {
    pub keks: OrdMap<String, Keyed<Arc<KekValue>>>,
    pub deks: OrdMap<DekId, Keyed<Arc<DekValue>>>,
}

impl<T: PartialEq> PartialEq for Keyed<T> {
    fn eq(&self, o: &Self) -> bool {
        self.value == o.value && self.key == o.key
    }
}

impl KeyState {
    /// Apply a KEK or DEK record. Records of another tenant (Confluent Cloud's multi-tenant
    /// topics) and records whose value does not match their key are skipped.
    pub fn apply(&mut self, key: &Key, key_bytes: Arc<[u8]>, value: Option<&[u8]>) -> Result<(), String> {
        match key {
            Key::Kek { tenant, name } => {
                if tenant != TENANT {
                    return Err(format!("KEK {name} of tenant {tenant} ignored"));
                }
                let Some(v) = value else {
                    self.keks.remove(name);
                    return Ok(());
                };
                let k: KekValue = serde_json::from_slice(v).map_err(|e| format!("bad KEK value: {e}"))?;
                if k.name != *name {
                    return Err(format!("KEK record for {name} holds {}", k.name));
                }
                self.keks.insert(name.clone(), Keyed { value: Arc::new(k), key: key_bytes });
                Ok(())
            }
            Key::Dek { tenant, kek, subject, algorithm, version } => {
                if tenant != TENANT {
                    return Err(format!("DEK {kek}/{subject} of tenant {tenant} ignored"));
                }
                let id = DekId {
                    kek: kek.clone(),
                    subject: subject.clone(),
                    algorithm: algorithm.clone(),
                    version: *version,
                };
                let Some(v) = value else {
                    self.deks.remove(&id);
                    return Ok(());
                };
                let d: DekValue = serde_json::from_slice(v).map_err(|e| format!("bad DEK value: {e}"))?;
                if d.id() != id {
                    return Err(format!("DEK record for {kek}/{subject} v{version} holds another key"));
                }
                self.deks.insert(id, Keyed { value: Arc::new(d), key: key_bytes });
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A KEK by name: None when absent, or soft-deleted and `deleted` is false.
    pub fn kek(&self, name: &str, deleted: bool) -> Option<&Arc<KekValue>> {
        self.keks.get(name).map(|k| &k.value).filter(|k| deleted || !k.deleted)
    }

    /// All DEKs of a KEK (every subject, algorithm and version), in order.
    pub fn deks_of_kek<'a>(&'a self, kek: &str, deleted: bool) -> impl Iterator<Item = &'a Arc<DekValue>> + use<'a> {
        let kek = kek.to_string();
        let from = DekId { kek: kek.clone(), subject: String::new(), algorithm: String::new(), version: 0 };
        self.deks
            .range(from..)
            .take_while(move |(id, _)| id.kek == kek)
            .map(|(_, d)| &d.value)
            .filter(move |d| deleted || !d.deleted)
    }

    /// The versions of one KEK/subject/algorithm, ascending.
    pub fn dek_versions<'a>(
        &'a self,
        kek: &str,
        subject: &str,
        algorithm: &str,
        deleted: bool,
    ) -> impl DoubleEndedIterator<Item = &'a Arc<DekValue>> + use<'a> {
        let id = |version| DekId {
            kek: kek.to_string(),
            subject: subject.to_string(),
            algorithm: algorithm.to_string(),
            version,
        };
        self.deks.range(id(0)..=id(u32::MAX)).map(|(_, d)| &d.value).filter(move |d| deleted || !d.deleted)
    }

    /// One DEK version; `None` for the latest.
    pub fn dek(
        &self,
        kek: &str,
        subject: &str,
        algorithm: &str,
        version: Option<u32>,
        deleted: bool,
    ) -> Option<&Arc<DekValue>> {
        match version {
            None => self.dek_versions(kek, subject, algorithm, deleted).next_back(),
            Some(v) => {
                let id = DekId { kek: kek.into(), subject: subject.into(), algorithm: algorithm.into(), version: v };
                self.deks.get(&id).map(|d| &d.value).filter(|d| deleted || !d.deleted)
            }
        }
    }

    /// Every live DEK of a subject (any KEK, algorithm, version): what a reader of the subject's
    /// encrypted records may need.
    pub fn deks_of_subject<'a>(&'a self, subject: &str) -> impl Iterator<Item = &'a Arc<DekValue>> + use<'a> {
        let subject = subject.to_string();
        self.deks.values().map(|d| &d.value).filter(move |d| d.subject == subject && !d.deleted)
    }
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests;
