//! Authorization rules: principals or groups → operations on resources.
//!
//! ```toml
//! [[rule]]
//! principals = ["alice"]          # user names; "*" = every authenticated principal
//! groups = ["team-a"]             # groups (users-file roles, token group claims)
//! operations = ["read", "write"]  # read write delete config mode admin, or "*" for all
//! resources = ["subject:orders-*", "context:.eu", "exporter:eu-*", "global", "*"]
//! ```
//! With no rule at all, every authenticated principal may do everything and the anonymous
//! principal may read. Once one rule exists, whatever no rule allows is denied.

use std::fmt;
use std::path::Path;

use anyhow::{bail, Context};
use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;

use super::principal::{AuthMethod, Principal};
use crate::subject::{self, QualifiedSubject, DEFAULT_CONTEXT};

/// What a request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Read,
    Write,
    Delete,
    Config,
    Mode,
    Admin,
}

impl Operation {
    pub const ALL: [Operation; 6] =
        [Operation::Read, Operation::Write, Operation::Delete, Operation::Config, Operation::Mode, Operation::Admin];

    pub fn parse(s: &str) -> Option<Operation> {
        Some(match s.to_ascii_lowercase().as_str() {
            "read" => Operation::Read,
            "write" => Operation::Write,
            "delete" => Operation::Delete,
            "config" => Operation::Config,
            "mode" => Operation::Mode,
            "admin" => Operation::Admin,
            _ => return None,
        })
    }

    /// The name in messages (`User is denied operation Write on Subject: x`).
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Read => "Read",
            Operation::Write => "Write",
            Operation::Delete => "Delete",
            Operation::Config => "Config",
            Operation::Mode => "Mode",
            Operation::Admin => "Admin",
        }
    }
}

/// What a request touches, after the `/contexts/{ctx}` prefix and percent-encoding are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// Global config and mode, the change feed, the DEK Registry, unknown routes.
    Global,
    /// A context (`.` default, `.eu`): its config, mode, deletion.
    Context(String),
    /// A subject in canonical qualified form (`orders` or `:.eu:orders`).
    Subject(String),
    /// A schema exporter (Schema Linking).
    Exporter(String),
    /// A schema id or guid (only in messages: access follows the subjects that use it).
    Schema(String),
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Global => f.write_str("Global"),
            Resource::Context(c) => write!(f, "Context: {c}"),
            Resource::Subject(s) => write!(f, "Subject: {s}"),
            Resource::Exporter(e) => write!(f, "Exporter: {e}"),
            Resource::Schema(s) => write!(f, "Schema: {s}"),
        }
    }
}

impl Resource {
    /// The resource a config/mode path segment names: a subject, a context (`:.eu:`) or, for
    /// `:.:` and `:.__GLOBAL:`, the global scope.
    pub fn scope(segment: &str) -> Resource {
        match QualifiedSubject::parse(segment) {
            Some(q) if q.name.is_empty() => {
                if q.context == DEFAULT_CONTEXT || q.context == subject::GLOBAL_CONTEXT {
                    Resource::Global
                } else {
                    Resource::Context(q.context)
                }
            }
            Some(q) => Resource::Subject(q.qualified()),
            None => Resource::Subject(segment.to_string()),
        }
    }
}

/// A resource pattern in a rule.
#[derive(Debug, Clone)]
enum Pattern {
    Any,
    Global,
    Context(GlobMatcher),
    Subject(GlobMatcher),
    Exporter(GlobMatcher),
}

fn glob(p: &str) -> anyhow::Result<GlobMatcher> {
    Ok(GlobBuilder::new(p)
        .literal_separator(false)
        .build()
        .with_context(|| format!("bad pattern '{p}'"))?
        .compile_matcher())
}

