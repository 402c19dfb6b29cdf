//! Bearer authentication: JWTs (OAuth2 / OIDC access tokens) checked against a JWKS from a file
//! or a URL the operator configured, with issuer and audience checks; principal and groups come
//! from configurable claims.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use arc_swap::ArcSwap;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use parking_lot::Mutex;
use serde_json::Value;

use super::principal::{AuthMethod, Principal};
use super::AuthError;

/// Where the keys come from.
#[derive(Debug, Clone)]
pub enum JwksSource {
    File(PathBuf),
    Url(String),
}

#[derive(Debug, Clone)]
pub struct BearerConfig {
    pub jwks: JwksSource,
    /// Required `iss` (when set).
    pub issuer: Option<String>,
    /// Accepted `aud` values (any one; none = `aud` not checked).
    pub audience: Vec<String>,
    /// Claim holding the principal name; dots walk into objects (`realm_access.name`).
    pub principal_claim: String,
    /// Claim holding the groups (array or space-separated string); dots walk into objects.
    pub groups_claim: Option<String>,
    /// Clock skew allowed on `exp`/`nbf`.
    pub leeway: Duration,
    /// How often a JWKS URL is fetched again.
    pub refresh: Duration,
}

struct Key {
    kid: Option<String>,
    key: DecodingKey,
    algorithms: Vec<Algorithm>,
}

pub struct Bearer {
    cfg: BearerConfig,
    keys: ArcSwap<Vec<Key>>,
    http: reqwest::Client,
    last_fetch: Mutex<Option<Instant>>,
}

/// Largest JWKS document read.
const MAX_JWKS: usize = 1024 * 1024;

fn parse_jwks(text: &str, origin: &str) -> anyhow::Result<Vec<Key>> {
    let set: JwkSet = serde_json::from_str(text).with_context(|| format!("invalid JWKS from {origin}"))?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        // Only public keys; each key verifies only the algorithms of its own family, so a token
        // cannot switch an RSA key to HMAC.
        let mut algorithms = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => vec![
                Algorithm::RS256,
                Algorithm::RS384,
                Algorithm::RS512,
                Algorithm::PS256,
                Algorithm::PS384,
                Algorithm::PS512,
            ],
            AlgorithmParameters::EllipticCurve(_) => vec![Algorithm::ES256, Algorithm::ES384],
            AlgorithmParameters::OctetKeyPair(_) => vec![Algorithm::EdDSA],
            AlgorithmParameters::OctetKey(_) => {
                tracing::warn!("JWKS from {origin}: skipping a symmetric (oct) key");
                continue;
            }
        };
        if let Some(a) = jwk.common.key_algorithm.and_then(|a| a.to_string().parse::<Algorithm>().ok()) {
            algorithms.retain(|x| *x == a);
        }
        let key = DecodingKey::from_jwk(jwk).with_context(|| format!("unusable key in JWKS from {origin}"))?;
        keys.push(Key { kid: jwk.common.key_id.clone(), key, algorithms });
    }
    anyhow::ensure!(!keys.is_empty(), "JWKS from {origin} holds no usable public key");
    Ok(keys)
}

