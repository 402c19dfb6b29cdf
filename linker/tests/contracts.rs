//! Data contracts cross links: a linked version keeps its metadata and rule set (and so its
//! guid), and the config's default/override rule sets are mirrored.

mod common;

use std::time::Duration;

use common::*;
use linker::client::Registration;
use linker::engine::{Link, LinkConfig};
use linker::mapping::ContextType;
use linker::state::{RunState, StateFile};
use serde_json::json;

#[tokio::test]
async fn linked_versions_keep_metadata_rule_sets_and_guids() {
    let (a, b) = (start().await, start().await);
    let src = a.client();
    let rule_set = json!({
        "domainRules": [{"name": "checkA", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
                         "expr": "message.a > 0", "disabled": false}],
        "migrationRules": [{"name": "up", "kind": "TRANSFORM", "mode": "UPGRADE", "type": "JSONATA",
                            "expr": "$", "disabled": false}]
    });
    let metadata = json!({"properties": {"application.major.version": "1"}});
    let reg = Registration {
        schema: avro_record("R", &[("a", "int")]),
        metadata: Some(metadata.clone()),
        rule_set: Some(rule_set.clone()),
        ..Default::default()
    };
    let id = src.register("orders-value", &reg).await.unwrap();
    let mut cfg = serde_json::Map::new();
    cfg.insert("defaultRuleSet".into(), json!({"domainRules": [{"name": "d", "type": "CEL", "expr": "true"}]}));
    src.put_config(Some("orders-value"), &cfg).await.unwrap();

    let mut c = LinkConfig::new(a.client(), b.client());
    c.context_type = ContextType::None;
    c.subjects = vec!["*".into()];
    c.poll_interval = Duration::from_millis(100);
    let link = Link::open(c, StateFile::new(None)).await.unwrap();
    link.run_once().await.unwrap();

    let dst = b.client();
    let s = src.version("orders-value", "1").await.unwrap();
    let d = dst.version("orders-value", "1").await.unwrap();
    assert_eq!((d.id, d.metadata.clone(), d.rule_set.clone()), (id, Some(metadata), Some(rule_set)));
    let (sg, dg) = (src.schema_entity(id).await.unwrap(), dst.schema_entity(id).await.unwrap());
    assert_eq!(sg["guid"], dg["guid"]);
    assert_eq!((s.metadata, s.rule_set), (d.metadata, d.rule_set));
    let dcfg = dst.get_config(Some("orders-value"), false).await.unwrap().unwrap();
    assert_eq!(dcfg["defaultRuleSet"]["domainRules"][0]["name"], "d");
    // A second pass finds nothing to change (the rule set compares equal).
    let again = link.run_once().await.unwrap();
    assert_eq!(again.failed, 0);
    assert_eq!(link.status().state, RunState::Running, "{:?}", link.status());
}
