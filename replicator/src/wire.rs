//! Where Confluent's serializers put a record's schema reference, and in which form.
//!
//! - Prefix, id form: `0x00 | schema id (i32 big-endian) | [Protobuf message indexes] | payload`.
//! - Prefix, guid form: `0x01 | schema guid (16 bytes) | [Protobuf message indexes] | payload`.
//! - Header: `__key_schema_id` / `__value_schema_id` holds the same `0x00 + id` or `0x01 + guid`
//!   bytes (plus the Protobuf message indexes); the payload then has no prefix at all. Confluent's
//!   default reader looks at the header first and only then at the prefix, and so does the gate.
//!
//! Protobuf message indexes are a zig-zag varint count followed by that many zig-zag varint
//! indexes; a count of 0 stands for `[0]` (the first message of the file).

/// The magic byte of the id form.
pub const MAGIC_ID: u8 = 0;
/// The magic byte of the guid form.
pub const MAGIC_GUID: u8 = 1;
/// Header carrying a key's schema id or guid.
pub const KEY_HEADER: &str = "__key_schema_id";
/// Header carrying a value's schema id or guid.
pub const VALUE_HEADER: &str = "__value_schema_id";

/// A schema reference: an id (per registry and context) or a guid (the same in every registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SchemaRef {
    Id(i32),
    Guid([u8; 16]),
}

impl std::fmt::Display for SchemaRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaRef::Id(id) => write!(f, "id {id}"),
            SchemaRef::Guid(g) => write!(f, "guid {}", guid_string(g)),
        }
    }
}

/// `8-4-4-4-12` lower-case hex, as the registry's `/schemas/guids/{guid}` expects.
pub fn guid_string(g: &[u8; 16]) -> String {
    let hex: String = g.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// Which side of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Key,
    Value,
}

impl Field {
    pub fn header(self) -> &'static str {
        match self {
            Field::Key => KEY_HEADER,
            Field::Value => VALUE_HEADER,
        }
    }
}

/// Where a reference was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Prefix,
    Header,
}

/// The reference at the start of `bytes` (a prefix or a header value), if any.
pub fn parse_ref(bytes: &[u8]) -> Option<SchemaRef> {
    match bytes {
        [MAGIC_ID, a, b, c, d, ..] => Some(SchemaRef::Id(i32::from_be_bytes([*a, *b, *c, *d]))),
        [MAGIC_GUID, rest @ ..] if rest.len() >= 16 => {
            let mut g = [0u8; 16];
            g.copy_from_slice(&rest[..16]);
            Some(SchemaRef::Guid(g))
        }
        _ => None,
    }
}

/// The reference of one field: the header wins over the prefix (Confluent's default reader).
/// `header` is the value of the field's header when the record has one. A header that is
/// present but unreadable is reported as `Err` (the record is not framed as it claims).
pub fn locate(payload: &[u8], header: Option<&[u8]>) -> Result<Option<(SchemaRef, Location)>, &'static str> {
    if let Some(h) = header {
        return match parse_ref(h) {
            Some(r) => Ok(Some((r, Location::Header))),
            None => Err("schema-id header is neither 0x00 + id nor 0x01 + guid"),
        };
    }
    Ok(parse_ref(payload).map(|r| (r, Location::Prefix)))
}

/// The same bytes (a prefix-framed payload or a header value) with the id replaced.
pub fn with_schema_id(bytes: &[u8], id: i32) -> Option<Vec<u8>> {
    match parse_ref(bytes)? {
        SchemaRef::Id(_) => {
            let mut out = bytes.to_vec();
            out[1..5].copy_from_slice(&id.to_be_bytes());
            Some(out)
        }
        SchemaRef::Guid(_) => None,
    }
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

    const G: [u8; 16] =
        [0x89, 0x79, 0x17, 0x62, 0x23, 0x36, 0x41, 0x86, 0x96, 0x74, 0x29, 0x9b, 0x90, 0xa8, 0x02, 0xe2];

    #[test]
    fn reads_ids_and_guids() {
        assert_eq!(parse_ref(&[0u8, 0, 0, 1, 2, 0xaa]), Some(SchemaRef::Id(258)));
        let mut g = vec![1u8];
        g.extend_from_slice(&G);
        assert_eq!(parse_ref(&g), Some(SchemaRef::Guid(G)));
        assert_eq!(guid_string(&G), "89791762-2336-4186-9674-299b90a802e2");
        assert_eq!(parse_ref(&g[..16]), None, "a guid needs 16 bytes");
        assert_eq!(parse_ref(&[0, 0, 0]), None);
        assert_eq!(parse_ref(&[2, 0, 0, 0, 1]), None);
        assert_eq!(parse_ref(b"plain json"), None);
    }

    #[test]
    fn the_header_wins_over_the_prefix() {
        // Header-framed Avro whose first payload byte is 0 (a boolean false): not a prefix.
        let payload = [0u8, 0, 0, 0, 9, 1];
        let header = [0u8, 0, 0, 0, 7];
        assert_eq!(locate(&payload, Some(&header)), Ok(Some((SchemaRef::Id(7), Location::Header))));
        assert_eq!(locate(&payload, None), Ok(Some((SchemaRef::Id(9), Location::Prefix))));
        assert!(locate(&payload, Some(b"junk")).is_err());
        assert_eq!(locate(b"text", None), Ok(None));
    }

    #[test]
    fn rewrites_only_the_id() {
        let rec = [0u8, 0, 0, 0, 7, 9, 9];
        assert_eq!(with_schema_id(&rec, 300).unwrap(), vec![0, 0, 0, 1, 44, 9, 9]);
        assert!(with_schema_id(b"x", 1).is_none());
        let mut g = vec![1u8];
        g.extend_from_slice(&G);
        assert!(with_schema_id(&g, 1).is_none(), "a guid is never rewritten");
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
