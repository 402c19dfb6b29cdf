//! Confluent's `StringSchemaDiff`, `NumberSchemaDiff` and `EnumSchemaDiff`, with decimal arithmetic.

use super::*;

/// `types` = [ADDED, REMOVED, INCREASED, DECREASED].
pub(crate) fn compare_limit<T: PartialOrd>(ctx: &mut DiffCtx, attr: &str, a: Option<T>, b: Option<T>, types: [DT; 4]) {
    let [added, removed, increased, decreased] = types;
    match (a, b) {
        (None, None) => {}
        (None, Some(_)) => ctx.add_at(attr, added),
        (Some(_), None) => ctx.add_at(attr, removed),
        (Some(x), Some(y)) => {
            if x < y {
                ctx.add_at(attr, increased);
            } else if x > y {
                ctx.add_at(attr, decreased);
            }
        }
    }
}

pub(crate) fn compare_string(ctx: &mut DiffCtx, a: &StrS, b: &StrS) {
    compare_limit(
        ctx,
        "maxLength",
        a.max_length,
        b.max_length,
        [DT::MAX_LENGTH_ADDED, DT::MAX_LENGTH_REMOVED, DT::MAX_LENGTH_INCREASED, DT::MAX_LENGTH_DECREASED],
    );
    compare_limit(
        ctx,
        "minLength",
        a.min_length,
        b.min_length,
        [DT::MIN_LENGTH_ADDED, DT::MIN_LENGTH_REMOVED, DT::MIN_LENGTH_INCREASED, DT::MIN_LENGTH_DECREASED],
    );
    match (&a.pattern, &b.pattern) {
        (None, Some(_)) => ctx.add_at("pattern", DT::PATTERN_ADDED),
        (Some(_), None) => ctx.add_at("pattern", DT::PATTERN_REMOVED),
        (Some(x), Some(y)) if x != y => ctx.add_at("pattern", DT::PATTERN_CHANGED),
        _ => {}
    }
}

pub(crate) fn compare_number(ctx: &mut DiffCtx, a: &NumS, b: &NumS) {
    compare_limit(
        ctx,
        "maximum",
        a.maximum,
        b.maximum,
        [DT::MAXIMUM_ADDED, DT::MAXIMUM_REMOVED, DT::MAXIMUM_INCREASED, DT::MAXIMUM_DECREASED],
    );
    compare_limit(
        ctx,
        "minimum",
        a.minimum,
        b.minimum,
        [DT::MINIMUM_ADDED, DT::MINIMUM_REMOVED, DT::MINIMUM_INCREASED, DT::MINIMUM_DECREASED],
    );
    compare_limit(
        ctx,
        "exclusiveMaximum",
        a.exclusive_maximum,
        b.exclusive_maximum,
        [
            DT::EXCLUSIVE_MAXIMUM_ADDED,
            DT::EXCLUSIVE_MAXIMUM_REMOVED,
            DT::EXCLUSIVE_MAXIMUM_INCREASED,
            DT::EXCLUSIVE_MAXIMUM_DECREASED,
        ],
    );
    compare_limit(
        ctx,
        "exclusiveMinimum",
        a.exclusive_minimum,
        b.exclusive_minimum,
        [
            DT::EXCLUSIVE_MINIMUM_ADDED,
            DT::EXCLUSIVE_MINIMUM_REMOVED,
            DT::EXCLUSIVE_MINIMUM_INCREASED,
            DT::EXCLUSIVE_MINIMUM_DECREASED,
        ],
    );
    match (&a.multiple_of, &b.multiple_of) {
        (None, None) => {}
        (None, Some(_)) => ctx.add_at("multipleOf", DT::MULTIPLE_OF_ADDED),
        (Some(_), None) => ctx.add_at("multipleOf", DT::MULTIPLE_OF_REMOVED),
        (Some(x), Some(y)) => {
            if !decimal_eq(x, y) {
                if !decimal_is_zero(x) && decimal_divides(x, y) {
                    ctx.add_at("multipleOf", DT::MULTIPLE_OF_EXPANDED);
                } else if !decimal_is_zero(y) && decimal_divides(y, x) {
                    ctx.add_at("multipleOf", DT::MULTIPLE_OF_REDUCED);
                } else {
                    ctx.add_at("multipleOf", DT::MULTIPLE_OF_CHANGED);
                }
            }
        }
    }
    if a.requires_integer != b.requires_integer {
        ctx.add(if a.requires_integer { DT::TYPE_EXTENDED } else { DT::TYPE_NARROWED });
    }
}

