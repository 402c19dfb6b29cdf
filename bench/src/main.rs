//! `lockstep-bench`: closed-loop HTTP load for the registry, and the static-response server that
//! marks this machine's ceiling for the same requests.
//!
//! `lockstep-bench static --listen ADDR` answers the registry routes with fixed bodies.
//! `lockstep-bench load --url URL --scenario S` drives one scenario and prints a JSON line.
//! `lockstep-bench fill --url URL --subjects N` registers N subjects (memory measurements).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use axum::body::Bytes;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use clap::{Parser, Subcommand, ValueEnum};
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use serde_json::{json, Value};

/// Same allocator as the `lockstep` binary, so the ceiling is measured on equal terms.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod heavy;
mod kafka;

const CT: &str = "application/vnd.schemaregistry.v1+json";
/// Schemas registered by the setup step and used by the read scenarios.
const SETUP_SCHEMAS: usize = 100;

#[derive(Parser)]
#[command(about = "Load generator and static ceiling server for registry benchmarks")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve fixed responses on the registry's routes (the machine's ceiling).
    Static {
        #[arg(long, default_value = "127.0.0.1:18090")]
        listen: String,
    },
    /// Drive one scenario (closed loop, one keep-alive connection per task) and print a JSON line.
    Load {
        #[arg(long)]
        url: String,
        #[arg(long, value_enum)]
        scenario: Scenario,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Measured time: `10s`, `500ms`, `1m` or plain seconds.
        #[arg(long, default_value = "10s", value_parser = parse_duration)]
        duration: Duration,
        /// Unmeasured time before the measured window.
        #[arg(long, default_value = "2s", value_parser = parse_duration)]
        warmup: Duration,
    },
    /// Register new schemas one at a time on `writer` and time until `reader` (another node on
    /// the same log) serves each: write latency and cross-node visibility, as a JSON line.
    Visibility {
        #[arg(long)]
        writer: String,
        #[arg(long)]
        reader: String,
        #[arg(long, default_value_t = 500)]
        count: usize,
    },
    /// Fill a Kafka topic with COUNT records of SIZE bytes (replicator benchmark).
    KafkaProduce {
        #[arg(long)]
        bootstrap: String,
        #[arg(long)]
        topic: String,
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
        #[arg(long, default_value_t = 200)]
        size: usize,
        #[arg(long, default_value_t = 6)]
        partitions: i32,
        /// Index of the first key (`k<first>`).
        #[arg(long, default_value_t = 0)]
        first: u64,
    },
    /// The native ceiling of a copy: consume TOPIC on SOURCE ∥ produce to TO on DESTINATION
    /// (same partition, key, value, timestamp), COUNT records, nothing else.
    KafkaPipe {
        #[arg(long)]
        source: String,
        #[arg(long)]
        topic: String,
        #[arg(long)]
        destination: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        count: u64,
    },
    /// Wait until TOPIC holds COUNT records (end offsets), or GROUP committed COUNT.
    KafkaWait {
        #[arg(long)]
        bootstrap: String,
        #[arg(long)]
        topic: String,
        #[arg(long)]
        count: u64,
        #[arg(long)]
        group: Option<String>,
        /// Report these processes' CPU time over the measured window (repeatable: summed).
        #[arg(long)]
        pid: Vec<u32>,
        #[arg(long, default_value_t = 600)]
        timeout_secs: u64,
    },
    /// COUNT one-record transactions on partition 0 of TOPIC (keys from `k<FIRST>`), every
    /// ABORT_EVERY-th one aborted.
    KafkaTransactions {
        #[arg(long)]
        bootstrap: String,
        #[arg(long)]
        topic: String,
        #[arg(long, default_value_t = 0)]
        first: u64,
        #[arg(long, default_value_t = 20)]
        count: u64,
        #[arg(long, default_value_t = 5)]
        abort_every: u64,
    },
    /// Commit offset OFFSET of partition 0 of TOPIC for GROUP (a consumer that has processed
    /// the records before it).
    KafkaCommit {
        #[arg(long)]
        bootstrap: String,
        #[arg(long)]
        topic: String,
        #[arg(long)]
        group: String,
        #[arg(long)]
        offset: i64,
    },
    /// After a failover: how many records GROUP re-reads (keys `k<i>`, i < PROCESSED) or skips
    /// from its committed offset on partition 0 of TOPIC, as a JSON line.
    KafkaReplay {
        #[arg(long)]
        bootstrap: String,
        #[arg(long)]
        topic: String,
        #[arg(long)]
        group: String,
        #[arg(long)]
        processed: u64,
    },
    /// End-to-end replication latency at a fixed rate (records stamped at produce time).
    KafkaLatency {
        #[arg(long)]
        source: String,
        #[arg(long)]
        source_topic: String,
        #[arg(long)]
        destination: String,
        #[arg(long)]
        destination_topic: String,
        #[arg(long, default_value_t = 10_000)]
        rate: u64,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        #[arg(long, default_value_t = 200)]
        size: usize,
    },
    /// Latency of a plain GET while HEAVY_CONNECTIONS clients send the heaviest requests the
    /// registry accepts (compatibility checks of FIELDS-field records), as a JSON line.
    Heavy {
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 30_000)]
        fields: usize,
        #[arg(long, default_value_t = 4)]
        heavy_connections: usize,
        #[arg(long, default_value = "10s", value_parser = parse_duration)]
        duration: Duration,
    },
    /// Register N subjects (one schema each), for memory measurements.
    Fill {
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 20_000)]
        subjects: usize,
        #[arg(long, default_value_t = 32)]
        connections: usize,
    },
}

