//! Process signals shared by Lockstep's long-running commands (`registry`, `link`, `replicate`).

/// Resolves on the first Ctrl-C (SIGINT) or SIGTERM: the cue for a graceful shutdown.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            // Without a SIGTERM handler only Ctrl-C stops us.
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

/// Calls `on_hangup` on every SIGHUP until the process ends (Unix; a no-op elsewhere). Installing
/// the handler replaces SIGHUP's default action (terminate), so a reload signal never kills us.
pub fn on_hangup(on_hangup: impl Fn() + Send + 'static) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut s = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
        tokio::spawn(async move {
            while s.recv().await.is_some() {
                on_hangup();
            }
        });
    }
    #[cfg(not(unix))]
    let _ = on_hangup;
    Ok(())
}
