//! In-process Lockstep registries (real registries on port 0 over tempdirs) for link tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use linker::client::{Registration, RegistryClient};
use serde_json::Value;

pub struct Reg {
    pub url: String,
    pub addr: std::net::SocketAddr,
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub async fn start() -> Reg {
    let tmp = tempfile::tempdir().unwrap();
    let mut r = start_at(tmp.path(), "127.0.0.1:0", axum::Router::new()).await;
    r._tmp = Some(tmp);
    r
}

/// A registry over `dir` listening on `addr`, serving `extra` routes too.
pub async fn start_at(dir: &Path, addr: &str, extra: axum::Router) -> Reg {
    let mut tries = 0;
    let reg = loop {
        // Every Lockstep registry has an instance id kept with its data (the binary does the same).
        let config = registry::RegistryConfig {
            instance_id: linker::provenance::instance_id_in(dir).unwrap(),
            ..Default::default()
        };
        match registry::open_file_registry(dir, config) {
            Ok(r) => break r,
            Err(e) if tries < 100 => {
                tries += 1;
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("cannot open registry: {e}"),
        }
    };
    let (listener, addr) = loop {
        match registry::bind(addr).await {
            Ok(x) => break x,
            Err(_) if tries < 200 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("cannot bind {addr}: {e}"),
        }
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(registry::serve_with(listener, reg, extra, async move {
        let _ = rx.await;
    }));
    Reg {
        url: format!("http://{addr}"),
        addr,
        dir: dir.to_path_buf(),
        _tmp: None,
        shutdown: Some(tx),
        handle: Some(handle),
    }
}

impl Reg {
    pub fn client(&self) -> RegistryClient {
        RegistryClient::new(&self.url)
    }

    /// Stop serving (the data dir stays); returns the temp dir owner.
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
        self._tmp.take()
    }
}

pub fn avro_record(name: &str, fields: &[(&str, &str)]) -> String {
    // A type is a name or JSON (unions); a union starting with "null" gets a null default.
    let f: Vec<Value> = fields
        .iter()
        .map(|(n, t)| {
            let ty: Value = serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_string()));
            if t.starts_with("[\"null\"") {
                serde_json::json!({"name": n, "type": ty, "default": null})
            } else {
                serde_json::json!({"name": n, "type": ty})
            }
        })
        .collect();
    serde_json::json!({"type": "record", "name": name, "fields": f}).to_string()
}

pub async fn register(c: &RegistryClient, subject: &str, schema: &str) -> i64 {
    c.register(subject, &Registration { schema: schema.to_string(), ..Default::default() })
        .await
        .unwrap_or_else(|e| panic!("register {subject}: {e}"))
}

/// Wait until `f` returns Some (or panic after `secs`).
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Versions of a subject incl. soft-deleted, with (id, deleted, schema).
pub async fn dump(c: &RegistryClient, subject: &str) -> Vec<(i64, i64, bool, String)> {
    let all = c.versions_with(subject, true).await.unwrap();
    let live = c.versions_with(subject, false).await.unwrap();
    let mut out = Vec::new();
    for n in all {
        let v = c.version_any(subject, n).await.unwrap().unwrap();
        out.push((n, v.id, !live.contains(&n), v.schema));
    }
    out
}

#[derive(clap::Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Subcommand)]
enum Cmd {
    Link(linker::cli::LinkArgs),
}

/// `lockstep link ARGS…` as the binary runs it, to the end (no stop signal).
pub async fn link_cli(args: &[&str]) -> std::process::ExitCode {
    let mut argv = vec!["lockstep", "link"];
    argv.extend_from_slice(args);
    let Cmd::Link(a) = <Cli as clap::Parser>::try_parse_from(argv).unwrap().cmd;
    let (_tx, rx) = tokio::sync::watch::channel(false);
    linker::cli::run_until(a, rx).await.unwrap()
}

/// Serves `app` on a free loopback port; its base URL.
pub async fn serve_fake(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}
