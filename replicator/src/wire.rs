//! Confluent's wire format: `0x00 | schema id (i32 big-endian) | [Protobuf message indexes] | payload`.
//!
//! Protobuf message indexes are a zig-zag varint count followed by that many zig-zag varint
//! indexes; a count of 0 stands for `[0]` (the first message of the file).

/// The magic byte of the classic (id-based) wire format.
pub const MAGIC: u8 = 0;

/// The schema reference a record carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireHeader {
    pub schema_id: i32,
    /// Bytes of the header (magic + id), where the payload or the Protobuf indexes start.
    pub header_len: usize,
}

/// Read the header of a wire-format record; None when the bytes are not in the wire format
/// (such records are replicated untouched).
pub fn parse(bytes: &[u8]) -> Option<WireHeader> {
    match bytes {
        [MAGIC, a, b, c, d, ..] => Some(WireHeader { schema_id: i32::from_be_bytes([*a, *b, *c, *d]), header_len: 5 }),
        _ => None,
    }
}

/// The same record with its schema id replaced (the `translate` policy).
pub fn with_schema_id(bytes: &[u8], id: i32) -> Option<Vec<u8>> {
    parse(bytes)?;
    let mut out = bytes.to_vec();
    out[1..5].copy_from_slice(&id.to_be_bytes());
    Some(out)
}

fn read_varint_zigzag(bytes: &[u8], pos: &mut usize) -> Option<i64> {
    let mut value: u64 = 0;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(((value >> 1) as i64) ^ -((value & 1) as i64));
        }
    }
    None
}

/// Protobuf message indexes after the header at `start`: the path and the payload offset.
pub fn protobuf_indexes(bytes: &[u8], start: usize) -> Option<(Vec<i64>, usize)> {
    let mut pos = start;
    let count = read_varint_zigzag(bytes, &mut pos)?;
    if count == 0 {
        return Some((vec![0], pos));
    }
    if !(0..=1024).contains(&count) {
        return None;
    }
    let mut path = Vec::with_capacity(count as usize);
    for _ in 0..count {
        path.push(read_varint_zigzag(bytes, &mut pos)?);
    }
    Some((path, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_schema_id_big_endian() {
        let rec = [0u8, 0, 0, 1, 2, 0xaa];
        assert_eq!(parse(&rec), Some(WireHeader { schema_id: 258, header_len: 5 }));
        assert_eq!(parse(&[1, 0, 0, 0, 1]), None);
        assert_eq!(parse(&[0, 0, 0]), None);
        assert_eq!(parse(b"plain json"), None);
    }

    #[test]
    fn rewrites_only_the_id() {
        let rec = [0u8, 0, 0, 0, 7, 9, 9];
        assert_eq!(with_schema_id(&rec, 300).unwrap(), vec![0, 0, 0, 1, 44, 9, 9]);
        assert!(with_schema_id(b"x", 1).is_none());
    }

    #[test]
    fn protobuf_message_indexes_as_confluent_writes_them() {
        // [0] is a single 0x00; [1] is 0x02 0x02; [0,2] is 0x04 0x00 0x04.
        assert_eq!(protobuf_indexes(&[0x00, 0xff], 0), Some((vec![0], 1)));
        assert_eq!(protobuf_indexes(&[0x02, 0x02], 0), Some((vec![1], 2)));
        assert_eq!(protobuf_indexes(&[0x04, 0x00, 0x04, 0x55], 0), Some((vec![0, 2], 3)));
        assert_eq!(protobuf_indexes(&[0x04, 0x00], 0), None);
        assert_eq!(protobuf_indexes(&[0xff; 12], 0), None);
    }
}
