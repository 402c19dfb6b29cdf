//! Confluent's `CombinedSchemaDiff` (allOf/anyOf/oneOf), with the bipartite matching it uses.

use super::*;

impl<'a> Engine<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn compare_combined(
        &mut self,
        ctx: &mut DiffCtx,
        o: SRef,
        oc: Crit,
        osubs: &[NodeId],
        u: SRef,
        uc: Crit,
        usubs: &[NodeId],
    ) {
        let criteria = if oc == uc {
            None
        } else if uc == Crit::Any
            || (osubs.len() == 1 && usubs.len() == 1)
            || (osubs.len() == 1 && uc == Crit::One)
            || (usubs.len() == 1 && oc == Crit::All)
        {
            Some(DT::COMBINED_TYPE_EXTENDED)
        } else {
            Some(DT::COMBINED_TYPE_CHANGED)
        };
        if let Some(ty) = criteria {
            ctx.add(ty);
        }
        if criteria == Some(DT::COMBINED_TYPE_CHANGED) {
            return;
        }
        if !crate::budget::charge_each(osubs.len().saturating_mul(usubs.len()), crate::budget::PAIR) {
            self.abort = Some("the combined schemas have too many subschemas to compare".to_string());
            return;
        }
        let olist = dedupe(self.sides[usize::from(o.side)], osubs);
        let ulist = dedupe(self.sides[usize::from(u.side)], usubs);
        if olist.len() < ulist.len() {
            ctx.add(if uc == Crit::All { DT::PRODUCT_TYPE_EXTENDED } else { DT::SUM_TYPE_EXTENDED });
        } else if olist.len() > ulist.len() {
            ctx.add(if matches!(oc, Crit::Any | Crit::One) {
                DT::SUM_TYPE_NARROWED
            } else {
                DT::PRODUCT_TYPE_NARROWED
            });
        }
        let mut edges: Vec<Vec<(usize, Vec<Diff>)>> = Vec::with_capacity(olist.len());
        for (i, os) in olist.iter().enumerate() {
            ctx.enter(format!("{}/{i}", oc.name()));
            let mut row = Vec::new();
            for (j, us) in ulist.iter().enumerate() {
                let mut sub = ctx.sub();
                self.compare(&mut sub, Some(Engine::at(o, *os)), Some(Engine::at(u, *us)));
                if self.compatible(&sub) {
                    row.push((j, sub.diffs));
                }
            }
            ctx.leave();
            edges.push(row);
        }
        let matching = max_matching(&edges, ulist.len());
        let mut matched = 0;
        for (i, m) in matching.iter().enumerate() {
            if let Some(j) = m {
                matched += 1;
                if let Some((_, diffs)) = edges[i].iter().find(|(jj, _)| jj == j) {
                    ctx.diffs.extend(diffs.iter().cloned());
                }
            }
        }
        if matched < olist.len().min(ulist.len()) {
            ctx.add(DT::COMBINED_TYPE_SUBSCHEMAS_CHANGED);
        }
    }
}

/// Maximum bipartite matching (augmenting paths); `edges[i]` lists the right vertices of `i`.
pub(crate) fn max_matching(edges: &[Vec<(usize, Vec<Diff>)>], right: usize) -> Vec<Option<usize>> {
    fn augment(i: usize, edges: &[Vec<(usize, Vec<Diff>)>], seen: &mut [bool], owner: &mut [Option<usize>]) -> bool {
        for (j, _) in &edges[i] {
            if seen[*j] {
                continue;
            }
            seen[*j] = true;
            if owner[*j].is_none_or(|k| augment(k, edges, seen, owner)) {
                owner[*j] = Some(i);
                return true;
            }
        }
        false
    }
    let mut owner: Vec<Option<usize>> = vec![None; right];
    for i in 0..edges.len() {
        let mut seen = vec![false; right];
        augment(i, edges, &mut seen, &mut owner);
    }
    let mut result = vec![None; edges.len()];
    for (j, o) in owner.iter().enumerate() {
        if let Some(i) = o {
            result[*i] = Some(j);
        }
    }
    result
}
