//! Confluent's `SchemaDiff`: diff context, entry point and the per-type dispatch.

use super::*;

#[derive(Debug, Clone)]
pub(crate) struct Diff {
    pub(crate) ty: DT,
    pub(crate) path: String,
}

/// A node of one of the two schemas being compared (side 0 = original, 1 = update).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SRef {
    pub(crate) side: u8,
    pub(crate) id: NodeId,
}

pub(crate) type Pair = (SRef, SRef);

pub(crate) struct DiffCtx {
    pub(crate) path: Vec<String>,
    pub(crate) diffs: Vec<Diff>,
}

impl DiffCtx {
    pub(crate) fn new() -> DiffCtx {
        DiffCtx { path: Vec::new(), diffs: Vec::new() }
    }

    pub(crate) fn sub(&self) -> DiffCtx {
        DiffCtx { path: self.path.clone(), diffs: Vec::new() }
    }

    pub(crate) fn path_string(&self) -> String {
        format!("#/{}", self.path.join("/"))
    }

    pub(crate) fn add(&mut self, ty: DT) {
        let path = self.path_string();
        self.diffs.push(Diff { ty, path });
    }

    pub(crate) fn add_at(&mut self, attr: &str, ty: DT) {
        self.path.push(attr.to_string());
        self.add(ty);
        self.path.pop();
    }

    pub(crate) fn enter(&mut self, segment: impl Into<String>) {
        self.path.push(segment.into());
    }

    pub(crate) fn leave(&mut self) {
        self.path.pop();
    }

    pub(crate) fn add_rebased(&mut self, relative: &[Diff]) {
        if self.path.is_empty() {
            self.diffs.extend(relative.iter().cloned());
            return;
        }
        let prefix = self.path_string();
        for d in relative {
            let path = if d.path.len() <= 2 { prefix.clone() } else { format!("{prefix}/{}", &d.path[2..]) };
            self.diffs.push(Diff { ty: d.ty, path });
        }
    }
}

pub(crate) fn run_diff(original: &JsonSchema, update: &JsonSchema, lenient: bool) -> Result<Vec<Diff>, String> {
    crate::budget::ensure(|| run_diff_within_budget(original, update, lenient))
}

fn run_diff_within_budget(original: &JsonSchema, update: &JsonSchema, lenient: bool) -> Result<Vec<Diff>, String> {
    let sides = [&original.inner.nodes[..], &update.inner.nodes[..]];
    let o = SRef { side: 0, id: original.inner.root };
    let u = SRef { side: 1, id: update.inner.root };
    let mut seed: HashMap<Pair, Rc<Vec<Diff>>> = HashMap::new();
    for _ in 0..MAX_FIXPOINT_PASSES {
        let mut engine = Engine {
            sides,
            lenient,
            memo: HashMap::new(),
            in_progress: HashSet::new(),
            seed,
            optimism: false,
            depth: 0,
            abort: None,
        };
        let mut ctx = DiffCtx::new();
        engine.compare(&mut ctx, Some(o), Some(u));
        if let Some(reason) = engine.abort {
            return Err(reason);
        }
        let incompatible: HashMap<Pair, Rc<Vec<Diff>>> = engine
            .memo
            .iter()
            .filter(|(_, diffs)| diffs.iter().any(|d| !is_compatible(d.ty, lenient)))
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        let converged =
            incompatible.len() == engine.seed.len() && incompatible.keys().all(|k| engine.seed.contains_key(k));
        if !engine.optimism || converged {
            return Ok(ctx.diffs);
        }
        seed = incompatible;
    }
    Err("recursive schemas did not converge".to_string())
}

pub(crate) struct Engine<'a> {
    pub(crate) sides: [&'a [Node]; 2],
    pub(crate) lenient: bool,
    pub(crate) memo: HashMap<Pair, Rc<Vec<Diff>>>,
    pub(crate) in_progress: HashSet<Pair>,
    pub(crate) seed: HashMap<Pair, Rc<Vec<Diff>>>,
    pub(crate) optimism: bool,
    pub(crate) depth: usize,
    pub(crate) abort: Option<String>,
}

