//! Compatibility: Avro Java `SchemaCompatibility` rules, reported as Confluent `avro.Difference`s.

use super::*;

/// One reason a reader cannot read a writer's data, in Confluent's message shape.
/// An empty `error_type` marks Confluent's "Unexpected exception during compatibility check"
/// message, which is shown as the bare description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incompatibility {
    pub error_type: String,
    pub description: String,
    pub additional_info: String,
}

impl fmt::Display for Incompatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.error_type.is_empty() {
            return f.write_str(&self.description);
        }
        write!(
            f,
            "{{errorType:'{}', description:'{}', additionalInfo:'{}'}}",
            self.error_type, self.description, self.additional_info
        )
    }
}

/// An incompatibility as Avro's `SchemaCompatibility.Incompatibility`: type, message, location
/// tokens from the root (the first token is the root's empty token).
#[derive(Debug, Clone)]
pub(super) struct Found {
    pub(super) kind: &'static str,
    pub(super) message: Rc<str>,
    /// `Incompatibility.getLocation()`: a JSON pointer without the root token.
    pub(super) path: Rc<str>,
}

pub(super) fn pointer(location: &[String]) -> String {
    let parts: Vec<String> = location.iter().skip(1).map(|c| c.replace('~', "~0").replace('/', "~1")).collect();
    format!("/{}", parts.join("/"))
}

/// `SchemaCompatibilityResult`.
#[derive(Debug, Clone, Default)]
pub(super) struct Outcome {
    pub(super) incompatible: bool,
    pub(super) found: Vec<Found>,
}

impl Outcome {
    pub(super) fn merge(&mut self, other: &Outcome) {
        self.incompatible |= other.incompatible;
        let room = MAX_INCOMPATIBILITIES.saturating_sub(self.found.len());
        self.found.extend(other.found.iter().take(room).cloned());
    }

    pub(super) fn add(&mut self, kind: &'static str, message: String, location: &[String]) {
        self.incompatible = true;
        if self.found.len() < MAX_INCOMPATIBILITIES {
            self.found.push(Found { kind, message: message.into(), path: pointer(location).into() });
        }
    }
}

/// Avro Java's `ReaderWriterCompatibilityChecker`, memoizing every named reader/writer pair
/// (in progress = compatible, finished = the stored result, locations included, as in Java).
pub(super) struct Checker<'a> {
    pub(super) reader: &'a AvroSchema,
    pub(super) writer: &'a AvroSchema,
    pub(super) memo: HashMap<(usize, usize), Option<Rc<Outcome>>>,
    pub(super) depth: usize,
    /// Set when Java would throw: the check ends with Confluent's exception message.
    pub(super) aborted: Option<String>,
}

impl<'a> Checker<'a> {
    /// `getCompatibility(referenceToken, reader, writer, location)`.
    pub(super) fn get(&mut self, token: &str, r: &'a Node, w: &'a Node, loc: &mut Vec<String>) -> Outcome {
        loc.push(token.to_string());
        let result = if self.aborted.is_some() {
            Outcome::default()
        } else if self.depth >= MAX_CHECK_DEPTH {
            self.aborted = Some("schemas nest too deeply to compare".into());
            Outcome::default()
        } else if !crate::budget::charge(crate::budget::PAIR) {
            // Each reader/writer pair is charged to the request's work budget (unions of many
            // records are quadratic).
            self.aborted = Some("schemas too complex to compare".into());
            Outcome::default()
        } else {
            let key = match (r, w) {
                (Node::Named(rs), Node::Named(ws)) => {
                    self.reader.graph.type_index(*rs).zip(self.writer.graph.type_index(*ws))
                }
                _ => None,
            };
            match key.map(|k| (k, self.memo.get(&k).cloned())) {
                Some((_, Some(None))) => Outcome::default(),
                Some((_, Some(Some(done)))) => (*done).clone(),
                Some((k, None)) => {
                    self.memo.insert(k, None);
                    let result = self.calculate(r, w, loc);
                    self.memo.insert(k, Some(Rc::new(result.clone())));
                    result
                }
                None => self.calculate(r, w, loc),
            }
        };
        loc.pop();
        result
    }

    /// `getCompatibility(reader, writer)`: a check with a fresh location.
    pub(super) fn fresh(&mut self, r: &'a Node, w: &'a Node) -> Outcome {
        self.get("", r, w, &mut Vec::new())
    }

