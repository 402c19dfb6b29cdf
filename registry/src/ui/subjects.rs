//! The subject list: server-side search (substring or prefix, by context and schema type) and
//! paging over the in-memory state, so 100,000 subjects cost one scan of names per request and
//! only one page of rows is rendered.

use axum::extract::State;
use axum::response::Response;
use maud::{html, Markup};
use serde::Serialize;

use super::layout::{self, Nav};
use super::{query_encode, subject_href, Access, Shared};
use crate::api::{ok, Params};
use crate::schema::SchemaType;
use crate::state::State as RegistryState;
use crate::subject::{QualifiedSubject, DEFAULT_CONTEXT};

/// Rows per page unless asked; the most a page may have.
pub(crate) const DEFAULT_LIMIT: usize = 50;
pub(crate) const MAX_LIMIT: usize = 500;
/// Contexts offered in the filter.
const MAX_CONTEXTS: usize = 200;

/// A search, as the query string gives it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Search {
    /// Text to find in the subject name (case-insensitive).
    pub q: String,
    /// Match the start of the name only.
    pub prefix: bool,
    /// One context (`.` = the default one), or all.
    pub context: Option<String>,
    pub schema_type: Option<SchemaType>,
    /// Include subjects whose versions are all soft-deleted.
    pub deleted: bool,
    pub offset: usize,
    pub limit: usize,
}

impl Search {
    pub(crate) fn from_params(p: &Params) -> Search {
        let num = |k: &str| p.get(k).and_then(|v| v.trim().parse::<usize>().ok());
        Search {
            q: p.get("q").unwrap_or("").trim().chars().take(200).collect(),
            prefix: p.get("match") == Some("prefix"),
            context: p.get("context").map(str::trim).filter(|c| !c.is_empty()).map(str::to_string),
            schema_type: p.get("type").filter(|t| !t.is_empty()).and_then(|t| SchemaType::parse(Some(t))),
            deleted: p.flag("deleted"),
            offset: num("offset").unwrap_or(0).min(10_000_000),
            limit: num("limit").filter(|l| (1..=MAX_LIMIT).contains(l)).unwrap_or(DEFAULT_LIMIT),
        }
    }

    /// The query string of this search at another offset.
    fn query(&self, offset: usize) -> String {
        let mut s = format!("q={}&offset={offset}&limit={}", query_encode(&self.q), self.limit);
        if self.prefix {
            s.push_str("&match=prefix");
        }
        if let Some(c) = &self.context {
            s.push_str(&format!("&context={}", query_encode(c)));
        }
        if let Some(t) = self.schema_type {
            s.push_str(&format!("&type={}", t.as_str()));
        }
        if self.deleted {
            s.push_str("&deleted=true");
        }
        s
    }
}

/// One subject in the list.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Row {
    pub subject: String,
    pub context: String,
    pub name: String,
    #[serde(rename = "schemaType")]
    pub schema_type: &'static str,
    /// Live versions.
    pub versions: usize,
    pub latest: Option<u32>,
    #[serde(rename = "latestId")]
    pub latest_id: Option<u32>,
    pub compatibility: &'static str,
    pub mode: &'static str,
    pub deleted: bool,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Found {
    /// Subjects matching the search (that the caller may read).
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub subjects: Vec<Row>,
}

/// One subject as the search scans it: a flat copy of what the filters need, so a search over
/// 100,000 subjects is a pass over a vector rather than over the persistent map.
struct Indexed {
    qualified: String,
    /// Byte range of the name inside `qualified`; the context is before it.
    name_start: usize,
    /// The name in ASCII lowercase, for case-insensitive matching with the standard library's
    /// (optimized) substring search.
    lower: String,
    live: bool,
    schema_type: Option<SchemaType>,
}

/// The subjects of one state (its log position), default context first, then the others
/// (as Confluent sorts: by context, then name). Rebuilt when the state moves on.
pub(crate) struct SubjectIndex {
    position: u64,
    entries: Vec<Indexed>,
}

