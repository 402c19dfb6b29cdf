//! Protobuf schemas sent as a base64-encoded `FileDescriptorProto` (what Confluent's Python
//! `ProtobufSerializer` registers). Confluent accepts that form and stores `.proto` text; this
//! module prints the descriptor back as `.proto` text, which then goes through the ordinary
//! parser and canonical printer.

use std::collections::HashMap;
use std::fmt::Write;

use base64::Engine;
use prost::Message;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto};

/// `.proto` text for a base64 `FileDescriptorProto`, or None when `text` is not one.
pub fn base64_descriptor_to_proto(text: &str) -> Option<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.contains(|c: char| c.is_whitespace() || c == '{' || c == ';') {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(trimmed).ok()?;
    let file = FileDescriptorProto::decode(bytes.as_slice()).ok()?;
    (file.name.is_some() || !file.message_type.is_empty() || !file.enum_type.is_empty()).then(|| print_file(&file))
}

fn print_file(f: &FileDescriptorProto) -> String {
    let proto3 = f.syntax.as_deref() == Some("proto3");
    let mut out = String::new();
    let _ = writeln!(out, "syntax = \"{}\";", if proto3 { "proto3" } else { "proto2" });
    if let Some(p) = f.package.as_deref().filter(|p| !p.is_empty()) {
        let _ = writeln!(out, "package {p};");
    }
    for (i, dep) in f.dependency.iter().enumerate() {
        let public = f.public_dependency.contains(&(i as i32));
        let _ = writeln!(out, "import {}\"{dep}\";", if public { "public " } else { "" });
    }
    if let Some(o) = &f.options {
        let mut opt = |name: &str, v: Option<String>| {
            if let Some(v) = v {
                let _ = writeln!(out, "option {name} = {v};");
            }
        };
        opt("java_package", o.java_package.as_ref().map(|s| quote(s)));
        opt("java_outer_classname", o.java_outer_classname.as_ref().map(|s| quote(s)));
        opt("java_multiple_files", o.java_multiple_files.map(|b| b.to_string()));
        opt("go_package", o.go_package.as_ref().map(|s| quote(s)));
        opt("csharp_namespace", o.csharp_namespace.as_ref().map(|s| quote(s)));
    }
    let prefix = f.package.as_deref().filter(|p| !p.is_empty()).map(|p| format!(".{p}")).unwrap_or_default();
    for m in &f.message_type {
        print_message(&mut out, m, &prefix, proto3, 0);
    }
    for e in &f.enum_type {
        print_enum(&mut out, e, 0);
    }
    for s in &f.service {
        let _ = writeln!(out, "service {} {{", s.name());
        for m in &s.method {
            let cs = if m.client_streaming() { "stream " } else { "" };
            let ss = if m.server_streaming() { "stream " } else { "" };
            let _ = writeln!(out, "  rpc {} ({cs}{}) returns ({ss}{});", m.name(), m.input_type(), m.output_type());
        }
        out.push_str("}\n");
    }
    out
}

