use super::*;

// --------------------------------------------------------------------------------------------
// One test per rule
// --------------------------------------------------------------------------------------------

#[test]
fn optional_property_added_to_open_content_model() {
    let update = r#"{"type":"object","properties":{"foo":{"type":"string"},"bar":{"type":"string"}}}"#;
    assert_rule(OBJ_FOO, update, "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", false);
    assert!(breaks_lenient(OBJ_FOO, update).is_empty());
}

#[test]
fn required_property_added_to_open_content_model() {
    let update =
        r#"{"type":"object","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"required":["bar"]}"#;
    assert_rule(OBJ_FOO, update, "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", false);
    assert_eq!(breaks_lenient(OBJ_FOO, update), ["REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"]);
}

#[test]
fn required_property_with_default_added_to_open_content_model() {
    let update = r#"{"type":"object","properties":{"foo":{"type":"string"},"bar":{"type":"string","default":"x"}},"required":["bar"]}"#;
    assert_rule(OBJ_FOO, update, "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL", false);
    assert!(breaks_lenient(OBJ_FOO, update).is_empty());
}

#[test]
fn property_with_empty_schema_added_to_open_content_model() {
    let update = r#"{"type":"object","properties":{"foo":{"type":"string"},"bar":{}}}"#;
    assert_rule(OBJ_FOO, update, "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", true);
}

#[test]
fn optional_property_added_to_unopen_content_model() {
    let update = r#"{"type":"object","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"additionalProperties":false}"#;
    assert_rule(CLOSED_FOO, update, "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", true);
}

