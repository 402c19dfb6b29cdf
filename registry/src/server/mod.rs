//! The listener: a hyper-util accept loop serving HTTP/1.1 and HTTP/2 (ALPN over TLS,
//! prior-knowledge h2c in plain text) with a connection cap that sheds load (503 +
//! `Retry-After`), header-read and idle timeouts, optional TLS with reloadable certificates,
//! and a graceful shutdown.
//!
//! Request-level checks (body size and deadline, content type, hosts, CORS) are in [`http`];
//! TLS in [`tls`].

pub mod http;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use pin_project_lite::pin_project;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

pub use tls::{ClientAuth, PeerCertificates, Tls, TlsSettings};

/// Connection-level settings (see the README's configuration table).
#[derive(Clone)]
pub struct ServerOptions {
    /// A request's head (or a TLS handshake) must arrive within this time of its first byte.
    pub header_timeout: Duration,
    /// A connection with no request in flight and nothing received is closed after this time.
    pub idle_timeout: Duration,
    /// Open connections served at once; above it new ones get 503 with `Retry-After`.
    pub max_connections: usize,
    /// Seconds given in `Retry-After` when shedding.
    pub retry_after_secs: u32,
    /// How long a graceful shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
    /// HTTPS instead of plain HTTP.
    pub tls: Option<Arc<Tls>>,
}

impl std::fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOptions")
            .field("header_timeout", &self.header_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_connections", &self.max_connections)
            .field("retry_after_secs", &self.retry_after_secs)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            retry_after_secs: 1,
            shutdown_grace: Duration::from_secs(10),
            tls: None,
        }
    }
}

/// Connections turned away with a 503 at once; past this many, extra connections are closed
/// without an answer (each one still costs a file descriptor while it is answered).
const MAX_SHEDDING: usize = 256;

/// Serve `app` on `listener` until `shutdown` resolves, then let requests in flight finish
/// (up to `shutdown_grace`).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    opts: ServerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(opts.max_connections.max(1)));
    let shedding = Arc::new(Semaphore::new(MAX_SHEDDING));
    let (stop_tx, stop_rx) = watch::channel(false);
    let opts = Arc::new(opts);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE/ENFILE and friends: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        if let Ok(slot) = slots.clone().try_acquire_owned() {
            let (app, opts, stop) = (app.clone(), opts.clone(), stop_rx.clone());
            tokio::spawn(async move {
                connection(stream, peer, app, &opts, stop).await;
                drop(slot);
            });
        } else if let Ok(slot) = shedding.clone().try_acquire_owned() {
            let opts = opts.clone();
            tokio::spawn(async move {
                shed(stream, &opts).await;
                drop(slot);
            });
        } else {
            drop(stream);
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(stop_rx);
    // Every connection holds a receiver: `closed` resolves when the last one has finished.
    let _ = tokio::time::timeout(opts.shutdown_grace, stop_tx.closed()).await;
    Ok(())
}

/// Bind `addr` (port 0 picks a free port) and return the listener and its address.
pub async fn bind(addr: &str) -> std::io::Result<(TcpListener, SocketAddr)> {
    let l = TcpListener::bind(addr).await?;
    let a = l.local_addr()?;
    Ok((l, a))
}

fn builder(opts: &ServerOptions) -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    // hyper's own header timer also runs while a kept-alive connection waits, so it is set to
    // idle + header: a backstop behind the watchdog below, which tells the two apart.
    b.http1().timer(TokioTimer::new()).header_read_timeout(opts.idle_timeout + opts.header_timeout);
    b.http2().timer(TokioTimer::new()).max_concurrent_streams(256);
    b
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    opts: &ServerOptions,
    mut stop: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    let (io, certs) = match &opts.tls {
        None => (Io::Plain(stream), None),
        Some(tls) => match tokio::time::timeout(opts.header_timeout, tls.acceptor().accept(stream)).await {
            Ok(Ok(s)) => {
                let certs = s
                    .get_ref()
                    .1
                    .peer_certificates()
                    .map(|c| PeerCertificates(c.iter().map(|c| c.clone().into_owned()).collect()));
                (Io::Tls(Box::new(s)), certs)
            }
            Ok(Err(e)) => {
                tracing::debug!(%peer, "TLS handshake failed: {e}");
                return;
            }
            Err(_) => {
                tracing::debug!(%peer, "TLS handshake timed out");
                return;
            }
        },
    };
    let io = Watched { inner: io, activity: activity.clone() };
    let svc_activity = activity.clone();
    let svc = tower::service_fn(move |mut req: Request<Incoming>| {
        let guard = InFlight::start(svc_activity.clone());
        req.extensions_mut().insert(ConnectInfo(peer));
        if let Some(c) = &certs {
            req.extensions_mut().insert(c.clone());
        }
        let app = app.clone();
        async move {
            let resp = app.oneshot(req.map(Body::new)).await?;
            Ok::<_, std::convert::Infallible>(resp.map(|b| Body::new(Guarded { inner: b, _guard: guard })))
        }
    });
    let builder = builder(opts);
    let conn = builder.serve_connection(TokioIo::new(io), hyper_util::service::TowerToHyperService::new(svc));
    tokio::pin!(conn);
    let dog = watchdog(activity, opts.header_timeout, opts.idle_timeout);
    tokio::pin!(dog);
    let mut closing = false;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(%peer, "connection ended: {e}");
                }
                return;
            }
            changed = stop.changed(), if !closing => {
                let _ = changed;
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            reason = &mut dog, if !closing => {
                tracing::debug!(%peer, "closing connection: {reason}");
                conn.as_mut().graceful_shutdown();
                // A half-sent head or a silent client: give hyper a moment, then drop it.
                let _ = tokio::time::timeout(Duration::from_secs(1), conn.as_mut()).await;
                return;
            }
        }
    }
}

