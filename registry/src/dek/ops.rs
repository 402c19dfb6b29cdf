//! DEK Registry writes, with the checks of Confluent's `AbstractDekRegistry`. Each builds its
//! records against the writer's state (under the writer lock) and commits them like any schema
//! write: acknowledged once durable, applied to the state through the log.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::validate::{self, check_name, check_subject};
use super::{now_ms, DekValue, KekValue, MAX_KEYS, TENANT};
use crate::error::ApiResult;
use crate::registry::{Registry, VersionSpec};
use crate::state::State;
use crate::store::record::{to_bytes, Key};
use crate::store::LogRecord;

/// Body of `POST /keks` (Confluent's CreateKekRequest).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreateKek {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(rename = "kmsType", default)]
    pub kms_type: Option<String>,
    #[serde(rename = "kmsKeyId", default)]
    pub kms_key_id: Option<String>,
    #[serde(rename = "kmsProps", default)]
    pub kms_props: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub doc: Option<String>,
    #[serde(default)]
    pub shared: bool,
    #[serde(default)]
    pub deleted: bool,
}

/// Body of `POST /keks/{name}/deks[/{subject}]` (Confluent's CreateDekRequest).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreateDek {
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    pub algorithm: Option<String>,
    #[serde(rename = "encryptedKeyMaterial", default)]
    pub encrypted_key_material: Option<String>,
    #[serde(default)]
    pub deleted: bool,
}

fn kek_record(k: &KekValue, key: Option<&Arc<[u8]>>) -> LogRecord {
    let key = key.cloned().unwrap_or_else(|| Key::Kek { tenant: TENANT.into(), name: k.name.clone() }.encode().into());
    LogRecord { key, value: Some(to_bytes(k).into()) }
}

fn dek_record(d: &DekValue, key: Option<&Arc<[u8]>>) -> LogRecord {
    let key = key.cloned().unwrap_or_else(|| d.id().key().encode().into());
    LogRecord { key, value: Some(to_bytes(d).into()) }
}

/// A version path segment (`latest`/`-1` or 1..2^31-1; else 42202) as an optional number.
pub fn version_of(s: &str) -> ApiResult<Option<u32>> {
    Ok(match VersionSpec::parse(s)? {
        VersionSpec::Latest => None,
        VersionSpec::Number(n) => Some(n),
    })
}

