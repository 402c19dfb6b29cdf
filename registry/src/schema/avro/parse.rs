//! Parser: JSON text -> model, with Avro Java 1.12 `Schema.Parser` validation (names, defaults).

use super::*;

pub(super) const SCHEMA_RESERVED: &[&str] =
    &["doc", "fields", "items", "name", "namespace", "size", "symbols", "values", "type", "aliases"];
pub(super) const ENUM_RESERVED: &[&str] =
    &["doc", "fields", "items", "name", "namespace", "size", "symbols", "values", "type", "aliases", "default"];
pub(super) const FIELD_RESERVED: &[&str] = &["default", "doc", "name", "order", "type", "aliases"];

/// Avro's `NameValidator.STRICT_VALIDATOR`.
pub(super) fn validate_name(name: Option<&str>) -> Result<(), AvroError> {
    let Some(name) = name else { return err("Null name") };
    let mut chars = name.chars();
    match chars.next() {
        None => err("Empty name"),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => err(format!("Illegal initial character: {name}")),
        _ if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') => err(format!("Illegal character in: {name}")),
        _ => Ok(()),
    }
}

/// `new Schema.Name(name, space)`: a dotted name carries its own namespace; `""` means none.
pub(super) fn make_name(name: &str, space: Option<&str>) -> Result<Name, AvroError> {
    let (simple, space) = match name.rfind('.') {
        Some(i) => (&name[i + 1..], Some(&name[..i])),
        None => (name, space),
    };
    validate_name(Some(simple))?;
    Ok(Name { name: simple.to_string(), space: space.filter(|s| !s.is_empty()).map(str::to_string) })
}

pub(super) fn text<'a>(obj: Option<&'a Map<String, Value>>, key: &str) -> Option<&'a str> {
    obj.and_then(|o| o.get(key)).and_then(Value::as_str)
}

