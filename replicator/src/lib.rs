//! Schema-aware Kafka topic replication: records copied partition for partition with keys,
//! headers and timestamps, schemas imported into the destination registry before the records
//! that use them, exactly-once or at-least-once, consumer offsets translated for failover.
//!
//! Modules: [`config`] (the TOML file), [`pipeline`] (the copy loop), [`gate`] (the schema gate),
//! [`topics`] (topic and config mirroring), [`offsets`] (offset syncs, checkpoints, failover),
//! [`metrics`] (Prometheus), [`wire`] (Confluent's wire format), [`cli`].

pub mod cli;
pub mod config;
pub mod gate;
pub mod metrics;
pub mod offsets;
pub mod pipeline;
pub mod topics;
pub mod wire;
