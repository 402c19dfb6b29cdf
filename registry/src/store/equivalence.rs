//! Is a SCHEMA record's schema the one its id already holds, written out by another registry?
//!
//! Karapace (Aiven's registry, which writes the same `_schemas` topic) rewrites the schemas it
//! writes back — a soft delete of a version another registry registered, for instance — as JSON
//! with sorted keys and without `schemaType` for AVRO. The text differs from the stored one, the
//! schema does not: the one-id-one-schema rule must compare schemas, not bytes.

use serde_json::Value;

use crate::schema::{ParsedSchema, SchemaType};
use crate::state::StoredSchema;
use crate::store::record::SchemaValue;

/// True when `record` (of type `schema_type`, a missing `schemaType` meaning AVRO) carries the
/// schema `existing` holds: same type and references, the same metadata and rule set where the
/// record has them (a writer that does not know them leaves them out), and the same schema as
/// JSON (any key order) or, without references, the same parsed canonical form.
pub fn same_schema(existing: &StoredSchema, record: &SchemaValue, schema_type: SchemaType) -> bool {
    if existing.schema_type != schema_type || existing.references != record.references {
        return false;
    }
    let differs = |ours: &Option<Value>, theirs: &Option<Value>| theirs.is_some() && ours != theirs;
    if differs(&existing.metadata, &record.metadata) || differs(&existing.rule_set, &record.rule_set) {
        return false;
    }
    if schema_type != SchemaType::Protobuf {
        let parse = |s: &str| serde_json::from_str::<Value>(s).ok();
        if let (Some(a), Some(b)) = (parse(&existing.schema), parse(&record.schema)) {
            if a == b {
                return true;
            }
        }
    }
    if !record.references.is_empty() {
        return false;
    }
    let canonical = |s: &str| ParsedSchema::parse(schema_type, s, &[], false).map(|p| p.canonical().to_string());
    match (canonical(&existing.schema), canonical(&record.schema)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(schema_type: SchemaType, text: &str) -> StoredSchema {
        StoredSchema {
            id: 1,
            schema_type,
            schema: text.into(),
            references: vec![],
            metadata: None,
            rule_set: None,
            hash: [0; 16],
            rendered: Default::default(),
        }
    }

    fn record(schema_type: Option<&str>, text: &str) -> SchemaValue {
        SchemaValue {
            subject: "s".into(),
            version: 1,
            id: 1,
            schema_type: schema_type.map(String::from),
            references: vec![],
            metadata: None,
            rule_set: None,
            schema: text.into(),
            deleted: true,
        }
    }

    const OURS: &str = r#"{"type":"record","name":"User","namespace":"acme","fields":[{"name":"id","type":"long"}]}"#;
    const KARAPACE: &str =
        r#"{"fields":[{"name":"id","type":"long"}],"name":"User","namespace":"acme","type":"record"}"#;

    #[test]
    fn sorted_keys_without_schema_type_are_the_same_avro_schema() {
        let ours = stored(SchemaType::Avro, OURS);
        assert!(same_schema(&ours, &record(None, KARAPACE), SchemaType::Avro));
        // Same canonical form, different JSON: still the same schema.
        let spelled = r#"{"type":"record","name":"acme.User","fields":[{"name":"id","type":{"type":"long"}}]}"#;
        assert!(same_schema(&ours, &record(None, spelled), SchemaType::Avro));
    }

    #[test]
    fn another_schema_type_fields_or_metadata_differ() {
        let ours = stored(SchemaType::Avro, OURS);
        let other = r#"{"fields":[{"name":"id","type":"string"}],"name":"User","namespace":"acme","type":"record"}"#;
        assert!(!same_schema(&ours, &record(None, other), SchemaType::Avro));
        let json = stored(SchemaType::Json, r#"{"type":"object"}"#);
        assert!(!same_schema(&json, &record(None, r#"{"type":"object"}"#), SchemaType::Avro));
        let mut with_md = record(None, KARAPACE);
        with_md.metadata = Some(serde_json::json!({"properties": {"owner": "x"}}));
        assert!(!same_schema(&ours, &with_md, SchemaType::Avro));
        assert!(!same_schema(&ours, &record(None, "not json"), SchemaType::Avro));
    }

    #[test]
    fn a_karapace_soft_delete_of_our_version_takes_effect() {
        use crate::state::State;
        use crate::store::record::{to_bytes, Key};
        use crate::store::LogRecord;
        let key = Key::Schema { subject: "s".into(), version: 1 }.encode();
        let mut ours = record(Some("AVRO"), OURS);
        ours.deleted = false;
        let mut st = State::default();
        assert!(st.apply(&LogRecord::new(key.clone(), Some(to_bytes(&ours)))));
        assert!(st.apply(&LogRecord::new(key, Some(to_bytes(&record(None, KARAPACE))))));
        let v = &st.subject("s").unwrap().versions[&1];
        assert!(v.deleted);
        assert_eq!(&*v.schema.schema, OURS, "the stored text stays the first writer's");
        assert_eq!(st.context(".").unwrap().by_hash.len(), 1);
    }
}
