//! Printer (Confluent's `ProtobufSchemaUtils.toString` / `toNormalizedString`): files, services,
//! enums, messages.

use super::*;

pub(super) struct FormatCtx<'t, 'a> {
    pub(super) normalize: bool,
    pub(super) table: Option<&'t TypeTable<'a>>,
    pub(super) names: Vec<String>,
}

impl FormatCtx<'_, '_> {
    pub(super) fn resolve_type(&self, name: &str) -> Option<String> {
        let table = self.table?;
        resolve_name(&table.package, &self.names, name, |n| table.types.contains_key(n))
    }

    pub(super) fn resolve_ext(&self, name: &str) -> Option<String> {
        let table = self.table?;
        resolve_name(&table.package, &self.names, name, |n| table.exts.contains_key(n))
    }

    pub(super) fn type_info(&self, name: &str) -> Option<&TypeInfo<'_>> {
        let full = self.resolve_type(name)?;
        self.table?.types.get(&full)
    }

    /// Leading-dot full name, or the name as written when it does not resolve.
    pub(super) fn qualified(&self, name: &str) -> String {
        match self.resolve_type(name) {
            Some(full) => format!(".{full}"),
            None => name.to_string(),
        }
    }
}

pub(super) fn append_indented(sb: &mut String, value: &str) {
    // Java's String.split("\n") drops trailing empty strings but keeps inner ones.
    let mut lines: Vec<&str> = value.split('\n').collect();
    while lines.len() > 1 && lines.last() == Some(&"") {
        lines.pop();
    }
    for line in lines {
        sb.push_str("  ");
        sb.push_str(line);
        sb.push('\n');
    }
}

pub(super) fn escape_chars(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

/// Confluent normalizes numbers with Commons Lang `NumberUtils.createNumber` and a default
/// `DecimalFormat` without grouping (at most three fraction digits, half-even).
pub(super) fn format_number(ctx: &FormatCtx<'_, '_>, value: &str) -> String {
    if !ctx.normalize {
        return value.to_string();
    }
    normalize_number(value).unwrap_or_else(|| value.to_string())
}

pub(super) fn normalize_number(value: &str) -> Option<String> {
    let (neg, body) = match value.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, value),
    };
    let int_val: Option<i128> = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i128::from_str_radix(hex, 16).ok()
    } else if body.len() > 1 && body.starts_with('0') && body.chars().all(|c| c.is_ascii_digit()) {
        i128::from_str_radix(&body[1..], 8).ok()
    } else if !body.is_empty() && body.chars().all(|c| c.is_ascii_digit()) {
        body.parse::<i128>().ok()
    } else {
        None
    };
    if let Some(v) = int_val {
        return Some(if neg { (-v).to_string() } else { v.to_string() });
    }
    let trimmed = body.trim_end_matches(['f', 'F', 'd', 'D']);
    if trimmed.is_empty() || !trimmed.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+')) {
        return None;
    }
    let f: f64 = trimmed.parse().ok()?;
    if !f.is_finite() {
        return None;
    }
    let f = if neg { -f } else { f };
    let mut s = format!("{:.3}", round_half_even(f, 3));
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" && f == 0.0 {
        return Some("-0".to_string());
    }
    Some(s)
}

pub(super) fn round_half_even(f: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    let x = f * scale;
    let r = x.round();
    let adjusted = if (x - x.trunc()).abs() == 0.5 { 2.0 * (x / 2.0).round() } else { r };
    adjusted / scale
}

