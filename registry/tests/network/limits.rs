//! Timeouts, the connection cap, body and metadata caps, content types, hosts and CORS.

use std::time::{Duration, Instant};

use registry::server::http::HttpOptions;
use registry::server::ServerOptions;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::*;

fn schema() -> String {
    json!({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}).to_string()
}

fn quick(header_ms: u64, idle_ms: u64) -> ServerOptions {
    ServerOptions {
        header_timeout: Duration::from_millis(header_ms),
        idle_timeout: Duration::from_millis(idle_ms),
        ..ServerOptions::default()
    }
}

async fn post(client: &reqwest::Client, url: String, ct: Option<&str>, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let mut rb = client.post(url).body(body);
    if let Some(ct) = ct {
        rb = rb.header("Content-Type", ct);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test]
async fn slowloris_headers_are_cut_by_the_header_timeout() {
    let net = start_with(HttpOptions::default(), quick(500, 30_000)).await;
    let mut s = TcpStream::connect(net.addr).await.unwrap();
    let started = Instant::now();
    // Trickle a header line a byte every 100 ms: never a complete head.
    let trickle = async {
        for b in b"GET /subjects HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".iter() {
            if s.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(6), trickle).await.expect("the server should have closed the socket");
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "cut after {elapsed:?}");
    assert!(elapsed >= Duration::from_millis(400), "cut too early: {elapsed:?}");
    // A normal request is still served.
    let mut ok = TcpStream::connect(net.addr).await.unwrap();
    assert_eq!(exchange(&mut ok, &get_request("/subjects")).await.unwrap().status, 200);
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed_but_not_before_the_idle_timeout() {
    let net = start_with(HttpOptions::default(), quick(200, 800)).await;
    let mut s = TcpStream::connect(net.addr).await.unwrap();
    let r = exchange(&mut s, &get_request("/subjects")).await.unwrap();
    assert_eq!(r.status, 200);
    // Idle longer than the header timeout, shorter than the idle timeout: still open.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let r = exchange(&mut s, &get_request("/subjects")).await.unwrap();
    assert_eq!(r.status, 200, "an idle gap under the idle timeout must not close the connection");
    let started = Instant::now();
    assert!(closed_within(&mut s, Duration::from_secs(5)).await, "idle connection never closed");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(600), "closed after {elapsed:?}, before the idle timeout");
    // A connection that never sends anything is closed too.
    let mut silent = TcpStream::connect(net.addr).await.unwrap();
    assert!(closed_within(&mut silent, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn stalled_upload_is_cut_by_the_body_timeout() {
    let http = HttpOptions { body_timeout: Duration::from_millis(500), ..HttpOptions::default() };
    let net = start_with(http, ServerOptions::default()).await;
    let mut s = TcpStream::connect(net.addr).await.unwrap();
    let head = format!(
        "POST /subjects/a/versions HTTP/1.1\r\nHost: localhost\r\nContent-Type: {CT}\r\nContent-Length: 1000000\r\n\r\n{{\"schema\":\""
    );
    let started = Instant::now();
    let r = exchange(&mut s, head.as_bytes()).await.unwrap();
    assert_eq!(r.status, 408, "{r:?}");
    assert!(r.body.contains("\"error_code\":408"), "{}", r.body);
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(r.header("connection"), Some("close"));
    assert!(closed_within(&mut s, Duration::from_secs(3)).await, "the stalled connection stays open");
    // A byte every 100 ms does not extend the deadline: the whole body must arrive in time.
    let mut s = TcpStream::connect(net.addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let trickle = async {
        loop {
            if s.write_all(b"a").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), trickle).await;
    assert!(started.elapsed() < Duration::from_secs(4), "trickled body never cut");
}

#[tokio::test]
async fn connections_over_the_cap_get_503_with_retry_after_and_the_first_ones_still_work() {
    let net =
        start_with(HttpOptions::default(), ServerOptions { max_connections: 3, ..ServerOptions::default() }).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(net.addr).await.unwrap();
        assert_eq!(exchange(&mut s, &get_request("/subjects")).await.unwrap().status, 200);
        held.push(s);
    }
    let mut extra = TcpStream::connect(net.addr).await.unwrap();
    let r = exchange(&mut extra, &get_request("/subjects")).await.unwrap();
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.header("retry-after"), Some("1"));
    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["error_code"], 503, "{body}");
    assert!(body["message"].as_str().unwrap().contains("connections"), "{body}");
    assert!(closed_within(&mut extra, Duration::from_secs(3)).await, "a shed connection must be closed");
    for s in &mut held {
        assert_eq!(exchange(s, &get_request("/subjects")).await.unwrap().status, 200);
    }
    // A slot freed is a slot reused.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = TcpStream::connect(net.addr).await.unwrap();
    assert_eq!(exchange(&mut again, &get_request("/subjects")).await.unwrap().status, 200);
}

#[tokio::test]
async fn body_over_the_cap_is_413_with_a_confluent_error() {
    let net = start_with(HttpOptions::default(), ServerOptions::default()).await;
    let client = reqwest::Client::new();
    let huge = json!({ "schema": "x".repeat(10 * 1024 * 1024) }).to_string();
    let (status, body) = post(&client, net.url("/subjects/a/versions"), Some(CT), huge.clone()).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error_code"], 413);
    assert_eq!(body["message"], "Request body larger than 4194304 bytes");
    // Without a Content-Length (chunked), the cap holds while reading.
    let (mut rd, mut wr) = TcpStream::connect(net.addr).await.unwrap().into_split();
    let head = format!(
        "POST /subjects/a/versions HTTP/1.1\r\nHost: x\r\nContent-Type: {CT}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    wr.write_all(head.as_bytes()).await.unwrap();
    let writer = tokio::spawn(async move {
        let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000));
        for _ in 0..200 {
            if wr.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
        }
    });
    let r = read_response(&mut rd).await.unwrap();
    assert_eq!(r.status, 413, "{r:?}");
    writer.abort();
    // A smaller cap is honoured; a body under it works.
    let net = start_with(HttpOptions { max_body_bytes: 200, ..HttpOptions::default() }, ServerOptions::default()).await;
    let (status, _) =
        post(&client, net.url("/subjects/a/versions"), Some(CT), json!({"schema": schema()}).to_string()).await;
    assert_eq!(status, 200);
    let long = json!({"schema": schema(), "schemaType": "AVRO", "references": [], "pad": "x".repeat(200)}).to_string();
    let (status, body) = post(&client, net.url("/subjects/a/versions"), Some(CT), long).await;
    assert_eq!((status, &body["error_code"]), (413, &json!(413)), "{body}");
}

#[tokio::test]
async fn metadata_over_the_cap_is_422() {
    let net =
        start_with(HttpOptions { max_metadata_bytes: 1024, ..HttpOptions::default() }, ServerOptions::default()).await;
    let client = reqwest::Client::new();
    let big = json!({"schema": schema(), "metadata": {"properties": {"owner": "x".repeat(2000)}}}).to_string();
    let (status, body) = post(&client, net.url("/subjects/a/versions"), Some(CT), big).await;
    assert_eq!((status, &body["error_code"]), (422, &json!(42209)), "{body}");
    assert!(body["message"].as_str().unwrap().starts_with("Metadata and rule set too large"), "{body}");
    let rules = json!({"schema": schema(), "ruleSet": {"domainRules": [{"name": "r", "kind": "CONDITION", "expr": "x".repeat(2000)}]}});
    let (status, _) = post(&client, net.url("/subjects/a/versions"), Some(CT), rules.to_string()).await;
    assert_eq!(status, 422);
    let cfg = json!({"compatibility": "NONE", "defaultMetadata": {"properties": {"k": "v".repeat(2000)}}});
    let r = client.put(net.url("/config")).header("Content-Type", CT).body(cfg.to_string()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    // Small metadata is fine.
    let ok = json!({"schema": schema(), "metadata": {"properties": {"owner": "team-a"}}}).to_string();
    let (status, body) = post(&client, net.url("/subjects/a/versions"), Some(CT), ok).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_write_without_content_type_is_415() {
    let net = start_with(HttpOptions::default(), ServerOptions::default()).await;
    let client = reqwest::Client::new();
    let body = json!({"schema": schema()}).to_string();
    let (status, err) = post(&client, net.url("/subjects/a/versions"), None, body.clone()).await;
    assert_eq!(status, 415, "{err}");
    assert_eq!(err, json!({"error_code": 415, "message": "HTTP 415 Unsupported Media Type"}));
    // The page-forgeable types too.
    for ct in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
        assert_eq!(post(&client, net.url("/subjects/a/versions"), Some(ct), body.clone()).await.0, 415, "{ct}");
    }
    let r = client.put(net.url("/config")).body(r#"{"compatibility":"NONE"}"#).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 415);
    // Nothing was written; with the type it works; bodiless writes need none.
    assert_eq!(client.get(net.url("/subjects")).send().await.unwrap().text().await.unwrap(), "[]");
    assert_eq!(post(&client, net.url("/subjects/a/versions"), Some(CT), body).await.0, 200);
    assert_eq!(client.delete(net.url("/subjects/a")).send().await.unwrap().status().as_u16(), 200);
}

#[tokio::test]
async fn hosts_outside_the_allowed_list_are_refused() {
    let http =
        HttpOptions { allowed_hosts: vec!["registry.internal".into(), "127.0.0.1".into()], ..HttpOptions::default() };
    let net = start_with(http, ServerOptions::default()).await;
    let mut s = TcpStream::connect(net.addr).await.unwrap();
    let r = exchange(&mut s, b"GET /subjects HTTP/1.1\r\nHost: attacker.example:8081\r\n\r\n").await.unwrap();
    assert_eq!(r.status, 421, "{r:?}");
    assert_eq!(
        serde_json::from_str::<Value>(&r.body).unwrap(),
        json!({"error_code": 421, "message": "Host 'attacker.example:8081' is not allowed"})
    );
    let r = exchange(&mut s, b"GET /subjects HTTP/1.1\r\nHost: registry.internal:8081\r\n\r\n").await.unwrap();
    assert_eq!(r.status, 200);
    let client = reqwest::Client::new();
    assert_eq!(client.get(net.url("/subjects")).send().await.unwrap().status().as_u16(), 200);
    // Without a list, any host is served.
    let open = start_with(HttpOptions::default(), ServerOptions::default()).await;
    let mut s = TcpStream::connect(open.addr).await.unwrap();
    let r = exchange(&mut s, b"GET /subjects HTTP/1.1\r\nHost: attacker.example\r\n\r\n").await.unwrap();
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn cors_preflight_is_answered_only_when_configured() {
    let client = reqwest::Client::new();
    let preflight = |url: String| {
        client
            .request(reqwest::Method::OPTIONS, url)
            .header("Origin", "https://console.example")
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .send()
    };
    let off = start_with(HttpOptions::default(), ServerOptions::default()).await;
    let r = preflight(off.url("/subjects/a/versions")).await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none(), "{:?}", r.headers());
    assert_ne!(r.status().as_u16(), 200);
    let http = HttpOptions { cors_origins: vec!["https://console.example".into()], ..HttpOptions::default() };
    let on = start_with(http, ServerOptions::default()).await;
    let r = preflight(on.url("/subjects/a/versions")).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "https://console.example");
    assert!(r.headers()["access-control-allow-methods"].to_str().unwrap().contains("POST"));
    // Another origin gets no grant.
    let r = client
        .request(reqwest::Method::OPTIONS, on.url("/subjects/a/versions"))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // Simple requests from the allowed origin carry the grant.
    let r = client.get(on.url("/subjects")).header("Origin", "https://console.example").send().await.unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "https://console.example");
}

#[tokio::test]
async fn h2c_prior_knowledge_is_served() {
    let net = start_with(HttpOptions::default(), ServerOptions::default()).await;
    let client = reqwest::Client::builder().http2_prior_knowledge().build().unwrap();
    let r = client.get(net.url("/subjects")).send().await.unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.status().as_u16(), 200);
}

