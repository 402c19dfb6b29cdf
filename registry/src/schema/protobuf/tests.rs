use super::*;

fn p(text: &str) -> ProtobufSchema {
    ProtobufSchema::parse(text, &[], false).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn types(reader: &str, writer: &str) -> Vec<String> {
    check_compatibility(&p(reader), &p(writer), true).into_iter().map(|i| i.error_type).collect()
}

fn all_diffs(writer: &str, reader: &str) -> Vec<String> {
    schema_diff(&p(writer), &p(reader)).into_iter().map(|d| format!("{} {}", d.kind.as_str(), d.path)).collect()
}

const P3: &str = "syntax = \"proto3\";\n";

fn msg(body: &str) -> String {
    format!("{P3}package t;\nmessage M {{\n{body}\n}}\n")
}

// --- canonical text ---

#[test]
fn canonical_regroups_declarations_and_drops_comments() {
    let text = "// header\nimport \"google/protobuf/timestamp.proto\";\nsyntax = \"proto3\";";
    assert!(ProtobufSchema::parse(text, &[], false).is_err(), "syntax must come first");
    let text = "syntax = \"proto3\";\n// c\nimport \"google/protobuf/timestamp.proto\";\npackage a.b;\n\
                    option java_package = \"x\";\nenum E { A = 0; }\nmessage M { /* c */ google.protobuf.Timestamp ts = 1; \
                    map<string,int32> m = 2; message N {} oneof o { string s = 3; } reserved 7, 9 to max; reserved \"x\"; \
                    option deprecated = true; }\nservice S { rpc Get (M) returns (stream M); }";
    let want = "syntax = \"proto3\";\npackage a.b;\n\nimport \"google/protobuf/timestamp.proto\";\n\n\
                    option java_package = \"x\";\n\nmessage M {\n  reserved 7, 9 to max;\n  reserved \"x\";\n\n  \
                    option deprecated = true;\n\n  google.protobuf.Timestamp ts = 1;\n  map<string, int32> m = 2;\n\n  \
                    oneof o {\n    string s = 3;\n  }\n\n  message N {}\n}\nenum E {\n  A = 0;\n}\n\n\
                    service S {\n  rpc Get (M) returns (stream M);\n}\n";
    assert_eq!(p(text).canonical(), want);
}

#[test]
fn canonical_field_options_json_name_default_and_proto2_labels() {
    let text = "syntax = \"proto2\";\nmessage M {\n  optional string s = 1 [default = \"a\\\"b\", json_name = \"S\"];\n  \
                    repeated int32 r = 2 [packed = true, deprecated = true];\n  required bool b = 3 [default = true];\n  \
                    extensions 100 to 199;\n}\n";
    let want = "syntax = \"proto2\";\n\nmessage M {\n  optional string s = 1 [\n    default = \"a\\\"b\",\n    \
                    json_name = \"S\"\n  ];\n  repeated int32 r = 2 [\n    packed = true,\n    deprecated = true\n  ];\n  \
                    required bool b = 3 [default = true];\n\n  extensions 100 to 199;\n}\n";
    assert_eq!(p(text).canonical(), want);
    // printing is a fixed point
    assert_eq!(p(want).canonical(), want);
}

#[test]
fn canonical_custom_option_aggregate_and_enum_layout() {
    let text =
        "syntax = \"proto3\";\nimport \"confluent/meta.proto\";\nmessage M {\n  option (confluent.message_meta) = \
                    { doc: \"hi\" tags: [\"a\", \"b\"] };\n  int32 a = 1 [(confluent.field_meta).doc = \"x\"];\n}\n\
                    enum E { option allow_alias = true; Z = 0; Y = 0 [deprecated = true]; reserved 5; }\n";
    let want = "syntax = \"proto3\";\n\nimport \"confluent/meta.proto\";\n\nmessage M {\n  \
                    option (confluent.message_meta) = {\n    doc: \"hi\",\n    tags: [\n      \"a\",\n      \"b\"\n    ]\n  };\n\n  \
                    int32 a = 1 [(confluent.field_meta).doc = \"x\"];\n}\nenum E {\n  reserved 5;\n  option allow_alias = true;\n  \
                    Z = 0;\n  Y = 0 [deprecated = true];\n}\n";
    assert_eq!(p(text).canonical(), want);
}

#[test]
fn canonical_nested_blank_lines_are_indented() {
    let text = "syntax = \"proto3\";\nmessage A { message B { reserved 2; int32 a = 1; } }";
    let want = "syntax = \"proto3\";\n\nmessage A {\n  message B {\n    reserved 2;\n  \n    int32 a = 1;\n  }\n}\n";
    assert_eq!(p(text).canonical(), want);
}

#[test]
fn normalized_sorts_and_qualifies() {
    let text = "syntax = \"proto3\";\npackage t;\nimport \"google/protobuf/timestamp.proto\";\n\
                    import \"confluent/meta.proto\";\noption java_package = \"x\";\noption go_package = \"y\";\n\
                    message M {\n  int32 b = 2;\n  google.protobuf.Timestamp a = 1;\n  map<string, N> m = 3;\n  \
                    message N { string x = 1 [(confluent.field_meta).tags = \"a\", (confluent.field_meta).tags = \"b\"]; }\n}\n\
                    enum E { B = 0; A = 1; reserved 8, 3 to 4; }\n";
    let n = ProtobufSchema::parse(text, &[], true).unwrap();
    let want = "syntax = \"proto3\";\npackage t;\n\nimport \"confluent/meta.proto\";\n\
                    import \"google/protobuf/timestamp.proto\";\n\noption go_package = \"y\";\noption java_package = \"x\";\n\n\
                    message M {\n  .google.protobuf.Timestamp a = 1;\n  int32 b = 2;\n  map<string, .t.M.N> m = 3;\n\n  \
                    message N {\n    string x = 1 [(confluent.field_meta) = {\n      tags: [\n        \"a\",\n        \"b\"\n      \
                    ]\n    }];\n  }\n}\nenum E {\n  reserved 3 to 4;\n  reserved 8;\n  B = 0;\n  A = 1;\n}\n";
    assert_eq!(n.canonical(), want);
    assert_eq!(ProtobufSchema::parse(want, &[], true).unwrap().canonical(), want);
}

#[test]
fn normalized_numbers_and_proto2_syntax_dropped() {
    let text = "syntax = \"proto2\";\nmessage M { optional double d = 1 [default = 1.50]; optional int32 i = 2 [default = 0x10]; }";
    let n = ProtobufSchema::parse(text, &[], true).unwrap();
    assert_eq!(
        n.canonical(),
        "\nmessage M {\n  optional double d = 1 [default = 1.5];\n  optional int32 i = 2 [default = 16];\n}\n"
    );
    assert_eq!(normalize_number("1.23456").as_deref(), Some("1.235"));
    assert_eq!(normalize_number("-2.0").as_deref(), Some("-2"));
    assert_eq!(normalize_number("inf"), None);
}

// --- references, built-ins, names, indexes ---

#[test]
fn references_and_builtin_imports() {
    let dep = "syntax = \"proto3\";\npackage d;\nmessage Dep { string x = 1; }\n";
    let text = "syntax = \"proto3\";\npackage t;\nimport \"dep.proto\";\nimport \"google/type/money.proto\";\n\
                    import \"confluent/type/decimal.proto\";\nimport \"google/protobuf/struct.proto\";\n\
                    message M { d.Dep dep = 1; google.type.Money m = 2; confluent.type.Decimal dec = 3; \
                    google.protobuf.Struct s = 4; google.type.DayOfWeek bad = 5; }\n";
    let err = ProtobufSchema::parse(text, &[("dep.proto", dep)], false).unwrap_err();
    assert!(err.0.contains("DayOfWeek"), "{err}");
    let text = text.replace(
        "import \"google/type/money.proto\";",
        "import \"google/type/money.proto\";\nimport \"google/type/dayofweek.proto\";",
    );
    let s = ProtobufSchema::parse(&text, &[("dep.proto", dep)], false).unwrap();
    assert_eq!(s.name(), Some("t.M"));
    let missing = ProtobufSchema::parse(&text, &[], false).unwrap_err();
    assert!(missing.0.contains("dep.proto"), "{missing}");
    for name in [
        "google/type/calendar_period.proto",
        "google/type/color.proto",
        "google/type/date.proto",
        "google/type/datetime.proto",
        "google/type/decimal.proto",
        "google/type/expr.proto",
        "google/type/fraction.proto",
        "google/type/interval.proto",
        "google/type/latlng.proto",
        "google/type/month.proto",
        "google/type/phone_number.proto",
        "google/type/postal_address.proto",
        "google/type/quaternion.proto",
        "google/type/timeofday.proto",
        "confluent/type/variant.proto",
        "google/protobuf/descriptor.proto",
        "google/protobuf/any.proto",
    ] {
        let t = format!("syntax = \"proto3\";\nimport \"{name}\";\nmessage M {{ int32 a = 1; }}\n");
        ProtobufSchema::parse(&t, &[], false).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn name_and_message_indexes() {
    let s = p("syntax = \"proto3\";\npackage t;\nenum E { E0 = 0; }\nmessage A { message B {} map<string, B> m = 1; \
                   message C { message D {} } }\nmessage Z {}\n");
    assert_eq!(s.name(), Some("t.A"));
    assert_eq!(s.message_indexes("t.A"), Some(vec![0]));
    assert_eq!(s.message_indexes(".t.Z"), Some(vec![1]));
    assert_eq!(s.message_indexes("t.A.B"), Some(vec![0, 0]));
    // the map entry of `m` sits between B and C in the descriptor's nested list
    assert_eq!(s.message_indexes("t.A.MEntry"), Some(vec![0, 1]));
    assert_eq!(s.message_indexes("t.A.C"), Some(vec![0, 2]));
    assert_eq!(s.message_indexes("t.A.C.D"), Some(vec![0, 2, 0]));
    assert_eq!(s.message_indexes("t.E"), None);
    assert_eq!(s.message_indexes("google.protobuf.Timestamp"), None);
    assert_eq!(p("syntax = \"proto3\";\nenum E { A = 0; }\n").name(), Some("E"));
}

#[test]
fn hostile_input_is_an_error() {
    let deep = format!("syntax = \"proto3\";\n{}{}", "message A {".repeat(10_000), "}".repeat(10_000));
    assert!(ProtobufSchema::parse(&deep, &[], false).is_err());
    let deep_opt = format!("syntax = \"proto3\";\noption (x) = {}{};", "{a:".repeat(10_000), "}".repeat(10_000));
    assert!(ProtobufSchema::parse(&deep_opt, &[], false).is_err());
    for bad in [
        "syntax = \"proto4\";",
        "message",
        "message M {",
        "message M { int32 a = 1 }",
        "syntax = \"proto3\"; message M { int32 a = 1; int32 b = 1; }",
        "/* open",
        "\"",
        "message M { string s = 1 [default = \"\\x",
        "syntax = \"proto3\"; message M { Unknown u = 1; }",
        "edition = \"2023\";",
        "\u{0}\u{ffff}",
        "option a = -;",
        "syntax = \"proto3\"; message M { int32 a = 99999999999; }",
        "syntax = \"proto3\"; message M { reserved 1 to; }",
    ] {
        assert!(ProtobufSchema::parse(bad, &[], false).is_err(), "{bad:?} parsed");
    }
    assert!(ProtobufSchema::parse("syntax = \"proto3\";", &[], false).unwrap().name().is_none());
}

// --- compatibility: one test per Confluent difference type ---

#[test]
fn display_format() {
    let inc = check_compatibility(&p(&msg("string a = 1;")), &p(&msg("int32 a = 1;")), true);
    assert_eq!(
        inc[0].to_string(),
        "{errorType:\"FIELD_SCALAR_KIND_CHANGED\", description:\"The kind of a SCALAR field at path '#/M/1' in the \
             new schema does not match its kind in the old schema\"}"
    );
    let inc = check_compatibility(&p(&msg("int32 a = 1;")), &p(&msg("string a = 1;")), false);
    assert!(inc[0].description.contains("in the old schema does not match its kind in the new schema"));
}

#[test]
fn package_changed() {
    let a = format!("{P3}package a;\nmessage M {{ int32 x = 1; }}");
    let b = format!("{P3}package b;\nmessage M {{ int32 x = 1; }}");
    assert_eq!(types(&b, &a), ["PACKAGE_CHANGED"]);
    assert_eq!(
        check_compatibility(&p(&b), &p(&a), true)[0].description,
        "The package at '#/' in the new schema does not match the package in the old schema"
    );
}

#[test]
fn message_added_and_removed() {
    let one = msg("int32 a = 1;");
    let two = format!("{one}message N {{}}\n");
    assert!(types(&two, &one).is_empty());
    assert_eq!(all_diffs(&one, &two), ["MESSAGE_ADDED #/N"]);
    assert_eq!(types(&one, &two), ["MESSAGE_REMOVED"]);
}

#[test]
fn message_moved() {
    let a = format!("{P3}message A {{}}\nmessage B {{}}\n");
    let b = format!("{P3}message B {{}}\nmessage A {{}}\n");
    assert!(types(&b, &a).is_empty());
    assert_eq!(all_diffs(&a, &b), ["MESSAGE_MOVED #/A", "MESSAGE_MOVED #/B"]);
}

#[test]
fn field_added_and_removed() {
    assert!(types(&msg("int32 a = 1; int32 b = 2;"), &msg("int32 a = 1;")).is_empty());
    assert!(types(&msg("int32 a = 1;"), &msg("int32 a = 1; int32 b = 2;")).is_empty());
    assert_eq!(all_diffs(&msg("int32 a = 1;"), &msg("int32 a = 1; int32 b = 2;")), ["FIELD_ADDED #/M/2"]);
    assert_eq!(all_diffs(&msg("int32 a = 1; int32 b = 2;"), &msg("int32 a = 1;")), ["FIELD_REMOVED #/M/2"]);
}

#[test]
fn field_name_changed() {
    assert!(types(&msg("int32 b = 1;"), &msg("int32 a = 1;")).is_empty());
    assert_eq!(all_diffs(&msg("int32 a = 1;"), &msg("int32 b = 1;")), ["FIELD_NAME_CHANGED #/M/1"]);
}

#[test]
fn field_kind_changed() {
    assert_eq!(types(&msg("N a = 1; message N {}"), &msg("int32 a = 1; message N {}")), ["FIELD_KIND_CHANGED"]);
    assert_eq!(types(&msg("map<string, int32> a = 1;"), &msg("int32 a = 1;")), ["FIELD_KIND_CHANGED"]);
    // an enum counts as a scalar of the general-number group
    assert!(types(&msg("E a = 1; enum E { Z = 0; }"), &msg("int32 a = 1; enum E { Z = 0; }")).is_empty());
}

#[test]
fn field_scalar_kind_changed() {
    for (a, b, ok) in [
        ("int32", "int64", true),
        ("uint32", "bool", true),
        ("uint64", "int32", true),
        ("sint32", "sint64", true),
        ("fixed32", "sfixed32", true),
        ("fixed64", "sfixed64", true),
        ("string", "bytes", true),
        ("int32", "sint32", false),
        ("int32", "fixed32", false),
        ("float", "double", false),
        ("string", "int32", false),
        ("fixed32", "fixed64", false),
    ] {
        let t = types(&msg(&format!("{b} a = 1;")), &msg(&format!("{a} a = 1;")));
        assert_eq!(t.is_empty(), ok, "{a} -> {b}: {t:?}");
        if !ok {
            assert_eq!(t, ["FIELD_SCALAR_KIND_CHANGED"]);
        }
    }
    // map values are compared like fields
    assert_eq!(
        types(&msg("map<string, string> m = 1;"), &msg("map<string, int32> m = 1;")),
        ["FIELD_SCALAR_KIND_CHANGED"]
    );
}

#[test]
fn field_named_type_changed() {
    let a = msg("N1 a = 1; message N1 {} message N2 {}");
    let b = msg("N2 a = 1; message N1 {} message N2 {}");
    assert_eq!(types(&b, &a), ["FIELD_NAMED_TYPE_CHANGED"]);
    // same name through a changed reference: the nested difference and the field are both reported
    let dep1 = "syntax = \"proto3\";\npackage d;\nmessage D { int32 x = 1; }\n";
    let dep2 = "syntax = \"proto3\";\npackage d;\nmessage D { string x = 1; }\n";
    let text = "syntax = \"proto3\";\nimport \"d.proto\";\nmessage M { d.D d = 1; }\n";
    let w = ProtobufSchema::parse(text, &[("d.proto", dep1)], false).unwrap();
    let r = ProtobufSchema::parse(text, &[("d.proto", dep2)], false).unwrap();
    let inc: Vec<String> =
        check_compatibility(&r, &w, true).iter().map(|i| format!("{} {}", i.error_type, i.description)).collect();
    assert_eq!(inc.len(), 2, "{inc:?}");
    assert!(inc[0].starts_with("FIELD_SCALAR_KIND_CHANGED") && inc[0].contains("'#/D/1'"));
    assert!(inc[1].starts_with("FIELD_NAMED_TYPE_CHANGED") && inc[1].contains("'#/M/1'"));
    assert!(check_compatibility(&w, &w, true).is_empty());
}

#[test]
fn field_numeric_label_changed() {
    let a = "syntax = \"proto2\";\nmessage M { optional int32 a = 1; }";
    let b = "syntax = \"proto2\";\nmessage M { repeated int32 a = 1; }";
    assert_eq!(types(b, a), ["FIELD_NUMERIC_LABEL_CHANGED"]);
    // proto3 implicit presence has no label: nothing to compare
    assert!(types(&msg("repeated int32 a = 1;"), &msg("int32 a = 1;")).is_empty());
}

#[test]
fn field_string_or_bytes_label_changed_is_compatible() {
    let a = "syntax = \"proto2\";\nmessage M { optional string a = 1; }";
    let b = "syntax = \"proto2\";\nmessage M { repeated string a = 1; }";
    assert!(types(b, a).is_empty());
    assert_eq!(all_diffs(a, b), ["FIELD_STRING_OR_BYTES_LABEL_CHANGED #/M/1"]);
}

#[test]
fn required_field_added_and_removed() {
    let a = "syntax = \"proto2\";\nmessage M { optional int32 a = 1; }";
    let b = "syntax = \"proto2\";\nmessage M { optional int32 a = 1; required int32 b = 2; }";
    assert_eq!(types(b, a), ["REQUIRED_FIELD_ADDED"]);
    assert_eq!(types(a, b), ["REQUIRED_FIELD_REMOVED"]);
}

#[test]
fn oneof_added_and_removed() {
    let a = msg("int32 x = 1;");
    let b = msg("int32 x = 1; oneof o { int32 y = 2; string z = 3; }");
    assert!(types(&b, &a).is_empty());
    assert_eq!(all_diffs(&a, &b), ["ONEOF_ADDED #/M/o", "ONEOF_FIELD_ADDED #/M/o/2", "ONEOF_FIELD_ADDED #/M/o/3"]);
    // deleting a whole oneof is compatible
    assert!(types(&a, &b).is_empty());
    assert_eq!(all_diffs(&b, &a), ["ONEOF_REMOVED #/M/o"]);
}

#[test]
fn oneof_field_added_and_removed() {
    let a = msg("oneof o { int32 y = 2; string z = 3; }");
    let b = msg("oneof o { int32 y = 2; }");
    assert!(types(&a, &b).is_empty());
    assert_eq!(types(&b, &a), ["ONEOF_FIELD_REMOVED"]);
    assert!(check_compatibility(&p(&b), &p(&a), true)[0].description.contains("'#/M/o/3'"));
}

#[test]
fn oneof_field_moved_to_top_level() {
    let a = msg("oneof o { int32 y = 2; string z = 3; }");
    let b = msg("int32 y = 2; oneof o { string z = 3; }");
    assert!(types(&b, &a).is_empty());
    assert_eq!(all_diffs(&a, &b), ["ONEOF_FIELD_MOVED_TO_TOP_LEVEL #/M/2"]);
}

#[test]
fn multiple_fields_moved_to_oneof() {
    let a = msg("int32 y = 2; string z = 3;");
    let b = msg("oneof o { int32 y = 2; string z = 3; }");
    assert_eq!(types(&b, &a), ["MULTIPLE_FIELDS_MOVED_TO_ONEOF"]);
    // a single field moved into a new oneof is fine
    assert!(types(&msg("oneof o { int32 y = 2; } string z = 3;"), &a).is_empty());
}

#[test]
fn field_moved_to_existing_oneof() {
    let a = msg("int32 y = 2; oneof o { string z = 3; }");
    let b = msg("oneof o { int32 y = 2; string z = 3; }");
    assert_eq!(types(&b, &a), ["FIELD_MOVED_TO_EXISTING_ONEOF"]);
}

#[test]
fn enum_changes_are_compatible() {
    let a = msg("E e = 1; enum E { A = 0; B = 1; }");
    let b = msg("E e = 1; enum E { A = 0; C = 1; D = 2; }");
    assert!(types(&b, &a).is_empty());
    assert_eq!(all_diffs(&a, &b), ["ENUM_CONST_CHANGED #/M/E/1", "ENUM_CONST_ADDED #/M/E/2"]);
    assert_eq!(all_diffs(&b, &a), ["ENUM_CONST_CHANGED #/M/E/1", "ENUM_CONST_REMOVED #/M/E/2"]);
    let c = format!("{P3}package t;\nmessage M {{ int32 e = 1; }}\nenum F {{ Z = 0; }}\n");
    let d = format!("{P3}package t;\nmessage M {{ int32 e = 1; }}\n");
    assert_eq!(all_diffs(&d, &c), ["ENUM_ADDED #/F"]);
    assert_eq!(all_diffs(&c, &d), ["ENUM_REMOVED #/F"]);
    assert!(types(&c, &d).is_empty() && types(&d, &c).is_empty());
}

#[test]
fn nested_and_map_entry_messages() {
    let a = msg("message N { int32 x = 1; }");
    let b = msg("message N { string x = 1; }");
    assert_eq!(all_diffs(&a, &b), ["FIELD_SCALAR_KIND_CHANGED #/M/N/1"]);
    // an explicit map-entry message and map<> syntax are the same field kind
    let explicit = "syntax = \"proto2\";\nmessage M { repeated E m = 1; message E { option map_entry = true; \
                        optional string key = 1; optional int32 value = 2; } }";
    let implicit = "syntax = \"proto2\";\nmessage M { map<string, int32> m = 1; }";
    assert!(types(implicit, explicit).is_empty());
    assert!(types(explicit, implicit).is_empty());
}

#[test]
fn schema_is_send_sync() {
    fn check<T: Send + Sync + Clone>() {}
    check::<ProtobufSchema>();
}

#[test]
fn java_hash_order_matches_hashmap() {
    assert_eq!(
        java_hash("TestMessage"),
        "TestMessage".encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
    );
    // "Aa" and "BB" collide in Java; insertion order breaks the tie
    let order = java_union_order(&["BB".to_string()], &["Aa".to_string(), "C".to_string()]);
    assert_eq!(order, ["BB", "Aa", "C"]);
}