pub(super) fn props_of(obj: &Map<String, Value>, reserved: &[&str]) -> Props {
    obj.iter().filter(|(k, _)| !reserved.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// `Schema.parseAliases`: the alias strings, in order, without duplicates.
pub(super) fn alias_list(json: &Value) -> Result<Vec<String>, AvroError> {
    let Some(node) = json.get("aliases") else { return Ok(Vec::new()) };
    let Value::Array(items) = node else { return err(format!("aliases not an array: {json}")) };
    let mut out: Vec<String> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for a in items {
        let Some(s) = a.as_str() else { return err(format!("alias not a string: {a}")) };
        if seen.insert(s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

/// Avro's JSON factory enables `ALLOW_COMMENTS`: `/* ... */` and `// ...` outside strings are
/// blanks (each comment becomes one space, so tokens on either side stay apart).
pub(super) fn strip_comments(text: &str) -> Result<std::borrow::Cow<'_, str>, AvroError> {
    if !text.contains('/') {
        return Ok(std::borrow::Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                out.push('\n');
            }
            ('/', Some('*')) => {
                chars.next();
                let mut prev = ' ';
                loop {
                    match chars.next() {
                        Some('/') if prev == '*' => break,
                        Some(c) => prev = c,
                        None => return err("Invalid schema JSON: unterminated comment"),
                    }
                }
                out.push(' ');
            }
            _ => out.push(c),
        }
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// Java's `Double.parseDouble` for textual float/double defaults.
pub(super) fn java_parse_double(s: &str) -> Result<Value, AvroError> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let negative = t.starts_with('-');
    let v = match unsigned {
        "NaN" => return Ok(Value::String("NaN".into())),
        "Infinity" => return Ok(Value::String(if negative { "-Infinity" } else { "Infinity" }.into())),
        _ => {
            let body = t.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(t);
            let well_formed = !body.is_empty()
                && body.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'))
                && body.chars().any(|c| c.is_ascii_digit());
            body.parse::<f64>().ok().filter(|_| well_formed)
        }
    };
    match v {
        Some(d) if d.is_infinite() => Ok(Value::String(if d < 0.0 { "-Infinity" } else { "Infinity" }.into())),
        Some(d) => Ok(serde_json::Number::from_f64(d).map(Value::Number).unwrap_or(Value::Null)),
        None => err(format!("For input string: \"{s}\"")),
    }
}

#[derive(Default)]
pub(super) struct Parser {
    pub(super) graph: Graph,
    pub(super) by_name: HashMap<String, usize>,
}

impl Parser {
    /// Parse one JSON document and resolve the names it left pending (`Undefined schema` otherwise).
    pub(super) fn document(&mut self, text: &str) -> Result<Node, AvroError> {
        let text = strip_comments(text)?;
        let json: Value = serde_json::from_str(&text).map_err(|e| AvroError(format!("Invalid schema JSON: {e}")))?;
        let first = self.graph.slots.len();
        let node = self.parse(&json, None, 0)?;
        for i in first..self.graph.slots.len() {
            if let Slot::Pending(full, written) = &self.graph.slots[i] {
                match self.by_name.get(full).or_else(|| self.by_name.get(written)) {
                    Some(t) => self.graph.slots[i] = Slot::Type(*t),
                    None => return err(format!("Undefined schema: {full}")),
                }
            }
        }
        Ok(node)
    }

    pub(super) fn slot(&mut self, slot: Slot) -> Node {
        self.graph.slots.push(slot);
        Node::Named(self.graph.slots.len() - 1)
    }

    /// `ParseContext.find`: the name in the current namespace, else as written; pending otherwise.
    pub(super) fn find(&mut self, name: &str, ns: Option<&str>) -> Node {
        let full = match ns {
            Some(n) if !name.contains('.') => format!("{n}.{name}"),
            _ => name.to_string(),
        };
        match self.by_name.get(&full).or_else(|| self.by_name.get(name)) {
            Some(i) => self.slot(Slot::Type(*i)),
            None => self.slot(Slot::Pending(full, name.to_string())),
        }
    }

    pub(super) fn parse(&mut self, json: &Value, ns: Option<&str>, depth: usize) -> Result<Node, AvroError> {
        if depth > MAX_DEPTH {
            return err("Schema nested too deeply");
        }
        match json {
            Value::String(s) => Ok(match Prim::from_name(s) {
                Some(p) => Node::Primitive(p, Vec::new()),
                None => self.find(s, ns),
            }),
            Value::Array(branches) => self.parse_union(json, branches, ns, depth),
            Value::Object(obj) => {
                let Some(ty) = obj.get("type").and_then(Value::as_str) else { return err(format!("No type: {json}")) };
                if let Some(p) = Prim::from_name(ty) {
                    return Ok(Node::Primitive(p, props_of(obj, SCHEMA_RESERVED)));
                }
                match ty {
                    "record" | "error" | "enum" | "fixed" => self.parse_named(ty, json, obj, ns, depth),
                    "array" | "map" => {
                        let key = if ty == "array" { "items" } else { "values" };
                        let Some(inner) = obj.get(key) else {
                            let what = if ty == "array" { "Array has no items type" } else { "Map has no values type" };
                            return err(format!("{what}: {json}"));
                        };
                        let inner = Box::new(self.parse(inner, ns, depth + 1)?);
                        let props = props_of(obj, SCHEMA_RESERVED);
                        Ok(if ty == "array" { Node::Array(inner, props) } else { Node::Map(inner, props) })
                    }
                    _ => err("A schema \"type\" MUST be a primitive type or one of \"enum\", \"fixed\", \"record\", \"error\", \"array\" or \"map\"."),
                }
            }
            other => err(format!("Schema not yet supported: {other}")),
        }
    }

    pub(super) fn parse_union(
        &mut self,
        json: &Value,
        items: &[Value],
        ns: Option<&str>,
        depth: usize,
    ) -> Result<Node, AvroError> {
        let mut branches = Vec::with_capacity(items.len());
        let mut seen: HashSet<String> = HashSet::new();
        for item in items {
            let node = self.parse(item, ns, depth + 1)?;
            let key = match &node {
                Node::Union(_) => return err(format!("Nested union: {json}")),
                Node::Primitive(p, _) => p.name().to_string(),
                Node::Array(..) => "array".into(),
                Node::Map(..) => "map".into(),
                Node::Named(slot) => self.graph.slot_full_name(*slot),
            };
            if !seen.insert(key.clone()) {
                return err(format!("Duplicate in union:{key}"));
            }
            branches.push(node);
        }
        Ok(Node::Union(branches))
    }

    pub(super) fn parse_named(
        &mut self,
        ty: &str,
        json: &Value,
        obj: &Map<String, Value>,
        ns: Option<&str>,
        depth: usize,
    ) -> Result<Node, AvroError> {
        let Some(raw) = obj.get("name").and_then(Value::as_str) else {
            return err(format!("No name in schema: {json}"));
        };
        let space = obj.get("namespace").and_then(Value::as_str).or(ns);
        let name = make_name(raw, space)?;
        let doc = obj.get("doc").and_then(Value::as_str).map(str::to_string);
        let kind = match ty {
            "record" | "error" => self.record_kind(json, obj, &name, ty == "error", depth)?,
            "enum" => enum_kind(json, obj)?,
            _ => fixed_kind(json, obj)?,
        };
        let props = props_of(obj, if ty == "enum" { ENUM_RESERVED } else { SCHEMA_RESERVED });
        let mut aliases: Vec<Name> = Vec::new();
        let mut seen: HashSet<Name> = HashSet::new();
        for a in alias_list(json)? {
            let alias = make_name(&a, name.space.as_deref())?;
            if seen.insert(alias.clone()) {
                aliases.push(alias);
            }
        }
        self.put(Named { name, doc, aliases, props, kind })
    }

    /// A record's fields (each name once).
    fn record_kind(
        &mut self,
        json: &Value,
        obj: &Map<String, Value>,
        name: &Name,
        error: bool,
        depth: usize,
    ) -> Result<Kind, AvroError> {
        let Some(Value::Array(list)) = obj.get("fields") else {
            return err(format!("Record has no fields: {json}"));
        };
        let mut fields: Vec<Field> = Vec::with_capacity(list.len());
        for f in list {
            fields.push(self.parse_field(f, name.space.as_deref(), depth)?);
        }
        let mut positions: HashMap<&str, usize> = HashMap::new();
        for (pos, f) in fields.iter().enumerate() {
            if let Some(prev) = positions.insert(&f.name, pos) {
                let label =
                    |i: usize| format!("{} type:{} pos:{i}", fields[i].name, self.graph.tag(&fields[i].ty).label());
                return err(format!(
                    "Duplicate field {} in record {}: {} and {}.",
                    f.name,
                    name.full(),
                    label(pos),
                    label(prev)
                ));
            }
        }
        Ok(Kind::Record { error, fields })
    }

    pub(super) fn parse_field(&mut self, json: &Value, ns: Option<&str>, depth: usize) -> Result<Field, AvroError> {
        let obj = json.as_object();
        let Some(name) = text(obj, "name") else { return err(format!("No field name: {json}")) };
        let Some(ty_json) = obj.and_then(|o| o.get("type")) else { return err(format!("No field type: {json}")) };
        let ty = self.parse(ty_json, ns, depth + 1)?;
        let order = match obj.and_then(|o| o.get("order")) {
            None => Order::Ascending,
            Some(v) => match v.as_str().map(str::to_uppercase).as_deref() {
                Some("ASCENDING") => Order::Ascending,
                Some("DESCENDING") => Order::Descending,
                Some("IGNORE") => Order::Ignore,
                Some(other) => return err(format!("No enum constant org.apache.avro.Schema.Field.Order.{other}")),
                None => return err(format!("Field order must be a string: {json}")),
            },
        };
        let mut default = obj.and_then(|o| o.get("default")).cloned();
        let mut converted = false;
        if let (Some(Value::String(s)), Node::Primitive(Prim::Float | Prim::Double, _)) = (&default, &ty) {
            default = Some(java_parse_double(s)?);
            converted = true;
        }
        validate_name(Some(name))?;
        if let Some(d) = &default {
            if !converted && !self.graph.valid_default(&ty, d, 0) {
                let schema = self.graph.print(&ty, &[]).unwrap_or_default();
                return err(format!("Invalid default for field {name}: {} not a {schema}", jackson(d)));
            }
        }
        let obj_props = obj.map(|o| props_of(o, FIELD_RESERVED)).unwrap_or_default();
        Ok(Field {
            name: name.to_string(),
            ty,
            doc: text(obj, "doc").map(str::to_string),
            default,
            order,
            aliases: alias_list(json)?,
            props: obj_props,
        })
    }

    /// `ParseContext.put`: validate the namespace, register the type; an identical redefinition
    /// resolves to the first definition, a different one is an error.
    pub(super) fn put(&mut self, named: Named) -> Result<Node, AvroError> {
        if let Some(space) = &named.name.space {
            for part in space.split('.') {
                validate_name(Some(part))
                    .map_err(|e| AvroError(format!("Namespace part \"{part}\" is invalid: {}", e.0)))?;
            }
        }
        let full = named.name.full();
        if let Some(&existing) = self.by_name.get(&full) {
            if self.graph.types.get(existing).is_some_and(|t| self.graph.same_named(t, &named)) {
                return Ok(self.slot(Slot::Type(existing)));
            }
            return err(format!("Can't redefine: {full}"));
        }
        self.graph.types.push(named);
        let index = self.graph.types.len() - 1;
        self.by_name.insert(full, index);
        Ok(self.slot(Slot::Type(index)))
    }
}

impl Graph {
    /// Avro Java 1.12 `Schema.isValidDefault` (a union default may match any branch).
    pub(super) fn valid_default(&self, ty: &Node, v: &Value, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match ty {
            Node::Primitive(p, _) => match p {
                Prim::Null => v.is_null(),
                Prim::Boolean => v.is_boolean(),
                Prim::Int => v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                Prim::Long => v.as_i64().is_some(),
                // Converted NaN/Infinity defaults are kept as strings.
                Prim::Float | Prim::Double => {
                    v.is_number() || matches!(v.as_str(), Some("NaN" | "Infinity" | "-Infinity"))
                }
                Prim::Bytes | Prim::String => v.is_string(),
            },
            Node::Array(items, _) => {
                v.as_array().is_some_and(|a| a.iter().all(|x| self.valid_default(items, x, depth + 1)))
            }
            Node::Map(values, _) => {
                v.as_object().is_some_and(|o| o.values().all(|x| self.valid_default(values, x, depth + 1)))
            }
            Node::Union(branches) => branches.iter().any(|b| self.valid_default(b, v, depth + 1)),
            Node::Named(slot) => match self.named(*slot).map(|t| &t.kind) {
                Some(Kind::Enum { .. } | Kind::Fixed { .. }) => v.is_string(),
                Some(Kind::Record { fields, .. }) => v.as_object().is_some_and(|o| {
                    fields.iter().all(|f| match o.get(&f.name).or(f.default.as_ref()) {
                        Some(x) => self.valid_default(&f.ty, x, depth + 1),
                        None => false,
                    })
                }),
                // An unresolved name is a placeholder record without fields.
                None => v.is_object(),
            },
        }
    }

    /// `Schema.equals` for a redefinition: names, kinds, props, fields (name, type, default, order,
    /// props), symbols, size; docs and aliases do not matter. Nested named types compare by name.
    pub(super) fn same_named(&self, a: &Named, b: &Named) -> bool {
        let kinds = match (&a.kind, &b.kind) {
            (Kind::Record { fields: fa, .. }, Kind::Record { fields: fb, .. }) => {
                fa.len() == fb.len()
                    && fa.iter().zip(fb).all(|(x, y)| {
                        x.name == y.name
                            && x.default == y.default
                            && x.order == y.order
                            && x.props == y.props
                            && self.same_node(&x.ty, &y.ty, 0)
                    })
            }
            (Kind::Enum { symbols: sa, default: da }, Kind::Enum { symbols: sb, default: db }) => sa == sb && da == db,
            (Kind::Fixed { size: x }, Kind::Fixed { size: y }) => x == y,
            _ => false,
        };
        kinds && a.name == b.name && a.props == b.props
    }

    pub(super) fn same_node(&self, a: &Node, b: &Node, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match (a, b) {
            (Node::Primitive(x, px), Node::Primitive(y, py)) => x == y && px == py,
            (Node::Array(x, px), Node::Array(y, py)) | (Node::Map(x, px), Node::Map(y, py)) => {
                px == py && self.same_node(x, y, depth + 1)
            }
            (Node::Union(x), Node::Union(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(m, n)| self.same_node(m, n, depth + 1))
            }
            (Node::Named(x), Node::Named(y)) => self.slot_full_name(*x) == self.slot_full_name(*y),
            _ => false,
        }
    }
}

/// An enum's symbols (valid names, each once) and default (one of them).
fn enum_kind(json: &Value, obj: &Map<String, Value>) -> Result<Kind, AvroError> {
    let Some(Value::Array(list)) = obj.get("symbols") else {
        return err(format!("Enum has no symbols: {json}"));
    };
    let mut symbols: Vec<String> = Vec::with_capacity(list.len());
    let mut seen: HashSet<&str> = HashSet::with_capacity(list.len());
    for s in list {
        let sym = s.as_str();
        validate_name(sym)?;
        let sym = sym.unwrap_or_default();
        if !seen.insert(sym) {
            return err(format!("Duplicate enum symbol: {sym}"));
        }
        symbols.push(sym.to_string());
    }
    let default = obj.get("default").and_then(Value::as_str).map(str::to_string);
    if let Some(d) = &default {
        if !symbols.contains(d) {
            return err(format!("The Enum Default: {d} is not in the enum symbol set: [{}]", symbols.join(", ")));
        }
    }
    Ok(Kind::Enum { symbols, default })
}

/// A fixed type's size (0 to `i32::MAX - 8`).
fn fixed_kind(json: &Value, obj: &Map<String, Value>) -> Result<Kind, AvroError> {
    let size = match obj.get("size") {
        Some(Value::Number(n)) => n.as_i64().filter(|s| i32::try_from(*s).is_ok()),
        _ => None,
    };
    let Some(size) = size else { return err(format!("Invalid or no size: {json}")) };
    if size < 0 {
        return err(format!("Malformed data. Length is negative: {size}"));
    }
    if size > i64::from(i32::MAX - 8) {
        return err(format!("Bytes length {size} exceeds maximum allowed"));
    }
    Ok(Kind::Fixed { size })
}