pub(crate) fn compare_enum(ctx: &mut DiffCtx, a: &[String], b: &[String]) {
    let x: HashSet<&String> = a.iter().collect();
    let y: HashSet<&String> = b.iter().collect();
    if x != y {
        if y.is_superset(&x) {
            ctx.add_at("enum", DT::ENUM_ARRAY_EXTENDED);
        } else if x.is_superset(&y) {
            ctx.add_at("enum", DT::ENUM_ARRAY_NARROWED);
        } else {
            ctx.add_at("enum", DT::ENUM_ARRAY_CHANGED);
        }
    }
}

/// (unscaled coefficient, scale) of a decimal literal, if it fits in 128 bits.
pub(crate) fn decimal_parts(d: &Decimal) -> Option<(u128, i64)> {
    let raw = d.raw.trim_start_matches('-');
    let (mantissa, exp) = match raw.find(['e', 'E']) {
        Some(p) => (&raw[..p], raw[p + 1..].parse::<i64>().ok()?),
        None => (raw, 0),
    };
    let (ip, fp) = match mantissa.find('.') {
        Some(p) => (&mantissa[..p], &mantissa[p + 1..]),
        None => (mantissa, ""),
    };
    let digits = format!("{ip}{fp}");
    let digits = digits.trim_start_matches('0');
    let coeff = if digits.is_empty() { 0 } else { digits.parse::<u128>().ok()? };
    Some((coeff, fp.len() as i64 - exp))
}

/// Both coefficients brought to a common scale.
pub(crate) fn decimal_aligned(a: &Decimal, b: &Decimal) -> Option<(u128, u128)> {
    let (ca, sa) = decimal_parts(a)?;
    let (cb, sb) = decimal_parts(b)?;
    let scale = |c: u128, by: i64| -> Option<u128> {
        let p = u32::try_from(by).ok()?;
        c.checked_mul(10u128.checked_pow(p)?)
    };
    if sa >= sb {
        Some((ca, scale(cb, sa - sb)?))
    } else {
        Some((scale(ca, sb - sa)?, cb))
    }
}

pub(crate) fn decimal_is_zero(d: &Decimal) -> bool {
    match decimal_parts(d) {
        Some((c, _)) => c == 0,
        None => d.raw.parse::<f64>().map(|f| f == 0.0).unwrap_or(false),
    }
}

pub(crate) fn decimal_f64(d: &Decimal) -> f64 {
    d.raw.parse::<f64>().unwrap_or(f64::NAN)
}

pub(crate) fn decimal_eq(a: &Decimal, b: &Decimal) -> bool {
    match decimal_aligned(a, b) {
        Some((x, y)) => x == y && a.raw.starts_with('-') == b.raw.starts_with('-') || x == 0 && y == 0,
        None => decimal_f64(a) == decimal_f64(b),
    }
}

/// `dividend % divisor == 0` (divisor non-zero), exact when the literals fit in 128 bits.
pub(crate) fn decimal_divides(divisor: &Decimal, dividend: &Decimal) -> bool {
    match decimal_aligned(divisor, dividend) {
        Some((d, n)) => d != 0 && n % d == 0,
        None => {
            let q = decimal_f64(dividend) / decimal_f64(divisor);
            q.is_finite() && q.fract() == 0.0
        }
    }
}
