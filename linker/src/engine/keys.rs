//! Keys travel with their schemas: the KEKs and DEKs of a linked subject (Confluent's DEK
//! Registry, `/dek-registry/v1`) are mirrored to the destination before the subject's versions,
//! so records encrypted in the source region decrypt in the destination region.
//!
//! A DEK of source subject `S` lands under the destination subject `S` maps to (renaming and
//! context mapping as for versions); KEK names are kept. Nothing is overwritten: a destination
//! KEK with other KMS settings, or a destination DEK (same KEK, subject, algorithm and version)
//! with another wrapped key, puts the link in ERROR with both sides named. Only live keys are
//! mirrored; deletes of keys are not.

use serde_json::{json, Value};

use super::{side_err, Link, SyncError};
use crate::client::{ClientError, RegistryClient};

/// DEK algorithms (Confluent's `DekFormat`).
const ALGORITHMS: [&str; 3] = ["AES128_GCM", "AES256_GCM", "AES256_SIV"];

const BASE: &str = "/dek-registry/v1/keks";

fn seg(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A source subject's keys: each KEK (its entity) with its live DEKs for the subject.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubjectKeys {
    pub keks: Vec<(Value, Vec<Value>)>,
}

impl SubjectKeys {
    pub fn is_empty(&self) -> bool {
        self.keks.is_empty()
    }

