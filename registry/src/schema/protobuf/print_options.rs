//! Printer: fields and options (option lists, maps, values and Confluent's option merging).

use super::*;

pub(super) fn is_scalar(t: &str) -> bool {
    matches!(
        t,
        "bool"
            | "bytes"
            | "double"
            | "float"
            | "fixed32"
            | "fixed64"
            | "int32"
            | "int64"
            | "sfixed32"
            | "sfixed64"
            | "sint32"
            | "sint64"
            | "string"
            | "uint32"
            | "uint64"
    )
}

/// Key and value of a `map<K, V>` type string (Wire's ProtoType.get).
pub(super) fn map_parts(t: &str) -> Option<(String, String)> {
    let inner = t.strip_prefix("map<")?.strip_suffix('>')?;
    let comma = inner.find(',')?;
    Some((inner[..comma].trim().to_string(), inner[comma + 1..].trim().to_string()))
}

pub(super) fn print_field(ctx: &mut FormatCtx<'_, '_>, f: &FieldEl) -> String {
    let mut label = f.label;
    let mut ty = f.ty.clone();
    if ctx.normalize {
        if !is_scalar(&ty) && map_parts(&ty).is_none() {
            let resolved = ctx.resolve_type(&ty);
            if let Some(full) = resolved {
                let info = ctx.table.and_then(|t| t.types.get(&full));
                ty = match info.and_then(|i| i.map.clone()) {
                    Some((k, v)) => format!("map<{k}, {v}>"),
                    None => format!(".{full}"),
                };
            }
        }
        if let Some((k, v)) = map_parts(&ty) {
            if let Some(full) = ctx.resolve_type(&v) {
                ty = format!("map<{k}, .{full}>");
            }
            label = None;
        }
    }
    let mut sb = String::new();
    if let Some(l) = label {
        sb.push_str(l.as_str());
        sb.push(' ');
    }
    sb.push_str(&format!("{ty} {} = {}", f.name, f.tag));
    let mut options = f.options.clone();
    if let Some(d) = &f.default {
        let simple = ty.rsplit('.').next().unwrap_or(&ty);
        let value = match simple {
            "bool" => OVal::Bool(d.clone()),
            // Confluent prints bytes defaults unquoted; they are quoted here so the text parses again.
            "string" | "bytes" => OVal::Str(d.clone()),
            s if is_scalar(s) => OVal::Num(d.clone()),
            _ => OVal::Enum(d.clone()),
        };
        options.push(Opt { name: "default".into(), paren: false, value });
    }
    if let Some(j) = &f.json_name {
        options.push(Opt { name: "json_name".into(), paren: false, value: OVal::Str(j.clone()) });
    }
    let options = filter_options(ctx, &options);
    if !options.is_empty() {
        sb.push(' ');
        append_option_list(ctx, &mut sb, &options);
    }
    sb.push_str(";\n");
    sb
}

pub(super) fn option_statement(ctx: &FormatCtx<'_, '_>, o: &Opt) -> String {
    format!("option {};\n", option_to_string(ctx, o))
}

pub(super) fn option_to_string(ctx: &FormatCtx<'_, '_>, o: &Opt) -> String {
    let mut sb = if o.paren { format!("({})", o.name) } else { o.name.clone() };
    match &o.value {
        OVal::Str(s) => sb.push_str(&format!(" = \"{}\"", escape_chars(s))),
        OVal::Bool(v) | OVal::Enum(v) => sb.push_str(&format!(" = {v}")),
        OVal::Num(v) => sb.push_str(&format!(" = {}", format_number(ctx, v))),
        OVal::Opt(inner) => {
            sb.push('.');
            sb.push_str(&option_to_string(ctx, inner));
        }
        OVal::Map(entries) => {
            sb.push_str(" = {\n");
            format_option_map(ctx, &mut sb, entries);
            sb.push('}');
        }
        OVal::List(items) => {
            sb.push_str(" = ");
            let items: Vec<ListItem<'_>> = items.iter().map(ListItem::Value).collect();
            append_list(ctx, &mut sb, &items);
        }
    }
    sb
}

