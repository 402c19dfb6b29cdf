//! `lockstep check`: schema compatibility for CI, with the registry's own engines.
//!
//! Three ways to get the "old" side: a file (`--old`), a git revision of the files listed in a
//! manifest (`--against git:REF`, no registry needed), or a registry (`--registry URL`, which
//! applies each subject's configured level to the versions that level selects). Results are
//! rendered as text, JSON, JUnit XML or GitHub annotations ([`report`]).

pub mod manifest;
pub mod report;

use std::path::{Path, PathBuf};
use std::process::Command;

use registry::schema::{self, CompatibilityLevel, Dependency, ParsedSchema, Previous, SchemaType};

pub use manifest::{Manifest, SubjectEntry};
pub use report::{Format, Outcome, Status};

/// Check `new_text` against `old_text` at `level`, with the referenced schemas each side needs.
/// Errors are invalid input (exit code 2).
pub fn check_texts_with_refs(
    schema_type: &str,
    level: &str,
    old: (&str, &[Dependency]),
    new: (&str, &[Dependency]),
) -> Result<Vec<String>, String> {
    let ty = SchemaType::parse(Some(schema_type)).ok_or_else(|| format!("unknown schema type {schema_type}"))?;
    let level = CompatibilityLevel::parse(level).ok_or_else(|| format!("unknown compatibility level {level}"))?;
    let old = ParsedSchema::parse(ty, old.0, old.1, false).map_err(|e| format!("old schema: {e}"))?;
    let new = ParsedSchema::parse(ty, new.0, new.1, false).map_err(|e| format!("new schema: {e}"))?;
    let messages = schema::check_compatibility(level, &new, &[Previous { version: 1, schema: &old }]);
    // Keep the incompatibilities; the trailer (old version, old schema, level) is for registry clients.
    Ok(messages
        .into_iter()
        .filter(|m| !["{oldSchemaVersion:", "{oldSchema:", "{validateFields:"].iter().any(|p| m.starts_with(p)))
        .collect())
}

/// Check two schema files (`--old`, `--new`).
pub fn check_files(schema_type: &str, level: &str, old: &Path, new: &Path) -> Outcome {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let result =
        read(old).and_then(|o| read(new).and_then(|n| check_texts_with_refs(schema_type, level, (&o, &[]), (&n, &[]))));
    Outcome::from_result(new.display().to_string(), new.to_path_buf(), level, result)
}

/// Where a manifest entry's old schema text comes from.
trait OldSide {
    /// The text of `file` on the old side; None when it did not exist there.
    fn read(&self, file: &Path) -> Result<Option<String>, String>;
}

/// Files at a git revision.
struct GitRevision {
    rev: String,
}

impl OldSide for GitRevision {
    fn read(&self, file: &Path) -> Result<Option<String>, String> {
        let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = file.file_name().ok_or_else(|| format!("not a file: {}", file.display()))?;
        let spec = format!("{}:./{}", self.rev, name.to_string_lossy());
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["show", &spec])
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if out.status.success() {
            return String::from_utf8(out.stdout)
                .map(Some)
                .map_err(|_| format!("{} at {} is not UTF-8", file.display(), self.rev));
        }
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("does not exist") || err.contains("exists on disk, but not in") {
            return Ok(None);
        }
        Err(format!("git show {spec} in {}: {}", dir.display(), err.trim()))
    }
}

/// The working tree.
struct WorkingTree;

impl OldSide for WorkingTree {
    fn read(&self, file: &Path) -> Result<Option<String>, String> {
        std::fs::read_to_string(file).map(Some).map_err(|e| format!("cannot read {}: {e}", file.display()))
    }
}

/// Resolve an entry's references (recursively, through the manifest) on one side.
fn dependencies(
    m: &Manifest,
    entry: &SubjectEntry,
    side: &dyn OldSide,
    depth: usize,
) -> Result<Vec<Dependency>, String> {
    if depth > 32 {
        return Err(format!("references of {} nest more than 32 levels", entry.subject));
    }
    let mut deps = Vec::new();
    for r in &entry.references {
        let target = m.subject(&r.subject);
        let file = r.file.as_ref().map(|f| m.path(f)).or_else(|| target.map(|t| m.path(&t.file))).ok_or_else(|| {
            format!(
                "reference {} of {}: no file and subject {} is not in the manifest",
                r.name, entry.subject, r.subject
            )
        })?;
        let text = side
            .read(&file)?
            .ok_or_else(|| format!("reference {} of {}: {} does not exist", r.name, entry.subject, file.display()))?;
        let inner = match target {
            Some(t) => dependencies(m, t, side, depth + 1)?,
            None => Vec::new(),
        };
        let ty = target.map_or(m.default_type(), |t| m.type_of(t));
        let schema_type = SchemaType::parse(Some(&ty)).ok_or_else(|| format!("unknown schema type {ty}"))?;
        deps.push(Dependency { name: r.name.clone(), schema_type, schema: text.into(), dependencies: inner });
    }
    Ok(deps)
}

