//! Confluent's `MessageSchemaDiff` (fields and `OneOfDiff`).

use super::*;

pub(crate) type FieldIndex<'m> = (HashMap<i32, &'m FieldEl>, HashMap<i32, &'m str>, HashMap<&'m str, &'m OneofEl>);

pub(crate) fn collect_fields(m: &MessageEl) -> FieldIndex<'_> {
    let mut by_tag = HashMap::new();
    let mut tag_to_oneof = HashMap::new();
    let mut oneofs = HashMap::new();
    for f in &m.fields {
        by_tag.insert(f.tag, f);
    }
    for o in &m.oneofs {
        oneofs.insert(o.name.as_str(), o);
        for f in &o.fields {
            by_tag.insert(f.tag, f);
            tag_to_oneof.insert(f.tag, o.name.as_str());
        }
    }
    (by_tag, tag_to_oneof, oneofs)
}

pub(crate) fn compare_messages(ctx: &mut DiffCtx<'_, '_>, original: &MessageEl, update: &MessageEl) {
    // Charged to the request's work budget (pathological reference graphs); once it is spent,
    // referenced message types are compared by name only.
    crate::budget::charge(crate::budget::MESSAGE);
    let key = original as *const MessageEl;
    if !ctx.schemas.contains(&key) {
        ctx.schemas.push(key);
        compare_message_fields(ctx, original, update);
        ctx.schemas.retain(|k| *k != key);
    }
    compare_type_elements(ctx, &original.nested, &update.nested);
}

pub(crate) fn compare_message_fields(ctx: &mut DiffCtx<'_, '_>, original: &MessageEl, update: &MessageEl) {
    let (o_by_tag, o_tag_oneof, o_oneofs) = collect_fields(original);
    let (u_by_tag, u_tag_oneof, u_oneofs) = collect_fields(update);

    let mut deleted_oneofs: HashSet<&str> = HashSet::new();
    for (name, oneof) in &o_oneofs {
        if !u_oneofs.contains_key(name) && !oneof.fields.iter().any(|f| u_by_tag.contains_key(&f.tag)) {
            deleted_oneofs.insert(name);
        }
    }

    compare_moves_into_oneofs(ctx, update, &o_by_tag, &o_tag_oneof);

    let all_oneofs: BTreeSet<&str> = o_oneofs.keys().chain(u_oneofs.keys()).copied().collect();
    for name in all_oneofs {
        if !u_oneofs.contains_key(name) {
            ctx.add_at(&[name], DiffKind::OneofRemoved);
        } else if !o_oneofs.contains_key(name) {
            ctx.add_at(&[name], DiffKind::OneofAdded);
        }
    }

    let all_tags: BTreeSet<i32> = o_by_tag.keys().chain(u_by_tag.keys()).copied().collect();
    for tag in all_tags {
        let t = tag.to_string();
        let of = o_by_tag.get(&tag);
        let uf = u_by_tag.get(&tag);
        let o_oneof = o_tag_oneof.get(&tag).copied();
        let u_oneof = u_tag_oneof.get(&tag).copied();
        compare_tag(ctx, &t, (of, o_oneof), (uf, u_oneof), &deleted_oneofs);
    }
}

/// Fields gathered into one of the update's oneofs from more than one place (other oneofs or
/// top-level fields).
fn compare_moves_into_oneofs(
    ctx: &mut DiffCtx<'_, '_>,
    update: &MessageEl,
    o_by_tag: &HashMap<i32, &FieldEl>,
    o_tag_oneof: &HashMap<i32, &str>,
) {
    for oneof in &update.oneofs {
        let mut groups: HashSet<String> = HashSet::new();
        let mut moved_in = 0;
        for f in &oneof.fields {
            if let Some(o) = o_tag_oneof.get(&f.tag) {
                groups.insert(format!("oneof:{o}"));
            } else if o_by_tag.contains_key(&f.tag) {
                groups.insert(format!("field:{}", f.tag));
                moved_in += 1;
            }
        }
        if groups.len() > 1 {
            let kind =
                if moved_in > 1 { DiffKind::MultipleFieldsMovedToOneof } else { DiffKind::FieldMovedToExistingOneof };
            ctx.add_at(&[&oneof.name], kind);
        }
    }
}

/// One tag: a field removed, added (in or out of a oneof) or compared (moved to the top level).
fn compare_tag(
    ctx: &mut DiffCtx<'_, '_>,
    t: &str,
    (of, o_oneof): (Option<&&FieldEl>, Option<&str>),
    (uf, u_oneof): (Option<&&FieldEl>, Option<&str>),
    deleted_oneofs: &HashSet<&str>,
) {
    match (of, uf) {
        (Some(of), None) => match o_oneof {
            Some(oo) => {
                if !deleted_oneofs.contains(oo) {
                    ctx.add_at(&[oo, t], DiffKind::OneofFieldRemoved);
                }
            }
            None => {
                let kind = if of.label == Some(Label::Required) {
                    DiffKind::RequiredFieldRemoved
                } else {
                    DiffKind::FieldRemoved
                };
                ctx.add_at(&[t], kind);
            }
        },
        (None, Some(uf)) => match u_oneof {
            Some(uo) => ctx.add_at(&[uo, t], DiffKind::OneofFieldAdded),
            None => {
                let kind =
                    if uf.label == Some(Label::Required) { DiffKind::RequiredFieldAdded } else { DiffKind::FieldAdded };
                ctx.add_at(&[t], kind);
            }
        },
        (Some(of), Some(uf)) => {
            if o_oneof.is_some() && u_oneof.is_none() {
                ctx.add_at(&[t], DiffKind::OneofFieldMovedToTopLevel);
            }
            let n = ctx.path.len();
            if let Some(uo) = u_oneof {
                ctx.path.push(uo.to_string());
            }
            ctx.path.push(t.to_string());
            compare_fields(ctx, of, uf);
            ctx.path.truncate(n);
        }
        (None, None) => {}
    }
}
