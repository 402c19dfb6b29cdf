//! Drafts and meta-schema validation.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Draft {
    D4,
    D6,
    D7,
    D201909,
    D202012,
}

impl Draft {
    pub(super) fn id_keyword(self) -> &'static str {
        if self == Draft::D4 {
            "id"
        } else {
            "$id"
        }
    }

    pub(super) fn modern(self) -> bool {
        self >= Draft::D201909
    }
}

/// Confluent picks 2019-09/2020-12 by exact URL (trailing `#` ignored); older drafts go to the
/// Everit loader, which matches by prefix and falls back to draft-07.
pub(super) fn detect_draft(doc: &JVal, default: Draft) -> Result<Draft, JsonSchemaError> {
    let Some(v) = doc.get("$schema") else {
        return Ok(default);
    };
    let Some(url) = v.as_str() else {
        return err("Invalid JSON schema: '$schema' must be a string");
    };
    let trimmed = url.strip_suffix('#').unwrap_or(url);
    for scheme in ["http", "https"] {
        if trimmed == format!("{scheme}://json-schema.org/draft/2019-09/schema") {
            return Ok(Draft::D201909);
        }
        if trimmed == format!("{scheme}://json-schema.org/draft/2020-12/schema") {
            return Ok(Draft::D202012);
        }
    }
    for (draft, path) in [(Draft::D4, "draft-04"), (Draft::D6, "draft-06"), (Draft::D7, "draft-07")] {
        for scheme in ["http", "https"] {
            if url.starts_with(&format!("{scheme}://json-schema.org/{path}/schema")) {
                return Ok(draft);
            }
        }
    }
    Ok(Draft::D7)
}

pub(super) fn meta_validate(root: &JVal, draft: Draft) -> Result<(), JsonSchemaError> {
    let value = to_serde(root);
    let validator = match draft {
        Draft::D4 => jsonschema::draft4::meta::validator(),
        Draft::D6 => jsonschema::draft6::meta::validator(),
        Draft::D7 => jsonschema::draft7::meta::validator(),
        Draft::D201909 => jsonschema::draft201909::meta::validator(),
        Draft::D202012 => jsonschema::draft202012::meta::validator(),
    };
    for error in validator.iter_errors(&value) {
        // The loaders Confluent uses accept empty or repeated `required`/`enum`/`type` arrays and
        // empty `allOf`/`anyOf`/`oneOf`; do not reject what Confluent stores.
        let path = error.instance_path().as_str().to_string();
        // Likewise, URI formats of `$id`/`$ref`/`$schema` are not checked by it.
        use jsonschema::error::ValidationErrorKind as K;
        let lenient = match error.kind() {
            K::MinItems { .. } | K::UniqueItems => {
                ["/required", "/enum", "/type", "/allOf", "/anyOf", "/oneOf"].iter().any(|k| path.ends_with(k))
            }
            K::Format { format } => format != "regex",
            _ => false,
        };
        if lenient {
            continue;
        }
        let at = if path.is_empty() { "#".to_string() } else { format!("#{path}") };
        return err(format!("Invalid JSON schema: {at}: {error}"));
    }
    Ok(())
}