/// Every manifest subject against the files at a git revision (`--against git:REF`).
pub fn check_against_git(m: &Manifest, rev: &str) -> Vec<Outcome> {
    let old_side = GitRevision { rev: rev.to_string() };
    m.subjects
        .iter()
        .map(|e| {
            let file = m.path(&e.file);
            let level = m.level_of(e);
            let result = (|| -> Result<Option<Vec<String>>, String> {
                let Some(old) = old_side.read(&file)? else { return Ok(None) };
                let new = WorkingTree.read(&file)?.unwrap_or_default();
                let old_deps = dependencies(m, e, &old_side, 0)?;
                let new_deps = dependencies(m, e, &WorkingTree, 0)?;
                check_texts_with_refs(&m.type_of(e), &level, (&old, &old_deps), (&new, &new_deps)).map(Some)
            })();
            match result {
                Ok(None) => Outcome { subject: e.subject.clone(), file, level, status: Status::New, messages: vec![] },
                Ok(Some(msgs)) => Outcome::from_result(e.subject.clone(), file, &level, Ok(msgs)),
                Err(err) => Outcome::from_result(e.subject.clone(), file, &level, Err(err)),
            }
        })
        .collect()
}

/// Every manifest subject against a registry (`--registry URL`): the registry applies each
/// subject's own compatibility level.
pub fn check_against_registry(m: &Manifest, url: &str) -> Vec<Outcome> {
    check_against_registry_with(m, linker::RegistryClient::new(url))
}

/// [`check_against_registry`] with a client that carries credentials and TLS settings
/// (`--registry-user-info`, `--registry-bearer-token`, `--registry-oauth-*`, `--registry-cert-file`, …).
pub fn check_against_registry_with(m: &Manifest, client: linker::RegistryClient) -> Vec<Outcome> {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            return m
                .subjects
                .iter()
                .map(|s| Outcome::from_result(s.subject.clone(), m.path(&s.file), "registry", Err(e.to_string())))
                .collect()
        }
    };
    m.subjects
        .iter()
        .map(|e| {
            let file = m.path(&e.file);
            let result = std::fs::read_to_string(&file)
                .map_err(|err| format!("cannot read {}: {err}", file.display()))
                .and_then(|text| {
                    let reg = linker::client::Registration {
                        schema: text,
                        schema_type: Some(m.type_of(e)),
                        references: e
                            .references
                            .iter()
                            .map(|r| linker::client::Reference {
                                name: r.name.clone(),
                                subject: r.subject.clone(),
                                version: r.version,
                            })
                            .collect(),
                        ..Default::default()
                    };
                    runtime.block_on(client.check_compatibility(&e.subject, &reg)).map_err(|err| err.to_string())
                });
            Outcome::from_result(e.subject.clone(), file, "registry", result)
        })
        .collect()
}

/// Exit code for a set of outcomes: 2 when any errored, else 1 when any is incompatible, else 0.
pub fn exit_code(outcomes: &[Outcome]) -> u8 {
    if outcomes.iter().any(|o| o.status == Status::Error) {
        2
    } else if outcomes.iter().any(|o| o.status == Status::Incompatible) {
        1
    } else {
        0
    }
}

