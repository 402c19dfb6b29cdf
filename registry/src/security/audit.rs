//! The audit log: one JSON object per line for every write (any method but GET/HEAD) and every
//! refused request (401, 403, 429), to a file (appended) or stderr.

use std::io::Write;
use std::path::PathBuf;

use parking_lot::Mutex;
use serde::Serialize;

/// Where audit lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditTarget {
    Stderr,
    File(PathBuf),
}

impl AuditTarget {
    pub fn parse(s: &str) -> AuditTarget {
        if s == "stderr" || s == "-" {
            AuditTarget::Stderr
        } else {
            AuditTarget::File(PathBuf::from(s))
        }
    }
}

/// One audit record.
#[derive(Debug, Serialize)]
pub struct AuditEvent<'a> {
    pub time: String,
    /// None when the caller could not be authenticated.
    pub principal: Option<&'a str>,
    pub source: Option<String>,
    pub method: &'a str,
    pub path: &'a str,
    /// `read`, `write`, … or None for requests refused before classification.
    pub operation: Option<&'a str>,
    pub resource: Option<String>,
    /// `allowed`, `denied`, `unauthenticated` or `throttled`.
    pub result: &'a str,
    pub status: u16,
}

pub struct AuditLog {
    out: Mutex<Box<dyn Write + Send>>,
}

impl AuditLog {
    pub fn open(target: &AuditTarget) -> anyhow::Result<AuditLog> {
        let out: Box<dyn Write + Send> = match target {
            AuditTarget::Stderr => Box::new(std::io::stderr()),
            AuditTarget::File(p) => Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| anyhow::anyhow!("cannot open audit log {}: {e}", p.display()))?,
            ),
        };
        Ok(AuditLog { out: Mutex::new(out) })
    }

    pub fn record(&self, ev: &AuditEvent<'_>) {
        let mut line = match serde_json::to_vec(ev) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("cannot render audit event: {e}");
                return;
            }
        };
        line.push(b'\n');
        // One write call per line: lines from concurrent requests never interleave.
        if let Err(e) = self.out.lock().write_all(&line) {
            tracing::error!("cannot write audit log: {e}");
        }
    }
}

/// RFC 3339 UTC time.
pub fn now() -> String {
    let t = time::OffsetDateTime::now_utc();
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| t.unix_timestamp().to_string())
}
