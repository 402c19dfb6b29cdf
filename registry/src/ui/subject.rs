//! One subject: its versions (soft-deleted ones marked), the chosen version's schema
//! pretty-printed and highlighted, references and referenced-by as links, metadata, rule set,
//! id and guid, and the subject's compatibility level and mode.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};

use super::layout::{self, Nav};
use super::{error_page, highlight, path_encode, query_encode, subject_href, Access, Shared};
use crate::api::Params;
use crate::registry::Registry;
use crate::state::{State as RegistryState, SubjectEntry, VersionEntry};
use crate::subject::{self, QualifiedSubject};

/// Versions listed on one page (newest first); referrers listed.
const MAX_VERSIONS_SHOWN: usize = 200;
const MAX_REFERRERS_SHOWN: usize = 100;

/// Find the subject a console path names (soft-deleted subjects too), readable by the caller.
pub(crate) fn resolve(st: &RegistryState, access: &Access, raw: &str) -> Result<String, Box<Response>> {
    let name = Registry::find_subject(st, raw, true)
        .map_err(|_| Box::new(error_page(StatusCode::NOT_FOUND, access, &format!("Subject '{raw}' not found."))))?;
    if !access.may_read(&name) {
        return Err(Box::new(error_page(
            StatusCode::FORBIDDEN,
            access,
            &format!("You may not read subject '{name}'."),
        )));
    }
    Ok(name)
}

/// Subject-versions (readable by the caller) whose references point at `subject` `version`.
fn referenced_by(st: &RegistryState, access: &Access, subject: &str, version: u32) -> (Vec<(String, u32, bool)>, bool) {
    let mut out = Vec::new();
    for (name, s) in st.subjects.iter() {
        let Some(referrer) = QualifiedSubject::parse(name) else { continue };
        for v in s.versions.values() {
            let hit = v.schema.references.iter().any(|r| {
                r.version == version as i32
                    && subject::qualify_in_context_of(&r.subject, &referrer).as_deref() == Some(subject)
            });
            if hit && access.may_read(name) {
                if out.len() == MAX_REFERRERS_SHOWN {
                    return (out, true);
                }
                out.push((name.clone(), v.version, v.deleted));
            }
        }
    }
    (out, false)
}

fn version_href(subject: &str, v: u32) -> String {
    format!("{}?version={v}", subject_href(subject))
}

/// `GET /ui/subjects/{subject}?version=N`
pub(crate) async fn page(State(ui): State<Shared>, access: Access, Path(raw): Path<String>, p: Params) -> Response {
    let st = ui.registry.snapshot();
    let name = match resolve(&st, &access, &raw) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    let Some(entry) = st.subject(&name) else {
        return error_page(StatusCode::NOT_FOUND, &access, &format!("Subject '{raw}' not found."));
    };
    let chosen = match p.get("version").map(str::trim).filter(|v| !v.is_empty() && *v != "latest") {
        Some(v) => match v.parse::<u32>().ok().and_then(|n| entry.versions.get(&n)) {
            Some(e) => e,
            None => return error_page(StatusCode::NOT_FOUND, &access, &format!("Version {v} not found.")),
        },
        None => match entry.latest_live().or_else(|| entry.versions.values().next_back()) {
            Some(e) => e,
            None => return error_page(StatusCode::NOT_FOUND, &access, &format!("Subject '{raw}' not found.")),
        },
    };
    let q = QualifiedSubject::parse(&name);
    let level = q.as_ref().map_or("", |q| ui.registry.compatibility_level(&st, q).as_str());
    let mode = st.effective_mode(q.as_ref()).as_str();
    let (referrers, more_referrers) = referenced_by(&st, &access, &name, chosen.version);
    let display = q.as_ref().map_or(name.clone(), |q| q.name.clone());
    let body = html! {
        nav.crumbs aria-label="Breadcrumb" { a href="/ui" { "Subjects" } " / " span { (name) } }
        h1 { (display) }
        dl.facts {
            dt { "Context" } dd { (q.as_ref().map_or(".", |q| q.context.as_str())) }
            dt { "Compatibility" } dd id="subject-compat" { (level) " " a href={ "/ui/settings?scope=" (query_encode(&name)) } { "change" } }
            dt { "Mode" } dd id="subject-mode" { (mode) }
            dt { "Versions" } dd { (entry.live().count()) " live, " (entry.versions.len()) " in all" }
        }
        div.columns {
            (versions_section(&name, entry, chosen.version))
            section.schema aria-labelledby="schema-h" {
                h2 id="schema-h" {
                    "Version " (chosen.version)
                    @if chosen.deleted { " " span.badge { "soft-deleted" } }
                }
                dl.facts {
                    dt { "Schema id" } dd id="schema-id" { (chosen.schema.id) }
                    dt { "Guid" } dd id="schema-guid" { code { (chosen.schema.guid()) } }
                    dt { "Type" } dd { (chosen.schema.schema_type.as_str()) }
                    dt { "Raw" } dd { a href={ "/subjects/" (path_encode(&name)) "/versions/" (chosen.version) "?deleted=true" } { "JSON" } }
                }
                (schema_block(chosen))
                (references(&name, chosen))
                section aria-labelledby="refby-h" {
                    h3 id="refby-h" { "Referenced by" }
                    @if referrers.is_empty() { p.note { "No schema references this version." } }
                    @else {
                        ul.refs {
                            @for (s, v, deleted) in &referrers {
                                li { a href=(version_href(s, *v)) { (s) " v" (v) } @if *deleted { " " span.badge { "deleted" } } }
                            }
                        }
                        @if more_referrers { p.note { "Showing the first " (MAX_REFERRERS_SHOWN) "." } }
                    }
                }
                @if let Some(m) = &chosen.schema.metadata {
                    section aria-labelledby="meta-h" { h3 id="meta-h" { "Metadata" } pre.code { code { (highlight::json_value(m)) } } }
                }
                @if let Some(r) = &chosen.schema.rule_set {
                    section aria-labelledby="rules-h" { h3 id="rules-h" { "Rule set" } pre.code { code { (highlight::json_value(r)) } } }
                }
            }
        }
    };
    layout::page(&display, Nav::Subjects, &access, body)
}