pub(super) enum ListItem<'v> {
    Value(&'v OVal),
    Option(&'v Opt),
}

pub(super) fn append_option_list(ctx: &FormatCtx<'_, '_>, sb: &mut String, options: &[Opt]) {
    let items: Vec<ListItem<'_>> = options.iter().map(ListItem::Option).collect();
    append_list(ctx, sb, &items);
}

/// Confluent's `appendOptions`: one item inline in brackets, several one per line.
pub(super) fn append_list(ctx: &FormatCtx<'_, '_>, sb: &mut String, items: &[ListItem<'_>]) {
    let fmt_item = |item: &ListItem<'_>| match item {
        ListItem::Value(v) => format_value(ctx, v),
        ListItem::Option(o) => option_to_string(ctx, o),
    };
    if items.len() == 1 {
        sb.push('[');
        sb.push_str(&fmt_item(&items[0]));
        sb.push(']');
        return;
    }
    sb.push_str("[\n");
    for (i, item) in items.iter().enumerate() {
        let endl = if i + 1 < items.len() { "," } else { "" };
        append_indented(sb, &format!("{}{endl}", fmt_item(item)));
    }
    sb.push(']');
}

pub(super) fn format_option_map(ctx: &FormatCtx<'_, '_>, sb: &mut String, entries: &[(String, OVal)]) {
    let mut entries: Vec<(String, &OVal)> = entries.iter().map(|(k, v)| (k.clone(), v)).collect();
    if ctx.normalize {
        entries.retain(|(_, v)| !matches!(v, OVal::List(l) if l.is_empty()));
        for (k, _) in entries.iter_mut() {
            if let Some(inner) = k.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                if let Some(resolved) = ctx.resolve_ext(inner) {
                    *k = format!("[{resolved}]");
                }
            }
        }
        // TreeMap: sorted keys, first value of a duplicate key wins.
        let mut sorted: Vec<(String, &OVal)> = Vec::new();
        for (k, v) in entries {
            if !sorted.iter().any(|(sk, _)| *sk == k) {
                sorted.push((k, v));
            }
        }
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        entries = sorted;
    }
    let last = entries.len().saturating_sub(1);
    for (i, (k, v)) in entries.iter().enumerate() {
        let endl = if i != last { "," } else { "" };
        append_indented(sb, &format!("{k}: {}{endl}", format_value(ctx, v)));
    }
}

pub(super) fn format_value(ctx: &FormatCtx<'_, '_>, v: &OVal) -> String {
    match v {
        OVal::Str(s) => format!("\"{}\"", escape_chars(s)),
        OVal::Bool(s) | OVal::Enum(s) => s.clone(),
        OVal::Num(s) => format_number(ctx, s),
        OVal::Map(entries) => {
            let mut sb = String::from("{\n");
            format_option_map(ctx, &mut sb, entries);
            sb.push('}');
            sb
        }
        OVal::List(items) if ctx.normalize && items.len() == 1 => format_value(ctx, &items[0]),
        OVal::List(items) => {
            let mut sb = String::from("[\n");
            let last = items.len().saturating_sub(1);
            for (i, item) in items.iter().enumerate() {
                let endl = if i != last { "," } else { "" };
                append_indented(&mut sb, &format!("{}{endl}", format_value(ctx, item)));
            }
            sb.push(']');
            sb
        }
        OVal::Opt(o) => option_to_string(ctx, o),
    }
}

/// Confluent's `transform`: `(a).b.c = v` becomes `(a) = { b: { c: v } }`.
pub(super) fn transform_option(o: Opt) -> Opt {
    match o.value {
        OVal::Opt(inner) => Opt { name: o.name, paren: o.paren, value: OVal::Map(vec![transform_inner(*inner)]) },
        value => Opt { name: o.name, paren: o.paren, value },
    }
}

pub(super) fn transform_inner(o: Opt) -> (String, OVal) {
    match o.value {
        OVal::Opt(inner) => (o.name, OVal::Map(vec![transform_inner(*inner)])),
        value => (o.name, value),
    }
}

