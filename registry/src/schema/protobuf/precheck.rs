//! A linear pre-check of the syntax tree for the mistakes that can repeat thousands of times in
//! one schema (duplicate or reserved field numbers, duplicate field names, duplicate enum
//! numbers). protox reports every such error and locates each one by scanning the whole source
//! (`prost-reflect`'s `Label::new`, miette's `SourceOffset::from_location`), so a schema with
//! 20,000 of them costs minutes. A few errors are left to protox (its exact message and order);
//! past [`MAX_LEFT_TO_COMPILER`] the schema is refused here with the first messages, worded as
//! protox words them.

use super::*;

/// Errors found here beyond which protox is not run.
pub(super) const MAX_LEFT_TO_COMPILER: usize = 16;
/// Messages quoted in the refusal.
const MAX_QUOTED: usize = 3;

/// Err with the refusal when the file has more than [`MAX_LEFT_TO_COMPILER`] such errors.
pub(super) fn precheck(file: &FileAst) -> Result<(), ProtobufError> {
    precheck_allowing(file, MAX_LEFT_TO_COMPILER)
}

/// [`precheck`] with another threshold (tests compare its wording with protox's at 0).
pub(super) fn precheck_allowing(file: &FileAst, allowed: usize) -> Result<(), ProtobufError> {
    let mut found = Found::default();
    let proto2 = file.syntax.as_deref().is_none_or(|s| s == "proto2");
    let prefix = file.package.as_deref().filter(|p| !p.is_empty()).map(str::to_string).unwrap_or_default();
    for t in &file.types {
        check_type(&mut found, &prefix, t, proto2);
    }
    if crate::budget::spent() {
        return Err(ProtobufError("Invalid Protobuf schema - request work limit exceeded".to_string()));
    }
    found.finish(allowed)
}

#[derive(Default)]
struct Found {
    /// First messages of the name pass (protox reports these first), then of the number pass.
    names: Vec<String>,
    numbers: Vec<String>,
    count: usize,
}

impl Found {
    fn name(&mut self, m: impl FnOnce() -> String) {
        self.count += 1;
        if self.names.len() < MAX_QUOTED {
            self.names.push(m());
        }
    }

    fn number(&mut self, m: impl FnOnce() -> String) {
        self.count += 1;
        if self.numbers.len() < MAX_QUOTED {
            self.numbers.push(m());
        }
    }

