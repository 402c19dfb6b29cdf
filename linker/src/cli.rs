//! `lockstep link`: run a link between two registries, and its operator subcommands.
//!
//! ```text
//! lockstep link --source URL --destination URL [--context .NAME | --context-type T]
//!               [--subjects PATTERN...] [--rename-format '${subject}'] [--once] [--state-file PATH]
//! lockstep link promote --destination URL [--context .NAME] [--dry-run]
//! lockstep link verify  --source URL --destination URL [--context .NAME | --context-type T] ...
//! lockstep link status  --state-file PATH
//! ```
//! Exit codes: 0 done / identical; 1 conflict (link) or differences (verify); 2 error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use tokio::sync::watch;

use crate::client::RegistryClient;
use crate::engine::{fetch_subject_public, same_schema, Link, LinkConfig, SyncError};
use crate::mapping::{ContextType, Mapping};
use crate::state::{LinkState, StateFile};

mod args;
pub use args::{
    CheckRegistry, CheckRegistryArgs, Destination, DestinationArgs, RegistryArgs, Side, Source, SourceArgs,
};

/// Exit code: a conflict (link) or a difference (verify).
pub const EXIT_CONFLICT: u8 = 1;
/// Exit code: any other error (unreachable registry, bad arguments, …).
pub const EXIT_ERROR: u8 = 2;

/// `lockstep link`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct LinkArgs {
    #[command(subcommand)]
    pub command: Option<LinkCommand>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Failover: make a destination writable (IMPORT → READWRITE on its subjects/context).
    Promote(Box<PromoteArgs>),
    /// Compare source and destination: subjects, versions, ids, deletes and schema strings.
    Verify(Box<VerifyArgs>),
    /// Print a link's saved state.
    Status(StatusArgs),
}

/// What is linked and where it lands.
#[derive(Debug, Args, Clone)]
pub struct MappingArgs {
    /// Destination context (`.NAME`); implies --context-type CUSTOM.
    #[arg(long)]
    pub context: Option<String>,
    /// AUTO (a context named for the source), CUSTOM (--context), NONE (same context as the
    /// source), DEFAULT (the destination's default context). Default: CUSTOM with --context,
    /// else AUTO.
    #[arg(long, value_parser = clap::value_parser!(ContextType))]
    pub context_type: Option<ContextType>,
    /// Subjects to link: names or `*` globs (default context), `:.ctx:PATTERN`, `:*:` (all).
    #[arg(long, num_args = 1.., default_value = "*")]
    pub subjects: Vec<String>,
    /// Destination subject name; `${subject}` is the source name.
    #[arg(long, default_value = "${subject}")]
    pub rename_format: String,
}

impl MappingArgs {
    fn resolve(&self) -> anyhow::Result<(ContextType, Option<String>)> {
        let ct =
            self.context_type.unwrap_or(if self.context.is_some() { ContextType::Custom } else { ContextType::Auto });
        match (ct, &self.context) {
            (ContextType::Custom, None) => anyhow::bail!("--context-type CUSTOM needs --context .NAME"),
            (ContextType::None | ContextType::Default, Some(_)) => {
                anyhow::bail!("--context only goes with --context-type CUSTOM or AUTO")
            }
            _ => Ok((ct, self.context.clone())),
        }
    }
}

/// What `lockstep link` and `lockstep link verify` share: the two registries, the mapping
/// between them and how many subjects are worked on at once.
#[derive(Debug, Args)]
pub struct PairArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub destination: DestinationArgs,
    #[command(flatten)]
    pub mapping: MappingArgs,
    /// Subjects synced (or, for `verify`, compared) concurrently.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
}

/// `lockstep link verify`.
pub type VerifyArgs = PairArgs;

/// `lockstep link` (run).
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub pair: PairArgs,
    /// Sync once and exit (0 mirrored, 1 conflict, 2 error).
    #[arg(long)]
    pub once: bool,
    /// Where the link's state is kept (JSON, written atomically); a restart resumes from it.
    #[arg(long, env = "LOCKSTEP_LINK_STATE_FILE")]
    pub state_file: Option<PathBuf>,
    /// Poll interval in milliseconds for sources without a change feed.
    #[arg(long, default_value_t = 10_000)]
    pub poll_interval_ms: u64,
    /// Longest poll interval in milliseconds: while nothing changes the interval doubles up to
    /// this (default 6 × --poll-interval-ms).
    #[arg(long)]
    pub max_poll_interval_ms: Option<u64>,
    /// At most this many requests per second to the source (default: no limit).
    #[arg(long, env = "LOCKSTEP_LINK_MAX_REQUESTS_PER_SECOND", value_parser = positive_rate)]
    pub max_requests_per_second: Option<f64>,
    /// Poll even when the source has Lockstep's change feed.
    #[arg(long)]
    pub no_feed: bool,
    /// Do not mirror the source's global compatibility config.
    #[arg(long)]
    pub no_global_config: bool,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// `lockstep link promote`.
