//! Two versions of a subject side by side, changed lines marked, with the compatibility verdict
//! between them from the registry's own engines (the messages a registration would answer).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};
use similar::{ChangeTag, TextDiff};

use super::layout::{self, Nav};
use super::{error_page, highlight, on_cpu, subject_href, Access, Shared};
use crate::api::Params;
use crate::error::ApiError;
use crate::registry::{RegisterRequest, Registry};
use crate::schema::{self, CompatibilityLevel, Previous};
use crate::state::{State as RegistryState, StoredSchema};
use crate::subject::QualifiedSubject;

/// Lines of one side of a diff row: (line number, text).
type Side = Option<(usize, String)>;

/// One row of the side-by-side view.
pub(crate) struct Row {
    pub tag: &'static str,
    pub old: Side,
    pub new: Side,
}

/// Side-by-side rows of a line diff (bounded in time for huge inputs).
pub(crate) fn rows(old: &str, new: &str) -> Vec<Row> {
    let diff = TextDiff::configure().timeout(Duration::from_secs(1)).diff_lines(old, new);
    let mut out = Vec::new();
    for group in diff.ops() {
        let changes: Vec<_> = diff.iter_changes(group).collect();
        let mut dels = Vec::new();
        let mut ins = Vec::new();
        let flush = |dels: &mut Vec<Side>, ins: &mut Vec<Side>, out: &mut Vec<Row>| {
            let n = dels.len().max(ins.len());
            for i in 0..n {
                let old = dels.get(i).cloned().flatten();
                let new = ins.get(i).cloned().flatten();
                let tag = match (&old, &new) {
                    (Some(_), Some(_)) => "changed",
                    (Some(_), None) => "removed",
                    _ => "added",
                };
                out.push(Row { tag, old, new });
            }
            dels.clear();
            ins.clear();
        };
        for c in changes {
            let text = c.value().trim_end_matches(['\n', '\r']).to_string();
            match c.tag() {
                ChangeTag::Equal => {
                    flush(&mut dels, &mut ins, &mut out);
                    out.push(Row {
                        tag: "same",
                        old: c.old_index().map(|i| (i + 1, text.clone())),
                        new: c.new_index().map(|i| (i + 1, text)),
                    });
                }
                ChangeTag::Delete => dels.push(c.old_index().map(|i| (i + 1, text))),
                ChangeTag::Insert => ins.push(c.new_index().map(|i| (i + 1, text))),
            }
        }
        flush(&mut dels, &mut ins, &mut out);
    }
    out
}

/// Parse a stored schema as the registry would (references resolved, normalization as the
/// subject's config says).
fn parse_stored(
    reg: &Registry,
    st: &RegistryState,
    q: &QualifiedSubject,
    s: &StoredSchema,
) -> Result<Arc<schema::ParsedSchema>, ApiError> {
    let req = RegisterRequest {
        schema: Some(s.schema.to_string()),
        schema_type: Some(s.schema_type.as_str().to_string()),
        references: Some(s.references.clone()),
        ..Default::default()
    };
    Ok(reg.prepare(st, q, &req, false)?.parsed)
}

/// Messages for `new` read against `old` at `level` (empty = compatible).
pub(crate) fn verdict(
    reg: &Registry,
    st: &RegistryState,
    q: &QualifiedSubject,
    old: (u32, &StoredSchema),
    new: &StoredSchema,
    levels: &[CompatibilityLevel],
) -> Result<Vec<(CompatibilityLevel, Vec<String>)>, ApiError> {
    let o = parse_stored(reg, st, q, old.1)?;
    let n = parse_stored(reg, st, q, new)?;
    let prev = [Previous { version: old.0, schema: &o }];
    Ok(levels.iter().map(|l| (*l, schema::check_compatibility(*l, &n, &prev))).collect())
}

const LEVELS: [CompatibilityLevel; 7] = [
    CompatibilityLevel::Backward,
    CompatibilityLevel::Forward,
    CompatibilityLevel::Full,
    CompatibilityLevel::None,
    CompatibilityLevel::BackwardTransitive,
    CompatibilityLevel::ForwardTransitive,
    CompatibilityLevel::FullTransitive,
];

