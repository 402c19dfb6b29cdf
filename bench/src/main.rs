//! `lockstep-bench`: closed-loop HTTP load for the registry, and the static-response server that
//! marks this machine's ceiling for the same requests.
//!
//! `lockstep-bench static --listen ADDR` answers the registry routes with fixed bodies.
//! `lockstep-bench load --url URL --scenario S` drives one scenario and prints a JSON line.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use axum::body::Bytes;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use clap::{Parser, Subcommand, ValueEnum};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use serde_json::json;

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
    /// Drive one scenario and print a JSON result line.
    Load {
        #[arg(long)]
        url: String,
        #[arg(long, value_enum)]
        scenario: Scenario,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Measured seconds.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Unmeasured seconds before.
        #[arg(long, default_value_t = 2)]
        warmup: u64,
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
    /// GET /schemas/ids/{id}
    GetById,
    /// POST /subjects/{s} with a registered schema
    Lookup,
    /// POST /subjects/{s}/versions with a registered schema
    RegisterExisting,
    /// POST /subjects/{s}/versions with a new schema each time (durable writes)
    RegisterNew,
}

/// A realistic record: nested record, enum, union with null, logical type. `tag` makes it unique.
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

// ------------------------------------------------------------------------------ static server

fn fixed(body: &'static [u8]) -> Response {
    let mut r = Bytes::from_static(body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CT));
    r
}

async fn serve_static(listen: &str) -> Result<()> {
    static BY_ID: &[u8] = br#"{"schemaType":"AVRO","schema":"{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"bench.shop\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}"}"#;
    static VERSION: &[u8] = br#"{"subject":"bench-get-1","version":1,"id":1,"schemaType":"AVRO","schema":"{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"bench.shop\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}"}"#;
    let app = Router::new()
        .route("/", get(|| async { fixed(b"{}") }))
        .route("/schemas/ids/{id}", get(|| async { fixed(BY_ID) }))
        .route("/subjects/{s}", post(|_b: Bytes| async { fixed(VERSION) }))
        .route("/subjects/{s}/versions", post(|_b: Bytes| async { fixed(VERSION) }));
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

/// One request; Ok(true) for a 2xx answer.
async fn send(conn: &mut Conn, authority: &str, method: &str, path: &str, body: Option<Bytes>) -> Result<bool> {
    conn.ready().await?;
    let mut req = Request::builder().method(method).uri(path).header(header::HOST, authority);
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, CT);
    }
    let resp = conn.send_request(req.body(Full::new(body.unwrap_or_default()))?).await?;
    let ok = resp.status().is_success();
    resp.into_body().collect().await?;
    Ok(ok)
}

fn authority_of(url: &str) -> Result<String> {
    let rest = url.strip_prefix("http://").context("only http:// URLs")?;
    Ok(rest.trim_end_matches('/').to_string())
}

async fn setup(authority: &str) -> Result<()> {
    let mut conn = connect(authority).await?;
    for i in 1..=SETUP_SCHEMAS {
        if !send(
            &mut conn,
            authority,
            "POST",
            &format!("/subjects/bench-get-{i}/versions"),
            Some(body(&format!("G{i}"))),
        )
        .await?
        {
            bail!("setup registration {i} failed");
        }
    }
    Ok(())
}

/// Latencies in microseconds, sorted once at the end.
#[derive(Default)]
struct Samples(Vec<u32>);

impl Samples {
    fn record(&mut self, us: u64) {
        self.0.push(us.min(u64::from(u32::MAX)) as u32);
    }
    fn quantile_ms(&self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let i = (((self.0.len() as f64) * q).ceil() as usize).clamp(1, self.0.len()) - 1;
        f64::from(self.0[i]) / 1000.0
    }
}

async fn load(url: &str, scenario: Scenario, connections: usize, duration: u64, warmup: u64) -> Result<()> {
    let authority = authority_of(url)?;
    if matches!(scenario, Scenario::GetById | Scenario::Lookup | Scenario::RegisterExisting) {
        setup(&authority).await?;
    }
    let bodies: Arc<Vec<Bytes>> = Arc::new((1..=SETUP_SCHEMAS).map(|i| body(&format!("G{i}"))).collect());
    let unique = Arc::new(AtomicU64::new(0));
    let run = format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis());
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(warmup);
    let end = measure_from + Duration::from_secs(duration);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (authority, bodies, unique, run) = (authority.clone(), bodies.clone(), unique.clone(), run.clone());
        tasks.push(tokio::spawn(async move {
            let mut hist = Samples::default();
            let mut errors = 0u64;
            let mut conn = connect(&authority).await?;
            let mut n = c;
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                n += 1;
                let i = n % SETUP_SCHEMAS;
                let (method, path, body) = match scenario {
                    Scenario::GetById => ("GET", format!("/schemas/ids/{}", i + 1), None),
                    Scenario::Lookup => ("POST", format!("/subjects/bench-get-{}", i + 1), Some(bodies[i].clone())),
                    Scenario::RegisterExisting => {
                        ("POST", format!("/subjects/bench-get-{}/versions", i + 1), Some(bodies[i].clone()))
                    }
                    Scenario::RegisterNew => {
                        let u = unique.fetch_add(1, Ordering::Relaxed);
                        ("POST", format!("/subjects/bench-new-{run}-{u}/versions"), Some(body(&format!("N{run}x{u}"))))
                    }
                };
                let ok = match send(&mut conn, &authority, method, &path, body).await {
                    Ok(ok) => ok,
                    Err(_) => {
                        conn = connect(&authority).await?;
                        false
                    }
                };
                if now >= measure_from {
                    hist.record(now.elapsed().as_micros() as u64);
                    if !ok {
                        errors += 1;
                    }
                }
            }
            anyhow::Ok((hist, errors))
        }));
    }
    let mut hist = Samples::default();
    let mut errors = 0;
    for t in tasks {
        let (h, e) = t.await??;
        hist.0.extend(h.0);
        errors += e;
    }
    hist.0.sort_unstable();
    let requests = hist.0.len() as u64;
    let result = json!({
        "scenario": format!("{scenario:?}"),
        "connections": connections,
        "seconds": duration,
        "requests": requests,
        "errors": errors,
        "rps": (requests as f64 / duration as f64).round(),
        "p50_ms": hist.quantile_ms(0.50),
        "p99_ms": hist.quantile_ms(0.99),
        "max_ms": hist.quantile_ms(1.0),
    });
    println!("{result}");
    Ok(())
}

async fn fill(url: &str, subjects: usize, connections: usize) -> Result<()> {
    let authority = authority_of(url)?;
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (authority, next) = (authority.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = connect(&authority).await?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= subjects {
                    return anyhow::Ok(());
                }
                let ok = send(
                    &mut conn,
                    &authority,
                    "POST",
                    &format!("/subjects/fill-{i}-value/versions"),
                    Some(body(&format!("F{i}"))),
                )
                .await?;
                if !ok {
                    bail!("registration {i} failed");
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    println!("{}", json!({"subjects": subjects, "seconds": started.elapsed().as_secs_f64()}));
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().cmd {
        Cmd::Static { listen } => serve_static(&listen).await,
        Cmd::Load { url, scenario, connections, duration, warmup } => {
            load(&url, scenario, connections, duration, warmup).await
        }
        Cmd::Fill { url, subjects, connections } => fill(&url, subjects, connections).await,
    }
}
