//! Avro schema engine: parse and validate a schema the way Apache Avro Java 1.12's `Schema.Parser` does
//! (strict names, validated defaults, as Confluent configures it), print the string Confluent stores
//! (`Schema.toString(referencedSchemas, false)`), produce Confluent's `normalize=true` form
//! (`AvroSchemaUtils.toNormalizedString`, re-parsed and printed again, as `AvroSchema.normalize()` does),
//! resolve named types defined in referenced schemas, and check reader/writer compatibility with the
//! rules of Avro Java's `SchemaCompatibility`, reported in the shape of Confluent's `avro.Difference`.
//!
//! Layout: `model` (limits, error, model) → `parse` → `canonical` (JSON output helpers, printer
//! (`toString`), normalizer) → `compat` → `tests`.
//!
//! The model is an arena of named types (record, enum, fixed). Nodes refer to named types through a
//! *slot* table, so a name used before its definition (Avro 1.12 allows forward references), a
//! self-reference, or a type defined in a referenced schema all resolve the same way, and an identical
//! redefinition simply points its slot at the first definition.
//!
//! Every recursion is bounded ([`MAX_DEPTH`], [`MAX_CHECK_DEPTH`]) and the number of reported
//! incompatibilities is capped, so hostile input yields an error, never a crash.

mod canonical;
mod compat;
mod model;
mod parse;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::rc::Rc;

use serde_json::{Map, Value};

use canonical::*;
use model::*;
use parse::*;

pub use compat::{check_compatibility, Incompatibility};
pub use model::{AvroError, AvroSchema};