pub(super) fn print_file(ctx: &mut FormatCtx<'_, '_>, file: &FileAst) -> String {
    let mut sb = String::new();
    if let Some(syntax) = &file.syntax {
        if !ctx.normalize || syntax == "proto3" {
            sb.push_str(&format!("syntax = \"{syntax}\";\n"));
        }
    }
    if let Some(p) = &file.package {
        sb.push_str(&format!("package {p};\n"));
    }
    if !file.imports.is_empty() || !file.public_imports.is_empty() {
        sb.push('\n');
        for i in sorted_if(ctx.normalize, &file.imports) {
            sb.push_str(&format!("import \"{i}\";\n"));
        }
        for i in sorted_if(ctx.normalize, &file.public_imports) {
            sb.push_str(&format!("import public \"{i}\";\n"));
        }
    }
    let options = filter_options(ctx, &file.options);
    if !options.is_empty() {
        sb.push('\n');
        for o in &options {
            sb.push_str(&option_statement(ctx, o));
        }
    }
    print_types(ctx, &mut sb, &file.types, |sb, text| sb.push_str(text));
    if !file.extends.is_empty() {
        sb.push('\n');
        for e in normalize_extends(ctx, &file.extends) {
            sb.push_str(&print_extend(ctx, &e));
        }
    }
    if !file.services.is_empty() {
        sb.push('\n');
        for s in &file.services {
            sb.push_str(&print_service(ctx, s));
        }
    }
    sb
}

pub(super) fn sorted_if(normalize: bool, v: &[String]) -> Vec<String> {
    if normalize {
        let set: BTreeSet<&String> = v.iter().collect();
        set.into_iter().cloned().collect()
    } else {
        v.to_vec()
    }
}

pub(super) fn filter_types<'m>(ctx: &FormatCtx<'_, '_>, types: &'m [TypeEl]) -> Vec<&'m TypeEl> {
    types
        .iter()
        .filter(|t| match t {
            TypeEl::Message(m) if ctx.normalize => ctx.type_info(&m.name).is_none_or(|i| i.map.is_none()),
            _ => true,
        })
        .collect()
}

pub(super) fn normalize_extends(ctx: &FormatCtx<'_, '_>, extends: &[ExtendEl]) -> Vec<ExtendEl> {
    if !ctx.normalize {
        return extends.to_vec();
    }
    let mut out: Vec<ExtendEl> = Vec::new();
    for e in extends {
        let name = ctx.qualified(&e.name);
        for f in &e.fields {
            match out.iter_mut().find(|x| x.name == name) {
                Some(x) => x.fields.push(f.clone()),
                None => out.push(ExtendEl { name: name.clone(), fields: vec![f.clone()] }),
            }
        }
    }
    out
}

pub(super) fn print_service(ctx: &mut FormatCtx<'_, '_>, s: &ServiceEl) -> String {
    let mut sb = format!("service {} {{", s.name);
    print_options_block(ctx, &mut sb, &s.options);
    if !s.rpcs.is_empty() {
        sb.push('\n');
        for r in &s.rpcs {
            let text = print_rpc(ctx, r);
            append_indented(&mut sb, &text);
        }
    }
    sb.push_str("}\n");
    sb
}

pub(super) fn print_rpc(ctx: &mut FormatCtx<'_, '_>, r: &RpcEl) -> String {
    let mut sb = format!("rpc {} (", r.name);
    if r.request_stream {
        sb.push_str("stream ");
    }
    sb.push_str(&if ctx.normalize { ctx.qualified(&r.request) } else { r.request.clone() });
    sb.push_str(") returns (");
    if r.response_stream {
        sb.push_str("stream ");
    }
    sb.push_str(&if ctx.normalize { ctx.qualified(&r.response) } else { r.response.clone() });
    sb.push(')');
    let options = filter_options(ctx, &r.options);
    if !options.is_empty() {
        sb.push_str(" {\n");
        for o in &options {
            append_indented(&mut sb, &option_statement(ctx, o));
        }
        sb.push('}');
    }
    sb.push_str(";\n");
    sb
}

pub(super) fn range_sort_key(v: &RangeVal) -> (i64, String) {
    match v {
        RangeVal::Range(s, e) => (i64::from(*s), format!("{s}..{e}")),
        RangeVal::Tag(t) => (i64::from(*t), t.to_string()),
        RangeVal::Name(n) => (i64::from(i32::MAX), n.clone()),
    }
}

pub(super) fn split_sorted_ranges(reserveds: &[Vec<RangeVal>]) -> Vec<Vec<RangeVal>> {
    let mut all: Vec<Vec<RangeVal>> = reserveds.iter().flatten().map(|v| vec![v.clone()]).collect();
    all.sort_by_key(|v| v.first().map(range_sort_key).unwrap_or_default());
    all
}

