//! The embedded store: one append-only file of length- and CRC-framed records ([`super::frame`]).
//!
//! A single writer thread takes every batch waiting in its queue, writes them with one `write`
//! and one `fdatasync` (group commit), then acknowledges them all. An fsync failure poisons the
//! store: the write is not acknowledged and every later write fails, since after a failed fsync
//! the kernel may have dropped the dirty pages.
//!
//! Damage: an incomplete last frame with nothing valid after it (a write interrupted by a crash,
//! never acknowledged) is cut off when the file is opened. Anything else — bad bytes with valid
//! frames after them — stops the store from opening with the byte position named; `lockstep
//! registry verify` reports it and `lockstep registry repair` recovers every intact frame
//! ([`super::repair`]).
//!
//! Compaction ([`super::compact`]) runs on its own thread once the file has grown past a size:
//! it reads the durable prefix, writes the records that state needs to `schemas.log.compact`,
//! fsyncs it, then the writer thread appends what was written meanwhile, fsyncs, renames it over
//! `schemas.log` and fsyncs the directory. The rename is the commit point: a crash before it
//! leaves the old log (the leftover file is removed at the next start), after it the new one.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use tokio::sync::oneshot;

use super::{compact, frame, repair, AppendTicket, LogRecord, Store, StoreError};

pub const LOG_FILE: &str = "schemas.log";
pub const LOCK_FILE: &str = "lock";
pub const COMPACT_FILE: &str = "schemas.log.compact";

/// When the compactor runs.
#[derive(Debug, Clone)]
pub struct CompactionOptions {
    /// Never compact a log smaller than this many bytes.
    pub min_bytes: u64,
    /// Compact once the log is this many times its size after the last compaction (or at start).
    pub growth: f64,
    /// How often the compactor looks at the log's size.
    pub interval: Duration,
    /// Test hook: abort the process at this step of a compaction (1..=5).
    pub abort_at_step: Option<u32>,
}

impl Default for CompactionOptions {
    fn default() -> Self {
        Self { min_bytes: 64 * 1024 * 1024, growth: 2.0, interval: Duration::from_secs(10), abort_at_step: None }
    }
}

impl CompactionOptions {
    /// Defaults, overridden by `LOCKSTEP_COMPACT_MIN_BYTES`, `LOCKSTEP_COMPACT_GROWTH`,
    /// `LOCKSTEP_COMPACT_INTERVAL_MS` and the test hook `LOCKSTEP_TEST_COMPACT_ABORT_AT`.
    pub fn from_env() -> Self {
        let mut o = Self::default();
        let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string());
        if let Some(v) = var("LOCKSTEP_COMPACT_MIN_BYTES").and_then(|v| v.parse().ok()) {
            o.min_bytes = v;
        }
        if let Some(v) = var("LOCKSTEP_COMPACT_GROWTH").and_then(|v| v.parse::<f64>().ok()).filter(|g| *g >= 1.0) {
            o.growth = v;
        }
        if let Some(v) = var("LOCKSTEP_COMPACT_INTERVAL_MS").and_then(|v| v.parse().ok()) {
            o.interval = Duration::from_millis(v);
        }
        o.abort_at_step = var("LOCKSTEP_TEST_COMPACT_ABORT_AT").and_then(|v| v.parse().ok());
        o
    }
}

fn step(opts: &CompactionOptions, n: u32) {
    if opts.abort_at_step == Some(n) {
        tracing::error!(step = n, "test hook: aborting in the middle of a compaction");
        std::process::abort();
    }
}

struct Batch {
    records: Vec<LogRecord>,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// A compacted file ready to take over, holding the log up to byte `from` of the current one.
struct Swap {
    file: File,
    from: u64,
    done: mpsc::Sender<Result<(), String>>,
}

type SharedSender = Arc<parking_lot::Mutex<Option<mpsc::Sender<Msg>>>>;

enum Msg {
    Batch(Batch),
    Swap(Swap),
}

/// The embedded file store.
pub struct FileStore {
    dir: PathBuf,
    path: PathBuf,
    file: Option<File>,
    _lock: File,
    tx: Option<mpsc::Sender<Msg>>,
    /// The compactor's way to the writer, taken away when the store is dropped.
    compactor_tx: SharedSender,
    poisoned: Arc<AtomicBool>,
    /// Bytes of the log that are durable.
    durable_len: Arc<AtomicU64>,
    options: CompactionOptions,
}

/// Take the directory's exclusive lock (held while the returned file is open).
pub fn lock_dir(dir: &Path) -> Result<File, StoreError> {
    let err = |what: &str, e: std::io::Error| StoreError(format!("{what} {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(|e| err("cannot create data dir", e))?;
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))
        .map_err(|e| err("cannot open lock file in", e))?;
    lock.try_lock()
        .map_err(|_| StoreError(format!("data dir {} is in use by another lockstep process", dir.display())))?;
    Ok(lock)
}

/// fsync a directory, so a rename or a new file in it is durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

impl FileStore {
    /// Open (creating if needed) the log in `dir`, compacting as [`CompactionOptions::from_env`]
    /// says. Takes an exclusive lock on the directory so two processes never write the same log.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, CompactionOptions::from_env())
    }

