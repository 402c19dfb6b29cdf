use super::*;
use crate::store::record::{self, Key};

fn rec(k: &str, v: Option<&str>) -> LogRecord {
    LogRecord::new(k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec()))
}

fn no_compaction() -> CompactionOptions {
    CompactionOptions { min_bytes: u64::MAX, ..CompactionOptions::default() }
}

fn records(got: Vec<(u64, LogRecord)>) -> Vec<LogRecord> {
    got.into_iter().map(|(_, r)| r).collect()
}

#[tokio::test]
async fn appends_survive_reopen_and_torn_tail_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = FileStore::open_with(dir.path(), no_compaction()).unwrap();
        assert!(s.replay().unwrap().is_empty());
        s.append(vec![rec("a", Some("1")), rec("b", None)]).await.unwrap().unwrap();
        s.append(vec![rec("c", Some("3"))]).await.unwrap().unwrap();
    }
    // A torn write: half a frame at the end.
    let path = dir.path().join(LOG_FILE);
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(&[40, 0, 0, 0, 1, 2, 3]).unwrap();
    drop(f);
    let mut s = FileStore::open_with(dir.path(), no_compaction()).unwrap();
    let got = records(s.replay().unwrap());
    assert_eq!(got[..3], [rec("a", Some("1")), rec("b", None), rec("c", Some("3"))]);
    // The cut bytes could have held one record: new ids skip one.
    assert_eq!(got.len(), 4);
    assert_eq!(String::from_utf8_lossy(got[3].value.as_deref().unwrap()), r#"{"context":".","maxId":1}"#);
    s.append(vec![rec("d", Some("4"))]).await.unwrap().unwrap();
    drop(s);
    let mut s = FileStore::open_with(dir.path(), no_compaction()).unwrap();
    let got = s.replay().unwrap();
    assert_eq!(got.iter().map(|(o, _)| *o).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
    assert_eq!(got[4].1, rec("d", Some("4")));
}

#[tokio::test]
async fn a_zero_filled_tail_is_cut_without_skipping_ids() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = FileStore::open_with(dir.path(), no_compaction()).unwrap();
        s.replay().unwrap();
        s.append(vec![rec("a", Some("1"))]).await.unwrap().unwrap();
    }
    let path = dir.path().join(LOG_FILE);
    let len = std::fs::metadata(&path).unwrap().len();
    OpenOptions::new().append(true).open(&path).unwrap().write_all(&[0; 4096]).unwrap();
    let mut s = FileStore::open_with(dir.path(), no_compaction()).unwrap();
    assert_eq!(s.replay().unwrap().len(), 1);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
}

#[tokio::test]
async fn damage_with_valid_records_after_it_refuses_to_open_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = FileStore::open_with(dir.path(), no_compaction()).unwrap();
        s.replay().unwrap();
        for i in 0..9 {
            s.append(vec![rec(&format!("k{i}"), Some("some value"))]).await.unwrap().unwrap();
        }
    }
    let path = dir.path().join(LOG_FILE);
    let mut data = std::fs::read(&path).unwrap();
    let frame_len = data.len() / 9;
    let at = 3 * frame_len + 12;
    data[at] ^= 0x01;
    std::fs::write(&path, &data).unwrap();
    let mut s = FileStore::open_with(dir.path(), no_compaction()).unwrap();
    let err = s.replay().unwrap_err().0;
    assert!(err.contains(&format!("damaged at byte {}", 3 * frame_len)), "{err}");
    assert!(err.contains("after the record at log offset 2"), "{err}");
    assert!(err.contains("5 intact records follow"), "{err}");
    assert!(err.contains("lockstep registry repair"), "{err}");
    drop(s);
    assert_eq!(std::fs::read(&path).unwrap(), data, "the damaged log must not be touched");
}

#[test]
fn second_process_cannot_open_the_same_dir() {
    let dir = tempfile::tempdir().unwrap();
    let _a = FileStore::open(dir.path()).unwrap();
    let b = FileStore::open(dir.path());
    assert!(b.is_err());
}

use crate::store::record::test_schema_record as schema_rec;

