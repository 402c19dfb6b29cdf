//! Data contracts on the write path, as Confluent's `maybePopulateFromPrevious` /
//! `maybeSetMetadataRuleSet` and `isCompatibleWithPrevious`: metadata and rule sets merged from
//! the config and the previous version, compatibility groups and reserved fields
//! (`validateFields`).

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::rules::{self, RuleSetPolicy};

impl Registry {
    /// The request as it is registered: its metadata and rule set merged with the config's and
    /// the previous version's (see [`Self::contract_request`]). None when nothing changes (or in
    /// IMPORT/FORWARD mode, where Confluent stores what it is given).
    pub(super) fn registration_request(
        st: &State,
        q: &QualifiedSubject,
        req: &RegisterRequest,
        rule_sets: RuleSetPolicy,
    ) -> Option<RegisterRequest> {
        if matches!(st.effective_mode(Some(q)), Mode::Import | Mode::Forward) {
            return None;
        }
        Self::contract_request(st, q, req, rule_sets)
    }

    /// The request with the metadata and rule set a registration stores, as Confluent's
    /// `maybeSetMetadataRuleSet`: config `defaultMetadata` → the request's own metadata (or,
    /// without one, the latest live version's) → config `overrideMetadata`; the same for
    /// `defaultRuleSet` → the request's rule set (or the latest live version's) →
    /// `overrideRuleSet`, rules merged by name. A request rule set `{}` is the request's own
    /// (it clears inherited rules, as in Confluent). With `--rule-sets=reject` rule sets are
    /// neither inherited nor merged. None when both equal the request's own (registration and
    /// the second lookup).
    pub(super) fn contract_request(
        st: &State,
        q: &QualifiedSubject,
        req: &RegisterRequest,
        rule_sets: RuleSetPolicy,
    ) -> Option<RegisterRequest> {
        let latest = st.subject(&q.qualified()).and_then(|s| s.latest_live());
        let config = st.config_in_scope(Some(q));
        let field = |name: &str| config.and_then(|c| c.get(name)).filter(|m| m.is_object()).cloned();
        let own = req.metadata.clone().filter(|m| !m.is_null() && m.as_object().is_none_or(|o| !o.is_empty()));
        let specific = own.clone().or_else(|| latest.and_then(|v| v.schema.metadata.clone()));
        let metadata = merge_metadata(merge_metadata(field("defaultMetadata"), specific), field("overrideMetadata"));
        let own_rules = req.rule_set.clone().filter(|r| !r.is_null());
        let rule_set = match rule_sets {
            RuleSetPolicy::Reject => own_rules.clone(),
            RuleSetPolicy::Accept => {
                let specific = own_rules.clone().or_else(|| latest.and_then(|v| v.schema.rule_set.clone()));
                rules::merge(rules::merge(field("defaultRuleSet"), specific), field("overrideRuleSet"))
            }
        };
        if metadata == own && rule_set == own_rules {
            return None;
        }
        Some(RegisterRequest { metadata: metadata.or_else(|| req.metadata.clone()), rule_set, ..req.clone() })
    }

    /// A registration's own rule set, validated and in the form it is stored in (42210 when
    /// invalid). With `--rule-sets=reject` a rule set holding rules is refused (42210) and an
    /// empty one dropped.
    pub(super) fn checked_rule_set(&self, mut req: RegisterRequest) -> ApiResult<RegisterRequest> {
        let Some(rs) = req.rule_set.as_ref().filter(|r| !r.is_null()) else { return Ok(req) };
        let rs = rules::normalize(rs)?;
        req.rule_set = match self.config.rule_sets {
            RuleSetPolicy::Accept => Some(rs),
            RuleSetPolicy::Reject if rs.as_object().is_some_and(|o| o.is_empty()) => None,
            RuleSetPolicy::Reject => return Err(rules::disabled()),
        };
        Ok(req)
    }

    /// Only versions in the new schema's compatibility group are checked against: those whose
    /// metadata property named by the config's `compatibilityGroup` has the same value (both
    /// absent counts as the same).
    pub(super) fn in_compatibility_group<'a>(
        st: &State,
        q: &QualifiedSubject,
        metadata: Option<&Value>,
        versions: Vec<&'a VersionEntry>,
    ) -> Vec<&'a VersionEntry> {
        let Some(group) = st.config_field(Some(q), "compatibilityGroup").and_then(Value::as_str) else {
            return versions;
        };
        let value = |m: Option<&Value>| m.and_then(|m| m.get("properties")).and_then(|p| p.get(group)).cloned();
        let mine = value(metadata);
        versions.into_iter().filter(|v| value(v.schema.metadata.as_ref()) == mine).collect()
    }
}