    fn finish(self, allowed: usize) -> Result<(), ProtobufError> {
        if self.count <= allowed {
            return Ok(());
        }
        let quoted: Vec<String> = self.names.into_iter().chain(self.numbers).take(MAX_QUOTED).collect();
        Err(ProtobufError(format!(
            "Invalid Protobuf schema - {} (and {} more errors of this kind)",
            quoted.join("; "),
            self.count - quoted.len()
        )))
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn check_type(found: &mut Found, prefix: &str, t: &TypeEl, proto2: bool) {
    match t {
        TypeEl::Message(m) => check_message(found, prefix, m, proto2),
        TypeEl::Enum(e) => check_enum(found, prefix, e),
    }
}

/// A field as the compiler sees it: plain, oneof member or group.
struct Field<'a> {
    name: std::borrow::Cow<'a, str>,
    tag: i32,
}

fn check_message(found: &mut Found, prefix: &str, m: &MessageEl, proto2: bool) {
    let full = join(prefix, &m.name);
    let mut fields: Vec<Field<'_>> = Vec::with_capacity(m.fields.len());
    fields.extend(m.fields.iter().map(|f| Field { name: f.name.as_str().into(), tag: f.tag }));
    for o in &m.oneofs {
        fields.extend(o.fields.iter().map(|f| Field { name: f.name.as_str().into(), tag: f.tag }));
        fields.extend(o.groups.iter().map(|g| Field { name: g.name.to_ascii_lowercase().into(), tag: g.tag }));
    }
    fields.extend(m.groups.iter().map(|g| Field { name: g.name.to_ascii_lowercase().into(), tag: g.tag }));

    if !proto2 {
        let mut camel: HashMap<String, &str> = HashMap::with_capacity(fields.len());
        for f in &fields {
            let key: String = f.name.chars().filter(|c| *c != '_').map(|c| c.to_ascii_lowercase()).collect();
            if let Some(first) = camel.insert(key, &f.name) {
                found.name(|| format!("camel-case name of field '{first}' conflicts with field '{}'", f.name));
            }
        }
    }
    let mut names: HashSet<&str> = HashSet::with_capacity(fields.len());
    for f in &fields {
        if !names.insert(&f.name) {
            found.name(|| format!("name '{}' is defined twice", join(&full, &f.name)));
        }
    }

    let ranges = sorted_ranges(&m.reserveds);
    // protox tests each field against each reserved range: that is the work to charge.
    crate::budget::charge_each(fields.len().saturating_mul(ranges.len()), 1);
    let mut numbers: HashSet<i32> = HashSet::with_capacity(fields.len());
    for f in &fields {
        if !numbers.insert(f.tag) {
            found.number(|| format!("field number '{}' is already used", f.tag));
        }
        if !(1..=MAX_TAG_VALUE).contains(&f.tag) || (19_000..=19_999).contains(&f.tag) {
            found.number(|| format!("invalid field number '{}'", f.tag));
        }
        if let Some((a, b)) = containing(&ranges, f.tag) {
            found.number(|| format!("field number '{}' conflicts with reserved range '{a} to {b}'", f.tag));
        }
    }
    for g in m.groups.iter().chain(m.oneofs.iter().flat_map(|o| &o.groups)) {
        let group = MessageEl { name: g.name.clone(), fields: g.fields.clone(), ..MessageEl::default() };
        check_message(found, &full, &group, proto2);
    }
    for t in &m.nested {
        check_type(found, &full, t, proto2);
    }
}

fn check_enum(found: &mut Found, prefix: &str, e: &EnumEl) {
    let allow_alias =
        e.options.iter().any(|o| o.name == "allow_alias" && matches!(&o.value, OVal::Bool(b) if b == "true"));
    // Enum values are named in the scope that holds the enum.
    let mut names: HashSet<&str> = HashSet::with_capacity(e.constants.len());
    for c in &e.constants {
        if !names.insert(&c.name) {
            found.name(|| format!("name '{}' is defined twice", join(prefix, &c.name)));
        }
    }
    let ranges = sorted_ranges(&e.reserveds);
    crate::budget::charge_each(e.constants.len().saturating_mul(ranges.len()), 1);
    let mut numbers: HashSet<i32> = HashSet::with_capacity(e.constants.len());
    for c in &e.constants {
        if let Some((a, b)) = containing(&ranges, c.tag) {
            found.number(|| format!("enum number '{}' conflicts with reserved range '{a} to {b}'", c.tag));
        }
        if !numbers.insert(c.tag) && !allow_alias {
            found.number(|| format!("enum number '{}' has already been used", c.tag));
        }
    }
}

/// Reserved numbers as inclusive ranges sorted by start, each with the largest end so far (so a
/// binary search finds whether any range holds a number).
fn sorted_ranges(reserveds: &[Vec<RangeVal>]) -> Vec<(i32, i32, i32)> {
    let mut ranges: Vec<(i32, i32, i32)> = reserveds
        .iter()
        .flatten()
        .filter_map(|r| match r {
            RangeVal::Tag(t) => Some((*t, *t, *t)),
            RangeVal::Range(a, b) => Some((*a, *b, *b)),
            RangeVal::Name(_) => None,
        })
        .collect();
    ranges.sort_unstable();
    let mut reach = i32::MIN;
    for r in &mut ranges {
        reach = reach.max(r.1);
        r.2 = reach;
    }
    ranges
}

/// A reserved range holding `n` (the first one by start), if any.
fn containing(ranges: &[(i32, i32, i32)], n: i32) -> Option<(i32, i32)> {
    // Ranges starting at or before n; one of them holds n iff the largest end among them reaches n.
    let upto = ranges.partition_point(|r| r.0 <= n);
    if upto == 0 || ranges[upto - 1].2 < n {
        return None;
    }
    // The largest end so far first reaches n at a range that itself reaches n.
    let first = ranges.partition_point(|r| r.2 < n);
    ranges.get(first).map(|r| (r.0, r.1))
}
