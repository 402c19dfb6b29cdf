//! The `lockstep` binary: command-line dispatch only.

mod config;
mod repair;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The registry allocates many small, short-lived objects per write (persistent-map nodes,
/// JSON values); mimalloc handles that pattern far better than glibc's allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "lockstep", version, about = "Schemas and data, in lockstep across regions", long_about = None)]
struct Cli {
    /// Log format.
    #[arg(long, global = true, env = "LOCKSTEP_LOG_FORMAT", value_parser = ["text", "json"], default_value = "text")]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Confluent-compatible Schema Registry REST API.
    Registry(Box<config::RegistryArgs>),
    /// Check schema compatibility offline (exit 0 compatible, 1 incompatible, 2 error).
    Check(Box<CheckArgs>),
    /// Link two registries: mirror subjects, versions and schema ids (docs/linking.md).
    Link(Box<linker::cli::LinkArgs>),
    /// Replicate Kafka topics between clusters, schemas first (docs/replication.md).
    Replicate(Box<replicator::cli::ReplicateArgs>),
    /// Read a password on standard input and print its argon2id hash, for a users file
    /// (docs/security.md).
    HashPassword,
}

#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  lockstep check --old v1.avsc --new v2.avsc --level FULL\n  lockstep check --manifest lockstep.toml --against git:origin/main --format github\n  lockstep check --manifest lockstep.toml --registry http://registry:8081 --format junit"
)]
struct CheckArgs {
    /// The schema already in use (with --new).
    #[arg(long, requires = "new", conflicts_with = "manifest")]
    old: Option<PathBuf>,
    /// The schema that should replace it (with --old).
    #[arg(long, requires = "old")]
    new: Option<PathBuf>,
    /// AVRO, PROTOBUF or JSON (with --old/--new).
    #[arg(long = "type", default_value = "AVRO")]
    schema_type: String,
    /// NONE, BACKWARD, FORWARD, FULL or a *_TRANSITIVE level (with --old/--new).
    #[arg(long, default_value = "BACKWARD")]
    level: String,
    /// TOML file mapping subjects to schema files, types, levels and references.
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Check the manifest's files against this registry (each subject's own level applies), with
    /// its credentials and TLS settings (`--registry-user-info`, `--registry-cert-file`, …).
    #[command(flatten)]
    registry: linker::cli::CheckRegistryArgs,
    /// Check the manifest's files against the same files at a git revision: git:REF.
    #[arg(long, requires = "manifest")]
    against: Option<String>,
    /// Output: text, json, junit or github (workflow annotations).
    #[arg(long, default_value = "text", value_parser = ["text", "json", "junit", "github"])]
    format: String,
}

fn run_check(args: CheckArgs) -> Result<Vec<compat_tests::Outcome>, String> {
    if let (Some(old), Some(new)) = (&args.old, &args.new) {
        return Ok(vec![compat_tests::check_files(&args.schema_type, &args.level, old, new)]);
    }
    let Some(path) = &args.manifest else {
        return Err("give --old and --new, or --manifest with --registry or --against".into());
    };
    let manifest = compat_tests::Manifest::load(path)?;
    match (&args.registry.url, &args.against) {
        (Some(_), None) => {
            let client = args.registry.client().map_err(|e| format!("{e:#}"))?;
            Ok(compat_tests::check_against_registry_with(&manifest, client))
        }
        (None, Some(against)) => {
            let rev = against.strip_prefix("git:").ok_or_else(|| format!("--against takes git:REF, not {against}"))?;
            Ok(compat_tests::check_against_git(&manifest, rev))
        }
        _ => Err("--manifest needs one of --registry URL or --against git:REF".into()),
    }
}

fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LOCKSTEP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Run an async subcommand on a multi-threaded runtime; errors are reported and exit with 2.
fn run_async(name: &str, fut: impl std::future::Future<Output = anyhow::Result<ExitCode>>) -> ExitCode {
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(fut));
    match result {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("lockstep {name}: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `lockstep hash-password`: one line of standard input (without its line end) → an argon2id hash.
fn hash_password() -> ExitCode {
    let mut line = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut line) {
        eprintln!("lockstep hash-password: cannot read standard input: {e}");
        return ExitCode::from(2);
    }
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        eprintln!("lockstep hash-password: give the password on standard input");
        return ExitCode::from(2);
    }
    match registry::security::users::hash_password(password) {
        Ok(hash) => {
            println!("{hash}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("lockstep hash-password: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.log_format);
    match cli.command {
        Command::HashPassword => hash_password(),
        Command::Registry(mut args) if args.action.is_some() => {
            let action = args.action.take();
            action.map_or(ExitCode::from(2), |a| repair::run(a, args.data_dir.clone()))
        }
        Command::Registry(args) => match config::run_registry(*args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e:#}");
                eprintln!("lockstep registry: {e:#}");
                ExitCode::from(2)
            }
        },
        Command::Link(args) => run_async("link", linker::cli::run(*args)),
        Command::Replicate(args) => run_async("replicate", replicator::cli::run(*args)),
        Command::Check(args) => {
            let format = compat_tests::Format::parse(&args.format).unwrap_or(compat_tests::Format::Text);
            match run_check(*args) {
                Ok(outcomes) => {
                    print!("{}", compat_tests::report::render(format, &outcomes));
                    ExitCode::from(compat_tests::exit_code(&outcomes))
                }
                Err(e) => {
                    eprintln!("lockstep check: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