/// Over the connection cap: answer every request with 503 + `Retry-After` and close.
async fn shed(stream: TcpStream, opts: &ServerOptions) {
    let retry = opts.retry_after_secs;
    let max = opts.max_connections;
    let svc = tower::service_fn(move |_req: Request<Incoming>| async move {
        let body = serde_json::json!({
            "error_code": 503,
            "message": format!("Too many connections: the server is at its limit of {max}; retry later"),
        });
        let mut r = Response::new(Body::from(body.to_string()));
        *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(crate::api::V1_JSON));
        h.insert(header::RETRY_AFTER, HeaderValue::from(retry));
        Ok::<_, std::convert::Infallible>(r)
    });
    let svc = hyper_util::service::TowerToHyperService::new(svc);
    let mut b = builder(opts);
    b.http1().keep_alive(false).header_read_timeout(opts.header_timeout);
    let deadline = opts.header_timeout + Duration::from_secs(1);
    let _ = tokio::time::timeout(deadline, async {
        match &opts.tls {
            None => {
                let _ = b.serve_connection(TokioIo::new(stream), svc).await;
            }
            Some(tls) => {
                if let Ok(s) = tls.acceptor().accept(stream).await {
                    let _ = b.serve_connection(TokioIo::new(s), svc).await;
                }
            }
        }
    })
    .await;
}

// ---------------------------------------------------------------------------- timeouts

const NONE: u64 = u64::MAX;

/// What the watchdog needs to know about a connection.
struct Activity {
    start: Instant,
    in_flight: AtomicUsize,
    /// ms since `start` when the connection last had no request in flight.
    idle_since: AtomicU64,
    /// ms since `start` of the first byte received while idle (a request head starting), or NONE.
    first_byte: AtomicU64,
    /// Wakes the watchdog when a request head starts.
    head_started: tokio::sync::Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            first_byte: AtomicU64::new(NONE),
            head_started: tokio::sync::Notify::new(),
        }
    }
    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }
    fn received(&self) {
        if self.in_flight.load(Ordering::Relaxed) == 0 && self.first_byte.load(Ordering::Relaxed) == NONE {
            self.first_byte.store(self.now(), Ordering::Relaxed);
            self.head_started.notify_one();
        }
    }
}

/// Counts a request in flight from its head to the end of its response body.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(a: Arc<Activity>) -> Self {
        a.in_flight.fetch_add(1, Ordering::Relaxed);
        a.first_byte.store(NONE, Ordering::Relaxed);
        Self(a)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.0.idle_since.store(self.0.now(), Ordering::Relaxed);
            self.0.first_byte.store(NONE, Ordering::Relaxed);
        }
    }
}

/// Resolves with the reason when the connection should be closed: a request head started but
/// not finished within `header`, or nothing at all for `idle`.
async fn watchdog(a: Arc<Activity>, header: Duration, idle: Duration) -> &'static str {
    let (header, idle) = (header.as_millis() as u64, idle.as_millis() as u64);
    loop {
        let now = a.now();
        let wake = if a.in_flight.load(Ordering::Relaxed) > 0 {
            now + header.min(idle)
        } else {
            let first = a.first_byte.load(Ordering::Relaxed);
            if first != NONE {
                if now >= first + header {
                    return "request head not received in time";
                }
                first + header
            } else {
                let since = a.idle_since.load(Ordering::Relaxed);
                if now >= since + idle {
                    return "idle";
                }
                since + idle
            }
        };
        let sleep = tokio::time::sleep(Duration::from_millis(wake.saturating_sub(now).max(5)));
        tokio::select! { () = sleep => {}, () = a.head_started.notified() => {} }
    }
}

// ---------------------------------------------------------------------------- I/O plumbing

enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

pin_project! {
    /// The connection's stream, noting when bytes arrive.
    struct Watched {
        inner: Io,
        activity: Arc<Activity>,
    }
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.project();
        let before = buf.filled().len();
        let r = match this.inner {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        };
        if buf.filled().len() > before {
            this.activity.received();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.project().inner {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.project().inner {
            Io::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }
    fn is_write_vectored(&self) -> bool {
        match &self.inner {
            Io::Plain(s) => s.is_write_vectored(),
            Io::Tls(s) => s.is_write_vectored(),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.project().inner {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.project().inner {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

pin_project! {
    /// A response body that keeps its request counted as in flight until it is dropped.
    struct Guarded {
        #[pin]
        inner: Body,
        _guard: InFlight,
    }
}

impl http_body::Body for Guarded {
    type Data = axum::body::Bytes;
    type Error = axum::Error;
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        self.project().inner.poll_frame(cx)
    }
    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
