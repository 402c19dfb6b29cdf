//! Config and mode of the root, a context or a subject: what is set there, what is in force, and
//! forms that change them through `PUT`/`DELETE /config[/{scope}]` and `/mode[/{scope}]` (the
//! browser calls the REST API with the user's own credentials; the forms are disabled when the
//! rules would refuse).

use axum::extract::State;
use axum::response::Response;
use maud::{html, Markup};

use super::layout::{self, Nav};
use super::{highlight, path_encode, query_encode, subject_href, Access, Shared};
use crate::api::Params;
use crate::security::{Operation, Resource};
use crate::state::{ScopeKey, State as RegistryState};
use crate::subject::{QualifiedSubject, DEFAULT_CONTEXT};

/// Scopes with settings listed at once.
const MAX_SCOPES: usize = 200;

const LEVELS: [&str; 7] =
    ["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"];
const MODES: [&str; 4] = ["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"];

/// The scope a `scope=` parameter names: empty or `:.:` = the root, `:.ctx:` = a context, else a
/// subject (qualified as the state keys it).
fn scope_of(raw: &str) -> Option<(ScopeKey, Option<QualifiedSubject>)> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Some((None, None));
    }
    let q = QualifiedSubject::parse(raw)?;
    if q.name.is_empty() {
        return Some((q.context_key(), Some(q)));
    }
    Some((Some(q.qualified()), Some(q)))
}

fn describe(scope: &ScopeKey) -> String {
    match scope {
        None => "the root (global)".into(),
        Some(s) if s.ends_with(':') => format!("context {}", s.trim_matches(':')),
        Some(s) => format!("subject {s}"),
    }
}

/// Which scope of the chain holds the record in force.
fn source_of<T>(chain: &[ScopeKey], has: impl Fn(&ScopeKey) -> Option<T>) -> Option<(ScopeKey, T)> {
    chain.iter().find_map(|k| has(k).map(|v| (k.clone(), v)))
}

/// `GET /ui/settings?scope=SCOPE`
pub(crate) async fn page(State(ui): State<Shared>, access: Access, p: Params) -> Response {
    let st = ui.registry.snapshot();
    let raw = p.get("scope").unwrap_or("").to_string();
    let Some((scope, q)) = scope_of(&raw) else {
        return super::error_page(axum::http::StatusCode::BAD_REQUEST, &access, &format!("'{raw}' is not a scope."));
    };
    // A subject scope shows only to callers who may read that subject.
    if let Some(q) = q.as_ref().filter(|q| !q.name.is_empty()) {
        if !access.may_read(&q.qualified()) {
            return super::error_page(
                axum::http::StatusCode::FORBIDDEN,
                &access,
                &format!("You may not read subject '{}'.", q.qualified()),
            );
        }
    }
    let segment = scope.as_deref().map(path_encode);
    let config_url = segment.as_ref().map_or("/config".to_string(), |s| format!("/config/{s}"));
    let mode_url = segment.as_ref().map_or("/mode".to_string(), |s| format!("/mode/{s}"));
    let resource = scope.as_deref().map_or(Resource::Global, Resource::scope);
    let may_config = access.may(Operation::Config, &resource);
    let may_mode = if resource == Resource::Global {
        access.may(Operation::Admin, &Resource::Global)
    } else {
        access.may(Operation::Mode, &resource)
    };
    let chain = RegistryState::scope_chain(q.as_ref());
    let own_config = st.configs.get(&scope).map(|c| c.value.clone());
    let own_level = own_config.as_ref().and_then(|c| c.get("compatibilityLevel")).and_then(|v| v.as_str());
    let level_from = source_of(&chain, |k| {
        st.configs.get(k).and_then(|c| c.value.get("compatibilityLevel").and_then(|v| v.as_str()).map(str::to_string))
    });
    let level = match q.as_ref().filter(|q| !q.name.is_empty()) {
        Some(q) => ui.registry.compatibility_level(&st, q).as_str().to_string(),
        None => {
            level_from.as_ref().map_or(ui.registry.config.default_compatibility.as_str().to_string(), |l| l.1.clone())
        }
    };
    let own_mode = st.modes.get(&scope).map(|m| m.value.as_str());
    let mode = st.effective_mode(q.as_ref()).as_str();
    let mode_from = source_of(&chain, |k| st.modes.get(k).map(|m| m.value));
    let body = html! {
        h1 { "Config & mode" }
        (scope_picker(&st, &raw))
        h2 id="scope-h" { (describe(&scope)) }
        @if let Some(q) = q.as_ref().filter(|q| !q.name.is_empty()) {
            p { a href=(subject_href(&q.qualified())) { "Open the subject" } }
        }
        div.columns {
            (setting_card(
                ("compat-h", "Compatibility", "level"),
                (level.as_str(), level_from.as_ref().map_or("the server default".to_string(), |(k, _)| describe(k)), own_level),
                edit_form("config", &config_url, "compatibility", &LEVELS, own_level, may_config),
                html! {
                    @if let Some(c) = &own_config {
                        details { summary { "All fields set here" } pre.code { code { (highlight::json_value(&serde_json::Value::Object((**c).clone()))) } } }
                    }
                },
            ))
            (setting_card(
                ("mode-h", "Mode", "mode"),
                (mode, mode_from.as_ref().map_or("the default (READWRITE)".to_string(), |(k, _)| describe(k)), own_mode),
                edit_form("mode", &mode_url, "mode", &MODES, own_mode, may_mode),
                html! {},
            ))
        }
        (scopes_with_settings(&st))
    };
    layout::page("Config & mode", Nav::Settings, &access, body)
}

