//! Errors as Confluent Schema Registry reports them: an HTTP status plus `{"error_code","message"}`.

use axum::http::StatusCode;

/// An error with Confluent's exact `error_code` and HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Confluent's "unknown leader" code, used for [`ApiError::not_leader`].
pub const NOT_LEADER: u32 = 50004;

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    fn not_found(code: u32, message: String) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    fn unprocessable(code: u32, message: String) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    // --- 404 ---
    pub fn subject_not_found(subject: &str) -> Self {
        Self::not_found(40401, format!("Subject '{subject}' not found."))
    }
    pub fn version_not_found(version: impl std::fmt::Display) -> Self {
        Self::not_found(40402, format!("Version {version} not found."))
    }
    pub fn schema_not_found() -> Self {
        Self::not_found(40403, "Schema not found".into())
    }
    pub fn schema_id_not_found(id: impl std::fmt::Display) -> Self {
        Self::not_found(40403, format!("Schema {id} not found"))
    }
    pub fn subject_soft_deleted(subject: &str) -> Self {
        Self::not_found(40404, format!("Subject '{subject}' was soft deleted.Set permanent=true to delete permanently"))
    }
    pub fn subject_not_soft_deleted(subject: &str) -> Self {
        Self::not_found(40405, format!("Subject '{subject}' was not deleted first before being permanently deleted"))
    }
    pub fn version_soft_deleted(subject: &str, version: u32) -> Self {
        Self::not_found(
            40406,
            format!("Subject '{subject}' Version {version} was soft deleted.Set permanent=true to delete permanently"),
        )
    }
    pub fn version_not_soft_deleted(subject: &str, version: u32) -> Self {
        Self::not_found(
            40407,
            format!("Subject '{subject}' Version {version} was not deleted first before being permanently deleted"),
        )
    }
    pub fn subject_config_not_configured(subject: &str) -> Self {
        Self::not_found(40408, format!("Subject '{subject}' does not have subject-level compatibility configured"))
    }
    pub fn subject_mode_not_configured(subject: &str) -> Self {
        Self::not_found(40409, format!("Subject '{subject}' does not have subject-level mode configured"))
    }

    // --- 409 ---
    /// Incompatible schema on register. Confluent <= 7.9 uses error_code 409 (8.x: 40901);
    /// 409 is what most deployed clients and tools check for.
    pub fn incompatible(subject: &str, details: &[String]) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            409,
            format!(
                "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
                details.join(", ")
            ),
        )
    }

    // --- 422 ---
    pub fn invalid_schema(message: impl Into<String>) -> Self {
        Self::unprocessable(42201, message.into())
    }
    pub fn invalid_version(version: &str) -> Self {
        Self::unprocessable(
            42202,
            format!(
                "The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
            ),
        )
    }
    pub fn invalid_compatibility_level() -> Self {
        Self::unprocessable(
            42203,
            "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive".into(),
        )
    }
    pub fn invalid_mode() -> Self {
        Self::unprocessable(
            42204,
            "Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE, IMPORT and FORWARD.".into(),
        )
    }
    pub fn invalid_mode_message(message: impl Into<String>) -> Self {
        Self::unprocessable(42204, message.into())
    }
    pub fn not_permitted(message: impl Into<String>) -> Self {
        Self::unprocessable(42205, message.into())
    }
    pub fn reference_exists(subject: &str, version: u32) -> Self {
        Self::unprocessable(
            42206,
            format!(
                "One or more references exist to the schema {{magic=1,keytype=SCHEMA,subject={subject},version={version}}}."
            ),
        )
    }
    pub fn reference_exists_message(message: impl Into<String>) -> Self {
        Self::unprocessable(42206, message.into())
    }
    pub fn id_does_not_match(message: impl Into<String>) -> Self {
        Self::unprocessable(42207, message.into())
    }
    pub fn invalid_subject(subject: &str) -> Self {
        Self::unprocessable(42208, format!("The specified subject '{subject}' is not valid."))
    }
    pub fn schema_too_large(message: impl Into<String>) -> Self {
        Self::unprocessable(42209, message.into())
    }
    pub fn context_not_empty(context: &str) -> Self {
        Self::unprocessable(42211, format!("The specified context '{context}' is not empty."))
    }

    // --- 500 ---
    pub fn store(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, 50001, message.into())
    }
    /// A write on a follower whose request may go to the leader (Confluent's 50004 code; the
    /// forwarding layer, [`crate::cluster::forward`], sends the request on and never lets this
    /// answer out).
    pub fn not_leader() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, NOT_LEADER, "This node is not the leader")
    }
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, 50002, message.into())
    }

    // --- transport (error_code = HTTP status, as rest-utils does) ---
    pub fn http(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, u32::from(status.as_u16()), message.into())
    }
}