/// The compactor rewrites a grown log in the background: hard-deleted text is gone from the
/// file, the state is the same, writes made during and after it keep their offsets.
#[tokio::test]
async fn background_compaction_drops_hard_deleted_text_and_keeps_state_and_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let opts =
        CompactionOptions { min_bytes: 1, growth: 1.5, interval: Duration::from_millis(20), abort_at_step: None };
    let mut s = FileStore::open_with(dir.path(), no_compaction()).unwrap();
    s.replay().unwrap();
    let mut all = Vec::new();
    for i in 0..40u32 {
        let text = format!("\"secret-{i}\"");
        let batch = vec![
            schema_rec("s", i + 1, i + 1, &text, false),
            schema_rec("s", i + 1, i + 1, &text, true),
            LogRecord::tombstone(Key::Schema { subject: "s".into(), version: i + 1 }.encode().into()),
        ];
        all.extend(batch.clone());
        s.append(batch).await.unwrap().unwrap();
    }
    let keep = schema_rec("t", 1, 41, "\"kept\"", false);
    all.push(keep.clone());
    s.append(vec![keep]).await.unwrap().unwrap();
    drop(s);
    // Reopened with compaction on: the compactor finds the log worth compacting right away.
    let mut s = FileStore::open_with(dir.path(), opts).unwrap();
    assert_eq!(s.replay().unwrap().len(), all.len());
    let path = dir.path().join(LOG_FILE);
    let full_len = std::fs::metadata(&path).unwrap().len();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&path).unwrap().len() >= full_len {
        assert!(std::time::Instant::now() < deadline, "log never compacted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after = rec("after", Some("x"));
    s.append(vec![after.clone()]).await.unwrap().unwrap();
    drop(s);
    let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
    assert!(!text.contains("secret-"), "hard-deleted schema text survived compaction");
    assert!(text.contains("kept"));
    let mut s = FileStore::open_with(dir.path(), no_compaction()).unwrap();
    let got = s.replay().unwrap();
    let whole: Vec<(u64, LogRecord)> = all.into_iter().enumerate().map(|(i, r)| (i as u64, r)).collect();
    let before = compact::replay(&whole);
    let now = compact::replay(&got[..got.len() - 1]);
    compact::same_state(&before, &now).unwrap();
    assert_eq!(now.context(".").unwrap().max_id, 41);
    assert_eq!(got.last().unwrap(), &(whole.len() as u64, after), "offsets moved");
}

#[test]
fn leftover_of_an_interrupted_compaction_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(COMPACT_FILE), b"partial").unwrap();
    let mut s = FileStore::open_with(dir.path(), no_compaction()).unwrap();
    assert!(s.replay().unwrap().is_empty());
    assert!(!dir.path().join(COMPACT_FILE).exists());
}

/// Writes keep flowing while the compactor rewrites the log again and again: every write is
/// kept (or superseded by a later one of the same key), offsets do not move.
#[tokio::test]
async fn writes_during_repeated_compactions_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let opts = CompactionOptions { min_bytes: 1, growth: 1.0, interval: Duration::from_millis(1), abort_at_step: None };
    let mut s = FileStore::open_with(dir.path(), opts).unwrap();
    s.replay().unwrap();
    let mut all = Vec::new();
    for i in 0..400u32 {
        let subject = format!("s{}", i % 7);
        let mut m = serde_json::Map::new();
        m.insert("compatibilityLevel".into(), serde_json::json!(if i % 2 == 0 { "FULL" } else { "NONE" }));
        m.insert("n".into(), serde_json::json!(i));
        let r = LogRecord::new(
            Key::Config { subject: Some(subject.clone()) }.encode(),
            Some(record::encode_config(Some(&subject), &m)),
        );
        all.push(r.clone());
        s.append(vec![r]).await.unwrap().unwrap();
        if i % 50 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    drop(s);
    let mut s = FileStore::open_with(dir.path(), no_compaction()).unwrap();
    let got = s.replay().unwrap();
    assert!(got.len() < all.len(), "never compacted");
    assert_eq!(got.last().unwrap().0, all.len() as u64 - 1);
    let whole: Vec<(u64, LogRecord)> = all.into_iter().enumerate().map(|(i, r)| (i as u64, r)).collect();
    compact::same_state(&compact::replay(&whole), &compact::replay(&got)).unwrap();
}