impl SubjectIndex {
    fn build(st: &RegistryState) -> SubjectIndex {
        let mut entries = Vec::with_capacity(st.subjects.len());
        let default_first = st.subjects.iter().filter(|(k, _)| !k.starts_with(':'));
        let others = st.subjects.iter().filter(|(k, _)| k.starts_with(':'));
        for (qualified, entry) in default_first.chain(others) {
            let (_, name) = split(qualified);
            let latest = entry.latest_live();
            entries.push(Indexed {
                qualified: qualified.clone(),
                name_start: qualified.len() - name.len(),
                lower: name.to_ascii_lowercase(),
                live: latest.is_some(),
                schema_type: latest.or_else(|| entry.versions.values().next_back()).map(|v| v.schema.schema_type),
            });
        }
        SubjectIndex { position: st.position, entries }
    }
}

/// The index of this state: the cached one when the state has not moved since it was built.
fn index_for(ui: &super::Ui, st: &RegistryState) -> std::sync::Arc<SubjectIndex> {
    let mut cached = ui.subject_index.lock();
    match cached.as_ref() {
        Some(i) if i.position == st.position && i.entries.len() == st.subjects.len() => i.clone(),
        _ => {
            let fresh = std::sync::Arc::new(SubjectIndex::build(st));
            *cached = Some(fresh.clone());
            fresh
        }
    }
}

/// Run a search against a snapshot.
pub(crate) fn search(ui: &super::Ui, st: &RegistryState, s: &Search, access: &Access) -> Found {
    let needle = s.q.to_ascii_lowercase();
    let all_readable = access.reads_all();
    let context = s.context.as_deref().map(|c| if c == DEFAULT_CONTEXT { String::new() } else { format!(":{c}:") });
    let index = index_for(ui, st);
    let mut total = 0usize;
    let mut rows = Vec::new();
    for e in &index.entries {
        if let Some(c) = &context {
            if e.qualified[..e.name_start] != *c {
                continue;
            }
        }
        let hit = if s.prefix { e.lower.starts_with(&needle) } else { e.lower.contains(&needle) };
        if !hit || (!e.live && !s.deleted) {
            continue;
        }
        if s.schema_type.is_some() && e.schema_type != s.schema_type {
            continue;
        }
        if !all_readable && !access.may_read(&e.qualified) {
            continue;
        }
        total += 1;
        if total > s.offset && rows.len() < s.limit {
            if let Some(entry) = st.subject(&e.qualified) {
                rows.push(row(ui, st, &e.qualified, entry));
            }
        }
    }
    Found { total, offset: s.offset, limit: s.limit, subjects: rows }
}

/// (context, name) of a qualified subject as the state keys it.
fn split(qualified: &str) -> (&str, &str) {
    if let Some(rest) = qualified.strip_prefix(':') {
        if let Some((ctx, name)) = rest.split_once(':') {
            return (ctx, name);
        }
    }
    (DEFAULT_CONTEXT, qualified)
}

fn row(ui: &super::Ui, st: &RegistryState, qualified: &str, entry: &crate::state::SubjectEntry) -> Row {
    let (context, name) = split(qualified);
    let latest = entry.latest_live();
    let shown = latest.or_else(|| entry.versions.values().next_back());
    let q = QualifiedSubject::parse(qualified);
    Row {
        subject: qualified.to_string(),
        context: context.to_string(),
        name: name.to_string(),
        schema_type: shown.map_or("", |v| v.schema.schema_type.as_str()),
        versions: entry.live().count(),
        latest: latest.map(|v| v.version),
        latest_id: latest.map(|v| v.schema.id),
        compatibility: q.as_ref().map_or("", |q| ui.registry.compatibility_level(st, q).as_str()),
        mode: st.effective_mode(q.as_ref()).as_str(),
        deleted: latest.is_none(),
    }
}

