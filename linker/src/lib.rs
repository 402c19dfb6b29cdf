//! Schema Linking: mirror subjects, versions and schema ids between Confluent-compatible
//! registries. This crate holds the registry REST client the link engine is built on.

pub mod client;

pub use client::{ClientError, RegistryClient};
