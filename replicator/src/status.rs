//! `lockstep replicate status --config FILE`: what every process of a replication is doing.
//!
//! Each process publishes its partitions (owner, next offset, source end, rate, halted record)
//! every 2 s to the compacted topic `lockstep-status.<name>` on the destination; `status` reads
//! the newest report of each process still alive (reported in the last 30 s) and prints one line
//! per partition, with a progress bar while a partition catches up.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::group::{client, PartStatus};

/// One process's report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceStatus {
    pub instance: String,
    pub host: String,
    pub pid: u32,
    pub updated_ms: u64,
    pub partitions: Vec<PartStatus>,
}

/// The newest report of every process alive.
pub fn read(cfg: &Config) -> anyhow::Result<Vec<InstanceStatus>> {
    let c: BaseConsumer = client(&cfg.destination.bootstrap, &cfg.destination.properties)
        .set("group.id", format!("{}-status", cfg.progress_group()))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .create()?;
    let topic = cfg.status_topic();
    let (_, high) = c
        .fetch_watermarks(&topic, 0, Duration::from_secs(10))
        .map_err(|e| anyhow::anyhow!("cannot read {topic} on the destination (has the replication run?): {e}"))?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&topic, 0, Offset::Beginning)?;
    c.assign(&tpl)?;
    let mut latest: BTreeMap<String, InstanceStatus> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut next = 0;
    while next < high && Instant::now() < deadline {
        match c.poll(Duration::from_millis(500)) {
            Some(Ok(m)) => {
                next = m.offset() + 1;
                if let Some(st) = m.payload().and_then(|v| serde_json::from_slice::<InstanceStatus>(v).ok()) {
                    latest.insert(st.instance.clone(), st);
                }
            }
            Some(Err(KafkaError::PartitionEOF(_))) => break,
            Some(Err(e)) => anyhow::bail!("reading {topic}: {e}"),
            None => {}
        }
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    Ok(latest.into_values().filter(|s| now.saturating_sub(s.updated_ms) < 30_000).collect())
}

fn bar(done: i64, total: i64) -> String {
    if total <= 0 {
        return String::new();
    }
    let frac = (done as f64 / total as f64).clamp(0.0, 1.0);
    let filled = (frac * 20.0).round() as usize;
    format!("[{}{}] {:>3.0}%", "#".repeat(filled), ".".repeat(20 - filled), frac * 100.0)
}

/// The table `status` prints.
pub fn render(reports: &[InstanceStatus]) -> String {
    // A partition that moved (its old owner was killed and still has a recent report) is shown
    // once, as its newest report has it.
    let mut newest: BTreeMap<(&str, i32), (&InstanceStatus, &PartStatus)> = BTreeMap::new();
    for r in reports {
        for p in &r.partitions {
            let e = newest.entry((p.topic.as_str(), p.partition)).or_insert((r, p));
            if r.updated_ms > e.0.updated_ms {
                *e = (r, p);
            }
        }
    }
    let rows: Vec<(&InstanceStatus, &PartStatus)> = newest.into_values().collect();
    let mut out = format!(
        "{:<32} {:>5} {:>12} {:>12} {:>10} {:>10}  {:<24} {}\n",
        "topic", "part", "next", "lag", "rec/s", "owner", "progress", "last error"
    );
    for (r, p) in rows {
        let lag = (p.end - p.next).max(0);
        let progress = if lag > 0 { bar(p.next - p.started_at, p.end - p.started_at) } else { "caught up".into() };
        let err = p.halted.as_ref().map_or(String::new(), |(o, why)| format!("stopped at offset {o}: {why}"));
        out.push_str(&format!(
            "{:<32} {:>5} {:>12} {:>12} {:>10.0} {:>10}  {:<24} {}\n",
            p.topic,
            p.partition,
            p.next,
            lag,
            p.rate,
            format!("{}/{}", r.pid, p.worker),
            progress,
            err
        ));
    }
    if reports.is_empty() {
        out.push_str("no process of this replication reported in the last 30 s\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_lag_owner_progress_and_errors() {
        let p = |partition, next, end, halted: Option<(i64, String)>| PartStatus {
            topic: "orders".into(),
            partition,
            worker: 1,
            next,
            started_at: 0,
            end,
            rate: 12.0,
            halted,
        };
        let r = InstanceStatus {
            instance: "a".into(),
            host: String::new(),
            pid: 42,
            updated_ms: 0,
            partitions: vec![p(0, 50, 100, None), p(1, 7, 7, Some((7, "value: not framed".into())))],
        };
        let t = render(&[r]);
        assert!(t.contains("[##########..........]  50%"), "{t}");
        assert!(t.contains("42/1"));
        assert!(t.contains("stopped at offset 7: value: not framed"));
        assert!(t.contains("caught up"));
        assert!(render(&[]).contains("no process"));
    }

    #[test]
    fn a_partition_that_moved_is_shown_once_as_its_newest_owner_reports_it() {
        let part = |next| PartStatus {
            topic: "orders".into(),
            partition: 5,
            worker: 0,
            next,
            started_at: 0,
            end: 100,
            rate: 0.0,
            halted: None,
        };
        let report = |pid, updated_ms, next| InstanceStatus {
            instance: format!("p{pid}"),
            host: String::new(),
            pid,
            updated_ms,
            partitions: vec![part(next)],
        };
        let t = render(&[report(7, 2_000, 100), report(9, 1_000, 17)]);
        assert_eq!(t.lines().filter(|l| l.starts_with("orders")).count(), 1, "{t}");
        assert!(t.contains("7/0") && !t.contains("9/0"), "{t}");
    }
}
