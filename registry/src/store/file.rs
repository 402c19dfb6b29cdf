//! The embedded store: one append-only file of length- and CRC-framed records.
//!
//! Frame: `len: u32 LE | crc32(payload): u32 LE | payload`, payload:
//! `key_len: u32 LE | key | has_value: u8 | [value_len: u32 LE | value]`.
//!
//! A single writer thread takes every batch waiting in its queue, writes them with one `write`
//! and one `fdatasync` (group commit), then acknowledges them all. A torn or corrupt tail (a crash
//! in the middle of a write) is truncated when the file is opened. An fsync failure poisons the
//! store: the write is not acknowledged and every later write fails, since after a failed fsync
//! the kernel may have dropped the dirty pages.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use tokio::sync::oneshot;

use super::{AppendTicket, LogRecord, Store, StoreError};

const LOG_FILE: &str = "schemas.log";
const LOCK_FILE: &str = "lock";
/// Upper bound for one frame; anything larger in the file is corruption.
const MAX_FRAME: usize = 256 * 1024 * 1024;

struct Batch {
    records: Vec<LogRecord>,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The embedded file store.
pub struct FileStore {
    path: PathBuf,
    file: Option<File>,
    _lock: File,
    tx: Option<mpsc::Sender<Batch>>,
    poisoned: Arc<AtomicBool>,
}

impl FileStore {
    /// Open (creating if needed) the log in `dir`. Takes an exclusive lock on the directory so two
    /// processes never write the same log.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
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
            File::open(dir).and_then(|d| d.sync_all()).map_err(|e| err("cannot sync", e))?;
        }
        Ok(Self { path, file: Some(file), _lock: lock, tx: None, poisoned: Arc::new(AtomicBool::new(false)) })
    }

    fn start_writer(&mut self, file: File) {
        let (tx, rx) = mpsc::channel::<Batch>();
        let poisoned = self.poisoned.clone();
        let path = self.path.clone();
        std::thread::Builder::new()
            .name("lockstep-log-writer".into())
            .spawn(move || writer_loop(file, rx, poisoned, path))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!("cannot start log writer thread: {e}"));
        self.tx = Some(tx);
    }
}

fn encode_frame(rec: &LogRecord, out: &mut Vec<u8>) {
    let mut payload = Vec::with_capacity(9 + rec.key.len() + rec.value.as_ref().map_or(0, |v| v.len()));
    payload.extend_from_slice(&(rec.key.len() as u32).to_le_bytes());
    payload.extend_from_slice(&rec.key);
    match &rec.value {
        Some(v) => {
            payload.push(1);
            payload.extend_from_slice(&(v.len() as u32).to_le_bytes());
            payload.extend_from_slice(v);
        }
        None => payload.push(0),
    }
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
}

fn decode_payload(p: &[u8]) -> Option<LogRecord> {
    let u32_at =
        |i: usize| -> Option<usize> { p.get(i..i + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize) };
    let klen = u32_at(0)?;
    let key = p.get(4..4 + klen)?;
    let mut i = 4 + klen;
    let value = match p.get(i)? {
        0 => {
            i += 1;
            None
        }
        1 => {
            let vlen = u32_at(i + 1)?;
            let v = p.get(i + 5..i + 5 + vlen)?;
            i += 5 + vlen;
            Some(v.to_vec())
        }
        _ => return None,
    };
    (i == p.len()).then(|| LogRecord::new(key.to_vec(), value))
}

/// Decode frames from `data`; returns the records and the length of the valid prefix.
fn decode_frames(data: &[u8]) -> (Vec<LogRecord>, usize) {
    let mut records = Vec::new();
    let mut pos = 0;
    while let Some(header) = data.get(pos..pos + 8) {
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if len > MAX_FRAME {
            break;
        }
        let Some(payload) = data.get(pos + 8..pos + 8 + len) else { break };
        if crc32fast::hash(payload) != crc {
            break;
        }
        let Some(rec) = decode_payload(payload) else { break };
        records.push(rec);
        pos += 8 + len;
    }
    (records, pos)
}

