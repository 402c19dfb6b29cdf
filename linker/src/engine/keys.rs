//! Keys travel with their schemas: the KEKs and DEKs of a linked subject (Confluent's DEK
//! Registry, `/dek-registry/v1`) are mirrored to the destination before the subject's versions,
//! so records encrypted in the source region decrypt in the destination region.
//!
//! A DEK of source subject `S` lands under the destination subject `S` maps to (renaming and
//! context mapping as for versions); KEK names are kept. Nothing is overwritten: a destination
//! KEK with other KMS settings, or a destination DEK (same KEK, subject, algorithm and version)
//! with another wrapped key, puts the link in ERROR with both sides named.
//!
//! Deletes travel too: a key soft-deleted (or undeleted) in the source is soft-deleted
//! (undeleted) in the destination, and a soft-deleted key is mirrored as such (consumers read
//! old records with soft-deleted DEKs). A key permanently deleted in the source is permanently
//! deleted in the destination when the destination holds it soft-deleted; one the destination
//! holds live is left alone and logged (the source no longer shows what it was, so it cannot be
//! told from a key of the destination's own). A KEK follows the same rules once its DEKs are
//! gone; a soft delete the destination refuses because other DEKs still use the KEK there is
//! logged and left.

use serde_json::{json, Value};

use super::{side_err, Link, SyncError};
use crate::client::{ClientError, RegistryClient};

/// DEK algorithms (Confluent's `DekFormat`).
const ALGORITHMS: [&str; 3] = ["AES128_GCM", "AES256_GCM", "AES256_SIV"];

const BASE: &str = "/dek-registry/v1/keks";

fn seg(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A subject's keys: each KEK (its entity) with its DEKs for the subject, soft-deleted ones
/// included (their entities say `"deleted": true`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubjectKeys {
    pub keks: Vec<(Value, Vec<Value>)>,
}

impl SubjectKeys {
    pub fn is_empty(&self) -> bool {
        self.keks.is_empty()
    }

    /// A KEK of these keys by name, with its DEKs.
    fn kek(&self, name: &str) -> Option<&(Value, Vec<Value>)> {
        self.keks.iter().find(|(k, _)| k["name"] == name)
    }

    /// A DEK of these keys (KEK name, algorithm, version).
    fn dek(&self, kek: &str, dek: &Value) -> Option<&Value> {
        self.kek(kek)?.1.iter().find(|x| x["algorithm"] == dek["algorithm"] && x["version"] == dek["version"])
    }

    /// What changes when a key is added or rotated (for the subject's sync fingerprint).
    pub fn fingerprint(&self) -> String {
        let mut out = String::new();
        for (kek, deks) in &self.keks {
            out.push_str(&format!("{}{}", kek_settings(kek), is_deleted(kek)));
            for d in deks {
                let (alg, v, m) = (&d["algorithm"], &d["version"], &d["encryptedKeyMaterial"]);
                out.push_str(&format!("|{alg}/{v}/{m}/{}", is_deleted(d)));
            }
            out.push(';');
        }
        out
    }
}

/// The KMS settings of a KEK entity that must agree on both sides.
fn kek_settings(kek: &Value) -> Value {
    json!({
        "kmsType": kek["kmsType"],
        "kmsKeyId": kek["kmsKeyId"],
        "kmsProps": kek.get("kmsProps").cloned().unwrap_or_else(|| json!({})),
        "doc": kek.get("doc").cloned().unwrap_or(Value::Null),
        "shared": kek.get("shared").cloned().unwrap_or(json!(false)),
    })
}

fn is_deleted(entity: &Value) -> bool {
    entity["deleted"] == json!(true)
}

/// A registry without a DEK Registry (community edition: HTTP 404 without a DEK error code).
fn no_dek_registry(e: &ClientError) -> bool {
    e.is_not_found() && !matches!(e.code(), Some(40470))
}