#[derive(Clone, Copy, ValueEnum, Debug)]
enum Scenario {
    /// GET /schemas/ids/{id} over the ids registered by the setup step
    GetById,
    /// POST /subjects/{s} with a registered schema
    Lookup,
    /// POST /subjects/{s}/versions with a registered schema (idempotent re-register)
    RegisterExisting,
    /// POST /subjects/{s}/versions with a new schema each time (durable writes)
    RegisterNew,
}

fn parse_duration(s: &str) -> Result<Duration> {
    let (num, unit) = s.find(|c: char| c.is_ascii_alphabetic()).map_or((s, "s"), |i| s.split_at(i));
    let n: f64 = num.trim().parse().with_context(|| format!("bad duration {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => bail!("bad duration unit in {s:?} (ms, s or m)"),
    };
    Duration::try_from_secs_f64(secs).with_context(|| format!("bad duration {s:?}"))
}

/// A realistic record: nested record, enum, union with null, logical type, array (8 fields).
/// `tag` goes into the record name, so a new tag is a new schema.
fn schema(tag: &str) -> String {
    json!({
        "type": "record", "name": format!("Order{tag}"), "namespace": "bench.shop",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "customer", "type": "string"},
            {"name": "amount", "type": "double"},
            {"name": "currency", "type": {"type": "enum", "name": "Currency", "symbols": ["EUR", "USD", "GBP"]}},
            {"name": "created", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "note", "type": ["null", "string"], "default": null},
            {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
                {"name": "street", "type": "string"}, {"name": "city", "type": "string"},
                {"name": "zip", "type": ["null", "string"], "default": null}]}},
            {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []}
        ]
    })
    .to_string()
}

fn body(tag: &str) -> Bytes {
    Bytes::from(json!({ "schema": schema(tag) }).to_string())
}

/// The registry's runtime: `new_multi_thread().enable_all()`, default worker count.
fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

// ------------------------------------------------------------------------------ static server

fn fixed(body: Bytes) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CT));
    r
}

