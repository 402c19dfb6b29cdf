//! Loader: JSON documents -> node arena, with `$ref` resolution.

use super::*;

pub(super) struct Doc {
    pub(super) value: JVal,
    pub(super) base: String,
    pub(super) draft: Draft,
    /// URIs (without fragment) under which this document can be referenced.
    pub(super) names: Vec<String>,
}

pub(super) const OBJECT_KEYWORDS_OLD: &[&str] = &[
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "dependencies",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
];
/// Draft 4: draft 6/7's list without `propertyNames`.
pub(super) const OBJECT_KEYWORDS_V4: &[&str] = OBJECT_KEYWORDS_OLD.split_at(7).0;
pub(super) const OBJECT_KEYWORDS_MODERN: &[&str] = &[
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
    "unevaluatedProperties",
];
pub(super) const ARRAY_KEYWORDS_V4: &[&str] = &["items", "additionalItems", "minItems", "maxItems", "uniqueItems"];
pub(super) const ARRAY_KEYWORDS_OLD: &[&str] =
    &["items", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"];
pub(super) const ARRAY_KEYWORDS_2019: &[&str] = &[
    "items",
    "additionalItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedItems",
];
pub(super) const ARRAY_KEYWORDS_2020: &[&str] = &[
    "prefixItems",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedItems",
];
pub(super) const NUMBER_KEYWORDS: &[&str] =
    &["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];
pub(super) const STRING_KEYWORDS: &[&str] = &["minLength", "maxLength", "pattern", "format"];
pub(super) const CONDITIONAL_KEYWORDS: &[&str] = &["if", "then", "else"];
/// Whether `key` makes the loader produce a schema part (so a sibling of `$ref` matters).
pub(super) fn is_applicator_keyword(key: &str, draft: Draft) -> bool {
    matches!(key, "enum" | "allOf" | "anyOf" | "oneOf" | "not" | "type" | "const" | "if" | "then" | "else")
        || array_keywords(draft).contains(&key)
        || object_keywords(draft).contains(&key)
        || NUMBER_KEYWORDS.contains(&key)
        || (STRING_KEYWORDS.contains(&key) && key != "format")
}

pub(super) fn object_keywords(d: Draft) -> &'static [&'static str] {
    match d {
        Draft::D4 => OBJECT_KEYWORDS_V4,
        Draft::D6 | Draft::D7 => OBJECT_KEYWORDS_OLD,
        _ => OBJECT_KEYWORDS_MODERN,
    }
}

pub(super) fn array_keywords(d: Draft) -> &'static [&'static str] {
    match d {
        Draft::D4 => ARRAY_KEYWORDS_V4,
        Draft::D6 | Draft::D7 => ARRAY_KEYWORDS_OLD,
        Draft::D201909 => ARRAY_KEYWORDS_2019,
        Draft::D202012 => ARRAY_KEYWORDS_2020,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum TypeName {
    String,
    Integer,
    Number,
    Boolean,
    Null,
    Array,
    Object,
}

pub(super) fn type_name(s: &str) -> Option<TypeName> {
    Some(match s {
        "string" => TypeName::String,
        "integer" => TypeName::Integer,
        "number" => TypeName::Number,
        "boolean" => TypeName::Boolean,
        "null" => TypeName::Null,
        "array" => TypeName::Array,
        "object" => TypeName::Object,
        _ => return None,
    })
}

pub(super) struct Location {
    pub(super) doc: usize,
    pub(super) ptr: String,
}

pub(super) struct Loader<'d> {
    pub(super) docs: &'d [Doc],
    pub(super) nodes: Vec<Node>,
    pub(super) memo: HashMap<(usize, String), NodeId>,
    pub(super) pending: Vec<(NodeId, String, String)>,
    /// Absolute URI (with anchor fragment, if any) -> location of the subschema carrying it.
    pub(super) ids: HashMap<String, (usize, String)>,
}

impl<'d> Loader<'d> {
    pub(super) fn run(docs: &'d [Doc]) -> Result<(Vec<Node>, NodeId), JsonSchemaError> {
        let mut loader =
            Loader { docs, nodes: Vec::new(), memo: HashMap::new(), pending: Vec::new(), ids: HashMap::new() };
        for (i, doc) in docs.iter().enumerate() {
            loader.index_ids(i, &doc.value, &doc.base, String::new(), doc.draft, 0);
        }
        let root = loader.load(0, String::new(), &docs[0].value, &docs[0].base, 0)?;
        while let Some((ref_node, base, reference)) = loader.pending.pop() {
            let target = loader.resolve_ref(&base, &reference)?;
            let doc = &loader.docs[target.doc];
            let tokens: Vec<String> = split_pointer(&target.ptr);
            let value = pointer_get(&doc.value, &tokens)
                .ok_or_else(|| JsonSchemaError(format!("Invalid JSON schema: cannot resolve $ref '{reference}'")))?;
            let target_base = base_at(doc, &tokens);
            let id = loader.load(target.doc, target.ptr, value, &target_base, 0)?;
            if let Kind::Ref(t, _) = &mut loader.nodes[ref_node].kind {
                *t = Some(id);
            }
        }
        Ok((loader.nodes, root))
    }

    /// Records every `$id` / `$anchor` of a document (JSON-structural walk, skipping data).
    pub(super) fn index_ids(&mut self, doc: usize, v: &JVal, base: &str, ptr: String, draft: Draft, depth: usize) {
        if depth > MAX_JSON_DEPTH {
            return;
        }
        match v {
            JVal::Obj(members) => {
                let mut base = base.to_string();
                if let Some(id) = v.get(draft.id_keyword()).and_then(JVal::as_str) {
                    let abs = resolve_uri(&base, id);
                    if id.starts_with('#') {
                        self.ids.entry(abs).or_insert((doc, ptr.clone()));
                    } else {
                        let without = strip_fragment(&abs).to_string();
                        self.ids.entry(without.clone()).or_insert((doc, ptr.clone()));
                        if abs.len() > without.len() + 1 {
                            self.ids.entry(abs.clone()).or_insert((doc, ptr.clone()));
                        }
                        base = without;
                    }
                }
                if draft.modern() {
                    for key in ["$anchor", "$dynamicAnchor"] {
                        if let Some(anchor) = v.get(key).and_then(JVal::as_str) {
                            self.ids.entry(format!("{base}#{anchor}")).or_insert((doc, ptr.clone()));
                        }
                    }
                }
                for (k, child) in members {
                    if matches!(k.as_str(), "enum" | "const" | "default" | "examples") {
                        continue;
                    }
                    self.index_ids(doc, child, &base, child_ptr(&ptr, k), draft, depth + 1);
                }
            }
            JVal::Arr(items) => {
                for (i, child) in items.iter().enumerate() {
                    self.index_ids(doc, child, base, format!("{ptr}/{i}"), draft, depth + 1);
                }
            }
            _ => {}
        }
    }

    pub(super) fn resolve_ref(&self, base: &str, reference: &str) -> Result<Location, JsonSchemaError> {
        let abs = resolve_uri(base, reference);
        let doc_part = strip_fragment(&abs);
        let fragment = percent_decode(abs.get(doc_part.len() + 1..).unwrap_or(""));
        let unresolved = || JsonSchemaError(format!("Invalid JSON schema: cannot resolve $ref '{reference}'"));
        // The document (or subschema with `$id`) named by the URI without fragment.
        let mut location = None;
        for (i, doc) in self.docs.iter().enumerate() {
            if doc.names.iter().any(|n| n == doc_part) || doc.base == doc_part {
                location = Some(Location { doc: i, ptr: String::new() });
                break;
            }
        }
        if location.is_none() {
            if let Some((d, p)) = self.ids.get(doc_part) {
                location = Some(Location { doc: *d, ptr: p.clone() });
            }
        }
        if location.is_none() {
            // A reference registered under its bare name (no base resolution).
            let bare = strip_fragment(reference);
            for (i, doc) in self.docs.iter().enumerate().skip(1) {
                if doc.names.iter().any(|n| n == bare || n.trim_start_matches("./") == bare.trim_start_matches("./")) {
                    location = Some(Location { doc: i, ptr: String::new() });
                    break;
                }
            }
        }
        let location = location.ok_or_else(unresolved)?;
        if fragment.is_empty() {
            return Ok(location);
        }
        if let Some(pointer) = fragment.strip_prefix('/') {
            let mut tokens = split_pointer(&location.ptr);
            tokens.extend(pointer.split('/').map(unescape_token));
            let doc = &self.docs[location.doc];
            if pointer_get(&doc.value, &tokens).is_none() {
                // Confluent bridges top-level `definitions` into `$defs` (and back) for lookups.
                if location.ptr.is_empty() && tokens.len() >= 2 {
                    let alt = match tokens[0].as_str() {
                        "$defs" => Some("definitions"),
                        "definitions" => Some("$defs"),
                        _ => None,
                    };
                    if let Some(alt) = alt {
                        let mut alt_tokens = tokens.clone();
                        alt_tokens[0] = alt.to_string();
                        if pointer_get(&doc.value, &alt_tokens).is_some() {
                            return Ok(Location { doc: location.doc, ptr: join_pointer(&alt_tokens) });
                        }
                    }
                }
                return Err(unresolved());
            }
            return Ok(Location { doc: location.doc, ptr: join_pointer(&tokens) });
        }
        // Plain-name fragment: an anchor.
        match self.ids.get(&format!("{doc_part}#{fragment}")) {
            Some((d, p)) => Ok(Location { doc: *d, ptr: p.clone() }),
            None => Err(unresolved()),
        }
    }

    pub(super) fn alloc(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Loads the schema at `ptr` of document `doc` (memoized per location).
    pub(super) fn load(
        &mut self,
        doc: usize,
        ptr: String,
        v: &JVal,
        base: &str,
        depth: usize,
    ) -> Result<NodeId, JsonSchemaError> {
        if let Some(id) = self.memo.get(&(doc, ptr.clone())) {
            return Ok(*id);
        }
        if depth > MAX_JSON_DEPTH {
            return err("Invalid JSON schema: nesting too deep");
        }
        let id = self.alloc(Node::new(Kind::Empty));
        self.memo.insert((doc, ptr.clone()), id);
        let node = match v {
            JVal::Bool(true) => Node::new(Kind::True),
            JVal::Bool(false) => Node::new(Kind::False),
            JVal::Obj(_) => self.load_object(doc, &ptr, v, base, depth, id)?,
            other => {
                return err(format!(
                    "Invalid JSON schema: expected a schema (object or boolean) at '#{ptr}', found {}",
                    other.type_name()
                ))
            }
        };
        self.nodes[id] = node;
        Ok(id)
    }

    pub(super) fn load_child(
        &mut self,
        doc: usize,
        ptr: &str,
        token: &str,
        v: &JVal,
        base: &str,
        depth: usize,
    ) -> Result<NodeId, JsonSchemaError> {
        self.load(doc, child_ptr(ptr, token), v, base, depth + 1)
    }

    pub(super) fn load_object(
        &mut self,
        doc: usize,
        ptr: &str,
        v: &JVal,
        base: &str,
        depth: usize,
        self_id: NodeId,
    ) -> Result<Node, JsonSchemaError> {
        let draft = self.docs[doc].draft;
        let mut base = base.to_string();
        if let Some(id) = v.get(draft.id_keyword()).and_then(JVal::as_str) {
            if !id.starts_with('#') {
                base = strip_fragment(&resolve_uri(&base, id)).to_string();
            }
        }
        let site = Site { doc, ptr, v, base: &base, draft, depth };
        let ref_part = match self.ref_part(&site, self_id)? {
            RefPart::Absent => None,
            RefPart::Alone(reference) => return self.common(v, draft, Kind::Ref(None, reference)),
            RefPart::WithSiblings(node_id) => Some(node_id),
        };
        let mut parts = self.combinator_parts(&site)?;
        let consumed = self.typed_parts(&site, &mut parts)?;
        self.sniffed_parts(&site, &consumed, &mut parts)?;
        let kind = if let Some(r) = ref_part {
            let mut subs = vec![r];
            for p in parts {
                subs.push(self.alloc(Node::new(p)));
            }
            Kind::Combined(Crit::All, subs)
        } else if parts.len() > 1 {
            let subs = parts.into_iter().map(|p| self.alloc(Node::new(p))).collect();
            Kind::Combined(Crit::All, subs)
        } else {
            parts.pop().unwrap_or(Kind::Empty)
        };
        self.common(v, draft, kind)
    }

    /// `$ref`, queued for resolution: the whole node, or (2019-09+ with applicator siblings) one
    /// part of an `allOf`.
    fn ref_part(&mut self, site: &Site<'_>, self_id: NodeId) -> Result<RefPart, JsonSchemaError> {
        let Site { ptr, v, base, draft, .. } = *site;
        let Some(r) = v.get("$ref") else { return Ok(RefPart::Absent) };
        let Some(reference) = r.as_str() else {
            return err(format!("Invalid JSON schema: #{ptr}/$ref must be a string"));
        };
        // Draft <= 7 ignores `$ref` siblings (Everit); 2019-09+ applies them too (json-sKema),
        // which Confluent's translator turns into an `allOf` of the reference and the rest.
        let has_siblings = draft.modern()
            && match v {
                JVal::Obj(m) => m.iter().any(|(k, _)| is_applicator_keyword(k, draft)),
                _ => false,
            };
        if !has_siblings {
            self.pending.push((self_id, base.to_string(), reference.to_string()));
            return Ok(RefPart::Alone(reference.to_string()));
        }
        let node_id = self.alloc(Node::new(Kind::Ref(None, reference.to_string())));
        self.pending.push((node_id, base.to_string(), reference.to_string()));
        Ok(RefPart::WithSiblings(node_id))
    }

    /// `enum`, `allOf`/`oneOf`/`anyOf`, `not` and `const`, in Everit's order.
    fn combinator_parts(&mut self, site: &Site<'_>) -> Result<Vec<Kind>, JsonSchemaError> {
        let Site { doc, ptr, v, base, draft, depth } = *site;
        let mut parts: Vec<Kind> = Vec::new();
        if let Some(e) = v.get("enum") {
            let JVal::Arr(items) = e else {
                return err(format!("Invalid JSON schema: #{ptr}/enum must be an array"));
            };
            let mut seen = HashSet::new();
            let mut values: Vec<String> = Vec::new();
            for item in items {
                let key = value_key(item);
                if seen.insert(key.clone()) {
                    values.push(key);
                }
            }
            parts.push(Kind::Enum(values));
        }
        // Java HashSet iteration order of {"allOf", "anyOf", "oneOf"}.
        for crit in [Crit::All, Crit::One, Crit::Any] {
            if let Some(list) = v.get(crit.name()) {
                let JVal::Arr(items) = list else {
                    return err(format!("Invalid JSON schema: #{ptr}/{} must be an array", crit.name()));
                };
                let list_ptr = child_ptr(ptr, crit.name());
                let mut subs = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    subs.push(self.load_child(doc, &list_ptr, &i.to_string(), item, base, depth + 1)?);
                }
                parts.push(Kind::Combined(crit, subs));
            }
        }
        if let Some(n) = v.get("not") {
            parts.push(Kind::Not(self.load_child(doc, ptr, "not", n, base, depth)?));
        }
        if draft != Draft::D4 {
            if let Some(c) = v.get("const") {
                parts.push(Kind::Const(value_key(c)));
            }
        }
        Ok(parts)
    }

    /// `type` (a name or a list of names, the latter an `anyOf`): the keyword families it
    /// consumed.
    fn typed_parts(&mut self, site: &Site<'_>, parts: &mut Vec<Kind>) -> Result<Consumed, JsonSchemaError> {
        let mut consumed = Consumed::default();
        let Some(t) = site.v.get("type") else { return Ok(consumed) };
        match t {
            JVal::Str(name) => parts.push(self.typed_part(site, name, &mut consumed)?),
            JVal::Arr(names) => {
                let mut subs = Vec::with_capacity(names.len());
                for name in names {
                    let Some(name) = name.as_str() else {
                        return err(format!("Invalid JSON schema: #{}/type must contain strings", site.ptr));
                    };
                    let kind = self.typed_part(site, name, &mut consumed)?;
                    subs.push(self.alloc(Node::new(kind)));
                }
                parts.push(Kind::Combined(Crit::Any, subs));
            }
            _ => return err(format!("Invalid JSON schema: #{}/type must be a string or an array", site.ptr)),
        }
        Ok(consumed)
    }

    /// One `type` name with its keyword family.
    fn typed_part(&mut self, site: &Site<'_>, name: &str, consumed: &mut Consumed) -> Result<Kind, JsonSchemaError> {
        let Site { ptr, v, draft, .. } = *site;
        let Some(tn) = type_name(name) else {
            return err(format!("Invalid JSON schema: unknown type: [{name}]"));
        };
        Ok(match tn {
            TypeName::String => {
                consumed.string = true;
                Kind::Str(self.string_part(v, ptr)?)
            }
            TypeName::Integer | TypeName::Number => {
                consumed.number = true;
                let mut n = self.number_part(v, draft, ptr)?;
                n.requires_integer = tn == TypeName::Integer;
                Kind::Num(n)
            }
            TypeName::Boolean => Kind::Boolean,
            TypeName::Null => Kind::Null,
            TypeName::Array => {
                consumed.array = true;
                Kind::Arr(Box::new(self.array_part(site)?))
            }
            TypeName::Object => {
                consumed.object = true;
                Kind::Obj(Box::new(self.object_part(site)?))
            }
        })
    }

    /// Keyword families present without a `type` that names them (Everit's keyword sniffing),
    /// and the draft-7+ conditionals.
    fn sniffed_parts(
        &mut self,
        site: &Site<'_>,
        consumed: &Consumed,
        parts: &mut Vec<Kind>,
    ) -> Result<(), JsonSchemaError> {
        let Site { doc, ptr, v, base, draft, depth } = *site;
        let has = |k: &str| v.get(k).is_some();
        if !consumed.array && array_keywords(draft).iter().any(|k| has(k)) {
            parts.push(Kind::Arr(Box::new(self.array_part(site)?)));
        }
        if !consumed.object && object_keywords(draft).iter().any(|k| has(k)) {
            parts.push(Kind::Obj(Box::new(self.object_part(site)?)));
        }
        if !consumed.number && NUMBER_KEYWORDS.iter().any(|k| has(k)) {
            parts.push(Kind::Num(self.number_part(v, draft, ptr)?));
        }
        if !consumed.string && STRING_KEYWORDS.iter().any(|k| has(k)) {
            parts.push(Kind::Str(self.string_part(v, ptr)?));
        }
        if draft >= Draft::D7 && CONDITIONAL_KEYWORDS.iter().any(|k| has(k)) {
            for k in CONDITIONAL_KEYWORDS {
                if let Some(s) = v.get(k) {
                    self.load_child(doc, ptr, k, s, base, depth)?;
                }
            }
            parts.push(Kind::Cond);
        }
        // Draft <= 7: minContains/maxContains are unprocessed properties that SchemaDiff reads on
        // an array schema when it is the node's only schema.
        if !draft.modern() && parts.len() == 1 {
            if let Some(Kind::Arr(a)) = parts.first_mut() {
                a.min_contains = v.get("minContains").and_then(num_f64);
                a.max_contains = v.get("maxContains").and_then(num_f64);
            }
        }
        Ok(())
    }

    pub(super) fn common(&self, v: &JVal, draft: Draft, kind: Kind) -> Result<Node, JsonSchemaError> {
        let mut node = Node::new(kind);
        let text = |k: &str| -> Result<Option<String>, JsonSchemaError> {
            match v.get(k) {
                None => Ok(None),
                Some(JVal::Str(s)) => Ok(Some(s.clone())),
                Some(_) => err(format!("Invalid JSON schema: '{k}' must be a string")),
            }
        };
        node.id = text(draft.id_keyword())?;
        node.title = text("title")?;
        node.description = text("description")?;
        node.default = v.get("default").map(value_key);
        node.connect_type = v.get("connect.type").and_then(JVal::as_str).map(str::to_string);
        Ok(node)
    }
}

/// What a schema object's `$ref` is.
enum RefPart {
    Absent,
    /// The node is the reference (its siblings are ignored).
    Alone(String),
    /// The reference's node, one part of the node's `allOf`.
    WithSiblings(NodeId),
}

/// The keyword families a `type` keyword already read.
#[derive(Default)]
struct Consumed {
    object: bool,
    array: bool,
    number: bool,
    string: bool,
}

/// Where a schema object's keywords are read: its document, pointer, value, base URI, draft and
/// nesting depth.
#[derive(Clone, Copy)]
pub(super) struct Site<'s> {
    pub(super) doc: usize,
    pub(super) ptr: &'s str,
    pub(super) v: &'s JVal,
    pub(super) base: &'s str,
    pub(super) draft: Draft,
    pub(super) depth: usize,
}