/// The subject's versions (newest first, at most `MAX_VERSIONS_SHOWN`), the diff form and the
/// way to the playground.
fn versions_section(name: &str, entry: &SubjectEntry, chosen: u32) -> Markup {
    let previous = entry.versions.range(..chosen).next_back().map(|(n, _)| *n);
    html! {
        section.versions aria-labelledby="versions-h" {
            h2 id="versions-h" { "Versions" }
            ol.versions reversed {
                @for v in entry.versions.values().rev().take(MAX_VERSIONS_SHOWN) {
                    li.deleted[v.deleted] {
                        @if v.version == chosen {
                            a href=(version_href(name, v.version)) aria-current="true" { "v" (v.version) }
                        } @else {
                            a href=(version_href(name, v.version)) { "v" (v.version) }
                        }
                        " · id " (v.schema.id)
                        @if v.deleted { " " span.badge { "deleted" } }
                    }
                }
            }
            @if entry.versions.len() > MAX_VERSIONS_SHOWN {
                p.note { "Showing the newest " (MAX_VERSIONS_SHOWN) " versions." }
            }
            (diff_form(name, entry.versions.keys().copied().collect(), previous, chosen))
            p { a.button href={ "/ui/playground?subject=" (query_encode(name)) } { "Test a new schema…" } }
        }
    }
}

fn schema_block(v: &VersionEntry) -> Markup {
    let t = v.schema.schema_type;
    let pretty = highlight::pretty(t, &v.schema.schema);
    html! {
        pre.code id="schema-text" tabindex="0" aria-label="Schema" { code { (highlight::highlight(t, &pretty)) } }
    }
}

fn references(subject: &str, v: &VersionEntry) -> Markup {
    let Some(referrer) = QualifiedSubject::parse(subject) else { return html! {} };
    html! {
        section aria-labelledby="refs-h" {
            h3 id="refs-h" { "References" }
            @if v.schema.references.is_empty() { p.note { "None." } }
            @else {
                ul.refs {
                    @for r in &v.schema.references {
                        @let target = subject::qualify_in_context_of(&r.subject, &referrer).unwrap_or_else(|| r.subject.clone());
                        li {
                            code { (r.name) } " → "
                            @if r.version > 0 {
                                a href=(version_href(&target, r.version as u32)) { (r.subject) " v" (r.version) }
                            } @else {
                                a href=(subject_href(&target)) { (r.subject) " latest" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Pick two versions to compare.
fn diff_form(subject: &str, all: Vec<u32>, previous: Option<u32>, chosen: u32) -> Markup {
    if all.len() < 2 {
        return html! {};
    }
    // Long histories: offer the newest ones (any version can still be typed into the URL).
    let offered: Vec<u32> = all.iter().rev().take(MAX_VERSIONS_SHOWN).copied().collect();
    let a = previous.unwrap_or(all[0]);
    let b = if a == chosen { all.iter().copied().find(|v| *v > a).unwrap_or(chosen) } else { chosen };
    html! {
        form.diff-form method="get" action={ (subject_href(subject)) "/diff" } {
            h3 { "Compare versions" }
            div.field {
                label for="diff-a" { "Old" }
                select id="diff-a" name="a" { @for v in &offered { option value=(v) selected[*v == a] { "v" (v) } } }
            }
            div.field {
                label for="diff-b" { "New" }
                select id="diff-b" name="b" { @for v in &offered { option value=(v) selected[*v == b] { "v" (v) } } }
            }
            button type="submit" { "Diff" }
        }
    }
}
