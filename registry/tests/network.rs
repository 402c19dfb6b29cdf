//! Hostile clients and transport, against a real server on loopback: header, body and idle
//! timeouts, the connection cap, body and metadata caps, content types, allowed hosts, CORS,
//! HTTPS, HTTP/2, mTLS and certificate reload.

#[path = "network/limits.rs"]
mod limits;
#[path = "network/tls.rs"]
mod tls;

use std::net::SocketAddr;
use std::time::Duration;

use registry::server::http::HttpOptions;
use registry::server::ServerOptions;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

pub const CT: &str = "application/vnd.schemaregistry.v1+json";

/// A registry in a temporary directory, served with `http` and `server` options.
pub struct Net {
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn start_with(http: HttpOptions, server: ServerOptions) -> Net {
    let dir = tempfile::tempdir().unwrap();
    let reg = registry::open_file_registry(dir.path(), registry::RegistryConfig::default()).unwrap();
    let (listener, addr) = registry::bind("127.0.0.1:0").await.unwrap();
    let app = registry::api::app_with_options(reg, axum::Router::new(), &http, None);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(registry::server::serve(listener, app, server, async move {
        let _ = rx.await;
    }));
    Net { addr, _dir: dir, _stop: tx }
}

impl Net {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// A raw HTTP/1.1 response.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Send `request` (raw bytes) and read one response (Content-Length framed), within 10 s.
pub async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S, request: &[u8]) -> std::io::Result<Raw> {
    s.write_all(request).await?;
    read_response(s).await
}

pub async fn read_response<S: AsyncRead + Unpin>(s: &mut S) -> std::io::Result<Raw> {
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed before a response"));
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok()).unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = buf[head_end + 4..].to_vec();
        while body.len() < len {
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        Ok(Raw { status, headers, body: String::from_utf8_lossy(&body).to_string() })
    })
    .await
    .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no response within 10 s"))?
}

/// Wait until the peer closes `s` (EOF or reset), up to `within`; true when it did.
pub async fn closed_within<S: AsyncRead + Unpin>(s: &mut S, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

pub fn get_request(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}
