//! The `lockstep` binary: command-line dispatch only.

mod config;

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
    Registry(config::RegistryArgs),
    /// Check schema compatibility offline (exit 0 compatible, 1 incompatible, 2 error).
    Check(CheckArgs),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The schema already in use.
    #[arg(long)]
    old: PathBuf,
    /// The schema that should replace it.
    #[arg(long)]
    new: PathBuf,
    /// AVRO, PROTOBUF or JSON.
    #[arg(long = "type", default_value = "AVRO")]
    schema_type: String,
    /// NONE, BACKWARD, FORWARD, FULL or a *_TRANSITIVE level.
    #[arg(long, default_value = "BACKWARD")]
    level: String,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.log_format);
    match cli.command {
        Command::Registry(args) => match config::run_registry(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e:#}");
                eprintln!("lockstep registry: {e:#}");
                ExitCode::from(2)
            }
        },
        Command::Check(args) => match compat_tests::check_files(&args.schema_type, &args.level, &args.old, &args.new) {
            Ok(v) if v.is_compatible() => {
                println!("compatible ({})", v.level.as_str());
                ExitCode::SUCCESS
            }
            Ok(v) => {
                println!("incompatible ({}):", v.level.as_str());
                for m in &v.messages {
                    println!("  {m}");
                }
                ExitCode::from(1)
            }
            Err(e) => {
                eprintln!("lockstep check: {e}");
                ExitCode::from(2)
            }
        },
    }
}
