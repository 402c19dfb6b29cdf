//! `lockstep registry verify` / `repair`: report damage in the embedded log and recover every
//! intact record after it.
//!
//! Frames are self-delimiting and checksummed, so after damaged bytes the scan resynchronises
//! at the next valid frame ([`frame::scan`]). Records after damage get log offsets at or above
//! the ones they had (a change-feed follower may see some again, never misses one). Ids: the
//! damaged bytes may have held registrations whose ids clients already use, so every context's
//! next id is put above the highest surviving id plus the most registrations the damaged bytes
//! could have held (a `LOCKSTEP_ID_HIGH_WATER` record); no id is ever given out twice.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::file::{lock_dir, sync_dir, LOG_FILE};
use super::frame::{self, Damage};
use super::record::{self, IdHighWaterValue, Key};
use super::{compact, LogRecord, StoreError};
use crate::subject::DEFAULT_CONTEXT;

/// What `verify` found.
#[derive(Debug)]
pub struct Report {
    pub path: PathBuf,
    pub file_bytes: u64,
    pub records: usize,
    pub damage: Vec<Damage>,
    pub torn_tail: u64,
    pub bad_offsets: Vec<u64>,
    /// Highest id per context in the intact records.
    pub max_ids: Vec<(String, u32)>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.damage.is_empty() && self.torn_tail == 0 && self.bad_offsets.is_empty()
    }

    /// Registrations the damaged bytes may have held at most.
    pub fn max_lost(&self) -> u64 {
        self.damage.iter().map(Damage::max_lost_frames).sum::<u64>() + self.bad_offsets.len() as u64
    }

    /// A human-readable account.
    pub fn render(&self) -> String {
        let mut s = format!("{}: {} bytes, {} intact records\n", self.path.display(), self.file_bytes, self.records);
        for d in &self.damage {
            s += &format!(
                "DAMAGED: bytes {}..{} ({} bytes) hold no valid record, after {}; valid records follow\n",
                d.start,
                d.start + d.len,
                d.len,
                d.after_offset.map_or("the start of the file".to_string(), |o| format!("log offset {o}")),
            );
        }
        for at in &self.bad_offsets {
            s += &format!("DAMAGED: the record at byte {at} has an offset that does not increase\n");
        }
        if self.torn_tail > 0 {
            s += &format!(
                "torn tail: the last {} bytes are an incomplete write (never acknowledged; cut off at start)\n",
                self.torn_tail
            );
        }
        for (ctx, id) in &self.max_ids {
            s += &format!("context {ctx}: highest id {id}\n");
        }
        if self.is_clean() {
            s += "OK: the log is intact\n";
        } else if !self.damage.is_empty() || !self.bad_offsets.is_empty() {
            s += &format!(
                "repair keeps every intact record and puts new ids above the highest one plus {}\n",
                self.max_lost()
            );
        }
        s
    }
}

fn read(dir: &Path) -> Result<(PathBuf, Vec<u8>), StoreError> {
    let path = dir.join(LOG_FILE);
    let mut data = Vec::new();
    File::open(&path)
        .and_then(|mut f| f.read_to_end(&mut data))
        .map_err(|e| StoreError(format!("cannot read {}: {e}", path.display())))?;
    Ok((path, data))
}

fn report(path: PathBuf, data: &[u8], scan: &frame::Scan) -> Report {
    let state = compact::replay(&scan.records);
    Report {
        path,
        file_bytes: data.len() as u64,
        records: scan.records.len(),
        damage: scan.damage.clone(),
        torn_tail: scan.torn_tail,
        bad_offsets: scan.bad_offsets.clone(),
        max_ids: state.contexts.iter().map(|(n, c)| (n.clone(), c.max_id)).collect(),
    }
}

/// `LOCKSTEP_ID_HIGH_WATER` records, at the offsets after `records`, that put every context's
/// next id (the default context's too) above its highest id plus `lost`. None when `lost` is 0.
pub fn high_water_records(records: &[(u64, LogRecord)], lost: u64) -> Vec<(u64, LogRecord)> {
    if lost == 0 {
        return Vec::new();
    }
    let state = compact::replay(records);
    let mut contexts: Vec<(String, u32)> = state.contexts.iter().map(|(n, c)| (n.clone(), c.max_id)).collect();
    if !contexts.iter().any(|(c, _)| c == DEFAULT_CONTEXT) {
        contexts.push((DEFAULT_CONTEXT.to_string(), 0));
    }
    let first = records.last().map_or(0, |(o, _)| o + 1);
    (first..)
        .zip(contexts)
        .map(|(offset, (ctx, max))| {
            let max_id = (u64::from(max) + lost).min(i32::MAX as u64) as u32;
            let value = IdHighWaterValue { context: ctx.clone(), max_id };
            let key = Key::IdHighWater { context: ctx }.encode();
            (offset, LogRecord::new(key, Some(record::to_bytes(&value))))
        })
        .collect()
}

/// Read the log in `dir` (without locking it: safe while a registry runs) and report.
pub fn verify(dir: &Path) -> Result<Report, StoreError> {
    let (path, data) = read(dir)?;
    let scan = frame::scan(&data);
    Ok(report(path, &data, &scan))
}

/// What `repair` did.
#[derive(Debug)]
pub struct Repaired {
    pub report: Report,
    /// Where the damaged file was kept (None when nothing needed repair).
    pub backup: Option<PathBuf>,
    /// The next id of each context is above this.
    pub high_water: Vec<(String, u32)>,
}

/// Rewrite the log in `dir` with every intact record. Takes the directory's lock (the registry
/// must be stopped). The damaged file is kept as `schemas.log.damaged-<unix time>`.
pub fn repair(dir: &Path) -> Result<Repaired, StoreError> {
    let _lock = lock_dir(dir)?;
    let (path, data) = read(dir)?;
    let scan = frame::scan(&data);
    let report = report(path.clone(), &data, &scan);
    if report.is_clean() {
        return Ok(Repaired { report, backup: None, high_water: Vec::new() });
    }
    let mut records = scan.records;
    // Keep offsets strictly increasing (a record with a bad explicit offset moves up).
    for i in 1..records.len() {
        if records[i].0 <= records[i - 1].0 {
            records[i].0 = records[i - 1].0 + 1;
        }
    }
    let high_water: Vec<(String, u32)> = high_water_records(&records, report.max_lost())
        .into_iter()
        .inspect(|r| records.push(r.clone()))
        .filter_map(|(_, r)| serde_json::from_slice::<IdHighWaterValue>(r.value.as_deref()?).ok())
        .map(|h| (h.context, h.max_id))
        .collect();
    let mut out = Vec::new();
    let mut next = 0u64;
    for (o, r) in &records {
        frame::encode(r, (*o != next).then_some(*o), &mut out);
        next = o + 1;
    }
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let backup = dir.join(format!("{LOG_FILE}.damaged-{secs}"));
    let tmp = dir.join(format!("{LOG_FILE}.repair"));
    let io = |what: &str, p: &Path, e: std::io::Error| StoreError(format!("{what} {}: {e}", p.display()));
    // The damaged file stays reachable under its backup name before the log is replaced.
    std::fs::hard_link(&path, &backup).map_err(|e| io("cannot keep the damaged log as", &backup, e))?;
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&tmp)
        .map_err(|e| io("cannot create", &tmp, e))?;
    f.write_all(&out).and_then(|()| f.sync_all()).map_err(|e| io("cannot write", &tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io("cannot rename", &tmp, e))?;
    sync_dir(dir).map_err(|e| io("cannot sync", dir, e))?;
    Ok(Repaired { report, backup: Some(backup), high_water })
}
