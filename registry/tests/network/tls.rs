//! HTTPS, HTTP/2 over ALPN, mTLS and certificate reload, with certificates made at test time.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Extension;
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use registry::server::http::HttpOptions;
use registry::server::{ClientAuth, PeerCertificates, ServerOptions, Tls, TlsSettings};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;

use crate::*;

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    fn new(name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(DnType::CommonName, name);
        Ca { cert: p.self_signed(&key).unwrap(), key }
    }
    /// A leaf for 127.0.0.1 / localhost: (cert PEM, key PEM, cert DER).
    fn leaf(&self, cn: &str, client: bool) -> (String, String, Vec<u8>) {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.extended_key_usages =
            vec![if client { ExtendedKeyUsagePurpose::ClientAuth } else { ExtendedKeyUsagePurpose::ServerAuth }];
        let cert = p.signed_by(&key, &self.cert, &self.key).unwrap();
        (cert.pem(), key.serialize_pem(), cert.der().to_vec())
    }
    fn pem(&self) -> String {
        self.cert.pem()
    }
}

struct TlsNet {
    addr: std::net::SocketAddr,
    dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl TlsNet {
    fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// `/whoami` answers the CN-bearing DER length of the client's leaf certificate, or "anonymous".
async fn whoami(certs: Option<Extension<PeerCertificates>>) -> String {
    match certs {
        Some(Extension(c)) => format!("client certificate of {} bytes, chain {}", c.0[0].len(), c.0.len()),
        None => "anonymous".into(),
    }
}

async fn start_tls(ca: &Ca, client_ca: Option<&Ca>, auth: ClientAuth) -> TlsNet {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _) = ca.leaf("lockstep-test", false);
    std::fs::write(dir.path().join("cert.pem"), cert).unwrap();
    std::fs::write(dir.path().join("key.pem"), key).unwrap();
    let client_ca_path = client_ca.map(|c| {
        let p = dir.path().join("client-ca.pem");
        std::fs::write(&p, c.pem()).unwrap();
        p
    });
    let tls = Tls::load(TlsSettings {
        cert: dir.path().join("cert.pem"),
        key: dir.path().join("key.pem"),
        client_ca: client_ca_path,
        client_auth: auth,
        reload_interval: Duration::from_millis(100),
    })
    .unwrap();
    tls.watch_files();
    let reg = registry::open_file_registry(&dir.path().join("data"), registry::RegistryConfig::default()).unwrap();
    let (listener, addr) = registry::bind("127.0.0.1:0").await.unwrap();
    let extra = axum::Router::new().route("/whoami", get(whoami));
    let app = registry::api::app_with_options(reg, extra, &HttpOptions::default(), None);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let opts = ServerOptions { tls: Some(tls), ..ServerOptions::default() };
    tokio::spawn(registry::server::serve(listener, app, opts, async move {
        let _ = rx.await;
    }));
    TlsNet { addr, dir, _stop: tx }
}

fn client(ca: &Ca, identity: Option<(String, String)>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap());
    if let Some((cert, key)) = identity {
        b = b.identity(reqwest::Identity::from_pem(format!("{cert}{key}").as_bytes()).unwrap());
    }
    b.build().unwrap()
}

