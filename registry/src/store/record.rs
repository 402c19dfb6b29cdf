//! Log records in Confluent's `_schemas` topic format: JSON keys and values, byte-compatible with
//! what Confluent Schema Registry writes, so one state machine reads the embedded log, the Kafka
//! store and a topic written by Confluent itself.
//!
//! Keys are written in Confluent's field order (compaction compares key bytes); any field order
//! is accepted on read, and deletes reuse the exact key bytes that were read.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;

use crate::schema::{SchemaReference, SchemaType};

/// One record of the log: raw key bytes and value bytes (None = tombstone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub key: Arc<[u8]>,
    pub value: Option<Arc<[u8]>>,
}

impl LogRecord {
    pub fn new(key: Vec<u8>, value: Option<Vec<u8>>) -> Self {
        Self { key: key.into(), value: value.map(Into::into) }
    }

    /// A tombstone for exactly these key bytes.
    pub fn tombstone(key: Arc<[u8]>) -> Self {
        Self { key, value: None }
    }
}

/// A decoded key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Schema {
        subject: String,
        version: u32,
    },
    Config {
        subject: Option<String>,
    },
    Mode {
        subject: Option<String>,
    },
    DeleteSubject {
        subject: String,
    },
    ClearSubject {
        subject: Option<String>,
    },
    Context {
        tenant: String,
        context: String,
    },
    Noop,
    /// Lockstep's own (embedded log only): the highest id ever given out in a context, so ids of
    /// schemas whose records compaction or a repair removed are never given out again.
    IdHighWater {
        context: String,
    },
    /// A KEK of the DEK Registry, in Confluent's `_dek_registry_keys` key format
    /// (`{"tenant","name","type":"KEK"}`, no `keytype`).
    Kek {
        tenant: String,
        name: String,
    },
    /// A DEK of the DEK Registry (`{"tenant","kekName","subject","algorithm","version","type":"DEK"}`).
    Dek {
        tenant: String,
        kek: String,
        subject: String,
        algorithm: String,
        version: u32,
    },
}

#[derive(Deserialize)]
struct RawKey {
    #[serde(default)]
    keytype: Option<String>,
    /// DEK Registry keys carry `type` (KEK/DEK) instead of `keytype`.
    #[serde(rename = "type", default)]
    key_type: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "kekName", default)]
    kek_name: Option<String>,
    #[serde(default)]
    algorithm: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    tenant: Option<String>,
    #[serde(default)]
    context: Option<String>,
}

impl Key {
    /// Decode any field order; unknown key types are an error the caller skips.
    pub fn decode(bytes: &[u8]) -> Result<Key, String> {
        let raw: RawKey = serde_json::from_slice(bytes).map_err(|e| format!("bad key JSON: {e}"))?;
        let Some(keytype) = raw.keytype.clone() else { return Self::decode_encryption_key(raw) };
        let subject = raw.subject.filter(|s| !s.is_empty());
        let need_subject = |s: Option<String>| s.ok_or_else(|| format!("{keytype} key without subject"));
        Ok(match keytype.as_str() {
            "SCHEMA" => {
                let version = raw.version.ok_or("SCHEMA key without version")?;
                let version = u32::try_from(version).map_err(|_| format!("bad version {version}"))?;
                Key::Schema { subject: need_subject(subject)?, version }
            }
            "CONFIG" => Key::Config { subject },
            "MODE" => Key::Mode { subject },
            "DELETE_SUBJECT" => Key::DeleteSubject { subject: need_subject(subject)? },
            "CLEAR_SUBJECT" => Key::ClearSubject { subject },
            "CONTEXT" => Key::Context {
                tenant: raw.tenant.unwrap_or_else(|| "default".into()),
                context: raw.context.ok_or("CONTEXT key without context")?,
            },
            "NOOP" => Key::Noop,
            "LOCKSTEP_ID_HIGH_WATER" => {
                Key::IdHighWater { context: raw.context.ok_or("LOCKSTEP_ID_HIGH_WATER key without context")? }
            }
            other => return Err(format!("unknown keytype {other}")),
        })
    }