pub(super) fn print_ranges(ctx: &FormatCtx<'_, '_>, keyword: &str, values: &[RangeVal]) -> String {
    let mut sb = format!("{keyword} ");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            sb.push_str(", ");
        }
        match v {
            RangeVal::Name(n) => sb.push_str(&format!("\"{n}\"")),
            RangeVal::Tag(t) => sb.push_str(&t.to_string()),
            RangeVal::Range(s, e) if ctx.normalize && s == e => sb.push_str(&s.to_string()),
            RangeVal::Range(s, e) => {
                if *e < MAX_TAG_VALUE {
                    sb.push_str(&format!("{s} to {e}"));
                } else {
                    sb.push_str(&format!("{s} to max"));
                }
            }
        }
    }
    sb
}

pub(super) fn print_enum(ctx: &mut FormatCtx<'_, '_>, e: &EnumEl) -> String {
    let mut sb = format!("enum {} {{", e.name);
    print_reserveds_block(ctx, &mut sb, &e.reserveds);
    if e.reserveds.is_empty() && (!e.options.is_empty() || !e.constants.is_empty()) {
        sb.push('\n');
    }
    for o in &filter_options(ctx, &e.options) {
        append_indented(&mut sb, &option_statement(ctx, o));
    }
    let mut constants: Vec<&EnumConst> = e.constants.iter().collect();
    if ctx.normalize {
        constants.sort_by(|a, b| a.tag.cmp(&b.tag).then_with(|| a.name.cmp(&b.name)));
    }
    for c in constants {
        let line = statement_with_options(ctx, format!("{} = {}", c.name, c.tag), &c.options);
        append_indented(&mut sb, &line);
    }
    sb.push_str("}\n");
    sb
}

pub(super) fn print_message(ctx: &mut FormatCtx<'_, '_>, m: &MessageEl) -> String {
    let mut sb = format!("message {} {{", m.name);
    print_reserveds_block(ctx, &mut sb, &m.reserveds);
    print_options_block(ctx, &mut sb, &m.options);
    print_fields_block(ctx, &mut sb, &m.fields, ctx.normalize);
    if !m.oneofs.is_empty() {
        sb.push('\n');
        let mut oneofs: Vec<OneofEl> = m.oneofs.clone();
        if ctx.normalize {
            oneofs.retain(|o| !o.fields.is_empty());
            for o in &mut oneofs {
                o.fields.sort_by_key(|f| f.tag);
            }
            oneofs.sort_by_key(|o| o.fields.first().map(|f| f.tag).unwrap_or_default());
        }
        for o in &oneofs {
            let text = print_oneof(ctx, o);
            append_indented(&mut sb, &text);
        }
    }
    print_groups_block(ctx, &mut sb, &m.groups);
    if !m.extensions.is_empty() {
        sb.push('\n');
        let mut exts: Vec<ExtensionsEl> = m.extensions.clone();
        if ctx.normalize {
            exts = exts
                .iter()
                .flat_map(|e| {
                    e.values.iter().map(|v| ExtensionsEl { values: vec![v.clone()], options: e.options.clone() })
                })
                .collect();
            exts.sort_by_key(|e| e.values.first().map(|v| range_sort_key(v).0).unwrap_or_default());
        }
        for e in &exts {
            let line = statement_with_options(ctx, print_ranges(ctx, "extensions", &e.values), &e.options);
            append_indented(&mut sb, &line);
        }
    }
    if !m.extends.is_empty() {
        sb.push('\n');
        for e in normalize_extends(ctx, &m.extends) {
            let text = print_extend(ctx, &e);
            append_indented(&mut sb, &text);
        }
    }
    print_types(ctx, &mut sb, &m.nested, append_indented);
    sb.push_str("}\n");
    sb
}

pub(super) fn print_oneof(ctx: &mut FormatCtx<'_, '_>, o: &OneofEl) -> String {
    let mut sb = format!("oneof {} {{", o.name);
    print_options_block(ctx, &mut sb, &o.options);
    print_fields_block(ctx, &mut sb, &o.fields, false);
    print_groups_block(ctx, &mut sb, &o.groups);
    sb.push_str("}\n");
    sb
}

