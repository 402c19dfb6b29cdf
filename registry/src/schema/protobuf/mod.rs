//! Protobuf schema engine: parsing, Confluent's canonical text, normalization, message indexes and
//! Confluent's Protobuf compatibility rules.
//!
//! Confluent (`ProtobufSchema`) keeps the *source-level* syntax tree of a schema (Square Wire's
//! `ProtoFileElement`) and prints it back (`ProtobufSchemaUtils.toString`); type names stay as
//! written, `map<K, V>` stays a map, comments are dropped and declarations are regrouped. This module
//! does the same: a small parser that builds the same tree as Wire's `ProtoParser`, a printer that
//! follows Confluent's layout, and `protox` (compiler) + `prost-reflect` (descriptors) for semantic
//! validation (unknown types, duplicate numbers, missing imports, ...) and message indexes.
//! The compatibility check walks the syntax trees the way Confluent's `diff` package does.
//!
//! Layout: `schema` (public interface) → `model` (syntax tree) → `parse`, `parse_decl`,
//! `parse_option` (parser) → `precheck` (repeated errors, in linear time) → `builtins` (protox
//! validation, built-in files) → `types` (type table)
//! → `print`, `print_options` (canonical printer) → `diff/` (compatibility, as Confluent's `diff`
//! package) → `descriptor` (base64 `FileDescriptorProto` → .proto) → `serialized` (.proto → base64
//! `FileDescriptorProto`, `?format=serialized`) → `tests`.

mod builtins;
mod descriptor;
mod diff;
mod model;
mod parse;
mod parse_decl;
mod parse_option;
mod precheck;
mod print;
mod print_options;
#[cfg(test)]
mod scale_tests;
mod schema;
mod serialized;
#[cfg(test)]
mod tests;
mod types;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use prost_reflect::DescriptorPool;

use builtins::*;
use diff::*;
use model::*;
use parse::*;
use parse_option::*;
use precheck::*;
use print::*;
use print_options::*;
use schema::*;
use types::*;

pub use crate::schema::Difference as Incompatibility;
pub(crate) use descriptor::base64_descriptor_to_proto;
pub use schema::{check_compatibility, ProtobufError, ProtobufSchema};
pub use serialized::SERIALIZED_FILE_NAME;
