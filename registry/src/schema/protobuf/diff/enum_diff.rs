//! Confluent's `EnumDiff`.

use super::*;

pub(crate) fn compare_enums(ctx: &mut DiffCtx<'_, '_>, original: &EnumEl, update: &EnumEl) {
    let o: HashMap<i32, &str> = original.constants.iter().map(|c| (c.tag, c.name.as_str())).collect();
    let u: HashMap<i32, &str> = update.constants.iter().map(|c| (c.tag, c.name.as_str())).collect();
    let tags: BTreeSet<i32> = o.keys().chain(u.keys()).copied().collect();
    for tag in tags {
        let t = tag.to_string();
        match (o.get(&tag), u.get(&tag)) {
            (Some(_), None) => ctx.add_at(&[&t], DiffKind::EnumConstRemoved),
            (None, Some(_)) => ctx.add_at(&[&t], DiffKind::EnumConstAdded),
            (Some(a), Some(b)) if a != b => ctx.add_at(&[&t], DiffKind::EnumConstChanged),
            _ => {}
        }
    }
}
