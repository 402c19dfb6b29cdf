//! Pretty-printing and syntax highlighting of schemas: Avro and JSON Schema as indented JSON,
//! Protobuf as `.proto` text. Output is escaped HTML with `<span class="t-…">` tokens.

use std::fmt::Write as _;

use maud::{Markup, PreEscaped};
use serde_json::Value;

use crate::schema::SchemaType;

/// The text shown (and diffed) for a schema: indented JSON for Avro and JSON Schema (the stored
/// text when it is not JSON), the stored text for Protobuf.
pub(crate) fn pretty(schema_type: SchemaType, text: &str) -> String {
    match schema_type {
        SchemaType::Protobuf => text.to_string(),
        _ => match serde_json::from_str::<Value>(text) {
            Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| text.to_string()),
            Err(_) => text.to_string(),
        },
    }
}

/// Highlighted HTML of pretty-printed schema text.
pub(crate) fn highlight(schema_type: SchemaType, pretty: &str) -> Markup {
    let mut out = String::with_capacity(pretty.len() * 2);
    match schema_type {
        SchemaType::Protobuf => proto(pretty, &mut out),
        _ => json(pretty, &mut out),
    }
    PreEscaped(out)
}

/// Highlighted HTML of any JSON value (metadata, rule sets).
pub(crate) fn json_value(v: &Value) -> Markup {
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    let mut out = String::with_capacity(text.len() * 2);
    json(&text, &mut out);
    PreEscaped(out)
}

pub(crate) fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

fn span(class: &str, text: &str, out: &mut String) {
    let _ = write!(out, "<span class=\"t-{class}\">");
    escape_into(text, out);
    out.push_str("</span>");
}

/// JSON text (already indented) tokenized: keys, strings, numbers, literals, punctuation.
fn json(text: &str, out: &mut String) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
            let s = &text[start..i];
            // A key is a string followed by a colon.
            let rest = text[i..].trim_start_matches([' ', '\t']);
            span(if rest.starts_with(':') { "key" } else { "str" }, s, out);
        } else if c == b'-' || c.is_ascii_digit() {
            let start = i;
            while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                i += 1;
            }
            span("num", &text[start..i], out);
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            span("lit", &text[start..i], out);
        } else if matches!(c, b'{' | b'}' | b'[' | b']' | b':' | b',') {
            span("punct", &text[i..i + 1], out);
            i += 1;
        } else {
            // Whitespace and anything else, up to the next interesting byte (UTF-8 safe: all
            // the bytes looked for are ASCII).
            let start = i;
            i += 1;
            while i < b.len()
                && !matches!(b[i], b'"' | b'-' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
                && !matches!(b[i], b'{' | b'}' | b'[' | b']' | b':' | b',')
            {
                i += 1;
            }
            escape_into(&text[start..i], out);
        }
    }
}

const PROTO_KEYWORDS: &[&str] = &[
    "syntax",
    "edition",
    "package",
    "import",
    "public",
    "weak",
    "option",
    "message",
    "enum",
    "service",
    "rpc",
    "returns",
    "stream",
    "oneof",
    "map",
    "repeated",
    "optional",
    "required",
    "reserved",
    "extensions",
    "extend",
    "to",
    "max",
    "group",
];
const PROTO_TYPES: &[&str] = &[
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32",
    "sfixed64", "bool", "string", "bytes",
];

/// `.proto` text tokenized: comments, strings, keywords, scalar types, numbers.
fn proto(text: &str, out: &mut String) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
            span("comment", &text[i..end], out);
            i = end;
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let end = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            span("comment", &text[i..end], out);
            i = end;
        } else if c == b'"' || c == b'\'' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != c && b[i] != b'\n' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
            span("str", &text[start..i], out);
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            span("num", &text[start..i], out);
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            let word = &text[start..i];
            if PROTO_KEYWORDS.contains(&word) {
                span("key", word, out);
            } else if PROTO_TYPES.contains(&word) {
                span("type", word, out);
            } else if word == "true" || word == "false" {
                span("lit", word, out);
            } else {
                escape_into(word, out);
            }
        } else {
            let start = i;
            i += 1;
            while i < b.len() && !(b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'"' | b'\'' | b'/')) {
                i += 1;
            }
            escape_into(&text[start..i], out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_indented_highlighted_and_escaped() {
        let p = pretty(
            SchemaType::Avro,
            r#"{"type":"record","name":"<x>","fields":[{"name":"a","type":"long","default":-1}]}"#,
        );
        assert!(p.contains("\n  \"type\": \"record\""), "{p}");
        let h = highlight(SchemaType::Avro, &p).into_string();
        assert!(h.contains(r#"<span class="t-key">&quot;type&quot;</span>"#), "{h}");
        assert!(h.contains(r#"<span class="t-str">&quot;&lt;x&gt;&quot;</span>"#), "{h}");
        assert!(h.contains(r#"<span class="t-num">-1</span>"#), "{h}");
        assert!(!h.contains("<x>"));
    }

    #[test]
    fn proto_keywords_types_comments() {
        let src = "syntax = \"proto3\";\n// a <b>\nmessage M {\n  int64 id = 1;\n  Other o = 2;\n}\n";
        let h = highlight(SchemaType::Protobuf, &pretty(SchemaType::Protobuf, src)).into_string();
        assert!(h.contains(r#"<span class="t-key">syntax</span>"#), "{h}");
        assert!(h.contains(r#"<span class="t-str">&quot;proto3&quot;</span>"#), "{h}");
        assert!(h.contains(r#"<span class="t-comment">// a &lt;b&gt;</span>"#), "{h}");
        assert!(h.contains(r#"<span class="t-type">int64</span>"#), "{h}");
        assert!(h.contains(r#"<span class="t-num">1</span>"#), "{h}");
        assert!(h.contains("Other o"), "{h}");
    }

    #[test]
    fn broken_input_never_panics() {
        for s in ["\"unterminated", "{\"a\\", "/* open", "'x", "é\"ü", "\u{0}"] {
            let _ = highlight(SchemaType::Json, s);
            let _ = highlight(SchemaType::Protobuf, s);
        }
    }
}
