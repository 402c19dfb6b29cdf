//! Confluent's diff `Context`: types of both sides, path.

use super::*;

/// Recursion into referenced message types stops at this depth (then names alone are compared).
pub(crate) const MAX_DIFF_DEPTH: usize = 32;

pub(crate) struct DiffCtx<'t, 'a> {
    pub(crate) orig: &'t TypeTable<'a>,
    pub(crate) upd: &'t TypeTable<'a>,
    pub(crate) orig_pkg: String,
    pub(crate) upd_pkg: String,
    pub(crate) path: Vec<String>,
    pub(crate) names: Vec<String>,
    pub(crate) schemas: Vec<*const MessageEl>,
    pub(crate) diffs: Vec<Diff>,
    pub(crate) depth: usize,
}

impl<'t, 'a> DiffCtx<'t, 'a> {
    pub(crate) fn add(&mut self, kind: DiffKind) {
        self.diffs.push(Diff { kind, path: format!("#/{}", self.path.join("/")) });
    }

    pub(crate) fn add_at(&mut self, parts: &[&str], kind: DiffKind) {
        let n = self.path.len();
        self.path.extend(parts.iter().map(|s| s.to_string()));
        self.add(kind);
        self.path.truncate(n);
    }

    pub(crate) fn table(&self, original: bool) -> &'t TypeTable<'a> {
        if original {
            self.orig
        } else {
            self.upd
        }
    }

    pub(crate) fn resolve(&self, name: &str, original: bool) -> Option<String> {
        let table = self.table(original);
        if table.types.is_empty() {
            return None;
        }
        let pkg = if original { &self.orig_pkg } else { &self.upd_pkg };
        resolve_name(pkg, &self.names, name, |n| table.types.contains_key(n))
    }

    pub(crate) fn get_type(&self, name: &str, original: bool) -> Option<&'t TypeInfo<'a>> {
        let full = self.resolve(name, original)?;
        self.table(original).types.get(&full)
    }

    pub(crate) fn sub(&self) -> DiffCtx<'t, 'a> {
        DiffCtx {
            orig: self.orig,
            upd: self.upd,
            orig_pkg: self.orig_pkg.clone(),
            upd_pkg: self.upd_pkg.clone(),
            path: self.path.clone(),
            names: self.names.clone(),
            schemas: self.schemas.clone(),
            diffs: Vec::new(),
            depth: self.depth + 1,
        }
    }
}
