mod misc;
mod rules;

use super::*;

const OBJ_FOO: &str = r#"{"type":"object","properties":{"foo":{"type":"string"}}}"#;
const CLOSED_FOO: &str = r#"{"type":"object","properties":{"foo":{"type":"string"}},"additionalProperties":false}"#;

fn parse(text: &str) -> JsonSchema {
    match JsonSchema::parse(text, &[], false) {
        Ok(s) => s,
        Err(e) => panic!("{text}: {e}"),
    }
}

fn parse_err(text: &str) -> String {
    match JsonSchema::parse(text, &[], false) {
        Ok(_) => panic!("accepted: {text}"),
        Err(e) => e.0,
    }
}

/// Every difference from `original` to `update`, as sorted `TYPE #/path` strings.
fn diffs(original: &str, update: &str) -> Vec<String> {
    let mut v: Vec<String> =
        raw_differences(&parse(original), &parse(update)).into_iter().map(|(t, p)| format!("{t} {p}")).collect();
    v.sort();
    v
}

/// Error types breaking BACKWARD compatibility of `update` (reader) with `original` (writer).
fn breaks(original: &str, update: &str) -> Vec<String> {
    check_compatibility(&parse(update), &parse(original), true).into_iter().map(|i| i.error_type).collect()
}

fn breaks_lenient(original: &str, update: &str) -> Vec<String> {
    check_compatibility_with_policy(&parse(update), &parse(original), true, true)
        .into_iter()
        .map(|i| i.error_type)
        .collect()
}

/// Asserts `rule` is reported and whether the change is compatible (STRICT).
fn assert_rule(original: &str, update: &str, rule: &str, compatible: bool) {
    let all = diffs(original, update);
    assert!(all.iter().any(|d| d.split(' ').next() == Some(rule)), "{rule} not in {all:?}");
    assert_eq!(breaks(original, update).is_empty(), compatible, "{all:?}");
}

// --------------------------------------------------------------------------------------------
// Confluent's published examples
// --------------------------------------------------------------------------------------------

