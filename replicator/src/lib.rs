//! Schema-aware Kafka topic replication: records copied partition for partition with keys,
//! headers and timestamps, schemas imported into the destination registry before the records
//! that use them, exactly-once or at-least-once, consumer offsets translated for failover.
//!
//! Modules: [`config`] (the TOML file), [`group`] (processes sharing a replication through a
//! destination consumer group), [`worker`] (the copy loop, one per core), [`gate`] (the schema
//! gate), [`topics`] (topic and config mirroring), [`syncs`] (offset syncs), [`sync_log`] (their topic on
//! the destination), [`offsets`]
//! (checkpoints, failover), [`group_offsets`] (batched group-offset admin calls), [`status`],
//! [`metrics`] (Prometheus), [`wire`] (Confluent's wire formats), [`cli`].

pub mod cli;
pub mod config;
pub mod gate;
pub mod group;
pub mod group_offsets;
pub mod metrics;
pub mod offsets;
pub mod status;
pub mod sync_log;
pub mod syncs;
pub mod topics;
pub mod wire;
pub mod worker;