    /// What changes when a key is added or rotated (for the subject's sync fingerprint).
    pub fn fingerprint(&self) -> String {
        let mut out = String::new();
        for (kek, deks) in &self.keks {
            out.push_str(&kek_settings(kek).to_string());
            for d in deks {
                out.push_str(&format!("|{}/{}/{}", d["algorithm"], d["version"], d["encryptedKeyMaterial"]));
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

/// A registry without a DEK Registry (community edition: HTTP 404 without a DEK error code).
fn no_dek_registry(e: &ClientError) -> bool {
    e.is_not_found() && !matches!(e.code(), Some(40470))
}

/// Whether a source registry has any KEK at all (None: it has no DEK Registry).
pub async fn has_keks(c: &RegistryClient) -> Result<bool, ClientError> {
    match c.get_json(BASE).await {
        Ok(v) => Ok(v.as_array().is_some_and(|a| !a.is_empty())),
        Err(e) if no_dek_registry(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The live keys of `subject` in a registry.
pub async fn subject_keys(c: &RegistryClient, subject: &str) -> Result<SubjectKeys, ClientError> {
    let names = match c.get_json(&format!("{BASE}?subjectPrefix={}", seg(subject))).await {
        Ok(v) => v,
        Err(e) if no_dek_registry(&e) => return Ok(SubjectKeys::default()),
        Err(e) => return Err(e),
    };
    let mut out = SubjectKeys::default();
    for name in names.as_array().into_iter().flatten().filter_map(Value::as_str) {
        let kek = match c.get_json(&format!("{BASE}/{}", seg(name))).await {
            Ok(k) => k,
            Err(e) if e.code() == Some(40470) => continue,
            Err(e) => return Err(e),
        };
        let mut deks = Vec::new();
        for alg in ALGORITHMS {
            let path = format!("{BASE}/{}/deks/{}/versions", seg(name), seg(subject));
            let versions = match c.get_json(&format!("{path}?algorithm={alg}")).await {
                Ok(v) => v,
                Err(e) if e.code() == Some(40470) => continue,
                Err(e) => return Err(e),
            };
            for v in versions.as_array().into_iter().flatten().filter_map(Value::as_i64) {
                match c.get_json(&format!("{path}/{v}?algorithm={alg}")).await {
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
    /// Refresh whether the source has any KEK (once per pass; a source without keys costs no
    /// further request per subject).
    pub(super) async fn refresh_source_keks(&self) -> Result<(), SyncError> {
        let has = has_keks(&self.cfg.source).await.map_err(|e| side_err(&self.src_name(), "listing KEKs", e))?;
        *self.src_has_keks.lock() = has;
        Ok(())
    }

    /// The source subject's keys, when the source has any KEK.
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
        let dst = subject_keys(&self.cfg.destination, &dst_subject)
            .await
            .map_err(|e| side_err(&self.dst_name(), &format!("reading the keys of '{dst_subject}'"), e))?;
        Ok(keys.keks.iter().any(|(kek, deks)| {
            let have = dst.keks.iter().find(|(k, _)| k["name"] == kek["name"]);
            deks.iter().any(|d| {
                have.is_none_or(|(_, hd)| {
                    !hd.iter().any(|x| x["algorithm"] == d["algorithm"] && x["version"] == d["version"])
                })
            })
        }))
    }

    /// Create in the destination every KEK and DEK of `keys` it lacks; a different key already
    /// there is a conflict.
    pub(super) async fn mirror_keys(
        &self,
        src_subject: &str,
        dst_subject: &str,
        keys: &SubjectKeys,
    ) -> Result<(), SyncError> {
        let dst = &self.cfg.destination;
        let derr = |what: String, e: ClientError| side_err(&self.dst_name(), &what, e);
        for (kek, deks) in keys.keks.iter() {
            let name = kek["name"].as_str().unwrap_or_default();
            let have = match dst.get_json(&format!("{BASE}/{}?deleted=true", seg(name))).await {
                Ok(k) => Some(k),
                Err(e) if e.code() == Some(40470) => None,
                Err(e) if no_dek_registry(&e) => {
                    return Err(SyncError::Fatal(format!(
                        "{}: has no DEK Registry (/dek-registry/v1); the keys of '{src_subject}' cannot be mirrored",
                        self.dst_name()
                    )))
                }
                Err(e) => return Err(derr(format!("reading KEK '{name}'"), e)),
            };
            if let Some(h) = &have {
                if kek_settings(h) != kek_settings(kek) {
                    return Err(SyncError::Conflict(format!(
                        "{} KEK '{name}' is {}; {} KEK '{name}' is {}; the destination is left unchanged",
                        self.src_name(),
                        kek_settings(kek),
                        self.dst_name(),
                        kek_settings(h)
                    )));
                }
            }
            if have.as_ref().is_none_or(|h| h["deleted"] == json!(true)) {
                let mut body = kek_settings(kek);
                body["name"] = json!(name);
                dst.post_json(BASE, &body).await.map_err(|e| derr(format!("creating KEK '{name}'"), e))?;
            }
            for d in deks {
                let (alg, version) =
                    (d["algorithm"].as_str().unwrap_or("AES256_GCM"), d["version"].as_i64().unwrap_or(1));
                let path = format!("{BASE}/{}/deks/{}", seg(name), seg(dst_subject));
                let existing =
                    match dst.get_json(&format!("{path}/versions/{version}?algorithm={alg}&deleted=true")).await {
                        Ok(x) => Some(x),
                        Err(e) if e.code() == Some(40470) => None,
                        Err(e) => return Err(derr(format!("reading DEK '{name}'/'{dst_subject}' v{version}"), e)),
                    };
                if let Some(x) = &existing {
                    if x["encryptedKeyMaterial"] != d["encryptedKeyMaterial"] {
                        return Err(SyncError::Conflict(format!(
                            "{} DEK of KEK '{name}' for subject '{src_subject}' ({alg} version {version}) wraps {}; {} DEK of KEK '{name}' for subject '{dst_subject}' ({alg} version {version}) wraps {}; the destination is left unchanged",
                            self.src_name(),
                            d["encryptedKeyMaterial"],
                            self.dst_name(),
                            x["encryptedKeyMaterial"]
                        )));
                    }
                    if x["deleted"] != json!(true) {
                        continue;
                    }
                }
                let body =
                    json!({"version": version, "algorithm": alg, "encryptedKeyMaterial": d["encryptedKeyMaterial"]});
                dst.post_json(&path, &body)
                    .await
                    .map_err(|e| derr(format!("creating DEK '{name}'/'{dst_subject}' v{version}"), e))?;
            }
        }
        Ok(())
    }
}
