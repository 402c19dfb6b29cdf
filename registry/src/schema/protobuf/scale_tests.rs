//! Large inputs parse and compare in near-linear time (issue 14): each test builds an input that
//! took seconds with quadratic code and bounds the time generously (debug build).

use super::*;
use crate::schema::timed;

fn many_messages(n: usize) -> String {
    let mut text = String::from("syntax = \"proto3\";\npackage p;\n");
    for i in 0..n {
        text.push_str(&format!("message M{i} {{}}\n"));
    }
    text
}

#[test]
fn fifty_thousand_empty_messages_parse_quickly() {
    let text = many_messages(50_000);
    let s = timed("parse", || ProtobufSchema::parse(&text, &[], false)).expect("valid");
    timed("normalize", || ProtobufSchema::parse(s.canonical(), &[], true)).expect("valid");
    assert_eq!(timed("indexes", || s.message_indexes("p.M49999")), Some(vec![49_999]));
    assert!(timed("check", || check_compatibility(&s, &s, true)).is_empty());
}

#[test]
fn duplicate_message_among_many_is_still_found() {
    let text = many_messages(20_000) + "message M7 {}\n";
    let e = ProtobufSchema::parse(&text, &[], false).expect_err("duplicate");
    assert!(e.0.contains("M7 is already defined"), "{}", e.0);
}

#[test]
fn message_with_many_fields_and_enum_with_many_values_are_quick() {
    let mut text = String::from("syntax = \"proto3\";\nmessage M {\n");
    // Numbers above 19000-19999 (reserved by protobuf; each such field is a separate error).
    for i in 1..=20_000 {
        text.push_str(&format!("  int32 f{i} = {};\n", i + 20_000));
    }
    text.push_str("}\nenum E {\n");
    for i in 0..20_000 {
        text.push_str(&format!("  E{i} = {i};\n"));
    }
    text.push_str("}\n");
    let s = timed("parse", || ProtobufSchema::parse(&text, &[], false)).expect("valid");
    timed("normalize", || ProtobufSchema::parse(s.canonical(), &[], true)).expect("valid");
    assert!(timed("check", || check_compatibility(&s, &s, true)).is_empty());
}

/// Message bodies with `n` copies of one mistake (each a separate compiler error).
fn many_errors(n: usize) -> Vec<(&'static str, String)> {
    let body = |head: &str, line: &dyn Fn(usize) -> String| {
        let mut text = format!("syntax = \"proto3\";\npackage p;\nmessage M {{\n{head}");
        for i in 0..n {
            text.push_str(&line(i));
        }
        text + "}\n"
    };
    vec![
        ("reserved", body("  reserved 1 to 30000;\n", &|i| format!("  int32 f{i} = {};\n", i + 1))),
        ("duplicate number", body("", &|i| format!("  int32 f{i} = 1;\n"))),
        ("duplicate name", body("", &|i| format!("  int32 f = {};\n", i + 1))),
        ("implementation range", body("", &|i| format!("  int32 f{i} = {};\n", 19_000 + i % 1000))),
        (
            "enum",
            format!(
                "syntax = \"proto3\";\nenum E {{\n  E0 = 0;\n{}}}\n",
                (1..n).map(|i| format!("  E{i} = 0;\n")).collect::<String>()
            ),
        ),
    ]
}

#[test]
fn twenty_thousand_bad_fields_fail_fast() {
    for (what, text) in many_errors(20_000) {
        let e = timed(what, || ProtobufSchema::parse(&text, &[], false)).expect_err(what);
        assert!(e.0.starts_with("Invalid Protobuf schema - "), "{what}: {}", e.0);
        assert!(e.0.contains("more errors of this kind)"), "{what}: {}", e.0);
        assert!(e.0.len() < 1000, "{what}: a capped message, not {} bytes", e.0.len());
    }
}

#[test]
fn precheck_words_the_first_error_as_the_compiler_does() {
    // Under the threshold protox still answers (its exact message; a duplicate name is two
    // errors); the pre-check's first message for the same input is the same text.
    for (what, text) in many_errors(MAX_LEFT_TO_COMPILER / 2) {
        let compiled = ProtobufSchema::parse(&text, &[], false).expect_err(what).0;
        assert!(!compiled.contains("more errors of this kind"), "{what}: {compiled}");
        let file = parse_file(&text).expect("parses");
        let ours = precheck_allowing(&file, 0).expect_err(what).0;
        let first = ours.split("; ").next().unwrap_or_default();
        let first = first.split(" (and ").next().unwrap_or_default();
        assert_eq!(first, compiled, "{what}");
    }
}