/// One setting's card: `(heading id, title, id prefix)`, then `(in force, where from, set here)`,
/// the form that changes it and anything shown below the form.
fn setting_card(names: (&str, &str, &str), facts: (&str, String, Option<&str>), form: Markup, extra: Markup) -> Markup {
    let (heading, title, prefix) = names;
    let (in_force, from, here) = facts;
    html! {
        section.card aria-labelledby=(heading) {
            h3 id=(heading) { (title) }
            dl.facts {
                dt { "In force" } dd id=(format!("{prefix}-in-force")) { (in_force) }
                dt { "From" } dd { (from) }
                dt { "Set here" } dd id=(format!("{prefix}-here")) { (here.unwrap_or("—")) }
            }
            (form)
            (extra)
        }
    }
}

fn edit_form(kind: &str, url: &str, field: &str, values: &[&str], current: Option<&str>, allowed: bool) -> Markup {
    let id = format!("{kind}-value");
    html! {
        form.edit id={ (kind) "-form" } data-url=(url) data-field=(field) {
            fieldset disabled[!allowed] {
                legend.sr { "Change " (kind) }
                label for=(id) { "New value" }
                select id=(id) {
                    @for v in values { option value=(v) selected[current == Some(*v)] { (v) } }
                }
                button type="submit" { "Save" }
                button type="button" data-action="delete" { "Remove here" }
            }
            @if !allowed { p.note { "Your account may not change this." } }
            p.result role="status" aria-live="polite" {}
        }
    }
}

fn scope_picker(st: &RegistryState, raw: &str) -> Markup {
    let contexts: Vec<&String> =
        st.contexts.keys().filter(|c| c.as_str() != DEFAULT_CONTEXT).take(MAX_SCOPES).collect();
    html! {
        form.search method="get" action="/ui/settings" {
            div.field.grow {
                label for="scope" { "Scope (empty = root, :.ctx: = a context, or a subject)" }
                input id="scope" name="scope" value=(raw) autocomplete="off";
            }
            button type="submit" { "Show" }
        }
        p.scopes {
            a href="/ui/settings" { "root" }
            @for c in contexts { " · " a href={ "/ui/settings?scope=" (query_encode(&format!(":{c}:"))) } { "context " (c) } }
        }
    }
}

/// Scopes that have a config or a mode of their own.
fn scopes_with_settings(st: &RegistryState) -> Markup {
    let mut keys: Vec<&ScopeKey> = st.configs.keys().chain(st.modes.keys()).collect();
    keys.sort();
    keys.dedup();
    let more = keys.len() > MAX_SCOPES;
    html! {
        section aria-labelledby="set-h" {
            h3 id="set-h" { "Scopes with their own settings" }
            @if keys.is_empty() { p.note { "None: everything follows the server default." } }
            ul.refs {
                @for k in keys.iter().take(MAX_SCOPES) {
                    li { a href={ "/ui/settings?scope=" (query_encode(k.as_deref().unwrap_or(""))) } { (describe(k)) } }
                }
            }
            @if more { p.note { "Showing the first " (MAX_SCOPES) "." } }
        }
    }
}