    pub(super) fn calculate(&mut self, r: &'a Node, w: &'a Node, loc: &mut Vec<String>) -> Outcome {
        self.depth += 1;
        let result = self.calculate_inner(r, w, loc);
        self.depth -= 1;
        result
    }

    pub(super) fn calculate_inner(&mut self, r: &'a Node, w: &'a Node, loc: &mut Vec<String>) -> Outcome {
        let (rt, wt) = (self.reader.graph.tag(r), self.writer.graph.tag(w));
        let mut result = Outcome::default();
        if rt == wt {
            match (r, w) {
                (Node::Array(ri, _), Node::Array(wi, _)) => result.merge(&self.get("items", ri, wi, loc)),
                (Node::Map(rv, _), Node::Map(wv, _)) => result.merge(&self.get("values", rv, wv, loc)),
                (Node::Union(_), Node::Union(wb)) => {
                    for (i, b) in wb.iter().enumerate() {
                        loc.push(i.to_string());
                        if self.fresh(r, b).incompatible {
                            let message =
                                format!("reader union lacking writer type: {}", self.writer.graph.tag(b).label());
                            result.add("MISSING_UNION_BRANCH", message, loc);
                        }
                        loc.pop();
                    }
                }
                (Node::Named(rs), Node::Named(ws)) => self.named(*rs, *ws, w, loc, &mut result),
                _ => {}
            }
            return result;
        }
        if let Node::Union(wb) = w {
            for (i, b) in wb.iter().enumerate() {
                result.merge(&self.get(&i.to_string(), r, b, loc));
            }
            return result;
        }
        let promotable = match rt {
            TypeTag::Prim(Prim::Long) => wt == TypeTag::Prim(Prim::Int),
            TypeTag::Prim(Prim::Float) => matches!(wt, TypeTag::Prim(Prim::Int | Prim::Long)),
            TypeTag::Prim(Prim::Double) => matches!(wt, TypeTag::Prim(Prim::Int | Prim::Long | Prim::Float)),
            TypeTag::Prim(Prim::Bytes) => wt == TypeTag::Prim(Prim::String),
            TypeTag::Prim(Prim::String) => wt == TypeTag::Prim(Prim::Bytes),
            _ => false,
        };
        if promotable {
            return result;
        }
        if let Node::Union(rb) = r {
            for b in rb {
                if !self.fresh(b, w).incompatible {
                    return result;
                }
            }
            result.add("MISSING_UNION_BRANCH", format!("reader union lacking writer type: {}", wt.label()), loc);
            return result;
        }
        let message = format!("reader type: {} not compatible with writer type: {}", rt.label(), wt.label());
        result.add("TYPE_MISMATCH", message, loc);
        result
    }

