//! `/schemas`, `/schemas/ids/{id}[/schema|/subjects|/versions]`, `/schemas/guids/{guid}[/ids]`.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn schema_by_id_returns_canonical_schema_type_and_guid() {
    let api = start().await;
    let pretty = serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&v1()).unwrap()).unwrap();
    assert_eq!(api.register("a", &pretty).await, (1, 1));
    let v = api.ok("/schemas/ids/1").await;
    assert_eq!(v["schema"], canonical(&v1()));
    assert_eq!(v["schemaType"], "AVRO");
    assert!(v["guid"].as_str().is_some_and(|g| g.len() == 36), "{v}");
    // Without `subject=` there is no subject/version, and no references for a plain schema.
    assert!(v.get("subject").is_none() && v.get("version").is_none() && v.get("references").is_none(), "{v}");
    assert!(v.get("maxId").is_none(), "{v}");
}

#[tokio::test]
async fn unknown_ids_are_40403() {
    let api = start().await;
    api.get("/schemas/ids/1").await.err(404, 40403).msg("Schema 1 not found");
    api.register("a", &v1()).await;
    api.get("/schemas/ids/99").await.err(404, 40403).msg("Schema 99 not found");
    api.get("/schemas/ids/0").await.err(404, 40403);
    api.get("/schemas/ids/abc").await.err(404, 40403);
    api.get("/schemas/ids/99/schema").await.err(404, 40403);
    api.get("/schemas/ids/99/subjects").await.err(404, 40403);
    api.get("/schemas/ids/99/versions").await.err(404, 40403);
}

#[tokio::test]
async fn raw_schema_by_id_is_the_stored_text_itself() {
    let api = start().await;
    api.register("a", &v2()).await;
    let r = api.get("/schemas/ids/1/schema").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text, canonical(&v2()));
    api.register("p", "\"string\"").await;
    let r = api.get("/schemas/ids/2/schema").await;
    assert_eq!((r.status, r.text.as_str()), (200, "\"string\""));
}

#[tokio::test]
async fn subject_parameter_adds_subject_and_version() {
    let api = start().await;
    api.register("a", &v1()).await;
    api.register("a", &v2()).await;
    api.register("b", &v2()).await;
    let v = api.ok("/schemas/ids/2?subject=b").await;
    assert_eq!((v["subject"].clone(), v["version"].clone()), (json!("b"), json!(1)));
    let v = api.ok("/schemas/ids/2?subject=a").await;
    assert_eq!((v["subject"].clone(), v["version"].clone()), (json!("a"), json!(2)));
    assert_eq!(v["schema"], canonical(&v2()));
}

#[tokio::test]
async fn subjects_and_versions_of_an_id() {
    let api = start().await;
    api.register("a", &v1()).await;
    api.register("b", &v1()).await;
    api.register("c", &v1()).await;
    api.register("c", &v2()).await;
    assert_eq!(api.ok("/schemas/ids/1/subjects").await, json!(["a", "b", "c"]));
    assert_eq!(
        api.ok("/schemas/ids/1/versions").await,
        json!([{"subject": "a", "version": 1}, {"subject": "b", "version": 1}, {"subject": "c", "version": 1}])
    );
    assert_eq!(api.ok("/schemas/ids/2/subjects").await, json!(["c"]));
    assert_eq!(api.ok("/schemas/ids/2/versions").await, json!([{"subject": "c", "version": 2}]));
    // Soft-deleted uses appear only with deleted=true; the id itself stays readable.
    api.delete("/subjects/b/versions/1").await.ok();
    assert_eq!(api.ok("/schemas/ids/1/subjects").await, json!(["a", "c"]));
    assert_eq!(api.ok("/schemas/ids/1/subjects?deleted=true").await, json!(["a", "b", "c"]));
    assert_eq!(
        api.ok("/schemas/ids/1/versions").await,
        json!([{"subject": "a", "version": 1}, {"subject": "c", "version": 1}])
    );
    assert_eq!(api.ok("/schemas/ids/1/versions?deleted=true").await.as_array().unwrap().len(), 3);
    // Paging.
    assert_eq!(api.ok("/schemas/ids/1/subjects?deleted=true&offset=1&limit=1").await, json!(["b"]));
    // `subject=` filters.
    assert_eq!(api.ok("/schemas/ids/1/subjects?subject=c").await, json!(["c"]));
}

#[tokio::test]
async fn ids_are_scoped_to_a_context_by_the_subject_parameter() {
    let api = start().await;
    api.register("a", &v1()).await;
    assert_eq!(api.register(":.eu:a", &v2()).await, (1, 1));
    assert_eq!(api.register(":.eu:b", &other("B")).await, (2, 1));
    assert_eq!(api.ok("/schemas/ids/1").await["schema"], canonical(&v1()));
    let v = api.ok("/schemas/ids/1?subject=:.eu:a").await;
    assert_eq!(v["schema"], canonical(&v2()));
    assert_eq!((v["subject"].clone(), v["version"].clone()), (json!(":.eu:a"), json!(1)));
    // A bare context also scopes, without naming a subject.
    assert_eq!(api.ok("/schemas/ids/1?subject=:.eu:").await["schema"], canonical(&v2()));
    assert_eq!(api.get("/schemas/ids/1/schema?subject=:.eu:").await.text, canonical(&v2()));
    // Id 2 exists only in .eu.
    api.get("/schemas/ids/2").await.err(404, 40403);
    assert_eq!(api.ok("/schemas/ids/2?subject=:.eu:").await["schema"], canonical(&other("B")));
    assert_eq!(api.ok("/schemas/ids/2/subjects?subject=:.eu:").await, json!([":.eu:b"]));
    assert_eq!(api.ok("/schemas/ids/1/versions?subject=:.eu:").await, json!([{"subject": ":.eu:a", "version": 1}]));
}

