//! Security settings: flags (`SecurityArgs`, flattened into `lockstep registry`), `LOCKSTEP_*`
//! environment variables, and the `[registry.security]` TOML table (`SecurityFile`), resolved in
//! that order of precedence into a [`SecurityConfig`].

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use serde::Deserialize;

use super::audit::AuditTarget;
use super::basic::BasicConfig;
use super::bearer::{BearerConfig, JwksSource};
use super::mtls::CertField;

#[derive(clap::Args, Debug, Default, Clone)]
pub struct SecurityArgs {
    /// Users file for basic authentication (TOML, htpasswd or JAAS PropertyFileLoginModule
    /// format) holding argon2 or bcrypt hashes; re-read when it changes.
    #[arg(long, env = "LOCKSTEP_AUTH_BASIC_USERS_FILE")]
    pub auth_basic_users_file: Option<PathBuf>,
    /// Accept MD5:, OBF: and plaintext passwords in the users file (migration only).
    #[arg(long, env = "LOCKSTEP_AUTH_BASIC_ALLOW_INSECURE_PASSWORDS")]
    pub auth_basic_allow_insecure_passwords: bool,
    /// Seconds a successful password check is remembered [default: 60].
    #[arg(long, env = "LOCKSTEP_AUTH_BASIC_CACHE_SECS")]
    pub auth_basic_cache_secs: Option<u64>,
    /// Password checks running at once [default: number of CPUs].
    #[arg(long, env = "LOCKSTEP_AUTH_VERIFY_WORKERS")]
    pub auth_verify_workers: Option<usize>,
    /// Password checks waiting for a worker before new ones get 429 [default: 64].
    #[arg(long, env = "LOCKSTEP_AUTH_VERIFY_QUEUE")]
    pub auth_verify_queue: Option<usize>,
    /// JWKS file for bearer (JWT) authentication; re-read when it changes.
    #[arg(long, env = "LOCKSTEP_AUTH_BEARER_JWKS_FILE")]
    pub auth_bearer_jwks_file: Option<PathBuf>,
    /// JWKS URL for bearer authentication (fetched at start, then periodically).
    #[arg(long, env = "LOCKSTEP_AUTH_BEARER_JWKS_URL")]
    pub auth_bearer_jwks_url: Option<String>,
    /// Required token issuer (`iss`).
    #[arg(long, env = "LOCKSTEP_AUTH_BEARER_ISSUER")]
    pub auth_bearer_issuer: Option<String>,
    /// Accepted token audience (`aud`); repeatable.
    #[arg(long, env = "LOCKSTEP_AUTH_BEARER_AUDIENCE", value_delimiter = ',')]
    pub auth_bearer_audience: Vec<String>,
    /// Claim naming the principal [default: sub].
    #[arg(long, env = "LOCKSTEP_AUTH_BEARER_PRINCIPAL_CLAIM")]
    pub auth_bearer_principal_claim: Option<String>,
    /// Claim holding the principal's groups [default: groups].
    #[arg(long, env = "LOCKSTEP_AUTH_BEARER_GROUPS_CLAIM")]
    pub auth_bearer_groups_claim: Option<String>,
    /// Seconds between fetches of the JWKS URL [default: 300].
    #[arg(long, env = "LOCKSTEP_AUTH_BEARER_JWKS_REFRESH_SECS")]
    pub auth_bearer_jwks_refresh_secs: Option<u64>,
    /// Clock skew allowed on exp/nbf, in seconds [default: 60].
    #[arg(long, env = "LOCKSTEP_AUTH_BEARER_LEEWAY_SECS")]
    pub auth_bearer_leeway_secs: Option<u64>,
    /// Authenticate TLS clients by their certificate.
    #[arg(long, env = "LOCKSTEP_AUTH_MTLS")]
    pub auth_mtls: bool,
    /// Certificate field naming the principal: cn, dn, san-dns, san-email, san-uri [default: cn].
    #[arg(long, env = "LOCKSTEP_AUTH_MTLS_PRINCIPAL")]
    pub auth_mtls_principal: Option<String>,
    /// Principal mapping rule, Kafka style: `RULE:pattern/replacement/[L|U]` or `DEFAULT`; repeatable.
    #[arg(long = "auth-mtls-principal-rule", env = "LOCKSTEP_AUTH_MTLS_PRINCIPAL_RULES", value_delimiter = ';')]
    pub auth_mtls_principal_rules: Vec<String>,
    /// Let unauthenticated requests through as the principal ANONYMOUS.
    #[arg(long, env = "LOCKSTEP_AUTH_ANONYMOUS")]
    pub auth_anonymous: bool,
    /// Authorization rules file (TOML `[[rule]]` tables); re-read when it changes.
    #[arg(long, env = "LOCKSTEP_AUTHZ_RULES_FILE")]
    pub authz_rules_file: Option<PathBuf>,
    /// Audit log of writes and refused requests: a file path, or `stderr`.
    #[arg(long, env = "LOCKSTEP_AUDIT_LOG")]
    pub audit_log: Option<String>,
    /// Seconds between checks of the users, JWKS and rules files for changes [default: 5].
    #[arg(long, env = "LOCKSTEP_SECURITY_RELOAD_SECS")]
    pub security_reload_secs: Option<u64>,
}