/// The path a manifest-relative file resolves to.
pub fn resolve(base: &Path, file: &str) -> PathBuf {
    base.join(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}"#;
    const V2_OPTIONAL: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"email","type":["null","string"],"default":null}]}"#;
    const V2_REQUIRED: &str =
        r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"email","type":"string"}]}"#;

    fn check(level: &str, old: &str, new: &str) -> Result<Vec<String>, String> {
        check_texts_with_refs("AVRO", level, (old, &[]), (new, &[]))
    }

    #[test]
    fn optional_field_is_backward_compatible_required_is_not() {
        assert!(check("BACKWARD", V1, V2_OPTIONAL).unwrap().is_empty());
        let v = check("BACKWARD", V1, V2_REQUIRED).unwrap();
        assert!(v[0].contains("READER_FIELD_MISSING_DEFAULT_VALUE"), "{v:?}");
        assert!(v[0].contains("/fields/1"), "messages name the path: {v:?}");
        assert!(check("FORWARD", V1, V2_REQUIRED).unwrap().is_empty());
    }

    #[test]
    fn bad_input_is_an_error_not_a_verdict() {
        assert!(check("BACKWARD", "{", V1).is_err());
        assert!(check("SIDEWAYS", V1, V1).is_err());
        assert!(check_texts_with_refs("XML", "BACKWARD", (V1, &[]), (V1, &[])).is_err());
    }

    fn git(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"])
            .args(args)
            .output()
            .unwrap();
        assert!(ok.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&ok.stderr));
    }

    #[test]
    fn against_a_registry_each_subject_uses_its_level() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let reg = registry::open_file_registry(&store, registry::RegistryConfig::default()).unwrap();
                let (listener, addr) = registry::bind("127.0.0.1:0").await.unwrap();
                tx.send(format!("http://{addr}")).unwrap();
                registry::serve(listener, reg, std::future::pending()).await.unwrap();
            });
        });
        let url = rx.recv().unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let client = linker::RegistryClient::new(&url);
        for s in ["strict", "lenient"] {
            let reg = linker::client::Registration { schema: V1.into(), ..Default::default() };
            rt.block_on(client.register(s, &reg)).unwrap();
        }
        drop(rt);
        // The registry's own config decides: NONE for "lenient".
        let http = std::process::Command::new("curl")
            .args(["-s", "-X", "PUT", "-H", "Content-Type: application/json", "-d", r#"{"compatibility":"NONE"}"#])
            .arg(format!("{url}/config/lenient"))
            .output();
        assert!(http.is_ok_and(|o| o.status.success()));
        let d = dir.path();
        std::fs::write(d.join("user.avsc"), V2_REQUIRED).unwrap();
        std::fs::write(d.join("bad.avsc"), "{").unwrap();
        std::fs::write(
            d.join("m.toml"),
            "[[subjects]]\nsubject = \"strict\"\nfile = \"user.avsc\"\n[[subjects]]\nsubject = \"lenient\"\nfile = \"user.avsc\"\n[[subjects]]\nsubject = \"broken\"\nfile = \"bad.avsc\"\n",
        )
        .unwrap();
        let m = Manifest::load(&d.join("m.toml")).unwrap();
        let out = check_against_registry(&m, &url);
        let by: Vec<(&str, Status)> = out.iter().map(|o| (o.subject.as_str(), o.status)).collect();
        assert_eq!(
            by,
            vec![("strict", Status::Incompatible), ("lenient", Status::Compatible), ("broken", Status::Error)]
        );
        assert!(out[0].messages[0].contains("READER_FIELD_MISSING_DEFAULT_VALUE"), "{:?}", out[0].messages);
        assert!(out[2].messages[0].contains("42201"), "{:?}", out[2].messages);
        assert_eq!(exit_code(&out), 2);
        let unreachable = check_against_registry(&m, "http://127.0.0.1:1");
        assert!(unreachable.iter().all(|o| o.status == Status::Error));
    }

    #[test]
    fn against_a_git_revision_with_references_and_new_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("schemas")).unwrap();
        let address =
            r#"{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"city","type":"string"}]}"#;
        let user = r#"{"type":"record","name":"User","namespace":"acme","fields":[{"name":"home","type":"Address"}]}"#;
        std::fs::write(d.join("schemas/address.avsc"), address).unwrap();
        std::fs::write(d.join("schemas/user.avsc"), user).unwrap();
        std::fs::write(
            d.join("lockstep.toml"),
            r#"
[[subjects]]
subject = "address-value"
file = "schemas/address.avsc"

[[subjects]]
subject = "user-value"
file = "schemas/user.avsc"
references = [{ name = "acme.Address", subject = "address-value" }]

[[subjects]]
subject = "brand-new"
file = "schemas/new.avsc"
"#,
        )
        .unwrap();
        git(d, &["init", "-q"]);
        git(d, &["add", "."]);
        git(d, &["commit", "-q", "-m", "v1"]);
        // The referenced type gains a required field: address is incompatible, and so is the
        // user schema that embeds it.
        let address2 = r#"{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"city","type":"string"},{"name":"zip","type":"string"}]}"#;
        std::fs::write(d.join("schemas/address.avsc"), address2).unwrap();
        std::fs::write(d.join("schemas/new.avsc"), V1).unwrap();
        let m = Manifest::load(&d.join("lockstep.toml")).unwrap();
        let out = check_against_git(&m, "HEAD");
        let by: Vec<(&str, Status)> = out.iter().map(|o| (o.subject.as_str(), o.status)).collect();
        assert_eq!(
            by,
            vec![
                ("address-value", Status::Incompatible),
                ("user-value", Status::Incompatible),
                ("brand-new", Status::New)
            ]
        );
        assert!(out[1].messages[0].contains("zip"), "{:?}", out[1].messages);
        assert_eq!(exit_code(&out), 1);
        let out = check_against_git(&m, "no-such-rev");
        assert_eq!(exit_code(&out), 2);
    }
}
