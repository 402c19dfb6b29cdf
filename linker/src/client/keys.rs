//! DEK Registry calls that answer `204 No Content` (deletes and undeletes of KEKs and DEKs),
//! for the link's key mirroring.

use serde_json::Value;

use super::{ClientError, RegistryClient};

impl RegistryClient {
    /// `DELETE path` (with its query); success is any 2xx, whatever its body.
    pub async fn delete_path(&self, path: &str) -> Result<(), ClientError> {
        self.no_content(reqwest::Method::DELETE, path).await
    }

    /// `POST path` without a body (an undelete); success is any 2xx, whatever its body.
    pub async fn post_empty(&self, path: &str) -> Result<(), ClientError> {
        self.no_content(reqwest::Method::POST, path).await
    }

    async fn no_content(&self, method: reqwest::Method, path: &str) -> Result<(), ClientError> {
        let resp = self.send(self.req(method, path)).await?;
        if resp.status().is_success() {
            return Ok(());
        }
        Self::decode::<Value>(resp).await.map(drop)
    }
}