#[tokio::test]
async fn fetch_max_id_reports_the_contexts_highest_id() {
    let api = start().await;
    api.register("a", &v1()).await;
    api.register("a", &v2()).await;
    api.register(":.eu:x", &other("X")).await;
    let v = api.ok("/schemas/ids/1?fetchMaxId=true").await;
    assert_eq!(v["maxId"], 2);
    assert_eq!(v["schema"], canonical(&v1()));
    assert_eq!(api.ok("/schemas/ids/1?fetchMaxId=true&subject=:.eu:").await["maxId"], 1);
}

#[tokio::test]
async fn guids_are_stable_across_contexts() {
    let api = start().await;
    api.register("filler", &other("Filler")).await;
    let (id_default, _) = api.register("a", &v1()).await;
    let (id_eu, _) = api.register(":.eu:a", &v1()).await;
    assert_eq!((id_default, id_eu), (2, 1));
    let g1 = api.ok("/schemas/ids/2").await["guid"].clone();
    let g2 = api.ok("/schemas/ids/1?subject=:.eu:").await["guid"].clone();
    assert_eq!(g1, g2);
    let g = g1.as_str().unwrap();
    let v = api.ok(&format!("/schemas/guids/{g}")).await;
    assert_eq!(v["schema"], canonical(&v1()));
    assert_eq!(v["schemaType"], "AVRO");
    assert_eq!(v["guid"], g);
    assert!(v.get("subject").is_none() && v.get("id").is_none(), "{v}");
    assert_eq!(
        api.ok(&format!("/schemas/guids/{g}/ids")).await,
        json!([{"context": ".", "id": 2}, {"context": ".eu", "id": 1}])
    );
    // Different schemas, different guids.
    assert_ne!(api.ok("/schemas/ids/1").await["guid"], g1);
    let missing = "00000000-0000-0000-0000-000000000000";
    api.get(&format!("/schemas/guids/{missing}")).await.err(404, 40403).msg(&format!("Schema {missing} not found"));
    api.get(&format!("/schemas/guids/{missing}/ids")).await.err(404, 40403);
}

#[tokio::test]
async fn list_schemas_defaults_to_the_default_context() {
    let api = start().await;
    api.register("b", &v1()).await;
    api.register("a", &v1()).await;
    api.register("a", &v2()).await;
    api.register(":.eu:c", &other("C")).await;
    let v = api.ok("/schemas").await;
    assert_eq!(pluck(&v, "subject"), vec![json!("a"), json!("a"), json!("b")]);
    assert_eq!(pluck(&v, "version"), vec![json!(1), json!(2), json!(1)]);
    assert_eq!(pluck(&v, "id"), vec![json!(1), json!(2), json!(1)]);
    assert_eq!(v[1]["schema"], canonical(&v2()));
    assert_eq!(v[1]["schemaType"], "AVRO");
    // `:*:` = every context; `:.eu:` = that context; a name prefix in the default context.
    let all = api.ok("/schemas?subjectPrefix=:*:").await;
    assert_eq!(pluck(&all, "subject"), vec![json!("a"), json!("a"), json!("b"), json!(":.eu:c")]);
    assert_eq!(pluck(&api.ok("/schemas?subjectPrefix=:.eu:").await, "subject"), vec![json!(":.eu:c")]);
    assert_eq!(pluck(&api.ok("/schemas?subjectPrefix=b").await, "subject"), vec![json!("b")]);
    assert_eq!(api.ok("/schemas?subjectPrefix=zzz").await, json!([]));
}

#[tokio::test]
async fn list_schemas_deleted_latest_only_and_paging() {
    let api = start().await;
    api.register("a", &v1()).await;
    api.register("a", &v2()).await;
    api.register("b", &other("B1")).await;
    api.set_compat("/config/b", "NONE").await;
    api.register("b", &other("B2")).await;
    api.delete("/subjects/b/versions/2").await.ok();

    let v = api.ok("/schemas").await;
    assert_eq!(pluck(&v, "subject"), vec![json!("a"), json!("a"), json!("b")]);
    let v = api.ok("/schemas?deleted=true").await;
    assert_eq!(pluck(&v, "version"), vec![json!(1), json!(2), json!(1), json!(2)]);
    assert_eq!(v[3]["deleted"], true);
    let v = api.ok("/schemas?latestOnly=true").await;
    assert_eq!(
        v.as_array().unwrap().iter().map(|x| (x["subject"].clone(), x["version"].clone())).collect::<Vec<_>>(),
        vec![(json!("a"), json!(2)), (json!("b"), json!(1))]
    );
    let v = api.ok("/schemas?offset=1&limit=1").await;
    assert_eq!(
        (v[0]["subject"].clone(), v[0]["version"].clone(), v.as_array().unwrap().len()),
        (json!("a"), json!(2), 1)
    );
    assert_eq!(api.ok("/schemas?offset=10").await, json!([]));
    // limit <= 0 means the default.
    assert_eq!(api.ok("/schemas?limit=0").await.as_array().unwrap().len(), 3);
}
