//! URIs and JSON pointers.
//!
//! Reference resolution stays hand-written (RFC 3986 §5.2 as written): `fluent-uri`, the URI crate
//! already in the tree, deliberately deviates from it (it removes percent-encoded dot segments,
//! refuses bases with a fragment or an opaque path, and refuses references this resolver takes
//! as written), and `url` follows WHATWG rules; either would change which `$ref` finds which
//! schema. JSON pointers walk our own JSON model (`JVal`, which keeps key order and number text),
//! which pointer crates for `serde_json::Value` cannot.

use super::*;

pub(super) struct UriParts<'a> {
    pub(super) scheme: Option<&'a str>,
    pub(super) authority: Option<&'a str>,
    pub(super) path: &'a str,
    pub(super) query: Option<&'a str>,
    pub(super) fragment: Option<&'a str>,
}

pub(super) fn split_uri(s: &str) -> UriParts<'_> {
    let (rest, fragment) = match s.find('#') {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    let (rest, query) = match rest.find('?') {
        Some(p) => (&rest[..p], Some(&rest[p + 1..])),
        None => (rest, None),
    };
    let mut scheme = None;
    let mut rest = rest;
    if let Some(p) = rest.find(':') {
        let cand = &rest[..p];
        if !cand.is_empty()
            && cand.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && cand.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            scheme = Some(cand);
            rest = &rest[p + 1..];
        }
    }
    let (authority, path) = match rest.strip_prefix("//") {
        Some(r) => match r.find('/') {
            Some(p) => (Some(&r[..p]), &r[p..]),
            None => (Some(r), ""),
        },
        None => (None, rest),
    };
    UriParts { scheme, authority, path, query, fragment }
}

pub(super) fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let absolute = path.starts_with('/');
    let segs: Vec<&str> = path.split('/').collect();
    let n = segs.len();
    for (i, seg) in segs.iter().enumerate() {
        match *seg {
            "." => {
                if i == n - 1 {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > usize::from(absolute) {
                    out.pop();
                }
                if i == n - 1 {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if absolute && !joined.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// RFC 3986 §5.2 reference resolution (enough for `$id`/`$ref` handling).
pub(super) fn resolve_uri(base: &str, reference: &str) -> String {
    let r = split_uri(reference);
    let b = split_uri(base);
    let (scheme, authority, path, query);
    if r.scheme.is_some() || r.authority.is_some() {
        // The reference names its own authority (and scheme, or the base's).
        scheme = r.scheme.or(b.scheme);
        authority = r.authority;
        path = remove_dot_segments(r.path);
        query = r.query;
    } else {
        scheme = b.scheme;
        authority = b.authority;
        if r.path.is_empty() {
            path = b.path.to_string();
            query = if r.query.is_some() { r.query } else { b.query };
        } else {
            if r.path.starts_with('/') {
                path = remove_dot_segments(r.path);
            } else {
                let merged = if b.authority.is_some() && b.path.is_empty() {
                    format!("/{}", r.path)
                } else {
                    match b.path.rfind('/') {
                        Some(p) => format!("{}{}", &b.path[..=p], r.path),
                        None => r.path.to_string(),
                    }
                };
                path = remove_dot_segments(&merged);
            }
            query = r.query;
        }
    }
    let mut out = String::new();
    if let Some(s) = scheme {
        out.push_str(s);
        out.push(':');
    }
    if let Some(a) = authority {
        out.push_str("//");
        out.push_str(a);
    }
    out.push_str(&path);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = r.fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

pub(super) fn strip_fragment(uri: &str) -> &str {
    match uri.find('#') {
        Some(p) => &uri[..p],
        None => uri,
    }
}

/// Percent-decoding of a fragment (invalid escapes stay as written, bytes that are not UTF-8 are
/// replaced), by the `percent-encoding` crate.
pub(super) fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

pub(super) fn escape_token(t: &str) -> String {
    t.replace('~', "~0").replace('/', "~1")
}

pub(super) fn unescape_token(t: &str) -> String {
    t.replace("~1", "/").replace("~0", "~")
}

pub(super) fn child_ptr(ptr: &str, token: &str) -> String {
    format!("{ptr}/{}", escape_token(token))
}

pub(super) fn pointer_get<'v>(root: &'v JVal, tokens: &[String]) -> Option<&'v JVal> {
    let mut cur = root;
    for t in tokens {
        cur = match cur {
            JVal::Obj(_) => cur.get(t)?,
            JVal::Arr(items) => {
                if t.len() > 1 && t.starts_with('0') {
                    return None;
                }
                items.get(t.parse::<usize>().ok()?)?
            }
            _ => return None,
        };
    }
    Some(cur)
}
