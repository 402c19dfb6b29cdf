//! A client for any Confluent-compatible Schema Registry REST API (Confluent, Karapace,
//! Apicurio ccompat, Redpanda, Lockstep).

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::{Deserialize, Serialize};
use serde_json::Value;

const CT: &str = "application/vnd.schemaregistry.v1+json";
/// Characters escaped in a subject path segment (subjects may hold `/`).
const SEGMENT: &AsciiSet = &CONTROLS.add(b' ').add(b'/').add(b'%').add(b'?').add(b'#').add(b'"').add(b'<').add(b'>');

/// A registry error: Confluent's `error_code` and message, or a transport failure.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("registry answered HTTP {status}, error_code {code}: {message}")]
    Registry { status: u16, code: i64, message: String },
    #[error("cannot reach registry: {0}")]
    Transport(#[from] reqwest::Error),
}

impl ClientError {
    /// Confluent's `error_code`, when the registry answered with one.
    pub fn code(&self) -> Option<i64> {
        match self {
            ClientError::Registry { code, .. } => Some(*code),
            ClientError::Transport(_) => None,
        }
    }
}

/// A schema reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub name: String,
    pub subject: String,
    pub version: i64,
}

/// A subject-version as `GET /subjects/{s}/versions/{v}` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i64,
    pub id: i64,
    #[serde(rename = "schemaType", default)]
    pub schema_type: Option<String>,
    #[serde(default)]
    pub references: Vec<Reference>,
    pub schema: String,
}

/// Body of a registration (explicit `id`/`version` for IMPORT mode).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Registration {
    pub schema: String,
    #[serde(rename = "schemaType", skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// A client bound to one registry base URL (which may carry a `/contexts/.ctx` prefix).
#[derive(Clone)]
pub struct RegistryClient {
    base: String,
    http: reqwest::Client,
}