/// `GET /ui/subjects/{subject}/diff?a=OLD&b=NEW&level=LEVEL`
pub(crate) async fn page(State(ui): State<Shared>, access: Access, Path(raw): Path<String>, p: Params) -> Response {
    let st = ui.registry.snapshot();
    let name = match super::subject::resolve(&st, &access, &raw) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    let Some(q) = QualifiedSubject::parse(&name) else {
        return error_page(StatusCode::NOT_FOUND, &access, &format!("Subject '{raw}' not found."));
    };
    let Some(entry) = st.subject(&name) else {
        return error_page(StatusCode::NOT_FOUND, &access, &format!("Subject '{raw}' not found."));
    };
    let pick = |k: &str| p.get(k).and_then(|v| v.trim().parse::<u32>().ok());
    let (Some(a), Some(b)) = (pick("a"), pick("b")) else {
        return error_page(StatusCode::BAD_REQUEST, &access, "Give two versions to compare: ?a=OLD&b=NEW.");
    };
    let (Some(va), Some(vb)) = (entry.versions.get(&a).cloned(), entry.versions.get(&b).cloned()) else {
        return error_page(StatusCode::NOT_FOUND, &access, &format!("Version {a} or {b} not found."));
    };
    let subject_level = ui.registry.compatibility_level(&st, &q);
    let level = p.get("level").and_then(CompatibilityLevel::parse).unwrap_or(subject_level);
    let reg = ui.registry.clone();
    let (st2, q2, sa, sb) = (st.clone(), q.clone(), va.schema.clone(), vb.schema.clone());
    // The transitive levels compare just these two here, as the non-transitive ones.
    let wanted = [level, CompatibilityLevel::Backward, CompatibilityLevel::Forward, CompatibilityLevel::Full];
    let work = on_cpu(&ui, move || {
        let verdicts = verdict(&reg, &st2, &q2, (a, &sa), &sb, &wanted);
        let old = highlight::pretty(sa.schema_type, &sa.schema);
        let new = highlight::pretty(sb.schema_type, &sb.schema);
        (verdicts, rows(&old, &new))
    })
    .await;
    let (verdicts, rows) = match work {
        Ok(w) => w,
        Err(e) => return error_page(StatusCode::SERVICE_UNAVAILABLE, &access, &e.message),
    };
    let changed = rows.iter().filter(|r| r.tag != "same").count();
    let body = html! {
        nav.crumbs aria-label="Breadcrumb" {
            a href="/ui" { "Subjects" } " / " a href=(subject_href(&name)) { (name) } " / " span { "diff" }
        }
        h1 { "v" (a) " → v" (b) }
        form.inline method="get" action={ (subject_href(&name)) "/diff" } {
            input type="hidden" name="a" value=(a);
            input type="hidden" name="b" value=(b);
            label for="level" { "Level" }
            select id="level" name="level" {
                @for l in LEVELS {
                    option value=(l.as_str()) selected[l == level] {
                        (l.as_str()) @if l == subject_level { " (subject's)" }
                    }
                }
            }
            button type="submit" { "Check" }
            " "
            a href={ (subject_href(&name)) "/diff?a=" (b) "&b=" (a) "&level=" (level.as_str()) } { "swap" }
        }
        (verdict_block(level, a, b, &verdicts))
        p.count { (changed) " changed lines" }
        div.scroll { (table(&rows)) }
    };
    layout::page(&format!("{name} v{a} → v{b}"), Nav::Subjects, &access, body)
}

fn verdict_block(
    level: CompatibilityLevel,
    a: u32,
    b: u32,
    verdicts: &Result<Vec<(CompatibilityLevel, Vec<String>)>, ApiError>,
) -> Markup {
    match verdicts {
        Err(e) => {
            html! { div.verdict.bad role="status" id="verdict" data-compatible="error" { "Cannot check: " (e.message) } }
        }
        Ok(list) => {
            let Some((_, messages)) = list.first() else { return html! {} };
            let ok = messages.is_empty();
            html! {
                div.verdict.good[ok].bad[!ok] role="status" id="verdict" data-compatible=(ok) {
                    strong { @if ok { "Compatible" } @else { "Incompatible" } }
                    " — v" (b) " against v" (a) " at " (level.as_str())
                    @if level.is_transitive() { " (this pair only)" }
                    @if !ok { ul.messages { @for m in messages { li { (m) } } } }
                }
                p.levels {
                    @for (l, m) in list.iter().skip(1) {
                        span.pill.good[m.is_empty()].bad[!m.is_empty()] { (l.as_str()) ": " @if m.is_empty() { "yes" } @else { "no" } } " "
                    }
                }
            }
        }
    }
}

fn table(rows: &[Row]) -> Markup {
    let cell = |side: &Side| match side {
        Some((n, t)) => html! { td.ln { (n) } td.text { code { (t) } } },
        None => html! { td.ln {} td.text {} },
    };
    html! {
        table.diff {
            thead { tr { th.ln scope="col" { span.sr { "line" } } th scope="col" { "Old" } th.ln scope="col" { span.sr { "line" } } th scope="col" { "New" } } }
            tbody {
                @for r in rows {
                    tr class=(r.tag) { (cell(&r.old)) (cell(&r.new)) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_pair_changes_side_by_side() {
        let r = rows("a\nb\nc\n", "a\nB\nc\nd\n");
        let tags: Vec<&str> = r.iter().map(|r| r.tag).collect();
        assert_eq!(tags, ["same", "changed", "same", "added"]);
        assert_eq!(r[1].old, Some((2, "b".into())));
        assert_eq!(r[1].new, Some((2, "B".into())));
        assert_eq!(r[3].old, None);
        assert_eq!(r[3].new, Some((4, "d".into())));
        let r = rows("x\ny\n", "x\n");
        assert_eq!(r[1].tag, "removed");
    }
}