impl Registry {
    /// Take the writer lock, build records against its state with `build`, and commit them.
    async fn key_write<T: Send + 'static>(
        &self,
        build: impl FnOnce(&State) -> ApiResult<(Vec<LogRecord>, T)> + Send + 'static,
    ) -> ApiResult<T> {
        self.write_with(build).await
    }

    /// POST /dek-registry/v1/keks
    pub async fn create_kek(&self, req: CreateKek) -> ApiResult<Value> {
        let name = req.name.clone().unwrap_or_default();
        check_name(&name)?;
        let kms_key_id =
            req.kms_key_id.clone().filter(|k| !k.is_empty()).ok_or_else(|| validate::invalid("kmsKeyId"))?;
        let kms_type = req.kms_type.clone().ok_or_else(|| validate::invalid("kmsType"))?;
        validate::check_kms_key_id(&kms_type, &kms_key_id)?;
        let mut kek = KekValue {
            name: name.clone(),
            kms_type: validate::normalize_kms_type(&kms_type),
            kms_key_id,
            kms_props: req.kms_props.clone().unwrap_or_default(),
            doc: req.doc.clone(),
            shared: req.shared,
            deleted: req.deleted,
            key_type: "KEK".into(),
            ts: None,
        };
        self.key_write(move |st| {
            if st.keys.keks.len() > MAX_KEYS {
                return Err(validate::too_many_keys(MAX_KEYS));
            }
            let old = st.keys.keks.get(&name);
            // Creating a soft-deleted KEK again (same fields) undeletes it, as Confluent does.
            if let Some(old) = old {
                if req.deleted == old.value.deleted || !old.value.equivalent(&kek) {
                    return Err(validate::already_exists(&name));
                }
            }
            kek.ts = Some(now_ms());
            Ok((vec![kek_record(&kek, old.map(|o| &o.key))], kek.entity()))
        })
        .await
    }

    /// PUT /dek-registry/v1/keks/{name}: `kmsProps`, `doc` and `shared` as given (absent = keep,
    /// null = clear); an update that changes nothing writes nothing.
    pub async fn update_kek(&self, name: String, body: Map<String, Value>) -> ApiResult<Value> {
        check_name(&name)?;
        let kms_props: Option<BTreeMap<String, String>> = match body.get("kmsProps") {
            None | Some(Value::Null) => None,
            Some(v) => Some(serde_json::from_value(v.clone()).map_err(|_| validate::invalid("kmsProps"))?),
        };
        let doc = match body.get("doc") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(validate::invalid("doc")),
        };
        let shared = match body.get("shared") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return Err(validate::invalid("shared")),
        };
        self.key_write(move |st| {
            let Some(old) = st.keys.keks.get(&name).filter(|k| !k.value.deleted) else {
                return Err(validate::not_found(&name));
            };
            let mut kek = (*old.value).clone();
            if body.contains_key("kmsProps") {
                kek.kms_props = kms_props.unwrap_or_default();
            }
            if body.contains_key("doc") {
                kek.doc = doc;
            }
            if let Some(s) = shared {
                kek.shared = s;
            }
            if kek.equivalent(&old.value) {
                return Ok((vec![], old.value.entity()));
            }
            kek.ts = Some(now_ms());
            Ok((vec![kek_record(&kek, Some(&old.key))], kek.entity()))
        })
        .await
    }

    /// DELETE /dek-registry/v1/keks/{name}[?permanent=true]
    pub async fn delete_kek(&self, name: String, permanent: bool) -> ApiResult<()> {
        check_name(&name)?;
        self.key_write(move |st| {
            let Some(old) = st.keys.keks.get(&name) else { return Err(validate::not_found(&name)) };
            // A soft delete needs no live DEKs; a permanent one no DEKs at all.
            if st.keys.deks_of_kek(&name, permanent).next().is_some() {
                return Err(validate::reference_exists(&name));
            }
            if permanent {
                if !old.value.deleted {
                    return Err(validate::not_soft_deleted(&name));
                }
                return Ok((vec![LogRecord::tombstone(old.key.clone())], ()));
            }
            if old.value.deleted {
                return Ok((vec![], ()));
            }
            let kek = KekValue { deleted: true, ts: Some(now_ms()), ..(*old.value).clone() };
            Ok((vec![kek_record(&kek, Some(&old.key))], ()))
        })
        .await
    }

    /// POST /dek-registry/v1/keks/{name}/undelete
    pub async fn undelete_kek(&self, name: String) -> ApiResult<()> {
        check_name(&name)?;
        self.key_write(move |st| {
            let Some(old) = st.keys.keks.get(&name) else { return Err(validate::not_found(&name)) };
            if !old.value.deleted {
                return Ok((vec![], ()));
            }
            let kek = KekValue { deleted: false, ts: Some(now_ms()), ..(*old.value).clone() };
            Ok((vec![kek_record(&kek, Some(&old.key))], ()))
        })
        .await
    }

    /// POST /dek-registry/v1/keks/{kek}/deks[/{subject}][?rewrap=true]
    pub async fn create_dek(&self, kek_name: String, req: CreateDek, rewrap: bool) -> ApiResult<Value> {
        check_name(&kek_name)?;
        let subject = req.subject.clone().unwrap_or_default();
        check_subject(&subject)?;
        let algorithm = match req.algorithm.as_deref() {
            None => super::DEFAULT_ALGORITHM,
            Some(a) => {
                super::ALGORITHMS.iter().find(|x| **x == a).copied().ok_or_else(|| validate::invalid("algorithm"))?
            }
        };
        let version = match req.version {
            None => 1,
            Some(v) if (1..=i64::from(i32::MAX)).contains(&v) => v as u32,
            Some(_) => return Err(validate::invalid("version")),
        };
        let mut dek = DekValue {
            kek_name: kek_name.clone(),
            subject: subject.clone(),
            algorithm: algorithm.to_string(),
            version,
            encrypted_key_material: req.encrypted_key_material.clone(),
            deleted: req.deleted,
            key_type: "DEK".into(),
            ts: None,
        };
        self.key_write(move |st| {
            let Some(kek) = st.keys.kek(&kek_name, req.deleted) else { return Err(validate::not_found(&kek_name)) };
            if st.keys.deks.len() > MAX_KEYS {
                return Err(validate::too_many_keys(MAX_KEYS));
            }
            let old = st.keys.deks.get(&dek.id());
            if let Some(old) = old {
                // Creating a soft-deleted DEK again (same key) undeletes it, as Confluent does.
                if !rewrap && (req.deleted == old.value.deleted || !old.value.equivalent(&dek)) {
                    return Err(validate::already_exists(&subject));
                }
            }
            if dek.encrypted_key_material.is_some() {
                if kek.shared && old.is_some() {
                    return Err(validate::already_exists(&subject));
                }
            } else if kek.shared {
                return Err(validate::dek_generation("encrypted", &subject));
            } else {
                return Err(validate::invalid("encryptedKeyMaterial"));
            }
            dek.ts = Some(now_ms());
            Ok((vec![dek_record(&dek, old.map(|o| &o.key))], dek.entity()))
        })
        .await
    }

    /// DELETE /dek-registry/v1/keks/{kek}/deks/{subject}[/versions/{v}]: every version of the
    /// subject's DEK (for the algorithm), or one. Soft unless `permanent`, which needs a soft
    /// delete first.
    pub async fn delete_dek(
        &self,
        kek_name: String,
        subject: String,
        algorithm: &'static str,
        version: Option<Option<u32>>,
        permanent: bool,
    ) -> ApiResult<()> {
        check_name(&kek_name)?;
        check_subject(&subject)?;
        self.key_write(move |st| {
            st.keys.kek(&kek_name, true).ok_or_else(|| validate::not_found(&kek_name))?;
            let targets = dek_targets(&st.keys, &kek_name, &subject, algorithm, version, permanent)?;
            let mut records = Vec::new();
            if permanent {
                if targets.iter().any(|d| !d.deleted) {
                    return Err(validate::not_soft_deleted(&subject));
                }
                for d in &targets {
                    if let Some(k) = st.keys.deks.get(&d.id()) {
                        records.push(LogRecord::tombstone(k.key.clone()));
                    }
                }
            } else {
                for d in targets.iter().filter(|d| !d.deleted) {
                    let new = DekValue { deleted: true, ts: Some(now_ms()), ..(**d).clone() };
                    records.push(dek_record(&new, st.keys.deks.get(&d.id()).map(|k| &k.key)));
                }
            }
            Ok((records, ()))
        })
        .await
    }

    /// POST /dek-registry/v1/keks/{kek}/deks/{subject}[/versions/{v}]/undelete. 40472 while the
    /// KEK itself is soft-deleted.
    pub async fn undelete_dek(
        &self,
        kek_name: String,
        subject: String,
        algorithm: &'static str,
        version: Option<Option<u32>>,
    ) -> ApiResult<()> {
        check_name(&kek_name)?;
        check_subject(&subject)?;
        self.key_write(move |st| {
            let kek = st.keys.kek(&kek_name, true).ok_or_else(|| validate::not_found(&kek_name))?;
            let targets = dek_targets(&st.keys, &kek_name, &subject, algorithm, version, true)?;
            if kek.deleted {
                return Err(validate::soft_deleted(&kek_name));
            }
            let mut records = Vec::new();
            for d in targets.iter().filter(|d| d.deleted) {
                let new = DekValue { deleted: false, ts: Some(now_ms()), ..(**d).clone() };
                records.push(dek_record(&new, st.keys.deks.get(&d.id()).map(|k| &k.key)));
            }
            Ok((records, ()))
        })
        .await
    }
}

/// The DEK versions a delete or undelete acts on: one version, or every version of the subject
/// (soft-deleted ones too when `deleted`). 40470 when the subject has no DEK there.
fn dek_targets(
    keys: &super::KeyState,
    kek: &str,
    subject: &str,
    algorithm: &'static str,
    version: Option<Option<u32>>,
    deleted: bool,
) -> ApiResult<Vec<Arc<DekValue>>> {
    let one = |v| keys.dek(kek, subject, algorithm, v, true).ok_or_else(|| validate::not_found(subject));
    Ok(match version {
        None => {
            one(None)?;
            keys.dek_versions(kek, subject, algorithm, deleted).cloned().collect()
        }
        Some(v) => vec![one(v)?.clone()],
    })
}
