//! Schema Linking: mirror subjects, versions and schema ids between Confluent-compatible
//! registries, from the command line (`lockstep link`) or behind Confluent's `/exporters` API.
//!
//! - [`client`]: the registry REST client (basic auth, TLS);
//! - [`mapping`]: subject selection, contexts and renaming;
//! - [`engine`]: the link itself (planning, applying, following the feed, polling);
//! - [`provenance`]: instance ids and origins (chains, hubs, meshes without loops);
//! - [`state`]: persisted link state;
//! - [`cli`]: `lockstep link` and its subcommands (`promote`, `verify`, `status`);
//! - [`exporters`]: the in-process `/exporters` API.

pub mod cli;
pub mod client;
pub mod engine;
pub mod exporters;
pub mod mapping;
pub mod provenance;
pub mod state;

pub use client::{ClientError, ClientOptions, RegistryClient};
pub use engine::{Link, LinkConfig, SyncError};
