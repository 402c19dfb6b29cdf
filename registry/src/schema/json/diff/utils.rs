//! Structural equality and de-duplication of subschemas.

use super::*;

/// Collapses structurally equal subschemas, keeping first occurrences (Confluent's LinkedHashSet).
pub(crate) fn dedupe(nodes: &[Node], ids: &[NodeId]) -> Vec<NodeId> {
    let mut out: Vec<NodeId> = Vec::with_capacity(ids.len());
    for &id in ids {
        if !out.iter().any(|&o| node_eq(nodes, o, id, 0)) {
            out.push(id);
        }
    }
    out
}

/// Structural equality of two nodes of one schema; `$ref`s compare by their text.
pub(crate) fn node_eq(nodes: &[Node], a: NodeId, b: NodeId, depth: usize) -> bool {
    if a == b {
        return true;
    }
    if depth > MAX_JSON_DEPTH {
        return false;
    }
    let (x, y) = (&nodes[a], &nodes[b]);
    if x.id != y.id
        || x.title != y.title
        || x.description != y.description
        || x.default != y.default
        || x.connect_type != y.connect_type
    {
        return false;
    }
    let eq = |p: NodeId, q: NodeId| node_eq(nodes, p, q, depth + 1);
    let opt_eq = |p: Option<NodeId>, q: Option<NodeId>| match (p, q) {
        (None, None) => true,
        (Some(p), Some(q)) => eq(p, q),
        _ => false,
    };
    let list_eq = |p: &[NodeId], q: &[NodeId]| p.len() == q.len() && p.iter().zip(q).all(|(&m, &n)| eq(m, n));
    match (&x.kind, &y.kind) {
        (Kind::Str(p), Kind::Str(q)) => {
            p.min_length == q.min_length && p.max_length == q.max_length && p.pattern == q.pattern
        }
        (Kind::Num(p), Kind::Num(q)) => {
            p.requires_integer == q.requires_integer
                && p.minimum == q.minimum
                && p.maximum == q.maximum
                && p.exclusive_minimum == q.exclusive_minimum
                && p.exclusive_maximum == q.exclusive_maximum
                && match (&p.multiple_of, &q.multiple_of) {
                    (None, None) => true,
                    (Some(m), Some(n)) => decimal_eq(m, n),
                    _ => false,
                }
        }
        (Kind::Enum(p), Kind::Enum(q)) => p == q,
        (Kind::Const(p), Kind::Const(q)) => p == q,
        (Kind::Combined(pc, ps), Kind::Combined(qc, qs)) => pc == qc && list_eq(ps, qs),
        (Kind::Not(p), Kind::Not(q)) => eq(*p, *q),
        (Kind::Ref(_, p), Kind::Ref(_, q)) => p == q,
        (Kind::Obj(p), Kind::Obj(q)) => {
            p.properties.len() == q.properties.len()
                && p.properties.iter().all(|(k, v)| q.property(k).is_some_and(|w| eq(*v, w)))
                && p.required == q.required
                && p.min_properties == q.min_properties
                && p.max_properties == q.max_properties
                && p.permits_additional == q.permits_additional
                && opt_eq(p.additional_schema, q.additional_schema)
                && p.pattern_properties.len() == q.pattern_properties.len()
                && p.pattern_properties.iter().zip(&q.pattern_properties).all(|(m, n)| {
                    m.regex.as_ref().map(|r| r.as_str()) == n.regex.as_ref().map(|r| r.as_str())
                        && eq(m.schema, n.schema)
                })
                && p.property_dependencies == q.property_dependencies
                && p.schema_dependencies.len() == q.schema_dependencies.len()
                && p.schema_dependencies.iter().zip(&q.schema_dependencies).all(|(m, n)| m.0 == n.0 && eq(m.1, n.1))
                && opt_eq(p.unevaluated, q.unevaluated)
        }
        (Kind::Arr(p), Kind::Arr(q)) => {
            opt_eq(p.all_items, q.all_items)
                && list_eq(&p.item_schemas, &q.item_schemas)
                && p.permits_additional == q.permits_additional
                && opt_eq(p.additional_schema, q.additional_schema)
                && p.min_items == q.min_items
                && p.max_items == q.max_items
                && p.unique_items == q.unique_items
                && p.min_contains == q.min_contains
                && p.max_contains == q.max_contains
                && opt_eq(p.unevaluated, q.unevaluated)
        }
        (p, q) => p.class() == q.class() && !matches!(p, Kind::Cond),
    }
}
