//! The embedded log's frame format and a scanner that tells a torn tail from a damaged middle.
//!
//! Frame: `len: u32 LE | crc32(payload): u32 LE | payload`, payload:
//! `key_len: u32 LE | key | flags: u8 | [offset: u64 LE] | [value_len: u32 LE | value]`.
//! `flags` bit 0: a value follows (else a tombstone); bit 1: the record carries its log offset
//! explicitly (written by compaction and repair, which leave gaps). Without it a record's offset
//! is the previous record's plus one (the first record's is 0). Offsets strictly increase.

use super::LogRecord;

/// Upper bound for one frame; anything larger in the file is damage.
pub const MAX_FRAME: usize = 256 * 1024 * 1024;
/// The smallest possible frame: header, key length, an empty key and the flags byte.
pub const MIN_FRAME: usize = 8 + 4 + 1;

const HAS_VALUE: u8 = 1;
const HAS_OFFSET: u8 = 2;

/// Append one frame for `rec`; `offset` is written only when given.
pub fn encode(rec: &LogRecord, offset: Option<u64>, out: &mut Vec<u8>) {
    let value_len = rec.value.as_ref().map_or(0, |v| 4 + v.len());
    let len = 4 + rec.key.len() + 1 + offset.map_or(0, |_| 8) + value_len;
    out.reserve(8 + len);
    let start = out.len();
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(rec.key.len() as u32).to_le_bytes());
    out.extend_from_slice(&rec.key);
    let flags = if rec.value.is_some() { HAS_VALUE } else { 0 } | if offset.is_some() { HAS_OFFSET } else { 0 };
    out.push(flags);
    if let Some(o) = offset {
        out.extend_from_slice(&o.to_le_bytes());
    }
    if let Some(v) = &rec.value {
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
        out.extend_from_slice(v);
    }
    let crc = crc32fast::hash(&out[start + 8..]);
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

fn u32_at(p: &[u8], i: usize) -> Option<usize> {
    p.get(i..i.checked_add(4)?).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// Decode a payload: the record and its explicit offset, if any. None when malformed.
fn decode_payload(p: &[u8]) -> Option<(LogRecord, Option<u64>)> {
    let klen = u32_at(p, 0)?;
    let key = p.get(4..4usize.checked_add(klen)?)?;
    let mut i = 4 + klen;
    let flags = *p.get(i)?;
    if flags & !(HAS_VALUE | HAS_OFFSET) != 0 {
        return None;
    }
    i += 1;
    let offset = if flags & HAS_OFFSET != 0 {
        let b = p.get(i..i + 8)?;
        i += 8;
        Some(u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    } else {
        None
    };
    let value = if flags & HAS_VALUE != 0 {
        let vlen = u32_at(p, i)?;
        let v = p.get(i + 4..(i + 4).checked_add(vlen)?)?;
        i += 4 + vlen;
        Some(v.to_vec())
    } else {
        None
    };
    (i == p.len()).then(|| (LogRecord::new(key.to_vec(), value), offset))
}

/// The frame starting at `pos`, if a whole valid one does: (record, explicit offset, frame length).
fn frame_at(data: &[u8], pos: usize) -> Option<(LogRecord, Option<u64>, usize)> {
    let len = u32_at(data, pos)?;
    if !(MIN_FRAME - 8..=MAX_FRAME).contains(&len) {
        return None;
    }
    let payload = data.get(pos + 8..(pos + 8).checked_add(len)?)?;
    // Cheap structural checks before the CRC, so scanning damaged bytes stays linear-ish.
    let klen = u32_at(payload, 0)?;
    if klen > len - 5 {
        return None;
    }
    let crc = u32_at(data, pos + 4)? as u32;
    if crc32fast::hash(payload) != crc {
        return None;
    }
    let (rec, offset) = decode_payload(payload)?;
    Some((rec, offset, 8 + len))
}

/// A stretch of bytes that holds no valid frame, followed by valid frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Byte position in the file where the damage starts.
    pub start: u64,
    /// Bytes skipped until the next valid frame.
    pub len: u64,
    /// The log offset of the last record before the damage (None at the file's start).
    pub after_offset: Option<u64>,
}

impl Damage {
    /// How many frames the damaged bytes could have held at most.
    pub fn max_lost_frames(&self) -> u64 {
        self.len.div_ceil(MIN_FRAME as u64)
    }
}

/// What a scan of a log file found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Every intact record with its log offset, in file order.
    pub records: Vec<(u64, LogRecord)>,
    /// Damaged stretches with valid frames after them (never expected: the disk or someone else
    /// changed the file).
    pub damage: Vec<Damage>,
    /// Bytes at the end that hold no valid frame: an interrupted write (torn tail).
    pub torn_tail: u64,
    /// Length of the file up to the end of the last valid frame.
    pub valid_len: u64,
    /// Records whose explicit offset did not increase (treated as damage, the record dropped).
    pub bad_offsets: Vec<u64>,
}

