use super::*;

// --------------------------------------------------------------------------------------------
// Messages
// --------------------------------------------------------------------------------------------

#[test]
fn incompatibility_display_and_words() {
    let old = parse(OBJ_FOO);
    let new = parse(r#"{"type":"object","properties":{"foo":{"type":"number"}}}"#);
    let backward = check_compatibility(&new, &old, true);
    assert_eq!(
            backward[0].to_string(),
            "{errorType:\"TYPE_CHANGED\", description:\"A type at path '#/properties/foo' is different between the new schema and the old schema'}"
        );
    let forward = check_compatibility(&old, &new, false);
    assert_eq!(
        forward[0].description,
        "A type at path '#/properties/foo' is different between the old schema and the new schema"
    );
    let added = check_compatibility(
        &parse(
            r#"{"type":"object","properties":{"foo":{"type":"string"},"x":{}},"required":["x"],"additionalProperties":false}"#,
        ),
        &parse(CLOSED_FOO),
        true,
    );
    assert_eq!(
            added[0].description,
            "The new schema has an unopen content model and has a required property at path '#/properties/x' which is missing in the old schema"
        );
    let open = check_compatibility(
        &parse(r#"{"type":"object","properties":{"foo":{"type":"string"},"x":{"type":"string"}}}"#),
        &old,
        true,
    );
    assert_eq!(open[0].error_type, "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL");
    assert_eq!(
            open[0].description,
            "The new schema has an open content model and has a property or item at path '#/properties/x' which is missing in the old schema"
        );
}

// --------------------------------------------------------------------------------------------
// Canonical string, normalization, name
// --------------------------------------------------------------------------------------------

#[test]
fn canonical_is_compact_and_keeps_key_order() {
    let s = parse("{\n  \"type\" : \"object\",\n  \"properties\" : { \"b\" : {\"type\":\"string\"}, \"a\" : {} },\n  \"$id\" : \"x\"\n}");
    assert_eq!(s.canonical(), r#"{"type":"object","properties":{"b":{"type":"string"},"a":{}},"$id":"x"}"#);
    assert_eq!(parse("true").canonical(), "true");
}

#[test]
fn canonical_numbers_follow_jackson_bigdecimal() {
    let s = parse(
        r#"{"default":[1.0,1e5,1.50E+3,0.0000001,-0,-0.0,123456789012345678901234567890,0.001,12.3400,1E-7,-2.5e-3,10e-1,0e10]}"#,
    );
    assert_eq!(
        s.canonical(),
        r#"{"default":[1.0,1E+5,1.50E+3,1E-7,0,0.0,123456789012345678901234567890,0.001,12.3400,1E-7,-0.0025,1.0,0E+10]}"#
    );
}

#[test]
fn canonical_strings_follow_jackson_escaping() {
    let s = parse(r#"{"description":"a\/b \u001f\t\n\"\\ é \ud83d\ude00 \u2028"}"#);
    assert_eq!(s.canonical(), "{\"description\":\"a/b \\u001F\\t\\n\\\"\\\\ é \u{1F600} \u{2028}\"}");
}

#[test]
fn duplicate_keys_last_value_wins_in_first_position() {
    assert_eq!(
        parse(r#"{"type":"string","title":"a","type":"number"}"#).canonical(),
        r#"{"type":"number","title":"a"}"#
    );
}

#[test]
fn normalize_sorts_keys_recursively() {
    let text = r#"{"type":"object","properties":{"b":{"type":"string","maxLength":1},"a":{}},"$id":"x","enum":[{"z":1,"y":2}]}"#;
    let n = JsonSchema::parse(text, &[], true).unwrap();
    assert_eq!(
        n.canonical(),
        r#"{"$id":"x","enum":[{"y":2,"z":1}],"properties":{"a":{},"b":{"maxLength":1,"type":"string"}},"type":"object"}"#
    );
    // Java orders by UTF-16 code units: U+E000 sorts after the surrogates of U+1F600.
    let n = JsonSchema::parse("{\"\u{E000}\":1,\"\u{1F600}\":2}", &[], true).unwrap();
    assert_eq!(n.canonical(), "{\"\u{1F600}\":2,\"\u{E000}\":1}");
}

#[test]
fn normalized_forms_of_reordered_schemas_with_references_are_equal() {
    let ref1 = r#"{"type":"object","additionalProperties":false,"definitions":{"ExternalType":{"type":"object","properties":{"name":{"type":"string"}},"additionalProperties":false}}}"#;
    let ref2 = r#"{"type":"object","additionalProperties":false,"definitions":{"ExternalType2":{"type":"object","properties":{"name2":{"type":"string"}},"additionalProperties":false}}}"#;
    let one = r##"{"$id": "https://acme.com/referrer.json","$schema": "http://json-schema.org/draft-07/schema#","type":"object","properties":{"Ref1": {"$ref":"ref1.json#/definitions/ExternalType"},"Ref2": {"$ref":"ref2.json#/definitions/ExternalType2"}},"additionalProperties":false}"##;
    let two = r##"{"$schema": "http://json-schema.org/draft-07/schema#","$id": "https://acme.com/referrer.json","type":"object","properties":{"Ref2": {"$ref":"ref2.json#/definitions/ExternalType2"},"Ref1": {"$ref":"ref1.json#/definitions/ExternalType"}},"additionalProperties":false}"##;
    let refs = [("ref1.json", ref1), ("ref2.json", ref2)];
    let a = JsonSchema::parse(one, &refs, true).unwrap();
    let b = JsonSchema::parse(two, &[refs[1], refs[0]], true).unwrap();
    assert_eq!(a.canonical(), b.canonical());
    let a = JsonSchema::parse(one, &refs, false).unwrap();
    let b = JsonSchema::parse(two, &refs, false).unwrap();
    assert_ne!(a.canonical(), b.canonical());
    assert!(check_compatibility(&a, &b, true).is_empty());
    // Confluent's "bad schema" is rejected.
    assert!(parse_err(r#"{"type":"bad-object","properties":{"f1":{"type":"string"}},"additionalProperties":false}"#)
        .contains("type"));
}

#[test]
fn ref_with_read_only_sibling_and_unknown_keywords_compares_equal_to_itself() {
    let s = parse(
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"incidentContext":{"$ref":"#/$defs/IncidentContext"}},"$defs":{"IncidentContext":{"type":"object","properties":{"incidentInvolvedParties":{"type":"array","items":{"$ref":"#/$defs/RelatedPerson"}}}},"RelatedPerson":{"type":"object","properties":{"sanctionsCheckResult":{"readOnly":true,"$ref":"#/$defs/SanctionsCheckResult"}},"discriminator":{"propertyName":"relatedPersonType","mapping":{"NaturalPerson":"#/$defs/NaturalPerson","LegalPerson":"#/$defs/LegalPerson"}}},"NaturalPerson":{"type":"object","allOf":[],"properties":{}},"LegalPerson":{"type":"object","allOf":[],"properties":{}},"SanctionsCheckResult":{"type":"object","properties":{}}}}"##,
    );
    assert!(raw_differences(&s, &s).is_empty());
}

#[test]
fn name_is_root_title() {
    assert_eq!(parse(r#"{"title":"Customer","type":"object"}"#).name(), Some("Customer"));
    assert_eq!(parse(r#"{"type":"object"}"#).name(), None);
    assert_eq!(parse("true").name(), None);
}

// --------------------------------------------------------------------------------------------
// Drafts and validation
// --------------------------------------------------------------------------------------------

#[test]
fn drafts_are_selected_by_schema_keyword() {
    parse(
        r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"number","minimum":1,"exclusiveMinimum":true}"#,
    );
    assert!(parse_err(r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"number","exclusiveMinimum":1}"#)
        .contains("exclusiveMinimum"));
    parse(r#"{"$schema":"http://json-schema.org/draft-06/schema#","type":"number","exclusiveMinimum":1}"#);
    parse(r#"{"$schema":"http://json-schema.org/draft-07/schema#","if":{"type":"string"},"then":{"minLength":1}}"#);
    parse(
        r#"{"$schema":"https://json-schema.org/draft/2019-09/schema","type":"object","unevaluatedProperties":false}"#,
    );
    parse(
        r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}]}"#,
    );
    // Unknown meta-schema URIs fall back to draft-07 (Confluent's default).
    parse(r#"{"$schema":"http://example.com/custom-meta","type":"string"}"#);
    // Draft 4 uses `id`.
    parse(
        r##"{"$schema":"http://json-schema.org/draft-04/schema#","id":"http://x.com/a.json","properties":{"a":{"$ref":"#/definitions/b"}},"definitions":{"b":{}}}"##,
    );
    // Everit accepts empty `required` even where the draft-04 meta-schema does not.
    parse(r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"object","required":[]}"#);
}

#[test]
fn invalid_schemas_are_rejected() {
    assert!(parse_err("").contains("Invalid JSON"));
    assert!(parse_err("{").contains("Invalid JSON"));
    assert!(parse_err("{} trailing").contains("Invalid JSON"));
    assert!(parse_err("[1]").contains("expected an object or boolean"));
    assert!(parse_err("42").contains("expected an object or boolean"));
    assert!(parse_err(r#""string""#).contains("expected an object or boolean"));
    assert!(parse_err(r#"{"type":"strin"}"#).contains("#/type"));
    assert!(parse_err(r#"{"minLength":-1}"#).contains("#/minLength"));
    assert!(parse_err(r#"{"properties":{"a":1}}"#).contains("Invalid JSON schema"));
    assert!(parse_err(r#"{"type":"string","pattern":"[unclosed"}"#).contains("pattern"));
    assert!(parse_err(r#"{"multipleOf":0}"#).contains("multipleOf"));
    assert!(parse_err(r#"{"$schema":5}"#).contains("$schema"));
    assert!(parse_err(r##"{"$ref":"#/definitions/missing"}"##).contains("cannot resolve"));
    assert!(parse_err(r#"{"$ref":"http://example.com/remote.json"}"#).contains("cannot resolve"));
    assert!(parse_err("{\"a\":\"\\ud800\"}").contains("surrogate"));
    assert!(parse_err("{\"a\":\"x\u{1}\"}").contains("control"));
    assert!(parse_err(r#"{"a":01}"#).contains("leading zeros"));
    assert!(parse_err(r#"{"a":NaN}"#).contains("Invalid JSON"));
}

#[test]
fn json_schema_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<JsonSchema>();
    let s = parse(OBJ_FOO);
    let c = s.clone();
    assert!(Arc::ptr_eq(&s.inner, &c.inner));
}

// --------------------------------------------------------------------------------------------
// Hostile input
// --------------------------------------------------------------------------------------------

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}{}", "{\"not\":".repeat(100_000), "}".repeat(100_000));
    assert!(parse_err(&deep).contains("nesting deeper"));
    let deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
    assert!(parse_err(&deep).contains("nesting deeper"));
    // The deepest accepted nesting parses, validates and compares without trouble.
    let nested = |leaf: &str| {
        let mut s = format!(r#"{{"type":"{leaf}"}}"#);
        for _ in 0..(MAX_JSON_DEPTH / 2 - 1) {
            s = format!(r#"{{"properties":{{"a":{s}}}}}"#);
        }
        s
    };
    assert_eq!(breaks(&nested("string"), &nested("number")), ["TYPE_CHANGED"]);
    let mut nots = String::from("{}");
    for _ in 0..(MAX_JSON_DEPTH - 1) {
        nots = format!(r#"{{"not":{nots}}}"#);
    }
    assert!(breaks(&nots, &nots).is_empty());
}

#[test]
fn ref_cycles_terminate() {
    let cycles = [
        r##"{"$ref":"#"}"##,
        r##"{"$ref":"#/definitions/a","definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/a"}}}"##,
        r##"{"type":"object","properties":{"child":{"$ref":"#"},"list":{"type":"array","items":{"$ref":"#"}}}}"##,
        r##"{"oneOf":[{"type":"null"},{"type":"object","properties":{"next":{"$ref":"#"}}}]}"##,
    ];
    for text in cycles {
        let s = parse(text);
        assert!(check_compatibility(&s, &s, true).is_empty(), "{text}");
    }
    // A real change deep inside a recursive structure is still found.
    let list = |t: &str| {
        format!(
            r##"{{"definitions":{{"node":{{"type":"object","properties":{{"v":{{"type":"{t}"}},"next":{{"oneOf":[{{"type":"null"}},{{"$ref":"#/definitions/node"}}]}}}}}}}},"$ref":"#/definitions/node"}}"##
        )
    };
    assert!(breaks(&list("string"), &list("number")).contains(&"TYPE_CHANGED".to_string()));
    assert!(breaks(&list("integer"), &list("number")).is_empty());
}

#[test]
fn recursive_oneof_memoization_does_not_mask_incompatibility() {
    // T0 and T1 carry an `id` and a `ref` through a singleton oneOf; T0 -> T2 -> T0 is a cycle.
    let schema = |t0: &str, t1: &str| {
        let obj = |id: &str, next: &str| {
            format!(
                r##"{{"type":"object","properties":{{"id":{{"type":"{id}"}},"ref":{{"oneOf":[{{"$ref":"#/definitions/{next}"}}]}}}}}}"##
            )
        };
        format!(
            r##"{{"definitions":{{"T0":{},"T1":{},"T2":{}}},"oneOf":[{{"$ref":"#/definitions/T0"}},{{"$ref":"#/definitions/T1"}}]}}"##,
            obj(t0, "T2"),
            obj(t1, "T2"),
            obj("string", "T0")
        )
    };
    assert!(!breaks(&schema("integer", "boolean"), &schema("boolean", "number")).is_empty());
    assert!(breaks(&schema("integer", "boolean"), &schema("integer", "boolean")).is_empty());
}

#[test]
fn circular_oneof_schemas_compare_quickly() {
    let schema = |branches: usize, props: usize, id_type: &str| {
        let mut defs = vec![
            format!(r#""SimpleId":{{"type":"object","properties":{{"id":{{"type":"{id_type}"}}}},"required":["id"]}}"#),
            r#""Base":{"type":"object","properties":{"name":{"type":"string"}}}"#.to_string(),
            r##""ProductOrId":{"oneOf":[{"$ref":"#/$defs/SimpleId"},{"$ref":"#/$defs/Product"}]}"##.to_string(),
        ];
        for i in 0..branches {
            let refs: Vec<String> =
                (0..props).map(|p| format!(r##""ref{p}":{{"$ref":"#/$defs/ProductOrId"}}"##)).collect();
            defs.push(format!(
                    r##""Type{i}":{{"$ref":"#/$defs/Base","type":"object","properties":{{{},"tag":{{"type":"string","const":"type{i}"}}}},"required":["ref0","tag"]}}"##,
                    refs.join(",")
                ));
        }
        let branches: Vec<String> = (0..branches).map(|i| format!(r##"{{"$ref":"#/$defs/Type{i}"}}"##)).collect();
        defs.push(format!(r#""Product":{{"oneOf":[{}]}}"#, branches.join(",")));
        format!(
            r##"{{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{{{}}},"$ref":"#/$defs/Product"}}"##,
            defs.join(",")
        )
    };
    let start = std::time::Instant::now();
    assert!(breaks(&schema(12, 5, "string"), &schema(12, 5, "string")).is_empty());
    assert!(!breaks(&schema(12, 5, "string"), &schema(12, 5, "number")).is_empty());
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn long_ref_chains_parse_and_abort_comparison_cleanly() {
    let chain = |n: usize, leaf: &str| {
        let mut defs: Vec<String> = (0..n)
            .map(|i| {
                format!(r##""A{i}":{{"type":"object","properties":{{"x":{{"$ref":"#/definitions/A{}"}}}}}}"##, i + 1)
            })
            .collect();
        defs.push(format!(r#""A{n}":{{"type":"{leaf}"}}"#));
        format!(r##"{{"$ref":"#/definitions/A0","definitions":{{{}}}}}"##, defs.join(","))
    };
    assert_eq!(breaks(&chain(100, "string"), &chain(100, "number")), ["TYPE_CHANGED"]);
    assert_eq!(breaks(&chain(5000, "string"), &chain(5000, "string")), ["COMPATIBILITY_CHECK_ABORTED"]);
}

#[test]
fn huge_numbers_are_bounded() {
    assert!(parse_err(r#"{"maximum":1e99999999999}"#).contains("exponent"));
    assert!(parse_err(&format!(r#"{{"maximum":{}}}"#, "9".repeat(1001))).contains("longer than"));
    let big = format!(r#"{{"type":"number","maximum":{}}}"#, "9".repeat(999));
    let s = parse(&big);
    assert!(s.canonical().contains(&"9".repeat(999)));
    let s2 = parse(r#"{"type":"number","maximum":1e308,"minimum":-1e400,"multipleOf":1e-300}"#);
    assert!(check_compatibility(&s2, &s, true).iter().all(|i| i.error_type != "COMPATIBILITY_CHECK_ABORTED"));
    assert_eq!(parse(r#"{"default":1e999999999}"#).canonical(), r#"{"default":1E+999999999}"#);
}

#[test]
fn pathological_patterns_do_not_hang() {
    let s = r#"{"type":"object","properties":{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!":{"type":"string"}},"additionalProperties":false}"#;
    let u = r#"{"type":"object","additionalProperties":false,"patternProperties":{"^(a+)+$":{"type":"string"}}}"#;
    assert_eq!(breaks(s, u), ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"]);
}

#[test]
fn wide_schemas_are_fine() {
    let props: Vec<String> = (0..5000).map(|i| format!(r#""p{i}":{{"type":"string"}}"#)).collect();
    let text = format!(r#"{{"type":"object","properties":{{{}}}}}"#, props.join(","));
    let s = parse(&text);
    assert!(check_compatibility(&s, &s, true).is_empty());
    let values: Vec<String> = (0..50000).map(|i| format!(r#""v{i}""#)).collect();
    let e = parse(&format!(r#"{{"enum":[{}]}}"#, values.join(",")));
    assert!(check_compatibility(&e, &e, true).is_empty());
    let branches: Vec<String> = (0..2000).map(|i| format!(r#"{{"const":{i}}}"#)).collect();
    let wide = parse(&format!(r#"{{"oneOf":[{}]}}"#, branches.join(",")));
    assert_eq!(
        check_compatibility(&wide, &wide, true).into_iter().map(|i| i.error_type).collect::<Vec<_>>(),
        ["COMPATIBILITY_CHECK_ABORTED"]
    );
    let many_keys: Vec<String> = (0..20000).map(|i| format!(r#""k{i}":{i}"#)).collect();
    parse(&format!(r#"{{"default":{{{}}}}}"#, many_keys.join(",")));
}

#[test]
fn fragments_are_percent_decoded() {
    assert_eq!(percent_decode("/$defs/a%20b%7E%2Fc"), "/$defs/a b~/c");
    assert_eq!(percent_decode("%C3%A9%e9"), "é\u{fffd}");
    for as_written in ["%", "%4", "%zz", "a%+1", "100%"] {
        assert_eq!(percent_decode(as_written), as_written);
    }
    let s = parse(r##"{"$defs":{"a b":{"type":"string"}},"properties":{"x":{"$ref":"#/$defs/a%20b"}}}"##);
    let t = parse(r##"{"$defs":{"a b":{"type":"integer"}},"properties":{"x":{"$ref":"#/$defs/a%20b"}}}"##);
    assert!(check_compatibility(&t, &s, true).iter().any(|i| i.error_type == "TYPE_CHANGED"));
}

#[test]
fn references_resolve_as_rfc_3986_section_5_4_says() {
    let base = "http://a/b/c/d;p?q";
    for (reference, want) in [
        ("g:h", "g:h"),
        ("g", "http://a/b/c/g"),
        ("./g", "http://a/b/c/g"),
        ("g/", "http://a/b/c/g/"),
        ("/g", "http://a/g"),
        ("//g", "http://g"),
        ("?y", "http://a/b/c/d;p?y"),
        ("g?y", "http://a/b/c/g?y"),
        ("#s", "http://a/b/c/d;p?q#s"),
        ("g#s", "http://a/b/c/g#s"),
        (";x", "http://a/b/c/;x"),
        ("", "http://a/b/c/d;p?q"),
        (".", "http://a/b/c/"),
        ("..", "http://a/b/"),
        ("../g", "http://a/b/g"),
        ("../../g", "http://a/g"),
        ("../../../g", "http://a/g"),
        ("/./g", "http://a/g"),
        ("g.", "http://a/b/c/g."),
        ("./../g", "http://a/b/g"),
        ("g/../h", "http://a/b/c/h"),
        ("g;x=1/../y", "http://a/b/c/y"),
        ("http:g", "http:g"),
    ] {
        assert_eq!(resolve_uri(base, reference), want, "{reference}");
    }
    assert_eq!(resolve_uri("mem://input/", "other.json#/a"), "mem://input/other.json#/a");
}