#[tokio::test]
async fn https_serves_the_api_over_http2_and_http1() {
    let ca = Ca::new("server CA");
    let net = start_tls(&ca, None, ClientAuth::None).await;
    let r = client(&ca, None).get(net.url("/subjects")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.version(), reqwest::Version::HTTP_2, "ALPN should pick h2");
    assert_eq!(r.text().await.unwrap(), "[]");
    let h1 = reqwest::Client::builder()
        .use_rustls_tls()
        .http1_only()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let r = h1
        .post(net.url("/subjects/a/versions"))
        .header("Content-Type", CT)
        .body(r#"{"schema":"\"int\""}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_11);
    assert_eq!(r.status().as_u16(), 200);
    // No client certificate asked for: handlers see none.
    let r = client(&ca, None).get(net.url("/whoami")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "anonymous");
    // Plain HTTP on the TLS port is not served.
    let plain = reqwest::Client::new().get(format!("http://{}/subjects", net.addr)).send().await;
    assert!(!matches!(plain, Ok(r) if r.status().is_success()));
}

#[tokio::test]
async fn mtls_required_refuses_clients_without_a_certificate_from_the_ca() {
    let server_ca = Ca::new("server CA");
    let client_ca = Ca::new("client CA");
    let other_ca = Ca::new("other CA");
    let net = start_tls(&server_ca, Some(&client_ca), ClientAuth::Require).await;
    let no_cert = client(&server_ca, None).get(net.url("/subjects")).send().await;
    assert!(no_cert.is_err(), "a client without a certificate was served: {no_cert:?}");
    let (c, k, _) = other_ca.leaf("mallory", true);
    let wrong = client(&server_ca, Some((c, k))).get(net.url("/subjects")).send().await;
    assert!(wrong.is_err(), "a certificate from another CA was accepted: {wrong:?}");
    let (c, k, der) = client_ca.leaf("alice", true);
    let good = client(&server_ca, Some((c, k)));
    let r = good.get(net.url("/subjects")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // The verified chain reaches handlers (and layers) as a request extension.
    let r = good.get(net.url("/whoami")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), format!("client certificate of {} bytes, chain 1", der.len()));
}

#[tokio::test]
async fn mtls_requested_serves_clients_without_a_certificate_anonymously() {
    let server_ca = Ca::new("server CA");
    let client_ca = Ca::new("client CA");
    let net = start_tls(&server_ca, Some(&client_ca), ClientAuth::Request).await;
    let r = client(&server_ca, None).get(net.url("/whoami")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "anonymous");
    let (c, k, _) = client_ca.leaf("alice", true);
    let r = client(&server_ca, Some((c, k))).get(net.url("/whoami")).send().await.unwrap();
    assert!(r.text().await.unwrap().starts_with("client certificate"));
    let (c, k, _) = Ca::new("other").leaf("mallory", true);
    assert!(client(&server_ca, Some((c, k))).get(net.url("/whoami")).send().await.is_err());
}

async fn tls_connect(addr: std::net::SocketAddr, ca: &Ca) -> tokio_rustls::client::TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(ca.cert.der().to_vec())).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(cfg)).connect(name, tcp).await.unwrap()
}

fn served_cert(s: &tokio_rustls::client::TlsStream<TcpStream>) -> Vec<u8> {
    s.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[tokio::test]
async fn certificate_reload_serves_the_new_certificate_without_dropping_open_connections() {
    let ca = Ca::new("server CA");
    let net = start_tls(&ca, None, ClientAuth::None).await;
    let mut open = tls_connect(net.addr, &ca).await;
    let old = served_cert(&open);
    assert_eq!(exchange(&mut open, &get_request("/subjects")).await.unwrap().status, 200);
    let (cert, key, new_der) = ca.leaf("lockstep-renewed", false);
    replace(&net.path("key.pem"), &key);
    replace(&net.path("cert.pem"), &cert);
    let mut seen = old.clone();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        seen = served_cert(&tls_connect(net.addr, &ca).await);
        if seen != old {
            break;
        }
    }
    assert_eq!(seen, new_der, "new connections should get the new certificate");
    // The connection opened before the reload is still served.
    assert_eq!(exchange(&mut open, &get_request("/subjects")).await.unwrap().status, 200);
    // A broken file is refused and the current certificate stays.
    replace(&net.path("cert.pem"), "not a certificate");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(served_cert(&tls_connect(net.addr, &ca).await), new_der);
}

#[test]
fn bad_tls_settings_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let settings = |cert: &str, key: &str, auth| TlsSettings {
        cert: dir.path().join(cert),
        key: dir.path().join(key),
        client_ca: None,
        client_auth: auth,
        reload_interval: Duration::from_secs(10),
    };
    let e = Tls::load(settings("missing.pem", "missing.key", ClientAuth::None)).err().unwrap();
    assert!(format!("{e:#}").contains("missing.pem"), "{e:#}");
    let ca = Ca::new("ca");
    let (c, _, _) = ca.leaf("a", false);
    let (_, k, _) = ca.leaf("b", false);
    std::fs::write(dir.path().join("c.pem"), c).unwrap();
    std::fs::write(dir.path().join("k.pem"), k).unwrap();
    let e = Tls::load(settings("c.pem", "k.pem", ClientAuth::None)).err().unwrap();
    assert!(format!("{e:#}").contains("do not fit"), "{e:#}");
    let e = Tls::load(settings("c.pem", "k.pem", ClientAuth::Require)).err().unwrap();
    assert!(format!("{e:#}").contains("client CA"), "{e:#}");
}
