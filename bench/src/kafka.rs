//! Kafka load tools for the replicator benchmark: fill a topic, wait until a copy is complete,
//! and measure end-to-end replication latency at a fixed rate.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use hdrhistogram::Histogram;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::json;

fn client(bootstrap: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap);
    c
}

/// Send, waiting while the producer's queue is full.
fn send_retrying<K: rdkafka::message::ToBytes + ?Sized>(
    p: &ThreadedProducer<DefaultProducerContext>,
    mut rec: BaseRecord<'_, K, [u8]>,
) {
    loop {
        match p.send(rec) {
            Ok(()) => return,
            Err((_, r)) => {
                rec = r;
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
}

/// Assign every partition of `topic` to `c`, each at `offset`.
fn assign_all(c: &BaseConsumer, topic: &str, offset: Offset) -> Result<()> {
    let md = c.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    let parts = md.topics().first().map_or(0, |t| t.partitions().len());
    if parts == 0 {
        bail!("topic {topic} does not exist yet");
    }
    let mut tpl = TopicPartitionList::new();
    for p in 0..parts {
        tpl.add_partition_offset(topic, p as i32, offset)?;
    }
    c.assign(&tpl)?;
    Ok(())
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Produce `count` records of `size` bytes round-robin over `partitions` partitions.
pub fn produce(bootstrap: &str, topic: &str, count: u64, size: usize, partitions: i32, first: u64) -> Result<()> {
    let p: ThreadedProducer<DefaultProducerContext> = client(bootstrap)
        .set("linger.ms", "20")
        .set("batch.size", "1000000")
        .set("compression.type", "none")
        .set("acks", "1")
        .create()?;
    let payload = vec![b'x'; size];
    let started = Instant::now();
    for i in 0..count {
        let key = format!("k{}", first + i);
        send_retrying(
            &p,
            BaseRecord::to(topic).partition((i % partitions as u64) as i32).key(&key).payload(payload.as_slice()),
        );
    }
    p.flush(Duration::from_secs(120))?;
    println!("{}", json!({"records": count, "bytes": count * size as u64, "seconds": started.elapsed().as_secs_f64()}));
    Ok(())
}

/// Sum of the topic's end offsets, or of a consumer group's committed offsets.
fn copied(c: &BaseConsumer, topic: &str, group_offsets: bool) -> Result<u64> {
    let md = c.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    let parts = md.topics().first().map_or(0, |t| t.partitions().len());
    if group_offsets {
        let mut tpl = TopicPartitionList::new();
        for p in 0..parts {
            tpl.add_partition(topic, p as i32);
        }
        let got = c.committed_offsets(tpl, Duration::from_secs(10))?;
        return Ok(got
            .elements()
            .iter()
            .map(|e| match e.offset() {
                Offset::Offset(o) => o.max(0) as u64,
                _ => 0,
            })
            .sum());
    }
    let mut total = 0;
    for p in 0..parts {
        if let Ok((_, high)) = c.fetch_watermarks(topic, p as i32, Duration::from_secs(5)) {
            total += high.max(0) as u64;
        }
    }
    Ok(total)
}

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// CPU seconds the processes `pids` have used so far (None when one is gone or none given).
fn cpu_seconds_of(pids: &[u32]) -> Option<f64> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().map(|p| cpu_seconds(*p)).sum()
}

/// Wait until `count` records are in `topic` (end offsets), or committed by `group`. Reports the
/// time and (with `pids`) the CPU those processes used from the first copied record to the last.
pub fn wait(
    bootstrap: &str,
    topic: &str,
    count: u64,
    group: Option<&str>,
    pids: &[u32],
    timeout: Duration,
) -> Result<()> {
    let mut cfg = client(bootstrap);
    if let Some(g) = group {
        cfg.set("group.id", g);
    }
    let c: BaseConsumer = cfg.create()?;
    let started = Instant::now();
    let mut first: Option<(Instant, u64, Option<f64>)> = None;
    loop {
        let n = copied(&c, topic, group.is_some()).unwrap_or(0);
        if n > 0 && first.is_none() {
            first = Some((Instant::now(), n, cpu_seconds_of(pids)));
        }
        if n >= count {
            let (t0, n0, cpu0) = first.unwrap_or((started, 0, None));
            let secs = t0.elapsed().as_secs_f64();
            let cpu = match (cpu0, cpu_seconds_of(pids)) {
                (Some(a), Some(b)) => Some(b - a),
                _ => None,
            };
            println!(
                "{}",
                json!({"records": n, "seconds_total": started.elapsed().as_secs_f64(),
                       "records_measured": n - n0, "seconds_measured": secs, "cpu_seconds_measured": cpu})
            );
            return Ok(());
        }
        if started.elapsed() > timeout {
            bail!("only {n} of {count} records in {topic} after {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Produce to `src` at `rate` records/s for `seconds` with CreateTime = now, read the copies in
/// `dst_topic` on `dst`, and report now − timestamp at the destination (p50/p99/max, ms).
pub fn latency(
    src: &str,
    src_topic: &str,
    dst: &str,
    dst_topic: &str,
    rate: u64,
    seconds: u64,
    size: usize,
) -> Result<()> {
    let consumer: BaseConsumer = client(dst)
        .set("group.id", format!("lockstep-bench-latency-{}", now_ms()))
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "5")
        .set("isolation.level", "read_committed")
        .create()?;
    assign_all(&consumer, dst_topic, Offset::End)?;
    let total = rate * seconds;
    let producer = std::thread::spawn({
        let (src, src_topic) = (src.to_string(), src_topic.to_string());
        move || -> Result<()> {
            let p: ThreadedProducer<DefaultProducerContext> = client(&src).set("linger.ms", "5").create()?;
            let payload = vec![b'x'; size];
            let start = Instant::now();
            for i in 0..total {
                let due = start + Duration::from_secs_f64(i as f64 / rate as f64);
                if let Some(d) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(d);
                }
                let key = format!("l{i}");
                send_retrying(&p, BaseRecord::to(&src_topic).key(&key).payload(payload.as_slice()).timestamp(now_ms()));
            }
            p.flush(Duration::from_secs(60))?;
            Ok(())
        }
    });
    let mut hist = Histogram::<u64>::new_with_bounds(1, 600_000, 3)?;
    let deadline = Instant::now() + Duration::from_secs(seconds + 60);
    while hist.len() < total && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            if let Some(ts) = m.timestamp().to_millis() {
                hist.saturating_record((now_ms() - ts).max(1) as u64);
            }
        }
    }
    producer.join().map_err(|_| anyhow::anyhow!("producer thread panicked"))?.context("producer")?;
    println!(
        "{}",
        json!({"rate": rate, "records": hist.len(), "expected": total,
               "p50_ms": hist.value_at_quantile(0.5), "p99_ms": hist.value_at_quantile(0.99), "max_ms": hist.max()})
    );
    Ok(())
}

/// Commit `offset` on partition 0 of `topic` for `group`.
pub fn commit(bootstrap: &str, topic: &str, group: &str, offset: i64) -> Result<()> {
    let c: BaseConsumer = client(bootstrap).set("group.id", group).set("enable.auto.commit", "false").create()?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Offset(offset))?;
    c.commit(&tpl, rdkafka::consumer::CommitMode::Sync).context("commit")?;
    Ok(())
}

/// Read partition 0 of `topic` from `group`'s committed offset to the end: records whose key
/// `k<i>` has i < `processed` are re-read; a first key past `processed` means records skipped.
pub fn replay(bootstrap: &str, topic: &str, group: &str, processed: u64) -> Result<()> {
    let c: BaseConsumer = client(bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .create()?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, 0);
    let committed = match c.committed_offsets(tpl, Duration::from_secs(10))?.elements().first().map(|e| e.offset()) {
        Some(Offset::Offset(o)) => o,
        other => bail!("{group} has no committed offset on {topic}: {other:?}"),
    };
    let (_, high) = c.fetch_watermarks(topic, 0, Duration::from_secs(10))?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Offset(committed))?;
    c.assign(&tpl)?;
    let (mut replayed, mut first) = (0u64, None);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut next = committed;
    while next < high && Instant::now() < deadline {
        let Some(m) = c.poll(Duration::from_millis(500)) else { continue };
        let m = m?;
        next = m.offset() + 1;
        let key = m.key().and_then(|k| std::str::from_utf8(k).ok()).and_then(|k| k.strip_prefix('k'));
        let Some(i) = key.and_then(|k| k.parse::<u64>().ok()) else { continue };
        first.get_or_insert(i);
        if i < processed {
            replayed += 1;
        }
    }
    let skipped = first.map_or(0, |f| f.saturating_sub(processed));
    println!("{}", json!({"committed": committed, "replayed": replayed, "skipped": skipped, "first_key": first}));
    Ok(())
}

/// `count` one-record transactions on partition 0 (keys from `k<first>`), every `abort_every`-th
/// aborted.
pub fn transactions(bootstrap: &str, topic: &str, first: u64, count: u64, abort_every: u64) -> Result<()> {
    let p: ThreadedProducer<DefaultProducerContext> =
        client(bootstrap).set("transactional.id", format!("lockstep-bench-{}", std::process::id())).create()?;
    p.init_transactions(Duration::from_secs(30))?;
    for i in 0..count {
        p.begin_transaction()?;
        let key = format!("k{}", first + i);
        send_retrying(&p, BaseRecord::to(topic).partition(0).key(&key).payload(b"t".as_slice()));
        if abort_every > 0 && (i + 1) % abort_every == 0 {
            // On the broker first, so the aborted record and its marker take offsets.
            p.flush(Duration::from_secs(30))?;
            p.abort_transaction(Duration::from_secs(30))?;
        } else {
            p.commit_transaction(Duration::from_secs(30))?;
        }
    }
    println!("{}", json!({"transactions": count}));
    Ok(())
}

/// The native ceiling of a copy: one librdkafka consumer reading every partition of `topic` on
/// the source from the start, feeding one idempotent producer (`acks=all`, `linger.ms=5`, as the
/// replicator's) that writes each record to the same partition of `to` on the destination with
/// its key, value and timestamp. No gate, no offsets, no transactions: the least a copier does.
/// Runs until `count` records were produced, then reports like [`produce`].
pub fn pipe(source: &str, topic: &str, destination: &str, to: &str, count: u64) -> Result<()> {
    let c: BaseConsumer = client(source)
        .set("group.id", "lockstep-bench-pipe")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()?;
    assign_all(&c, topic, Offset::Beginning)?;
    let p: ThreadedProducer<DefaultProducerContext> =
        client(destination).set("acks", "all").set("enable.idempotence", "true").set("linger.ms", "5").create()?;
    let started = Instant::now();
    let mut sent = 0u64;
    while sent < count {
        let Some(m) = c.poll(Duration::from_millis(500)) else { continue };
        let m = m.context("reading the source")?;
        let mut rec: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(to).partition(m.partition());
        if let Some(k) = m.key() {
            rec = rec.key(k);
        }
        if let Some(v) = m.payload() {
            rec = rec.payload(v);
        }
        if let Some(ts) = m.timestamp().to_millis() {
            rec = rec.timestamp(ts);
        }
        send_retrying(&p, rec);
        sent += 1;
    }
    p.flush(Duration::from_secs(120))?;
    println!("{}", json!({"records": sent, "seconds": started.elapsed().as_secs_f64()}));
    Ok(())
}
