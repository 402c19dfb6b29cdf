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
