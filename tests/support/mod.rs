//! Start the real `lockstep` binary for end-to-end tests.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `lockstep registry` process on a free loopback port.
pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Server {
    /// Start on `data_dir` and wait until it serves. The port is the one the server reports.
    pub fn start(data_dir: &Path) -> Server {
        let dir = data_dir.to_string_lossy().into_owned();
        Self::start_with(&["--data-dir", &dir])
    }

    /// Start `lockstep registry --listen 127.0.0.1:0 ARGS...` and wait until it serves.
    pub fn start_with(args: &[&str]) -> Server {
        let (child, rx) = spawn_registry(args);
        // Owned by `Server` from here on, so every exit path kills and reaps it.
        let mut server = Server { child, url: String::new() };
        let addr = rx.recv_timeout(Duration::from_secs(30)).expect("server did not report its address");
        server.url = format!("http://{addr}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if reqwest::blocking_get_ok(&server.url) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("server at {} never answered", server.url);
    }

    /// SIGKILL: no shutdown hooks, no flush.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `lockstep registry --listen 127.0.0.1:0 ARGS...` with JSON logs on stderr (read to the
/// end on a thread); the receiver gets the address the server reports serving on.
pub fn spawn_registry(args: &[&str]) -> (Child, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["registry", "--listen", "127.0.0.1:0"])
        .args(args)
        .env("LOCKSTEP_LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start lockstep");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent {
                if let Some(addr) = serving_addr(&line) {
                    let _ = tx.send(addr);
                    sent = true;
                }
            }
        }
    });
    (child, rx)
}

fn serving_addr(line: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let fields = v.get("fields")?;
    if fields.get("message")?.as_str()? != "lockstep registry serving" {
        return None;
    }
    fields.get("addr")?.as_str().map(String::from)
}

mod reqwest {
    /// A plain blocking GET / over std (keeps the test free of a blocking HTTP client): true when
    /// the server answers (200, or 401 when it requires authentication).
    pub fn blocking_get_ok(url: &str) -> bool {
        use std::io::{Read, Write};
        let Some(hostport) = url.strip_prefix("http://") else { return false };
        let Ok(mut s) = std::net::TcpStream::connect(hostport) else { return false };
        let req = format!("GET / HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n\r\n");
        if s.write_all(req.as_bytes()).is_err() {
            return false;
        }
        let mut buf = String::new();
        let _ = s.read_to_string(&mut buf);
        buf.starts_with("HTTP/1.1 200") || buf.starts_with("HTTP/1.1 401")
    }
}

/// Confluent's request content type.
pub const SR_CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// GET `url` and its answer as JSON (any transport or JSON error fails the test).
pub async fn get_json(client: &::reqwest::Client, url: &str) -> serde_json::Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

/// POST `{"schema": schema}` to `base/subjects/{subject}/versions`; the answer as JSON.
pub async fn register_schema(client: &::reqwest::Client, base: &str, subject: &str, schema: &str) -> serde_json::Value {
    client
        .post(format!("{base}/subjects/{subject}/versions"))
        .header("Content-Type", SR_CONTENT_TYPE)
        .body(serde_json::json!({ "schema": schema }).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Let acknowledged writes flow until at least `min` (60 s at most), then kill -9 the server
/// while `tasks` are still writing; what was acknowledged before the kill.
pub async fn kill9_after_acks<T: Clone>(
    server: Server,
    acked: &std::sync::Mutex<Vec<T>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    min: usize,
    what: &str,
) -> Vec<T> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let n = acked.lock().unwrap().len();
        if n >= min {
            break;
        }
        assert!(Instant::now() < deadline, "only {n} {what} acknowledged in 60 s");
    }
    server.kill9();
    for t in tasks {
        let _ = t.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= min);
    acked
}
