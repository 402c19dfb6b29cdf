//! Which source subjects a link exports, and where each lands on the destination:
//! subject patterns, `contextType`, `context` and `subjectRenameFormat`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The default context.
pub const DEFAULT_CONTEXT: &str = ".";

/// Where exported subjects land on the destination (Confluent's `contextType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ContextType {
    /// A context named for the source registry (`.` + its cluster id, or host-port).
    #[default]
    Auto,
    /// The context given by `context`.
    Custom,
    /// The subject's own context, unchanged (`orders` → `orders`, `:.x:orders` → `:.x:orders`).
    None,
    /// The destination's default context, whatever the source context.
    Default,
}

impl FromStr for ContextType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_uppercase().as_str() {
            "AUTO" => Ok(Self::Auto),
            "CUSTOM" => Ok(Self::Custom),
            "NONE" => Ok(Self::None),
            "DEFAULT" => Ok(Self::Default),
            _ => Err(format!("unknown context type '{s}' (AUTO, CUSTOM, NONE or DEFAULT)")),
        }
    }
}

impl fmt::Display for ContextType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "AUTO",
            Self::Custom => "CUSTOM",
            Self::None => "NONE",
            Self::Default => "DEFAULT",
        })
    }
}

/// A subject split into context and name (`:.ctx:name`; a plain name is in the default context).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Qualified {
    pub context: String,
    pub name: String,
}

impl Qualified {
    /// None for a malformed qualified form.
    pub fn parse(s: &str) -> Option<Self> {
        match s.strip_prefix(':') {
            Some(rest) => {
                let end = rest.find(':')?;
                let context = &rest[..end];
                if !context.starts_with('.') {
                    return None;
                }
                Some(Self { context: context.to_string(), name: rest[end + 1..].to_string() })
            }
            None => Some(Self { context: DEFAULT_CONTEXT.to_string(), name: s.to_string() }),
        }
    }

    pub fn new(context: &str, name: &str) -> Self {
        Self { context: context.to_string(), name: name.to_string() }
    }

    /// Plain name in the default context, `:.ctx:name` elsewhere.
    pub fn qualified(&self) -> String {
        if self.context == DEFAULT_CONTEXT {
            self.name.clone()
        } else {
            format!(":{}:{}", self.context, self.name)
        }
    }
}

/// A context name is `.` or `.` followed by characters other than `:` (and not blank).
pub fn valid_context(c: &str) -> bool {
    c.starts_with('.') && !c.contains(':') && !c.chars().any(char::is_whitespace) && c != ".__GLOBAL"
}

/// A `*` glob over a whole string.
fn glob(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == s;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !s.starts_with(first) || s.len() < first.len() + last.len() || !s.ends_with(last) {
        return false;
    }
    let mut rest = &s[first.len()..s.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// One entry of `subjects`: `:*:` every subject of every context; `:.ctx:PATTERN` subjects of a
/// context; `PATTERN` subjects of the default context. PATTERN is a name or a `*` glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectPattern {
    context: Option<String>,
    name: String,
}

impl SubjectPattern {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty subject pattern".into());
        }
        if s == ":*:" {
            return Ok(Self { context: None, name: "*".into() });
        }
        if let Some(rest) = s.strip_prefix(":*:") {
            return Ok(Self { context: None, name: rest.to_string() });
        }
        let q =
            Qualified::parse(s).ok_or_else(|| format!("malformed subject pattern '{s}' (expected :.context:name)"))?;
        if !valid_context(&q.context) {
            return Err(format!("invalid context in subject pattern '{s}'"));
        }
        let name = if q.name.is_empty() { "*".to_string() } else { q.name };
        Ok(Self { context: Some(q.context), name })
    }

    pub fn matches(&self, subject: &Qualified) -> bool {
        self.context.as_ref().is_none_or(|c| *c == subject.context) && glob(&self.name, &subject.name)
    }

    /// Does the pattern reach beyond the default context?
    pub fn needs_contexts(&self) -> bool {
        self.context.as_deref() != Some(DEFAULT_CONTEXT)
    }
}