#[test]
fn required_property_added_to_unopen_content_model() {
    let update = r#"{"type":"object","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"required":["bar"],"additionalProperties":false}"#;
    assert_rule(CLOSED_FOO, update, "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", false);
    let with_default = update.replace(r#""bar":{"type":"string"}"#, r#""bar":{"type":"string","default":"d"}"#);
    assert_rule(CLOSED_FOO, &with_default, "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL", true);
}

#[test]
fn property_removed_from_open_content_model() {
    assert_rule(OBJ_FOO, r#"{"type":"object"}"#, "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", true);
}

#[test]
fn property_removed_from_closed_content_model() {
    let update = r#"{"type":"object","additionalProperties":false}"#;
    assert_rule(CLOSED_FOO, update, "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", false);
    assert!(breaks_lenient(CLOSED_FOO, update).is_empty());
}

#[test]
fn property_removed_covered_by_pattern_properties() {
    let update = r#"{"type":"object","additionalProperties":false,"patternProperties":{"^f":{"type":"string"}}}"#;
    assert_rule(CLOSED_FOO, update, "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", true);
    let update = r#"{"type":"object","additionalProperties":false,"patternProperties":{"^f":{"type":"number"}}}"#;
    assert_rule(CLOSED_FOO, update, "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", false);
}

#[test]
fn property_added_covered_by_additional_properties_schema() {
    let original = r#"{"type":"object","additionalProperties":{"type":"string"}}"#;
    let update = r#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"string"}}"#;
    assert_rule(original, update, "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", true);
    // A narrower property schema is not covered; the narrowing itself is reported too.
    let update = r#"{"type":"object","properties":{"a":{"type":"string","maxLength":3}},"additionalProperties":{"type":"string"}}"#;
    assert_rule(original, update, "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", false);
    assert_eq!(
        breaks(original, update),
        ["MAX_LENGTH_ADDED", "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"]
    );
}

#[test]
fn required_attribute_added_and_removed() {
    let req = r#"{"type":"object","properties":{"foo":{"type":"string"}},"required":["foo"]}"#;
    assert_rule(OBJ_FOO, req, "REQUIRED_ATTRIBUTE_ADDED", false);
    assert_rule(req, OBJ_FOO, "REQUIRED_ATTRIBUTE_REMOVED", true);
    let req_default = r#"{"type":"object","properties":{"foo":{"type":"string","default":""}},"required":["foo"]}"#;
    let orig_default = r#"{"type":"object","properties":{"foo":{"type":"string","default":""}}}"#;
    assert_rule(orig_default, req_default, "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", true);
}

#[test]
fn additional_properties_added_removed_narrowed_extended() {
    assert_rule(CLOSED_FOO, OBJ_FOO, "ADDITIONAL_PROPERTIES_ADDED", true);
    assert_rule(OBJ_FOO, CLOSED_FOO, "ADDITIONAL_PROPERTIES_REMOVED", false);
    let schema_ap = r#"{"type":"object","additionalProperties":{"type":"string"}}"#;
    assert_rule(r#"{"type":"object"}"#, schema_ap, "ADDITIONAL_PROPERTIES_NARROWED", false);
    assert_rule(schema_ap, r#"{"type":"object"}"#, "ADDITIONAL_PROPERTIES_EXTENDED", true);
}

#[test]
fn type_changed() {
    assert_rule(r#"{"type":"string"}"#, r#"{"type":"number"}"#, "TYPE_CHANGED", false);
    assert_eq!(breaks(r#"{"type":"string"}"#, "{}"), Vec::<String>::new());
    assert_eq!(breaks(r#"{"type":"string"}"#, "true"), Vec::<String>::new());
    assert_eq!(breaks("false", r#"{"type":"string"}"#), Vec::<String>::new());
    assert_eq!(breaks("{}", r#"{"type":"string"}"#), ["TYPE_CHANGED"]);
}

#[test]
fn type_narrowed_and_extended() {
    assert_rule(r#"{"type":"number"}"#, r#"{"type":"integer"}"#, "TYPE_NARROWED", false);
    assert_rule(r#"{"type":"integer"}"#, r#"{"type":"number"}"#, "TYPE_EXTENDED", true);
}

#[test]
fn connect_bytes_types_are_equivalent() {
    let a = r#"{"type":"string","connect.type":"bytes"}"#;
    let b = r#"{"type":"number","connect.type":"bytes"}"#;
    assert!(breaks(a, b).is_empty());
}

#[test]
fn enum_array_extended_narrowed_changed() {
    assert_rule(r#"{"enum":["a","b"]}"#, r#"{"enum":["a","b","c"]}"#, "ENUM_ARRAY_EXTENDED", true);
    assert_rule(r#"{"enum":["a","b"]}"#, r#"{"enum":["a"]}"#, "ENUM_ARRAY_NARROWED", false);
    assert_rule(r#"{"enum":["a","b"]}"#, r#"{"enum":["a","c"]}"#, "ENUM_ARRAY_CHANGED", false);
    assert_rule(r#"{"const":1}"#, r#"{"const":2}"#, "ENUM_ARRAY_CHANGED", false);
    // `type` + `enum` is a synthetic allOf, as in Everit.
    assert_eq!(
        diffs(r#"{"type":"string","enum":["a"]}"#, r#"{"type":"string","enum":["a","b"]}"#),
        ["ENUM_ARRAY_EXTENDED #/allOf/0/enum"]
    );
}

#[test]
fn string_constraints() {
    let s = r#"{"type":"string"}"#;
    let with = |kw: &str, v: &str| format!(r#"{{"type":"string","{kw}":{v}}}"#);
    // (old, new, rule, compatible): `None` is the plain string schema.
    type Side<'a> = Option<(&'a str, &'a str)>;
    let cases: &[(Side, Side, &str, bool)] = &[
        (None, Some(("maxLength", "5")), "MAX_LENGTH_ADDED", false),
        (Some(("maxLength", "5")), None, "MAX_LENGTH_REMOVED", true),
        (Some(("maxLength", "5")), Some(("maxLength", "6")), "MAX_LENGTH_INCREASED", true),
        (Some(("maxLength", "5")), Some(("maxLength", "4")), "MAX_LENGTH_DECREASED", false),
        (None, Some(("minLength", "1")), "MIN_LENGTH_ADDED", false),
        (Some(("minLength", "2")), Some(("minLength", "1")), "MIN_LENGTH_DECREASED", true),
        (Some(("minLength", "1")), Some(("minLength", "2")), "MIN_LENGTH_INCREASED", false),
        (None, Some(("pattern", r#""^a""#)), "PATTERN_ADDED", false),
        (Some(("pattern", r#""^a""#)), Some(("pattern", r#""^b""#)), "PATTERN_CHANGED", false),
        (Some(("pattern", r#""^a""#)), None, "PATTERN_REMOVED", true),
    ];
    let schema = |side: &Side| side.map_or(s.to_string(), |(kw, v)| with(kw, v));
    for (old, new, rule, compatible) in cases {
        assert_rule(&schema(old), &schema(new), rule, *compatible);
    }
}

#[test]
fn number_constraints() {
    let n = r#"{"type":"number"}"#;
    assert_rule(n, r#"{"type":"number","maximum":5}"#, "MAXIMUM_ADDED", false);
    assert_rule(n, r#"{"type":"number","minimum":5}"#, "MINIMUM_ADDED", false);
    assert_rule(n, r#"{"type":"number","exclusiveMaximum":5}"#, "EXCLUSIVE_MAXIMUM_ADDED", false);
    assert_rule(n, r#"{"type":"number","exclusiveMinimum":5}"#, "EXCLUSIVE_MINIMUM_ADDED", false);
    let em = |v: u32| format!(r#"{{"type":"number","exclusiveMaximum":{v}}}"#);
    assert_rule(&em(5), &em(6), "EXCLUSIVE_MAXIMUM_INCREASED", true);
    assert_rule(&em(6), &em(5), "EXCLUSIVE_MAXIMUM_DECREASED", false);
    let emin = |v: u32| format!(r#"{{"type":"number","exclusiveMinimum":{v}}}"#);
    assert_rule(&emin(5), &emin(4), "EXCLUSIVE_MINIMUM_DECREASED", true);
    assert_rule(&emin(4), &emin(5), "EXCLUSIVE_MINIMUM_INCREASED", false);
    assert_rule(&emin(4), n, "EXCLUSIVE_MINIMUM_REMOVED", true);
    // Draft 4 boolean exclusive limits are not limits.
    let d4 = |b: bool| {
        format!(
            r#"{{"$schema":"http://json-schema.org/draft-04/schema#","type":"number","minimum":1,"exclusiveMinimum":{b}}}"#
        )
    };
    assert!(diffs(&d4(false), &d4(true)).is_empty());
}

#[test]
fn multiple_of_rules() {
    let m = |v: &str| format!(r#"{{"type":"number","multipleOf":{v}}}"#);
    assert_rule(r#"{"type":"number"}"#, &m("2"), "MULTIPLE_OF_ADDED", false);
    assert_rule(&m("0.5"), &m("10"), "MULTIPLE_OF_EXPANDED", false);
    assert_rule(&m("10"), &m("2.5"), "MULTIPLE_OF_REDUCED", true);
    assert_rule(&m("10"), &m("3"), "MULTIPLE_OF_CHANGED", false);
    assert!(diffs(&m("0.5"), &m("0.50")).is_empty());
    assert_rule(&m("0.1"), &m("0.3"), "MULTIPLE_OF_EXPANDED", false);
    // Like Everit, a multipleOf that is 0 as a double is rejected.
    assert!(parse_err(&m("1e-400")).contains("multipleOf"));
}

#[test]
fn object_size_constraints() {
    assert_rule(r#"{"maxProperties":2}"#, r#"{"maxProperties":1}"#, "MAX_PROPERTIES_DECREASED", false);
    assert_rule(r#"{"minProperties":1}"#, r#"{"minProperties":2}"#, "MIN_PROPERTIES_INCREASED", false);
    assert_rule(r#"{"type":"object"}"#, r#"{"type":"object","maxProperties":3}"#, "MAX_PROPERTIES_ADDED", false);
}

#[test]
fn dependencies_rules() {
    let d = |deps: &str| format!(r#"{{"properties":{{"a":{{}},"b":{{}},"c":{{}}}},"dependencies":{deps}}}"#);
    assert_rule(&d(r#"{"a":["b"]}"#), &d(r#"{"a":["b","c"]}"#), "DEPENDENCY_ARRAY_EXTENDED", false);
    assert_rule(&d(r#"{"a":["b","c"]}"#), &d(r#"{"a":["b"]}"#), "DEPENDENCY_ARRAY_NARROWED", true);
    assert_rule(&d(r#"{"a":["b"]}"#), &d(r#"{"a":["c"]}"#), "DEPENDENCY_ARRAY_CHANGED", false);
    assert_rule(&d(r#"{}"#), &d(r#"{"a":["b"]}"#), "DEPENDENCY_ARRAY_ADDED", false);
    assert_rule(&d(r#"{}"#), &d(r#"{"a":{"required":["b"]}}"#), "DEPENDENCY_SCHEMA_ADDED", false);
    // 2019-09+: dependentRequired / dependentSchemas.
    let m = |deps: &str| {
        format!(
            r#"{{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","dependentRequired":{deps}}}"#
        )
    };
    assert_rule(&m(r#"{"a":["b"]}"#), &m(r#"{"a":["b","c"]}"#), "DEPENDENCY_ARRAY_EXTENDED", false);
}

#[test]
fn array_rules() {
    let a = r#"{"type":"array","items":{"type":"string"}}"#;
    assert_rule(a, r#"{"type":"array","items":{"type":"number"}}"#, "TYPE_CHANGED", false);
    assert_rule(r#"{"type":"array"}"#, a, "SCHEMA_ADDED", false);
    assert_rule(a, r#"{"type":"array"}"#, "SCHEMA_REMOVED", true);
    assert_rule(r#"{"type":"array"}"#, r#"{"type":"array","maxItems":3}"#, "MAX_ITEMS_ADDED", false);
    assert_rule(r#"{"type":"array","maxItems":3}"#, r#"{"type":"array","maxItems":4}"#, "MAX_ITEMS_INCREASED", true);
    assert_rule(r#"{"type":"array"}"#, r#"{"type":"array","minItems":1}"#, "MIN_ITEMS_ADDED", false);
    assert_rule(r#"{"type":"array"}"#, r#"{"type":"array","uniqueItems":true}"#, "UNIQUE_ITEMS_ADDED", false);
    let tuple = r#"{"type":"array","items":[{"type":"string"}]}"#;
    let tuple2 = r#"{"type":"array","items":[{"type":"string"},{"type":"number"}]}"#;
    assert_rule(tuple, tuple2, "ITEM_ADDED_TO_OPEN_CONTENT_MODEL", false);
    assert_rule(tuple2, tuple, "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", true);
    let closed = r#"{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":false}"#;
    let closed1 = r#"{"type":"array","items":[{"type":"string"}],"additionalItems":false}"#;
    assert_rule(closed, closed1, "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", false);
    assert_rule(tuple, closed1, "ADDITIONAL_ITEMS_REMOVED", false);
    assert_rule(
        r#"{"type":"array","additionalItems":true}"#,
        r#"{"type":"array","additionalItems":{"type":"string"}}"#,
        "ADDITIONAL_ITEMS_NARROWED",
        false,
    );
    // 2020-12 prefixItems / items.
    let p = |s: &str| format!(r#"{{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array",{s}}}"#);
    assert_rule(
        &p(r#""prefixItems":[{"type":"string"}]"#),
        &p(r#""prefixItems":[{"type":"string"}],"items":false"#),
        "ADDITIONAL_ITEMS_REMOVED",
        false,
    );
    assert_rule(&p(r#""items":{"type":"string"}"#), &p(r#""items":{"type":"integer"}"#), "TYPE_CHANGED", false);
    assert_rule(
        &p(r#""contains":{"type":"string"}"#),
        &p(r#""contains":{"type":"string"},"minContains":2"#),
        "MIN_CONTAINS_INCREASED",
        false,
    );
    assert_rule(
        &p(r#""contains":{"type":"string"},"maxContains":2"#),
        &p(r#""contains":{"type":"string"}"#),
        "MAX_CONTAINS_REMOVED",
        true,
    );
}

#[test]
fn unevaluated_properties_rules() {
    let s = |extra: &str| {
        format!(
            r#"{{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{{"a":{{"type":"string"}}}}{extra}}}"#
        )
    };
    assert_rule(&s(""), &s(r#","unevaluatedProperties":false"#), "UNEVALUATED_PROPERTIES_REMOVED", false);
    assert_rule(&s(r#","unevaluatedProperties":false"#), &s(""), "UNEVALUATED_PROPERTIES_ADDED", true);
    assert_rule(&s(""), &s(r#","unevaluatedProperties":{"type":"string"}"#), "UNEVALUATED_PROPERTIES_NARROWED", false);
    // A closed model through unevaluatedProperties: adding an optional property is fine.
    let closed = s(r#","unevaluatedProperties":false"#);
    let added = closed.replace(r#""a":{"type":"string"}"#, r#""a":{"type":"string"},"b":{"type":"string"}"#);
    assert_rule(&closed, &added, "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", true);
}

#[test]
fn combined_type_changed() {
    let one = r#"{"oneOf":[{"type":"string"},{"type":"number"}]}"#;
    let all = r#"{"allOf":[{"type":"string"},{"type":"number"}]}"#;
    assert_rule(one, all, "COMBINED_TYPE_CHANGED", false);
    assert_rule(all, r#"{"anyOf":[{"type":"string"},{"type":"number"}]}"#, "COMBINED_TYPE_EXTENDED", true);
}

#[test]
fn product_type_extended_and_narrowed() {
    let one = r#"{"allOf":[{"type":"string"}]}"#;
    let two = r#"{"allOf":[{"type":"string"},{"maxLength":4}]}"#;
    assert_rule(one, two, "PRODUCT_TYPE_EXTENDED", false);
    assert_rule(two, one, "PRODUCT_TYPE_NARROWED", true);
    // `type` + `enum` is a synthetic allOf; dropping the enum narrows the product.
    assert_rule(r#"{"type":"string","enum":["a"]}"#, r#"{"type":"string"}"#, "PRODUCT_TYPE_NARROWED", true);
    // `type` consumes its own keywords: this is a single string schema.
    assert_eq!(diffs(r#"{"type":"string","maxLength":3}"#, r#"{"type":"string"}"#), ["MAX_LENGTH_REMOVED #/maxLength"]);
}

#[test]
fn sum_type_extended_and_narrowed() {
    let one = r#"{"oneOf":[{"type":"string"}]}"#;
    let two = r#"{"oneOf":[{"type":"string"},{"type":"null"}]}"#;
    assert_rule(one, two, "SUM_TYPE_EXTENDED", true);
    assert_rule(two, one, "SUM_TYPE_NARROWED", false);
    assert_rule(r#"{"type":"string"}"#, r#"{"type":["string","null"]}"#, "SUM_TYPE_EXTENDED", true);
    assert_eq!(breaks(r#"{"type":["string","null"]}"#, r#"{"type":"string"}"#), ["TYPE_CHANGED"]);
}

#[test]
fn combined_type_subschemas_changed() {
    let a = r#"{"anyOf":[{"type":"string"},{"type":"number"}]}"#;
    let b = r#"{"anyOf":[{"type":"string"},{"type":"boolean"}]}"#;
    assert_rule(a, b, "COMBINED_TYPE_SUBSCHEMAS_CHANGED", false);
}

#[test]
fn not_type_extended_and_narrowed() {
    let n = r#"{"not":{"type":"number"}}"#;
    let i = r#"{"not":{"type":"integer"}}"#;
    assert_rule(n, i, "NOT_TYPE_NARROWED", true);
    assert_rule(i, n, "NOT_TYPE_EXTENDED", false);
}

#[test]
fn local_refs_definitions_and_defs() {
    let defs = |t: &str| {
        format!(r##"{{"properties":{{"a":{{"$ref":"#/definitions/A"}}}},"definitions":{{"A":{{"type":"{t}"}}}}}}"##)
    };
    assert_eq!(diffs(&defs("string"), &defs("number")), ["TYPE_CHANGED #/properties/a"]);
    let d2020 = |t: &str| {
        format!(
            r##"{{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{{"a":{{"$ref":"#/$defs/A"}}}},"$defs":{{"A":{{"type":"{t}"}}}}}}"##
        )
    };
    assert_eq!(breaks(&d2020("integer"), &d2020("number")), Vec::<String>::new());
    assert_eq!(breaks(&d2020("number"), &d2020("integer")), ["TYPE_NARROWED"]);
    // Moving an inline schema behind a $ref is not a change.
    assert!(diffs(r#"{"type":"string"}"#, r##"{"$ref":"#/definitions/s","definitions":{"s":{"type":"string"}}}"##)
        .is_empty());
    // `#/$defs/X` finds a body under `definitions` (Confluent's bridging).
    parse(r##"{"properties":{"a":{"$ref":"#/$defs/X"}},"definitions":{"X":{"type":"string"}}}"##);
    // Escaped pointer tokens.
    parse(r##"{"properties":{"a":{"$ref":"#/definitions/a~1b%20c"}},"definitions":{"a/b c":{"type":"string"}}}"##);
}

#[test]
fn refs_by_id_and_anchor() {
    parse(
        r##"{"$id":"http://example.com/root.json","definitions":{"A":{"$id":"#foo","type":"string"}},"properties":{"a":{"$ref":"#foo"}}}"##,
    );
    parse(
        r##"{"$id":"http://example.com/root.json","definitions":{"A":{"$id":"item.json","type":"string"}},"properties":{"a":{"$ref":"item.json"}}}"##,
    );
    parse(
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{"A":{"$anchor":"foo","type":"string"}},"properties":{"a":{"$ref":"#foo"}}}"##,
    );
    assert!(parse_err(r##"{"properties":{"a":{"$ref":"#nope"}}}"##).contains("cannot resolve $ref"));
}

#[test]
fn ref_with_siblings_2020_12_is_an_allof() {
    let s = |t: &str| {
        format!(
            r##"{{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{{"B":{{"type":"object"}}}},"$ref":"#/$defs/B","properties":{{"a":{{"type":"{t}"}}}}}}"##
        )
    };
    assert!(breaks(&s("string"), &s("string")).is_empty());
    assert!(!breaks(&s("string"), &s("number")).is_empty());
    // Draft 7 ignores $ref siblings, like Everit.
    let d7 = |t: &str| {
        format!(
            r##"{{"definitions":{{"B":{{"type":"object"}}}},"$ref":"#/definitions/B","properties":{{"a":{{"type":"{t}"}}}}}}"##
        )
    };
    assert!(breaks(&d7("string"), &d7("number")).is_empty());
}

#[test]
fn registry_references() {
    let address = r#"{"type":"object","properties":{"street":{"type":"string"}}}"#;
    let address2 = r#"{"type":"object","properties":{"street":{"type":"number"}}}"#;
    let customer = r#"{"type":"object","properties":{"address":{"$ref":"address.json"}}}"#;
    let a = JsonSchema::parse(customer, &[("address.json", address)], false).unwrap();
    let b = JsonSchema::parse(customer, &[("address.json", address2)], false).unwrap();
    let found = check_compatibility(&b, &a, true);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].error_type, "TYPE_CHANGED");
    assert!(found[0].description.contains("#/properties/address/properties/street"));
    // Fragment into a referenced document, relative names, transitive references.
    let defs = r#"{"definitions":{"Id":{"type":"string"}}}"#;
    let with_frag = r##"{"properties":{"id":{"$ref":"defs.json#/definitions/Id"}}}"##;
    JsonSchema::parse(with_frag, &[("defs.json", defs)], false).unwrap();
    JsonSchema::parse(r#"{"$ref":"./defs.json"}"#, &[("defs.json", defs)], false).unwrap();
    let mid = r##"{"properties":{"id":{"$ref":"defs.json#/definitions/Id"}}}"##;
    JsonSchema::parse(r#"{"$ref":"mid.json"}"#, &[("defs.json", defs), ("mid.json", mid)], false).unwrap();
    // Absolute names and a root $id.
    let root = r#"{"$id":"https://example.com/schemas/customer.json","properties":{"a":{"$ref":"address.json"}}}"#;
    JsonSchema::parse(root, &[("https://example.com/schemas/address.json", address)], false).unwrap();
    JsonSchema::parse(root, &[("address.json", address)], false).unwrap();
    // Missing or broken references.
    assert!(JsonSchema::parse(customer, &[], false).unwrap_err().0.contains("cannot resolve $ref"));
    assert!(JsonSchema::parse(customer, &[("address.json", "{")], false).is_err());
}
