//! Where a subject came from, so links can be chained (A → B → C), gathered in hubs and meshed
//! without loops.
//!
//! Every Lockstep registry has an **instance id** (`ls-` + 16 hex digits), persisted with its
//! data and shown as `lockstepInstanceId` by `GET /v1/metadata/id`. A link with
//! `contextType AUTO` puts the subjects a Lockstep source owns into the context named for that
//! instance id (`.ls-…`), so the origin of every imported subject is part of its name — on any
//! registry, Lockstep or not, and wherever it travels next. A link then:
//! - **forwards** a source subject held in IMPORT mode in an origin context (`:.ls-…:name`) under
//!   the same name (no renaming, no second context), so a version reaches every registry once;
//! - **skips** one whose origin is the destination itself (no loop back);
//! - skips other imported subjects (CUSTOM, NONE or DEFAULT imports carry no origin).
//!
//! The origin is not written into the schema's metadata: metadata is part of a schema's
//! identity (its hash), so a lookup of the plain schema on the destination would miss it.

use std::io::Read;
use std::path::Path;

/// The file under a registry's data dir that holds its instance id.
pub const INSTANCE_ID_FILE: &str = "instance-id";

/// Is `s` an instance id (`ls-` + 16 lowercase hex digits)?
pub fn is_instance_id(s: &str) -> bool {
    s.strip_prefix("ls-")
        .is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// A registry's instance id as persisted under `data_dir` (created on first use).
pub fn instance_id_in(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join(INSTANCE_ID_FILE);
    match read_bounded(&path, 256) {
        Ok(bytes) => {
            let id = String::from_utf8_lossy(&bytes).trim().to_string();
            if !is_instance_id(&id) {
                anyhow::bail!("{} does not hold an instance id (ls- and 16 hex digits): '{id}'", path.display());
            }
            Ok(id)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let id = new_instance_id();
            crate::state::write_atomically(&path, format!("{id}\n").as_bytes())?;
            Ok(id)
        }
        Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
    }
}

/// A fresh random instance id.
pub fn new_instance_id() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut h = RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.write_u32(std::process::id());
    format!("ls-{:016x}", h.finish())
}

/// A stable instance id derived from a key every node of one deployment shares (for the Kafka
/// store: the Kafka cluster id and the topic), FNV-1a 64.
pub fn instance_id_for_key(key: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("ls-{h:016x}")
}

/// The context named for a registry instance (`.ls-…`).
pub fn origin_context(instance_id: &str) -> String {
    format!(".{instance_id}")
}

/// The instance id a subject's context names as its origin (`:.ls-…[.more]:name`), if any.
pub fn origin_of(subject: &str) -> Option<&str> {
    let rest = subject.strip_prefix(":.")?;
    let context = &rest[..rest.find(':')?];
    let first = context.split('.').next().unwrap_or(context);
    is_instance_id(first).then_some(first)
}

/// Read a regular file of at most `max` bytes (anything else is an error: devices, FIFOs,
/// directories and oversized files are refused without reading them).
pub fn read_bounded(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let f = std::fs::File::open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"));
    }
    if meta.len() > max {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("larger than {max} bytes")));
    }
    let mut out = Vec::with_capacity(meta.len() as usize);
    f.take(max + 1).read_to_end(&mut out)?;
    if out.len() as u64 > max {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("larger than {max} bytes")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_persist_and_name_origins() {
        let dir = tempfile::tempdir().unwrap();
        let id = instance_id_in(dir.path()).unwrap();
        assert!(is_instance_id(&id), "{id}");
        assert_eq!(instance_id_in(dir.path()).unwrap(), id, "kept across restarts");
        assert_ne!(new_instance_id(), new_instance_id());
        assert_eq!(instance_id_for_key("k/_schemas"), instance_id_for_key("k/_schemas"));
        std::fs::write(dir.path().join(INSTANCE_ID_FILE), "garbage").unwrap();
        assert!(instance_id_in(dir.path()).is_err());
        let s = format!(":{}.team:orders", origin_context(&id));
        assert_eq!(origin_of(&s), Some(id.as_str()));
        assert_eq!(origin_of(":.dr:orders"), None);
        assert_eq!(origin_of("orders"), None);
    }

    #[test]
    fn bounded_reads_refuse_devices_and_big_files() {
        assert!(read_bounded(Path::new("/dev/zero"), 1 << 20).is_err());
        let dir = tempfile::tempdir().unwrap();
        assert!(read_bounded(dir.path(), 10).is_err());
        let f = dir.path().join("big");
        std::fs::write(&f, vec![b'x'; 100]).unwrap();
        assert!(read_bounded(&f, 99).is_err());
        assert_eq!(read_bounded(&f, 100).unwrap().len(), 100);
    }
}
