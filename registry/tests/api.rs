//! HTTP-level tests of Lockstep's Confluent Schema Registry API: every endpoint and error code,
//! asserted against Confluent's behaviour (`/work/shared/reference/confluent-api.md` §0–§5).
//!
//! Each test starts its own in-process registry on a random port (see `common`).

mod common;

#[path = "api/aliases.rs"]
mod aliases;
#[path = "api/budget.rs"]
mod budget;
#[path = "api/changes.rs"]
mod changes;
#[path = "api/compatibility.rs"]
mod compatibility;
#[path = "api/config.rs"]
mod config;
#[path = "api/contexts.rs"]
mod contexts;
#[path = "api/dek.rs"]
mod dek;
#[path = "api/deletes.rs"]
mod deletes;
#[path = "api/formats.rs"]
mod formats;
#[path = "api/hostile.rs"]
mod hostile;
#[path = "api/metadata.rs"]
mod metadata;
#[path = "api/mode.rs"]
mod mode;
#[path = "api/references.rs"]
mod references;
#[path = "api/register.rs"]
mod register;
#[path = "api/reserved.rs"]
mod reserved;
#[path = "api/restart.rs"]
mod restart;
#[path = "api/restart_paths.rs"]
mod restart_paths;
#[path = "api/rules.rs"]
mod rules;
#[path = "api/schema_types.rs"]
mod schema_types;
#[path = "api/schemas.rs"]
mod schemas;
#[path = "api/subjects.rs"]
mod subjects;
#[path = "api/transport.rs"]
mod transport;
