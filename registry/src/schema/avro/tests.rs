use super::*;

fn p(s: &str) -> AvroSchema {
    AvroSchema::parse(s, &[], false).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn norm(s: &str) -> String {
    AvroSchema::parse(s, &[], true).unwrap_or_else(|e| panic!("{s}: {e}")).canonical().to_string()
}

fn parse_err(s: &str) -> String {
    match AvroSchema::parse(s, &[], false) {
        Ok(x) => panic!("accepted {s}: {}", x.canonical()),
        Err(e) => e.0,
    }
}

fn check(reader: &str, writer: &str) -> Vec<Incompatibility> {
    check_compatibility(&p(reader), &p(writer), true)
}

fn compatible(reader: &str, writer: &str) -> bool {
    check(reader, writer).is_empty()
}

fn rec(fields: &str) -> String {
    format!(r#"{{"type":"record","name":"r","fields":[{fields}]}}"#)
}

// ------------------------------------------------------------------------------ canonical form

#[test]
fn canonical_form_is_java_tostring() {
    let s = p(r#"{ "namespace": "com.acme", "type": "record", "name": "User", "doc": "a user", "x": {"b":1,"a":2},
            "aliases": ["Old", "other.Older"],
            "fields": [ {"name": "id", "type": "long", "doc": "key"},
                        {"type": ["null", "string"], "name": "email", "default": null},
                        {"name": "kind", "type": {"symbols": ["A", "B"], "type": "enum", "name": "Kind", "default": "A", "p": 1}},
                        {"name": "other", "type": "Kind"},
                        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                        {"name": "f", "type": {"type": "fixed", "name": "F", "namespace": "x.y", "size": 4}},
                        {"name": "g", "type": "x.y.F", "order": "DESCENDING", "aliases": ["gg"], "custom": 1, "default": "abcd"} ] }"#);
    assert_eq!(
        s.canonical(),
        r#"{"type":"record","name":"User","namespace":"com.acme","doc":"a user","fields":[{"name":"id","type":"long","doc":"key"},{"name":"email","type":["null","string"],"default":null},{"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B"],"default":"A","p":1}},{"name":"other","type":"Kind"},{"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"f","type":{"type":"fixed","name":"F","namespace":"x.y","size":4}},{"name":"g","type":"x.y.F","default":"abcd","order":"descending","aliases":["gg"],"custom":1}],"x":{"b":1,"a":2},"aliases":["Old","other.Older"]}"#
    );
    assert_eq!(s.name(), Some("com.acme.User"));
    assert_eq!(p(r#"{"type":"string"}"#).canonical(), r#""string""#);
    assert_eq!(p(r#"{   "type":   "string"}"#).canonical(), r#""string""#);
    assert_eq!(p(r#"{"type":"string","doc":"reserved words are dropped"}"#).canonical(), r#""string""#);
    assert_eq!(p(r#" [ "null" , "int" ] "#).canonical(), r#"["null","int"]"#);
    assert_eq!(p(r#"{"type":"int","a":[1,2.50,1e3]}"#).canonical(), r#"{"type":"int","a":[1,2.5,1000.0]}"#);
    assert_eq!(
        p(r#"{"type":"array","items":"int","p":true}"#).canonical(),
        r#"{"type":"array","items":"int","p":true}"#
    );
    assert_eq!(p(r#"{"values":"int","type":"map"}"#).canonical(), r#"{"type":"map","values":"int"}"#);
    assert_eq!(p(r#""int""#).name(), None);
}

#[test]
fn namespaces_print_like_java() {
    // A null namespace inside a namespace is written as "".
    let s = p(
        r#"{"type":"record","name":"a.R","fields":[{"name":"x","type":{"type":"record","name":"In","namespace":"","fields":[]}}]}"#,
    );
    assert_eq!(
        s.canonical(),
        r#"{"type":"record","name":"R","namespace":"a","fields":[{"name":"x","type":{"type":"record","name":"In","namespace":"","fields":[]}}]}"#
    );
    // Inherited namespace; a dotted name overrides the namespace attribute; references are
    // short in the current namespace, full elsewhere.
    let s = p(r#"{"type":"record","name":"R","namespace":"a","fields":[
            {"name":"e","type":{"type":"enum","name":"E","symbols":["X"]}},
            {"name":"f","type":{"type":"fixed","name":"b.F","namespace":"ignored","size":1}},
            {"name":"g","type":{"type":"record","name":"G","namespace":"b","fields":[{"name":"e","type":"a.E"},{"name":"f","type":"F"}]}},
            {"name":"h","type":"E"}]}"#);
    assert_eq!(
        s.canonical(),
        r#"{"type":"record","name":"R","namespace":"a","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["X"]}},{"name":"f","type":{"type":"fixed","name":"F","namespace":"b","size":1}},{"name":"g","type":{"type":"record","name":"G","namespace":"b","fields":[{"name":"e","type":"a.E"},{"name":"f","type":"F"}]}},{"name":"h","type":"E"}]}"#
    );
    // A null-namespace type is found by its bare name from inside a namespace.
    let s = p(
        r#"{"type":"record","name":"Top","fields":[{"name":"x","type":{"type":"record","name":"In","namespace":"n","fields":[{"name":"t","type":["null","Top"]}]}}]}"#,
    );
    assert!(s.canonical().contains(r#""type":["null","Top"]"#), "{}", s.canonical());
    // Name references that are type keywords keep their namespace.
    let s = p(
        r#"{"type":"record","name":"n.R","fields":[{"name":"a","type":{"type":"fixed","name":"map","size":1}},{"name":"b","type":"map"}]}"#,
    );
    assert!(s.canonical().ends_with(r#"{"name":"b","type":"n.map"}]}"#), "{}", s.canonical());
}

#[test]
fn strings_and_numbers_print_like_jackson() {
    let s = p(r#"{"type":"record","name":"r","doc":"tab\there \"q\" \u0001 é/","fields":[
            {"name":"d","type":"double","default":1e20},{"name":"e","type":"double","default":0.00001},
            {"name":"f","type":"float","default":"1.5"},{"name":"g","type":"double","default":"NaN"},
            {"name":"h","type":"double","default":-0.0},{"name":"i","type":"double","default":123456.5}]}"#);
    assert_eq!(
        s.canonical(),
        r#"{"type":"record","name":"r","doc":"tab\there \"q\" \u0001 é/","fields":[{"name":"d","type":"double","default":1.0E20},{"name":"e","type":"double","default":1.0E-5},{"name":"f","type":"float","default":1.5},{"name":"g","type":"double","default":"NaN"},{"name":"h","type":"double","default":-0.0},{"name":"i","type":"double","default":123456.5}]}"#
    );
    assert_eq!(java_double(1e7), "1.0E7");
    assert_eq!(java_double(9999999.0), "9999999.0");
    assert_eq!(java_double(0.001), "0.001");
    assert_eq!(java_double(1.0), "1.0");
    assert_eq!(java_double(100.0), "100.0");
    assert_eq!(java_double(-1.25e-10), "-1.25E-10");
    assert_eq!(java_float(0.1), "0.1");
    assert_eq!(java_float(3.4e38), "3.4E38");
}

#[test]
fn forward_and_recursive_references() {
    let list = r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}"#;
    assert_eq!(p(list).canonical(), list);
    // Avro 1.12: a name may be used before the definition that follows it.
    let fwd = r#"{"type":"record","name":"n.A","fields":[{"name":"b1","type":["null","B"]},{"name":"b2","type":{"type":"record","name":"B","fields":[]}}]}"#;
    assert_eq!(
        p(fwd).canonical(),
        r#"{"type":"record","name":"A","namespace":"n","fields":[{"name":"b1","type":["null",{"type":"record","name":"B","fields":[]}]},{"name":"b2","type":"B"}]}"#,
        "Java prints a named type in full where it first occurs"
    );
    // An identical redefinition is accepted and prints as a reference.
    let twice = rec(
        r#"{"name":"a","type":{"type":"enum","name":"E","symbols":["X"]}},{"name":"b","type":{"type":"enum","name":"E","symbols":["X"],"doc":"d"}}"#,
    );
    assert!(p(&twice).canonical().ends_with(r#"{"name":"b","type":"E"}]}"#));
}

#[test]
fn references_resolve_and_print_by_name() {
    let addr = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"},{"name":"geo","type":{"type":"fixed","name":"Geo","size":8}}]}"#;
    let user = r#"{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"home","type":"Address"},{"name":"g","type":"Geo"}]}"#;
    let s = AvroSchema::parse(user, &[addr], false).unwrap();
    // Only the referenced schema's top-level name is known to the printer (Java seeds
    // knownNames with referenced schemas' full names): nested types print inline.
    assert_eq!(
        s.canonical(),
        r#"{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"home","type":"Address"},{"name":"g","type":{"type":"fixed","name":"Geo","size":8}}]}"#
    );
    assert_eq!(parse_err(user), "Undefined schema: com.acme.Address");
    // Dependency order: a reference may use an earlier one.
    let base = r#"{"type":"enum","name":"n.Color","symbols":["RED"]}"#;
    let mid = r#"{"type":"record","name":"n.Pen","fields":[{"name":"c","type":"Color"}]}"#;
    let top = r#"{"type":"record","name":"Box","fields":[{"name":"p","type":"n.Pen"},{"name":"c","type":"n.Color"}]}"#;
    let s = AvroSchema::parse(top, &[base, mid], false).unwrap();
    assert_eq!(
        s.canonical(),
        r#"{"type":"record","name":"Box","fields":[{"name":"p","type":"n.Pen"},{"name":"c","type":"n.Color"}]}"#
    );
    // A reference that redefines differently is rejected.
    let other = r#"{"type":"enum","name":"n.Color","symbols":["BLUE"]}"#;
    let e = AvroSchema::parse(r#""int""#, &[base, other], false).unwrap_err();
    assert_eq!(e.0, "Can't redefine: n.Color");
    // The checker sees the referenced definitions.
    let addr2 = r#"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"city","type":"string"},{"name":"zip","type":"string"},{"name":"geo","type":{"type":"fixed","name":"Geo","size":8}}]}"#;
    let new = AvroSchema::parse(user, &[addr2], false).unwrap();
    let old = AvroSchema::parse(user, &[addr], false).unwrap();
    let problems = check_compatibility(&new, &old, true);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
            problems[0].to_string(),
            "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'zip' at path '/fields/0/type/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'zip'}"
        );
}

// ---------------------------------------------------------------------------------- parse errors

#[test]
fn parse_errors_follow_java() {
    let cases: &[(&str, &str)] = &[
        (r#"{"type":"record","name":"r"}"#, "Record has no fields"),
        (r#"{"type":"record","name":"1r","fields":[]}"#, "Illegal initial character: 1r"),
        (r#"{"type":"record","name":"r-x","fields":[]}"#, "Illegal character in: r-x"),
        (r#"{"type":"record","name":"a..r","fields":[]}"#, "Namespace part \"\" is invalid: Empty name"),
        (r#"{"type":"record","name":"r","namespace":"1a","fields":[]}"#, "Namespace part \"1a\" is invalid"),
        (r#"{"type":"record","fields":[]}"#, "No name in schema"),
        (
            &rec(r#"{"name":"a","type":"int"},{"name":"a","type":"long"}"#),
            "Duplicate field a in record r: a type:LONG pos:1 and a type:INT pos:0.",
        ),
        (&rec(r#"{"type":"int"}"#), "No field name"),
        (&rec(r#"{"name":"a"}"#), "No field type"),
        (&rec(r#"{"name":"a b","type":"int"}"#), "Illegal character in: a b"),
        (r#"{"type":"enum","name":"e","symbols":["A","A"]}"#, "Duplicate enum symbol: A"),
        (r#"{"type":"enum","name":"e","symbols":["A","9"]}"#, "Illegal initial character: 9"),
        (
            r#"{"type":"enum","name":"e","symbols":["A","B"],"default":"C"}"#,
            "The Enum Default: C is not in the enum symbol set: [A, B]",
        ),
        (r#"{"type":"enum","name":"e"}"#, "Enum has no symbols"),
        (r#"{"type":"fixed","name":"f"}"#, "Invalid or no size"),
        (r#"{"type":"fixed","name":"f","size":1.5}"#, "Invalid or no size"),
        (r#"{"type":"fixed","name":"f","size":-1}"#, "Length is negative"),
        (r#"{"type":"array"}"#, "Array has no items type"),
        (r#"{"type":"map"}"#, "Map has no values type"),
        (r#"["int","int"]"#, "Duplicate in union:int"),
        (r#"[{"type":"array","items":"int"},{"type":"array","items":"long"}]"#, "Duplicate in union:array"),
        (r#"["null",["int"]]"#, "Nested union"),
        (r#""nosuch""#, "Undefined schema: nosuch"),
        (&rec(r#"{"name":"a","type":"Later"}"#), "Undefined schema: Later"),
        (r#"{"type":"nosuch"}"#, "A schema \"type\" MUST be"),
        (r#"{"type":{"type":"int"}}"#, "No type"),
        (r#"{"name":"x"}"#, "No type"),
        ("42", "Schema not yet supported: 42"),
        (&rec(r#"{"name":"a","type":"int","default":"x"}"#), "Invalid default for field a: \"x\" not a \"int\""),
        (&rec(r#"{"name":"a","type":"int","default":1.0}"#), "Invalid default for field a"),
        (&rec(r#"{"name":"a","type":"int","default":4294967296}"#), "Invalid default for field a"),
        (&rec(r#"{"name":"a","type":"long","default":18446744073709551615}"#), "Invalid default for field a"),
        (&rec(r#"{"name":"a","type":"boolean","default":0}"#), "Invalid default for field a"),
        (&rec(r#"{"name":"a","type":"null","default":0}"#), "Invalid default for field a"),
        (&rec(r#"{"name":"a","type":"bytes","default":1}"#), "Invalid default for field a"),
        (&rec(r#"{"name":"a","type":["null","int"],"default":"x"}"#), "Invalid default for field a"),
        (
            &rec(r#"{"name":"a","type":{"type":"array","items":"int"},"default":[1,"x"]}"#),
            "Invalid default for field a",
        ),
        (&rec(r#"{"name":"a","type":{"type":"map","values":"int"},"default":[]}"#), "Invalid default for field a"),
        (
            &rec(
                r#"{"name":"a","type":{"type":"record","name":"S","fields":[{"name":"x","type":"int"}]},"default":{}}"#,
            ),
            "Invalid default for field a",
        ),
        (&rec(r#"{"name":"a","type":"double","default":"abc"}"#), "For input string: \"abc\""),
        (&rec(r#"{"name":"a","type":"int","order":"up"}"#), "No enum constant org.apache.avro.Schema.Field.Order.UP"),
        (&rec(r#"{"name":"a","type":"int","aliases":"x"}"#), "aliases not an array"),
        (&rec(r#"{"name":"a","type":"int","aliases":[1]}"#), "alias not a string: 1"),
        (r#"{"type":"record","name":"r","fields":[],"aliases":["1x"]}"#, "Illegal initial character: 1x"),
        (
            &rec(
                r#"{"name":"a","type":{"type":"enum","name":"E","symbols":["X"]}},{"name":"b","type":{"type":"enum","name":"E","symbols":["Y"]}}"#,
            ),
            "Can't redefine: E",
        ),
        (r#"{"type":"record","name":"r","fields":[]} trailing"#, "Invalid schema JSON"),
        ("", "Invalid schema JSON"),
    ];
    for (schema, expected) in cases {
        let e = parse_err(schema);
        assert!(e.contains(expected), "{schema}: got {e:?}, want {expected:?}");
    }
}

#[test]
fn comments_are_allowed_like_avro_java() {
    let s = p("/* head */ {\"type\": // line\n \"record\", \"name\":\"r\", \"doc\":\"a // b /* c */\", \"fields\":[]}");
    assert_eq!(s.canonical(), r#"{"type":"record","name":"r","doc":"a // b /* c */","fields":[]}"#);
    assert!(parse_err("/* open {\"type\":\"int\"}").contains("unterminated comment"));
}

#[test]
fn valid_defaults_are_accepted() {
    for (ty, default) in [
        (r#""int""#, "-2147483648"),
        (r#""long""#, "9223372036854775807"),
        (r#""float""#, "1"),
        (r#""double""#, r#""-Infinity""#),
        (r#""bytes""#, r#""\u00ff""#),
        (r#"["null","int"]"#, "null"),
        (r#"["null","int"]"#, "3"),
        (r#"["string","null"]"#, "null"),
        (r#"{"type":"enum","name":"E","symbols":["A"]}"#, r#""not checked against symbols""#),
        (r#"{"type":"fixed","name":"F","size":2}"#, r#""ab""#),
        (r#"{"type":"map","values":{"type":"array","items":"int"}}"#, r#"{"a":[1,2]}"#),
        (
            r#"{"type":"record","name":"S","fields":[{"name":"x","type":"int","default":1},{"name":"y","type":"string"}]}"#,
            r#"{"y":"v","extra":true}"#,
        ),
    ] {
        let s = rec(&format!(r#"{{"name":"a","type":{ty},"default":{default}}}"#));
        AvroSchema::parse(&s, &[], false).unwrap_or_else(|e| panic!("{s}: {e}"));
    }
}

#[test]
fn hostile_input_is_an_error_not_a_crash() {
    let deep = format!("{}\"int\"{}", "{\"type\":\"array\",\"items\":".repeat(5000), "}".repeat(5000));
    assert!(AvroSchema::parse(&deep, &[], false).is_err());
    let deep_union = format!("{}\"int\"{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(AvroSchema::parse(&deep_union, &[], false).is_err());
    let long_name = "a".repeat(1 << 20);
    let s = AvroSchema::parse(&format!(r#"{{"type":"fixed","name":"{long_name}","size":1}}"#), &[], false).unwrap();
    assert_eq!(s.name().map(str::len), Some(1 << 20));
    for garbage in [
        "null",
        "true",
        "{}",
        "[]",
        "{\"type\":null}",
        "\"\"",
        "{\"type\":\"record\",\"name\":\"\",\"fields\":[]}",
        "\u{0}",
    ] {
        let _ = AvroSchema::parse(garbage, &[], false);
        let _ = AvroSchema::parse(garbage, &[], true);
    }
    // A long chain of named types, each using the next by name: parses, prints and checks.
    let n = 2000;
    let mut branches = Vec::new();
    for i in 0..n {
        let next = if i + 1 < n { format!(r#"["null","T{}"]"#, i + 1) } else { r#""int""#.to_string() };
        branches.push(format!(r#"{{"type":"record","name":"T{i}","fields":[{{"name":"f","type":{next}}}]}}"#));
    }
    branches.reverse();
    let chain = format!("[{}]", branches.join(","));
    if let Ok(s) = AvroSchema::parse(&chain, &[], false) {
        let _ = check_compatibility(&s, &s, true);
    }
    // Mutually recursive types and self-cycles terminate.
    let cyc = r#"{"type":"record","name":"A","fields":[{"name":"b","type":{"type":"record","name":"B","fields":[{"name":"a","type":["null","A"]}]}},{"name":"s","type":["null","A","B"]}]}"#;
    let s = p(cyc);
    assert!(check_compatibility(&s, &s, true).is_empty());
    let _ = norm(cyc);
}

// ---------------------------------------------------------------------------------- normalize

#[test]
fn normalize_matches_confluent() {
    // AvroSchemaTest#testNormalization: same as the canonical form.
    let n = norm(
        r#"{"type":"record","name":"myrecord","doc":"hi\"there","fields":[{"type":"string","name":"f1","doc":"bye\"now"}]}"#,
    );
    assert_eq!(
        n,
        r#"{"type":"record","name":"myrecord","doc":"hi\"there","fields":[{"name":"f1","type":"string","doc":"bye\"now"}]}"#
    );
    // RestApiTest: properties are sorted; nested property objects too.
    let a = norm(
        r#"{"type":"record","name":"myrecord","fields":[{"type":{"type":"int"},"name":"field0","zprop":"z","aprop":"a"}],"extraMetadata":{"b":2,"a":1}}"#,
    );
    let b = norm(
        r#"{"type":"record","name":"myrecord","fields":[{"type":"int","name":"field0","aprop":"a","zprop":"z"}],"extraMetadata":{"a":1,"b":2}}"#,
    );
    assert_eq!(a, b);
    assert_eq!(
        a,
        r#"{"type":"record","name":"myrecord","fields":[{"name":"field0","type":"int","aprop":"a","zprop":"z"}],"extraMetadata":{"a":1,"b":2}}"#
    );
    // Full names, aliases sorted, empty record doc dropped, error → record, logical type first.
    let n = norm(
        r#"{"type":"error","name":"R","namespace":"n","doc":"","aliases":["Z","A"],"fields":[
            {"name":"t","type":{"type":"long","connect.name":"x","logicalType":"timestamp-millis"},"doc":"","aliases":["z","b"]},
            {"name":"d","type":{"type":"bytes","scale":0,"precision":4,"logicalType":"decimal","a":1}},
            {"name":"u","type":{"type":"int","logicalType":"uuid","b":1}},
            {"name":"f","type":"float","default":1},{"name":"g","type":["null","double"],"default":null},
            {"name":"h","type":{"type":"map","values":"double"},"default":{"y":2,"x":1}}]}"#,
    );
    assert_eq!(
        n,
        r#"{"type":"record","name":"R","namespace":"n","fields":[{"name":"t","type":{"type":"long","logicalType":"timestamp-millis","connect.name":"x"},"doc":"","aliases":["b","z"]},{"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":4,"a":1,"scale":0}},{"name":"u","type":{"type":"int","b":1,"logicalType":"uuid"}},{"name":"f","type":"float","default":1.0},{"name":"g","type":["null","double"],"default":null},{"name":"h","type":{"type":"map","values":"double"},"default":{"x":1.0,"y":2.0}}],"aliases":["A","Z"]}"#
    );
    // Two spellings of one schema normalize to the same string.
    let x = norm(
        r#"{"type":"record","name":"R","namespace":"n","fields":[{"name":"a","type":{"type":"enum","name":"E","symbols":["A"]}},{"name":"b","type":"E"}]}"#,
    );
    let y = norm(
        r#"{"fields":[{"type":{"symbols":["A"],"name":"n.E","type":"enum"},"name":"a"},{"name":"b","type":"n.E"}],"name":"n.R","type":"record"}"#,
    );
    assert_eq!(x, y);
    // References stay references.
    let r = r#"{"type":"record","name":"Sub","namespace":"o","fields":[{"name":"f","type":"string"}]}"#;
    let s = AvroSchema::parse(r#"{"type":"record","name":"M","fields":[{"name":"s","type":"o.Sub"}]}"#, &[r], true)
        .unwrap();
    assert_eq!(s.canonical(), r#"{"type":"record","name":"M","fields":[{"name":"s","type":"o.Sub"}]}"#);
}

#[test]
fn normalize_quirks_follow_confluent() {
    // A null-namespace type nested in a namespaced record is written by its bare name and
    // therefore re-parsed into the parent's namespace.
    let n = norm(
        r#"{"type":"record","name":"a.R","fields":[{"name":"x","type":{"type":"record","name":"In","namespace":"","fields":[]}},{"name":"y","type":"In"}]}"#,
    );
    assert_eq!(
        n,
        r#"{"type":"record","name":"R","namespace":"a","fields":[{"name":"x","type":{"type":"record","name":"In","fields":[]}},{"name":"y","type":"In"}]}"#
    );
    // Bytes defaults go through ISO-8859-1.
    let n = norm(&rec(r#"{"name":"b","type":"bytes","default":"é€"}"#));
    assert!(n.contains(r#""default":"é?""#), "{n}");
}

// ------------------------------------------------------------------------------ compatibility

#[test]
fn field_rules_and_messages() {
    let v1 = rec(r#"{"name":"a","type":"int"}"#);
    let add_default = rec(r#"{"name":"a","type":"int"},{"name":"b","type":"string","default":""}"#);
    let add_required = rec(r#"{"name":"a","type":"int"},{"name":"b","type":"string"}"#);
    let renamed_alias = rec(r#"{"name":"z","type":"int","aliases":["a"]}"#);
    assert!(compatible(&add_default, &v1));
    assert!(compatible(&v1, &add_required), "a removed field is ignored by the reader");
    assert!(compatible(&renamed_alias, &v1), "reader field aliases match writer fields");
    let problems = check(&add_required, &v1);
    assert_eq!(
            problems[0].to_string(),
            "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'b' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'b'}"
        );
    let forward = check_compatibility(&p(&add_required), &p(&v1), false);
    assert!(forward[0]
        .description
        .ends_with("in the old schema has no default value and is missing in the new schema"));
    // Field type mismatch location.
    let m = check(&rec(r#"{"name":"a","type":"string"}"#), &v1);
    assert_eq!(
            m[0].to_string(),
            "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: STRING not compatible with writer type: INT'}"
        );
}

#[test]
fn alias_matching_several_writer_fields_is_javas_exception() {
    let reader = rec(r#"{"name":"a","type":"int","aliases":["b"]}"#);
    let writer = rec(r#"{"name":"a","type":"int"},{"name":"b","type":"int"}"#);
    let m = check(&reader, &writer);
    assert_eq!(m.len(), 1);
    assert!(m[0].to_string().starts_with("Unexpected exception during compatibility check: Reader record field a type:INT pos:0 matches multiple fields in writer record schema {\"type\":\"record\""), "{}", m[0]);
}

#[test]
fn promotions_follow_the_spec() {
    let cases = [
        ("long", "int", true),
        ("float", "int", true),
        ("float", "long", true),
        ("double", "int", true),
        ("double", "long", true),
        ("double", "float", true),
        ("string", "bytes", true),
        ("bytes", "string", true),
        ("int", "long", false),
        ("long", "float", false),
        ("float", "double", false),
        ("boolean", "int", false),
        ("null", "int", false),
        ("int", "null", false),
    ];
    for (r, w, ok) in cases {
        assert_eq!(compatible(&format!("\"{r}\""), &format!("\"{w}\"")), ok, "{r} reading {w}");
    }
    let m = check("\"int\"", "\"long\"");
    assert_eq!(
            m[0].to_string(),
            "{errorType:'TYPE_MISMATCH', description:'The type (path '/') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: INT not compatible with writer type: LONG'}"
        );
}

#[test]
fn union_rules() {
    assert!(compatible(r#"["null","int"]"#, r#""int""#));
    assert!(compatible(r#"["null","long"]"#, r#""int""#), "a branch reads via promotion");
    assert!(compatible(r#""long""#, r#"["int","long"]"#));
    assert!(compatible(r#"["null","string","int"]"#, r#"["int","null"]"#));
    // Writer union against a non-union reader: each branch is checked at its index (Avro 1.12).
    let m = check(r#""int""#, r#"["null","int"]"#);
    assert_eq!(m.len(), 1);
    assert_eq!(
            m[0].to_string(),
            "{errorType:'TYPE_MISMATCH', description:'The type (path '/0') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: INT not compatible with writer type: NULL'}"
        );
    // Union against union: the missing writer branch, at its index.
    let m = check(&rec(r#"{"name":"u","type":["null","string"]}"#), &rec(r#"{"name":"u","type":["null","int"]}"#));
    assert_eq!(
            m[0].to_string(),
            "{errorType:'MISSING_UNION_BRANCH', description:'The new schema is missing a type inside a union field at path '/fields/0/type/1' in the old schema', additionalInfo:'reader union lacking writer type: INT'}"
        );
    // Reader union against a non-union writer: reported where the union is.
    let m = check(&rec(r#"{"name":"u","type":["null","string"]}"#), &rec(r#"{"name":"u","type":"int"}"#));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].error_type, "MISSING_UNION_BRANCH");
    assert_eq!(m[0].additional_info, "reader union lacking writer type: INT");
    assert!(m[0].description.contains("at path '/fields/0/type'"));
}

#[test]
fn enum_rules() {
    let ab = r#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#;
    let a = r#"{"type":"enum","name":"E","symbols":["A"]}"#;
    let a_default = r#"{"type":"enum","name":"E","symbols":["A","U"],"default":"U"}"#;
    assert!(compatible(ab, a));
    assert!(compatible(a_default, ab), "the reader's enum default covers unknown symbols");
    let m = check(a, ab);
    assert_eq!(
            m[0].to_string(),
            "{errorType:'MISSING_ENUM_SYMBOLS', description:'The new schema is missing enum symbols '[B, C]' at path '/symbols' in the old schema', additionalInfo:'[B, C]'}"
        );
    // Renamed enum: name mismatch and missing symbols are both reported.
    let m = check(r#"{"type":"enum","name":"F","symbols":["A"]}"#, ab);
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].to_string(), "{errorType:'NAME_MISMATCH', description:'The name of the schema has changed (path '/name')', additionalInfo:'expected: E'}");
}

#[test]
fn new_enum_field_with_only_an_enum_default_is_checked_against_the_writer_record() {
    let v1 = rec(r#"{"name":"a","type":"int"}"#);
    let v2 = rec(
        r#"{"name":"a","type":"int"},{"name":"e","type":{"type":"enum","name":"E","symbols":["X"],"default":"X"}}"#,
    );
    let m = check(&v2, &v1);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].error_type, "TYPE_MISMATCH");
    assert_eq!(m[0].additional_info, "reader type: ENUM not compatible with writer type: RECORD");
    assert!(m[0].description.contains("(path '/fields/1/type')"));
}

#[test]
fn named_type_rules() {
    let f4 = r#"{"type":"fixed","name":"F","size":4}"#;
    let f8 = r#"{"type":"fixed","name":"F","size":8}"#;
    let g4 = r#"{"type":"fixed","name":"G","size":4}"#;
    let g4_alias = r#"{"type":"fixed","name":"G","size":4,"aliases":["F"]}"#;
    assert_eq!(
            check(f8, f4)[0].to_string(),
            "{errorType:'FIXED_SIZE_MISMATCH', description:'The size of FIXED type field at path '/size' in the new schema does not match with the old schema', additionalInfo:'expected: 4, found: 8'}"
        );
    assert_eq!(check(g4, f4)[0].error_type, "NAME_MISMATCH");
    assert!(compatible(g4_alias, f4), "reader aliases match the writer's full name");
    assert!(compatible(r#"{"type":"fixed","name":"other.F","size":4}"#, f4), "unqualified names compare");
    let ns_alias = r#"{"type":"fixed","name":"G","namespace":"n","size":4,"aliases":["F"]}"#;
    assert!(!compatible(ns_alias, f4), "the alias means n.F, the writer is F");
    let rec_a = r#"{"type":"record","name":"A","fields":[]}"#;
    let rec_b = r#"{"type":"record","name":"B","fields":[]}"#;
    assert_eq!(check(rec_b, rec_a)[0].additional_info, "expected: A");
    assert_eq!(check(f4, rec_a)[0].additional_info, "reader type: FIXED not compatible with writer type: RECORD");
}

#[test]
fn arrays_maps_and_recursion() {
    assert!(compatible(r#"{"type":"array","items":"long"}"#, r#"{"type":"array","items":"int"}"#));
    let m = check(r#"{"type":"map","values":"int"}"#, r#"{"type":"map","values":"long"}"#);
    assert!(m[0].description.contains("(path '/values')"));
    let m = check(r#"{"type":"array","items":"int"}"#, r#"{"type":"array","items":"long"}"#);
    assert!(m[0].description.contains("(path '/items')"));
    assert!(!compatible(r#"{"type":"map","values":"int"}"#, r#"{"type":"array","items":"int"}"#));
    let list = r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}"#;
    let widened = r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"long"},{"name":"next","type":["null","Node"]}]}"#;
    assert!(compatible(list, list));
    assert!(compatible(widened, list));
    let m = check(list, widened);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].description.contains("(path '/fields/0/type')"));
}

#[test]
fn memoized_pairs_repeat_their_first_result() {
    // Java memoizes each named reader/writer pair: a second use reports the first location.
    let e_old = r#"{"type":"enum","name":"E","symbols":["A","B"]}"#;
    let e_new = r#"{"type":"enum","name":"E","symbols":["A"]}"#;
    let m = check(
        &rec(&format!(r#"{{"name":"x","type":{e_new}}},{{"name":"y","type":"E"}}"#)),
        &rec(&format!(r#"{{"name":"x","type":{e_old}}},{{"name":"y","type":"E"}}"#)),
    );
    assert_eq!(m.len(), 2);
    assert!(m.iter().all(|i| i.description.contains("at path '/fields/0/type/symbols'")), "{m:?}");
}

#[test]
fn schema_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<AvroSchema>();
}