    /// A DEK Registry key (no `keytype`, a `type` of KEK or DEK).
    fn decode_encryption_key(raw: RawKey) -> Result<Key, String> {
        let tenant = raw.tenant.unwrap_or_else(|| "default".into());
        match raw.key_type.as_deref() {
            Some("KEK") => Ok(Key::Kek { tenant, name: raw.name.ok_or("KEK key without name")? }),
            Some("DEK") => {
                let version = raw.version.ok_or("DEK key without version")?;
                let version = u32::try_from(version).map_err(|_| format!("bad DEK version {version}"))?;
                Ok(Key::Dek {
                    tenant,
                    kek: raw.kek_name.ok_or("DEK key without kekName")?,
                    subject: raw.subject.ok_or("DEK key without subject")?,
                    algorithm: raw.algorithm.unwrap_or_else(|| "AES256_GCM".into()),
                    version,
                })
            }
            Some(other) => Err(format!("unknown key type {other}")),
            None => Err("key without keytype".into()),
        }
    }

    /// Encode in Confluent's canonical field order.
    pub fn encode(&self) -> Vec<u8> {
        fn s(v: &str) -> String {
            Value::String(v.to_string()).to_string()
        }
        let text = match self {
            Key::Schema { subject, version } => {
                format!(r#"{{"keytype":"SCHEMA","subject":{},"version":{version},"magic":1}}"#, s(subject))
            }
            Key::Config { subject } | Key::Mode { subject } => {
                let kt = if matches!(self, Key::Config { .. }) { "CONFIG" } else { "MODE" };
                match subject {
                    Some(sub) => format!(r#"{{"keytype":"{kt}","subject":{},"magic":0}}"#, s(sub)),
                    None => format!(r#"{{"keytype":"{kt}","magic":0}}"#),
                }
            }
            Key::DeleteSubject { subject } => {
                format!(r#"{{"keytype":"DELETE_SUBJECT","subject":{},"magic":0}}"#, s(subject))
            }
            Key::ClearSubject { subject } => match subject {
                Some(sub) => format!(r#"{{"keytype":"CLEAR_SUBJECT","subject":{},"magic":0}}"#, s(sub)),
                None => r#"{"keytype":"CLEAR_SUBJECT","magic":0}"#.to_string(),
            },
            Key::Context { tenant, context } => {
                format!(r#"{{"keytype":"CONTEXT","tenant":{},"context":{},"magic":0}}"#, s(tenant), s(context))
            }
            Key::Noop => r#"{"keytype":"NOOP","magic":0}"#.to_string(),
            Key::IdHighWater { context } => {
                format!(r#"{{"keytype":"LOCKSTEP_ID_HIGH_WATER","context":{},"magic":0}}"#, s(context))
            }
            // Jackson's order in Confluent's KeyEncryptionKeyId/DataEncryptionKeyId: creator
            // properties first, then the inherited `type`.
            Key::Kek { tenant, name } => format!(r#"{{"tenant":{},"name":{},"type":"KEK"}}"#, s(tenant), s(name)),
            Key::Dek { tenant, kek, subject, algorithm, version } => format!(
                r#"{{"tenant":{},"kekName":{},"subject":{},"algorithm":{},"version":{version},"type":"DEK"}}"#,
                s(tenant),
                s(kek),
                s(subject),
                s(algorithm)
            ),
        };
        text.into_bytes()
    }
}

/// Value of a SCHEMA record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaValue {
    pub subject: String,
    pub version: u32,
    pub id: u32,
    #[serde(rename = "schemaType", default, skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(rename = "ruleSet", default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<Value>,
    pub schema: String,
    #[serde(default)]
    pub deleted: bool,
}

impl SchemaValue {
    pub fn schema_type(&self) -> Result<SchemaType, String> {
        SchemaType::parse(self.schema_type.as_deref())
            .ok_or_else(|| format!("unknown schemaType {}", self.schema_type.as_deref().unwrap_or("")))
    }
}

/// Value of a DELETE_SUBJECT record: versions up to `version` are soft-deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteSubjectValue {
    pub subject: String,
    pub version: u32,
}

/// Value of a MODE record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub mode: String,
}

/// Value of a CONTEXT record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextValue {
    pub tenant: String,
    pub context: String,
}

/// Value of a LOCKSTEP_ID_HIGH_WATER record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdHighWaterValue {
    pub context: String,
    #[serde(rename = "maxId")]
    pub max_id: u32,
}

/// Encode a CONFIG value: `subject` first (when set), then the config fields in their order.
pub fn encode_config(subject: Option<&str>, fields: &Map<String, Value>) -> Vec<u8> {
    let mut m = Map::new();
    if let Some(s) = subject {
        m.insert("subject".into(), Value::String(s.into()));
    }
    for (k, v) in fields {
        if k != "subject" {
            m.insert(k.clone(), v.clone());
        }
    }
    Value::Object(m).to_string().into_bytes()
}

/// Decode a CONFIG value into its fields (without `subject`).
pub fn decode_config(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(mut m)) => {
            m.remove("subject");
            Ok(m)
        }
        Ok(_) => Err("CONFIG value is not an object".into()),
        Err(e) => Err(format!("bad CONFIG value: {e}")),
    }
}

/// A plain SCHEMA record (no type, references, metadata or rules) for tests.
#[cfg(test)]
pub(crate) fn test_schema_record(subject: &str, version: u32, id: u32, schema: &str, deleted: bool) -> LogRecord {
    let v = SchemaValue {
        subject: subject.into(),
        version,
        id,
        schema_type: None,
        references: vec![],
        metadata: None,
        rule_set: None,
        schema: schema.into(),
        deleted,
    };
    LogRecord::new(Key::Schema { subject: subject.into(), version }.encode(), Some(to_bytes(&v)))
}

/// Serialize a value struct to bytes. Serialization of these plain structs cannot fail.
pub fn to_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_byte_exact() {
        let k = Key::Schema { subject: "orders-value".into(), version: 3 };
        assert_eq!(
            String::from_utf8(k.encode()).unwrap(),
            r#"{"keytype":"SCHEMA","subject":"orders-value","version":3,"magic":1}"#
        );
        assert_eq!(
            String::from_utf8(Key::Config { subject: None }.encode()).unwrap(),
            r#"{"keytype":"CONFIG","magic":0}"#
        );
        assert_eq!(
            String::from_utf8(Key::Mode { subject: Some("s".into()) }.encode()).unwrap(),
            r#"{"keytype":"MODE","subject":"s","magic":0}"#
        );
        assert_eq!(String::from_utf8(Key::Noop.encode()).unwrap(), r#"{"keytype":"NOOP","magic":0}"#);
        assert_eq!(
            String::from_utf8(Key::Context { tenant: "default".into(), context: ".eu".into() }.encode()).unwrap(),
            r#"{"keytype":"CONTEXT","tenant":"default","context":".eu","magic":0}"#
        );
    }

    #[test]
    fn keys_decode_in_any_order_and_legacy_forms() {
        let k = Key::decode(br#"{"magic":0,"version":2,"subject":"x","keytype":"SCHEMA"}"#).unwrap();
        assert_eq!(k, Key::Schema { subject: "x".into(), version: 2 });
        let k = Key::decode(br#"{"keytype":"CONFIG","subject":null,"magic":0}"#).unwrap();
        assert_eq!(k, Key::Config { subject: None });
        assert!(Key::decode(b"not json").is_err());
        assert!(Key::decode(br#"{"keytype":"WHAT","magic":0}"#).is_err());
        assert!(Key::decode(br#"{"keytype":"SCHEMA","subject":"x","version":-1,"magic":1}"#).is_err());
    }

    #[test]
    fn encryption_keys_in_confluents_format() {
        let k = Key::Kek { tenant: "default".into(), name: "k1".into() };
        assert_eq!(String::from_utf8(k.encode()).unwrap(), r#"{"tenant":"default","name":"k1","type":"KEK"}"#);
        assert_eq!(Key::decode(br#"{"type":"KEK","name":"k1","tenant":"default"}"#).unwrap(), k);
        let d = Key::Dek {
            tenant: "default".into(),
            kek: "k1".into(),
            subject: "s-value".into(),
            algorithm: "AES256_GCM".into(),
            version: 2,
        };
        assert_eq!(
            String::from_utf8(d.encode()).unwrap(),
            r#"{"tenant":"default","kekName":"k1","subject":"s-value","algorithm":"AES256_GCM","version":2,"type":"DEK"}"#
        );
        assert_eq!(Key::decode(&d.encode()).unwrap(), d);
        assert!(Key::decode(br#"{"type":"DEK","kekName":"k1","subject":"s","version":-3}"#).is_err());
        assert!(Key::decode(br#"{"type":"XEK","name":"k"}"#).is_err());
        assert!(Key::decode(br#"{"name":"k"}"#).is_err());
    }

    #[test]
    fn schema_value_round_trip() {
        let v: SchemaValue =
            serde_json::from_str(r#"{"subject":"s","version":1,"id":7,"schema":"\"string\"","deleted":false}"#)
                .unwrap();
        assert_eq!(v.schema_type().unwrap(), SchemaType::Avro);
        let v2 = SchemaValue { schema_type: Some("AVRO".into()), ..v };
        assert_eq!(
            String::from_utf8(to_bytes(&v2)).unwrap(),
            r#"{"subject":"s","version":1,"id":7,"schemaType":"AVRO","schema":"\"string\"","deleted":false}"#
        );
    }
}
