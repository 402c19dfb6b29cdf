//! Confluent's `FieldSchemaDiff`: labels and types.

use super::*;

pub(crate) fn compare_fields(ctx: &mut DiffCtx<'_, '_>, original: &FieldEl, update: &FieldEl) {
    if original.name != update.name {
        ctx.add(DiffKind::FieldNameChanged);
    }
    compare_labels_and_types(ctx, original.label, update.label, &original.ty, &update.ty);
}

#[derive(PartialEq, Eq, Clone, Copy)]
pub(crate) enum Kind {
    Scalar,
    Map,
    Message,
}

#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub(crate) enum ScalarKind {
    GeneralNumber,
    SignedNumber,
    StringOrBytes,
    Fixed32,
    Fixed64,
    Float,
    Double,
    Unknown,
}

pub(crate) fn kind_of(ctx: &DiffCtx<'_, '_>, ty: &str, original: bool) -> Kind {
    if is_scalar(ty) {
        Kind::Scalar
    } else if map_parts(ty).is_some() {
        Kind::Map
    } else if ctx.get_type(ty, original).is_some_and(|t| matches!(t.el, TypeRef::Enum)) {
        Kind::Scalar
    } else {
        Kind::Message
    }
}

pub(crate) fn scalar_kind(ctx: &DiffCtx<'_, '_>, ty: &str, original: bool) -> ScalarKind {
    if ctx.get_type(ty, original).is_some_and(|t| matches!(t.el, TypeRef::Enum)) {
        return ScalarKind::GeneralNumber;
    }
    match ty {
        "int32" | "int64" | "uint32" | "uint64" | "bool" => ScalarKind::GeneralNumber,
        "sint32" | "sint64" => ScalarKind::SignedNumber,
        "string" | "bytes" => ScalarKind::StringOrBytes,
        "fixed32" | "sfixed32" => ScalarKind::Fixed32,
        "fixed64" | "sfixed64" => ScalarKind::Fixed64,
        "float" => ScalarKind::Float,
        "double" => ScalarKind::Double,
        _ => ScalarKind::Unknown,
    }
}

pub(crate) fn compare_labels_and_types(
    ctx: &mut DiffCtx<'_, '_>,
    ol: Option<Label>,
    ul: Option<Label>,
    ot: &str,
    ut: &str,
) {
    let mut ot = ot.to_string();
    let mut ut = ut.to_string();
    if let Some((k, v)) = ctx.get_type(&ot, true).and_then(|t| t.map.clone()) {
        ot = format!("map<{k}, {v}>");
    }
    if let Some((k, v)) = ctx.get_type(&ut, false).and_then(|t| t.map.clone()) {
        ut = format!("map<{k}, {v}>");
    }
    let ok = kind_of(ctx, &ot, true);
    let uk = kind_of(ctx, &ut, false);
    if ok != uk {
        ctx.add(DiffKind::FieldKindChanged);
        return;
    }
    match ok {
        Kind::Scalar => {
            let osk = scalar_kind(ctx, &ot, true);
            let usk = scalar_kind(ctx, &ut, false);
            if osk != usk {
                ctx.add(DiffKind::FieldScalarKindChanged);
            } else if let (Some(a), Some(b)) = (ol, ul) {
                if a != b {
                    match osk {
                        ScalarKind::StringOrBytes => ctx.add(DiffKind::FieldStringOrBytesLabelChanged),
                        ScalarKind::Unknown => {}
                        _ => ctx.add(DiffKind::FieldNumericLabelChanged),
                    }
                }
            }
        }
        Kind::Message => compare_message_types(ctx, &ot, &ut),
        Kind::Map => {
            if let (Some((ok, ov)), Some((uk, uv))) = (map_parts(&ot), map_parts(&ut)) {
                compare_labels_and_types(ctx, None, None, &ok, &uk);
                compare_labels_and_types(ctx, None, None, &ov, &uv);
            }
        }
    }
}

pub(crate) fn local_name(full: &str, package: &str) -> String {
    match full.strip_prefix(package).and_then(|s| s.strip_prefix('.')) {
        Some(local) => local.to_string(),
        None => full.to_string(),
    }
}

pub(crate) fn compare_message_types(ctx: &mut DiffCtx<'_, '_>, original: &str, update: &str) {
    let (Some(of), Some(uf)) = (ctx.resolve(original, true), ctx.resolve(update, false)) else {
        if original != update {
            ctx.add(DiffKind::FieldNamedTypeChanged);
        }
        return;
    };
    let (Some(oi), Some(ui)) = (ctx.orig.types.get(&of), ctx.upd.types.get(&uf)) else {
        return;
    };
    let ol = local_name(&of, &oi.package);
    let ul = local_name(&uf, &ui.package);
    if ol != ul {
        ctx.add(DiffKind::FieldNamedTypeChanged);
        return;
    }
    // Types of the same file version are compared where they are declared, not through fields.
    if oi.origin == ui.origin {
        return;
    }
    let (TypeRef::Msg(om), TypeRef::Msg(um)) = (oi.el, ui.el) else {
        return;
    };
    if ctx.depth >= MAX_DIFF_DEPTH || crate::budget::spent() {
        return;
    }
    let mut sub = ctx.sub();
    sub.orig_pkg = oi.package.clone();
    sub.upd_pkg = ui.package.clone();
    let parts: Vec<String> = ol.split('.').map(str::to_string).collect();
    sub.path = parts.clone();
    sub.names = parts;
    compare_messages(&mut sub, om, um);
    let incompatible = sub.diffs.iter().any(|d| !d.kind.is_compatible());
    ctx.diffs.append(&mut sub.diffs);
    if incompatible {
        ctx.add(DiffKind::FieldNamedTypeChanged);
    }
}
