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

mod protobuf_and_json {
    use proptest::prelude::*;
    use registry::schema::json::{check_compatibility as json_check, JsonSchema};
    use registry::schema::protobuf::{check_compatibility as proto_check, ProtobufSchema};

    const PROTOS: &[&str] = &[
        "syntax = \"proto3\";\npackage a.b;\nimport \"google/protobuf/timestamp.proto\";\nmessage M {\n  int64 id = 1;\n  repeated string tags = 2;\n  map<string, int32> counts = 3;\n  oneof kind { string s = 4; int32 i = 5; }\n  google.protobuf.Timestamp at = 6;\n  message Inner { bytes b = 1; }\n  Inner inner = 7;\n  reserved 9, 10 to 12;\n}\nenum E { E0 = 0; E1 = 1; }\nservice S { rpc Get(M) returns (M); }\n",
        "syntax = \"proto2\";\nmessage P { required int32 a = 1; optional string b = 2 [default = \"x\"]; extensions 100 to 200; }\n",
    ];
    const JSONS: &[&str] = &[
        r##"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"a":{"type":"integer","minimum":0},"b":{"type":["string","null"],"maxLength":5},"c":{"$ref":"#/definitions/C"}},"required":["a"],"additionalProperties":false,"definitions":{"C":{"oneOf":[{"type":"number"},{"type":"array","items":{"enum":[1,2]}}]}}}"##,
        r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}],"items":false,"patternProperties":{"^x":{"type":"boolean"}}}"#,
    ];

    fn mutate(src: &str, cuts: &[(prop::sample::Index, u8)]) -> String {
        let mut bytes = src.as_bytes().to_vec();
        for (at, b) in cuts {
            if bytes.is_empty() {
                break;
            }
            let k = at.index(bytes.len());
            match b % 3 {
                0 => bytes[k] = *b,
                1 => {
                    bytes.remove(k);
                }
                _ => bytes.insert(k, *b),
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn any_text_is_a_result(s in ".{0,300}") {
            let _ = ProtobufSchema::parse(&s, &[], false);
            let _ = JsonSchema::parse(&s, &[], true);
        }

        #[test]
        fn mutated_protos_parse_or_error(i in 0..PROTOS.len(), cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
            let text = mutate(PROTOS[i], &cuts);
            if let Ok(s) = ProtobufSchema::parse(&text, &[], false) {
                let again = ProtobufSchema::parse(s.canonical(), &[], false);
                prop_assert!(again.is_ok(), "canonical form does not re-parse: {}", s.canonical());
                let orig = ProtobufSchema::parse(PROTOS[i], &[], false).map_err(|e| TestCaseError::fail(e.0))?;
                let _ = proto_check(&s, &orig, true);
                let _ = proto_check(&orig, &s, false);
            }
        }

        #[test]
        fn mutated_json_schemas_parse_or_error(i in 0..JSONS.len(), cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
            let text = mutate(JSONS[i], &cuts);
            if let Ok(s) = JsonSchema::parse(&text, &[], false) {
                let again = JsonSchema::parse(s.canonical(), &[], false);
                prop_assert!(again.is_ok(), "canonical form does not re-parse: {}", s.canonical());
                let orig = JsonSchema::parse(JSONS[i], &[], false).map_err(|e| TestCaseError::fail(e.0))?;
                let _ = json_check(&s, &orig, true);
                let _ = json_check(&orig, &s, false);
            }
        }
    }
}