fn quote(s: &str) -> String {
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(q, "\\{:03o}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

fn type_of(f: &FieldDescriptorProto) -> String {
    super::scalar_type_name(f.r#type() as i32).map(str::to_string).unwrap_or_else(|| f.type_name().to_string())
}

fn indent(depth: usize) -> String {
    "  ".repeat(depth)
}

fn print_message(out: &mut String, m: &DescriptorProto, scope: &str, proto3: bool, depth: usize) {
    if depth > 64 {
        return;
    }
    let full = format!("{scope}.{}", m.name());
    let pad = indent(depth);
    let _ = writeln!(out, "{pad}message {} {{", m.name());
    // Map entry types become `map<K, V>` on the fields that use them.
    let maps: HashMap<String, (String, String)> = m
        .nested_type
        .iter()
        .filter(|n| n.options.as_ref().and_then(|o| o.map_entry).unwrap_or(false))
        .filter_map(|n| {
            let k = n.field.iter().find(|f| f.number() == 1)?;
            let v = n.field.iter().find(|f| f.number() == 2)?;
            Some((format!("{full}.{}", n.name()), (type_of(k), type_of(v))))
        })
        .collect();
    let field_line = |f: &FieldDescriptorProto, in_oneof: bool| field_line(f, &maps, in_oneof, proto3);
    let inner = indent(depth + 1);
    let real_oneof = |f: &FieldDescriptorProto| f.oneof_index.filter(|_| !f.proto3_optional());
    let mut printed_oneofs = Vec::new();
    for f in &m.field {
        match real_oneof(f) {
            None => {
                let _ = writeln!(out, "{inner}{}", field_line(f, false));
            }
            Some(i) if !printed_oneofs.contains(&i) => {
                printed_oneofs.push(i);
                let name = m.oneof_decl.get(i as usize).map(|o| o.name()).unwrap_or("oneof_field");
                let _ = writeln!(out, "{inner}oneof {name} {{");
                for g in m.field.iter().filter(|g| real_oneof(g) == Some(i)) {
                    let _ = writeln!(out, "{inner}  {}", field_line(g, true));
                }
                let _ = writeln!(out, "{inner}}}");
            }
            Some(_) => {}
        }
    }
    for n in m.nested_type.iter().filter(|n| !maps.contains_key(&format!("{full}.{}", n.name()))) {
        print_message(out, n, &full, proto3, depth + 1);
    }
    for e in &m.enum_type {
        print_enum(out, e, depth + 1);
    }
    for r in &m.reserved_range {
        let (a, b) = (r.start(), r.end() - 1);
        if a == b {
            let _ = writeln!(out, "{inner}reserved {a};");
        } else {
            let _ = writeln!(out, "{inner}reserved {a} to {b};");
        }
    }
    if !m.reserved_name.is_empty() {
        let names: Vec<String> = m.reserved_name.iter().map(|n| quote(n)).collect();
        let _ = writeln!(out, "{inner}reserved {};", names.join(", "));
    }
    for r in &m.extension_range {
        let _ = writeln!(out, "{inner}extensions {} to {};", r.start(), r.end() - 1);
    }
    let _ = writeln!(out, "{pad}}}");
}

/// One field's line (no indent): `map<K, V>` for map entries, the label proto2/proto3 print, and
/// the options `default`, `packed` and `deprecated`.
fn field_line(
    f: &FieldDescriptorProto,
    maps: &HashMap<String, (String, String)>,
    in_oneof: bool,
    proto3: bool,
) -> String {
    if let Some((k, v)) = maps.get(f.type_name()) {
        return format!("map<{k}, {v}> {} = {};", f.name(), f.number());
    }
    let label = match f.label() {
        Label::Repeated => "repeated ",
        Label::Required => "required ",
        Label::Optional if in_oneof => "",
        Label::Optional if !proto3 || f.proto3_optional() => "optional ",
        Label::Optional => "",
    };
    let mut opts = Vec::new();
    if let Some(d) = &f.default_value {
        let v = match f.r#type() {
            Type::String | Type::Bytes => quote(d),
            _ => d.clone(),
        };
        opts.push(format!("default = {v}"));
    }
    if let Some(p) = f.options.as_ref().and_then(|o| o.packed) {
        opts.push(format!("packed = {p}"));
    }
    if f.options.as_ref().and_then(|o| o.deprecated) == Some(true) {
        opts.push("deprecated = true".into());
    }
    let opts = if opts.is_empty() { String::new() } else { format!(" [{}]", opts.join(", ")) };
    format!("{label}{} {} = {}{opts};", type_of(f), f.name(), f.number())
}

fn print_enum(out: &mut String, e: &EnumDescriptorProto, depth: usize) {
    let pad = indent(depth);
    let _ = writeln!(out, "{pad}enum {} {{", e.name());
    if e.options.as_ref().and_then(|o| o.allow_alias) == Some(true) {
        let _ = writeln!(out, "{pad}  option allow_alias = true;");
    }
    for v in &e.value {
        let _ = writeln!(out, "{pad}  {} = {};", v.name(), v.number());
    }
    let _ = writeln!(out, "{pad}}}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::protobuf::ProtobufSchema;
    use prost_types::{FieldDescriptorProto as F, MessageOptions, OneofDescriptorProto};

    fn field(name: &str, number: i32, t: Type, label: Label, type_name: Option<&str>) -> F {
        F {
            name: Some(name.into()),
            number: Some(number),
            r#type: Some(t as i32),
            label: Some(label as i32),
            type_name: type_name.map(String::from),
            json_name: Some(name.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_descriptor_prints_as_equivalent_proto_text() {
        let entry = DescriptorProto {
            name: Some("CountsEntry".into()),
            field: vec![
                field("key", 1, Type::String, Label::Optional, None),
                field("value", 2, Type::Int32, Label::Optional, None),
            ],
            options: Some(MessageOptions { map_entry: Some(true), ..Default::default() }),
            ..Default::default()
        };
        let mut a = field("a", 3, Type::String, Label::Optional, None);
        a.oneof_index = Some(0);
        let mut b = field("b", 4, Type::Int32, Label::Optional, None);
        b.oneof_index = Some(0);
        let msg = DescriptorProto {
            name: Some("Order".into()),
            field: vec![
                field("id", 1, Type::Int64, Label::Optional, None),
                field("counts", 2, Type::Message, Label::Repeated, Some(".shop.Order.CountsEntry")),
                a,
                b,
                field("at", 5, Type::Message, Label::Optional, Some(".google.protobuf.Timestamp")),
                field("tags", 6, Type::String, Label::Repeated, None),
            ],
            nested_type: vec![entry],
            oneof_decl: vec![OneofDescriptorProto { name: Some("kind".into()), options: None }],
            ..Default::default()
        };
        let file = FileDescriptorProto {
            name: Some("shop/order.proto".into()),
            package: Some("shop".into()),
            dependency: vec!["google/protobuf/timestamp.proto".into()],
            message_type: vec![msg],
            syntax: Some("proto3".into()),
            ..Default::default()
        };
        let b64 = base64::engine::general_purpose::STANDARD.encode(file.encode_to_vec());
        let text = base64_descriptor_to_proto(&b64).unwrap();
        let from_descriptor = ProtobufSchema::parse(&text, &[], false).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let written = "syntax = \"proto3\";\npackage shop;\nimport \"google/protobuf/timestamp.proto\";\nmessage Order {\n  int64 id = 1;\n  map<string, int32> counts = 2;\n  oneof kind {\n    string a = 3;\n    int32 b = 4;\n  }\n  .google.protobuf.Timestamp at = 5;\n  repeated string tags = 6;\n}\n";
        let from_text = ProtobufSchema::parse(written, &[], false).unwrap();
        assert_eq!(from_descriptor.canonical(), from_text.canonical());
    }

    #[test]
    fn proto_text_and_garbage_are_not_descriptors() {
        assert!(base64_descriptor_to_proto("syntax = \"proto3\"; message A {}").is_none());
        assert!(base64_descriptor_to_proto("!!!").is_none());
        assert!(base64_descriptor_to_proto("").is_none());
        assert!(base64_descriptor_to_proto("AAAA").is_none());
    }
}
