//! Rule sets (data contracts), as Confluent's `RuleSet` / `Rule` entities define them: reading
//! and validating a rule set from JSON (`RuleSet.validate`, `Rule.validate`), the form it is
//! stored and answered in, merging by rule name (`RuleSet.mergeRuleSets`), and its part of a
//! schema's identity hash (`RuleSet.updateHash`, with `Metadata.updateHash` beside it).
//!
//! Lockstep stores and serves rule sets; clients execute them (CEL, JSONata, encryption).

use md5::{Digest, Md5};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// `--rule-sets`: accept rule sets (Confluent Enterprise behaviour) or refuse them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleSetPolicy {
    #[default]
    Accept,
    Reject,
}

impl RuleSetPolicy {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "accept" => Some(Self::Accept),
            "reject" => Some(Self::Reject),
            _ => None,
        }
    }
}

/// The three rule lists of a rule set, in Confluent's order (validation, hashing, output).
pub const PHASES: [&str; 3] = ["migrationRules", "domainRules", "encodingRules"];
const KINDS: [&str; 2] = ["TRANSFORM", "CONDITION"];
const MODES: [&str; 6] = ["UPGRADE", "DOWNGRADE", "UPDOWN", "WRITE", "READ", "WRITEREAD"];
const ENABLE_AT: [&str; 5] = ["ALL", "CLIENT", "GATEWAY", "SERVER", "NONE"];
/// Longest rule name (Confluent's `Rule.NAME_MAX_LENGTH`, in UTF-16 units as Java counts).
pub const NAME_MAX_LENGTH: usize = 256;

/// 422/42210, Confluent's `RestInvalidRuleSetException`.
pub fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, 42210, message)
}

/// The error for a rule set sent to a registry run with `--rule-sets=reject`.
pub fn disabled() -> ApiError {
    invalid("Rule sets are disabled on this registry (--rule-sets=reject)")
}

/// One rule as Confluent's entity holds it (kind and mode defaulted, tags and params sorted).
#[derive(Debug, Clone, PartialEq)]
struct Rule {
    name: Option<String>,
    doc: Option<String>,
    kind: &'static str,
    mode: &'static str,
    rule_type: Option<String>,
    tags: Vec<String>,
    params: Vec<(String, String)>,
    expr: Option<String>,
    on_success: Option<String>,
    on_failure: Option<String>,
    disabled: bool,
}

fn opt_string(rule: &Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    match rule.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        // Jackson coerces scalars to strings.
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Ok(Some(v.to_string())),
        Some(_) => Err(format!("Invalid rule: '{field}' must be a string")),
    }
}