impl Pattern {
    fn parse(s: &str) -> anyhow::Result<Pattern> {
        let s = s.trim();
        if s == "*" {
            return Ok(Pattern::Any);
        }
        if s.eq_ignore_ascii_case("global") {
            return Ok(Pattern::Global);
        }
        let Some((kind, value)) = s.split_once(':') else {
            bail!("resource '{s}' is not one of *, global, subject:PATTERN, context:PATTERN, exporter:PATTERN")
        };
        if value.is_empty() {
            bail!("resource '{s}' has an empty pattern");
        }
        Ok(match kind.to_ascii_lowercase().as_str() {
            // `:.:orders` and `orders` name the same subject.
            "subject" => Pattern::Subject(glob(&subject::normalize(value).unwrap_or_else(|| value.to_string()))?),
            "context" => {
                let c = subject::parse_context(value).unwrap_or_else(|| value.to_string());
                Pattern::Context(glob(&c)?)
            }
            "exporter" => Pattern::Exporter(glob(value)?),
            other => bail!("unknown resource type '{other}' in '{s}' (subject, context, exporter, global, *)"),
        })
    }

    fn matches(&self, r: &Resource) -> bool {
        match (self, r) {
            (Pattern::Any, _) => true,
            (Pattern::Global, Resource::Global) => true,
            (Pattern::Context(g), Resource::Context(c)) => g.is_match(c),
            (Pattern::Context(g), Resource::Subject(s)) => g.is_match(subject::context_of(s)),
            (Pattern::Subject(g), Resource::Subject(s)) => g.is_match(s),
            (Pattern::Exporter(g), Resource::Exporter(e)) => g.is_match(e),
            _ => false,
        }
    }

    /// Does it match every subject there can be?
    fn all_subjects(&self) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Subject(g) | Pattern::Context(g) => g.glob().glob() == "*",
            _ => false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    principals: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    operations: Vec<String>,
    resources: Vec<String>,
}

#[derive(Debug, Clone)]
struct Rule {
    principals: Vec<String>,
    groups: Vec<String>,
    operations: Vec<Operation>,
    resources: Vec<Pattern>,
}

impl Rule {
    fn applies_to(&self, p: &Principal) -> bool {
        self.principals.iter().any(|n| (n == "*" && !p.is_anonymous()) || *n == p.name)
            || self.groups.iter().any(|g| p.groups.contains(g))
    }
}

/// The rules in force.
#[derive(Debug, Clone, Default)]
pub struct Authorizer {
    rules: Vec<Rule>,
}

impl Authorizer {
    /// Parse a rules file (TOML, `[[rule]]` tables). Errors name the file and the rule.
    pub fn parse(text: &str, origin: &Path) -> anyhow::Result<Authorizer> {
        let file: RuleFile =
            toml::from_str(text).with_context(|| format!("invalid rules file {}", origin.display()))?;
        let mut rules = Vec::new();
        for (i, r) in file.rule.into_iter().enumerate() {
            let at = || format!("rules file {}: rule #{}", origin.display(), i + 1);
            if r.principals.is_empty() && r.groups.is_empty() {
                bail!("{}: names no principal and no group", at());
            }
            if r.operations.is_empty() || r.resources.is_empty() {
                bail!("{}: needs at least one operation and one resource", at());
            }
            let mut operations = Vec::new();
            for o in &r.operations {
                if o == "*" {
                    operations.extend(Operation::ALL);
                } else {
                    operations.push(Operation::parse(o).with_context(|| {
                        format!("{}: unknown operation '{o}' (read, write, delete, config, mode, admin, *)", at())
                    })?);
                }
            }
            let resources =
                r.resources.iter().map(|s| Pattern::parse(s)).collect::<anyhow::Result<Vec<_>>>().with_context(at)?;
            rules.push(Rule { principals: r.principals, groups: r.groups, operations, resources });
        }
        Ok(Authorizer { rules })
    }

    pub fn load(path: &Path) -> anyhow::Result<Authorizer> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read rules file {}", path.display()))?;
        Self::parse(&text, path)
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// May `p` perform `op` on `r`?
    pub fn allows(&self, p: &Principal, op: Operation, r: &Resource) -> bool {
        if p.method == AuthMethod::Internal {
            return true;
        }
        if self.rules.is_empty() {
            return !p.is_anonymous() || op == Operation::Read;
        }
        self.rules.iter().any(|rule| {
            rule.applies_to(p) && rule.operations.contains(&op) && rule.resources.iter().any(|pat| pat.matches(r))
        })
    }

