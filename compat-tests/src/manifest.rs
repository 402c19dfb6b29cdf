//! The manifest: which schema file is which subject, with its type, level and references.
//!
//! ```toml
//! [defaults]              # optional
//! type = "AVRO"
//! level = "BACKWARD"
//!
//! [[subjects]]
//! subject = "orders-value"
//! file = "schemas/orders.avsc"          # relative to the manifest
//! level = "FULL"                        # offline checks; a registry uses its own config
//! references = [{ name = "acme.Address", subject = "address-value" }]  # version, file optional
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    #[serde(rename = "type")]
    pub schema_type: Option<String>,
    pub level: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub name: String,
    pub subject: String,
    /// Registry version (-1 = latest).
    #[serde(default = "latest")]
    pub version: i64,
    /// The referenced schema's file, when its subject is not in the manifest.
    pub file: Option<String>,
}

fn latest() -> i64 {
    -1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectEntry {
    pub subject: String,
    pub file: String,
    #[serde(rename = "type")]
    pub schema_type: Option<String>,
    pub level: Option<String>,
    #[serde(default)]
    pub references: Vec<Reference>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(default)]
    pub defaults: Defaults,
    #[serde(default)]
    pub subjects: Vec<SubjectEntry>,
    /// The manifest's directory; files are relative to it.
    #[serde(skip)]
    pub base: PathBuf,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Manifest, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read manifest {}: {e}", path.display()))?;
        let mut m: Manifest = toml::from_str(&text).map_err(|e| format!("invalid manifest {}: {e}", path.display()))?;
        m.base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if m.subjects.is_empty() {
            return Err(format!("manifest {} lists no subjects", path.display()));
        }
        Ok(m)
    }
    pub fn path(&self, file: &str) -> PathBuf {
        crate::resolve(&self.base, file)
    }
    pub fn subject(&self, name: &str) -> Option<&SubjectEntry> {
        self.subjects.iter().find(|s| s.subject == name)
    }
    pub fn default_type(&self) -> String {
        self.defaults.schema_type.clone().unwrap_or_else(|| "AVRO".into())
    }
    pub fn type_of(&self, e: &SubjectEntry) -> String {
        e.schema_type.clone().unwrap_or_else(|| self.default_type())
    }
    pub fn level_of(&self, e: &SubjectEntry) -> String {
        e.level.clone().or_else(|| self.defaults.level.clone()).unwrap_or_else(|| "BACKWARD".into())
    }
}