#[derive(Debug, Args)]
pub struct PromoteArgs {
    #[command(flatten)]
    pub destination: DestinationArgs,
    /// The linked context to promote (`.NAME`); without it the whole registry (global scope).
    #[arg(long)]
    pub context: Option<String>,
    /// Show what would change, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `lockstep link status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The link's state file.
    #[arg(long, required = true)]
    pub state_file: PathBuf,
    /// Only the summary, without the per-subject list.
    #[arg(long)]
    pub summary: bool,
}

fn positive_rate(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|r| r.is_finite() && *r > 0.0)
        .ok_or_else(|| format!("'{s}' is not a positive number of requests per second"))
}

impl PairArgs {
    /// The two registries' clients and the checked context mapping.
    fn open(&self) -> anyhow::Result<(RegistryClient, RegistryClient, ContextType, Option<String>)> {
        let (src, dst) = (self.source.client()?, self.destination.client()?);
        let (ct, context) = self.mapping.resolve()?;
        Ok((src, dst, ct, context))
    }
}

/// Run `lockstep link …` until done (or stopped by Ctrl-C / SIGTERM).
pub async fn run(args: LinkArgs) -> anyhow::Result<ExitCode> {
    let (tx, rx) = watch::channel(false);
    let signals = tokio::spawn(async move {
        signals::shutdown_signal().await;
        let _ = tx.send(true);
    });
    let r = run_until(args, rx).await;
    signals.abort();
    r
}

/// Like [`run`], stopping when `stop` turns true (for embedding and tests).
pub async fn run_until(args: LinkArgs, stop: watch::Receiver<bool>) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(LinkCommand::Promote(a)) => promote(*a).await,
        Some(LinkCommand::Verify(a)) => verify(*a).await,
        Some(LinkCommand::Status(a)) => status(a),
        None => run_link(args.run, stop).await,
    }
}