impl Bearer {
    pub async fn new(cfg: BearerConfig) -> anyhow::Result<Bearer> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        let b = Bearer { cfg, keys: ArcSwap::from_pointee(Vec::new()), http, last_fetch: Mutex::new(None) };
        b.reload().await?;
        Ok(b)
    }

    pub fn jwks_file(&self) -> Option<&std::path::Path> {
        match &self.cfg.jwks {
            JwksSource::File(p) => Some(p),
            JwksSource::Url(_) => None,
        }
    }

    pub fn refresh_interval(&self) -> Option<Duration> {
        matches!(self.cfg.jwks, JwksSource::Url(_)).then_some(self.cfg.refresh)
    }

    /// Read the keys again (file or URL); on error keep the keys in force.
    pub async fn reload(&self) -> anyhow::Result<()> {
        let keys = match &self.cfg.jwks {
            JwksSource::File(p) => {
                let text =
                    std::fs::read_to_string(p).with_context(|| format!("cannot read JWKS file {}", p.display()))?;
                parse_jwks(&text, &p.display().to_string())?
            }
            JwksSource::Url(u) => {
                *self.last_fetch.lock() = Some(Instant::now());
                let resp = self.http.get(u).send().await.with_context(|| format!("cannot fetch JWKS {u}"))?;
                anyhow::ensure!(resp.status().is_success(), "JWKS {u} answered {}", resp.status());
                let body = resp.bytes().await.with_context(|| format!("cannot read JWKS {u}"))?;
                anyhow::ensure!(body.len() <= MAX_JWKS, "JWKS {u} is larger than {MAX_JWKS} bytes");
                parse_jwks(&String::from_utf8_lossy(&body), u)?
            }
        };
        self.keys.store(Arc::new(keys));
        Ok(())
    }

    /// An unknown `kid` may mean the issuer rotated its keys: fetch the URL again, at most every
    /// 30 s (or the refresh interval, when shorter).
    async fn maybe_refetch(&self) -> bool {
        if !matches!(self.cfg.jwks, JwksSource::Url(_)) {
            return false;
        }
        let gap = self.cfg.refresh.min(Duration::from_secs(30));
        let due = self.last_fetch.lock().is_none_or(|t| t.elapsed() > gap);
        due && self.reload().await.is_ok()
    }

    pub async fn authenticate(&self, token: &str) -> Result<Principal, AuthError> {
        let token = token.trim();
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Token("malformed token".into()))?;
        let mut keys = self.keys.load_full();
        let find = |keys: &Vec<Key>| -> Option<usize> {
            match &header.kid {
                Some(kid) => keys.iter().position(|k| k.kid.as_deref() == Some(kid)),
                None if keys.len() == 1 => Some(0),
                None => None,
            }
        };
        let idx = match find(&keys) {
            Some(i) => i,
            None if self.maybe_refetch().await => {
                keys = self.keys.load_full();
                find(&keys).ok_or_else(|| AuthError::Token("unknown signing key".into()))?
            }
            None => return Err(AuthError::Token("unknown signing key".into())),
        };
        let key = &keys[idx];
        if !key.algorithms.contains(&header.alg) {
            return Err(AuthError::Token(format!("algorithm {:?} not allowed for this key", header.alg)));
        }
        let mut v = Validation::new(header.alg);
        v.algorithms = key.algorithms.clone();
        v.leeway = self.cfg.leeway.as_secs();
        v.validate_nbf = true;
        let mut required = vec!["exp"];
        if let Some(iss) = &self.cfg.issuer {
            v.set_issuer(&[iss]);
            required.push("iss");
        }
        if self.cfg.audience.is_empty() {
            v.validate_aud = false;
        } else {
            v.set_audience(&self.cfg.audience);
            required.push("aud");
        }
        v.set_required_spec_claims(&required);
        let data = jsonwebtoken::decode::<Value>(token, &key.key, &v).map_err(|e| {
            AuthError::Token(
                match e.kind() {
                    ErrorKind::ExpiredSignature => "token expired",
                    ErrorKind::ImmatureSignature => "token not yet valid",
                    ErrorKind::InvalidIssuer => "wrong issuer",
                    ErrorKind::InvalidAudience => "wrong audience",
                    ErrorKind::InvalidSignature => "bad signature",
                    ErrorKind::MissingRequiredClaim(_) => "a required claim (exp, iss or aud) is missing",
                    ErrorKind::InvalidAlgorithm => "algorithm not allowed",
                    _ => "invalid token",
                }
                .to_string(),
            )
        })?;
        let claims = data.claims;
        let name = claim(&claims, &self.cfg.principal_claim)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| AuthError::Token(format!("the token has no '{}' claim", self.cfg.principal_claim)))?;
        let groups = match self.cfg.groups_claim.as_deref().and_then(|c| claim(&claims, c)) {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(s)) => s.split([' ', ',']).filter(|g| !g.is_empty()).map(str::to_string).collect(),
            _ => Vec::new(),
        };
        Ok(Principal::new(name, groups, AuthMethod::Bearer))
    }
}

/// A claim by dotted path; a claim whose own name holds dots is found first.
fn claim<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(claims, |v, part| v.get(part))
}
