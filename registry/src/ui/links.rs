//! Links: every exporter (Schema Linking) with its state, position against this registry's
//! change feed, lag, counts and last error, and pause / resume / reset buttons. The table is
//! filled by the browser from the `/exporters` REST API (`GET /exporters`, `…/{name}`,
//! `…/{name}/status`, `PUT …/pause|resume|reset`) with the user's own credentials, so the
//! exporters a user sees and may act on are exactly what the API allows them.

use axum::extract::State;
use axum::response::Response;
use maud::html;

use super::layout::{self, Nav};
use super::{Access, Shared};

/// `GET /ui/links`
pub(crate) async fn page(State(ui): State<Shared>, access: Access) -> Response {
    let position = ui.registry.snapshot().position;
    let body = html! {
        h1 { "Links" }
        p.note {
            "Exporters of this registry. The source position is this registry's change-feed offset ("
            span id="source-position" data-position=(position) { (position) }
            " when the page was served); an exporter's lag is how far behind it its last export is."
        }
        div.toolbar {
            button id="links-refresh" type="button" { "Refresh" }
            label.check { input type="checkbox" id="links-auto" checked; " refresh every 5 s" }
        }
        div id="links" data-source-position=(position) aria-live="polite" {
            p.note id="links-status" { "Loading exporters…" }
            div.scroll {
                table.links hidden {
                    thead { tr {
                        th scope="col" { "Exporter" } th scope="col" { "State" } th scope="col" { "Destination" }
                        th scope="col" { "Context" } th scope="col" { "Subjects" } th scope="col" { "Exported offset" }
                        th scope="col" { "Lag" } th scope="col" { "Counts" } th scope="col" { "Last error" }
                        th scope="col" { "Actions" }
                    } }
                    tbody {}
                }
            }
        }
    };
    layout::page("Links", Nav::Links, &access, body)
}