async fn run_link(a: RunArgs, stop: watch::Receiver<bool>) -> anyhow::Result<ExitCode> {
    let (src, dst, context_type, context) = a.pair.open()?;
    let mut cfg = LinkConfig::new(src, dst);
    cfg.subjects = a.pair.mapping.subjects.clone();
    cfg.context_type = context_type;
    cfg.context = context;
    cfg.rename_format = a.pair.mapping.rename_format.clone();
    cfg.concurrency = a.pair.concurrency.max(1);
    cfg.poll_interval = Duration::from_millis(a.poll_interval_ms.max(100));
    cfg.max_poll_interval = a.max_poll_interval_ms.map(Duration::from_millis);
    cfg.max_requests_per_second = a.max_requests_per_second;
    cfg.use_feed = !a.no_feed;
    cfg.mirror_global_config = !a.no_global_config;
    let link = Link::open(cfg, StateFile::new(a.state_file.clone())).await?;
    eprintln!(
        "lockstep link: {} → {} (subjects {:?}, {}{})",
        link.status().source,
        link.status().destination,
        a.pair.mapping.subjects,
        link.mapping().context_type(),
        link.mapping().context().map(|c| format!(" {c}")).unwrap_or_default()
    );
    let bar = progress_bar(&link, a.no_progress);
    let result = if a.once {
        link.run_once().await.map(|rep| {
            let st = link.status();
            eprintln!(
                "synced {} subjects: {} versions imported, {} soft / {} hard deletes, {} configs, {} skipped (imported from elsewhere)",
                rep.subjects,
                st.counts.versions_imported,
                st.counts.soft_deletes,
                st.counts.hard_deletes,
                st.counts.configs_written,
                st.counts.skipped_imported
            );
            rep.failed
        })
    } else {
        link.run(stop).await.map(|_| link.status().dirty.len())
    };
    if let Some((b, t)) = bar {
        t.abort();
        b.finish_and_clear();
    }
    Ok(match result {
        Ok(0) => ExitCode::SUCCESS,
        Ok(n) => {
            let st = link.status();
            eprintln!(
                "error: {n} subjects could not be synced (retried on the next run): {}",
                st.last_error.unwrap_or_default()
            );
            ExitCode::from(EXIT_ERROR)
        }
        Err(SyncError::Conflict(m)) => {
            eprintln!("error: the link stopped on a conflict: {m}");
            eprintln!("Fix the destination (or the source) and run the link again: it resumes where it stopped.");
            ExitCode::from(EXIT_CONFLICT)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    })
}

type Bar = Option<(indicatif::ProgressBar, tokio::task::JoinHandle<()>)>;

fn progress_bar(link: &Arc<Link>, off: bool) -> Bar {
    use std::io::IsTerminal;
    if off || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} {msg} [{bar:40}] {pos}/{len} subjects ({per_sec}, eta {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("syncing");
    let (b, l) = (bar.clone(), link.clone());
    let ticker = tokio::spawn(async move {
        loop {
            b.set_length(l.progress.total.load(Ordering::Relaxed));
            b.set_position(l.progress.done.load(Ordering::Relaxed));
            let st = l.status();
            b.set_message(format!("{} imported {}", st.state.as_str(), st.counts.versions_imported));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    Some((bar, ticker))
}

// ---------------------------------------------------------------------------- promote

/// Promote a destination: its linked scope and subjects go from IMPORT to READWRITE.
pub async fn promote(a: PromoteArgs) -> anyhow::Result<ExitCode> {
    let dst = a.destination.client()?;
    let scope = match &a.context {
        None => None,
        Some(c) => {
            let c = if c.starts_with('.') { c.clone() } else { format!(".{c}") };
            if !crate::mapping::valid_context(&c) {
                anyhow::bail!("invalid context '{c}'");
            }
            if c == "." {
                None
            } else {
                Some(format!(":{c}:"))
            }
        }
    };
    let label = scope.clone().unwrap_or_else(|| "the global scope".into());
    let verb = if a.dry_run { "would set" } else { "set" };
    let mut changed = 0;
    let scope_mode = dst.get_mode(scope.as_deref(), false).await?;
    if scope_mode.as_deref() == Some("IMPORT") {
        println!("{verb} {label} mode IMPORT → READWRITE");
        if !a.dry_run {
            dst.set_mode(scope.as_deref(), "READWRITE", false).await?;
        }
        changed += 1;
    }
    let subjects = dst.subjects_with(Some(scope.as_deref().unwrap_or(":*:")), true).await?;
    for s in &subjects {
        if dst.get_mode(Some(s), false).await?.as_deref() == Some("IMPORT") {
            println!("{verb} subject '{s}' mode IMPORT → (inherit)");
            if !a.dry_run {
                dst.delete_mode(Some(s)).await?;
            }
            changed += 1;
        }
    }
    // Verify: nothing left in IMPORT.
    let mut still = Vec::new();
    if !a.dry_run {
        for s in &subjects {
            if dst.get_mode(Some(s), true).await?.as_deref() == Some("IMPORT") {
                still.push(s.clone());
            }
        }
    }
    if !still.is_empty() {
        eprintln!(
            "error: still in IMPORT mode (a broader scope holds IMPORT; promote it too, e.g. without --context): {}",
            still.join(", ")
        );
        return Ok(ExitCode::from(EXIT_ERROR));
    }
    println!(
        "{} {}: {changed} mode changes, {} subjects writable{}",
        if a.dry_run { "dry run for" } else { "promoted" },
        label,
        subjects.len(),
        if a.dry_run { " after promotion" } else { "" }
    );
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------- verify

/// One difference found by `verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub source_subject: String,
    pub destination_subject: String,
    pub what: String,
}

/// Compare source and destination under a mapping. Returns (subjects, versions, differences).
pub async fn compare(
    src: &RegistryClient,
    dst: &RegistryClient,
    mapping: &Mapping,
    concurrency: usize,
) -> anyhow::Result<(usize, usize, Vec<Difference>)> {
    use futures_util::StreamExt;
    let prefix = if mapping.needs_contexts() { Some(":*:") } else { None };
    let subjects: Vec<String> =
        src.subjects_with(prefix, true).await?.into_iter().filter(|s| mapping.selects(s)).collect();
    let results: Vec<anyhow::Result<(usize, Vec<Difference>)>> = futures_util::stream::iter(subjects.iter().cloned())
        .map(|s| async move {
            let d = mapping.dest_subject(&s).ok_or_else(|| anyhow::anyhow!("malformed subject '{s}'"))?;
            let (a, b) =
                tokio::join!(fetch_subject_public(src, "source", &s), fetch_subject_public(dst, "destination", &d));
            let (a, b) = (a?, b?);
            let mut diffs = Vec::new();
            let mut diff = |what: String| {
                diffs.push(Difference { source_subject: s.clone(), destination_subject: d.clone(), what })
            };
            if a.mode.as_deref() == Some("IMPORT") {
                return Ok((0, diffs)); // imported into the source: not linked
            }
            for (n, (sv, sdel)) in &a.versions {
                match b.versions.get(n) {
                    None => diff(format!("version {n} (id {}) missing on the destination", sv.id)),
                    Some((dv, ddel)) => {
                        if sv.id != dv.id {
                            diff(format!("version {n}: id {} on the source, {} on the destination", sv.id, dv.id));
                        } else if sv.schema != dv.schema {
                            let eq = if same_schema(&sv.schema, &dv.schema) { " (equivalent)" } else { "" };
                            diff(format!("version {n} (id {}): schema strings differ{eq}", sv.id));
                        } else if sv.schema_type != dv.schema_type {
                            diff(format!("version {n}: type {} vs {}", sv.schema_type, dv.schema_type));
                        }
                        if sdel != ddel {
                            let st = |d: &bool| if *d { "deleted" } else { "live" };
                            diff(format!("version {n}: {} on the source, {} on the destination", st(sdel), st(ddel)));
                        }
                    }
                }
            }
            for (n, (dv, _)) in &b.versions {
                if !a.versions.contains_key(n) {
                    diff(format!("version {n} (id {}) only on the destination", dv.id));
                }
            }
            if a.config != b.config {
                diff(format!("subject config {:?} on the source, {:?} on the destination", a.config, b.config));
            }
            Ok((a.versions.len(), diffs))
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut versions = 0;
    let mut all = Vec::new();
    for r in results {
        let (n, d) = r?;
        versions += n;
        all.extend(d);
    }
    all.sort_by(|a, b| a.source_subject.cmp(&b.source_subject).then(a.what.cmp(&b.what)));
    Ok((subjects.len(), versions, all))
}

async fn verify(a: VerifyArgs) -> anyhow::Result<ExitCode> {
    let (src, dst, ct, context) = a.open()?;
    let context = match (ct, context) {
        (ContextType::Auto, None) => Some(src.auto_context().await),
        (_, c) => c,
    };
    let mapping =
        Mapping::new(&a.mapping.subjects, ct, context, &a.mapping.rename_format).map_err(|e| anyhow::anyhow!(e))?;
    let (subjects, versions, diffs) = match compare(&src, &dst, &mapping, a.concurrency).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(EXIT_ERROR));
        }
    };
    for d in &diffs {
        println!("DIFF {} → {}: {}", d.source_subject, d.destination_subject, d.what);
    }
    if diffs.is_empty() {
        println!("identical: {subjects} subjects, {versions} versions (ids, versions, deletes, schema strings)");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{} differences in {subjects} subjects, {versions} versions", diffs.len());
        Ok(ExitCode::from(EXIT_CONFLICT))
    }
}

// ---------------------------------------------------------------------------- status

fn status(a: StatusArgs) -> anyhow::Result<ExitCode> {
    let Some(st): Option<LinkState> = StateFile::new(Some(a.state_file.clone())).load()? else {
        eprintln!("no link state at {}", a.state_file.display());
        return Ok(ExitCode::from(EXIT_ERROR));
    };
    let mut out = summary(&st);
    if !a.summary {
        out["subjects"] = serde_json::Value::Array(subject_statuses(&st, crate::state::now_ms()));
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}

/// Per linked subject: destination, origin (the registry its schemas come from), highest
/// version mirrored, last sync, the lag of its last change and how long a change has waited.
pub fn subject_statuses(st: &LinkState, now: u64) -> Vec<serde_json::Value> {
    st.subjects
        .iter()
        .map(|(s, x)| {
            let mut v = serde_json::json!({
                "subject": s,
                "destination": x.destination,
                "origin": x.origin.as_ref().or(st.source_origin.as_ref()),
                "version": x.version,
                "lastSyncMs": x.synced_ms,
                "lagMs": x.lag_ms,
            });
            if let Some(since) = x.pending_since_ms {
                v["pendingMs"] = serde_json::json!(now.saturating_sub(since));
            }
            v
        })
        .collect()
}

/// The state without the (long) subject sets.
pub fn summary(st: &LinkState) -> serde_json::Value {
    serde_json::json!({
        "source": st.source,
        "destination": st.destination,
        "state": st.state.as_str(),
        "lastError": st.last_error,
        "position": st.position,
        "feed": st.feed,
        "initialSyncDone": st.initial_sync_done,
        "sourceOrigin": st.source_origin,
        "dirtySubjects": st.dirty.len(),
        "pollIntervalMs": st.poll_interval_ms,
        "lastPollRequests": st.last_poll_requests,
        "exportedSubjects": st.exported.len(),
        "lag": st.lag,
        "lastSyncMs": st.last_sync_ms,
        "counts": st.counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        link: LinkArgs,
    }

    #[test]
    fn both_sides_keep_their_flag_names() {
        // Long by design: one command line per subcommand, each flag spelled out as a user types it.
        let cli = Cli::try_parse_from([
            "link",
            "--source",
            "https://a:8081",
            "--source-user-info",
            "u:p",
            "--source-ca-file",
            "/etc/a.pem",
            "--source-insecure",
            "--destination",
            "https://b:8081",
            "--destination-user-info",
            "v:q",
            "--destination-ca-file",
            "/etc/b.pem",
            "--destination-insecure",
            "--max-requests-per-second",
            "50",
        ])
        .unwrap();
        let (s, d) = (&cli.link.run.pair.source, &cli.link.run.pair.destination);
        assert_eq!(s.url.as_deref(), Some("https://a:8081"));
        assert_eq!(s.auth.user_info.as_deref(), Some("u:p"));
        assert_eq!(s.auth.ca_file.as_deref(), Some(std::path::Path::new("/etc/a.pem")));
        assert!(s.auth.insecure);
        assert_eq!(d.url.as_deref(), Some("https://b:8081"));
        assert_eq!(d.auth.user_info.as_deref(), Some("v:q"));
        assert_eq!(d.auth.ca_file.as_deref(), Some(std::path::Path::new("/etc/b.pem")));
        assert!(d.auth.insecure);
        assert_eq!(cli.link.run.max_requests_per_second, Some(50.0));

        // One side's flags do not set the other's.
        let cli = Cli::try_parse_from([
            "link",
            "--source",
            "http://a",
            "--destination",
            "http://b",
            "--destination-insecure",
        ])
        .unwrap();
        assert!(!cli.link.run.pair.source.auth.insecure && cli.link.run.pair.destination.auth.insecure);
        assert_eq!(cli.link.run.pair.source.auth.user_info, None);

        // Subcommands: promote takes the destination's flags, verify both.
        let cli =
            Cli::try_parse_from(["link", "promote", "--destination", "http://b", "--destination-user-info", "x:y"])
                .unwrap();
        match cli.link.command {
            Some(LinkCommand::Promote(p)) => assert_eq!(p.destination.auth.user_info.as_deref(), Some("x:y")),
            other => panic!("{other:?}"),
        }
        let cli = Cli::try_parse_from([
            "link",
            "verify",
            "--source",
            "http://a",
            "--source-ca-file",
            "a.pem",
            "--destination",
            "http://b",
        ])
        .unwrap();
        match cli.link.command {
            Some(LinkCommand::Verify(v)) => {
                assert_eq!(v.source.auth.ca_file.as_deref(), Some(std::path::Path::new("a.pem")));
                assert_eq!(v.destination.url.as_deref(), Some("http://b"));
            }
            other => panic!("{other:?}"),
        }
        assert!(Cli::try_parse_from(["link", "--destination", "http://b"]).is_err());
        assert!(Cli::try_parse_from([
            "link",
            "--source",
            "http://a",
            "--destination",
            "http://b",
            "--max-requests-per-second",
            "0"
        ])
        .is_err());
    }

    #[test]
    fn both_sides_keep_their_environment_variables() {
        let cmd = <Cli as clap::CommandFactory>::command();
        let env = |id: &str| {
            cmd.get_arguments()
                .find(|a| a.get_id() == id)
                .and_then(|a| a.get_env())
                .map(|e| e.to_string_lossy().into_owned())
        };
        assert_eq!(env("source").as_deref(), Some("LOCKSTEP_LINK_SOURCE"));
        assert_eq!(env("source-user-info").as_deref(), Some("LOCKSTEP_LINK_SOURCE_USER_INFO"));
        assert_eq!(env("source-ca-file").as_deref(), Some("LOCKSTEP_LINK_SOURCE_CA_FILE"));
        assert_eq!(env("destination").as_deref(), Some("LOCKSTEP_LINK_DESTINATION"));
        assert_eq!(env("destination-user-info").as_deref(), Some("LOCKSTEP_LINK_DESTINATION_USER_INFO"));
        assert_eq!(env("destination-ca-file").as_deref(), Some("LOCKSTEP_LINK_DESTINATION_CA_FILE"));
        assert!(cmd
            .get_arguments()
            .find(|a| a.get_id() == "destination-user-info")
            .is_some_and(|a| a.is_hide_env_values_set()));
    }

    #[test]
    fn credential_and_client_certificate_flags_per_side() {
        let cli = Cli::try_parse_from([
            "link",
            "--source",
            "https://a",
            "--source-bearer-token",
            "tok",
            "--source-cert-file",
            "c.pem",
            "--source-key-file",
            "k.pem",
            "--destination",
            "https://b",
            "--destination-oauth-token-url",
            "https://idp/token",
            "--destination-oauth-client-id",
            "link",
            "--destination-oauth-client-secret",
            "s",
            "--destination-oauth-scope",
            "sr",
        ])
        .unwrap();
        let (s, d) = (&cli.link.run.pair.source.auth, &cli.link.run.pair.destination.auth);
        assert_eq!(s.bearer_token.as_deref(), Some("tok"));
        assert_eq!(s.cert_file.as_deref(), Some(std::path::Path::new("c.pem")));
        assert_eq!(s.key_file.as_deref(), Some(std::path::Path::new("k.pem")));
        assert!(s.oauth_client_id.is_none() && d.bearer_token.is_none() && d.cert_file.is_none());
        let o = d.options("destination").unwrap().oauth.unwrap();
        assert_eq!(
            (o.token_url.as_str(), o.client_id.as_str(), o.client_secret.as_str()),
            ("https://idp/token", "link", "s")
        );
        assert_eq!(o.scope.as_deref(), Some("sr"));
        // Two schemes on one side, or half a client certificate, are refused before any request.
        let two = Cli::try_parse_from([
            "link",
            "--source",
            "https://a",
            "--source-user-info",
            "u:p",
            "--source-bearer-token",
            "t",
            "--destination",
            "https://b",
            "--destination-cert-file",
            "c.pem",
        ])
        .unwrap();
        assert!(two.link.run.pair.source.client().unwrap_err().to_string().contains("one of"));
        assert!(two.link.run.pair.destination.client().unwrap_err().to_string().contains("key file"));

        let cmd = <Cli as clap::CommandFactory>::command();
        let arg = |id: &str| cmd.get_arguments().find(|a| a.get_id() == id).cloned().unwrap();
        let env = |id: &str| arg(id).get_env().map(|e| e.to_string_lossy().into_owned());
        assert_eq!(env("source-bearer-token").as_deref(), Some("LOCKSTEP_LINK_SOURCE_BEARER_TOKEN"));
        assert_eq!(
            env("destination-oauth-client-secret").as_deref(),
            Some("LOCKSTEP_LINK_DESTINATION_OAUTH_CLIENT_SECRET")
        );
        assert_eq!(env("destination-cert-file").as_deref(), Some("LOCKSTEP_LINK_DESTINATION_CERT_FILE"));
        for secret in ["source-bearer-token", "destination-oauth-client-secret", "source-user-info"] {
            assert!(arg(secret).is_hide_env_values_set(), "{secret}");
        }
        assert!(!arg("destination-cert-file").is_hide_env_values_set());
    }

    #[test]
    fn the_check_registry_flags_are_optional() {
        #[derive(Debug, Parser)]
        struct Check {
            #[command(flatten)]
            registry: CheckRegistryArgs,
        }
        let c = Check::try_parse_from(["check"]).unwrap();
        assert!(c.registry.url.is_none());
        let c = Check::try_parse_from(["check", "--registry", "https://r", "--registry-user-info", "ci:pw"]).unwrap();
        assert_eq!(c.registry.url.as_deref(), Some("https://r"));
        assert_eq!(c.registry.auth.user_info.as_deref(), Some("ci:pw"));
    }
}