pub(super) fn print_group(ctx: &mut FormatCtx<'_, '_>, g: &GroupEl) -> String {
    let mut sb = String::new();
    if let Some(l) = g.label {
        sb.push_str(l.as_str());
        sb.push(' ');
    }
    sb.push_str(&format!("group {} = {} {{", g.name, g.tag));
    print_fields_block(ctx, &mut sb, &g.fields, ctx.normalize);
    sb.push_str("}\n");
    sb
}

pub(super) fn print_extend(ctx: &mut FormatCtx<'_, '_>, e: &ExtendEl) -> String {
    let mut sb = format!("extend {} {{", e.name);
    print_fields_block(ctx, &mut sb, &e.fields, ctx.normalize);
    sb.push_str("}\n");
    sb
}

/// Nested messages first, then enums, each printed with its name pushed on the scope stack;
/// `emit` places the text (as-is at file level, indented inside a message).
fn print_types(
    ctx: &mut FormatCtx<'_, '_>,
    sb: &mut String,
    types: &[TypeEl],
    mut emit: impl FnMut(&mut String, &str),
) {
    let types = filter_types(ctx, types);
    if types.is_empty() {
        return;
    }
    sb.push('\n');
    let messages = types.iter().filter_map(|t| match t {
        TypeEl::Message(m) => Some(m),
        TypeEl::Enum(_) => None,
    });
    for m in messages {
        ctx.names.push(m.name.clone());
        let text = print_message(ctx, m);
        ctx.names.pop();
        emit(sb, &text);
    }
    let enums = types.iter().filter_map(|t| match t {
        TypeEl::Enum(e) => Some(e),
        TypeEl::Message(_) => None,
    });
    for e in enums {
        ctx.names.push(e.name.clone());
        let text = print_enum(ctx, e);
        ctx.names.pop();
        emit(sb, &text);
    }
}

fn print_options_block(ctx: &FormatCtx<'_, '_>, sb: &mut String, options: &[Opt]) {
    let options = filter_options(ctx, options);
    if !options.is_empty() {
        sb.push('\n');
        for o in &options {
            append_indented(sb, &option_statement(ctx, o));
        }
    }
}

/// Fields, in tag order when `sort` is set.
fn print_fields_block(ctx: &mut FormatCtx<'_, '_>, sb: &mut String, fields: &[FieldEl], sort: bool) {
    if fields.is_empty() {
        return;
    }
    sb.push('\n');
    let mut fields: Vec<&FieldEl> = fields.iter().collect();
    if sort {
        fields.sort_by_key(|f| f.tag);
    }
    for f in fields {
        let text = print_field(ctx, f);
        append_indented(sb, &text);
    }
}

fn print_groups_block(ctx: &mut FormatCtx<'_, '_>, sb: &mut String, groups: &[GroupEl]) {
    if groups.is_empty() {
        return;
    }
    sb.push('\n');
    let mut groups: Vec<&GroupEl> = groups.iter().collect();
    if ctx.normalize {
        groups.sort_by_key(|g| g.tag);
    }
    for g in groups {
        let text = print_group(ctx, g);
        append_indented(sb, &text);
    }
}

fn print_reserveds_block(ctx: &FormatCtx<'_, '_>, sb: &mut String, reserveds: &[Vec<RangeVal>]) {
    if reserveds.is_empty() {
        return;
    }
    sb.push('\n');
    let reserveds = if ctx.normalize { split_sorted_ranges(reserveds) } else { reserveds.to_vec() };
    for r in &reserveds {
        append_indented(sb, &format!("{};\n", print_ranges(ctx, "reserved", r)));
    }
}

/// `head [opt = v, ...];` with the options that survive filtering.
fn statement_with_options(ctx: &FormatCtx<'_, '_>, mut line: String, options: &[Opt]) -> String {
    let options = filter_options(ctx, options);
    if !options.is_empty() {
        line.push(' ');
        append_option_list(ctx, &mut line, &options);
    }
    line.push_str(";\n");
    line
}
