//! Rendering check outcomes: text for people, JSON for tools, JUnit XML for CI test reports,
//! GitHub workflow commands for annotations on the pull request.

use std::path::PathBuf;

use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Compatible,
    Incompatible,
    /// No old version to compare with.
    New,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Compatible => "compatible",
            Status::Incompatible => "incompatible",
            Status::New => "new",
            Status::Error => "error",
        }
    }
}

/// One subject's (or file pair's) result.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub subject: String,
    pub file: PathBuf,
    pub level: String,
    pub status: Status,
    /// Incompatibilities (with path and rule), or the error.
    pub messages: Vec<String>,
}

impl Outcome {
    pub fn from_result(subject: String, file: PathBuf, level: &str, r: Result<Vec<String>, String>) -> Outcome {
        let (status, messages) = match r {
            Ok(m) if m.is_empty() => (Status::Compatible, m),
            Ok(m) => (Status::Incompatible, m),
            Err(e) => (Status::Error, vec![e]),
        };
        Outcome { subject, file, level: level.to_ascii_uppercase(), status, messages }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Junit,
    Github,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "text" => Format::Text,
            "json" => Format::Json,
            "junit" => Format::Junit,
            "github" => Format::Github,
            _ => return None,
        })
    }
}

pub fn render(format: Format, outcomes: &[Outcome]) -> String {
    match format {
        Format::Text => text(outcomes),
        Format::Json => json(outcomes),
        Format::Junit => junit(outcomes),
        Format::Github => github(outcomes),
    }
}

fn text(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for o in outcomes {
        out.push_str(&format!("{} {} ({}, {})\n", o.status.as_str(), o.subject, o.level, o.file.display()));
        for m in &o.messages {
            out.push_str(&format!("    {m}\n"));
        }
    }
    out
}

fn json(outcomes: &[Outcome]) -> String {
    let results: Vec<_> = outcomes
        .iter()
        .map(|o| {
            json!({"subject": o.subject, "file": o.file.display().to_string(), "level": o.level,
                   "status": o.status.as_str(), "messages": o.messages})
        })
        .collect();
    let ok = outcomes.iter().all(|o| matches!(o.status, Status::Compatible | Status::New));
    format!("{}\n", json!({"compatible": ok, "results": results}))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

fn junit(outcomes: &[Outcome]) -> String {
    let failures = outcomes.iter().filter(|o| o.status == Status::Incompatible).count();
    let errors = outcomes.iter().filter(|o| o.status == Status::Error).count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"lockstep check\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">\n",
        outcomes.len()
    );
    for o in outcomes {
        out.push_str(&format!(
            "  <testcase classname=\"lockstep.check\" name=\"{}\" file=\"{}\">",
            xml_escape(&o.subject),
            xml_escape(&o.file.display().to_string())
        ));
        let body = xml_escape(&o.messages.join("\n"));
        match o.status {
            Status::Incompatible => {
                out.push_str(&format!("<failure message=\"incompatible ({})\">{body}</failure>", o.level))
            }
            Status::Error => out.push_str(&format!("<error message=\"error\">{body}</error>")),
            _ => {}
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("</testsuite>\n");
    out
}

/// GitHub's workflow-command escaping.
fn gh_escape(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn gh_prop(s: &str) -> String {
    gh_escape(s).replace(':', "%3A").replace(',', "%2C")
}

fn github(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for o in outcomes {
        let kind = match o.status {
            Status::Incompatible | Status::Error => "error",
            _ => continue,
        };
        let title = format!("{} schema {} ({})", o.status.as_str(), o.subject, o.level);
        out.push_str(&format!(
            "::{kind} file={},title={}::{}\n",
            gh_prop(&o.file.display().to_string()),
            gh_prop(&title),
            gh_escape(&o.messages.join("\n"))
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Outcome> {
        vec![
            Outcome::from_result("a".into(), "s/a.avsc".into(), "backward", Ok(vec![])),
            Outcome::from_result(
                "b<&>".into(),
                "s/b.avsc".into(),
                "full",
                Ok(vec!["{errorType:'X', description:'50% at /fields/0'}".into()]),
            ),
            Outcome::from_result("c".into(), "s/c.avsc".into(), "backward", Err("cannot read s/c.avsc".into())),
        ]
    }

    #[test]
    fn every_format_reports_each_outcome() {
        let o = sample();
        let t = render(Format::Text, &o);
        assert!(t.contains("incompatible b<&> (FULL, s/b.avsc)\n    {errorType:'X'"), "{t}");
        let j: serde_json::Value = serde_json::from_str(&render(Format::Json, &o)).unwrap();
        assert_eq!(j["compatible"], false);
        assert_eq!(j["results"][2]["status"], "error");
        let x = render(Format::Junit, &o);
        assert!(x.contains("tests=\"3\" failures=\"1\" errors=\"1\""), "{x}");
        assert!(x.contains("name=\"b&lt;&amp;&gt;\""), "{x}");
        let g = render(Format::Github, &o);
        assert_eq!(g.lines().count(), 2, "{g}");
        assert!(g.starts_with("::error file=s/b.avsc,title=incompatible schema b<&> (FULL)::{errorType:'X', description:'50%25 at /fields/0'}"), "{g}");
    }
}
