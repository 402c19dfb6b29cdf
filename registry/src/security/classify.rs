//! Which operation on which resource a request is, decided on the path the router will route
//! (after the `/contexts/{ctx}/…` rewrite) with path parameters percent-decoded as the handlers
//! see them. Static segments are compared undecoded, as the router compares them, so an encoded
//! `%73ubjects` is an unknown route here and there. Unknown routes need `admin` on `global`.

use axum::http::Method;
use percent_encoding::percent_decode_str;

use super::authz::{Operation, Resource};
use crate::subject;

/// A listing whose items are filtered to what the caller may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// `GET /subjects`: subject names.
    Subjects,
    /// `GET /schemas`: objects with a `subject`.
    Schemas,
    /// `GET /schemas/ids/{id}/subjects`: subject names.
    IdSubjects,
    /// `GET /schemas/ids/{id}/versions`: objects with a `subject`.
    IdVersions,
    /// `GET /contexts`: context names.
    Contexts,
    /// `GET /exporters`: exporter names.
    Exporters,
}

/// What a request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Any authenticated principal (liveness, metadata, schema types, global config/mode reads).
    Authenticated,
    /// One operation on one resource.
    Need(Operation, Resource),
    /// An operation on a subject named in the path: unqualified names the handler may resolve in
    /// another context, so the check covers every subject the name can resolve to.
    SubjectOp(Operation, String),
    /// Read on at least one subject using the schema id (in the context of `subject=`).
    SchemaId { id: String, context: String, listing: Option<Listing> },
    /// Read on at least one subject using a schema with this guid.
    Guid(String),
    /// A listing, filtered.
    List(Listing),
    /// `POST /exporters`: admin on the exporter named in the body.
    CreateExporter,
}

fn decode(seg: &str) -> String {
    percent_decode_str(seg).decode_utf8_lossy().into_owned()
}

/// The context a `subject=` query parameter selects, as the schema handlers read it.
fn context_param(query: &[(String, String)]) -> String {
    query
        .iter()
        .find(|(k, _)| k == "subject")
        .map(|(_, v)| v.as_str())
        .filter(|s| !s.is_empty())
        .and_then(subject::QualifiedSubject::parse)
        .map(|q| q.context)
        .unwrap_or_else(|| subject::DEFAULT_CONTEXT.to_string())
}

pub fn classify(method: &Method, path: &str, query: &[(String, String)]) -> Access {
    use Access::*;
    use Operation::*;
    let admin = Need(Admin, Resource::Global);
    let read = *method == Method::GET || *method == Method::HEAD;
    let segs: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    match segs.as_slice() {
        [""] => Authenticated,
        ["v1", "metadata", _] if read => Authenticated,
        ["schemas", "types"] if read => Authenticated,
        ["schemas"] if read => List(Listing::Schemas),
        ["schemas", "ids", id, rest @ ..] if read => {
            let listing = match rest {
                [] | ["schema"] => None,
                ["subjects"] => Some(Listing::IdSubjects),
                ["versions"] => Some(Listing::IdVersions),
                _ => return admin,
            };
            SchemaId { id: decode(id), context: context_param(query), listing }
        }
        ["schemas", "guids", guid] | ["schemas", "guids", guid, "ids"] if read => Guid(decode(guid)),
        ["subjects"] if read => List(Listing::Subjects),
        ["subjects", s, rest @ ..] => subject_access(method, read, s, rest),
        ["compatibility", "subjects", s, "versions", ..] if *method == Method::POST => SubjectOp(Read, decode(s)),
        ["config"] | ["mode"] if read => Authenticated,
        ["config"] if *method == Method::PUT || *method == Method::DELETE => Need(Config, Resource::Global),
        ["mode"] if *method == Method::PUT || *method == Method::DELETE => admin,
        [kind @ ("config" | "mode"), s] => settings_access(method, read, kind, s),
        ["contexts"] if read => List(Listing::Contexts),
        ["contexts", c] if *method == Method::DELETE => {
            let c = decode(c);
            Need(Admin, Resource::Context(subject::parse_context(&c).unwrap_or(c)))
        }
        ["exporters"] if read => List(Listing::Exporters),
        ["exporters"] if *method == Method::POST => CreateExporter,
        ["exporters", name, ..] => Need(Admin, Resource::Exporter(decode(name))),
        ["lockstep", "changes"] if read => Need(Read, Resource::Global),
        // Clients that decrypt read a subject's DEKs and the KEK that wraps them (no key
        // material: Lockstep never returns it); KEK writes and key deletes are admin.
        ["dek-registry", "v1", "keks", _, "deks", s, ..] if read => {
            // A DEK's subject is a literal name, not resolved against the registry's subjects.
            let s = decode(s);
            Need(Read, Resource::Subject(subject::normalize(&s).unwrap_or(s)))
        }
        ["dek-registry", "v1", "keks", ..] if read => Authenticated,
        // Producers create their subject's DEK on first use: write on it (the handler checks
        // the subject of the form with the subject in the body).
        ["dek-registry", "v1", "keks", _, "deks", s] if *method == Method::POST => {
            let s = decode(s);
            Need(Write, Resource::Subject(subject::normalize(&s).unwrap_or(s)))
        }
        ["dek-registry", "v1", "keks", _, "deks"] if *method == Method::POST => Authenticated,
        ["dek-registry", ..] => admin,
        ["ui", ..] if read => Authenticated,
        // The console's compatibility check at a chosen level: a read, like POST /compatibility.
        ["ui", "api", "check", s] if *method == Method::POST => SubjectOp(Read, decode(s)),
        _ => admin,
    }
}

