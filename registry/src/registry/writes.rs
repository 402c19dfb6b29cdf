//! The registry's write operations as callers see them. Each runs to completion on a task of its
//! own once called: a client that disconnects mid-request (dropping the request future) can
//! neither stop a write between its append and its publication nor leave a half-done write.

use std::future::Future;

use super::*;

impl Registry {
    /// Run `op` on its own task and wait for it.
    async fn detached<T, Fut>(&self, op: impl FnOnce(Arc<Registry>) -> Fut) -> ApiResult<T>
    where
        T: Send + 'static,
        Fut: Future<Output = ApiResult<T>> + Send + 'static,
    {
        let me = self.me.upgrade().ok_or_else(|| ApiError::store("the registry is shutting down"))?;
        tokio::spawn(crate::cluster::forward::carry(op(me)))
            .await
            .map_err(|e| ApiError::store(format!("a write task failed: {e}")))?
    }

    /// Register a schema under a subject (POST /subjects/{s}/versions).
    pub async fn register(
        &self,
        subject: &str,
        req: RegisterRequest,
        normalize: bool,
        force: bool,
    ) -> ApiResult<Registered> {
        let subject = subject.to_string();
        self.detached(move |me| async move { me.register_now(&subject, req, normalize, force).await }).await
    }

    /// DELETE /subjects/{s}/versions/{v}
    pub async fn delete_version(&self, subject: &str, spec: VersionSpec, permanent: bool) -> ApiResult<u32> {
        let subject = subject.to_string();
        self.detached(move |me| async move { me.delete_version_now(&subject, spec, permanent).await }).await
    }

    /// DELETE /subjects/{s}
    pub async fn delete_subject(&self, subject: &str, permanent: bool) -> ApiResult<Vec<u32>> {
        let subject = subject.to_string();
        self.detached(move |me| async move { me.delete_subject_now(&subject, permanent).await }).await
    }

    /// PUT /config[/{s}]: see [`Self::update_config_now`].
    pub async fn update_config(&self, scope: ScopeKey, update: Map<String, Value>) -> ApiResult<Map<String, Value>> {
        self.detached(move |me| async move { me.update_config_now(scope, update).await }).await
    }

    /// DELETE /config[/{s}]: the old fields, None when nothing was set.
    pub async fn delete_config(&self, scope: ScopeKey) -> ApiResult<Option<Map<String, Value>>> {
        self.detached(move |me| async move { me.delete_config_now(scope).await }).await
    }

    /// PUT /mode[/{s}]: see [`Self::set_mode_now`].
    pub async fn set_mode(&self, scope: ScopeKey, mode: Option<Mode>, force: bool) -> ApiResult<()> {
        self.detached(move |me| async move { me.set_mode_now(scope, mode, force).await }).await
    }

    /// DELETE /mode[/{s}]: see [`Self::delete_mode_now`].
    pub async fn delete_mode(&self, scope: ScopeKey, recursive: bool) -> ApiResult<Option<Mode>> {
        self.detached(move |me| async move { me.delete_mode_now(scope, recursive).await }).await
    }

    /// DELETE /contexts/{ctx}: only an empty context.
    pub async fn delete_context(&self, context: &str) -> ApiResult<()> {
        let context = context.to_string();
        self.detached(move |me| async move { me.delete_context_now(&context).await }).await
    }

    /// A write of other record kinds (the DEK Registry's keys): take the writer lock, build the
    /// records against the writer's state with `build`, commit them and answer `build`'s value
    /// once they are durable. Nothing is written when `build` fails or returns no records.
    pub(crate) async fn write_with<T: Send + 'static>(
        &self,
        build: impl FnOnce(&State) -> ApiResult<(Vec<LogRecord>, T)> + Send + 'static,
    ) -> ApiResult<T> {
        self.detached(move |me| async move {
            let w = me.lock_writer().await?;
            let (records, out) = build(&w.pending)?;
            me.commit(w, records).await?;
            Ok(out)
        })
        .await
    }
}