/// Whether a registry has any KEK at all, soft-deleted ones included (false without a DEK
/// Registry).
pub async fn has_keks(c: &RegistryClient) -> Result<bool, ClientError> {
    match c.get_json(&format!("{BASE}?deleted=true")).await {
        Ok(v) => Ok(v.as_array().is_some_and(|a| !a.is_empty())),
        Err(e) if no_dek_registry(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The keys of `subject` in a registry, soft-deleted ones included.
pub async fn subject_keys(c: &RegistryClient, subject: &str) -> Result<SubjectKeys, ClientError> {
    let names = match c.get_json(&format!("{BASE}?subjectPrefix={}&deleted=true", seg(subject))).await {
        Ok(v) => v,
        Err(e) if no_dek_registry(&e) => return Ok(SubjectKeys::default()),
        Err(e) => return Err(e),
    };
    let mut out = SubjectKeys::default();
    for name in names.as_array().into_iter().flatten().filter_map(Value::as_str) {
        let kek = match c.get_json(&format!("{BASE}/{}?deleted=true", seg(name))).await {
            Ok(k) => k,
            Err(e) if e.code() == Some(40470) => continue,
            Err(e) => return Err(e),
        };
        let mut deks = Vec::new();
        for alg in ALGORITHMS {
            let path = format!("{BASE}/{}/deks/{}/versions", seg(name), seg(subject));
            let versions = match c.get_json(&format!("{path}?algorithm={alg}&deleted=true")).await {
                Ok(v) => v,
                Err(e) if e.code() == Some(40470) => continue,
                Err(e) => return Err(e),
            };
            for v in versions.as_array().into_iter().flatten().filter_map(Value::as_i64) {
                match c.get_json(&format!("{path}/{v}?algorithm={alg}&deleted=true")).await {
                    Ok(d) => deks.push(d),
                    Err(e) if e.code() == Some(40470) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        if !deks.is_empty() {
            out.keks.push((kek, deks));
        }
    }
    Ok(out)
}

impl Link {
    /// Refresh whether either registry has any KEK (once per pass; when neither has one, a
    /// subject's sync costs no key request). A destination that cannot be read keeps the last
    /// answer: the subjects' syncs meet the same failure and stay dirty, as without keys.
    pub(super) async fn refresh_source_keks(&self) -> Result<(), SyncError> {
        let src = has_keks(&self.cfg.source).await.map_err(|e| side_err(&self.src_name(), "listing KEKs", e))?;
        let has = match src {
            true => true,
            false => match has_keks(&self.cfg.destination).await {
                Ok(dst) => dst,
                Err(e) => {
                    tracing::debug!("{}: listing KEKs: {e}", self.dst_name());
                    *self.src_has_keks.lock()
                }
            },
        };
        *self.src_has_keks.lock() = has;
        if has {
            if let Err(e) = self.mirror_kek_hard_deletes().await {
                tracing::warn!("{e}; tried again with the next pass");
            }
        }
        Ok(())
    }

    /// KEKs this link mirrored that the source deleted permanently (after their DEKs, so no
    /// subject's sync sees them any more): deleted permanently in the destination too when it
    /// holds them soft-deleted and without DEKs.
    async fn mirror_kek_hard_deletes(&self) -> Result<(), SyncError> {
        let mirrored: Vec<String> = self.mirrored_keks.lock().iter().cloned().collect();
        for name in mirrored {
            let path = format!("{BASE}/{}", seg(&name));
            match self.cfg.source.get_json(&format!("{path}?deleted=true")).await {
                Ok(_) => continue,
                Err(e) if e.code() == Some(40470) => {}
                Err(e) => return Err(side_err(&self.src_name(), &format!("reading KEK '{name}'"), e)),
            }
            let dst = &self.cfg.destination;
            let derr = |what: &str, e: ClientError| side_err(&self.dst_name(), &format!("{what} KEK '{name}'"), e);
            let held = match dst.get_json(&format!("{path}?deleted=true")).await {
                Ok(k) => k,
                Err(e) if e.code() == Some(40470) => {
                    self.mirrored_keks.lock().remove(&name);
                    continue;
                }
                Err(e) => return Err(derr("reading", e)),
            };
            let deks = dst.get_json(&format!("{path}/deks?deleted=true")).await.map_err(|e| derr("reading", e))?;
            if !is_deleted(&held) || deks.as_array().is_some_and(|a| !a.is_empty()) {
                continue;
            }
            dst.delete_path(&format!("{path}?permanent=true")).await.map_err(|e| derr("permanently deleting", e))?;
            self.mirrored_keks.lock().remove(&name);
        }
        Ok(())
    }

    /// The source subject's keys, when a registry has any KEK.
    pub(super) async fn source_keys(&self, src_subject: &str) -> Result<SubjectKeys, SyncError> {
        if !*self.src_has_keks.lock() {
            return Ok(SubjectKeys::default());
        }
        subject_keys(&self.cfg.source, src_subject)
            .await
            .map_err(|e| side_err(&self.src_name(), &format!("reading the keys of '{src_subject}'"), e))
    }

    /// Whether some key of `src_subject` is missing in the destination (under `dst_subject`).
    pub async fn keys_missing(&self, src_subject: &str) -> Result<bool, SyncError> {
        self.refresh_source_keks().await?;
        let keys = self.source_keys(src_subject).await?;
        if keys.is_empty() {
            return Ok(false);
        }
        let Some(dst_subject) = self.mapping.dest_subject(src_subject) else { return Ok(false) };
        let dst = self.dest_keys(&dst_subject).await?;
        Ok(keys.keks.iter().any(|(kek, deks)| {
            let name = kek["name"].as_str().unwrap_or_default();
            deks.iter().any(|d| dst.dek(name, d).is_none())
        }))
    }

    async fn dest_keys(&self, dst_subject: &str) -> Result<SubjectKeys, SyncError> {
        subject_keys(&self.cfg.destination, dst_subject)
            .await
            .map_err(|e| side_err(&self.dst_name(), &format!("reading the keys of '{dst_subject}'"), e))
    }

    /// Bring the destination's keys of `dst_subject` to the state of the source's `keys`:
    /// create what it lacks, soft-delete and undelete as the source did, permanently delete what
    /// the source permanently deleted. A different key already there is a conflict.
    pub(super) async fn mirror_keys(
        &self,
        src_subject: &str,
        dst_subject: &str,
        keys: &SubjectKeys,
    ) -> Result<(), SyncError> {
        if !*self.src_has_keks.lock() {
            return Ok(());
        }
        let held = self.dest_keys(dst_subject).await?;
        if keys.is_empty() && held.is_empty() {
            return Ok(());
        }
        let dst = &self.cfg.destination;
        let derr = |what: String, e: ClientError| side_err(&self.dst_name(), &what, e);
        for (kek, deks) in keys.keks.iter() {
            let name = kek["name"].as_str().unwrap_or_default();
            let have = self.dest_kek(name, Some(kek), src_subject).await?;
            self.mirrored_keks.lock().insert(name.to_string());
            match &have {
                None => {
                    let mut body = kek_settings(kek);
                    body["name"] = json!(name);
                    body["deleted"] = json!(is_deleted(kek));
                    dst.post_json(BASE, &body).await.map_err(|e| derr(format!("creating KEK '{name}'"), e))?;
                }
                Some(h) if is_deleted(h) && !is_deleted(kek) => {
                    dst.post_empty(&format!("{BASE}/{}/undelete", seg(name)))
                        .await
                        .map_err(|e| derr(format!("undeleting KEK '{name}'"), e))?;
                }
                Some(_) => {}
            }
            for d in deks {
                self.mirror_dek(name, src_subject, dst_subject, d, held.dek(name, d)).await?;
            }
        }
        // DEKs the source no longer has at all: permanently deleted there.
        for (kek, deks) in held.keks.iter() {
            let name = kek["name"].as_str().unwrap_or_default();
            for x in deks.iter().filter(|x| keys.dek(name, x).is_none()) {
                let (alg, version) = (x["algorithm"].as_str().unwrap_or("AES256_GCM"), &x["version"]);
                let what = format!("DEK '{name}'/'{dst_subject}' ({alg} version {version})");
                if !is_deleted(x) {
                    tracing::warn!(
                        "{what} is gone from {} but live in {}; left as it is",
                        self.src_name(),
                        self.dst_name()
                    );
                    continue;
                }
                let path = format!("{BASE}/{}/deks/{}/versions/{version}?algorithm={alg}", seg(name), seg(dst_subject));
                dst.delete_path(&format!("{path}&permanent=true"))
                    .await
                    .map_err(|e| derr(format!("permanently deleting {what}"), e))?;
            }
        }
        // KEK deletes, once the DEKs are done.
        let mut names: Vec<&str> = keys.keks.iter().chain(&held.keks).filter_map(|(k, _)| k["name"].as_str()).collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            self.mirror_kek_delete(name, keys.kek(name).map(|(k, _)| k), src_subject).await?;
        }
        Ok(())
    }

    /// The destination's KEK `name` (soft-deleted too), checked against the source's entity
    /// when there is one: other KMS settings are a conflict.
    async fn dest_kek(&self, name: &str, src: Option<&Value>, src_subject: &str) -> Result<Option<Value>, SyncError> {
        let have = match self.cfg.destination.get_json(&format!("{BASE}/{}?deleted=true", seg(name))).await {
            Ok(k) => k,
            Err(e) if e.code() == Some(40470) => return Ok(None),
            Err(e) if no_dek_registry(&e) => {
                return Err(SyncError::Fatal(format!(
                    "{}: has no DEK Registry (/dek-registry/v1); the keys of '{src_subject}' cannot be mirrored",
                    self.dst_name()
                )))
            }
            Err(e) => return Err(side_err(&self.dst_name(), &format!("reading KEK '{name}'"), e)),
        };
        if let Some(kek) = src.filter(|k| kek_settings(k) != kek_settings(&have)) {
            return Err(SyncError::Conflict(format!(
                "{} KEK '{name}' is {}; {} KEK '{name}' is {}; the destination is left unchanged",
                self.src_name(),
                kek_settings(kek),
                self.dst_name(),
                kek_settings(&have)
            )));
        }
        Ok(Some(have))
    }

    /// One source DEK `d` onto the destination's `have` (same KEK, subject, algorithm, version).
    async fn mirror_dek(
        &self,
        name: &str,
        src_subject: &str,
        dst_subject: &str,
        d: &Value,
        have: Option<&Value>,
    ) -> Result<(), SyncError> {
        let dst = &self.cfg.destination;
        let (alg, version) = (d["algorithm"].as_str().unwrap_or("AES256_GCM"), d["version"].as_i64().unwrap_or(1));
        let path = format!("{BASE}/{}/deks/{}", seg(name), seg(dst_subject));
        let what = format!("DEK '{name}'/'{dst_subject}' ({alg} version {version})");
        let derr = |verb: &str, e: ClientError| side_err(&self.dst_name(), &format!("{verb} {what}"), e);
        let Some(x) = have else {
            let body = json!({"version": version, "algorithm": alg, "encryptedKeyMaterial": d["encryptedKeyMaterial"],
                "deleted": is_deleted(d)});
            dst.post_json(&path, &body).await.map_err(|e| derr("creating", e))?;
            return Ok(());
        };
        if x["encryptedKeyMaterial"] != d["encryptedKeyMaterial"] {
            return Err(SyncError::Conflict(format!(
                "{} DEK of KEK '{name}' for subject '{src_subject}' ({alg} version {version}) wraps {}; {} DEK of KEK '{name}' for subject '{dst_subject}' ({alg} version {version}) wraps {}; the destination is left unchanged",
                self.src_name(),
                d["encryptedKeyMaterial"],
                self.dst_name(),
                x["encryptedKeyMaterial"]
            )));
        }
        let one = format!("{path}/versions/{version}");
        match (is_deleted(d), is_deleted(x)) {
            (false, true) => {
                dst.post_empty(&format!("{one}/undelete?algorithm={alg}")).await.map_err(|e| derr("undeleting", e))
            }
            (true, false) => {
                dst.delete_path(&format!("{one}?algorithm={alg}")).await.map_err(|e| derr("soft-deleting", e))
            }
            _ => Ok(()),
        }
    }

    /// The source's soft delete of KEK `name` (`src`: its entity among the subject's keys, else
    /// read from the source); permanent deletes are [`Self::mirror_kek_hard_deletes`]'s.
    async fn mirror_kek_delete(&self, name: &str, src: Option<&Value>, src_subject: &str) -> Result<(), SyncError> {
        let path = format!("{BASE}/{}", seg(name));
        let src = match src {
            Some(k) => Some(k.clone()),
            None => match self.cfg.source.get_json(&format!("{path}?deleted=true")).await {
                Ok(k) => Some(k),
                Err(e) if e.code() == Some(40470) => None,
                Err(e) => return Err(side_err(&self.src_name(), &format!("reading KEK '{name}'"), e)),
            },
        };
        let Some(have) = self.dest_kek(name, src.as_ref(), src_subject).await? else { return Ok(()) };
        let dst = &self.cfg.destination;
        match (&src, is_deleted(&have)) {
            (Some(k), false) if is_deleted(k) => {}
            (None, false) => {
                tracing::warn!(
                    "KEK '{name}' is gone from {} but live in {}; left as it is",
                    self.src_name(),
                    self.dst_name()
                );
                return Ok(());
            }
            _ => return Ok(()),
        }
        match dst.delete_path(&path).await {
            Ok(()) => Ok(()),
            // Other DEKs (of subjects this link does not carry) still use it there.
            Err(e) if e.code() == Some(42272) => {
                tracing::warn!("soft-deleting KEK '{name}' in {}: {e}; left as it is", self.dst_name());
                Ok(())
            }
            Err(e) => Err(side_err(&self.dst_name(), &format!("soft-deleting KEK '{name}'"), e)),
        }
    }
}
