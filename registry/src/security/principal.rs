//! Who is calling: the principal an authenticator established for a request.

use std::fmt;

/// How a principal was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Basic,
    Bearer,
    Mtls,
    Anonymous,
    /// This process's own in-process clients (the `/exporters` links reading their source).
    Internal,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Basic => "basic",
            AuthMethod::Bearer => "bearer",
            AuthMethod::Mtls => "mtls",
            AuthMethod::Anonymous => "anonymous",
            AuthMethod::Internal => "internal",
        }
    }
}

/// An authenticated caller: a name, its groups (users-file roles, token claims) and the method.
/// Handlers can read it from the request extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub groups: Vec<String>,
    pub method: AuthMethod,
}

/// The name given to unauthenticated callers when anonymous access is enabled.
pub const ANONYMOUS: &str = "ANONYMOUS";

impl Principal {
    pub fn new(name: impl Into<String>, groups: Vec<String>, method: AuthMethod) -> Self {
        Self { name: name.into(), groups, method }
    }
    pub fn anonymous() -> Self {
        Self::new(ANONYMOUS, Vec::new(), AuthMethod::Anonymous)
    }
    pub fn is_anonymous(&self) -> bool {
        self.method == AuthMethod::Anonymous
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}