async fn serve_static(listen: &str) -> Result<()> {
    // Bodies shaped and sized like the registry's answers for the benchmark schemas.
    let text = schema("G1");
    let by_id = Bytes::from(json!({ "schema": text }).to_string());
    let version = Bytes::from(
        json!({"subject": "bench-get-1", "version": 1, "id": 1, "guid": "00000000-0000-0000-0000-000000000001",
               "schemaType": "AVRO", "schema": text})
        .to_string(),
    );
    let registered = Bytes::from(
        json!({"id": 1, "version": 1, "guid": "00000000-0000-0000-0000-000000000001", "schemaType": "AVRO",
               "schema": text})
        .to_string(),
    );
    let app = Router::new()
        .route("/", get(|| async { fixed(Bytes::from_static(b"{}")) }))
        .route("/schemas/ids/{id}", get(move || async move { fixed(by_id) }))
        // Taking `Bytes` makes axum read the whole request body, as the registry does.
        .route("/subjects/{s}", post(move |_b: Bytes| async move { fixed(version) }))
        .route("/subjects/{s}/versions", post(move |_b: Bytes| async move { fixed(registered) }));
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("bind {listen}"))?;
    eprintln!("static server on {}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

// ------------------------------------------------------------------------------ load

type Conn = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(authority: &str) -> Result<Conn> {
    let stream = tokio::net::TcpStream::connect(authority).await.with_context(|| format!("connect {authority}"))?;
    stream.set_nodelay(true)?;
    let (send, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(send)
}

/// One request, body read fully; returns the status and the body.
async fn send(
    conn: &mut Conn,
    authority: &str,
    method: &str,
    path: &str,
    body: Option<Bytes>,
) -> Result<(hyper::StatusCode, Bytes)> {
    conn.ready().await?;
    let mut req = Request::builder().method(method).uri(path).header(header::HOST, authority);
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, CT);
    }
    let resp = conn.send_request(req.body(Full::new(body.unwrap_or_default()))?).await?;
    let status = resp.status();
    Ok((status, resp.into_body().collect().await?.to_bytes()))
}

fn authority_of(url: &str) -> Result<String> {
    let rest = url.strip_prefix("http://").context("only http:// URLs")?;
    Ok(rest.trim_end_matches('/').to_string())
}

/// Registers schemas G1..=G100 in subjects bench-get-{i} (idempotent); returns their ids.
async fn setup(authority: &str) -> Result<Vec<u64>> {
    let mut conn = connect(authority).await?;
    let mut ids = Vec::with_capacity(SETUP_SCHEMAS);
    for i in 1..=SETUP_SCHEMAS {
        let path = format!("/subjects/bench-get-{i}/versions");
        let (status, resp) = send(&mut conn, authority, "POST", &path, Some(body(&format!("G{i}")))).await?;
        if !status.is_success() {
            bail!("setup: POST {path} answered {status}: {}", String::from_utf8_lossy(&resp));
        }
        let v: Value = serde_json::from_slice(&resp).with_context(|| format!("setup: POST {path}: not JSON"))?;
        ids.push(v["id"].as_u64().with_context(|| format!("setup: POST {path}: no id in {v}"))?);
    }
    Ok(ids)
}

fn histogram() -> Result<Histogram<u64>> {
    // Microseconds, 1 µs .. 60 s, 3 significant digits.
    Ok(Histogram::new_with_bounds(1, 60_000_000, 3)?)
}

/// What every load task shares.
struct Plan {
    scenario: Scenario,
    authority: String,
    /// Ids answered by the setup step (get-by-id cycles over them).
    ids: Vec<u64>,
    /// Request bodies of the setup schemas (lookup, register-existing).
    bodies: Vec<Bytes>,
    /// Counter and per-run tag that make register-new schemas unique.
    unique: AtomicU64,
    run: String,
    measure_from: Instant,
    end: Instant,
}

impl Plan {
    fn request(&self, n: usize) -> (&'static str, String, Option<Bytes>) {
        let i = n % SETUP_SCHEMAS;
        match self.scenario {
            Scenario::GetById => ("GET", format!("/schemas/ids/{}", self.ids[n % self.ids.len()]), None),
            Scenario::Lookup => ("POST", format!("/subjects/bench-get-{}", i + 1), Some(self.bodies[i].clone())),
            Scenario::RegisterExisting => {
                ("POST", format!("/subjects/bench-get-{}/versions", i + 1), Some(self.bodies[i].clone()))
            }
            Scenario::RegisterNew => {
                let (u, run) = (self.unique.fetch_add(1, Ordering::Relaxed), &self.run);
                ("POST", format!("/subjects/bench-new-{run}-{u}/versions"), Some(body(&format!("N{run}x{u}"))))
            }
        }
    }
}