fn writer_loop(mut file: File, rx: mpsc::Receiver<Batch>, poisoned: Arc<AtomicBool>, path: PathBuf) {
    let mut buf = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut batches = vec![first];
        while let Ok(more) = rx.try_recv() {
            batches.push(more);
        }
        if poisoned.load(Ordering::SeqCst) {
            for b in batches {
                let _ = b.done.send(Err(StoreError("log store failed earlier; writes are refused".into())));
            }
            continue;
        }
        buf.clear();
        for b in &batches {
            for r in &b.records {
                encode_frame(r, &mut buf);
            }
        }
        let result = file.write_all(&buf).and_then(|()| file.sync_data());
        let result = match result {
            Ok(()) => Ok(()),
            Err(e) => {
                poisoned.store(true, Ordering::SeqCst);
                tracing::error!(path = %path.display(), "log write failed, store poisoned: {e}");
                Err(StoreError(format!("log write failed: {e}")))
            }
        };
        for b in batches {
            let _ = b.done.send(result.clone());
        }
    }
}

impl Store for FileStore {
    fn replay(&mut self) -> Result<Vec<LogRecord>, StoreError> {
        let mut file = self.file.take().ok_or_else(|| StoreError("log already replayed".into()))?;
        let io = |e: std::io::Error| StoreError(format!("cannot read {}: {e}", self.path.display()));
        let mut data = Vec::new();
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.read_to_end(&mut data).map_err(io)?;
        let (records, valid) = decode_frames(&data);
        if valid < data.len() {
            tracing::warn!(
                path = %self.path.display(),
                dropped_bytes = data.len() - valid,
                "truncating a torn or corrupt tail of the log (a write that was never acknowledged)"
            );
            file.set_len(valid as u64).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        file.seek(SeekFrom::Start(valid as u64)).map_err(io)?;
        self.start_writer(file);
        Ok(records)
    }

    fn append(&self, records: Vec<LogRecord>) -> AppendTicket {
        let (done, ticket) = oneshot::channel();
        match &self.tx {
            Some(tx) => {
                if let Err(mpsc::SendError(b)) = tx.send(Batch { records, done }) {
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
mod tests {
    use super::*;

    fn rec(k: &str, v: Option<&str>) -> LogRecord {
        LogRecord::new(k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec()))
    }

    #[tokio::test]
    async fn appends_survive_reopen_and_torn_tail_is_truncated() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut s = FileStore::open(dir.path()).unwrap();
            assert!(s.replay().unwrap().is_empty());
            s.append(vec![rec("a", Some("1")), rec("b", None)]).await.unwrap().unwrap();
            s.append(vec![rec("c", Some("3"))]).await.unwrap().unwrap();
        }
        // A torn write: half a frame at the end.
        let path = dir.path().join(LOG_FILE);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[40, 0, 0, 0, 1, 2, 3]).unwrap();
        drop(f);
        let len_before = std::fs::metadata(&path).unwrap().len();
        let mut s = FileStore::open(dir.path()).unwrap();
        let got = s.replay().unwrap();
        assert_eq!(got, vec![rec("a", Some("1")), rec("b", None), rec("c", Some("3"))]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), len_before - 7);
        s.append(vec![rec("d", Some("4"))]).await.unwrap().unwrap();
        drop(s);
        let mut s = FileStore::open(dir.path()).unwrap();
        assert_eq!(s.replay().unwrap().len(), 4);
    }

    #[test]
    fn corrupt_crc_stops_replay_there() {
        let mut data = Vec::new();
        encode_frame(&rec("a", Some("1")), &mut data);
        let first = data.len();
        encode_frame(&rec("b", Some("2")), &mut data);
        let last = data.len() - 1;
        data[last] ^= 0xff;
        let (records, valid) = decode_frames(&data);
        assert_eq!(records.len(), 1);
        assert_eq!(valid, first);
    }

    #[test]
    fn second_process_cannot_open_the_same_dir() {
        let dir = tempfile::tempdir().unwrap();
        let _a = FileStore::open(dir.path()).unwrap();
        let b = FileStore::open(dir.path());
        assert!(b.is_err());
    }
}