/// Confluent's published diff examples (json-schema-provider test resources), draft-07 and combined, one
/// per line: `original || update || reported differences (;-separated) || compatible STRICT, LENIENT`.
const CONFLUENT_CASES: &str = r##"
{"properties":{}} || {} ||  || + +
{"$id":"something"} || {"$id":"something_else"} || ID_CHANGED #/ || + +
{"title":"something"} || {"title":"something_else"} || TITLE_CHANGED #/ || + +
{"description":"something"} || {"description":"something_else"} || DESCRIPTION_CHANGED #/ || + +
{"type":"object"} || {"type":"array"} || TYPE_CHANGED #/ || - -
{"type":"string","minLength":10} || {"type":"string","minLength":11} || MIN_LENGTH_INCREASED #/minLength || - -
{"type":"string","minLength":11} || {"type":"string","minLength":10} || MIN_LENGTH_DECREASED #/minLength || + +
{"type":"string","maxLength":10} || {"type":"string","maxLength":12} || MAX_LENGTH_INCREASED #/maxLength || + +
{"type":"string","maxLength":12} || {"type":"string","maxLength":10} || MAX_LENGTH_DECREASED #/maxLength || - -
{"type":"string","pattern":"uuid"} || {"type":"string"} || PATTERN_REMOVED #/pattern || + +
{"type":"string","pattern":"date-time"} || {"type":"string","pattern":"uuid"} || PATTERN_CHANGED #/pattern || - -
{"type":"string","pattern":"date-time"} || {"type":"string","pattern":"date-time"} ||  || + +
{"type":"number","maximum":10} || {"type":"number"} || MAXIMUM_REMOVED #/maximum || + +
{"type":"number","maximum":10} || {"type":"number","maximum":11} || MAXIMUM_INCREASED #/maximum || + +
{"type":"number","maximum":11} || {"type":"number","maximum":10} || MAXIMUM_DECREASED #/maximum || - -
{"type":"number","minimum":10} || {"type":"number"} || MINIMUM_REMOVED #/minimum || + +
{"type":"number","minimum":10} || {"type":"number","minimum":11} || MINIMUM_INCREASED #/minimum || - -
{"type":"number","minimum":11} || {"type":"number","minimum":10} || MINIMUM_DECREASED #/minimum || + +
{"type":"number","multipleOf":10} || {"type":"number"} || MULTIPLE_OF_REMOVED #/multipleOf || + +
{"type":"number","multipleOf":10} || {"type":"number","multipleOf":2} || MULTIPLE_OF_REDUCED #/multipleOf || + +
{"type":"number","multipleOf":10} || {"type":"number","multipleOf":11} || MULTIPLE_OF_CHANGED #/multipleOf || - -
{"type":"number"} || {"type":"integer"} || TYPE_NARROWED #/ || - -
{"type":"integer"} || {"type":"number"} || TYPE_EXTENDED #/ || + +
{"not":{"type":"number"}} || {"not":{"type":"integer"}} || NOT_TYPE_NARROWED #/not || + +
{"not":{"type":"integer"}} || {"not":{"type":"number"}} || NOT_TYPE_EXTENDED #/not || - -
{"type":"string","enum":["red"]} || {"type":"string"} || PRODUCT_TYPE_NARROWED #/ || + +
{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"foo":{"const":"red"}}} || {"$schema":"http://json-schema.org/draft-07/schema#","properties":{"foo":{"const":"blue"}}} || ENUM_ARRAY_CHANGED #/properties/foo/const || - -
{"allOf":[{"type":"string"},{"enum":["red"]}]} || {"allOf":[{"type":"string"},{"enum":["blue"]}]} || COMBINED_TYPE_SUBSCHEMAS_CHANGED #/ || - -
{"allOf":[{"type":"string"},{"enum":["red"]}]} || {"allOf":[{"enum":["red","blue"]},{"type":"string"}]} || ENUM_ARRAY_EXTENDED #/allOf/1/enum || + +
{"type":["object"]} || {"type":["object","array"]} || SUM_TYPE_EXTENDED #/ || + +
{"oneOf":[{"type":"string"}]} || {"oneOf":[{"type":"number"}]} || COMBINED_TYPE_SUBSCHEMAS_CHANGED #/ || - -
{"oneOf":[{"type":"string"}]} || {"oneOf":[{"type":"number"},{"type":"string"}]} || SUM_TYPE_EXTENDED #/ || + +
{"properties":{"foo":{"type":"string"}}} || {"properties":{"bar":{"type":"string"}}} || OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/bar; PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL #/properties/foo || - +
{"properties":{"foo":{"type":"string"}}} || {"properties":{"foo":{"type":"number"}}} || TYPE_CHANGED #/properties/foo || - -
{"properties":{"foo":{"type":"string"}},"additionalProperties":false} || {"properties":{"foo":{"type":"string"},"bar":{"type":"number"}},"additionalProperties":false} || OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/bar || + +
{"properties":{"foo":{"type":"string"}},"additionalProperties":false,"patternProperties":{"^S_":{"type":"string"},"^I_":{"type":"integer"}}} || {"properties":{"foo":{"type":"string"},"I_123":{"type":"number"}},"additionalProperties":false,"patternProperties":{"^S_":{"type":"string"},"^I_":{"type":"integer"}}} || TYPE_EXTENDED #/properties/I_123; PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/I_123; OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/I_123 || + +
{"properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || {"properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"additionalProperties":{"type":"string"}} || PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/bar; OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/bar || + +
{"properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || {"properties":{"foo":{"type":"string"},"bar":{"type":"number"}},"additionalProperties":{"type":"string"}} || TYPE_CHANGED #/properties/bar; PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/bar; OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/bar || - -
{"properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || {"properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"required":["bar"],"additionalProperties":{"type":"string"}} || PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/bar; REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/bar || - -
{"properties":{"foo":{"type":"string"},"I_123":{"type":"integer"}},"additionalProperties":false} || {"properties":{"foo":{"type":"string"}},"additionalProperties":false,"patternProperties":{"^S_":{"type":"string"},"^I_":{"type":"number"}}} || TYPE_EXTENDED #/properties/I_123; PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/I_123 || + +
{"properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"additionalProperties":false} || {"properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/bar; ADDITIONAL_PROPERTIES_ADDED #/additionalProperties || + +
{"properties":{"foo":{"type":"string"},"bar":{"type":"number"}},"additionalProperties":false} || {"properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || TYPE_CHANGED #/properties/bar; PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/bar; ADDITIONAL_PROPERTIES_ADDED #/additionalProperties || - -
{"properties":{"foo":{"type":"string"},"bar":{"oneOf":[{"type":"null"},{"type":"string"}]}},"additionalProperties":false} || {"properties":{"foo":{"type":"string"}},"additionalProperties":{"oneOf":[{"type":"null"},{"type":"string"}]}} || PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/bar; ADDITIONAL_PROPERTIES_ADDED #/additionalProperties || + +
{"properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"additionalProperties":false} || {"properties":{"foo":{"type":"string"}},"additionalProperties":{"oneOf":[{"type":"null"},{"type":"string"}]}} || SUM_TYPE_EXTENDED #/properties/bar; PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/bar; ADDITIONAL_PROPERTIES_ADDED #/additionalProperties || + +
{"properties":{"foo":{"type":"string"}}} || {"properties":{"foo":{"type":"string"},"bar":{"type":"number"}}} || OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/bar || - +
{"oneOf":[{"properties":{"foo":{"type":"string"}}}]} || {"oneOf":[{"properties":{"foo":{"type":"number"}}}]} || COMBINED_TYPE_SUBSCHEMAS_CHANGED #/ || - -
{"oneOf":[{"type":"string"}]} || {"allOf":[{"type":"string"}]} || COMBINED_TYPE_EXTENDED #/ || + +
{"oneOf":[{"type":"string"},{"type":"integer"}]} || {"allOf":[{"type":"string"}]} || COMBINED_TYPE_CHANGED #/ || - -
{"properties":{"foo":{"type":"number"},"bar":{"type":"string"}},"dependencies":{"foo":["bar"]}} || {"properties":{"foo":{"type":"number"},"bar":{"type":"string"}},"dependencies":{"bar":["foo"]}} || DEPENDENCY_ARRAY_ADDED #/dependencies/bar; DEPENDENCY_ARRAY_REMOVED #/dependencies/foo || - -
{"dependencies":{"foo":{"type":"string"},"bar":{"type":"string"}}} || {"dependencies":{"foo":{"type":"string"}}} || DEPENDENCY_SCHEMA_REMOVED #/dependencies/bar || + +
{"dependencies":{"foo":{"type":"string"}}} || {"dependencies":{}} || DEPENDENCY_SCHEMA_REMOVED #/dependencies/foo || + +
{"dependencies":{"foo":{"type":"string"}}} || {"dependencies":{"foo":{"type":"number"}}} || TYPE_CHANGED #/dependencies/foo || - -
{"dependencies":{"foo":{"type":"string"}}} || {"dependencies":{"bar":{"type":"string"}}} || DEPENDENCY_SCHEMA_ADDED #/dependencies/bar; DEPENDENCY_SCHEMA_REMOVED #/dependencies/foo || - -
{"properties":{"foo":{"type":"string"}},"required":["foo"]} || {"properties":{"foo":{"type":"string"}}} || REQUIRED_ATTRIBUTE_REMOVED #/required/foo || + +
{"properties":{"foo":{"type":"string"}}} || {"properties":{"foo":{"type":"string"}},"required":["foo"]} || REQUIRED_ATTRIBUTE_ADDED #/required/foo || - -
{"properties":{"foo":{"type":"string"}},"required":["foo"]} || {"properties":{"foo":{"type":"string"}},"required":["bar"]} || REQUIRED_ATTRIBUTE_REMOVED #/required/foo || + +
{"properties":{},"maxProperties":1} || {"properties":{}} || MAX_PROPERTIES_REMOVED #/maxProperties || + +
{"maxProperties":1} || {"maxProperties":2} || MAX_PROPERTIES_INCREASED #/maxProperties || + +
{"maxProperties":2} || {"maxProperties":1} || MAX_PROPERTIES_DECREASED #/maxProperties || - -
{"properties":{},"minProperties":2} || {"properties":{}} || MIN_PROPERTIES_REMOVED #/minProperties || + +
{"minProperties":1} || {"minProperties":2} || MIN_PROPERTIES_INCREASED #/minProperties || - -
{"minProperties":2} || {"minProperties":1} || MIN_PROPERTIES_DECREASED #/minProperties || + +
{"type":"array"} || {"type":"array","items":{"type":"string"}} || SCHEMA_ADDED #/items || - -
{"type":"array","items":{"type":"string"}} || {"type":"array"} || SCHEMA_REMOVED #/items || + +
{"type":"array","items":[{"type":"string"},{"type":"number"}]} || {"type":"array"} || ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL #/items/0; ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL #/items/1 || + +
{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":{"type":"string"}} || {"type":"array","items":[{"type":"string"},{"type":"number"},{"type":"string"}],"additionalItems":{"type":"string"}} || ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/items/2 || + +
{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":{"type":"string"}} || {"type":"array","items":[{"type":"string"},{"type":"number"},{"type":"number"}],"additionalItems":{"type":"string"}} || TYPE_CHANGED #/items/2; ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/items/2 || - -
{"type":"array","items":[{"type":"string"},{"type":"number"},{"type":"string"}],"additionalItems":{"type":"string"}} || {"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":{"type":"string"}} || ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/items/2 || + +
{"type":"array","items":[{"type":"string"},{"type":"number"},{"oneOf":[{"type":"null"},{"type":"string"}]}],"additionalItems":{"oneOf":[{"type":"null"},{"type":"string"}]}} || {"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":{"oneOf":[{"type":"null"},{"type":"string"}]}} || ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/items/2 || + +
{"type":"array","items":[{"type":"string"},{"type":"number"},{"type":"number"}],"additionalItems":{"type":"string"}} || {"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":{"type":"string"}} || TYPE_CHANGED #/items/2; ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/items/2 || - -
{"type":"array","items":[{"type":"string"}]} || {"type":"array","items":[{"type":"number"}]} || TYPE_CHANGED #/items/0 || - -
{"type":"array","maxItems":2} || {"type":"array","maxItems":1} || MAX_ITEMS_DECREASED #/maxItems || - -
{"type":"array","minItems":1} || {"type":"array"} || MIN_ITEMS_REMOVED #/minItems || + +
{"type":"array","minItems":1} || {"type":"array","minItems":2} || MIN_ITEMS_INCREASED #/minItems || - -
{"type":"array","minItems":2} || {"type":"array","minItems":1} || MIN_ITEMS_DECREASED #/minItems || + +
{"type":"array","uniqueItems":true} || {"type":"array"} || UNIQUE_ITEMS_REMOVED #/uniqueItems || + +
{"type":"array","items":{"$ref":"#/definitions/someRef"},"definitions":{"someRef":{"type":"string"}}} || {"type":"array","items":{"$ref":"#/definitions/someRef"},"definitions":{"someRef":{"type":"number"}}} || TYPE_CHANGED #/items || - -
{"type":"string"} || {"$ref":"#/definitions/someRef","definitions":{"someRef":{"type":"string"}}} ||  || + +
{"$ref":"#/definitions/someRef","definitions":{"someRef":{"type":"string"}}} || {"type":"string"} ||  || + +
{"properties":{},"additionalProperties":false} || {"properties":{}} || ADDITIONAL_PROPERTIES_ADDED #/additionalProperties || + +
{"additionalProperties":true} || {"additionalProperties":false} || ADDITIONAL_PROPERTIES_REMOVED #/additionalProperties || - +
{"additionalProperties":true} || {"additionalProperties":{"type":"number"}} || ADDITIONAL_PROPERTIES_NARROWED #/additionalProperties || - +
{"additionalProperties":true} || {"additionalProperties":true,"properties":{"foo":true}} || PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL #/properties/foo || + +
{"additionalProperties":true,"properties":{"foo":true}} || {"additionalProperties":true} || PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL #/properties/foo || + +
{"additionalProperties":false} || {"additionalProperties":false,"properties":{"foo":false}} || OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/foo || + +
{"additionalProperties":false,"properties":{"foo":false}} || {"additionalProperties":false} || PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/foo || + +
{"additionalProperties":{"type":"string"}} || {"additionalProperties":{"type":"number"}} || TYPE_CHANGED #/additionalProperties || - -
{"additionalItems":true} || {"additionalItems":false} || ADDITIONAL_ITEMS_REMOVED #/additionalItems || - -
{"additionalItems":{"type":"string"}} || {"additionalItems":{"type":"number"}} || TYPE_CHANGED #/additionalItems || - -
{"type":"array","additionalItems":true,"items":[{"type":"number"}]} || {"type":"array","additionalItems":true,"items":[{"type":"number"},true]} || ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL #/items/1 || + +
{"type":"array","additionalItems":true,"items":[{"type":"number"},true]} || {"type":"array","additionalItems":true,"items":[{"type":"number"}]} || ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL #/items/1 || + +
{"type":"array","additionalItems":false,"items":[{"type":"number"}]} || {"type":"array","additionalItems":false,"items":[{"type":"number"},false]} || ITEM_ADDED_TO_CLOSED_CONTENT_MODEL #/items/1 || + +
{"type":"array","additionalItems":false,"items":[{"type":"number"},false]} || {"type":"array","additionalItems":false,"items":[{"type":"number"}]} || ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL #/items/1 || + +
{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":false} || {"type":"array","items":[{"type":"string"},{"type":"number"},{"type":"boolean"}],"additionalItems":true} || ITEM_ADDED_TO_CLOSED_CONTENT_MODEL #/items/2; ADDITIONAL_ITEMS_ADDED #/additionalItems || + +
{"type":"array","items":[{"type":"string"},{"type":"number"},{"type":"boolean"}],"additionalItems":false} || {"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":true} || ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL #/items/2; ADDITIONAL_ITEMS_ADDED #/additionalItems || + +
{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":true} || {"type":"array","items":[{"type":"string"}],"additionalItems":true} || ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL #/items/1 || + +
{"type":"array","items":[{"type":"string"}],"additionalItems":false} || {"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":false} || ITEM_ADDED_TO_CLOSED_CONTENT_MODEL #/items/1 || + +
{"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":false} || {"type":"array","items":[{"type":"string"}],"additionalItems":{"type":"number"}} || ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/items/1; ADDITIONAL_ITEMS_ADDED #/additionalItems || + +
{"type":"array","items":[{"type":"string"}],"additionalItems":{"type":"number"}} || {"type":"array","items":[{"type":"string"},{"type":"number"}],"additionalItems":true} || ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/items/1; ADDITIONAL_ITEMS_EXTENDED #/additionalItems || + +
{"type":"string"} || {"oneOf":[{"type":"number"},{"type":"string"}]} || SUM_TYPE_EXTENDED #/ || + +
{"type":"null"} || {"oneOf":[{"type":"number"},{"type":"null"}]} || SUM_TYPE_EXTENDED #/ || + +
{"oneOf":[{"type":"number"}]} || {"oneOf":[{"type":"string"},{"type":"number"}]} || SUM_TYPE_EXTENDED #/ || + +
{"type":"string","maxLength":3} || {"oneOf":[{"type":"number"},{"type":"string"}]} || MAX_LENGTH_REMOVED #/maxLength; SUM_TYPE_EXTENDED #/ || + +
{"properties":{"foo":{"type":"string"}},"additionalProperties":false} || {"properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"additionalProperties":false} || OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/bar || + +
{"type":"object","properties":{"prop1":{"allOf":[{"enum":["one","two","three"]},{"type":"string"},{"maxLength":5}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"maxLength":5},{"enum":["one","two","three"]},{"type":"string"}]}}} ||  || + +
{"type":"object","properties":{"prop1":{"allOf":[{"enum":["one","two","three"]},{"type":"string"},{"maxLength":5}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"maxLength":5},{"enum":["one","two","three"]},{"type":"number"}]}}} || COMBINED_TYPE_SUBSCHEMAS_CHANGED #/properties/prop1 || - -
{"type":"object","properties":{"prop1":{"allOf":[{"type":"string"},{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} ||  || + +
{"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"string"},{"type":"string"}]}}} ||  || + +
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || SUM_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"boolean"},{"type":"number"},{"type":"string"}]}}} || SUM_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"string","maxLength":5}]}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"boolean"},{"type":"number"},{"title":"my string","type":"string","maxLength":8}]}}} || SUM_TYPE_EXTENDED #/properties/prop1; TITLE_CHANGED #/properties/prop1/oneOf/0; MAX_LENGTH_INCREASED #/properties/prop1/oneOf/0/maxLength || + +
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || SUM_TYPE_NARROWED #/properties/prop1 || - -
{"type":"object","properties":{"prop1":{"allOf":[{"enum":["one","two","three"]},{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || PRODUCT_TYPE_NARROWED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"enum":["one","two","three"]},{"type":"string"}]}}} || PRODUCT_TYPE_EXTENDED #/properties/prop1 || - -
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"anyOf":[{"type":"number"},{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1; SUM_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1; SUM_TYPE_NARROWED #/properties/prop1 || - -
{"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"anyOf":[{"type":"number"},{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1; SUM_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"allOf":[{"type":"number"},{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1; PRODUCT_TYPE_NARROWED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1; SUM_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"anyOf":[{"type":"number"},{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || COMBINED_TYPE_CHANGED #/properties/prop1 || - -
{"type":"object","properties":{"prop1":{"allOf":[{"type":"number"}]}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1; SUM_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"allOf":[{"type":"number"},{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1; PRODUCT_TYPE_NARROWED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || COMBINED_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"number"},{"type":"string"}]}}} || COMBINED_TYPE_CHANGED #/properties/prop1 || - -
{"type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"number"},{"type":"string"}]}}} || COMBINED_TYPE_CHANGED #/properties/prop1 || - -
{"type":"object","properties":{"prop1":{"type":"string"}}} || {"type":"object","properties":{"prop1":{"anyOf":[{"type":"number"},{"type":"string"}]}}} || SUM_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"type":"string"}}} || {"type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || SUM_TYPE_EXTENDED #/properties/prop1 || + +
{"type":"object","properties":{"prop1":{"type":"string"}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} ||  || + +
{"type":"object","properties":{"prop1":{"type":"string"}}} || {"type":"object","properties":{"prop1":{"allOf":[{"type":"number"},{"type":"string"}]}}} || TYPE_CHANGED #/properties/prop1 || - -
"##;

/// The 2020-12 variants (differences not compared: only the verdicts).
const CONFLUENT_CASES_2020_12: &str = r##"
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{}} || {"$schema":"https://json-schema.org/draft/2020-12/schema"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"something"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"something_else"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"something"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","title":"something_else"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","description":"something"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","description":"something_else"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array"} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","minLength":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","minLength":11} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","minLength":11} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","minLength":10} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","maxLength":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","maxLength":12} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","maxLength":12} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","maxLength":10} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","pattern":"uuid"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","pattern":"date-time"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","pattern":"uuid"} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","pattern":"date-time"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","pattern":"date-time"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","maximum":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","maximum":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","maximum":11} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","maximum":11} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","maximum":10} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","minimum":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","minimum":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","minimum":11} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","minimum":11} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","minimum":10} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","multipleOf":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","multipleOf":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","multipleOf":2} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","multipleOf":10} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number","multipleOf":11} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"integer"} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"integer"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"number"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","not":{"type":"number"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","not":{"type":"integer"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","not":{"type":"integer"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","not":{"type":"number"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","allOf":[{"type":"string"},{"enum":["red"]}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","allOf":[{"type":"string"},{"enum":["blue"]}]} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","allOf":[{"type":"string"},{"enum":["red"]}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","allOf":[{"enum":["red","blue"]},{"type":"string"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":["object"]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":["object","array"]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"string"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"number"}]} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"string"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"number"},{"type":"string"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"bar":{"type":"string"}}} || * || - +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"number"}}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"number"}},"additionalProperties":false} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"unevaluatedProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"number"}},"unevaluatedProperties":false} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":false,"patternProperties":{"^S_":{"type":"string"},"^I_":{"type":"integer"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"I_123":{"type":"number"}},"additionalProperties":false,"patternProperties":{"^S_":{"type":"string"},"^I_":{"type":"integer"}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"additionalProperties":{"type":"string"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"unevaluatedProperties":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"unevaluatedProperties":{"type":"string"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"number"}},"additionalProperties":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"unevaluatedProperties":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"number"}},"unevaluatedProperties":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"required":["bar"],"additionalProperties":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"unevaluatedProperties":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"required":["bar"],"unevaluatedProperties":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"I_123":{"type":"integer"}},"additionalProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":false,"patternProperties":{"^S_":{"type":"string"},"^I_":{"type":"number"}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"additionalProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"number"}},"additionalProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"oneOf":[{"type":"null"},{"type":"string"}]}},"additionalProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":{"oneOf":[{"type":"null"},{"type":"string"}]}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"string"}},"additionalProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"additionalProperties":{"oneOf":[{"type":"null"},{"type":"string"}]}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"},"bar":{"type":"number"}}} || * || - +
{"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"properties":{"foo":{"type":"string"}}}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"properties":{"foo":{"type":"number"}}}]} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"string"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","allOf":[{"type":"string"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"string"},{"type":"integer"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","allOf":[{"type":"string"}]} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"number"},"bar":{"type":"string"}},"dependentRequired":{"foo":["bar"]}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"number"},"bar":{"type":"string"}},"dependentRequired":{"bar":["foo"]}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","dependentSchemas":{"foo":{"type":"string"},"bar":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","dependentSchemas":{"foo":{"type":"string"}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","dependentSchemas":{"foo":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","dependentSchemas":{}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","dependentSchemas":{"foo":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","dependentSchemas":{"foo":{"type":"number"}}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","dependentSchemas":{"foo":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","dependentSchemas":{"bar":{"type":"string"}}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"required":["foo"]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"required":["foo"]} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"required":["foo"]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"foo":{"type":"string"}},"required":["bar"]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{},"maxProperties":1} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","maxProperties":1} || {"$schema":"https://json-schema.org/draft/2020-12/schema","maxProperties":2} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","maxProperties":2} || {"$schema":"https://json-schema.org/draft/2020-12/schema","maxProperties":1} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{},"minProperties":2} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","minProperties":1} || {"$schema":"https://json-schema.org/draft/2020-12/schema","minProperties":2} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","minProperties":2} || {"$schema":"https://json-schema.org/draft/2020-12/schema","minProperties":1} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"string"}],"items":{"type":"string"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"unevaluatedItems":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"string"}],"unevaluatedItems":{"type":"string"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"number"}],"items":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"unevaluatedItems":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"number"}],"unevaluatedItems":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"string"}],"items":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":{"type":"string"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"string"}],"unevaluatedItems":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"unevaluatedItems":{"type":"string"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"oneOf":[{"type":"null"},{"type":"string"}]}],"items":{"oneOf":[{"type":"null"},{"type":"string"}]}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":{"oneOf":[{"type":"null"},{"type":"string"}]}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"oneOf":[{"type":"null"},{"type":"string"}]}],"unevaluatedItems":{"oneOf":[{"type":"null"},{"type":"string"}]}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"unevaluatedItems":{"oneOf":[{"type":"null"},{"type":"string"}]}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"number"}],"items":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"number"}],"unevaluatedItems":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"unevaluatedItems":{"type":"string"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"number"}]} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","maxItems":2} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","maxItems":1} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","minItems":1} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","minItems":1} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","minItems":2} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","minItems":2} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","minItems":1} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","contains":{"type":"number"},"minContains":1} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","contains":{"type":"number"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","contains":{"type":"number"},"minContains":1} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","contains":{"type":"number"},"minContains":2} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","contains":{"type":"number"},"minContains":2} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","contains":{"type":"number"},"minContains":1} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","uniqueItems":true} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":{"$ref":"#/definitions/someRef"},"definitions":{"someRef":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":{"$ref":"#/definitions/someRef"},"definitions":{"someRef":{"type":"number"}}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","$ref":"#/definitions/someRef","definitions":{"someRef":{"type":"string"}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","$ref":"#/definitions/someRef","definitions":{"someRef":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string"} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{},"additionalProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":true} || {"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false} || * || - +
{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":true} || {"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":{"type":"number"}} || * || - +
{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":true} || {"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":true,"properties":{"foo":true}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":true,"properties":{"foo":true}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":true} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"properties":{"foo":false}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"properties":{"foo":false}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":{"type":"number"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","items":true} || {"$schema":"https://json-schema.org/draft/2020-12/schema","items":false} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","items":{"type":"string"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","items":{"type":"number"}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":true,"prefixItems":[{"type":"number"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":true,"prefixItems":[{"type":"number"},true]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":true,"prefixItems":[{"type":"number"},true]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":true,"prefixItems":[{"type":"number"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":false,"prefixItems":[{"type":"number"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":false,"prefixItems":[{"type":"number"},false]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":false,"prefixItems":[{"type":"number"},false]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","items":false,"prefixItems":[{"type":"number"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"boolean"}],"items":true} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"},{"type":"boolean"}],"items":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":true} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":true} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}],"items":true} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}],"items":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":false} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":false} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}],"items":{"type":"number"}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"}],"items":{"type":"number"}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"items":true} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"number"},{"type":"string"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"null"} || {"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"number"},{"type":"null"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"number"}]} || {"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"string"},{"type":"number"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","maxLength":3} || {"$schema":"https://json-schema.org/draft/2020-12/schema","oneOf":[{"type":"number"},{"type":"string"}]} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"enum":["one","two","three"]},{"type":"string"},{"maxLength":5}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"maxLength":5},{"enum":["one","two","three"]},{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"enum":["one","two","three"]},{"type":"string"},{"maxLength":5}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"maxLength":5},{"enum":["one","two","three"]},{"type":"number"}]}}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"},{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"},{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"boolean"},{"type":"number"},{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"string","maxLength":5}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"boolean"},{"type":"number"},{"title":"my string","type":"string","maxLength":8}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"enum":["one","two","three"]},{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"enum":["one","two","three"]},{"type":"string"}]}}} || * || - -
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"anyOf":[{"type":"number"},{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"anyOf":[{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"anyOf":[{"type":"number"},{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"anyOf":[{"type":"number"},{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"oneOf":[{"type":"number"},{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"string"}]}}} || * || + +
{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"type":"string"}}} || {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"prop1":{"allOf":[{"type":"number"},{"type":"string"}]}}} || * || - -
"##;

/// (original, update, expected differences if compared, STRICT verdict, LENIENT verdict).
type Case = (String, String, Option<Vec<String>>, bool, bool);

fn cases(table: &str) -> Vec<Case> {
    table
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let parts: Vec<&str> = line.split(" || ").collect();
            assert_eq!(parts.len(), 4, "{line}");
            let changes = match parts[2].trim() {
                "*" => None,
                "" => Some(Vec::new()),
                list => Some(list.split("; ").map(str::to_string).collect()),
            };
            let verdict: Vec<&str> = parts[3].split(' ').collect();
            (parts[0].to_string(), parts[1].to_string(), changes, verdict[0] == "+", verdict[1] == "+")
        })
        .collect()
}

fn check_cases(table: &str) {
    let mut failures = Vec::new();
    for (original, update, changes, strict, lenient) in cases(table) {
        if let Some(mut expected) = changes {
            expected.sort();
            let got = diffs(&original, &update);
            if got != expected {
                failures.push(format!("{original} -> {update}: differences {got:?}, expected {expected:?}"));
            }
        }
        if breaks(&original, &update).is_empty() != strict {
            failures.push(format!("{original} -> {update}: STRICT verdict should be {strict}"));
        }
        if breaks_lenient(&original, &update).is_empty() != lenient {
            failures.push(format!("{original} -> {update}: LENIENT verdict should be {lenient}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn confluent_examples_draft7_and_combined() {
    assert_eq!(cases(CONFLUENT_CASES).len(), 132);
    check_cases(CONFLUENT_CASES);
}

#[test]
fn confluent_examples_2020_12() {
    assert_eq!(cases(CONFLUENT_CASES_2020_12).len(), 131);
    check_cases(CONFLUENT_CASES_2020_12);
}
