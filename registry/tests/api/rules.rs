//! Data contracts: rule sets (`ruleSet`, config `defaultRuleSet` / `overrideRuleSet`) stored
//! with each version, part of its identity and guid, merged and inherited as Confluent
//! Enterprise does, validated with Confluent's messages (422/42210), and `--rule-sets=reject`.

use md5::{Digest, Md5};
use serde_json::{json, Value};

use crate::common::*;

fn cel_condition(name: &str, expr: &str) -> Value {
    json!({"name": name, "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": expr})
}

/// A rule set as a client sends it (defaults left out, tags and params unordered).
fn client_rule_set() -> Value {
    json!({
        "domainRules": [{"name": "checkA", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
                         "expr": "message.a > 0", "tags": ["PII", "GDPR"], "params": {"z": "1", "a": "2"},
                         "onFailure": "ERROR"}],
        "migrationRules": [{"name": "up", "type": "JSONATA", "mode": "UPGRADE", "expr": "$"}]
    })
}

/// The same rule set as Confluent stores and answers it.
fn stored_rule_set() -> Value {
    json!({
        "migrationRules": [{"name": "up", "kind": "TRANSFORM", "mode": "UPGRADE", "type": "JSONATA", "expr": "$",
                            "disabled": false}],
        "domainRules": [{"name": "checkA", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
                         "tags": ["GDPR", "PII"], "params": {"a": "2", "z": "1"}, "expr": "message.a > 0",
                         "onFailure": "ERROR", "disabled": false}]
    })
}

fn names(rules: &Value) -> Vec<String> {
    rules.as_array().unwrap_or(&vec![]).iter().map(|r| r["name"].as_str().unwrap_or("").to_string()).collect()
}

#[tokio::test]
async fn a_rule_set_is_stored_and_returned_everywhere() {
    let api = start().await;
    let md = json!({"properties": {"owner": "o"}});
    let r = api.register_req("s", json!({"schema": v1(), "metadata": md, "ruleSet": client_rule_set()})).await;
    let reg = r.ok().clone();
    assert_eq!(reg["ruleSet"], stored_rule_set(), "{reg}");
    let (id, guid) = (reg["id"].as_u64().unwrap(), reg["guid"].as_str().unwrap().to_string());
    // Field order as Confluent's Schema entity: ... metadata, ruleSet, schema.
    let text = api.get("/subjects/s/versions/1").await.text;
    let (m, rs, sc) = (text.find("\"metadata\""), text.find("\"ruleSet\""), text.find("\"schema\""));
    assert!(m < rs && rs < sc, "{text}");
    for path in [
        "/subjects/s/versions/1".to_string(),
        "/subjects/s/versions/latest".to_string(),
        format!("/schemas/ids/{id}"),
        format!("/schemas/ids/{id}?subject=s"),
        format!("/schemas/guids/{guid}"),
        "/subjects/s/metadata?key=owner&value=o".to_string(),
    ] {
        assert_eq!(api.ok(&path).await["ruleSet"], stored_rule_set(), "{path}");
    }
    let listed = api.ok("/schemas").await;
    assert_eq!(listed[0]["ruleSet"], stored_rule_set());
    // Lookup with the rule set finds the version and answers it.
    let found = api.post("/subjects/s", json!({"schema": v1(), "metadata": md, "ruleSet": client_rule_set()})).await;
    assert_eq!((found.ok()["version"].clone(), found.ok()["ruleSet"].clone()), (json!(1), stored_rule_set()));
    // It survives a restart (replay of the log) with the same guid.
    let dir = api.stop().await.unwrap();
    let api = start_at(dir.path()).await;
    let v = api.ok("/subjects/s/versions/1").await;
    assert_eq!((v["ruleSet"].clone(), v["guid"].clone()), (stored_rule_set(), json!(guid)));
    api.stop().await;
    drop(dir);
}

