//! Basic authentication: password checks on a bounded blocking pool, with a short cache of
//! successful checks so a client's steady traffic costs one hash per cache period.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use base64::Engine;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::principal::{AuthMethod, Principal};
use super::users::Users;
use super::AuthError;

/// Settings of the basic authenticator.
#[derive(Debug, Clone)]
pub struct BasicConfig {
    pub users_file: PathBuf,
    pub allow_insecure: bool,
    /// How long a successful check is remembered.
    pub cache_ttl: Duration,
    /// Password checks running at once (each holds a blocking thread).
    pub workers: usize,
    /// Password checks waiting for a worker; beyond that, 429.
    pub queue: usize,
}

pub struct Basic {
    cfg: BasicConfig,
    users: ArcSwap<Users>,
    /// Bumped on every reload so cached successes from an older file are never used.
    generation: AtomicU64,
    cache: moka::sync::Cache<[u8; 32], Arc<Principal>>,
    admit: Arc<Semaphore>,
    work: Arc<Semaphore>,
}

impl Basic {
    pub fn new(cfg: BasicConfig) -> anyhow::Result<Basic> {
        let users = Users::load(&cfg.users_file, cfg.allow_insecure)?;
        let workers = cfg.workers.max(1);
        Ok(Basic {
            users: ArcSwap::from_pointee(users),
            generation: AtomicU64::new(0),
            cache: moka::sync::Cache::builder().max_capacity(10_000).time_to_live(cfg.cache_ttl).build(),
            admit: Arc::new(Semaphore::new(workers + cfg.queue)),
            work: Arc::new(Semaphore::new(workers)),
            cfg,
        })
    }

    pub fn users_file(&self) -> &std::path::Path {
        &self.cfg.users_file
    }

    /// Re-read the users file; on error keep the users in force.
    pub fn reload(&self) -> anyhow::Result<()> {
        let users = Users::load(&self.cfg.users_file, self.cfg.allow_insecure)?;
        self.users.store(Arc::new(users));
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.cache.invalidate_all();
        Ok(())
    }

    /// Check `Basic <base64(user:password)>` credentials (`encoded` is the part after `Basic `).
    pub async fn authenticate(&self, encoded: &str) -> Result<Principal, AuthError> {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| AuthError::Malformed("Basic credentials are not valid base64"))?;
        let text = String::from_utf8(decoded).map_err(|_| AuthError::Malformed("Basic credentials are not UTF-8"))?;
        let (user, password) =
            text.split_once(':').ok_or(AuthError::Malformed("Basic credentials lack the ':' separator"))?;
        let key: [u8; 32] = {
            let mut h = Sha256::new();
            h.update(self.generation.load(Ordering::SeqCst).to_le_bytes());
            h.update(user.as_bytes());
            h.update([0]);
            h.update(password.as_bytes());
            h.finalize().into()
        };
        if let Some(p) = self.cache.get(&key) {
            return Ok((*p).clone());
        }
        let _admitted = self.admit.clone().try_acquire_owned().map_err(|_| AuthError::Busy)?;
        let _working = self.work.clone().acquire_owned().await.map_err(|_| AuthError::Busy)?;
        let users = self.users.load_full();
        let (user, password) = (user.to_string(), password.to_string());
        let checked = tokio::task::spawn_blocking(move || match users.users.get(&user) {
            Some(u) if u.secret.verify(password.as_bytes()) => {
                Some(Principal::new(user, u.groups.clone(), AuthMethod::Basic))
            }
            Some(_) => None,
            None => {
                // Same work as a known user with a wrong password.
                let _ = users.dummy.verify(password.as_bytes());
                None
            }
        })
        .await
        .map_err(|_| AuthError::Busy)?;
        match checked {
            Some(p) => {
                self.cache.insert(key, Arc::new(p.clone()));
                Ok(p)
            }
            None => Err(AuthError::BadCredentials),
        }
    }
}