pub(super) fn num_f64(v: &JVal) -> Option<f64> {
    match v {
        JVal::Num(n) => Some(n.f64()),
        _ => None,
    }
}

pub(super) fn int_keyword(v: &JVal, key: &str, ptr: &str) -> Result<Option<i64>, JsonSchemaError> {
    match v.get(key) {
        None => Ok(None),
        Some(JVal::Num(n)) => {
            let f = n.f64();
            if f.fract() != 0.0 || !f.is_finite() {
                return err(format!("Invalid JSON schema: #{ptr}/{key} must be an integer"));
            }
            Ok(Some(f.clamp(i64::MIN as f64, i64::MAX as f64) as i64))
        }
        Some(_) => err(format!("Invalid JSON schema: #{ptr}/{key} must be an integer")),
    }
}

pub(super) fn split_pointer(ptr: &str) -> Vec<String> {
    if ptr.is_empty() {
        return Vec::new();
    }
    ptr[1..].split('/').map(unescape_token).collect()
}

pub(super) fn join_pointer(tokens: &[String]) -> String {
    let mut s = String::new();
    for t in tokens {
        s.push('/');
        s.push_str(&escape_token(t));
    }
    s
}

/// The base URI in effect at a location: the document base, changed by each enclosing `$id`.
pub(super) fn base_at(doc: &Doc, tokens: &[String]) -> String {
    let id_key = doc.draft.id_keyword();
    let mut base = doc.base.clone();
    let mut cur = &doc.value;
    for t in tokens {
        let next = match cur {
            JVal::Obj(_) => cur.get(t),
            JVal::Arr(items) => t.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        let Some(next) = next else { break };
        cur = next;
        if let Some(id) = cur.get(id_key).and_then(JVal::as_str) {
            if !id.starts_with('#') {
                base = strip_fragment(&resolve_uri(&base, id)).to_string();
            }
        }
    }
    base
}