    pub fn open_with(dir: &Path, options: CompactionOptions) -> Result<Self, StoreError> {
        let err = |what: &str, e: std::io::Error| StoreError(format!("{what} {}: {e}", dir.display()));
        let lock = lock_dir(dir)?;
        // A compaction that never reached its rename: the log is still whole.
        let leftover = dir.join(COMPACT_FILE);
        if leftover.exists() {
            tracing::warn!(path = %leftover.display(), "removing the file of an interrupted compaction");
            std::fs::remove_file(&leftover).map_err(|e| err("cannot remove", e))?;
        }
        let path = dir.join(LOG_FILE);
        let existed = path.exists();
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| err("cannot open log in", e))?;
        if !existed {
            file.sync_all().map_err(|e| err("cannot sync log in", e))?;
            sync_dir(dir).map_err(|e| err("cannot sync", e))?;
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            path,
            file: Some(file),
            _lock: lock,
            tx: None,
            compactor_tx: Arc::default(),
            poisoned: Arc::new(AtomicBool::new(false)),
            durable_len: Arc::new(AtomicU64::new(0)),
            options,
        })
    }

    fn start_threads(&mut self, file: File, len: u64) {
        let (tx, rx) = mpsc::channel::<Msg>();
        self.durable_len.store(len, Ordering::SeqCst);
        let mut w = Writer {
            file,
            len,
            poisoned: self.poisoned.clone(),
            durable_len: self.durable_len.clone(),
            path: self.path.clone(),
            dir: self.dir.clone(),
            options: self.options.clone(),
        };
        let spawned = std::thread::Builder::new().name("lockstep-log-writer".into()).spawn(move || w.run(rx));
        if let Err(e) = spawned {
            tracing::error!("cannot start log writer thread: {e}");
            return;
        }
        let compactor = Compactor {
            path: self.path.clone(),
            dir: self.dir.clone(),
            durable_len: self.durable_len.clone(),
            tx: self.compactor_tx.clone(),
            options: self.options.clone(),
        };
        let spawned = std::thread::Builder::new().name("lockstep-log-compactor".into()).spawn(move || compactor.run());
        if let Err(e) = spawned {
            tracing::error!("cannot start log compactor thread: {e}");
        }
        *self.compactor_tx.lock() = Some(tx.clone());
        self.tx = Some(tx);
    }
}

impl Drop for FileStore {
    fn drop(&mut self) {
        // With every sender gone the writer thread ends; the compactor stops at its next look.
        self.compactor_tx.lock().take();
    }
}

struct Writer {
    file: File,
    len: u64,
    poisoned: Arc<AtomicBool>,
    durable_len: Arc<AtomicU64>,
    path: PathBuf,
    dir: PathBuf,
    options: CompactionOptions,
}

impl Writer {
    fn run(&mut self, rx: mpsc::Receiver<Msg>) {
        let mut buf = Vec::new();
        while let Ok(first) = rx.recv() {
            let mut batches = Vec::new();
            let mut swaps = Vec::new();
            for msg in std::iter::once(first).chain(std::iter::from_fn(|| rx.try_recv().ok())) {
                match msg {
                    Msg::Batch(b) => batches.push(b),
                    Msg::Swap(s) => swaps.push(s),
                }
            }
            if !batches.is_empty() {
                self.write(batches, &mut buf);
            }
            for s in swaps {
                let r = self.swap(s.file, s.from);
                let _ = s.done.send(r);
            }
        }
    }

    fn write(&mut self, batches: Vec<Batch>, buf: &mut Vec<u8>) {
        if self.poisoned.load(Ordering::SeqCst) {
            for b in batches {
                let _ = b.done.send(Err(StoreError("log store failed earlier; writes are refused".into())));
            }
            return;
        }
        buf.clear();
        for b in &batches {
            for r in &b.records {
                frame::encode(r, None, buf);
            }
        }
        let result = self.file.write_all(buf).and_then(|()| self.file.sync_data());
        let result = match result {
            Ok(()) => {
                self.len += buf.len() as u64;
                self.durable_len.store(self.len, Ordering::SeqCst);
                Ok(())
            }
            Err(e) => {
                self.poisoned.store(true, Ordering::SeqCst);
                tracing::error!(path = %self.path.display(), "log write failed, store poisoned: {e}");
                Err(StoreError(format!("log write failed: {e}")))
            }
        };
        for b in batches {
            let _ = b.done.send(result.clone());
        }
    }