/// The resolved subject mapping of a link.
#[derive(Debug, Clone)]
pub struct Mapping {
    patterns: Vec<SubjectPattern>,
    context_type: ContextType,
    /// The destination context for AUTO/CUSTOM.
    context: Option<String>,
    rename: String,
}

pub const RENAME_PLACEHOLDER: &str = "${subject}";

impl Mapping {
    /// `context` must be set (and valid) for AUTO (resolved) and CUSTOM.
    pub fn new(
        patterns: &[String],
        context_type: ContextType,
        context: Option<String>,
        rename: &str,
    ) -> Result<Self, String> {
        let patterns: Vec<SubjectPattern> = if patterns.is_empty() {
            vec![SubjectPattern::parse("*")?]
        } else {
            patterns.iter().map(|p| SubjectPattern::parse(p)).collect::<Result<_, _>>()?
        };
        let context = match context_type {
            ContextType::Auto | ContextType::Custom => {
                let c = context.ok_or_else(|| format!("context type {context_type} needs a context"))?;
                let c = if c.starts_with('.') { c } else { format!(".{c}") };
                if !valid_context(&c) || c == DEFAULT_CONTEXT {
                    return Err(format!("invalid destination context '{c}'"));
                }
                Some(c)
            }
            ContextType::None | ContextType::Default => None,
        };
        let rename = if rename.is_empty() { RENAME_PLACEHOLDER.to_string() } else { rename.to_string() };
        if !rename.contains(RENAME_PLACEHOLDER) {
            return Err(format!("subject rename format '{rename}' must contain {RENAME_PLACEHOLDER}"));
        }
        if rename.contains(':') {
            return Err(format!("subject rename format '{rename}' must not contain ':' (use a context)"));
        }
        Ok(Self { patterns, context_type, context, rename })
    }

    /// Is this source subject exported?
    pub fn selects(&self, subject: &str) -> bool {
        Qualified::parse(subject).is_some_and(|q| !q.name.is_empty() && self.patterns.iter().any(|p| p.matches(&q)))
    }

    /// Does the selection reach beyond the source's default context?
    pub fn needs_contexts(&self) -> bool {
        self.patterns.iter().any(SubjectPattern::needs_contexts)
    }

    /// The destination context for a source context.
    pub fn dest_context(&self, source_context: &str) -> String {
        match (&self.context_type, &self.context) {
            (ContextType::None, _) => source_context.to_string(),
            (ContextType::Default, _) => DEFAULT_CONTEXT.to_string(),
            (_, Some(c)) if source_context == DEFAULT_CONTEXT => c.clone(),
            (_, Some(c)) => format!("{c}{source_context}"),
            (_, None) => source_context.to_string(),
        }
    }

    /// The destination subject of a source subject (qualified forms).
    pub fn dest_subject(&self, source: &str) -> Option<String> {
        let q = Qualified::parse(source)?;
        let name = self.rename.replace(RENAME_PLACEHOLDER, &q.name);
        Some(Qualified::new(&self.dest_context(&q.context), &name).qualified())
    }

    /// A reference's subject on the destination: `reference` as stored in a source schema of
    /// `referrer` (unqualified = the referrer's context). Written unqualified when it lands in the
    /// destination referrer's context, so an unrenamed reference is carried over unchanged.
    pub fn dest_reference(&self, referrer: &str, reference: &str) -> Option<String> {
        let src_ref = self.source_reference(referrer, reference)?;
        let dst = Qualified::parse(&self.dest_subject(&src_ref)?)?;
        let dst_referrer = Qualified::parse(&self.dest_subject(referrer)?)?;
        if dst.context == dst_referrer.context && !reference.starts_with(':') {
            Some(dst.name)
        } else {
            Some(dst.qualified())
        }
    }

