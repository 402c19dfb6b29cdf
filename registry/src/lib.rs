//! Lockstep's schema registry: Confluent Schema Registry's REST API over a log of
//! `_schemas`-format records.
//!
//! Data flows one way: HTTP ([`api`]) → parse and canonicalize ([`schema`]) → mode and
//! compatibility checks ([`registry`]) → append to the log ([`store`]) → apply to the in-memory
//! state ([`state`]) → respond.

pub mod api;
pub mod budget;
pub mod cluster;
pub mod dek;
pub mod error;
pub mod metrics;
pub mod registry;
pub mod rules;
pub mod schema;
pub mod security;
pub mod server;
pub mod state;
pub mod store;
pub mod subject;
pub mod ui;

use std::path::Path;
use std::sync::Arc;

pub use registry::{Registry, RegistryConfig};

/// Open the embedded file store in `data_dir` and rebuild the registry from it.
pub fn open_file_registry(data_dir: &Path, config: RegistryConfig) -> anyhow::Result<Arc<Registry>> {
    let store = store::file::FileStore::open(data_dir)?;
    Ok(Registry::open(Box::new(store), config)?)
}

/// Connect to the Kafka store (creating or checking its topic), read it to the end and follow it.
pub async fn open_kafka_registry(
    kafka: store::kafka::KafkaConfig,
    config: RegistryConfig,
) -> anyhow::Result<Arc<Registry>> {
    let log = store::kafka::KafkaLog::open(kafka).await?;
    Ok(Registry::open_shared(Arc::new(log), config).await?)
}

/// Serve the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    registry: Arc<Registry>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, registry, axum::Router::new(), shutdown).await
}

/// Serve the API plus `extra` routes (see [`api::app_with`]) until `shutdown` resolves.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    registry: Arc<Registry>,
    extra: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = api::app_with(registry, extra);
    server::serve(listener, app, server::ServerOptions::default(), shutdown).await
}

pub use server::bind;
