//! Compatibility, grouped as Confluent's protobuf-provider `diff` package: `Difference`,
//! `Context`, `SchemaDiff`, `EnumDiff`, `MessageSchemaDiff` (with `OneOfDiff`), `FieldSchemaDiff`.

use super::*;

mod context;
mod difference;
mod enum_diff;
mod field_diff;
mod message_diff;
mod schema_diff;

pub(super) use context::*;
pub(super) use difference::*;
pub(super) use enum_diff::*;
pub(super) use field_diff::*;
pub(super) use message_diff::*;
pub(super) use schema_diff::*;
