//! The page frame every console page shares: head, navigation, security headers.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

use super::Access;

/// Which navigation entry is current.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Subjects,
    Playground,
    Settings,
    Links,
    Replication,
    None,
}

const ENTRIES: [(Nav, &str, &str); 5] = [
    (Nav::Subjects, "/ui", "Subjects"),
    (Nav::Playground, "/ui/playground", "Compatibility"),
    (Nav::Settings, "/ui/settings", "Config & mode"),
    (Nav::Links, "/ui/links", "Links"),
    (Nav::Replication, "/ui/replication", "Replication"),
];

/// A whole page: `body` inside the frame, as an HTML response that may not be framed, cached or
/// run inline scripts.
pub(crate) fn page(title: &str, nav: Nav, access: &Access, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · Lockstep" }
                link rel="stylesheet" href="/ui/assets/console.css";
                script src="/ui/assets/console.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/ui" { "Lockstep" }
                    nav aria-label="Console" {
                        ul {
                            @for (n, href, label) in ENTRIES {
                                li {
                                    @if n == nav {
                                        a href=(href) aria-current="page" { (label) }
                                    } @else {
                                        a href=(href) { (label) }
                                    }
                                }
                            }
                        }
                    }
                    @if let Some(user) = access.user() {
                        span.user title="Signed in as" { (user) }
                    }
                }
                main id="main" tabindex="-1" { (body) }
            }
        }
    };
    html_response(markup.into_string())
}

/// An HTML fragment (the subject list's rows, fetched as the user types).
pub(crate) fn fragment(markup: Markup) -> Response {
    html_response(markup.into_string())
}

fn html_response(body: String) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    r
}