#[tokio::test]
async fn get_schemas_filters_by_rule_type() {
    let api = start().await;
    api.set_compat("/config", "NONE").await;
    let cel = json!({"domainRules": [cel_condition("c", "true")]});
    api.register_req("a", json!({"schema": other("A"), "ruleSet": cel})).await.ok();
    api.register_req("b", json!({"schema": other("B")})).await.ok();
    api.register_req("b", json!({"schema": other("B2"), "ruleSet": client_rule_set()})).await.ok();
    api.register_req("b", json!({"schema": other("B3"), "ruleSet": {}})).await.ok();
    let subjects_versions = |v: Value| -> Vec<(Value, Value)> {
        v.as_array().unwrap().iter().map(|x| (x["subject"].clone(), x["version"].clone())).collect()
    };
    assert_eq!(
        subjects_versions(api.ok("/schemas?ruleType=CEL").await),
        [(json!("a"), json!(1)), (json!("b"), json!(2))]
    );
    assert_eq!(subjects_versions(api.ok("/schemas?ruleType=JSONATA").await), [(json!("b"), json!(2))]);
    // After latestOnly, as Confluent: b's latest (3) has no rules.
    assert_eq!(subjects_versions(api.ok("/schemas?ruleType=CEL&latestOnly=true").await), [(json!("a"), json!(1))]);
    assert_eq!(api.ok("/schemas").await.as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn the_rule_set_is_part_of_the_identity_and_guid_as_confluent_hashes_it() {
    let api = start().await;
    api.set_compat("/config", "NONE").await;
    let plain = api.register_req("s", json!({"schema": v1()})).await.ok().clone();
    let rules = api.register_req("s", json!({"schema": v1(), "ruleSet": client_rule_set()})).await.ok().clone();
    assert_ne!(plain["id"], rules["id"]);
    assert_eq!(rules["version"], 2);
    // The same rules written differently (defaults spelled out, other order) are the same schema.
    let again = api.register_req("s", json!({"schema": v1(), "ruleSet": stored_rule_set()})).await.ok().clone();
    assert_eq!((again["id"].clone(), again["version"].clone()), (rules["id"].clone(), json!(2)));
    // In another subject the same schema + rules share the id.
    let t = api.register_req("t", json!({"schema": v1(), "ruleSet": client_rule_set()})).await.ok().clone();
    assert_eq!(t["id"], rules["id"]);
    // The guid is Confluent's Schema.updateHash: canonical text, then 0x01 and the rule set's
    // fields in order (RuleSet.updateHash / Rule.updateHash), spelled out here.
    let mut h = Md5::new();
    h.update(canonical(&v1()).as_bytes());
    h.update([1u8]);
    for part in ["up", "TRANSFORM", "UPGRADE", "JSONATA", "$"] {
        h.update(part.as_bytes());
    }
    for part in ["checkA", "CONDITION", "WRITE", "CEL", "GDPR", "PII", "a", "2", "z", "1", "message.a > 0", "ERROR"] {
        h.update(part.as_bytes());
    }
    let expected = uuid_of(h.finalize().into());
    assert_eq!(rules["guid"], expected);
    // Without a rule set: MD5 of the canonical text alone.
    let mut h = Md5::new();
    h.update(canonical(&v1()).as_bytes());
    assert_eq!(plain["guid"], uuid_of(h.finalize().into()));
    // Metadata, as Confluent's Metadata.updateHash (tags, properties, sensitive; each sorted).
    let md = json!({"properties": {"b": "2", "a": "1"}, "tags": {"R.a": ["PII"]}, "sensitive": ["x"]});
    let with_md = api.register_req("m", json!({"schema": v1(), "metadata": md})).await.ok().clone();
    let mut h = Md5::new();
    h.update(canonical(&v1()).as_bytes());
    h.update([1u8]);
    for part in ["R.a", "PII", "a", "1", "b", "2", "x"] {
        h.update(part.as_bytes());
    }
    assert_eq!(with_md["guid"], uuid_of(h.finalize().into()));
}

fn uuid_of(b: [u8; 16]) -> String {
    let x: String = b.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &x[0..8], &x[8..12], &x[12..16], &x[16..20], &x[20..32])
}

#[tokio::test]
async fn config_default_and_override_rule_sets_merge_by_name() {
    let api = start().await;
    let default = json!({"domainRules": [cel_condition("a", "d"), cel_condition("b", "d")]});
    let over = json!({"domainRules": [cel_condition("c", "o")], "encodingRules": [{"name": "e", "type": "ENCRYPT"}]});
    let put = api.put("/config/s", json!({"defaultRuleSet": default, "overrideRuleSet": over})).await;
    // Stored and answered in Confluent's form.
    assert_eq!(put.ok()["overrideRuleSet"]["encodingRules"][0]["mode"], "WRITEREAD");
    let cfg = api.ok("/config/s").await;
    assert_eq!(cfg["defaultRuleSet"]["domainRules"][0]["disabled"], false);
    let own = json!({"domainRules": [cel_condition("a", "mine")]});
    let v = api.register_req("s", json!({"schema": v1(), "ruleSet": own})).await.ok().clone();
    assert_eq!(names(&v["ruleSet"]["domainRules"]), ["b", "a", "c"], "{v}");
    assert_eq!(v["ruleSet"]["domainRules"][1]["expr"], "mine");
    assert_eq!(names(&v["ruleSet"]["encodingRules"]), ["e"]);
    // The override wins over the request's rule of the same name.
    api.put("/config/s", json!({"overrideRuleSet": {"domainRules": [cel_condition("a", "forced")]}})).await.ok();
    let v = api.register_req("s", json!({"schema": v2(), "ruleSet": own})).await.ok().clone();
    assert_eq!(names(&v["ruleSet"]["domainRules"]), ["b", "a"]);
    assert_eq!(v["ruleSet"]["domainRules"][1]["expr"], "forced");
    // A context's config applies to the context's subjects; the root's to default-context subjects.
    api.put("/config/:.eu:", json!({"defaultRuleSet": {"domainRules": [cel_condition("eu", "x")]}})).await.ok();
    api.put("/config", json!({"defaultRuleSet": {"domainRules": [cel_condition("root", "x")]}})).await.ok();
    let v = api.register_req(":.eu:t", json!({"schema": v1()})).await.ok().clone();
    assert_eq!(names(&v["ruleSet"]["domainRules"]), ["eu"]);
    let v = api.register_req("u", json!({"schema": v1()})).await.ok().clone();
    assert_eq!(names(&v["ruleSet"]["domainRules"]), ["root"]);
    // null clears a config rule set.
    api.put("/config", json!({"defaultRuleSet": null})).await.ok();
    assert!(api.ok("/config").await.get("defaultRuleSet").is_none());
}

#[tokio::test]
async fn a_registration_without_a_rule_set_inherits_the_previous_versions() {
    let api = start().await;
    let rules = json!({"domainRules": [cel_condition("r", "message.a > 0")]});
    let first = api.register_req("s", json!({"schema": v1(), "ruleSet": rules})).await.ok().clone();
    // The same schema again without rules: the existing version.
    let again = api.register_req("s", json!({"schema": v1()})).await.ok().clone();
    assert_eq!((again["id"].clone(), again["version"].clone()), (first["id"].clone(), json!(1)));
    // A lookup without rules finds it too (the second lookup with the inherited rule set).
    let found = api.post("/subjects/s", json!({"schema": v1()})).await.ok().clone();
    assert_eq!((found["version"].clone(), found["ruleSet"].clone()), (json!(1), first["ruleSet"].clone()));
    // A new schema without rules keeps them.
    let v2r = api.register_req("s", json!({"schema": v2()})).await.ok().clone();
    assert_eq!((v2r["version"].clone(), v2r["ruleSet"].clone()), (json!(2), first["ruleSet"].clone()));
    // An empty rule set is the request's own: it clears the inherited rules (as in Confluent).
    let cleared = api.register_req("s", json!({"schema": v2(), "ruleSet": {}})).await.ok().clone();
    assert_eq!((cleared["version"].clone(), cleared["ruleSet"].clone()), (json!(3), json!({})));
    assert_ne!(cleared["id"], v2r["id"]);
    // Only the rule set changes: an empty schema reuses the latest version's.
    let more = json!({"migrationRules": [{"name": "m", "type": "JSONATA", "mode": "UPDOWN", "expr": "$"}]});
    let v = api.register_req("s", json!({"schema": "", "ruleSet": more})).await.ok().clone();
    assert_eq!((v["version"].clone(), v["schema"].clone()), (json!(4), json!(canonical(&v2()))));
    assert_eq!(names(&v["ruleSet"]["migrationRules"]), ["m"]);
}

#[tokio::test]
async fn import_mode_stores_the_rule_set_as_given() {
    let api = start().await;
    api.put("/config", json!({"overrideRuleSet": {"domainRules": [cel_condition("forced", "x")]}})).await.ok();
    api.set_mode("/mode/:.imp:", "IMPORT").await;
    let rules = json!({"domainRules": [cel_condition("r", "y")]});
    let body = json!({"schema": v1(), "id": 7, "version": 1, "ruleSet": rules});
    let v = api.register_req(":.imp:s", body).await.ok().clone();
    assert_eq!(names(&v["ruleSet"]["domainRules"]), ["r"]);
    assert_eq!(api.ok("/schemas/ids/7?subject=:.imp:").await["ruleSet"]["domainRules"][0]["name"], "r");
}

#[tokio::test]
async fn invalid_rule_sets_get_42210_with_confluents_messages() {
    let api = start().await;
    let bad = |rs: Value| json!({"schema": v1(), "ruleSet": rs});
    let cases: Vec<(Value, &str)> = vec![
        (json!({"domainRules": [{"type": "CEL"}]}), "Missing rule name"),
        (json!({"domainRules": [{"name": "", "type": "CEL"}]}), "Empty rule name"),
        (json!({"domainRules": [{"name": "9x", "type": "CEL"}]}), "Illegal initial character in rule name: 9x"),
        (json!({"domainRules": [{"name": "a b", "type": "CEL"}]}), "Illegal character in rule name: a b"),
        (json!({"domainRules": [{"name": "x".repeat(257), "type": "CEL"}]}), "Rule name too long"),
        (json!({"domainRules": [{"name": "a"}]}), "Missing rule type"),
        (
            json!({"domainRules": [cel_condition("a", "x")], "encodingRules": [{"name": "a", "type": "ENCRYPT"}]}),
            "Found rule with duplicate name 'a'",
        ),
        (
            json!({"migrationRules": [cel_condition("a", "x")]}),
            "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN",
        ),
        (
            json!({"domainRules": [{"name": "a", "type": "JSONATA", "mode": "UPGRADE"}]}),
            "Domain rules can only be WRITE, READ, WRITEREAD",
        ),
        (
            json!({"encodingRules": [{"name": "a", "type": "ENCRYPT", "mode": "DOWNGRADE"}]}),
            "Encoding rules can only be WRITE, READ, WRITEREAD",
        ),
        (
            json!({"domainRules": [{"name": "a", "type": "CEL", "mode": "READ", "onFailure": "ERROR,NONE"}]}),
            "Multiple actions only valid with WRITEREAD and UPDOWN",
        ),
    ];
    for (rs, message) in &cases {
        api.register_req("s", bad(rs.clone())).await.err(422, 42210).msg(message);
        api.put("/config/s", json!({"defaultRuleSet": rs})).await.err(422, 42210).msg(message);
        api.put("/config", json!({"overrideRuleSet": rs})).await.err(422, 42210).msg(message);
    }
    // Values outside Confluent's enums.
    let kind = json!({"domainRules": [{"name": "a", "type": "CEL", "kind": "CHECK"}]});
    api.register_req("s", bad(kind)).await.err(422, 42210).msg_contains("TRANSFORM, CONDITION");
    let mode = json!({"domainRules": [{"name": "a", "type": "CEL", "mode": "ALWAYS"}]});
    api.register_req("s", bad(mode)).await.err(422, 42210).msg_contains("WRITEREAD");
    api.register_req("s", bad(json!([]))).await.err(422, 42210);
    api.register_req("s", bad(json!({"domainRules": {"name": "a"}}))).await.err(422, 42210);
    // Nothing was stored.
    api.get("/subjects/s/versions").await.err(404, 40401);
    assert!(api.ok("/config").await.get("overrideRuleSet").is_none());
}

#[tokio::test]
async fn rule_sets_can_be_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = registry::RegistryConfig { rule_sets: registry::rules::RuleSetPolicy::Reject, ..Default::default() };
    let reg = registry::open_file_registry(dir.path(), config).unwrap();
    let (listener, addr) = registry::bind("127.0.0.1:0").await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(registry::serve(listener, reg, async move {
        let _ = rx.await;
    }));
    let http = reqwest::Client::new();
    let send = |method: reqwest::Method, path: &str, body: Value| {
        http.request(method, format!("http://{addr}{path}")).header("Content-Type", CT).body(body.to_string()).send()
    };
    let rules = json!({"domainRules": [cel_condition("r", "true")]});
    let refused = "Rule sets are disabled on this registry (--rule-sets=reject)";
    for (method, path, body) in [
        (reqwest::Method::POST, "/subjects/s/versions", json!({"schema": v1(), "ruleSet": rules})),
        (reqwest::Method::PUT, "/config", json!({"defaultRuleSet": rules})),
        (reqwest::Method::PUT, "/config/s", json!({"overrideRuleSet": rules})),
    ] {
        let r = send(method, path, body).await.unwrap();
        assert_eq!(r.status(), 422);
        let v: Value = r.json().await.unwrap();
        assert_eq!((v["error_code"].clone(), v["message"].clone()), (json!(42210), json!(refused)), "{path}");
    }
    // Invalid ones still get Confluent's message; empty ones are dropped; the rest works.
    let r =
        send(reqwest::Method::POST, "/subjects/s/versions", json!({"schema": v1(), "ruleSet": {"domainRules": [{}]}}));
    let v: Value = r.await.unwrap().json().await.unwrap();
    assert_eq!(v["message"], "Missing rule name");
    let r = send(reqwest::Method::POST, "/subjects/s/versions", json!({"schema": v1(), "ruleSet": {}})).await.unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["version"], 1, "{v}");
    assert!(v.get("ruleSet").is_none(), "{v}");
    let _ = tx.send(());
    let _ = server.await;
}