impl Registry {
    /// Confluent's `validateFields` (config in scope; off by default): the reserved-field
    /// messages for `new` with its `metadata` against the `previous` version (the latest live
    /// one), placed before the compatibility `problems`, whose closing
    /// `{validateFields: .., compatibility: ..}` entry then says `true` (one is added when only
    /// reserved fields fail).
    pub(super) fn with_field_validation(
        &self,
        st: &State,
        q: &QualifiedSubject,
        new: &ParsedSchema,
        metadata: Option<&Value>,
        previous: Option<&VersionEntry>,
        problems: Vec<String>,
    ) -> Vec<String> {
        if st.config_field(Some(q), "validateFields").and_then(Value::as_bool) != Some(true) {
            return problems;
        }
        let reserved = |m: Option<&Value>| {
            let property = m.and_then(|m| m.get("properties")).and_then(|p| p.get(schema::RESERVED_FIELDS_PROPERTY));
            schema::reserved_fields(property.and_then(Value::as_str))
        };
        let before = previous.map(|v| reserved(v.schema.metadata.as_ref()));
        let mut out = schema::reserved_field_problems(new, &reserved(metadata), before.as_ref());
        let level = self.compatibility_level(st, q).as_str();
        if problems.is_empty() {
            if !out.is_empty() {
                out.push(format!("{{validateFields: 'true', compatibility: '{level}'}}"));
            }
            return out;
        }
        let off = format!("{{validateFields: 'false', compatibility: '{level}'}}");
        out.extend(problems.into_iter().map(|p| {
            if p == off {
                format!("{{validateFields: 'true', compatibility: '{level}'}}")
            } else {
                p
            }
        }));
        out
    }
}

/// Confluent's `Metadata.mergeMetadata`: `tags` and `properties` maps merged key by key (the
/// newer wins), `sensitive` sets united; a side that is absent or empty leaves the other as is.
pub(crate) fn merge_metadata(old: Option<Value>, new: Option<Value>) -> Option<Value> {
    let (old, new) = match (old, new) {
        (None, n) => return n,
        (o, None) => return o,
        (Some(o), Some(n)) => (o, n),
    };
    let empty = |v: Option<&Value>| match v {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(_) => false,
    };
    let mut out = Map::new();
    for field in ["tags", "properties", "sensitive"] {
        let (a, b) = (old.get(field), new.get(field));
        let merged = if empty(a) {
            b.cloned()
        } else if empty(b) {
            a.cloned()
        } else if field == "sensitive" {
            let mut set: BTreeSet<String> = BTreeSet::new();
            for v in [a, b].into_iter().flatten().filter_map(Value::as_array).flatten() {
                if let Some(s) = v.as_str() {
                    set.insert(s.to_string());
                }
            }
            Some(Value::from(set.into_iter().collect::<Vec<_>>()))
        } else {
            let mut map: BTreeMap<String, Value> = BTreeMap::new();
            for m in [a, b].into_iter().flatten().filter_map(Value::as_object) {
                map.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Some(Value::Object(map.into_iter().collect()))
        };
        if let Some(v) = merged.filter(|v| !empty(Some(v))) {
            out.insert(field.to_string(), v);
        }
    }
    Some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::merge_metadata;
    use serde_json::json;

    #[test]
    fn merges_as_confluent() {
        let d = json!({"properties": {"team": "x", "owner": "d"}, "sensitive": ["b"]});
        let r = json!({"properties": {"owner": "o"}, "sensitive": ["a"], "tags": {"R.f": ["PII"]}});
        let o = json!({"properties": {"tier": "gold"}});
        let m = merge_metadata(merge_metadata(Some(d), Some(r)), Some(o)).unwrap();
        assert_eq!(
            m,
            json!({"tags": {"R.f": ["PII"]}, "properties": {"owner": "o", "team": "x", "tier": "gold"}, "sensitive": ["a", "b"]})
        );
        assert_eq!(merge_metadata(None, Some(json!({"a": 1}))), Some(json!({"a": 1})));
        assert_eq!(merge_metadata(Some(json!({"a": 1})), None), Some(json!({"a": 1})));
    }
}
