//! The log the registry's state is built from. Every write is a batch of [`LogRecord`]s appended
//! to a [`Store`]; state is the result of applying all records in order.

pub mod file;
pub mod record;

pub use record::{Key, LogRecord};

use tokio::sync::oneshot;

/// A store failure. The registry reports it as 50001.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// Resolves once an appended batch is durable (or failed).
pub type AppendTicket = oneshot::Receiver<Result<(), StoreError>>;

/// An ordered, durable log of records.
pub trait Store: Send + Sync + 'static {
    /// Every record in the log, in order. Called once, when the registry starts.
    fn replay(&mut self) -> Result<Vec<LogRecord>, StoreError>;

    /// Append a batch after everything appended before it. Batches are made durable in the
    /// order they were appended; the ticket resolves when this one is.
    fn append(&self, records: Vec<LogRecord>) -> AppendTicket;

    /// A short description for logs (`file:/path`, `kafka:host/topic`).
    fn describe(&self) -> String;
}
