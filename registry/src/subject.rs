//! Qualified subjects and contexts (`:.ctx:subject`), as Confluent's `QualifiedSubject`.

/// The default context.
pub const DEFAULT_CONTEXT: &str = ".";
/// The context that holds config/mode for every context at once.
pub const GLOBAL_CONTEXT: &str = ".__GLOBAL";
/// Wildcard prefix selecting every context in listings.
pub const WILDCARD: &str = ":*:";

/// A subject split into its context and its name within that context.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QualifiedSubject {
    /// `.` for the default context, else `.name`.
    pub context: String,
    /// The subject within its context; empty when the string names only a context (`:.ctx:`).
    pub name: String,
}

impl QualifiedSubject {
    /// Parse `:.ctx:name`, `:.:name`, `:.ctx:` or a plain `name` (default context).
    /// Returns None for a malformed qualified form (e.g. `:nodot:x`, `:.ctx` without the closing colon).
    pub fn parse(s: &str) -> Option<Self> {
        if let Some(rest) = s.strip_prefix(':') {
            let end = rest.find(':')?;
            let context = &rest[..end];
            let name = &rest[end + 1..];
            if !context.starts_with('.') {
                return None;
            }
            Some(Self { context: context.to_string(), name: name.to_string() })
        } else {
            Some(Self { context: DEFAULT_CONTEXT.to_string(), name: s.to_string() })
        }
    }

    /// Build from parts.
    pub fn new(context: &str, name: &str) -> Self {
        Self { context: context.to_string(), name: name.to_string() }
    }

    pub fn is_default_context(&self) -> bool {
        self.context == DEFAULT_CONTEXT
    }

    /// The canonical string: plain name in the default context, `:.ctx:name` elsewhere.
    pub fn qualified(&self) -> String {
        if self.is_default_context() {
            self.name.clone()
        } else {
            format!(":{}:{}", self.context, self.name)
        }
    }

    /// The config/mode key of this subject's context (`:.ctx:`), or None for the default context (global key).
    pub fn context_key(&self) -> Option<String> {
        if self.is_default_context() {
            None
        } else {
            Some(format!(":{}:", self.context))
        }
    }
}

/// Normalize a subject string to its canonical qualified form (`:.:x` → `x`). None when malformed.
pub fn normalize(s: &str) -> Option<String> {
    QualifiedSubject::parse(s).map(|q| q.qualified())
}

/// The context of a canonical subject string.
pub fn context_of(subject: &str) -> String {
    QualifiedSubject::parse(subject).map(|q| q.context).unwrap_or_else(|| DEFAULT_CONTEXT.to_string())
}

/// Qualify `reference` (as given in a schema reference) in the context of `referrer`:
/// an unqualified reference subject lives in the referrer's context.
pub fn qualify_in_context_of(reference: &str, referrer: &QualifiedSubject) -> Option<String> {
    if reference.starts_with(':') {
        normalize(reference)
    } else {
        Some(QualifiedSubject::new(&referrer.context, reference).qualified())
    }
}

/// A subject name Confluent refuses (42208): empty, control characters, reserved names, the global context.
pub fn is_valid_subject(q: &QualifiedSubject) -> bool {
    !q.name.is_empty()
        && !q.name.chars().any(char::is_control)
        && !q.context.chars().any(char::is_control)
        && q.name != "__GLOBAL"
        && q.name != "__EMPTY"
        && q.context != GLOBAL_CONTEXT
        && !q.context[1..].contains(':')
}

/// Validate a context name given in a URL (`.ctx`, `:.ctx:` or `.`).
pub fn parse_context(s: &str) -> Option<String> {
    let s = s.strip_prefix(':').map(|r| r.strip_suffix(':').unwrap_or(r)).unwrap_or(s);
    if s.starts_with('.') && !s.contains(':') && !s.chars().any(char::is_control) {
        Some(s.to_string())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_qualified_forms() {
        let q = QualifiedSubject::parse(":.ctx:orders").unwrap();
        assert_eq!((q.context.as_str(), q.name.as_str()), (".ctx", "orders"));
        assert_eq!(q.qualified(), ":.ctx:orders");
        assert_eq!(normalize(":.:orders").unwrap(), "orders");
        assert_eq!(normalize("orders").unwrap(), "orders");
        assert_eq!(QualifiedSubject::parse(":.ctx:").unwrap().name, "");
        assert!(QualifiedSubject::parse(":ctx:x").is_none());
        assert!(QualifiedSubject::parse(":.ctx").is_none());
        assert_eq!(context_of(":.a:b"), ".a");
        assert_eq!(context_of("b"), ".");
    }

    #[test]
    fn references_resolve_in_the_referrer_context() {
        let referrer = QualifiedSubject::parse(":.eu:orders").unwrap();
        assert_eq!(qualify_in_context_of("address", &referrer).unwrap(), ":.eu:address");
        assert_eq!(qualify_in_context_of(":.us:address", &referrer).unwrap(), ":.us:address");
    }

    #[test]
    fn rejects_reserved_subjects() {
        for bad in ["__GLOBAL", "__EMPTY", "a\u{1}b", ":.__GLOBAL:x", ""] {
            assert!(!is_valid_subject(&QualifiedSubject::parse(bad).unwrap()), "{bad}");
        }
        assert!(is_valid_subject(&QualifiedSubject::parse("google/protobuf/timestamp.proto").unwrap()));
    }

    #[test]
    fn contexts_in_urls() {
        assert_eq!(parse_context(".ctx").unwrap(), ".ctx");
        assert_eq!(parse_context(":.ctx:").unwrap(), ".ctx");
        assert_eq!(parse_context(":.:").unwrap(), ".");
        assert!(parse_context("ctx").is_none());
    }
}
