//! Connection flags of one registry (URL, credentials, TLS), spelled once for every side:
//! `--source`, `--source-user-info`, `--source-bearer-token`, `--source-oauth-*`,
//! `--source-ca-file`, `--source-cert-file`, `--source-key-file`, `--source-insecure` (and the
//! same for `--destination`, and `--registry` of `lockstep check`). Each flag also reads an
//! environment variable: the side's prefix (`LOCKSTEP_LINK_SOURCE`) + `_USER_INFO`, ….

use std::path::PathBuf;

use clap::Args;

use crate::client::{RegistryAuth, RegistryClient};

/// Which registry a set of connection flags is for: the flag prefix and environment prefix.
pub trait Side: Clone + std::fmt::Debug + Send + Sync + 'static {
    /// `source` / `destination` / `registry`: the URL flag, and the prefix of the others.
    const NAME: &'static str;
    /// `LOCKSTEP_LINK_SOURCE`: the URL's variable, and the prefix of the others.
    const ENV: &'static str;
    /// Whether the URL flag must be given.
    const URL_REQUIRED: bool = true;
}

/// The source registry's flags: `--source`, `--source-user-info`, ….
#[derive(Debug, Clone, Copy)]
pub struct Source;

impl Side for Source {
    const NAME: &'static str = "source";
    const ENV: &'static str = "LOCKSTEP_LINK_SOURCE";
}

/// The destination registry's flags: `--destination`, `--destination-user-info`, ….
#[derive(Debug, Clone, Copy)]
pub struct Destination;

impl Side for Destination {
    const NAME: &'static str = "destination";
    const ENV: &'static str = "LOCKSTEP_LINK_DESTINATION";
}

/// `lockstep check`'s registry: `--registry`, `--registry-user-info`, … (URL optional).
#[derive(Debug, Clone, Copy)]
pub struct CheckRegistry;

impl Side for CheckRegistry {
    const NAME: &'static str = "registry";
    const ENV: &'static str = "LOCKSTEP_CHECK_REGISTRY";
    const URL_REQUIRED: bool = false;
}

/// The flags after the side's name: (suffix, value name, takes a path, is a secret, help).
const FLAGS: &[(&str, &str, bool, bool, &str)] = &[
    ("user-info", "USER:PASSWORD", false, true, "Basic auth for the {side}, `user:password`"),
    ("bearer-token", "TOKEN", false, true, "Static bearer token for the {side}"),
    ("oauth-token-url", "URL", false, false, "OAuth2 token endpoint for the {side} (client-credentials flow)"),
    ("oauth-client-id", "ID", false, false, "OAuth2 client id for the {side}"),
    ("oauth-client-secret", "SECRET", false, true, "OAuth2 client secret for the {side}"),
    ("oauth-scope", "SCOPE", false, false, "OAuth2 scope(s) asked for the {side}'s tokens"),
    ("ca-file", "PEM", true, false, "PEM file of CA certificates to trust for the {side}"),
    ("cert-file", "PEM", true, false, "Client certificate chain (PEM) presented to the {side} (mTLS)"),
    ("key-file", "PEM", true, false, "Unencrypted PEM private key of the {side}'s client certificate"),
];

/// How to reach one registry (URL, credentials, TLS): one set of flags, spelled once, for
/// any side (`#[command(flatten)] RegistryArgs<Source>` / `RegistryArgs<Destination>`).
#[derive(Debug, Clone)]
pub struct RegistryArgs<S: Side> {
    /// Registry URL (any Confluent-compatible registry).
    pub url: Option<String>,
    /// Credentials and TLS.
    pub auth: RegistryAuth,
    side: std::marker::PhantomData<S>,
}

impl<S: Side> RegistryArgs<S> {
    /// A client for this registry; the URL is required.
    pub fn client(&self) -> anyhow::Result<RegistryClient> {
        let url = self.url.as_deref().ok_or_else(|| anyhow::anyhow!("--{} URL is required", S::NAME))?;
        RegistryClient::with_options(url, &self.auth.options(S::NAME)?)
    }
}

fn id<S: Side>(suffix: &str) -> String {
    format!("{}-{suffix}", S::NAME)
}

impl<S: Side> clap::FromArgMatches for RegistryArgs<S> {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let s = |suffix: &str| m.get_one::<String>(&id::<S>(suffix)).cloned();
        let p = |suffix: &str| m.get_one::<PathBuf>(&id::<S>(suffix)).cloned();
        Ok(Self {
            url: m.get_one::<String>(S::NAME).cloned(),
            auth: RegistryAuth {
                user_info: s("user-info"),
                bearer_token: s("bearer-token"),
                oauth_token_url: s("oauth-token-url"),
                oauth_client_id: s("oauth-client-id"),
                oauth_client_secret: s("oauth-client-secret"),
                oauth_scope: s("oauth-scope"),
                ca_file: p("ca-file"),
                cert_file: p("cert-file"),
                key_file: p("key-file"),
                insecure: m.get_flag(&id::<S>("insecure")),
            },
            side: std::marker::PhantomData,
        })
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl<S: Side> Args for RegistryArgs<S> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        use clap::{Arg, ArgAction};
        let side = S::NAME;
        let mut cmd = cmd.arg(
            Arg::new(S::NAME)
                .long(S::NAME)
                .env(S::ENV)
                .required(S::URL_REQUIRED)
                .value_name("URL")
                .help(format!("{} registry URL (any Confluent-compatible registry)", capitalized(side))),
        );
        for (suffix, value, path, secret, help) in FLAGS {
            let name = id::<S>(suffix);
            let env = format!("{}_{}", S::ENV, suffix.to_ascii_uppercase().replace('-', "_"));
            let mut arg = Arg::new(name.clone())
                .long(name)
                .env(env)
                .hide_env_values(*secret)
                .value_name(*value)
                .help(help.replace("{side}", side));
            if *path {
                arg = arg.value_parser(clap::value_parser!(PathBuf));
            }
            cmd = cmd.arg(arg);
        }
        let insecure = id::<S>("insecure");
        cmd.arg(
            Arg::new(insecure.clone())
                .long(insecure)
                .action(ArgAction::SetTrue)
                .help(format!("Do not verify the {side}'s TLS certificate (testing only)")),
        )
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// The source registry's flags.
pub type SourceArgs = RegistryArgs<Source>;
/// The destination registry's flags.
pub type DestinationArgs = RegistryArgs<Destination>;
/// `lockstep check`'s registry flags.
pub type CheckRegistryArgs = RegistryArgs<CheckRegistry>;
