//! Schema-aware Kafka topic replication. This crate holds the Confluent wire-format reader the
//! schema gate is built on: which schema id (and Protobuf message path) a record's key or value
//! was written with.

pub mod wire;
