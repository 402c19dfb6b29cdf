//! Compatibility, one module per class of Confluent's json-schema-provider diff package:
//! `Difference.Type`, `SchemaDiff`, `CombinedSchemaDiff`, `ObjectSchemaDiff`, `ArraySchemaDiff`,
//! and the string/number/enum diffs.

use super::*;

mod array;
mod combined;
mod difference;
mod object;
mod scalar;
mod schema_diff;
mod utils;

pub(super) use difference::*;
pub(super) use scalar::*;
pub(super) use schema_diff::*;
pub(super) use utils::*;