    /// May `p` perform `op` on every subject (so a listing needs no filtering)?
    pub fn allows_all_subjects(&self, p: &Principal, op: Operation) -> bool {
        if p.method == AuthMethod::Internal {
            return true;
        }
        if self.rules.is_empty() {
            return !p.is_anonymous() || op == Operation::Read;
        }
        self.rules.iter().any(|rule| {
            rule.applies_to(p) && rule.operations.contains(&op) && rule.resources.iter().any(Pattern::all_subjects)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, groups: &[&str]) -> Principal {
        Principal::new(name, groups.iter().map(|g| g.to_string()).collect(), AuthMethod::Basic)
    }

    const RULES: &str = r#"
        [[rule]]
        groups = ["team-a"]
        operations = ["write", "delete"]
        resources = ["subject:orders-*"]
        [[rule]]
        principals = ["*"]
        operations = ["read"]
        resources = ["subject:*"]
        [[rule]]
        principals = ["ops"]
        operations = ["*"]
        resources = ["*"]
        [[rule]]
        principals = ["eu-admin"]
        operations = ["config"]
        resources = ["context:.eu"]
    "#;

    #[test]
    fn rules_grant_and_deny() {
        let a = Authorizer::parse(RULES, Path::new("rules.toml")).unwrap();
        let alice = user("alice", &["team-a"]);
        let bob = user("bob", &[]);
        let orders = Resource::Subject("orders-value".into());
        assert!(a.allows(&alice, Operation::Write, &orders));
        assert!(!a.allows(&bob, Operation::Write, &orders));
        assert!(a.allows(&bob, Operation::Read, &orders));
        assert!(!a.allows(&alice, Operation::Write, &Resource::Subject("payments-value".into())));
        assert!(!a.allows(&Principal::anonymous(), Operation::Read, &orders));
        assert!(a.allows(&user("ops", &[]), Operation::Admin, &Resource::Global));
        let eu = user("eu-admin", &[]);
        assert!(a.allows(&eu, Operation::Config, &Resource::Subject(":.eu:x".into())));
        assert!(a.allows(&eu, Operation::Config, &Resource::Context(".eu".into())));
        assert!(!a.allows(&eu, Operation::Config, &Resource::Subject("x".into())));
        assert!(a.allows_all_subjects(&bob, Operation::Read));
        assert!(!a.allows_all_subjects(&alice, Operation::Write));
    }

    #[test]
    fn no_rules_means_authenticated_may_do_all() {
        let a = Authorizer::default();
        assert!(a.allows(&user("x", &[]), Operation::Admin, &Resource::Global));
        assert!(a.allows(&Principal::anonymous(), Operation::Read, &Resource::Subject("s".into())));
        assert!(!a.allows(&Principal::anonymous(), Operation::Write, &Resource::Subject("s".into())));
    }

    #[test]
    fn bad_rules_name_the_rule() {
        let e = Authorizer::parse(
            "[[rule]]\nprincipals=[\"a\"]\noperations=[\"fly\"]\nresources=[\"*\"]",
            Path::new("r.toml"),
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("rule #1: unknown operation 'fly'"), "{e:#}");
        let e = Authorizer::parse(
            "[[rule]]\nprincipals=[\"a\"]\noperations=[\"read\"]\nresources=[\"topic:x\"]",
            Path::new("r.toml"),
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("unknown resource type 'topic'"), "{e:#}");
    }

    #[test]
    fn scopes() {
        assert_eq!(Resource::scope(":.eu:"), Resource::Context(".eu".into()));
        assert_eq!(Resource::scope(":.:"), Resource::Global);
        assert_eq!(Resource::scope(":.:orders"), Resource::Subject("orders".into()));
        assert_eq!(Resource::scope(":.eu:orders"), Resource::Subject(":.eu:orders".into()));
    }
}