impl<'a> Engine<'a> {
    pub(crate) fn node(&self, s: SRef) -> &'a Node {
        &self.sides[usize::from(s.side)][s.id]
    }

    pub(crate) fn at(s: SRef, id: NodeId) -> SRef {
        SRef { side: s.side, id }
    }

    pub(crate) fn compatible(&self, ctx: &DiffCtx) -> bool {
        ctx.diffs.iter().all(|d| is_compatible(d.ty, self.lenient))
    }

    pub(crate) fn deref(&self, mut s: SRef) -> SRef {
        for _ in 0..MAX_REF_CHAIN {
            match &self.node(s).kind {
                Kind::Ref(Some(t), _) => s = Engine::at(s, *t),
                _ => return s,
            }
        }
        s
    }

    pub(crate) fn compare(&mut self, ctx: &mut DiffCtx, o: Option<SRef>, u: Option<SRef>) {
        let (o, u) = match (o, u) {
            (None, None) => return,
            (None, Some(_)) => {
                ctx.add(DT::SCHEMA_ADDED);
                return;
            }
            (Some(_), None) => {
                ctx.add(DT::SCHEMA_REMOVED);
                return;
            }
            (Some(o), Some(u)) => (o, u),
        };
        let o = self.deref(o);
        let u = self.deref(u);
        let diffs = self.compare_memoized(o, u);
        ctx.add_rebased(&diffs);
    }

    pub(crate) fn compare_memoized(&mut self, o: SRef, u: SRef) -> Rc<Vec<Diff>> {
        if self.abort.is_some() {
            return Rc::new(Vec::new());
        }
        let key = (o, u);
        if let Some(cached) = self.memo.get(&key) {
            return cached.clone();
        }
        if self.in_progress.contains(&key) {
            if let Some(seeded) = self.seed.get(&key) {
                return seeded.clone();
            }
            self.optimism = true;
            return Rc::new(Vec::new());
        }
        // Every pair compared is charged to the request's work budget.
        if !crate::budget::charge(crate::budget::PAIR) {
            self.abort = Some("the schemas are too large or too recursive to compare".to_string());
            return Rc::new(Vec::new());
        }
        if self.depth >= MAX_DIFF_DEPTH {
            self.abort = Some("the schemas are nested too deeply to compare".to_string());
            return Rc::new(Vec::new());
        }
        self.in_progress.insert(key);
        self.depth += 1;
        let mut sub = DiffCtx::new();
        self.compare_types(&mut sub, o, u);
        self.depth -= 1;
        self.in_progress.remove(&key);
        let result = Rc::new(sub.diffs);
        self.memo.insert(key, result.clone());
        result
    }

    pub(crate) fn compare_types(&mut self, ctx: &mut DiffCtx, o: SRef, u: SRef) {
        if self.compare_with_combined(ctx, o, u) {
            return;
        }
        let on = self.node(o);
        let un = self.node(u);

        if on.kind.class() != un.kind.class() {
            if matches!(on.kind, Kind::False) || un.kind.is_empty_schema() {
                return;
            }
            if on.connect_type.as_deref() == Some("bytes") && un.connect_type.as_deref() == Some("bytes") {
                return;
            }
            ctx.add(DT::TYPE_CHANGED);
            return;
        }

        compare_annotations(ctx, on, un);

        match (&on.kind, &un.kind) {
            (Kind::Str(a), Kind::Str(b)) => compare_string(ctx, a, b),
            (Kind::Num(a), Kind::Num(b)) => compare_number(ctx, a, b),
            (Kind::Const(a), Kind::Const(b)) if a != b => ctx.add_at("const", DT::ENUM_ARRAY_CHANGED),
            (Kind::Enum(a), Kind::Enum(b)) => compare_enum(ctx, a, b),
            (Kind::Combined(ac, asubs), Kind::Combined(bc, bsubs)) => {
                self.compare_combined(ctx, o, *ac, asubs, u, *bc, bsubs)
            }
            (Kind::Not(a), Kind::Not(b)) => {
                ctx.enter("not");
                let mut sub = ctx.sub();
                // The wrapped schemas are compared in reverse.
                self.compare(&mut sub, Some(Engine::at(u, *b)), Some(Engine::at(o, *a)));
                if self.compatible(&sub) {
                    ctx.add(DT::NOT_TYPE_NARROWED);
                } else {
                    ctx.add(DT::NOT_TYPE_EXTENDED);
                }
                ctx.leave();
            }
            (Kind::Obj(a), Kind::Obj(b)) => self.compare_object(ctx, o, a, u, b),
            (Kind::Arr(a), Kind::Arr(b)) => self.compare_array(ctx, o, a, u, b),
            _ => {}
        }
    }

    /// One side combined (`allOf`/`anyOf`/`oneOf`), the other not: a single-schema combination
    /// or a sum type extended (product type narrowed) by a compatible branch settles it. True
    /// when settled.
    fn compare_with_combined(&mut self, ctx: &mut DiffCtx, o: SRef, u: SRef) -> bool {
        let on = self.node(o);
        let un = self.node(u);
        match (&on.kind, &un.kind) {
            (ok, Kind::Combined(crit, subs)) if !matches!(ok, Kind::Combined(..)) => {
                if subs.len() == 1 {
                    let mut sub = ctx.sub();
                    self.compare(&mut sub, Some(o), Some(Engine::at(u, subs[0])));
                    if self.compatible(&sub) {
                        ctx.diffs.extend(sub.diffs);
                        return true;
                    }
                } else if matches!(crit, Crit::Any | Crit::One) {
                    for s in subs {
                        let mut sub = ctx.sub();
                        self.compare(&mut sub, Some(o), Some(Engine::at(u, *s)));
                        if self.compatible(&sub) {
                            ctx.diffs.extend(sub.diffs);
                            ctx.add(DT::SUM_TYPE_EXTENDED);
                            return true;
                        }
                    }
                }
            }
            (Kind::Combined(crit, subs), uk) if !matches!(uk, Kind::Combined(..)) => {
                if subs.len() == 1 {
                    let mut sub = ctx.sub();
                    self.compare(&mut sub, Some(Engine::at(o, subs[0])), Some(u));
                    if self.compatible(&sub) {
                        ctx.diffs.extend(sub.diffs);
                        return true;
                    }
                } else if *crit == Crit::All {
                    for s in subs {
                        let mut sub = ctx.sub();
                        self.compare(&mut sub, Some(Engine::at(o, *s)), Some(u));
                        if self.compatible(&sub) {
                            ctx.diffs.extend(sub.diffs);
                            ctx.add(DT::PRODUCT_TYPE_NARROWED);
                            return true;
                        }
                    }
                }
            }
            _ => {}
        }
        false
    }
}

/// The annotations Confluent compares on schemas of one class: `$id`, title, description,
/// default.
fn compare_annotations(ctx: &mut DiffCtx, on: &Node, un: &Node) {
    if on.id != un.id {
        ctx.add(DT::ID_CHANGED);
    }
    if on.title != un.title {
        ctx.add(DT::TITLE_CHANGED);
    }
    if on.description != un.description {
        ctx.add(DT::DESCRIPTION_CHANGED);
    }
    if on.default != un.default {
        ctx.add(DT::DEFAULT_CHANGED);
    }
}