/// Scan `data`: read frames in order; at a bad one, look for the next valid frame (frames are
/// self-delimiting and checksummed). Bad bytes with nothing valid after them are a torn tail.
pub fn scan(data: &[u8]) -> Scan {
    let mut out = Scan::default();
    let mut pos = 0usize;
    let mut next_offset = 0u64;
    let mut last_offset: Option<u64> = None;
    let mut bad_start: Option<usize> = None;
    // After damage, records get offsets far enough ahead that a follower never misses one.
    let mut skip = 0u64;
    while pos < data.len() {
        match frame_at(data, pos) {
            Some((rec, explicit, len)) => {
                if let Some(start) = bad_start.take() {
                    let d = Damage { start: start as u64, len: (pos - start) as u64, after_offset: last_offset };
                    skip = d.max_lost_frames();
                    out.damage.push(d);
                }
                let offset = match explicit {
                    Some(o) => o.max(next_offset + skip),
                    None => next_offset + skip,
                };
                skip = 0;
                if explicit.is_some_and(|o| last_offset.is_some_and(|l| o <= l)) {
                    out.bad_offsets.push(pos as u64);
                }
                out.records.push((offset, rec));
                last_offset = Some(offset);
                next_offset = offset + 1;
                pos += len;
                out.valid_len = pos as u64;
            }
            None => {
                bad_start.get_or_insert(pos);
                pos += 1;
            }
        }
    }
    if let Some(start) = bad_start {
        out.torn_tail = (data.len() - start) as u64;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(k: &str, v: Option<&str>) -> LogRecord {
        LogRecord::new(k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec()))
    }

    fn log(n: usize) -> (Vec<u8>, Vec<usize>) {
        let mut data = Vec::new();
        let mut starts = Vec::new();
        for i in 0..n {
            starts.push(data.len());
            encode(&rec(&format!("key-{i}"), Some(&format!("value-{i}"))), None, &mut data);
        }
        (data, starts)
    }

    #[test]
    fn clean_log_reads_back_with_implicit_and_explicit_offsets() {
        let mut data = Vec::new();
        encode(&rec("a", Some("1")), None, &mut data);
        encode(&rec("b", None), Some(7), &mut data);
        encode(&rec("c", Some("3")), None, &mut data);
        let s = scan(&data);
        assert!(s.damage.is_empty() && s.torn_tail == 0);
        let offsets: Vec<u64> = s.records.iter().map(|(o, _)| *o).collect();
        assert_eq!(offsets, vec![0, 7, 8]);
        assert_eq!(s.records[1].1, rec("b", None));
        assert_eq!(s.valid_len, data.len() as u64);
    }

    #[test]
    fn half_a_frame_at_the_end_is_a_torn_tail() {
        let (mut data, _) = log(3);
        let whole = data.len();
        data.extend_from_slice(&[40, 0, 0, 0, 1, 2, 3]);
        let s = scan(&data);
        assert_eq!((s.records.len(), s.torn_tail, s.valid_len), (3, 7, whole as u64));
        assert!(s.damage.is_empty());
    }

    #[test]
    fn bad_length_in_the_last_frame_is_a_torn_tail() {
        let (mut data, starts) = log(3);
        data[starts[2]..starts[2] + 4].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
        let s = scan(&data);
        assert_eq!(s.records.len(), 2);
        assert!(s.damage.is_empty());
        assert_eq!(s.torn_tail, (data.len() - starts[2]) as u64);
    }

    #[test]
    fn flipped_byte_mid_file_is_damage_and_later_frames_are_recovered() {
        let (mut data, starts) = log(10);
        data[starts[4] + 10] ^= 0x40;
        let s = scan(&data);
        assert_eq!(s.records.len(), 9);
        assert_eq!(s.torn_tail, 0);
        assert_eq!(s.damage.len(), 1);
        assert_eq!(s.damage[0].start, starts[4] as u64);
        assert_eq!(s.damage[0].len, (starts[5] - starts[4]) as u64);
        assert_eq!(s.damage[0].after_offset, Some(3));
        // Records after the damage keep offsets at or above their original ones.
        for (o, r) in &s.records {
            let i: u64 = std::str::from_utf8(&r.key).unwrap()[4..].parse().unwrap();
            assert!(*o >= i, "record {i} got offset {o}");
        }
        assert!(s.records.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn bad_length_mid_file_is_damage() {
        let (mut data, starts) = log(10);
        data[starts[2]..starts[2] + 4].copy_from_slice(&1_000_000u32.to_le_bytes());
        let s = scan(&data);
        assert_eq!(s.damage.len(), 1);
        assert_eq!(s.damage[0].start, starts[2] as u64);
        assert_eq!(s.records.len(), 9);
        let short = 12u32.to_le_bytes();
        let (mut data, starts) = log(10);
        data[starts[2]..starts[2] + 4].copy_from_slice(&short);
        let s = scan(&data);
        assert_eq!((s.damage.len(), s.records.len()), (1, 9));
    }

    #[test]
    fn garbage_never_panics() {
        let mut x: u32 = 12345;
        for n in 0..300 {
            let data: Vec<u8> = (0..n * 7)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    (x % 7) as u8
                })
                .collect();
            let s = scan(&data);
            assert!(s.valid_len as usize <= data.len());
        }
    }
}
