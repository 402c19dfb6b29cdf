//! Type table (Confluent's diff `Context`: types and extension fields of a schema and its deps).

use super::*;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin<'a> {
    Main,
    /// A reference: import name and text (stands for Confluent's subject + version).
    Ref(&'a str, &'a str),
    Builtin,
}

#[derive(Clone, Copy)]
pub(super) enum TypeRef<'a> {
    Msg(&'a MessageEl),
    Enum,
}

#[derive(Clone)]
pub(super) struct TypeInfo<'a> {
    pub(super) package: String,
    pub(super) origin: Origin<'a>,
    pub(super) el: TypeRef<'a>,
    pub(super) map: Option<(String, String)>,
}

pub(super) struct ExtInfo<'a> {
    pub(super) field: &'a FieldEl,
}

pub(super) struct TypeTable<'a> {
    pub(super) types: HashMap<String, TypeInfo<'a>>,
    pub(super) exts: HashMap<String, ExtInfo<'a>>,
    pub(super) package: String,
}

impl<'a> TypeTable<'a> {
    pub(super) fn build(file: &'a FileAst, refs: &'a [RefFile]) -> TypeTable<'a> {
        let mut t = TypeTable { types: HashMap::new(), exts: HashMap::new(), package: String::new() };
        for (name, ast) in builtin_asts() {
            if !refs.iter().any(|r| r.name == *name) {
                t.collect_file(ast, Origin::Builtin);
            }
        }
        for r in refs {
            t.collect_file(&r.ast, Origin::Ref(&r.name, &r.text));
        }
        t.collect_file(file, Origin::Main);
        t
    }

    pub(super) fn collect_file(&mut self, file: &'a FileAst, origin: Origin<'a>) {
        self.package = file.package.clone().unwrap_or_default();
        let mut path = Vec::new();
        self.collect_extends(&file.extends, &mut path);
        self.collect_types(&file.types, origin, &mut path);
    }

    pub(super) fn qualify(&self, path: &[String]) -> String {
        let name = path.join(".");
        if self.package.is_empty() {
            name
        } else {
            format!("{}.{}", self.package, name)
        }
    }

    pub(super) fn collect_extends(&mut self, extends: &'a [ExtendEl], path: &mut Vec<String>) {
        for e in extends {
            for f in &e.fields {
                path.push(f.name.clone());
                let full = self.qualify(path);
                self.exts.insert(full, ExtInfo { field: f });
                path.pop();
            }
        }
    }

    pub(super) fn collect_types(&mut self, types: &'a [TypeEl], origin: Origin<'a>, path: &mut Vec<String>) {
        for t in types {
            path.push(t.name().to_string());
            let full = self.qualify(path);
            match t {
                TypeEl::Message(m) => {
                    self.collect_extends(&m.extends, path);
                    let map = if m.is_map_entry() {
                        let key = m.fields.iter().find(|f| f.name == "key").map(|f| f.ty.clone()).unwrap_or_default();
                        let value =
                            m.fields.iter().find(|f| f.name == "value").map(|f| f.ty.clone()).unwrap_or_default();
                        Some((key, value))
                    } else {
                        None
                    };
                    let info = TypeInfo { package: self.package.clone(), origin, el: TypeRef::Msg(m), map };
                    self.types.insert(full, info);
                    self.collect_types(&m.nested, origin, path);
                }
                TypeEl::Enum(_) => {
                    let info = TypeInfo { package: self.package.clone(), origin, el: TypeRef::Enum, map: None };
                    self.types.insert(full, info);
                }
            }
            path.pop();
        }
    }
}

/// Confluent's `Context.resolveFull`: a leading dot is absolute; otherwise try the package plus the
/// enclosing names from the innermost scope outwards, then the bare name.
pub(super) fn resolve_name(pkg: &str, scope: &[String], name: &str, exists: impl Fn(&str) -> bool) -> Option<String> {
    if let Some(abs) = name.strip_prefix('.') {
        return exists(abs).then(|| abs.to_string());
    }
    let mut prefix: Vec<&str> = if pkg.is_empty() { Vec::new() } else { pkg.split('.').collect() };
    prefix.extend(scope.iter().map(String::as_str));
    while !prefix.is_empty() {
        let candidate = format!("{}.{}", prefix.join("."), name);
        if exists(&candidate) {
            return Some(candidate);
        }
        prefix.pop();
    }
    exists(name).then(|| name.to_string())
}
