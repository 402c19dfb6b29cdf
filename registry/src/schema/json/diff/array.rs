//! Confluent's `ArraySchemaDiff`.

use super::*;

impl<'a> Engine<'a> {
    pub(crate) fn arr_open(&self, s: SRef, arr: &ArrS) -> bool {
        arr.permits_additional
            && arr.additional_schema.is_none()
            && arr.unevaluated.is_none_or(|id| self.node(Engine::at(s, id)).kind.is_empty_schema())
    }

    pub(crate) fn arr_partial(&self, s: SRef, arr: &ArrS) -> Option<NodeId> {
        self.additional_partial(s, arr.permits_additional, arr.additional_schema, arr.unevaluated)
    }

    pub(crate) fn compare_array(&mut self, ctx: &mut DiffCtx, o: SRef, a: &ArrS, u: SRef, b: &ArrS) {
        self.compare_items(ctx, o, a, u, b);
        self.compare_additional(
            ctx,
            "additionalItems",
            (o, a.permits_additional, a.additional_schema),
            (u, b.permits_additional, b.additional_schema),
            [
                DT::ADDITIONAL_ITEMS_ADDED,
                DT::ADDITIONAL_ITEMS_REMOVED,
                DT::ADDITIONAL_ITEMS_EXTENDED,
                DT::ADDITIONAL_ITEMS_NARROWED,
            ],
        );

        self.compare_unevaluated(
            ctx,
            "unevaluatedItems",
            a.unevaluated.map(|id| Engine::at(o, id)),
            b.unevaluated.map(|id| Engine::at(u, id)),
            [
                DT::UNEVALUATED_ITEMS_ADDED,
                DT::UNEVALUATED_ITEMS_REMOVED,
                DT::UNEVALUATED_ITEMS_EXTENDED,
                DT::UNEVALUATED_ITEMS_NARROWED,
            ],
        );

        compare_array_limits(ctx, a, b);
    }

    /// `items`: the one schema for all items, then the positional ones (common, removed, added).
    fn compare_items(&mut self, ctx: &mut DiffCtx, o: SRef, a: &ArrS, u: SRef, b: &ArrS) {
        ctx.enter("items");
        self.compare(ctx, a.all_items.map(|id| Engine::at(o, id)), b.all_items.map(|id| Engine::at(u, id)));
        ctx.leave();

        let common = a.item_schemas.len().min(b.item_schemas.len());
        for i in 0..common {
            ctx.enter(format!("items/{i}"));
            self.compare(ctx, Some(Engine::at(o, a.item_schemas[i])), Some(Engine::at(u, b.item_schemas[i])));
            ctx.leave();
        }
        for (i, &oid) in a.item_schemas.iter().enumerate().skip(common) {
            ctx.enter(format!("items/{i}"));
            self.item_removed(ctx, (o, oid), u, b);
            ctx.leave();
        }
        for (i, &uid) in b.item_schemas.iter().enumerate().skip(common) {
            ctx.enter(format!("items/{i}"));
            self.item_added(ctx, o, a, (u, uid));
            ctx.leave();
        }
    }

    /// A positional item only the original has: what the update's content model makes of it.
    fn item_removed(&mut self, ctx: &mut DiffCtx, (o, oid): (SRef, NodeId), u: SRef, b: &ArrS) {
        if self.arr_open(u, b) {
            ctx.add(DT::ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL);
        } else if let Some(p) = self.arr_partial(u, b) {
            let mut sub = ctx.sub();
            self.compare(&mut sub, Some(Engine::at(o, oid)), Some(Engine::at(u, p)));
            let ok = self.compatible(&sub);
            ctx.diffs.extend(sub.diffs);
            ctx.add(if ok {
                DT::ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            } else {
                DT::ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            });
        } else if matches!(self.node(Engine::at(o, oid)).kind, Kind::False) {
            ctx.add(DT::ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL);
        } else {
            ctx.add(DT::ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL);
        }
    }

    /// A positional item only the update has: what the original's content model made of it.
    fn item_added(&mut self, ctx: &mut DiffCtx, o: SRef, a: &ArrS, (u, uid): (SRef, NodeId)) {
        if self.arr_open(o, a) {
            if self.node(Engine::at(u, uid)).kind.is_empty_schema() {
                ctx.add(DT::ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL);
            } else {
                ctx.add(DT::ITEM_ADDED_TO_OPEN_CONTENT_MODEL);
            }
        } else if let Some(p) = self.arr_partial(o, a) {
            let mut sub = ctx.sub();
            self.compare(&mut sub, Some(Engine::at(o, p)), Some(Engine::at(u, uid)));
            let ok = self.compatible(&sub);
            ctx.diffs.extend(sub.diffs);
            ctx.add(if ok {
                DT::ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            } else {
                DT::ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            });
        } else {
            ctx.add(DT::ITEM_ADDED_TO_CLOSED_CONTENT_MODEL);
        }
    }
}

/// The counts: `maxItems`, `minItems`, `uniqueItems`, `maxContains`, `minContains`.
fn compare_array_limits(ctx: &mut DiffCtx, a: &ArrS, b: &ArrS) {
    compare_limit(
        ctx,
        "maxItems",
        a.max_items,
        b.max_items,
        [DT::MAX_ITEMS_ADDED, DT::MAX_ITEMS_REMOVED, DT::MAX_ITEMS_INCREASED, DT::MAX_ITEMS_DECREASED],
    );
    compare_limit(
        ctx,
        "minItems",
        a.min_items,
        b.min_items,
        [DT::MIN_ITEMS_ADDED, DT::MIN_ITEMS_REMOVED, DT::MIN_ITEMS_INCREASED, DT::MIN_ITEMS_DECREASED],
    );
    if a.unique_items != b.unique_items {
        ctx.add_at("uniqueItems", if a.unique_items { DT::UNIQUE_ITEMS_REMOVED } else { DT::UNIQUE_ITEMS_ADDED });
    }
    // Number.intValue() comparisons.
    let int = |v: Option<f64>| v.map(|f| f as i64);
    compare_limit(
        ctx,
        "maxContains",
        int(a.max_contains),
        int(b.max_contains),
        [DT::MAX_CONTAINS_ADDED, DT::MAX_CONTAINS_REMOVED, DT::MAX_CONTAINS_INCREASED, DT::MAX_CONTAINS_DECREASED],
    );
    compare_limit(
        ctx,
        "minContains",
        int(a.min_contains),
        int(b.min_contains),
        [DT::MIN_CONTAINS_ADDED, DT::MIN_CONTAINS_REMOVED, DT::MIN_CONTAINS_INCREASED, DT::MIN_CONTAINS_DECREASED],
    );
}