struct Worker {
    hist: Histogram<u64>,
    errors: u64,
    last_done: Instant,
}

/// One connection, closed loop: the next request goes out when the previous answer is read.
async fn worker(plan: Arc<Plan>, first: usize) -> Result<Worker> {
    let mut w = Worker { hist: histogram()?, errors: 0, last_done: plan.measure_from };
    let mut conn = connect(&plan.authority).await?;
    let mut n = first;
    loop {
        let started = Instant::now();
        if started >= plan.end {
            return Ok(w);
        }
        n += 1;
        let (method, path, body) = plan.request(n);
        let ok = match send(&mut conn, &plan.authority, method, &path, body).await {
            Ok((status, _)) => status.is_success(),
            Err(_) => {
                // Transport error: count it, reconnect (pausing briefly if that fails too).
                match connect(&plan.authority).await {
                    Ok(c) => conn = c,
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
                false
            }
        };
        if started >= plan.measure_from {
            let done = Instant::now();
            w.hist.saturating_record((done - started).as_micros().max(1) as u64);
            w.errors += u64::from(!ok);
            w.last_done = done;
        }
    }
}

async fn visibility(writer: &str, reader: &str, count: usize) -> Result<()> {
    let (wa, ra) = (authority_of(writer)?, authority_of(reader)?);
    let (mut wc, mut rc) = (connect(&wa).await?, connect(&ra).await?);
    let run = format!("{:x}", SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis());
    let (mut write, mut seen) = (histogram()?, histogram()?);
    for i in 0..count {
        let subject = format!("bench-vis-{run}-{i}");
        let started = Instant::now();
        let path = format!("/subjects/{subject}/versions");
        let (status, resp) = send(&mut wc, &wa, "POST", &path, Some(body(&format!("V{run}x{i}")))).await?;
        if !status.is_success() {
            bail!("POST {path} answered {status}: {}", String::from_utf8_lossy(&resp));
        }
        let written = Instant::now();
        write.saturating_record((written - started).as_micros().max(1) as u64);
        let get = format!("/subjects/{subject}/versions/1");
        loop {
            let (status, _) = send(&mut rc, &ra, "GET", &get, None).await?;
            if status.is_success() {
                break;
            }
            if written.elapsed() > Duration::from_secs(10) {
                bail!("{subject} not visible on {reader} after 10 s");
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        seen.saturating_record(written.elapsed().as_micros().max(1) as u64);
    }
    let ms = |us: u64| (us as f64 / 10.0).round() / 100.0;
    println!(
        "{}",
        json!({
            "count": count,
            "write_p50_ms": ms(write.value_at_quantile(0.50)),
            "write_p99_ms": ms(write.value_at_quantile(0.99)),
            "other_node_p50_ms": ms(seen.value_at_quantile(0.50)),
            "other_node_p99_ms": ms(seen.value_at_quantile(0.99)),
            "other_node_max_ms": ms(seen.max()),
        })
    );
    Ok(())
}

async fn load(url: &str, scenario: Scenario, connections: usize, duration: Duration, warmup: Duration) -> Result<()> {
    if connections == 0 || duration.is_zero() {
        bail!("--connections and --duration must be positive");
    }
    let authority = authority_of(url)?;
    let ids = match scenario {
        Scenario::RegisterNew => vec![1],
        _ => setup(&authority).await?,
    };
    let measure_from = Instant::now() + warmup;
    let plan = Arc::new(Plan {
        scenario,
        authority,
        ids,
        bodies: (1..=SETUP_SCHEMAS).map(|i| body(&format!("G{i}"))).collect(),
        unique: AtomicU64::new(0),
        run: format!("{:x}", SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis()),
        measure_from,
        end: measure_from + duration,
    });
    let tasks: Vec<_> = (0..connections).map(|c| tokio::spawn(worker(plan.clone(), c))).collect();
    let mut hist = histogram()?;
    let (mut errors, mut last_done) = (0, plan.end);
    for t in tasks {
        let w = t.await.context("load task panicked")??;
        hist.add(&w.hist)?;
        errors += w.errors;
        last_done = last_done.max(w.last_done);
    }
    // Requests started inside the window, over the time until the last of them finished.
    let secs = (last_done - measure_from).as_secs_f64();
    let ms = |us: u64| (us as f64 / 10.0).round() / 100.0;
    let name = scenario.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default();
    let result = json!({
        "scenario": name,
        "connections": connections,
        "seconds": (secs * 100.0).round() / 100.0,
        "requests": hist.len(),
        "errors": errors,
        "rps": (hist.len() as f64 / secs).round() as u64,
        "p50_ms": ms(hist.value_at_quantile(0.50)),
        "p99_ms": ms(hist.value_at_quantile(0.99)),
        "max_ms": ms(hist.max()),
    });
    println!("{result}");
    Ok(())
}

async fn fill(url: &str, subjects: usize, connections: usize) -> Result<()> {
    let authority = authority_of(url)?;
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections.max(1))
        .map(|_| {
            let (authority, next) = (authority.clone(), next.clone());
            tokio::spawn(async move {
                let mut conn = connect(&authority).await?;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    if i >= subjects {
                        return anyhow::Ok(());
                    }
                    let path = format!("/subjects/fill-{i}-value/versions");
                    let (status, resp) =
                        send(&mut conn, &authority, "POST", &path, Some(body(&format!("F{i}")))).await?;
                    if !status.is_success() {
                        bail!("POST {path} answered {status}: {}", String::from_utf8_lossy(&resp));
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.context("fill task panicked")??;
    }
    println!("{}", json!({"subjects": subjects, "seconds": started.elapsed().as_secs_f64()}));
    Ok(())
}

fn main() -> Result<()> {
    let rt = runtime()?;
    match Cli::parse().cmd {
        Cmd::Static { listen } => rt.block_on(serve_static(&listen)),
        Cmd::Load { url, scenario, connections, duration, warmup } => {
            rt.block_on(load(&url, scenario, connections, duration, warmup))
        }
        Cmd::Heavy { url, fields, heavy_connections, duration } => {
            rt.block_on(heavy::heavy(&url, fields, heavy_connections, duration))
        }
        Cmd::Fill { url, subjects, connections } => rt.block_on(fill(&url, subjects, connections)),
        Cmd::KafkaProduce { bootstrap, topic, count, size, partitions, first } => {
            kafka::produce(&bootstrap, &topic, count, size, partitions, first)
        }
        Cmd::KafkaPipe { source, topic, destination, to, count } => {
            kafka::pipe(&source, &topic, &destination, &to, count)
        }
        Cmd::KafkaTransactions { bootstrap, topic, first, count, abort_every } => {
            kafka::transactions(&bootstrap, &topic, first, count, abort_every)
        }
        Cmd::KafkaWait { bootstrap, topic, count, group, pid, timeout_secs } => {
            kafka::wait(&bootstrap, &topic, count, group.as_deref(), &pid, Duration::from_secs(timeout_secs))
        }
        Cmd::KafkaCommit { bootstrap, topic, group, offset } => kafka::commit(&bootstrap, &topic, &group, offset),
        Cmd::KafkaReplay { bootstrap, topic, group, processed } => kafka::replay(&bootstrap, &topic, &group, processed),
        Cmd::KafkaLatency { source, source_topic, destination, destination_topic, rate, seconds, size } => {
            kafka::latency(&source, &source_topic, &destination, &destination_topic, rate, seconds, size)
        }
        Cmd::Visibility { writer, reader, count } => rt.block_on(visibility(&writer, &reader, count)),
    }
}