/// The `[registry.security]` table: the same settings, snake_case keys.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct SecurityFile {
    pub auth_basic_users_file: Option<PathBuf>,
    pub auth_basic_allow_insecure_passwords: Option<bool>,
    pub auth_basic_cache_secs: Option<u64>,
    pub auth_verify_workers: Option<usize>,
    pub auth_verify_queue: Option<usize>,
    pub auth_bearer_jwks_file: Option<PathBuf>,
    pub auth_bearer_jwks_url: Option<String>,
    pub auth_bearer_issuer: Option<String>,
    #[serde(default)]
    pub auth_bearer_audience: Vec<String>,
    pub auth_bearer_principal_claim: Option<String>,
    pub auth_bearer_groups_claim: Option<String>,
    pub auth_bearer_jwks_refresh_secs: Option<u64>,
    pub auth_bearer_leeway_secs: Option<u64>,
    pub auth_mtls: Option<bool>,
    pub auth_mtls_principal: Option<String>,
    #[serde(default)]
    pub auth_mtls_principal_rules: Vec<String>,
    pub auth_anonymous: Option<bool>,
    pub authz_rules_file: Option<PathBuf>,
    pub audit_log: Option<String>,
    pub security_reload_secs: Option<u64>,
}

/// Resolved settings.
#[derive(Debug, Clone, Default)]
pub struct SecurityConfig {
    pub basic: Option<BasicConfig>,
    pub bearer: Option<BearerConfig>,
    /// mTLS: the field and the mapping rules.
    pub mtls: Option<(CertField, Vec<String>)>,
    pub anonymous: bool,
    pub rules_file: Option<PathBuf>,
    pub audit: Option<AuditTarget>,
    pub reload_every: Duration,
}

impl SecurityConfig {
    /// Is any authentication method configured?
    pub fn authenticates(&self) -> bool {
        self.basic.is_some() || self.bearer.is_some() || self.mtls.is_some()
    }
}

impl SecurityArgs {
    /// Merge flags/environment over the file's table and check the combination.
    pub fn resolve(self, file: SecurityFile) -> anyhow::Result<SecurityConfig> {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let basic = self.auth_basic_users_file.or(file.auth_basic_users_file).map(|users_file| BasicConfig {
            users_file,
            allow_insecure: self.auth_basic_allow_insecure_passwords
                || file.auth_basic_allow_insecure_passwords.unwrap_or(false),
            cache_ttl: Duration::from_secs(self.auth_basic_cache_secs.or(file.auth_basic_cache_secs).unwrap_or(60)),
            workers: self.auth_verify_workers.or(file.auth_verify_workers).unwrap_or(cpus).max(1),
            queue: self.auth_verify_queue.or(file.auth_verify_queue).unwrap_or(64),
        });
        let jwks = match (
            self.auth_bearer_jwks_file.or(file.auth_bearer_jwks_file),
            self.auth_bearer_jwks_url.or(file.auth_bearer_jwks_url),
        ) {
            (Some(_), Some(_)) => bail!("set either auth_bearer_jwks_file or auth_bearer_jwks_url, not both"),
            (Some(f), None) => Some(JwksSource::File(f)),
            (None, Some(u)) => {
                if !(u.starts_with("https://") || u.starts_with("http://")) {
                    bail!("auth_bearer_jwks_url must be an http(s) URL, not '{u}'");
                }
                Some(JwksSource::Url(u))
            }
            (None, None) => None,
        };
        let audience =
            if self.auth_bearer_audience.is_empty() { file.auth_bearer_audience } else { self.auth_bearer_audience };
        let issuer = self.auth_bearer_issuer.or(file.auth_bearer_issuer);
        let bearer = jwks.map(|jwks| BearerConfig {
            jwks,
            issuer: issuer.clone(),
            audience: audience.clone(),
            principal_claim: self
                .auth_bearer_principal_claim
                .or(file.auth_bearer_principal_claim)
                .unwrap_or_else(|| "sub".into()),
            groups_claim: Some(
                self.auth_bearer_groups_claim.or(file.auth_bearer_groups_claim).unwrap_or_else(|| "groups".into()),
            ),
            leeway: Duration::from_secs(self.auth_bearer_leeway_secs.or(file.auth_bearer_leeway_secs).unwrap_or(60)),
            refresh: Duration::from_secs(
                self.auth_bearer_jwks_refresh_secs.or(file.auth_bearer_jwks_refresh_secs).unwrap_or(300).max(10),
            ),
        });
        if bearer.is_none() && (issuer.is_some() || !audience.is_empty()) {
            bail!("auth_bearer_issuer/auth_bearer_audience need auth_bearer_jwks_file or auth_bearer_jwks_url");
        }
        let mtls = if self.auth_mtls || file.auth_mtls.unwrap_or(false) {
            let field = self.auth_mtls_principal.or(file.auth_mtls_principal).unwrap_or_else(|| "cn".into());
            let rules = if self.auth_mtls_principal_rules.is_empty() {
                file.auth_mtls_principal_rules
            } else {
                self.auth_mtls_principal_rules
            };
            Some((CertField::parse(&field)?, rules))
        } else {
            None
        };
        let cfg = SecurityConfig {
            basic,
            bearer,
            mtls,
            anonymous: self.auth_anonymous || file.auth_anonymous.unwrap_or(false),
            rules_file: self.authz_rules_file.or(file.authz_rules_file),
            audit: self.audit_log.or(file.audit_log).map(|s| AuditTarget::parse(&s)),
            reload_every: Duration::from_secs(
                self.security_reload_secs.or(file.security_reload_secs).unwrap_or(5).max(1),
            ),
        };
        if !cfg.authenticates() && (cfg.rules_file.is_some() || cfg.anonymous) {
            bail!(
                "authorization rules and anonymous access need an authentication method \
                 (auth_basic_users_file, auth_bearer_jwks_file/url or auth_mtls)"
            );
        }
        Ok(cfg)
    }
}
