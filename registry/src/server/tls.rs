//! HTTPS with rustls: PEM certificate and key, optional client certificates (mTLS), ALPN
//! `h2` + `http/1.1`, and reloads (SIGHUP or a change of the files) that apply to new
//! connections without touching open ones.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use arc_swap::ArcSwap;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::UnixTime;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig, SignatureScheme};

/// Whether clients must present a certificate signed by `--tls-client-ca`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// No client certificates asked for.
    #[default]
    None,
    /// Asked for and verified when given; clients without one are still served.
    Request,
    /// Connections without a valid client certificate are refused in the handshake.
    Require,
}

impl ClientAuth {
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Self::None),
            "request" | "requested" => Ok(Self::Request),
            "require" | "required" => Ok(Self::Require),
            other => anyhow::bail!("invalid TLS client auth '{other}': none, request or require"),
        }
    }
}

/// Where the PEM files are and how clients are authenticated.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    /// Certificate chain, leaf first (PEM).
    pub cert: PathBuf,
    /// Private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// CA certificates (PEM) that sign client certificates.
    pub client_ca: Option<PathBuf>,
    pub client_auth: ClientAuth,
    /// How often the files are checked for changes (a SIGHUP reloads at once).
    pub reload_interval: Duration,
}

/// The verified client certificate chain (DER, leaf first) of an mTLS connection, in every
/// request's extensions (absent on plain HTTP and for clients that sent none).
#[derive(Debug, Clone)]
pub struct PeerCertificates(pub Arc<[CertificateDer<'static>]>);

impl FromIterator<CertificateDer<'static>> for PeerCertificates {
    fn from_iter<I: IntoIterator<Item = CertificateDer<'static>>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// The live TLS configuration; `reload` swaps it for new connections.
pub struct Tls {
    settings: TlsSettings,
    /// This process's own client certificate, accepted besides those `client_ca` signs.
    internal: Option<CertificateDer<'static>>,
    config: ArcSwap<ServerConfig>,
    stamps: parking_lot::Mutex<Vec<Stamp>>,
}

impl Tls {
    /// Load the files (an error names the file and the problem).
    pub fn load(settings: TlsSettings) -> anyhow::Result<Arc<Self>> {
        Self::load_trusting(settings, None)
    }

    /// [`Tls::load`], also accepting `internal` (this process's [`InternalIdentity`]) as a client
    /// certificate, so its own clients (in-process exporters) connect under `--tls-client-auth require`.
    pub fn load_trusting(
        settings: TlsSettings,
        internal: Option<CertificateDer<'static>>,
    ) -> anyhow::Result<Arc<Self>> {
        anyhow::ensure!(
            settings.client_auth == ClientAuth::None || settings.client_ca.is_some(),
            "TLS client auth '{:?}' needs a client CA file (--tls-client-ca)",
            settings.client_auth
        );
        let stamps = stamps(&settings);
        let config = build(&settings, internal.as_ref())?;
        Ok(Arc::new(Self {
            settings,
            internal,
            config: ArcSwap::from_pointee(config),
            stamps: parking_lot::Mutex::new(stamps),
        }))
    }

    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.config.load_full())
    }

    /// Read the files again; on success new connections use them (open ones keep theirs), on
    /// failure the previous configuration stays.
    pub fn reload(&self) -> anyhow::Result<()> {
        *self.stamps.lock() = stamps(&self.settings);
        let config = build(&self.settings, self.internal.as_ref())?;
        self.config.store(Arc::new(config));
        tracing::info!(cert = %self.settings.cert.display(), "TLS certificate reloaded");
        Ok(())
    }

    /// Reload when `reload` and log the outcome.
    pub fn reload_logged(&self) {
        if let Err(e) = self.reload() {
            tracing::error!("TLS reload failed, keeping the previous certificate: {e:#}");
        }
    }

    /// Check the files every `reload_interval` and reload when one changed; stops when the
    /// last `Arc<Tls>` is dropped.
    pub fn watch_files(self: &Arc<Self>) {
        let weak: Weak<Self> = Arc::downgrade(self);
        let every = self.settings.reload_interval.max(Duration::from_millis(10));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(tls) = weak.upgrade() else { return };
                let now = stamps(&tls.settings);
                if now != *tls.stamps.lock() {
                    tls.reload_logged();
                }
            }
        });
    }
}