fn one_of(rule: &Map<String, Value>, field: &str, allowed: &[&'static str]) -> Result<Option<&'static str>, String> {
    match rule.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => allowed
            .iter()
            .find(|a| **a == s)
            .copied()
            .map(Some)
            .ok_or_else(|| format!("Invalid rule {field} '{s}': allowed values are {}", allowed.join(", "))),
        Some(_) => Err(format!("Invalid rule: '{field}' must be one of {}", allowed.join(", "))),
    }
}

impl Rule {
    fn read(v: &Value) -> Result<Rule, String> {
        let m = v.as_object().ok_or("Invalid rule: a rule must be a JSON object")?;
        let mut tags: Vec<String> = match m.get("tags") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|t| t.as_str().map(str::to_string).ok_or("Invalid rule: 'tags' must be strings"))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("Invalid rule: 'tags' must be an array of strings".into()),
        };
        tags.sort();
        tags.dedup();
        let mut params: Vec<(String, String)> = match m.get("params") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(p)) => p
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    Value::Number(_) | Value::Bool(_) => Ok((k.clone(), v.to_string())),
                    _ => Err(format!("Invalid rule: param '{k}' must be a string")),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("Invalid rule: 'params' must be an object of strings".into()),
        };
        params.sort();
        let disabled = match m.get("disabled") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err("Invalid rule: 'disabled' must be true or false".into()),
        };
        Ok(Rule {
            name: opt_string(m, "name")?,
            doc: opt_string(m, "doc")?,
            kind: one_of(m, "kind", &KINDS)?.unwrap_or("TRANSFORM"),
            mode: one_of(m, "mode", &MODES)?.unwrap_or("WRITEREAD"),
            rule_type: opt_string(m, "type")?,
            tags,
            params,
            expr: opt_string(m, "expr")?,
            on_success: opt_string(m, "onSuccess")?,
            on_failure: opt_string(m, "onFailure")?,
            disabled,
        })
    }

    /// Confluent's `Rule.validate`.
    fn validate(&self) -> Result<(), String> {
        let name = self.name.as_deref().ok_or("Missing rule name")?;
        let mut chars = name.chars();
        let first = chars.next().ok_or("Empty rule name")?;
        if name.encode_utf16().count() > NAME_MAX_LENGTH {
            return Err("Rule name too long".into());
        }
        if !(first.is_alphabetic() || first == '_') {
            return Err(format!("Illegal initial character in rule name: {name}"));
        }
        if chars.any(|c| !(c.is_alphanumeric() || c == '_' || c == '-')) {
            return Err(format!("Illegal character in rule name: {name}"));
        }
        if self.rule_type.is_none() {
            return Err("Missing rule type".into());
        }
        for action in [&self.on_success, &self.on_failure].into_iter().flatten() {
            if self.mode != "WRITEREAD" && self.mode != "UPDOWN" && action.contains(',') {
                return Err("Multiple actions only valid with WRITEREAD and UPDOWN".into());
            }
        }
        Ok(())
    }

    /// The rule as Confluent answers it (`NON_EMPTY`: nulls and empty strings, lists and maps
    /// left out; `disabled` always present).
    fn to_json(&self) -> Value {
        fn put(m: &mut Map<String, Value>, k: &str, v: &Option<String>) {
            if let Some(s) = v.as_ref().filter(|s| !s.is_empty()) {
                m.insert(k.into(), Value::from(s.as_str()));
            }
        }
        let mut m = Map::new();
        put(&mut m, "name", &self.name);
        put(&mut m, "doc", &self.doc);
        m.insert("kind".into(), Value::from(self.kind));
        m.insert("mode".into(), Value::from(self.mode));
        put(&mut m, "type", &self.rule_type);
        if !self.tags.is_empty() {
            m.insert("tags".into(), Value::from(self.tags.clone()));
        }
        if !self.params.is_empty() {
            let p: Map<String, Value> = self.params.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect();
            m.insert("params".into(), Value::Object(p));
        }
        put(&mut m, "expr", &self.expr);
        put(&mut m, "onSuccess", &self.on_success);
        put(&mut m, "onFailure", &self.on_failure);
        m.insert("disabled".into(), Value::Bool(self.disabled));
        Value::Object(m)
    }

    /// Confluent's `Rule.updateHash`.
    fn update_hash(&self, h: &mut Md5) {
        for s in [&self.name, &self.doc].into_iter().flatten() {
            h.update(s.as_bytes());
        }
        h.update(self.kind.as_bytes());
        h.update(self.mode.as_bytes());
        if let Some(t) = &self.rule_type {
            h.update(t.as_bytes());
        }
        for t in &self.tags {
            h.update(t.as_bytes());
        }
        for (k, v) in &self.params {
            h.update(k.as_bytes());
            h.update(v.as_bytes());
        }
        for s in [&self.expr, &self.on_success, &self.on_failure].into_iter().flatten() {
            h.update(s.as_bytes());
        }
        if self.disabled {
            h.update([1u8]);
        }
    }
}

/// A rule set read from JSON.
#[derive(Debug, Clone, PartialEq, Default)]
struct RuleSet {
    lists: [Vec<Rule>; 3],
    enable_at: Option<&'static str>,
}