/// Confluent's `FormatContext.filterOptions` (normalize only: qualify custom option names, sort by
/// name, merge repeated settings of a non-repeated extension into one message literal).
pub(super) fn filter_options(ctx: &FormatCtx<'_, '_>, options: &[Opt]) -> Vec<Opt> {
    if !ctx.normalize || options.is_empty() {
        return options.to_vec();
    }
    let mut mapped: Vec<Opt> = options
        .iter()
        .map(|o| {
            if o.paren {
                if let Some(resolved) = ctx.resolve_ext(&o.name) {
                    return transform_option(Opt { name: resolved, paren: o.paren, value: o.value.clone() });
                }
            }
            o.clone()
        })
        .collect();
    mapped.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out: Vec<Opt> = Vec::new();
    let mut i = 0;
    while i < mapped.len() {
        let mut j = i + 1;
        while j < mapped.len() && mapped[j].name == mapped[i].name {
            j += 1;
        }
        let group = &mapped[i..j];
        let ext = ctx.table.and_then(|t| t.exts.get(&mapped[i].name));
        match ext {
            Some(info) if info.field.label != Some(Label::Repeated) => {
                let mut acc = group[0].clone();
                for next in &group[1..] {
                    acc = merge_option(ctx, info.field, acc, next.clone());
                }
                out.push(acc);
            }
            _ => out.extend(group.iter().cloned()),
        }
        i = j;
    }
    out
}

pub(super) fn merge_option(ctx: &FormatCtx<'_, '_>, field: &FieldEl, existing: Opt, replacement: Opt) -> Opt {
    let replacement = transform_option(replacement);
    match (&existing.value, &replacement.value) {
        (OVal::Map(a), OVal::Map(b)) => {
            let merged = merge_option_maps(ctx, Some(field), a, b, 0);
            Opt { name: replacement.name, paren: replacement.paren, value: OVal::Map(merged) }
        }
        _ => replacement,
    }
}

pub(super) fn message_of<'t>(ctx: &'t FormatCtx<'_, '_>, field: Option<&FieldEl>) -> Option<&'t MessageEl> {
    let info = ctx.type_info(&field?.ty)?;
    match info.el {
        TypeRef::Msg(m) => Some(m),
        TypeRef::Enum => None,
    }
}

pub(super) fn merge_option_maps(
    ctx: &FormatCtx<'_, '_>,
    container: Option<&FieldEl>,
    existing: &[(String, OVal)],
    replacement: &[(String, OVal)],
    depth: usize,
) -> Vec<(String, OVal)> {
    let container_type = message_of(ctx, container);
    let mut merged: Vec<(String, OVal)> = existing.to_vec();
    for (k, v) in replacement {
        let nested_field = container_type
            .and_then(|m| m.fields.iter().chain(m.oneofs.iter().flat_map(|o| o.fields.iter())).find(|f| f.name == *k));
        match merged.iter_mut().find(|(mk, _)| mk == k) {
            None => merged.push((k.clone(), v.clone())),
            Some(slot) => {
                let old = std::mem::replace(&mut slot.1, OVal::List(Vec::new()));
                slot.1 = merge_option_values(ctx, nested_field, old, v.clone(), depth + 1);
            }
        }
    }
    merged
}

pub(super) fn merge_option_values(
    ctx: &FormatCtx<'_, '_>,
    field: Option<&FieldEl>,
    v1: OVal,
    v2: OVal,
    depth: usize,
) -> OVal {
    let singular = field.is_some_and(|f| f.label != Some(Label::Repeated));
    if singular && depth < MAX_DEPTH {
        if let (OVal::Map(a), OVal::Map(b)) = (&v1, &v2) {
            if message_of(ctx, field).is_some() {
                return OVal::Map(merge_option_maps(ctx, field, a, b, depth));
            }
        }
    }
    if singular {
        return v2;
    }
    let mut list: Vec<OVal> = Vec::new();
    for v in [v1, v2] {
        let items = match v {
            OVal::List(l) => l,
            other => vec![other],
        };
        for item in items {
            if !list.contains(&item) {
                list.push(item);
            }
        }
    }
    OVal::List(list)
}