    /// A reference's subject on the source, qualified in the referrer's context.
    pub fn source_reference(&self, referrer: &str, reference: &str) -> Option<String> {
        if reference.starts_with(':') {
            return Qualified::parse(reference).map(|q| q.qualified());
        }
        let r = Qualified::parse(referrer)?;
        Some(Qualified::new(&r.context, reference).qualified())
    }

    /// The destination scope that receives source-global settings: the link's context, or the
    /// destination's global scope (None) for NONE/DEFAULT.
    pub fn dest_scope(&self) -> Option<String> {
        self.context.as_ref().map(|c| format!(":{c}:"))
    }

    pub fn context_type(&self) -> ContextType {
        self.context_type
    }

    pub fn context(&self) -> Option<&str> {
        self.context.as_deref()
    }
}

/// AUTO's context name from the source's identity: its cluster id when it is distinctive,
/// else its host and port (`.host-8081`).
pub fn auto_context(cluster_id: Option<&str>, source_url: &str) -> String {
    let generic = ["", "lockstep", "schema-registry"];
    let raw = match cluster_id {
        Some(id) if !generic.contains(&id) => id.to_string(),
        _ => {
            let rest = source_url.split_once("://").map_or(source_url, |(_, r)| r);
            rest.split('/').next().unwrap_or(rest).to_string()
        }
    };
    let cleaned: String =
        raw.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    format!(".{}", cleaned.trim_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_select_by_context_and_glob() {
        let m = Mapping::new(&["orders-*".into(), ":.x:pay*".into()], ContextType::None, None, "").unwrap();
        assert!(m.selects("orders-value"));
        assert!(!m.selects("users-value"));
        assert!(!m.selects(":.y:orders-value"));
        assert!(m.selects(":.x:payments"));
        assert!(!m.selects(":.x:orders-value"));
        let all = Mapping::new(&[":*:".into()], ContextType::None, None, "").unwrap();
        assert!(all.selects(":.y:anything") && all.selects("plain"));
        assert!(all.needs_contexts());
        let def = Mapping::new(&[], ContextType::None, None, "").unwrap();
        assert!(def.selects("a") && !def.selects(":.x:a") && !def.needs_contexts());
        assert!(glob("a*b*c", "axxbyyc") && !glob("a*b*c", "axxc") && glob("*", "") && !glob("ab*ba", "aba"));
        assert!(SubjectPattern::parse(":nodot:x").is_err());
    }

    #[test]
    fn subjects_and_references_are_mapped() {
        let m = Mapping::new(&[":*:".into()], ContextType::Custom, Some("east".into()), "dc_${subject}").unwrap();
        assert_eq!(m.dest_subject("orders").unwrap(), ":.east:dc_orders");
        assert_eq!(m.dest_subject(":.x:orders").unwrap(), ":.east.x:dc_orders");
        assert_eq!(m.dest_reference("orders", "common").unwrap(), "dc_common");
        assert_eq!(m.dest_reference("orders", ":.x:common").unwrap(), ":.east.x:dc_common");
        assert_eq!(m.dest_scope().unwrap(), ":.east:");
        let none = Mapping::new(&[], ContextType::None, None, "${subject}").unwrap();
        assert_eq!(none.dest_subject(":.x:a").unwrap(), ":.x:a");
        assert_eq!(none.dest_reference(":.x:a", "b").unwrap(), "b");
        let d = Mapping::new(&[], ContextType::Default, None, "${subject}").unwrap();
        assert_eq!(d.dest_subject(":.x:a").unwrap(), "a");
        assert!(Mapping::new(&[], ContextType::Custom, None, "").is_err());
        assert!(Mapping::new(&[], ContextType::None, None, "no-placeholder").is_err());
    }

    #[test]
    fn auto_context_names_the_source() {
        assert_eq!(auto_context(Some("lockstep"), "http://10.0.0.1:8081/"), ".10-0-0-1-8081");
        assert_eq!(auto_context(Some("east-sr"), "http://x"), ".east-sr");
    }
}
