//! Confluent's `ObjectSchemaDiff` (properties, required, additional and pattern properties,
//! dependencies, unevaluatedProperties).

use super::*;

impl<'a> Engine<'a> {
    pub(crate) fn obj_open(&self, s: SRef, obj: &ObjS) -> bool {
        obj.permits_additional
            && obj.additional_schema.is_none()
            && obj.pattern_properties.is_empty()
            && obj.unevaluated.is_none_or(|id| self.node(Engine::at(s, id)).kind.is_empty_schema())
    }

    pub(crate) fn obj_partial(&self, s: SRef, obj: &ObjS, key: &str) -> Option<NodeId> {
        for pp in &obj.pattern_properties {
            if let Some(re) = &pp.regex {
                if re.is_match(key).unwrap_or(false) {
                    return Some(pp.schema);
                }
            }
        }
        self.additional_partial(s, obj.permits_additional, obj.additional_schema, obj.unevaluated)
    }

    pub(crate) fn compare_object(&mut self, ctx: &mut DiffCtx, o: SRef, a: &ObjS, u: SRef, b: &ObjS) {
        self.compare_required(ctx, u, a, b);
        self.compare_properties(ctx, o, a, u, b);
        self.compare_dependencies(ctx, o, a, u, b);

        // additionalProperties
        self.compare_additional(
            ctx,
            "additionalProperties",
            (o, a.permits_additional, a.additional_schema),
            (u, b.permits_additional, b.additional_schema),
            [
                DT::ADDITIONAL_PROPERTIES_ADDED,
                DT::ADDITIONAL_PROPERTIES_REMOVED,
                DT::ADDITIONAL_PROPERTIES_EXTENDED,
                DT::ADDITIONAL_PROPERTIES_NARROWED,
            ],
        );

        // unevaluatedProperties
        self.compare_unevaluated(
            ctx,
            "unevaluatedProperties",
            a.unevaluated.map(|id| Engine::at(o, id)),
            b.unevaluated.map(|id| Engine::at(u, id)),
            [
                DT::UNEVALUATED_PROPERTIES_ADDED,
                DT::UNEVALUATED_PROPERTIES_REMOVED,
                DT::UNEVALUATED_PROPERTIES_EXTENDED,
                DT::UNEVALUATED_PROPERTIES_NARROWED,
            ],
        );

        compare_limit(
            ctx,
            "maxProperties",
            a.max_properties,
            b.max_properties,
            [
                DT::MAX_PROPERTIES_ADDED,
                DT::MAX_PROPERTIES_REMOVED,
                DT::MAX_PROPERTIES_INCREASED,
                DT::MAX_PROPERTIES_DECREASED,
            ],
        );
        compare_limit(
            ctx,
            "minProperties",
            a.min_properties,
            b.min_properties,
            [
                DT::MIN_PROPERTIES_ADDED,
                DT::MIN_PROPERTIES_REMOVED,
                DT::MIN_PROPERTIES_INCREASED,
                DT::MIN_PROPERTIES_DECREASED,
            ],
        );
    }

    /// `required`: a property both sides declare that became (or stopped being) required.
    fn compare_required(&mut self, ctx: &mut DiffCtx, u: SRef, a: &ObjS, b: &ObjS) {
        ctx.enter("required");
        for (key, _) in &a.properties {
            if let Some(uid) = b.property(key) {
                let was = a.required.contains(key);
                let is = b.required.contains(key);
                if was && !is {
                    ctx.add_at(key, DT::REQUIRED_ATTRIBUTE_REMOVED);
                } else if !was && is {
                    if self.node(Engine::at(u, uid)).default.is_some() {
                        ctx.add_at(key, DT::REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED);
                    } else {
                        ctx.add_at(key, DT::REQUIRED_ATTRIBUTE_ADDED);
                    }
                }
            }
        }
        ctx.leave();
    }