/// The figure in docs/BENCHMARKS.md: with 1,000 idle connections held open (more than the
/// usual 1,024 open-files soft limit once both ends count), plain GETs still answer quickly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_sockets_do_not_starve_real_requests() {
    // Both ends of every socket live in this process.
    let files = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let sockets = 1000.min((files as usize).saturating_sub(200) / 2);
    let net = start_with(HttpOptions::default(), ServerOptions::default()).await;
    let client = reqwest::Client::new();
    let r = client.post(net.url("/subjects/a/versions")).header("Content-Type", CT);
    assert_eq!(r.body(json!({"schema": schema()}).to_string()).send().await.unwrap().status().as_u16(), 200);
    let mut idle = Vec::with_capacity(sockets);
    for _ in 0..sockets {
        idle.push(TcpStream::connect(net.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut lat = Vec::new();
    for _ in 0..500 {
        let t = Instant::now();
        let r = client.get(net.url("/schemas/ids/1")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        r.bytes().await.unwrap();
        lat.push(t.elapsed());
    }
    lat.sort();
    let (p50, p99) = (lat[lat.len() / 2], lat[lat.len() * 99 / 100]);
    eprintln!("{sockets} idle sockets open: GET /schemas/ids/1 x500 sequential: p50 {p50:?} p99 {p99:?}");
    assert!(p99 < Duration::from_millis(250), "p99 {p99:?}");
    // The idle ones were held, not shed: the last one still gets an answer.
    let last = idle.last_mut().unwrap();
    assert_eq!(exchange(last, &get_request("/subjects")).await.unwrap().status, 200);
}
