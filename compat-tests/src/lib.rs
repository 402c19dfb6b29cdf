//! `lockstep check`: schema compatibility for CI, with the registry's own engines.
//!
//! Today: offline comparison of two schema files (`--old`, `--new`). Registry manifests, git
//! revisions and the conformance suite build on the same [`check_files`].

use registry::schema::{self, CompatibilityLevel, ParsedSchema, Previous, SchemaType};

/// Outcome of a check: the messages are empty when compatible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub level: CompatibilityLevel,
    pub messages: Vec<String>,
}

impl Verdict {
    pub fn is_compatible(&self) -> bool {
        self.messages.is_empty()
    }
}

/// Check `new_text` against `old_text` at `level`. Errors are invalid input (exit code 2).
pub fn check_texts(schema_type: &str, level: &str, old_text: &str, new_text: &str) -> Result<Verdict, String> {
    let ty = SchemaType::parse(Some(schema_type)).ok_or_else(|| format!("unknown schema type {schema_type}"))?;
    let level = CompatibilityLevel::parse(level).ok_or_else(|| format!("unknown compatibility level {level}"))?;
    let old = ParsedSchema::parse(ty, old_text, &[], false).map_err(|e| format!("old schema: {e}"))?;
    let new = ParsedSchema::parse(ty, new_text, &[], false).map_err(|e| format!("new schema: {e}"))?;
    let messages = schema::check_compatibility(level, &new, &[Previous { version: 1, schema: &old }]);
    Ok(Verdict { level, messages })
}

/// Read two files and check them.
pub fn check_files(
    schema_type: &str,
    level: &str,
    old: &std::path::Path,
    new: &std::path::Path,
) -> Result<Verdict, String> {
    let read =
        |p: &std::path::Path| std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    check_texts(schema_type, level, &read(old)?, &read(new)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}"#;
    const V2_OPTIONAL: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"email","type":["null","string"],"default":null}]}"#;
    const V2_REQUIRED: &str =
        r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"email","type":"string"}]}"#;

    #[test]
    fn optional_field_is_backward_compatible_required_is_not() {
        assert!(check_texts("AVRO", "BACKWARD", V1, V2_OPTIONAL).unwrap().is_compatible());
        let v = check_texts("AVRO", "BACKWARD", V1, V2_REQUIRED).unwrap();
        assert!(!v.is_compatible());
        assert!(v.messages[0].contains("READER_FIELD_MISSING_DEFAULT_VALUE"), "{:?}", v.messages);
        // Forward: old readers ignore the new field.
        assert!(check_texts("AVRO", "FORWARD", V1, V2_REQUIRED).unwrap().is_compatible());
    }

    #[test]
    fn bad_input_is_an_error_not_a_verdict() {
        assert!(check_texts("AVRO", "BACKWARD", "{", V1).is_err());
        assert!(check_texts("AVRO", "SIDEWAYS", V1, V1).is_err());
        assert!(check_texts("XML", "BACKWARD", V1, V1).is_err());
    }
}
