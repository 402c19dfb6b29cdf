//! The schema gate on real clusters: every reference form, and the invalid-record policies.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::*;
use crate::support::{get_json, register_schema};

async fn register(url: &str, subject: &str, schema: &str) -> Value {
    let http = reqwest::Client::new();
    let r = register_schema(&http, url, subject, schema).await;
    assert!(r["id"].is_u64(), "{r}");
    get_json(&http, &format!("{url}/subjects/{subject}/versions/latest")).await
}

fn guid_bytes(guid: &str) -> Vec<u8> {
    let hex: String = guid.chars().filter(|c| *c != '-').collect();
    (0..16).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()).collect()
}

fn alive(r: &mut Replicator) -> bool {
    r.child.try_wait().unwrap().is_none()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn records_that_only_look_framed_pass_and_nothing_stops() {
    let s = Setup::new();
    let (rs, rd) = (s.registry("src-registry"), s.registry("dst-registry"));
    let topic = unique("lookalike");
    create_topic(&src(), &topic, 1, &[]).await;
    let b = register(&rs.url, &format!("{topic}-value"), "\"boolean\"").await;
    let id = b["id"].as_u64().unwrap() as u32;
    let mut header = vec![0u8];
    header.extend_from_slice(&id.to_be_bytes());
    let recs = vec![
        // A Kafka LongSerializer value below 2^32: 0x00 and then "id" 0.
        (b"long".to_vec(), 7u64.to_be_bytes().to_vec(), vec![]),
        // Header-framed Avro `false`: the payload is a single 0x00.
        (b"header".to_vec(), vec![0u8], vec![("__value_schema_id", header.clone())]),
        (b"text".to_vec(), b"plain".to_vec(), vec![]),
    ];
    produce_raw(&src(), &topic, 0, &recs).await;
    let conf = Conf::new("lookalike").registries(&rs, &rd).topics(&topic).write(&s, "lookalike");
    let mut r = Replicator::start(&conf);
    let got = read_all(&dst(), &topic, 3, Duration::from_secs(60));
    assert_eq!(got.len(), 3, "every record copied");
    for (g, want) in got.iter().zip(&recs) {
        assert_eq!((&g.2, &g.3), (&want.0, &want.1), "copied untouched");
    }
    assert_eq!(got[1].4.get("__value_schema_id"), Some(&header));
    // The header's schema was imported before the record landed.
    let d: Value = reqwest::get(format!("{}/schemas/ids/{id}", rd.url)).await.unwrap().json().await.unwrap();
    assert_eq!(d["schema"], "\"boolean\"", "{d}");
    assert!(alive(&mut r), "the replicator must keep running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn guids_and_header_references_are_imported_and_header_ids_translated() {
    let s = Setup::new();
    let (rs, rd) = (s.registry("src-registry"), s.registry("dst-registry"));
    // The destination uses ids 1..3 for other schemas: translated ids differ.
    for (i, t) in ["\"int\"", "\"float\"", "\"bytes\""].iter().enumerate() {
        register(&rd.url, &format!("other-{i}"), t).await;
    }
    let topic = unique("refs");
    create_topic(&src(), &topic, 1, &[]).await;
    let rec = |n: &str| json!({"type": "record", "name": n, "fields": [{"name": "a", "type": "long"}]}).to_string();
    let a = register(&rs.url, &format!("{topic}-a"), &rec("A")).await;
    let b = register(&rs.url, &format!("{topic}-b"), &rec("B")).await;
    let c = register(&rs.url, &format!("{topic}-c"), &rec("C")).await;
    let (ga, gc) = (a["guid"].as_str().unwrap().to_string(), c["guid"].as_str().unwrap().to_string());
    let idb = b["id"].as_u64().unwrap() as u32;
    let payload = vec![0x02u8]; // Avro long 1
    let mut prefix_guid = vec![1u8];
    prefix_guid.extend(guid_bytes(&ga));
    prefix_guid.extend(&payload);
    let mut header_id = vec![0u8];
    header_id.extend_from_slice(&idb.to_be_bytes());
    let mut header_guid = vec![1u8];
    header_guid.extend(guid_bytes(&gc));
    let recs = vec![
        (b"k1".to_vec(), prefix_guid.clone(), vec![]),
        (b"k2".to_vec(), payload.clone(), vec![("__value_schema_id", header_id.clone())]),
        (payload.clone(), b"v3".to_vec(), vec![("__key_schema_id", header_guid.clone())]),
    ];
    produce_raw(&src(), &topic, 0, &recs).await;
    let conf = Conf::new("refs")
        .registries(&rs, &rd)
        .topics(&topic)
        .set("schemas", "policy = \"translate\"")
        .write(&s, "refs");
    let _r = Replicator::start(&conf);
    let got = read_all(&dst(), &topic, 3, Duration::from_secs(60));
    assert_eq!(got.len(), 3);
    // Prefix guid: unchanged bytes, the schema is in the destination under the same guid.
    assert_eq!(got[0].3, prefix_guid);
    for g in [&ga, &gc] {
        let r = reqwest::get(format!("{}/schemas/guids/{g}", rd.url)).await.unwrap();
        assert!(r.status().is_success(), "guid {g} missing in the destination");
    }
    // Header id: rewritten in the header to the destination's id of the same schema.
    assert_eq!(got[1].3, payload, "payload untouched");
    let h = &got[1].4["__value_schema_id"];
    assert_eq!(h[0], 0);
    let new_id = u32::from_be_bytes([h[1], h[2], h[3], h[4]]);
    assert_ne!(new_id, idb, "the destination already used id {idb}");
    let d: Value = reqwest::get(format!("{}/schemas/ids/{new_id}", rd.url)).await.unwrap().json().await.unwrap();
    assert_eq!(d["schema"], b["schema"]);
    // Header guid on the key: untouched.
    assert_eq!(got[2].4["__key_schema_id"], header_guid);
    assert_eq!(got[2].2, payload);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn invalid_records_pass_go_to_dead_letters_or_stop_only_their_partition() {
    let s = Setup::new();
    let (rs, rd) = (s.registry("src-registry"), s.registry("dst-registry"));
    let base = unique("inv");
    let (tp, tdl, ts) = (format!("{base}-pass"), format!("{base}-dlq"), format!("{base}-stop"));
    create_topic(&src(), &tp, 1, &[]).await;
    create_topic(&src(), &tdl, 1, &[]).await;
    create_topic(&src(), &ts, 2, &[]).await;
    let v = register(&rs.url, &format!("{tp}-value"), "\"string\"").await;
    let id = v["id"].as_u64().unwrap() as u32;
    let mut good = vec![0u8];
    good.extend_from_slice(&id.to_be_bytes());
    good.extend_from_slice(&[0x02, b'x']);
    let k = |i: i32| format!("k{i}").into_bytes();
    let mixed =
        vec![(k(0), good.clone(), vec![]), (k(1), b"not framed".to_vec(), vec![]), (k(2), good.clone(), vec![])];
    let clean = vec![(k(0), good.clone(), vec![]), (k(1), good.clone(), vec![]), (k(2), good.clone(), vec![])];
    for t in [&tp, &tdl] {
        produce_raw(&src(), t, 0, &mixed).await;
    }
    produce_raw(&src(), &ts, 0, &mixed).await;
    produce_raw(&src(), &ts, 1, &clean).await;
    let port = free_port();
    let dlq = format!("lockstep-dead-letters.{base}");
    let conf = Conf::new("inv")
        .registries(&rs, &rd)
        .topics(&format!("{base}-.*"))
        .set("schemas", "on_invalid = \"stop\"")
        .set("schemas", format!("dead_letter_topic = \"{dlq}\""))
        .set("metrics", format!("listen = \"127.0.0.1:{port}\""))
        .set(
            "",
            format!(
                "[[schemas.topics]]\npattern = \"{tp}\"\nkey = false\non_invalid = \"pass\"\n[[schemas.topics]]\npattern = \"{tdl}\"\nkey = false\non_invalid = \"dead-letter\"\n[[schemas.topics]]\npattern = \"{ts}\"\nkey = false\n"
            ),
        );
    let path = conf.write(&s, "inv");
    let mut r = Replicator::start(&path);
    assert_eq!(read_all(&dst(), &tp, 3, Duration::from_secs(60)).len(), 3, "pass: all copied");
    let d = read_all(&dst(), &tdl, 2, Duration::from_secs(30));
    assert_eq!(d.iter().map(|r| r.2.clone()).collect::<Vec<_>>(), vec![k(0), k(2)]);
    let dead = read_all(&dst(), &dlq, 1, Duration::from_secs(30));
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].3, b"not framed");
    assert_eq!(dead[0].4["lockstep.dead-letter.source"], format!("eu/{tdl}/0/1").into_bytes());
    let st = read_all(&dst(), &ts, 4, Duration::from_secs(30));
    let per = source_offsets(&st);
    assert_eq!(per.get(&0), Some(&vec![0]), "partition 0 stops before its invalid record");
    assert_eq!(per.get(&1), Some(&vec![0, 1, 2]), "partition 1 keeps flowing");
    std::thread::sleep(Duration::from_secs(3));
    let m = metrics(port).await;
    assert!(
        m.contains(&format!(
            "lockstep_replicator_halted{{replication=\"{}\",topic=\"{ts}\",partition=\"0\",offset=\"1\"}} 1",
            conf.name
        )),
        "{m}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["replicate", "status", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("stopped at offset 1"), "{text}");
    let log = std::fs::read_to_string(&r.log).unwrap();
    assert!(log.contains("partition stopped at this record") && log.contains(&ts), "{log}");
    assert!(alive(&mut r));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs two Kafka clusters: run by tests/replicator/run.sh"]
async fn ids_of_a_source_context_resolve_there() {
    let s = Setup::new();
    let (rs, rd) = (s.registry("src-registry"), s.registry("dst-registry"));
    // Two topics whose records carry the same id: in `.eu` for one (the replication's
    // source_context), in the default context for the other (its [[schemas.topics]] entry).
    let (eu, plain) = (unique("ctx"), unique("ctx-plain"));
    create_topic(&src(), &eu, 1, &[]).await;
    create_topic(&src(), &plain, 1, &[]).await;
    let other = register(&rs.url, &format!("{plain}-value"), "\"long\"").await;
    let v = register(&rs.url, &format!(":.eu:{eu}-value"), "\"string\"").await;
    let id = v["id"].as_u64().unwrap() as u32;
    assert_eq!(other["id"].as_u64().unwrap() as u32, id, "the test wants the same id in both contexts");
    let mut value = vec![0u8];
    value.extend_from_slice(&id.to_be_bytes());
    value.extend_from_slice(&[0x02, b'x']);
    produce_raw(&src(), &eu, 0, &[(b"k".to_vec(), value.clone(), vec![])]).await;
    produce_raw(&src(), &plain, 0, &[(b"k".to_vec(), value.clone(), vec![])]).await;
    let conf = Conf::new("ctx")
        .registries(&rs, &rd)
        .set("registries", "source_context = \".eu\"")
        .set("topics", format!("include = [\"{eu}\", \"{plain}\"]"))
        .set(
            "",
            format!(
                "[[schemas.topics]]\npattern = \"{plain}\"\nkey = false\non_invalid = \"stop\"\nsource_context = \".\""
            ),
        )
        .set("", format!("[[schemas.topics]]\npattern = \"{eu}\"\nkey = false\non_invalid = \"stop\""))
        .write(&s, "ctx");
    let _r = Replicator::start(&conf);
    for t in [&eu, &plain] {
        let got = read_all(&dst(), t, 1, Duration::from_secs(60));
        assert_eq!(got.len(), 1, "{t}");
        assert_eq!(got[0].3, value);
    }
    let schema_at = |q: &'static str| {
        let url = format!("{}/schemas/ids/{id}{q}", rd.url);
        async move { reqwest::get(url).await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(schema_at("?subject=:.eu:").await["schema"], "\"string\"");
    assert_eq!(schema_at("").await["schema"], "\"long\"", "the default context's id, for the other topic");
}