/// `/subjects/{s}/…`: read, lookup, register, tag and delete on the subject.
fn subject_access(method: &Method, read: bool, s: &str, rest: &[&str]) -> Access {
    use Access::*;
    use Operation::*;
    let s = decode(s);
    let op = match (method.clone(), rest) {
        (_, _) if read => Read,
        (Method::POST, []) => Read, // lookup
        (Method::POST, ["versions"]) => Write,
        (Method::POST, ["versions", _, "tags"]) => Write,
        (Method::DELETE, [] | ["versions", _]) => Delete,
        _ => return Need(Admin, Resource::Global),
    };
    if op == Write {
        Need(Write, Resource::Subject(subject::normalize(&s).unwrap_or(s)))
    } else {
        SubjectOp(op, s)
    }
}

/// `/config/{s}` and `/mode/{s}`: read, or set/delete the subject's (or context's) setting.
fn settings_access(method: &Method, read: bool, kind: &str, s: &str) -> Access {
    use Access::*;
    use Operation::*;
    let admin = Need(Admin, Resource::Global);
    let scope = Resource::scope(&decode(s));
    if read {
        match scope {
            Resource::Subject(s) => SubjectOp(Read, s),
            other => Need(Read, other),
        }
    } else if *method == Method::PUT || *method == Method::DELETE {
        let op = if kind == "config" { Config } else { Mode };
        // The root mode through `:.:` is still the root mode: admin, as `/mode`.
        if op == Mode && scope == Resource::Global {
            admin
        } else {
            Need(op, scope)
        }
    } else {
        admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(m: Method, p: &str) -> Access {
        classify(&m, p, &[])
    }

    #[test]
    fn routes_map_to_operations() {
        use Access::*;
        assert_eq!(c(Method::GET, "/subjects/a%2Fb/versions"), SubjectOp(Operation::Read, "a/b".into()));
        assert_eq!(
            c(Method::POST, "/subjects/:.:orders/versions"),
            Need(Operation::Write, Resource::Subject("orders".into()))
        );
        assert_eq!(c(Method::DELETE, "/subjects/x/versions/1"), SubjectOp(Operation::Delete, "x".into()));
        assert_eq!(c(Method::PUT, "/config"), Need(Operation::Config, Resource::Global));
        assert_eq!(c(Method::PUT, "/config/%3A.eu%3A"), Need(Operation::Config, Resource::Context(".eu".into())));
        assert_eq!(c(Method::PUT, "/mode"), Need(Operation::Admin, Resource::Global));
        assert_eq!(c(Method::PUT, "/mode/:.:"), Need(Operation::Admin, Resource::Global));
        assert_eq!(c(Method::PUT, "/mode/x"), Need(Operation::Mode, Resource::Subject("x".into())));
        assert_eq!(c(Method::GET, "/dek-registry/v1/keks"), Authenticated);
        assert_eq!(
            c(Method::GET, "/dek-registry/v1/keks/k/deks/orders-value/versions/1"),
            Need(Operation::Read, Resource::Subject("orders-value".into()))
        );
        assert_eq!(c(Method::POST, "/dek-registry/v1/keks/k/deks"), Authenticated);
        assert_eq!(
            c(Method::POST, "/dek-registry/v1/keks/k/deks/orders-value"),
            Need(Operation::Write, Resource::Subject("orders-value".into()))
        );
        assert_eq!(
            c(Method::POST, "/dek-registry/v1/keks/k/deks/s/undelete"),
            Need(Operation::Admin, Resource::Global)
        );
        assert_eq!(c(Method::DELETE, "/dek-registry/v1/keks/k"), Need(Operation::Admin, Resource::Global));
        assert_eq!(c(Method::GET, "/%73ubjects"), Need(Operation::Admin, Resource::Global));
        assert_eq!(c(Method::PATCH, "/subjects/x"), Need(Operation::Admin, Resource::Global));
        assert_eq!(c(Method::PUT, "/exporters/e1/pause"), Need(Operation::Admin, Resource::Exporter("e1".into())));
        assert_eq!(c(Method::POST, "/ui/api/check/a%2Fb"), SubjectOp(Operation::Read, "a/b".into()));
        assert_eq!(c(Method::POST, "/ui/subjects"), Need(Operation::Admin, Resource::Global));
        assert_eq!(
            classify(&Method::GET, "/schemas/ids/3", &[("subject".into(), ":.eu:".into())]),
            SchemaId { id: "3".into(), context: ".eu".into(), listing: None }
        );
    }
}
