//! Large inputs parse and compare in near-linear time (issue 14), with a generous time bound
//! (debug build).

use super::*;
use crate::schema::timed;

fn parse(text: &str) -> JsonSchema {
    timed("parse", || JsonSchema::parse(text, &[], false)).expect("valid")
}

#[test]
fn many_properties_parse_and_compare_quickly() {
    let props: Vec<String> = (0..30_000).map(|i| format!(r#""p{i}":{{"type":"string"}}"#)).collect();
    let required: Vec<String> = (0..30_000).map(|i| format!(r#""p{i}""#)).collect();
    let old = parse(&format!(r#"{{"type":"object","properties":{{{}}}}}"#, props.join(",")));
    let new = parse(&format!(
        r#"{{"type":"object","properties":{{{}}},"required":[{}]}}"#,
        props.join(","),
        required.join(",")
    ));
    timed("normalize", || JsonSchema::parse(new.canonical(), &[], true)).expect("valid");
    assert!(timed("check", || check_compatibility(&old, &old, true)).is_empty());
    assert!(!timed("check", || check_compatibility(&new, &old, true)).is_empty());
}

#[test]
fn long_enums_compare_quickly() {
    let small: Vec<String> = (0..40_000).map(|i| format!(r#""S{i}""#)).collect();
    let big: Vec<String> = (0..110_000).map(|i| format!(r#""S{i}""#)).collect();
    let small = parse(&format!(r#"{{"enum":[{}]}}"#, small.join(",")));
    let big = parse(&format!(r#"{{"enum":[{}]}}"#, big.join(",")));
    assert!(timed("check", || check_compatibility(&big, &small, true)).is_empty());
    assert_eq!(timed("check", || check_compatibility(&small, &big, true)).len(), 1);
}

fn all_of(width: usize) -> JsonSchema {
    let branches: Vec<String> =
        (0..width).map(|i| format!(r#"{{"properties":{{"p{i}":{{"type":"integer"}}}}}}"#)).collect();
    parse(&format!(r#"{{"allOf":[{}]}}"#, branches.join(",")))
}

#[test]
fn wide_and_deep_all_of_compare_quickly() {
    let wide = all_of(300);
    let found = timed("check", || check_compatibility(&wide, &wide, true));
    assert!(found.is_empty(), "{:?}", found.first());
    // Pairing subschemas is quadratic: past the work budget (`crate::budget`) the check stops with a message.
    let wider = all_of(5_000);
    let found = timed("check", || check_compatibility(&wider, &wider, true));
    assert_eq!(found[0].error_type, "COMPATIBILITY_CHECK_ABORTED");
    let mut deep = String::from(r#"{"type":"string"}"#);
    for _ in 0..60 {
        deep = format!(r#"{{"allOf":[{deep},{{"minLength":1}}]}}"#);
    }
    let deep = parse(&deep);
    assert!(timed("check", || check_compatibility(&deep, &deep, true)).is_empty());
}
