//! The log the registry's state is built from. Every write is a batch of [`LogRecord`]s appended
//! to a [`Store`]; state is the result of applying all records in order.

pub mod compact;
pub mod equivalence;
pub mod file;
pub mod frame;
pub mod kafka;
pub mod record;
pub mod repair;

pub use record::{Key, LogRecord};

use std::future::Future;
use std::pin::Pin;

use tokio::sync::oneshot;

/// A store failure. The registry reports it as 50001.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// Resolves once an appended batch is durable (or failed).
pub type AppendTicket = oneshot::Receiver<Result<(), StoreError>>;

/// An ordered, durable log of records.
pub trait Store: Send + Sync + 'static {
    /// Every record in the log, in order, with its offset (offsets increase; compaction and
    /// repair leave gaps). Called once, when the registry starts.
    fn replay(&mut self) -> Result<Vec<(u64, LogRecord)>, StoreError>;

    /// Append a batch after everything appended before it. Batches are made durable in the
    /// order they were appended; the ticket resolves when this one is.
    fn append(&self, records: Vec<LogRecord>) -> AppendTicket;

    /// A short description for logs (`file:/path`, `kafka:host/topic`).
    fn describe(&self) -> String;
}

/// A boxed future, for the object-safe [`SharedLog`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Receives records read from a [`SharedLog`], in log order, with their offsets, and the offset
/// after the batch (the reader's position).
pub type Sink = Box<dyn FnMut(Vec<(u64, LogRecord)>, u64) + Send>;

/// Records read from a log with their offsets, and the offset after the last one.
pub type Loaded = (Vec<(u64, LogRecord)>, u64);

/// A log that other processes append to as well (the Kafka store, several Lockstep nodes or
/// Confluent Schema Registry on one `_schemas` topic). State is built only from records read
/// back, in log order — a node's own records included.
pub trait SharedLog: Send + Sync + 'static {
    /// Read every record up to the end of the log as it is now (a NOOP write serves as the
    /// barrier, as in Confluent). Returns the records and the offset after the last one.
    fn load(&self) -> BoxFuture<'_, Result<Loaded, StoreError>>;

    /// From a background thread, hand every record from offset `from` on to `sink`, until the
    /// log is dropped.
    fn follow(&self, from: u64, sink: Sink) -> Result<(), StoreError>;

    /// The offset the next record will get: every record below it can be read.
    fn end_offset(&self) -> BoxFuture<'_, Result<u64, StoreError>>;

    /// Append records in order; resolves with their offsets once the log acknowledged them.
    /// Records are queued when the call returns, so the records of successive calls are in the
    /// log in call order (group commit relies on it).
    fn produce(&self, records: Vec<LogRecord>) -> BoxFuture<'_, Result<Vec<u64>, StoreError>>;

    /// Has this node read a record another writer (another node, Confluent, Karapace) appended
    /// in the last few seconds? While it has, a node writes one batch at a time.
    fn foreign_recently(&self) -> bool {
        false
    }

    /// A short description for logs (`kafka:host:port/_schemas`).
    fn describe(&self) -> String;
}