/// A file's modification time and length (`None` while it cannot be read).
type Stamp = Option<(SystemTime, u64)>;

fn stamps(s: &TlsSettings) -> Vec<Stamp> {
    let files = [Some(&s.cert), Some(&s.key), s.client_ca.as_ref()];
    files.iter().flatten().map(|p| std::fs::metadata(p).and_then(|m| Ok((m.modified()?, m.len()))).ok()).collect()
}

fn read_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("cannot read certificates from {}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("invalid PEM certificate in {}", path.display()))?;
    anyhow::ensure!(!certs.is_empty(), "no certificate in {}", path.display());
    Ok(certs)
}

fn build(s: &TlsSettings, internal: Option<&CertificateDer<'static>>) -> anyhow::Result<ServerConfig> {
    let certs = read_certs(&s.cert)?;
    let key = PrivateKeyDer::from_pem_file(&s.key)
        .with_context(|| format!("cannot read a private key from {}", s.key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?;
    let builder = match (&s.client_ca, s.client_auth) {
        (Some(ca), ClientAuth::Request | ClientAuth::Require) => {
            let mut roots = RootCertStore::empty();
            for c in read_certs(ca)? {
                roots.add(c).with_context(|| format!("invalid CA certificate in {}", ca.display()))?;
            }
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let v = if s.client_auth == ClientAuth::Request { v.allow_unauthenticated() } else { v };
            let v = v.build().context("client certificate verifier")?;
            match internal {
                Some(cert) => {
                    builder.with_client_cert_verifier(Arc::new(TrustInternal { inner: v, internal: cert.clone() }))
                }
                None => builder.with_client_cert_verifier(v),
            }
        }
        _ => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .with_context(|| format!("certificate {} and key {} do not fit", s.cert.display(), s.key.display()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A certificate and key made at start-up and held in memory only (never written, different
/// every run): the process's own clients present it to its own listener, which accepts exactly
/// this certificate besides those the client CA signs. Requests still authenticate with the
/// internal bearer token; the certificate only gets them through the mTLS handshake.
pub struct InternalIdentity {
    cert: CertificateDer<'static>,
    pem: Vec<u8>,
}

impl InternalIdentity {
    pub fn generate() -> anyhow::Result<Self> {
        let key = rcgen::KeyPair::generate().context("internal client key")?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).context("internal client certificate")?;
        params.distinguished_name.push(rcgen::DnType::CommonName, "lockstep-internal");
        let cert = params.self_signed(&key).context("internal client certificate")?;
        let pem = format!("{}{}", key.serialize_pem(), cert.pem()).into_bytes();
        Ok(Self { cert: cert.der().clone(), pem })
    }

    /// The certificate, for [`Tls::load_trusting`].
    pub fn certificate(&self) -> CertificateDer<'static> {
        self.cert.clone()
    }

    /// Key and certificate as PEM, for the process's own HTTP clients.
    pub fn pem(&self) -> &[u8] {
        &self.pem
    }
}

/// The client CA's verifier, plus the one internal certificate (exact match, no chain).
#[derive(Debug)]
struct TrustInternal {
    inner: Arc<dyn ClientCertVerifier>,
    internal: CertificateDer<'static>,
}

impl ClientCertVerifier for TrustInternal {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if intermediates.is_empty() && end_entity.as_ref() == self.internal.as_ref() {
            return Ok(ClientCertVerified::assertion());
        }
        self.inner.verify_client_cert(end_entity, intermediates, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