impl RegistryClient {
    pub fn new(base: &str) -> Self {
        Self { base: base.trim_end_matches('/').to_string(), http: reqwest::Client::new() }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn subject_path(subject: &str) -> String {
        utf8_percent_encode(subject, SEGMENT).to_string()
    }

    async fn decode<T: for<'de> Deserialize<'de>>(resp: reqwest::Response) -> Result<T, ClientError> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp.json::<T>().await?);
        }
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        Err(ClientError::Registry {
            status: status.as_u16(),
            code: body["error_code"].as_i64().unwrap_or(i64::from(status.as_u16())),
            message: body["message"].as_str().unwrap_or("").to_string(),
        })
    }

    /// `GET /subjects` (all contexts).
    pub async fn subjects(&self) -> Result<Vec<String>, ClientError> {
        Self::decode(self.http.get(self.url("/subjects")).send().await?).await
    }

    /// `GET /subjects/{s}/versions`.
    pub async fn versions(&self, subject: &str) -> Result<Vec<i64>, ClientError> {
        let url = self.url(&format!("/subjects/{}/versions", Self::subject_path(subject)));
        Self::decode(self.http.get(url).send().await?).await
    }

    /// `GET /subjects/{s}/versions/{v}` (`v` a number or `latest`).
    pub async fn version(&self, subject: &str, version: &str) -> Result<SubjectVersion, ClientError> {
        let url = self.url(&format!("/subjects/{}/versions/{version}", Self::subject_path(subject)));
        Self::decode(self.http.get(url).send().await?).await
    }

    /// `GET /schemas/ids/{id}` → the schema text.
    pub async fn schema_by_id(&self, id: i64) -> Result<String, ClientError> {
        let v: Value = Self::decode(self.http.get(self.url(&format!("/schemas/ids/{id}"))).send().await?).await?;
        Ok(v["schema"].as_str().unwrap_or_default().to_string())
    }

    /// `POST /subjects/{s}/versions` → the id.
    pub async fn register(&self, subject: &str, reg: &Registration) -> Result<i64, ClientError> {
        let url = self.url(&format!("/subjects/{}/versions", Self::subject_path(subject)));
        let v: Value = Self::decode(self.http.post(url).header("Content-Type", CT).json(reg).send().await?).await?;
        Ok(v["id"].as_i64().unwrap_or_default())
    }

    /// `POST /compatibility/subjects/{s}/versions`: the registry's own check at the subject's
    /// level against the versions that level selects. Returns the messages (empty = compatible).
    /// An invalid schema is an error (42201): the verbose form would report it as incompatible,
    /// so messages are fetched only once the plain check says incompatible.
    pub async fn check_compatibility(&self, subject: &str, reg: &Registration) -> Result<Vec<String>, ClientError> {
        let path = format!("/compatibility/subjects/{}/versions", Self::subject_path(subject));
        let post = |verbose: bool| {
            let url = self.url(&format!("{path}?verbose={verbose}"));
            self.http.post(url).header("Content-Type", CT).json(reg).send()
        };
        let v: Value = Self::decode(post(false).await?).await?;
        if v["is_compatible"].as_bool().unwrap_or(false) {
            return Ok(Vec::new());
        }
        let v: Value = Self::decode(post(true).await?).await?;
        let messages: Vec<String> = v["messages"]
            .as_array()
            .map(|m| m.iter().filter_map(|x| x.as_str().map(String::from)).collect())
            .unwrap_or_default();
        Ok(if messages.is_empty() { vec!["incompatible".to_string()] } else { messages })
    }

    /// `PUT /mode/{s}` (or `/mode` for None), with `force`.
    pub async fn set_mode(&self, subject: Option<&str>, mode: &str, force: bool) -> Result<(), ClientError> {
        let path = match subject {
            Some(s) => format!("/mode/{}?force={force}", Self::subject_path(s)),
            None => format!("/mode?force={force}"),
        };
        let body = serde_json::json!({ "mode": mode });
        let _: Value =
            Self::decode(self.http.put(self.url(&path)).header("Content-Type", CT).json(&body).send().await?).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn start() -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let reg = registry::open_file_registry(dir.path(), registry::RegistryConfig::default()).unwrap();
        let (listener, addr) = registry::bind("127.0.0.1:0").await.unwrap();
        tokio::spawn(registry::serve(listener, reg, std::future::pending()));
        (dir, format!("http://{addr}"))
    }

    #[tokio::test]
    async fn copies_a_version_with_its_id_into_an_import_mode_registry() {
        let (_a, src_url) = start().await;
        let (_b, dst_url) = start().await;
        let src = RegistryClient::new(&src_url);
        let dst = RegistryClient::new(&dst_url);
        let schema = r#"{"type":"record","name":"T","fields":[{"name":"a","type":"int"}]}"#.to_string();
        // Take id 1 on the source with a throwaway schema so the copied id is 2, not a coincidence.
        src.register("other/x", &Registration { schema: "\"string\"".into(), ..Default::default() }).await.unwrap();
        let id = src.register("a/b", &Registration { schema: schema.clone(), ..Default::default() }).await.unwrap();
        assert_eq!(id, 2);
        let v = src.version("a/b", "latest").await.unwrap();

        // Registering with an id needs IMPORT mode.
        let err = dst
            .register(
                "a/b",
                &Registration {
                    schema: v.schema.clone(),
                    id: Some(v.id),
                    version: Some(v.version),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(42205));
        dst.set_mode(None, "IMPORT", false).await.unwrap();
        let got = dst
            .register(
                "a/b",
                &Registration {
                    schema: v.schema.clone(),
                    id: Some(v.id),
                    version: Some(v.version),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(got, 2);
        assert_eq!(dst.schema_by_id(2).await.unwrap(), v.schema);
        assert_eq!(dst.versions("a/b").await.unwrap(), vec![1]);
        assert_eq!(dst.subjects().await.unwrap(), vec!["a/b".to_string()]);
        // Nothing is overwritten: id 2 with another schema is refused.
        let err = dst
            .register("c", &Registration { schema: "\"int\"".into(), id: Some(2), ..Default::default() })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(42205));
    }

    #[tokio::test]
    async fn unreachable_registry_is_a_transport_error() {
        let c = RegistryClient::new("http://127.0.0.1:1");
        assert!(matches!(c.subjects().await, Err(ClientError::Transport(_))));
    }
}