    /// Append this log's bytes from `from` on to the compacted file, then make it the log.
    fn swap(&mut self, mut new: File, from: u64) -> Result<(), String> {
        if self.poisoned.load(Ordering::SeqCst) {
            return Err("log store failed earlier".into());
        }
        let tmp = self.dir.join(COMPACT_FILE);
        let abandon = |e: String| {
            let _ = std::fs::remove_file(&tmp);
            e
        };
        let mut tail = vec![0u8; (self.len - from.min(self.len)) as usize];
        self.file.read_exact_at(&mut tail, from).map_err(|e| abandon(format!("cannot read the log: {e}")))?;
        new.seek(SeekFrom::End(0))
            .and_then(|_| new.write_all(&tail))
            .and_then(|()| new.sync_all())
            .map_err(|e| abandon(format!("cannot write {}: {e}", tmp.display())))?;
        step(&self.options, 3);
        std::fs::rename(&tmp, &self.path).map_err(|e| abandon(format!("cannot rename {}: {e}", tmp.display())))?;
        step(&self.options, 4);
        if let Err(e) = sync_dir(&self.dir) {
            // The new log is in place but its name may not be durable: treat as an fsync failure.
            self.poisoned.store(true, Ordering::SeqCst);
            return Err(format!("cannot sync {} after compaction, store poisoned: {e}", self.dir.display()));
        }
        step(&self.options, 5);
        let len = new.metadata().map_err(|e| e.to_string())?.len();
        self.file = new;
        self.len = len;
        self.durable_len.store(len, Ordering::SeqCst);
        Ok(())
    }
}

struct Compactor {
    path: PathBuf,
    dir: PathBuf,
    durable_len: Arc<AtomicU64>,
    tx: SharedSender,
    options: CompactionOptions,
}

impl Compactor {
    fn run(self) {
        // Size after the last compaction (or at start): compact when grown `growth` times.
        let mut base = 0u64;
        loop {
            std::thread::sleep(self.options.interval);
            if self.tx.lock().is_none() {
                return;
            }
            let len = self.durable_len.load(Ordering::SeqCst);
            if len >= self.options.min_bytes && len as f64 >= base as f64 * self.options.growth {
                let started = std::time::Instant::now();
                match self.compact_once(len) {
                    Ok(Some(new_len)) => {
                        tracing::info!(
                            before = len,
                            after = new_len,
                            ms = started.elapsed().as_millis() as u64,
                            "log compacted"
                        );
                        base = new_len;
                    }
                    Ok(None) => base = len,
                    Err(Stop) => return,
                }
            }
        }
    }

    /// Compact the log's first `len` bytes. Some(new length) when it was replaced.
    fn compact_once(&self, len: u64) -> Result<Option<u64>, Stop> {
        match self.try_compact(len) {
            Ok(r) => Ok(r),
            Err(CompactError::Stopped) => Err(Stop),
            Err(CompactError::Failed(e)) => {
                tracing::warn!(path = %self.path.display(), "log not compacted: {e}");
                Ok(None)
            }
        }
    }

