//! Property-based fuzzing of the schema parsers and the compatibility checker: whatever the
//! input, they return a result — no panic, no stack overflow, no hang.

use proptest::prelude::*;
use registry::schema::avro::{check_compatibility, AvroSchema};
use serde_json::{json, Value};

/// Valid schemas to mutate, covering every construct.
const CORPUS: &[&str] = &[
    r#"{"type":"record","name":"R","namespace":"a.b","fields":[{"name":"x","type":"int","default":1},{"name":"y","type":["null","string"],"default":null}]}"#,
    r#"{"type":"enum","name":"E","symbols":["A","B"],"default":"A"}"#,
    r#"{"type":"fixed","name":"F","size":16,"logicalType":"decimal","precision":4}"#,
    r#"{"type":"array","items":{"type":"map","values":"long"}}"#,
    r#"{"type":"record","name":"L","fields":[{"name":"next","type":["null","L"]},{"name":"e","type":{"type":"enum","name":"S","symbols":["X"]}}]}"#,
    r#"["null","int",{"type":"record","name":"Z","fields":[]}]"#,
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just("record"),
            Just("enum"),
            Just("fixed"),
            Just("array"),
            Just("map"),
            Just("int"),
            Just("string"),
            Just("null"),
            Just("R"),
            Just("a.b.R"),
            Just(""),
            Just("1x"),
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("type"),
                        Just("name"),
                        Just("namespace"),
                        Just("fields"),
                        Just("items"),
                        Just("values"),
                        Just("symbols"),
                        Just("size"),
                        Just("default"),
                        Just("aliases"),
                        Just("order"),
                        Just("doc"),
                        Just("logicalType"),
                    ],
                    inner,
                ),
                0..6,
            )
            .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary text.
    #[test]
    fn any_text_parses_or_errors(s in ".{0,300}") {
        let _ = AvroSchema::parse(&s, &[], false);
        let _ = AvroSchema::parse(&s, &[], true);
    }

    /// Schema-shaped JSON: every parsed pair can also be checked both ways.
    #[test]
    fn schema_shaped_json_parses_or_errors(a in json_value(), b in json_value()) {
        let (a, b) = (a.to_string(), b.to_string());
        let pa = AvroSchema::parse(&a, &[], false);
        let pb = AvroSchema::parse(&b, &[&a], true);
        if let (Ok(x), Ok(y)) = (&pa, &pb) {
            let _ = check_compatibility(x, y, true);
            let _ = check_compatibility(y, x, false);
        }
    }

    /// Byte-level mutations of valid schemas.
    #[test]
    fn mutated_valid_schemas_parse_or_error(i in 0..CORPUS.len(), cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
        let mut bytes = CORPUS[i].as_bytes().to_vec();
        for (at, b) in cuts {
            let k = at.index(bytes.len());
            match b % 3 {
                0 => bytes[k] = b,
                1 => { bytes.remove(k); }
                _ => bytes.insert(k, b),
            }
            if bytes.is_empty() { break; }
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(s) = AvroSchema::parse(&text, &[], false) {
            // Whatever parses must print to something that parses to the same canonical form.
            let again = AvroSchema::parse(s.canonical(), &[], false);
            prop_assert!(again.is_ok(), "canonical form does not re-parse: {}", s.canonical());
            prop_assert_eq!(again.map(|a| a.canonical().to_string()).unwrap_or_default(), s.canonical());
            let orig = AvroSchema::parse(CORPUS[i], &[], false).map_err(|e| TestCaseError::fail(e.0))?;
            let _ = check_compatibility(&s, &orig, true);
            let _ = check_compatibility(&orig, &s, false);
        }
    }
}

/// Deep nesting of every kind is an error, never a stack overflow.
#[test]
fn deep_nesting_of_every_kind_is_an_error() {
    for (open, close) in [("{\"type\":\"array\",\"items\":", "}"), ("{\"type\":\"map\",\"values\":", "}"), ("[", "]")] {
        for depth in [150, 1_000, 50_000] {
            let s = format!("{}\"int\"{}", open.repeat(depth), close.repeat(depth));
            assert!(AvroSchema::parse(&s, &[], false).is_err(), "depth {depth} of {open}");
        }
    }
    let mut rec = String::from("\"int\"");
    for i in 0..300 {
        rec = format!(r#"{{"type":"record","name":"R{i}","fields":[{{"name":"f","type":{rec}}}]}}"#);
    }
    assert!(AvroSchema::parse(&rec, &[], false).is_err());
}
