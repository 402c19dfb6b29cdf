//! Large inputs parse and compare in near-linear time (issue 14): each test builds an input that
//! took seconds to minutes with quadratic code and bounds the time generously (debug build).

use super::*;
use crate::schema::timed;

fn enum_schema(symbols: usize) -> String {
    let list: Vec<String> = (0..symbols).map(|i| format!("\"S{i}\"")).collect();
    format!(r#"{{"type":"enum","name":"E","symbols":[{}]}}"#, list.join(","))
}

fn record_schema(fields: usize, with_default: bool) -> String {
    let list: Vec<String> = (0..fields)
        .map(|i| {
            let default = if with_default { r#","default":0"# } else { "" };
            format!(r#"{{"name":"f{i}","type":"int","aliases":["a{i}"]{default}}}"#)
        })
        .collect();
    format!(r#"{{"type":"record","name":"R","fields":[{}]}}"#, list.join(","))
}

#[test]
fn enum_with_100k_symbols_parses_quickly() {
    let text = enum_schema(100_000);
    let s = timed("parse", || AvroSchema::parse(&text, &[], false)).expect("valid");
    timed("normalize", || AvroSchema::parse(s.canonical(), &[], true)).expect("valid");
}

#[test]
fn duplicate_symbol_in_a_long_enum_is_still_found() {
    let mut text = enum_schema(50_000);
    text = text.replace("\"S49999\"", "\"S7\"");
    let e = AvroSchema::parse(&text, &[], false).expect_err("duplicate");
    assert_eq!(e.0, "Duplicate enum symbol: S7");
}

#[test]
fn enum_compatibility_of_40k_against_110k_symbols_is_quick() {
    let small = AvroSchema::parse(&enum_schema(40_000), &[], false).expect("valid");
    let big = AvroSchema::parse(&enum_schema(110_000), &[], false).expect("valid");
    let found = timed("check", || check_compatibility(&small, &big, true));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].error_type, "MISSING_ENUM_SYMBOLS");
    assert!(found[0].additional_info.starts_with("[S100000, S100001"), "{}", &found[0].additional_info[..40]);
    assert!(timed("check", || check_compatibility(&big, &small, true)).is_empty());
}

#[test]
fn records_with_30k_fields_compare_quickly() {
    let old = AvroSchema::parse(&record_schema(30_000, false), &[], false).expect("valid");
    let new = AvroSchema::parse(&record_schema(30_000, true), &[], false).expect("valid");
    assert!(timed("check", || check_compatibility(&new, &old, true)).is_empty());
    assert!(timed("check", || check_compatibility(&old, &new, false)).is_empty());
}

#[test]
fn many_named_types_parse_and_print_quickly() {
    let list: Vec<String> =
        (0..10_000).map(|i| format!(r#"{{"name":"f{i}","type":{{"type":"fixed","name":"F{i}","size":1}}}}"#)).collect();
    let text = format!(r#"{{"type":"record","name":"R","namespace":"n","fields":[{}]}}"#, list.join(","));
    let s = timed("parse", || AvroSchema::parse(&text, &[], false)).expect("valid");
    timed("normalize", || AvroSchema::parse(s.canonical(), &[], true)).expect("valid");
    assert!(timed("check", || check_compatibility(&s, &s, true)).is_empty());
}
