//! Confluent's `SchemaDiff`: the entry point and the comparison of type elements (in Java's
//! HashMap iteration order).

use super::*;

pub(crate) fn schema_diff(original: &ProtobufSchema, update: &ProtobufSchema) -> Vec<Diff> {
    let orig = TypeTable::build(&original.file, &original.refs);
    let upd = TypeTable::build(&update.file, &update.refs);
    let mut ctx = DiffCtx {
        orig: &orig,
        upd: &upd,
        orig_pkg: original.file.package.clone().unwrap_or_default(),
        upd_pkg: update.file.package.clone().unwrap_or_default(),
        path: Vec::new(),
        names: Vec::new(),
        schemas: Vec::new(),
        diffs: Vec::new(),
        depth: 0,
    };
    if original.file.package != update.file.package {
        ctx.add(DiffKind::PackageChanged);
    }
    compare_type_elements(&mut ctx, &original.file.types, &update.file.types);
    ctx.diffs
}

/// Java's `String.hashCode` (UTF-16 code units).
pub(crate) fn java_hash(s: &str) -> i32 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    h
}

pub(crate) fn java_bucket(s: &str, cap: usize) -> usize {
    let h = java_hash(s) as u32;
    ((h ^ (h >> 16)) as usize) & (cap - 1)
}

/// Iteration order of a default `java.util.HashMap` filled with `keys` in order.
pub(crate) fn java_map_order(keys: &[String]) -> Vec<String> {
    let mut cap = 16usize;
    while keys.len() * 4 > cap * 3 {
        cap *= 2;
    }
    let mut v: Vec<(usize, usize, String)> =
        keys.iter().enumerate().map(|(i, k)| (java_bucket(k, cap), i, k.clone())).collect();
    v.sort();
    v.into_iter().map(|(_, _, k)| k).collect()
}

/// Iteration order of `new HashSet<>(first)` followed by `addAll(second)` (first, second already in
/// their own HashMap iteration orders), as in Confluent's `compareTypeElements`.
pub(crate) fn java_union_order(first: &[String], second: &[String]) -> Vec<String> {
    let n1 = first.len();
    let mut cap = ((n1 as f64 / 0.75) as usize + 1).max(16).next_power_of_two();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut all: Vec<String> = Vec::new();
    for k in first.iter().chain(second.iter()) {
        if seen.insert(k.as_str()) {
            all.push(k.clone());
            if all.len() * 4 > cap * 3 {
                cap *= 2;
            }
        }
    }
    let mut v: Vec<(usize, usize, String)> =
        all.into_iter().enumerate().map(|(i, k)| (java_bucket(&k, cap), i, k)).collect();
    v.sort();
    v.into_iter().map(|(_, _, k)| k).collect()
}

pub(crate) fn compare_type_elements(ctx: &mut DiffCtx<'_, '_>, original: &[TypeEl], update: &[TypeEl]) {
    type Collected<'m> =
        (HashMap<&'m str, (&'m MessageEl, usize)>, Vec<String>, HashMap<&'m str, &'m EnumEl>, Vec<String>);
    fn collect(types: &[TypeEl]) -> Collected<'_> {
        let mut msgs = HashMap::new();
        let mut msg_keys = Vec::new();
        let mut enums = HashMap::new();
        let mut enum_keys = Vec::new();
        let mut index = 0;
        for t in types {
            match t {
                TypeEl::Message(m) => {
                    if msgs.insert(m.name.as_str(), (m, index)).is_none() {
                        msg_keys.push(m.name.clone());
                    }
                    index += 1;
                }
                TypeEl::Enum(e) => {
                    if enums.insert(e.name.as_str(), e).is_none() {
                        enum_keys.push(e.name.clone());
                    }
                }
            }
        }
        (msgs, java_map_order(&msg_keys), enums, java_map_order(&enum_keys))
    }
    let (o_msgs, o_keys, o_enums, o_enum_keys) = collect(original);
    let (u_msgs, u_keys, u_enums, u_enum_keys) = collect(update);
    for name in java_union_order(&o_keys, &u_keys) {
        ctx.path.push(name.clone());
        ctx.names.push(name.clone());
        match (o_msgs.get(name.as_str()), u_msgs.get(name.as_str())) {
            (Some(_), None) => {
                if ctx.get_type(&name, true).is_some_and(|t| t.map.is_none()) {
                    ctx.add(DiffKind::MessageRemoved);
                }
            }
            (None, Some(_)) => {
                if ctx.get_type(&name, false).is_some_and(|t| t.map.is_none()) {
                    ctx.add(DiffKind::MessageAdded);
                }
            }
            (Some((om, oi)), Some((um, ui))) => {
                compare_messages(ctx, om, um);
                if oi != ui {
                    ctx.add(DiffKind::MessageMoved);
                }
            }
            (None, None) => {}
        }
        ctx.names.pop();
        ctx.path.pop();
    }
    for name in java_union_order(&o_enum_keys, &u_enum_keys) {
        ctx.path.push(name.clone());
        ctx.names.push(name.clone());
        match (o_enums.get(name.as_str()), u_enums.get(name.as_str())) {
            (Some(_), None) => ctx.add(DiffKind::EnumRemoved),
            (None, Some(_)) => ctx.add(DiffKind::EnumAdded),
            (Some(oe), Some(ue)) => compare_enums(ctx, oe, ue),
            (None, None) => {}
        }
        ctx.names.pop();
        ctx.path.pop();
    }
}