    /// `properties`: each property of either side (the original's order, then the update's new
    /// ones), removed, added or compared.
    fn compare_properties(&mut self, ctx: &mut DiffCtx, o: SRef, a: &ObjS, u: SRef, b: &ObjS) {
        ctx.enter("properties");
        let keys: Vec<&String> = a
            .properties
            .iter()
            .map(|(k, _)| k)
            .chain(b.properties.iter().map(|(k, _)| k).filter(|k| a.property(k).is_none()))
            .collect();
        for key in keys {
            ctx.enter(key.as_str());
            match (a.property(key), b.property(key)) {
                (Some(oid), None) => self.property_removed(ctx, (o, oid), u, b, key),
                (None, Some(uid)) => self.property_added(ctx, o, a, (u, uid), b, key),
                (Some(oid), Some(uid)) => self.compare(ctx, Some(Engine::at(o, oid)), Some(Engine::at(u, uid))),
                (None, None) => {}
            }
            ctx.leave();
        }
        ctx.leave();
    }

    /// A property only the original declares: what the update's content model makes of it.
    fn property_removed(&mut self, ctx: &mut DiffCtx, (o, oid): (SRef, NodeId), u: SRef, b: &ObjS, key: &str) {
        if self.obj_open(u, b) {
            ctx.add(DT::PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL);
        } else if let Some(p) = self.obj_partial(u, b, key) {
            let mut sub = ctx.sub();
            self.compare(&mut sub, Some(Engine::at(o, oid)), Some(Engine::at(u, p)));
            let ok = self.compatible(&sub);
            ctx.diffs.extend(sub.diffs);
            ctx.add(if ok {
                DT::PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            } else {
                DT::PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            });
        } else if matches!(self.node(Engine::at(o, oid)).kind, Kind::False) {
            ctx.add(DT::PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL);
        } else {
            ctx.add(DT::PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL);
        }
    }

    /// A property only the update declares: what the original's content model made of it.
    fn property_added(&mut self, ctx: &mut DiffCtx, o: SRef, a: &ObjS, (u, uid): (SRef, NodeId), b: &ObjS, key: &str) {
        let un = self.node(Engine::at(u, uid));
        let required = b.required.contains(key);
        if self.obj_open(o, a) {
            if un.kind.is_empty_schema() {
                ctx.add(DT::PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL);
            } else if required {
                ctx.add(if un.default.is_some() {
                    DT::REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
                } else {
                    DT::REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
                });
            } else {
                ctx.add(DT::OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL);
            }
        } else {
            if let Some(p) = self.obj_partial(o, a, key) {
                let mut sub = ctx.sub();
                self.compare(&mut sub, Some(Engine::at(o, p)), Some(Engine::at(u, uid)));
                let ok = self.compatible(&sub);
                ctx.diffs.extend(sub.diffs);
                ctx.add(if ok {
                    DT::PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                } else {
                    DT::PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                });
            }
            if required {
                ctx.add(if un.default.is_some() {
                    DT::REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL
                } else {
                    DT::REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL
                });
            } else {
                ctx.add(DT::OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL);
            }
        }
    }

    /// `dependencies` (`dependentRequired` and `dependentSchemas`): property lists, then schemas.
    fn compare_dependencies(&mut self, ctx: &mut DiffCtx, o: SRef, a: &ObjS, u: SRef, b: &ObjS) {
        ctx.enter("dependencies");
        compare_property_dependencies(ctx, a, b);
        let a_schema: HashMap<&str, NodeId> = a.schema_dependencies.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let b_schema: HashMap<&str, NodeId> = b.schema_dependencies.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let dep_keys: Vec<&String> = a
            .schema_dependencies
            .iter()
            .map(|(k, _)| k)
            .chain(b.schema_dependencies.iter().map(|(k, _)| k).filter(|k| !a_schema.contains_key(k.as_str())))
            .collect();
        for key in dep_keys {
            match (a_schema.get(key.as_str()).copied(), b_schema.get(key.as_str()).copied()) {
                (_, None) => ctx.add_at(key, DT::DEPENDENCY_SCHEMA_REMOVED),
                (None, Some(_)) => ctx.add_at(key, DT::DEPENDENCY_SCHEMA_ADDED),
                (Some(x), Some(y)) => {
                    ctx.enter(key.as_str());
                    self.compare(ctx, Some(Engine::at(o, x)), Some(Engine::at(u, y)));
                    ctx.leave();
                }
            }
        }
        ctx.leave();
    }