/// `GET /ui/api/subjects?q=&match=prefix&context=&type=&deleted=&offset=&limit=`: one page of
/// matching subjects with their latest version, compatibility level and mode, and the total.
pub(crate) async fn api(State(ui): State<Shared>, access: Access, p: Params) -> Response {
    let st = ui.registry.snapshot();
    ok(&search(&ui, &st, &Search::from_params(&p), &access))
}

/// `GET /ui`: the list page (or, with `fragment=1`, only its results, for the search box).
pub(crate) async fn page(State(ui): State<Shared>, access: Access, p: Params) -> Response {
    let st = ui.registry.snapshot();
    let s = Search::from_params(&p);
    let found = search(&ui, &st, &s, &access);
    let results = results(&s, &found);
    if p.flag("fragment") || p.get("fragment") == Some("1") {
        return layout::fragment(results);
    }
    let contexts: Vec<&String> = st.contexts.keys().take(MAX_CONTEXTS).collect();
    let body = html! {
        h1 { "Subjects" }
        form.search id="subject-search" method="get" action="/ui" role="search" {
            div.field.grow {
                label for="q" { "Search subjects" }
                input type="search" id="q" name="q" value=(s.q) placeholder="name or part of it" autocomplete="off" autofocus;
            }
            div.field {
                label for="match" { "Match" }
                select id="match" name="match" {
                    option value="contains" selected[!s.prefix] { "contains" }
                    option value="prefix" selected[s.prefix] { "starts with" }
                }
            }
            div.field {
                label for="context" { "Context" }
                select id="context" name="context" {
                    option value="" selected[s.context.is_none()] { "all" }
                    @for c in &contexts {
                        option value=(c) selected[s.context.as_deref() == Some(c.as_str())] { (c) }
                    }
                }
            }
            div.field {
                label for="type" { "Type" }
                select id="type" name="type" {
                    option value="" { "any" }
                    @for t in SchemaType::supported() {
                        option value=(t.as_str()) selected[s.schema_type == Some(*t)] { (t.as_str()) }
                    }
                }
            }
            div.field.check {
                input type="checkbox" id="deleted" name="deleted" value="true" checked[s.deleted];
                label for="deleted" { "include deleted" }
            }
            button type="submit" { "Search" }
        }
        div id="results" aria-live="polite" { (results) }
    };
    layout::page("Subjects", Nav::Subjects, &access, body)
}

fn results(s: &Search, found: &Found) -> Markup {
    let first = if found.total == 0 { 0 } else { found.offset + 1 };
    let last = found.offset + found.subjects.len();
    html! {
        p.count id="count" data-total=(found.total) {
            @if found.total == 0 { "No subjects match." }
            @else { "Subjects " (first) "–" (last) " of " (found.total) }
        }
        @if !found.subjects.is_empty() {
            div.scroll {
                table.subjects {
                    thead { tr {
                        th scope="col" { "Subject" } th scope="col" { "Context" } th scope="col" { "Type" }
                        th scope="col" { "Versions" } th scope="col" { "Latest" } th scope="col" { "Id" }
                        th scope="col" { "Compatibility" } th scope="col" { "Mode" }
                    } }
                    tbody {
                        @for r in &found.subjects {
                            tr.deleted[r.deleted] {
                                td { a href=(subject_href(&r.subject)) { (r.name) }
                                     @if r.deleted { " " span.badge { "deleted" } } }
                                td { (r.context) }
                                td { (r.schema_type) }
                                td.num { (r.versions) }
                                td.num { @if let Some(v) = r.latest { (v) } }
                                td.num { @if let Some(i) = r.latest_id { (i) } }
                                td { (r.compatibility) }
                                td { (r.mode) }
                            }
                        }
                    }
                }
            }
        }
        nav.pager aria-label="Pages" {
            @if found.offset > 0 {
                a rel="prev" href={ "/ui?" (s.query(found.offset.saturating_sub(found.limit))) } { "← Previous" }
            }
            @if last < found.total {
                a rel="next" href={ "/ui?" (s.query(last)) } { "Next →" }
            }
        }
    }
}