    fn try_compact(&self, len: u64) -> Result<Option<u64>, CompactError> {
        let tmp = self.dir.join(COMPACT_FILE);
        let mut data = vec![0u8; len as usize];
        File::open(&self.path)
            .and_then(|f| f.read_exact_at(&mut data, 0))
            .map_err(|e| CompactError::Failed(format!("cannot read the log: {e}")))?;
        let scan = frame::scan(&data);
        if !scan.damage.is_empty() || scan.torn_tail > 0 || scan.valid_len != len {
            return Err(CompactError::Failed("the log's durable part does not read cleanly".into()));
        }
        let total = scan.records.len();
        let c = compact::compact(&scan.records).map_err(CompactError::Failed)?;
        drop(data);
        let mut out = Vec::new();
        let mut next = 0u64;
        for (o, r) in &c.records {
            frame::encode(r, (*o != next).then_some(*o), &mut out);
            next = o + 1;
        }
        if !compact::worth_it(len, out.len() as u64) {
            return Ok(None);
        }
        let mut f = OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&tmp)
            .map_err(|e| CompactError::Failed(format!("cannot create {}: {e}", tmp.display())))?;
        let written = f.write_all(&out);
        step(&self.options, 1);
        let synced = written.and_then(|()| f.sync_all());
        if let Err(e) = synced {
            let _ = std::fs::remove_file(&tmp);
            return Err(CompactError::Failed(format!("cannot write {}: {e}", tmp.display())));
        }
        step(&self.options, 2);
        let (done, result) = mpsc::channel();
        let tx = self.tx.lock().clone();
        if tx.is_none_or(|tx| tx.send(Msg::Swap(Swap { file: f, from: len, done })).is_err()) {
            let _ = std::fs::remove_file(&tmp);
            return Err(CompactError::Stopped);
        }
        match result.recv() {
            Ok(Ok(())) => {
                tracing::debug!(records_before = total, records_after = c.records.len(), "compaction swapped in");
                Ok(Some(self.durable_len.load(Ordering::SeqCst)))
            }
            Ok(Err(e)) => Err(CompactError::Failed(e)),
            Err(_) => Err(CompactError::Stopped),
        }
    }
}

struct Stop;

enum CompactError {
    Failed(String),
    Stopped,
}

impl Store for FileStore {
    fn replay(&mut self) -> Result<Vec<(u64, LogRecord)>, StoreError> {
        let mut file = self.file.take().ok_or_else(|| StoreError("log already replayed".into()))?;
        let io = |e: std::io::Error| StoreError(format!("cannot read {}: {e}", self.path.display()));
        let mut data = Vec::new();
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.read_to_end(&mut data).map_err(io)?;
        let scan = frame::scan(&data);
        if let Some(d) = scan.damage.first() {
            return Err(StoreError(format!(
                "{} is damaged at byte {}{}: {} bytes hold no valid record but {} intact records follow \
                 ({} damaged stretches in all). Refusing to start, nothing was changed. `lockstep registry verify \
                 --data-dir {dir}` reports the damage, `lockstep registry repair --data-dir {dir}` recovers every \
                 intact record (the damaged file is kept)",
                self.path.display(),
                d.start,
                d.after_offset.map_or(String::new(), |o| format!(" (after the record at log offset {o})")),
                d.len,
                scan.records.iter().filter(|(o, _)| d.after_offset.is_none_or(|a| *o > a)).count(),
                scan.damage.len(),
                dir = self.dir.display(),
            )));
        }
        if let Some(at) = scan.bad_offsets.first() {
            return Err(StoreError(format!(
                "{} is damaged at byte {at}: a record's offset does not increase. Run `lockstep registry repair \
                 --data-dir {}`",
                self.path.display(),
                self.dir.display()
            )));
        }
        if scan.torn_tail > 0 {
            tracing::warn!(
                path = %self.path.display(),
                at_byte = scan.valid_len,
                dropped_bytes = scan.torn_tail,
                "truncating a torn tail of the log (an interrupted write that was never acknowledged)"
            );
            file.set_len(scan.valid_len).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        let mut records = scan.records;
        let mut len = scan.valid_len;
        // The cut bytes may have held ids (if they were ever acknowledged, say the disk damaged
        // the last record): new ids skip as many as they could have held. Gaps are harmless.
        let tail = &data[scan.valid_len as usize..];
        if tail.iter().any(|b| *b != 0) {
            let lost = (tail.len() as u64).div_ceil(frame::MIN_FRAME as u64);
            let marks = repair::high_water_records(&records, lost);
            let mut buf = Vec::new();
            for (_, r) in &marks {
                frame::encode(r, None, &mut buf);
            }
            file.seek(SeekFrom::Start(len)).map_err(io)?;
            file.write_all(&buf).and_then(|()| file.sync_data()).map_err(io)?;
            len += buf.len() as u64;
            records.extend(marks);
        }
        file.seek(SeekFrom::Start(len)).map_err(io)?;
        self.start_threads(file, len);
        Ok(records)
    }

    fn append(&self, records: Vec<LogRecord>) -> AppendTicket {
        let (done, ticket) = oneshot::channel();
        match &self.tx {
            Some(tx) => {
                if let Err(mpsc::SendError(Msg::Batch(b))) = tx.send(Msg::Batch(Batch { records, done })) {
                    let _ = b.done.send(Err(StoreError("log writer has stopped".into())));
                }
            }
            None => {
                let _ = done.send(Err(StoreError("log not opened: replay first".into())));
            }
        }
        ticket
    }

    fn describe(&self) -> String {
        format!("file:{}", self.path.display())
    }
}

#[cfg(test)]
mod tests;