    /// `types` = [ADDED, REMOVED, EXTENDED, NARROWED].
    /// The open-content tail shared by arrays and objects: the `additional*` schema, else a
    /// non-trivial `unevaluated*` schema when additional content is permitted.
    pub(crate) fn additional_partial(
        &self,
        s: SRef,
        permits: bool,
        additional: Option<NodeId>,
        unevaluated: Option<NodeId>,
    ) -> Option<NodeId> {
        if additional.is_some() {
            return additional;
        }
        let u = unevaluated.filter(|_| permits)?;
        let k = &self.node(Engine::at(s, u)).kind;
        (!matches!(k, Kind::False) && !k.is_empty_schema()).then_some(u)
    }

    /// `additionalItems` / `additionalProperties`: each side is (root, permits, schema);
    /// `types` = [ADDED, REMOVED, EXTENDED, NARROWED].
    pub(crate) fn compare_additional(
        &mut self,
        ctx: &mut DiffCtx,
        keyword: &str,
        a: (SRef, bool, Option<NodeId>),
        b: (SRef, bool, Option<NodeId>),
        types: [DT; 4],
    ) {
        let [added, removed, extended, narrowed] = types;
        let ((o, a_permits, a_schema), (u, b_permits, b_schema)) = (a, b);
        ctx.enter(keyword);
        if a_permits != b_permits {
            ctx.add(if b_permits { added } else { removed });
        } else if a_schema.is_none() && b_schema.is_some() {
            ctx.add(narrowed);
        } else if b_schema.is_none() && a_schema.is_some() {
            ctx.add(extended);
        } else {
            self.compare(ctx, a_schema.map(|id| Engine::at(o, id)), b_schema.map(|id| Engine::at(u, id)));
        }
        ctx.leave();
    }

    pub(crate) fn compare_unevaluated(
        &mut self,
        ctx: &mut DiffCtx,
        keyword: &str,
        x: Option<SRef>,
        y: Option<SRef>,
        types: [DT; 4],
    ) {
        let [added, removed, extended, narrowed] = types;
        if x.is_none() && y.is_none() {
            return;
        }
        let is_false = |s: Option<SRef>| s.is_some_and(|s| matches!(self.node(s).kind, Kind::False));
        let is_empty = |s: Option<SRef>| s.is_some_and(|s| self.node(s).kind.is_empty_schema());
        ctx.enter(keyword);
        if x.is_none() {
            ctx.add(if is_false(y) { removed } else { narrowed });
        } else if y.is_none() {
            ctx.add(if is_false(x) { added } else { extended });
        } else if is_false(x) && !is_false(y) {
            ctx.add(added);
        } else if !is_false(x) && is_false(y) {
            ctx.add(removed);
        } else if is_empty(x) && !is_empty(y) {
            ctx.add(narrowed);
        } else if !is_empty(x) && is_empty(y) {
            ctx.add(extended);
        } else {
            self.compare(ctx, x, y);
        }
        ctx.leave();
    }
}

/// `dependencies` property lists: removed, added, extended, narrowed or changed.
fn compare_property_dependencies(ctx: &mut DiffCtx, a: &ObjS, b: &ObjS) {
    let a_prop: HashMap<&str, &Vec<String>> = a.property_dependencies.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let b_prop: HashMap<&str, &Vec<String>> = b.property_dependencies.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let dep_keys: Vec<&String> = a
        .property_dependencies
        .iter()
        .map(|(k, _)| k)
        .chain(b.property_dependencies.iter().map(|(k, _)| k).filter(|k| !a_prop.contains_key(k.as_str())))
        .collect();
    for key in dep_keys {
        match (a_prop.get(key.as_str()), b_prop.get(key.as_str())) {
            (_, None) => ctx.add_at(key, DT::DEPENDENCY_ARRAY_REMOVED),
            (None, Some(_)) => ctx.add_at(key, DT::DEPENDENCY_ARRAY_ADDED),
            (Some(x), Some(y)) => {
                let x: HashSet<&String> = x.iter().collect();
                let y: HashSet<&String> = y.iter().collect();
                if x != y {
                    if y.is_superset(&x) {
                        ctx.add_at(key, DT::DEPENDENCY_ARRAY_EXTENDED);
                    } else if x.is_superset(&y) {
                        ctx.add_at(key, DT::DEPENDENCY_ARRAY_NARROWED);
                    } else {
                        ctx.add_at(key, DT::DEPENDENCY_ARRAY_CHANGED);
                    }
                }
            }
        }
    }
}
