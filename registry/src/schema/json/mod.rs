//! JSON Schema engine: parse + validate, Confluent's canonical string and normalized form, `$ref`
//! resolution (local pointers, `$id`/`$anchor`, registry references) and Confluent's JSON Schema
//! compatibility rules (`SchemaDiff` of the json-schema-provider).
//!
//! Behaviour follows Confluent Schema Registry 8.x:
//! * the stored string is Jackson's compact rendering of the parsed document: key order kept,
//!   insignificant whitespace removed, floats printed like `java.math.BigDecimal#toString`,
//!   control characters escaped with upper-case hex (`JsonSchema.canonicalString()`);
//! * `normalize` additionally sorts every object's keys (Java `String` order, i.e. UTF-16 units);
//! * the draft comes from `$schema` (default draft-07, unknown URIs fall back to draft-07);
//! * the schema is modelled the way the Everit loader models it (enum/combined/not/const/type
//!   extraction, keyword sniffing, synthetic `allOf` when several apply) because the
//!   compatibility rules are written against that model.
//!
//! Everything is bounded: JSON nesting depth, number length, `$ref` chains, diff recursion depth
//! and total diff work. Hostile input yields errors, never panics or stack overflows.
//!
//! Layout: `schema` (limits, public interface) → `value` (JSON values) → `draft` → `uri` (URIs and
//! JSON pointers) → `model` → `loader` (`$ref` resolution) and `keywords` (its keyword families)
//! → `diff/` (compatibility, one module per Confluent `*SchemaDiff` class) → `tests/`.

mod diff;
mod draft;
mod keywords;
mod loader;
mod model;
#[cfg(test)]
mod scale_tests;
mod schema;
#[cfg(test)]
mod tests;
mod uri;
mod value;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use diff::*;
use draft::*;
use loader::*;
use model::*;
use schema::*;
use uri::*;
use value::*;

pub use crate::schema::Difference as Incompatibility;
pub use schema::{check_compatibility, check_compatibility_with_policy, raw_differences, JsonSchema, JsonSchemaError};
