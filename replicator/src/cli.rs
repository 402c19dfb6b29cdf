//! `lockstep replicate --config FILE`, `lockstep replicate failover --config FILE --group G` and
//! `lockstep replicate status --config FILE`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;

use crate::config::Config;
use crate::gate::Gate;
use crate::group::Coordinator;
use crate::metrics::{self, Metrics};
use crate::offsets;
use crate::status;
use crate::syncs::Syncs;

#[derive(clap::Args, Debug)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Config file: see docs/replication.md. Example:\n  lockstep replicate --config eu-to-us.toml\n  lockstep replicate failover --config eu-to-us.toml --group billing\n  lockstep replicate status --config eu-to-us.toml"
)]
pub struct ReplicateArgs {
    /// TOML file: clusters, registries, topics, schema policy, delivery.
    #[arg(long, env = "LOCKSTEP_REPLICATE_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<ReplicateCommand>,
}

#[derive(clap::Subcommand, Debug)]
pub enum ReplicateCommand {
    /// Commit a consumer group's translated offsets on the destination cluster, so the group
    /// resumes there where it stopped on the source.
    Failover {
        #[arg(long)]
        config: PathBuf,
        /// The consumer group (as named on the source cluster).
        #[arg(long)]
        group: String,
        /// Print the offsets without committing them.
        #[arg(long)]
        dry_run: bool,
    },
    /// Per topic and partition: lag, rate, last error and the owner process (pid/worker),
    /// with a progress bar while a partition catches up.
    Status {
        #[arg(long)]
        config: PathBuf,
    },
}

/// Run the command; the exit code (0 ok, 2 error).
pub async fn run(args: ReplicateArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(ReplicateCommand::Failover { config, group, dry_run }) => {
            let cfg = Config::load(&config)?;
            let cps = tokio::task::spawn_blocking(move || {
                if dry_run {
                    offsets::read_checkpoints(&cfg, &group)
                } else {
                    offsets::failover(&cfg, &group)
                }
            })
            .await??;
            println!("{:<40} {:>9} {:>14} {:>14}", "topic", "partition", "source offset", "dest offset");
            for c in &cps {
                println!("{:<40} {:>9} {:>14} {:>14}", c.topic, c.partition, c.source_offset, c.destination_offset);
            }
            if dry_run {
                println!("dry run: nothing committed");
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(ReplicateCommand::Status { config }) => {
            let cfg = Config::load(&config)?;
            let reports = tokio::task::spawn_blocking(move || status::read(&cfg)).await??;
            print!("{}", status::render(&reports));
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let path = args.config.context("give --config FILE (see docs/replication.md)")?;
            let cfg = Config::load(&path)?;
            replicate_file(cfg, Some(path), signals::shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Replicate until `shutdown` resolves (then commit the open batch and stop) or a fatal error.
pub async fn replicate(
    cfg: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    replicate_file(cfg, None, shutdown).await
}

/// [`replicate`], re-reading the topic selection from `path` (when given) as it changes.
pub async fn replicate_file(
    cfg: Config,
    path: Option<PathBuf>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let metrics = Arc::new(Metrics::default());
    let _server = match &cfg.metrics_listen {
        Some(l) => Some(metrics::serve(l, cfg.name.clone(), metrics.clone()).await?),
        None => None,
    };
    let gate = Gate::open(&cfg, metrics.clone()).await?;
    let syncs = Arc::new(Syncs::journaled());
    let coordinator = Coordinator::open(cfg.clone(), path, gate, metrics.clone(), syncs.clone()).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let checkpointer = {
        let (cfg, shared, stop) = (cfg.clone(), coordinator.shared.clone(), stop.clone());
        let owned = Arc::new(move || shared.owned());
        std::thread::Builder::new()
            .name("lockstep-checkpoints".into())
            .spawn(move || offsets::checkpoint_loop(cfg, syncs, owned, stop))?
    };
    tracing::info!(
        name = %cfg.name,
        source = %cfg.source.bootstrap,
        destination = %cfg.destination.bootstrap,
        delivery = ?cfg.delivery,
        policy = ?cfg.policy,
        workers = cfg.workers,
        "replicating"
    );
    let s2 = stop.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("stopping: finishing the open batch");
        s2.store(true, Ordering::Relaxed);
    });
    let result = tokio::task::spawn_blocking({
        let stop = stop.clone();
        move || coordinator.run(stop)
    })
    .await
    .context("the replication loop panicked")?;
    stop.store(true, Ordering::Relaxed);
    let _ = tokio::task::spawn_blocking(move || checkpointer.join()).await;
    result
}
