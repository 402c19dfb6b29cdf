//! Connection flags of one registry (URL, basic auth, TLS), spelled once for both sides of a
//! link: `--source`, `--source-user-info`, … and `--destination`, `--destination-user-info`, ….

use std::path::PathBuf;

use clap::Args;

use crate::client::{ClientOptions, RegistryClient};

/// Which registry a set of connection flags is for: the flag names and environment variables.
pub trait Side: Clone + std::fmt::Debug + Send + Sync + 'static {
    /// `source` / `destination`.
    const NAME: &'static str;
    const USER_INFO: &'static str;
    const CA_FILE: &'static str;
    const INSECURE: &'static str;
    const ENV_URL: &'static str;
    const ENV_USER_INFO: &'static str;
    const ENV_CA_FILE: &'static str;
}

/// The source registry's flags: `--source`, `--source-user-info`, `--source-ca-file`,
/// `--source-insecure`.
#[derive(Debug, Clone, Copy)]
pub struct Source;

impl Side for Source {
    const NAME: &'static str = "source";
    const USER_INFO: &'static str = "source-user-info";
    const CA_FILE: &'static str = "source-ca-file";
    const INSECURE: &'static str = "source-insecure";
    const ENV_URL: &'static str = "LOCKSTEP_LINK_SOURCE";
    const ENV_USER_INFO: &'static str = "LOCKSTEP_LINK_SOURCE_USER_INFO";
    const ENV_CA_FILE: &'static str = "LOCKSTEP_LINK_SOURCE_CA_FILE";
}

/// The destination registry's flags: `--destination`, `--destination-user-info`,
/// `--destination-ca-file`, `--destination-insecure`.
#[derive(Debug, Clone, Copy)]
pub struct Destination;

impl Side for Destination {
    const NAME: &'static str = "destination";
    const USER_INFO: &'static str = "destination-user-info";
    const CA_FILE: &'static str = "destination-ca-file";
    const INSECURE: &'static str = "destination-insecure";
    const ENV_URL: &'static str = "LOCKSTEP_LINK_DESTINATION";
    const ENV_USER_INFO: &'static str = "LOCKSTEP_LINK_DESTINATION_USER_INFO";
    const ENV_CA_FILE: &'static str = "LOCKSTEP_LINK_DESTINATION_CA_FILE";
}

/// How to reach one registry (URL, basic auth, TLS): one set of flags, spelled once, for
/// either side (`#[command(flatten)] RegistryArgs<Source>` / `RegistryArgs<Destination>`).
#[derive(Debug, Clone)]
pub struct RegistryArgs<S: Side> {
    /// Registry URL (any Confluent-compatible registry).
    pub url: Option<String>,
    /// Basic auth, `user:password`.
    pub user_info: Option<String>,
    /// PEM file of CA certificates to trust.
    pub ca_file: Option<PathBuf>,
    /// Do not verify the registry's TLS certificate (testing only).
    pub insecure: bool,
    side: std::marker::PhantomData<S>,
}

impl<S: Side> RegistryArgs<S> {
    /// A client for this registry; the URL is required.
    pub fn client(&self) -> anyhow::Result<RegistryClient> {
        let url = self.url.as_deref().ok_or_else(|| anyhow::anyhow!("--{} URL is required", S::NAME))?;
        RegistryClient::with_options(
            url,
            &ClientOptions {
                user_info: self.user_info.clone(),
                ca_file: self.ca_file.clone(),
                insecure: self.insecure,
                ..Default::default()
            },
        )
    }
}

impl<S: Side> clap::FromArgMatches for RegistryArgs<S> {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        Ok(Self {
            url: m.get_one::<String>(S::NAME).cloned(),
            user_info: m.get_one::<String>(S::USER_INFO).cloned(),
            ca_file: m.get_one::<PathBuf>(S::CA_FILE).cloned(),
            insecure: m.get_flag(S::INSECURE),
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
        cmd.arg(
            Arg::new(S::NAME)
                .long(S::NAME)
                .env(S::ENV_URL)
                .required(true)
                .value_name("URL")
                .help(format!("{} registry URL (any Confluent-compatible registry)", capitalized(side))),
        )
        .arg(
            Arg::new(S::USER_INFO)
                .long(S::USER_INFO)
                .env(S::ENV_USER_INFO)
                .hide_env_values(true)
                .value_name("USER:PASSWORD")
                .help(format!("Basic auth for the {side}, `user:password`")),
        )
        .arg(
            Arg::new(S::CA_FILE)
                .long(S::CA_FILE)
                .env(S::ENV_CA_FILE)
                .value_name("PEM")
                .value_parser(clap::value_parser!(PathBuf))
                .help(format!("PEM file of CA certificates to trust for the {side}")),
        )
        .arg(
            Arg::new(S::INSECURE)
                .long(S::INSECURE)
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