    pub(super) fn named(
        &mut self,
        rs: usize,
        ws: usize,
        w_node: &'a Node,
        loc: &mut Vec<String>,
        result: &mut Outcome,
    ) {
        let (Some(r), Some(w)) = (self.reader.graph.named(rs), self.writer.graph.named(ws)) else { return };
        // checkSchemaNames: unqualified names, or a reader alias naming the writer's full name.
        if r.name.name != w.name.name && !r.alias_strings().contains(&w.name.full()) {
            loc.push("name".into());
            result.add("NAME_MISMATCH", format!("expected: {}", w.name.full()), loc);
            loc.pop();
        }
        match (&r.kind, &w.kind) {
            (Kind::Fixed { size: rsize }, Kind::Fixed { size: wsize }) if rsize != wsize => {
                loc.push("size".into());
                result.add("FIXED_SIZE_MISMATCH", format!("expected: {wsize}, found: {rsize}"), loc);
                loc.pop();
            }
            (Kind::Enum { symbols: rsym, default: rdef }, Kind::Enum { symbols: wsym, .. }) => {
                let reader_symbols: HashSet<&String> = rsym.iter().collect();
                let missing: BTreeSet<&String> = wsym.iter().filter(|s| !reader_symbols.contains(s)).collect();
                let covered = rdef.as_ref().is_some_and(|d| rsym.contains(d));
                if !missing.is_empty() && !covered {
                    loc.push("symbols".into());
                    let list: Vec<&str> = missing.into_iter().map(String::as_str).collect();
                    result.add("MISSING_ENUM_SYMBOLS", format!("[{}]", list.join(", ")), loc);
                    loc.pop();
                }
            }
            (Kind::Record { fields: rf, .. }, Kind::Record { fields: wf, .. }) => {
                loc.push("fields".into());
                let mut by_name: HashMap<&str, Vec<&'a Field>> = HashMap::with_capacity(wf.len());
                for x in wf {
                    by_name.entry(x.name.as_str()).or_default().push(x);
                }
                let lookup = |name: &str| by_name.get(name).into_iter().flatten().copied();
                for (pos, f) in rf.iter().enumerate() {
                    loc.push(pos.to_string());
                    // lookupWriterField: by name, then by each reader alias; several hits throw.
                    let mut hits: Vec<&'a Field> = lookup(&f.name).collect();
                    for alias in &f.aliases {
                        hits.extend(lookup(alias));
                    }
                    match hits.as_slice() {
                        [] if f.default.is_some() => {}
                        [] => {
                            let enum_default = matches!(&f.ty, Node::Named(s)
                                if matches!(self.reader.graph.named(*s).map(|t| &t.kind), Some(Kind::Enum { default: Some(_), .. })));
                            if enum_default {
                                // Java compares the enum with the writer's record itself.
                                result.merge(&self.get("type", &f.ty, w_node, loc));
                            } else {
                                result.add("READER_FIELD_MISSING_DEFAULT_VALUE", f.name.clone(), loc);
                            }
                        }
                        [one] => result.merge(&self.get("type", &f.ty, &one.ty, loc)),
                        _ => {
                            let record = self.writer.graph.print(&Node::Named(ws), &[]).unwrap_or_default();
                            self.aborted = Some(format!(
                                "Reader record field {} type:{} pos:{pos} matches multiple fields in writer record schema {record}",
                                f.name,
                                self.reader.graph.tag(&f.ty).label()
                            ));
                        }
                    }
                    loc.pop();
                }
                loc.pop();
            }
            _ => {}
        }
    }
}

/// Can `reader` read data written with `writer`? Apache Avro Java `SchemaCompatibility`
/// semantics; every incompatibility found is returned (empty = compatible). `reader_is_new`
/// selects Confluent's wording: the reader is "new" in a BACKWARD check, "old" in a FORWARD one.
pub fn check_compatibility(reader: &AvroSchema, writer: &AvroSchema, reader_is_new: bool) -> Vec<Incompatibility> {
    crate::budget::ensure(|| check_within_budget(reader, writer, reader_is_new))
}

fn check_within_budget(reader: &AvroSchema, writer: &AvroSchema, reader_is_new: bool) -> Vec<Incompatibility> {
    let (rw, ww) = if reader_is_new { ("new", "old") } else { ("old", "new") };
    let mut checker = Checker { reader, writer, memo: HashMap::new(), depth: 0, aborted: None };
    let outcome = checker.fresh(&reader.root, &writer.root);
    if let Some(message) = checker.aborted {
        return vec![Incompatibility {
            error_type: String::new(),
            description: format!("Unexpected exception during compatibility check: {message}"),
            additional_info: String::new(),
        }];
    }
    outcome
        .found
        .into_iter()
        .map(|f| {
            let path = &f.path;
            let description = match f.kind {
                "FIXED_SIZE_MISMATCH" => {
                    format!("The size of FIXED type field at path '{path}' in the {rw} schema does not match with the {ww} schema")
                }
                "TYPE_MISMATCH" => {
                    format!("The type (path '{path}') of a field in the {rw} schema does not match with the {ww} schema")
                }
                "NAME_MISMATCH" => format!("The name of the schema has changed (path '{path}')"),
                "MISSING_ENUM_SYMBOLS" => format!(
                    "The {rw} schema is missing enum symbols '{}' at path '{path}' in the {ww} schema",
                    f.message
                ),
                "MISSING_UNION_BRANCH" => {
                    format!("The {rw} schema is missing a type inside a union field at path '{path}' in the {ww} schema")
                }
                "READER_FIELD_MISSING_DEFAULT_VALUE" => format!(
                    "The field '{}' at path '{path}' in the {rw} schema has no default value and is missing in the {ww} schema",
                    f.message
                ),
                _ => String::new(),
            };
            Incompatibility { error_type: f.kind.to_string(), description, additional_info: f.message.to_string() }
        })
        .collect()
}
