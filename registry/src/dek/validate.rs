//! Input checks and the errors of Confluent's `dek-registry` module (`DekRegistryErrors`).

use axum::http::StatusCode;

use super::ALGORITHMS;
use crate::error::ApiError;

/// Longest KEK name (Confluent's `NAME_MAX_LENGTH`).
pub const NAME_MAX_LENGTH: usize = 256;

/// 40470: a KEK or DEK that does not exist (or is soft-deleted and not asked for).
pub fn not_found(name: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, 40470, format!("Key '{name}' not found"))
}

/// 40471: a permanent delete of a key that was not soft-deleted first.
pub fn not_soft_deleted(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        40471,
        format!("Key '{name}' was not deleted first before being permanently deleted"),
    )
}

/// 40472: undelete of a DEK whose KEK is soft-deleted.
pub fn soft_deleted(name: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, 40472, format!("Key '{name}' must be undeleted first"))
}

/// 40971: a key that already exists (also for an identical re-create).
pub fn already_exists(name: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, 40971, format!("Key '{name}' already exists; use a different value"))
}

/// 40972: more than [`super::MAX_KEYS`] keys.
pub fn too_many_keys(max: usize) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, 40972, format!("A maximum of {max} keys already exist"))
}

/// 42271: a missing or invalid field.
pub fn invalid(field: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        42271,
        format!("Invalid or missing value for field '{field}' of key"),
    )
}

/// 42272: a KEK that DEKs still use.
pub fn reference_exists(name: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, 42272, format!("One or more references exist to the key '{name}'"))
}

/// 50070: the registry would have to wrap or unwrap a key with a KMS. Lockstep holds no KMS
/// credentials, so this is what Confluent answers for a KMS it cannot use.
pub fn dek_generation(what: &str, subject: &str) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        50070,
        format!(
            "Could not generate {what} dek for {subject}: Lockstep has no KMS access; with a shared KEK the client must \
             send encryptedKeyMaterial and unwrap DEKs itself"
        ),
    )
}

/// Confluent's `checkName`: 1..=256 characters, a letter or `_` first, then letters, digits,
/// `_` or `-`.
pub fn check_name(name: &str) -> Result<(), ApiError> {
    let mut chars = name.chars();
    let ok = match chars.next() {
        Some(first) => {
            name.chars().count() <= NAME_MAX_LENGTH
                && (first.is_alphabetic() || first == '_')
                && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(invalid("name"))
    }
}

/// Confluent's `checkSubject`: not empty, no control characters.
pub fn check_subject(subject: &str) -> Result<(), ApiError> {
    if subject.is_empty() || subject.chars().any(char::is_control) {
        return Err(invalid("subject"));
    }
    Ok(())
}

/// `?algorithm=`: one of [`ALGORITHMS`] (absent: the default). Anything else is a query parameter
/// Jersey cannot convert, which it answers with 404.
pub fn algorithm(param: Option<&str>) -> Result<&'static str, ApiError> {
    match param {
        None => Ok(super::DEFAULT_ALGORITHM),
        Some(a) => ALGORITHMS
            .iter()
            .find(|x| **x == a)
            .copied()
            .ok_or_else(|| ApiError::http(StatusCode::NOT_FOUND, "HTTP 404 Not Found")),
    }
}

/// The KMS key id checks Confluent's `CreateKekRequest.validate` makes for the KMS types it knows.
pub fn check_kms_key_id(kms_type: &str, kms_key_id: &str) -> Result<(), ApiError> {
    let ok = match kms_type {
        "aws-kms" => kms_key_id.starts_with("arn:aws:kms:"),
        "azure-kms" => kms_key_id.starts_with("https://"),
        "gcp-kms" => kms_key_id.starts_with("projects/"),
        "hcvault" => kms_key_id.starts_with("https://") || kms_key_id.starts_with("http://"),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(invalid("kmsKeyId"))
    }
}

/// Confluent's `normalizeKmsType`: `aws*` → `aws-kms`, `azure*` → `azure-kms`, `gcp*` → `gcp-kms`.
pub fn normalize_kms_type(kms_type: &str) -> String {
    let t = kms_type.to_lowercase();
    if t.starts_with("aws") {
        "aws-kms".into()
    } else if t.starts_with("azure") {
        "azure-kms".into()
    } else if t.starts_with("gcp") {
        "gcp-kms".into()
    } else {
        kms_type.to_string()
    }
}