impl RuleSet {
    fn read(v: &Value) -> Result<RuleSet, String> {
        let m = v.as_object().ok_or("Invalid rule set: a rule set must be a JSON object")?;
        let mut out = RuleSet::default();
        for (i, phase) in PHASES.iter().enumerate() {
            out.lists[i] = match m.get(*phase) {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(a)) => a.iter().map(Rule::read).collect::<Result<_, _>>()?,
                Some(_) => return Err(format!("Invalid rule set: '{phase}' must be an array of rules")),
            };
        }
        out.enable_at = one_of(m, "enableAt", &ENABLE_AT)?;
        Ok(out)
    }

    /// Confluent's `RuleSet.validate`: names unique across the three lists, each rule valid,
    /// migration rules only UPGRADE/DOWNGRADE/UPDOWN, the others only WRITE/READ/WRITEREAD.
    fn validate(&self) -> Result<(), String> {
        let mut names: Vec<Option<&str>> = Vec::new();
        for (i, rules) in self.lists.iter().enumerate() {
            for rule in rules {
                let name = rule.name.as_deref();
                if names.contains(&name) {
                    return Err(format!("Found rule with duplicate name '{}'", name.unwrap_or("null")));
                }
                names.push(name);
                rule.validate()?;
                let migration = matches!(rule.mode, "UPGRADE" | "DOWNGRADE" | "UPDOWN");
                match i {
                    0 if !migration => return Err("Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN".into()),
                    1 if migration => return Err("Domain rules can only be WRITE, READ, WRITEREAD".into()),
                    2 if migration => return Err("Encoding rules can only be WRITE, READ, WRITEREAD".into()),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        for (i, phase) in PHASES.iter().enumerate() {
            if !self.lists[i].is_empty() {
                m.insert((*phase).into(), Value::from(self.lists[i].iter().map(Rule::to_json).collect::<Vec<_>>()));
            }
        }
        if let Some(e) = self.enable_at {
            m.insert("enableAt".into(), Value::from(e));
        }
        Value::Object(m)
    }
}

/// Validate a rule set from a request (Confluent's `RuleSet.validate`, 42210 with its message)
/// and return it in the form it is stored and answered in: kinds and modes defaulted
/// (`TRANSFORM`, `WRITEREAD`), tags and params sorted, empty fields left out.
pub fn normalize(v: &Value) -> Result<Value, ApiError> {
    let rs = RuleSet::read(v).map_err(invalid)?;
    rs.validate().map_err(invalid)?;
    Ok(rs.to_json())
}

/// Does a request carry a rule set (JSON `null` is none)?
pub fn present(v: Option<&Value>) -> bool {
    v.is_some_and(|v| !v.is_null())
}

/// Confluent's `RuleSet.mergeRuleSets`: per list, the old rules without a rule of the same name
/// in the new list, then the new rules; an empty list leaves the other as is. `enableAt` from
/// the new side when it has one. Sides that do not read as a rule set are kept as they are.
pub fn merge(old: Option<Value>, new: Option<Value>) -> Option<Value> {
    let (old, new) = match (old, new) {
        (None, n) => return n,
        (o, None) => return o,
        (Some(o), Some(n)) => (o, n),
    };
    let (Ok(a), Ok(b)) = (RuleSet::read(&old), RuleSet::read(&new)) else { return Some(new) };
    let mut out = RuleSet { enable_at: b.enable_at.or(a.enable_at), ..RuleSet::default() };
    for i in 0..PHASES.len() {
        let (olds, news) = (&a.lists[i], &b.lists[i]);
        out.lists[i] = if olds.is_empty() {
            news.clone()
        } else if news.is_empty() {
            olds.clone()
        } else {
            let mut kept: Vec<Rule> = olds.iter().filter(|o| !news.iter().any(|n| n.name == o.name)).cloned().collect();
            kept.extend(news.iter().cloned());
            kept
        };
    }
    Some(out.to_json())
}

/// Confluent's `RuleSet.updateHash` (a rule set that does not read as one hashes as its JSON
/// text, so it still has an identity).
pub fn update_hash(h: &mut Md5, rule_set: &Value) {
    match RuleSet::read(rule_set) {
        Ok(rs) => {
            for rule in rs.lists.iter().flatten() {
                rule.update_hash(h);
            }
            if let Some(e) = rs.enable_at {
                h.update(e.as_bytes());
            }
        }
        Err(_) => h.update(rule_set.to_string().as_bytes()),
    }
}

/// Confluent's `Metadata.updateHash`: tags (sorted by path, each path's tags sorted), properties
/// (sorted by key), sensitive names (sorted).
pub fn update_metadata_hash(h: &mut Md5, metadata: &Value) {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let sorted_set = |v: Option<&Value>| {
        let mut out: Vec<String> =
            v.and_then(Value::as_array).map(|a| a.iter().map(text).collect()).unwrap_or_default();
        out.sort();
        out.dedup();
        out
    };
    fn sorted_map(v: Option<&Value>) -> Vec<(&String, &Value)> {
        let mut out: Vec<(&String, &Value)> =
            v.and_then(Value::as_object).map(|m| m.iter().collect()).unwrap_or_default();
        out.sort_by(|a, b| a.0.cmp(b.0));
        out
    }
    for (path, tags) in sorted_map(metadata.get("tags")) {
        h.update(path.as_bytes());
        for t in sorted_set(Some(tags)) {
            h.update(t.as_bytes());
        }
    }
    for (k, v) in sorted_map(metadata.get("properties")) {
        h.update(k.as_bytes());
        h.update(text(v).as_bytes());
    }
    for s in sorted_set(metadata.get("sensitive")) {
        h.update(s.as_bytes());
    }
}

/// Does the rule set hold a rule of this `type` in any list (Confluent's `hasRulesWithType`,
/// for `GET /schemas?ruleType=`)?
pub fn has_rules_with_type(rule_set: &Value, rule_type: &str) -> bool {
    PHASES
        .iter()
        .filter_map(|p| rule_set.get(*p).and_then(Value::as_array))
        .flatten()
        .any(|r| r.get("type").and_then(Value::as_str) == Some(rule_type))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Value) -> String {
        normalize(&v).err().map(|e| e.message).unwrap_or_default()
    }

    #[test]
    fn normalizes_as_confluent_answers() {
        let rs = json!({"domainRules": [{"name": "r", "type": "CEL", "tags": ["b", "a", "a"], "params": {"z": "1", "a": "2"}, "doc": ""}], "encodingRules": []});
        assert_eq!(
            normalize(&rs).unwrap(),
            json!({"domainRules": [{"name": "r", "kind": "TRANSFORM", "mode": "WRITEREAD", "type": "CEL", "tags": ["a", "b"], "params": {"a": "2", "z": "1"}, "disabled": false}]})
        );
        assert_eq!(normalize(&json!({})).unwrap(), json!({}));
    }

    #[test]
    fn validates_as_confluent() {
        let r = |name: Value, mode: &str| json!({"name": name, "type": "CEL", "mode": mode});
        assert_eq!(err(json!({"domainRules": [{"type": "CEL"}]})), "Missing rule name");
        assert_eq!(err(json!({"domainRules": [r(json!(""), "WRITE")]})), "Empty rule name");
        assert_eq!(err(json!({"domainRules": [r(json!("a".repeat(257)), "WRITE")]})), "Rule name too long");
        assert!(normalize(&json!({"domainRules": [r(json!("a".repeat(256)), "WRITE")]})).is_ok());
        assert_eq!(
            err(json!({"domainRules": [r(json!("1a"), "WRITE")]})),
            "Illegal initial character in rule name: 1a"
        );
        assert_eq!(err(json!({"domainRules": [r(json!("a.b"), "WRITE")]})), "Illegal character in rule name: a.b");
        assert!(normalize(&json!({"domainRules": [r(json!("_a-b_9"), "WRITE")]})).is_ok());
        assert_eq!(err(json!({"domainRules": [{"name": "a"}]})), "Missing rule type");
        assert_eq!(
            err(json!({"domainRules": [r(json!("a"), "WRITE")], "encodingRules": [r(json!("a"), "READ")]})),
            "Found rule with duplicate name 'a'"
        );
        assert_eq!(
            err(json!({"migrationRules": [r(json!("a"), "WRITE")]})),
            "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN"
        );
        assert_eq!(
            err(json!({"domainRules": [r(json!("a"), "UPGRADE")]})),
            "Domain rules can only be WRITE, READ, WRITEREAD"
        );
        assert_eq!(
            err(json!({"encodingRules": [r(json!("a"), "UPDOWN")]})),
            "Encoding rules can only be WRITE, READ, WRITEREAD"
        );
        assert_eq!(
            err(json!({"domainRules": [{"name": "a", "type": "CEL", "mode": "WRITE", "onFailure": "ERROR,NONE"}]})),
            "Multiple actions only valid with WRITEREAD and UPDOWN"
        );
        assert!(normalize(&json!({"domainRules": [{"name": "a", "type": "CEL", "onFailure": "ERROR,NONE"}]})).is_ok());
        assert!(err(json!({"domainRules": [{"name": "a", "type": "CEL", "kind": "check"}]})).contains("CONDITION"));
        assert!(err(json!({"domainRules": [{"name": "a", "type": "CEL", "mode": "write"}]})).contains("WRITEREAD"));
        assert!(err(json!({"domainRules": "x"})).contains("domainRules"));
        assert!(err(json!([1])).contains("JSON object"));
        assert!(err(json!({"enableAt": "NEVER"})).contains("enableAt"));
    }

    #[test]
    fn merges_by_name_newer_wins() {
        let d = json!({"domainRules": [{"name": "a", "type": "CEL", "expr": "d"}, {"name": "b", "type": "CEL"}]});
        let r = json!({"domainRules": [{"name": "a", "type": "CEL", "expr": "r"}], "migrationRules": [{"name": "m", "type": "JSONATA", "mode": "UPGRADE"}]});
        let o = json!({"domainRules": [{"name": "c", "type": "CEL"}], "enableAt": "CLIENT"});
        let m = merge(merge(Some(d), Some(r)), Some(o)).unwrap();
        let names = |p: &str| -> Vec<String> {
            m[p].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect()
        };
        assert_eq!(names("domainRules"), ["b", "a", "c"]);
        assert_eq!(m["domainRules"][1]["expr"], "r");
        assert_eq!(names("migrationRules"), ["m"]);
        assert_eq!(m["enableAt"], "CLIENT");
        assert_eq!(merge(None, Some(json!({}))), Some(json!({})));
    }

    #[test]
    fn hash_ignores_order_of_tags_and_params_and_defaults() {
        let hash = |v: Value| {
            let mut h = Md5::new();
            update_hash(&mut h, &v);
            <[u8; 16]>::from(h.finalize())
        };
        let a =
            json!({"domainRules": [{"name": "r", "type": "CEL", "tags": ["b", "a"], "params": {"y": "1", "x": "2"}}]});
        let b = json!({"domainRules": [{"name": "r", "type": "CEL", "kind": "TRANSFORM", "mode": "WRITEREAD", "tags": ["a", "b"], "params": {"x": "2", "y": "1"}, "disabled": false}]});
        assert_eq!(hash(a.clone()), hash(b));
        let c = json!({"domainRules": [{"name": "r", "type": "CEL", "tags": ["b", "a"], "params": {"y": "1", "x": "2"}, "disabled": true}]});
        assert_ne!(hash(a), hash(c));
    }
}
