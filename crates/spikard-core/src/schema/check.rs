//! Running compiled rules over a value.

use serde_json::Value;

use super::compile::{ARR, Additional, BOOL, INT, NEVER, NULL, NUM, OBJ, Rule, STR};
use super::format::Format;
use super::view::{Kind, View};
use crate::json::KnownKey;
use crate::problem::{FieldError, Source};

/// The four numeric bounds in pydantic's order (`le`, `lt`, `ge`, `gt`): error type,
/// wording and `ctx` key, read only when a value breaks one.
const BOUNDS: [(&str, &str, &str); 4] = [
    ("less_than_equal", "less than or equal to", "le"),
    ("less_than", "less than", "lt"),
    ("greater_than_equal", "greater than or equal to", "ge"),
    ("greater_than", "greater than", "gt"),
];

/// Where the checker is in the document: a chain of keys and indexes on the stack, turned
/// into an error's `loc` only when there is an error.
#[derive(Clone, Copy)]
pub(super) enum Path<'p> {
    /// The `loc` prefix the caller gave (e.g. a parameter's name).
    Root(&'p [Value]),
    Key(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn write(&self, loc: &mut Vec<Value>) {
        match self {
            Path::Root(prefix) => loc.extend_from_slice(prefix),
            Path::Key(parent, key) => {
                parent.write(loc);
                loc.push(Value::from(*key));
            }
            Path::Index(parent, i) => {
                parent.write(loc);
                loc.push(Value::from(*i));
            }
        }
    }

    fn depth(&self) -> usize {
        match self {
            Path::Root(prefix) => prefix.len(),
            Path::Key(parent, _) | Path::Index(parent, _) => parent.depth() + 1,
        }
    }
}

pub(super) struct Checker<'r, 'e> {
    pub rules: &'r [Rule],
    pub source: Source,
    pub errors: &'e mut Vec<FieldError>,
}

impl Checker<'_, '_> {
    fn push(&mut self, kind: &'static str, msg: impl Into<String>, input: Value, path: &Path<'_>) -> &mut FieldError {
        let mut err = FieldError::new(kind, self.source, msg, input);
        path.write(&mut err.loc);
        self.errors.push(err);
        self.errors.last_mut().expect("just pushed")
    }

    pub fn check<V: View>(&mut self, id: usize, value: V, path: &Path<'_>) {
        let rule = &self.rules[id];
        if let Some(target) = rule.reference {
            self.check(target, value, path);
        }
        let kind = value.kind();
        if rule.types != 0 && !type_matches(rule.types, kind) {
            let (err, msg) = if rule.format == Some(Format::Decimal) {
                (
                    "decimal_type",
                    "Decimal input should be an integer, float, string or Decimal object",
                )
            } else {
                type_error(rule.types, kind)
            };
            self.push(err, msg, value.to_value(), path);
            return;
        }
        if let Some(options) = &rule.enumeration
            && !options.iter().any(|o| equals(kind, value, o))
        {
            let expected = expected_list(options);
            let (err, msg) = if rule.constant {
                ("literal_error", format!("Input should be {expected}"))
            } else {
                ("enum", format!("Input should be {expected}"))
            };
            self.push(err, msg, value.to_value(), path)
                .ctx
                .get_or_insert_default()
                .insert("expected".into(), expected.into());
        }
        match kind {
            Kind::Int(_) | Kind::BigInt(_) | Kind::Float(_) => self.number(rule, kind, value, path),
            Kind::Str(s) => self.string(rule, s, value, path),
            Kind::Array(len) => self.array(rule, len, value, path),
            Kind::Object(_) => self.object(rule, value, path),
            Kind::Null | Kind::Bool(_) => {}
        }
        for &branch in &rule.all_of {
            self.check(branch, value, path);
        }
        if !rule.any_of.is_empty() && !type_matches(rule.any_of_types, kind) {
            self.union(&rule.any_of, value, path, false);
        }
        if !rule.one_of.is_empty() {
            self.union(&rule.one_of, value, path, true);
        }
    }

    /// `anyOf` (or `oneOf` when `exactly_one`): passes if a branch passes; otherwise the
    /// errors of the branch that came closest. Each branch is checked once (into a scratch
    /// list), branches whose type admits the value first, so `X | None` given `null` builds
    /// no error for `X`.
    fn union<V: View>(&mut self, branches: &[usize], value: V, path: &Path<'_>, exactly_one: bool) {
        let kind = value.kind();
        let admitted = branches.iter().filter(|&&b| self.admits(b, kind));
        let others = branches.iter().filter(|&&b| !self.admits(b, kind));
        let mut best: Option<Vec<FieldError>> = None;
        let mut passed = 0;
        for &branch in admitted.chain(others) {
            let mut errors = Vec::new();
            Checker {
                rules: self.rules,
                source: self.source,
                errors: &mut errors,
            }
            .check(branch, value, path);
            if errors.is_empty() {
                passed += 1;
                if !exactly_one {
                    return;
                }
            } else if best.as_ref().is_none_or(|b| errors.len() < b.len()) {
                best = Some(errors);
            }
        }
        match passed {
            0 => self.errors.extend(best.unwrap_or_default()),
            1 => {}
            _ => {
                self.push(
                    "union_tag_invalid",
                    "Input should match exactly one of the schemas, but matched several",
                    value.to_value(),
                    path,
                );
            }
        }
    }

    /// Whether the type of rule `id` (through `$ref`s) allows a value of this kind.
    fn admits(&self, id: usize, kind: Kind<'_>) -> bool {
        let rule = &self.rules[id];
        (rule.types == 0 || type_matches(rule.types, kind)) && rule.reference.is_none_or(|r| self.admits(r, kind))
    }

    /// Numeric constraints, in pydantic's order (`multiple_of`, `le`, `lt`, `ge`, `gt`);
    /// like pydantic, only the first one a value breaks is reported.
    fn number<V: View>(&mut self, rule: &Rule, kind: Kind<'_>, value: V, path: &Path<'_>) {
        if !rule.numeric {
            return;
        }
        let n = match kind {
            // Through i64 where it fits: an i128 -> f64 conversion is a slow library call.
            Kind::Int(i) => i64::try_from(i).map_or_else(|_| i as f64, |i| i as f64),
            Kind::BigInt(f) | Kind::Float(f) => f,
            _ => return,
        };
        if let Some(m) = &rule.multiple_of {
            let fails = match (kind, m.json.as_i64()) {
                (Kind::Int(i), Some(step)) => i % i128::from(step) != 0,
                _ => {
                    let q = n / m.value;
                    (q - q.round()).abs() > 1e-9
                }
            };
            if fails {
                let msg = format!("Input should be a multiple of {}", m.json);
                self.push_ctx("multiple_of", msg, value, path, "multiple_of", (*m.json).clone());
                return;
            }
        }
        let limits = [
            &rule.maximum,
            &rule.exclusive_maximum,
            &rule.minimum,
            &rule.exclusive_minimum,
        ];
        for (i, limit) in limits.into_iter().enumerate() {
            let Some(limit) = limit else { continue };
            let fails = match i {
                0 => n > limit.value,
                1 => n >= limit.value,
                2 => n < limit.value,
                _ => n <= limit.value,
            };
            if fails {
                let (err, words, ctx) = BOUNDS[i];
                let msg = format!("Input should be {words} {}", limit.json);
                self.push_ctx(err, msg, value, path, ctx, (*limit.json).clone());
                return;
            }
        }
    }

    /// String constraints: lengths, then pattern, then format; the first one broken is
    /// reported. A decimal string is then held to the numeric constraints.
    fn string<V: View>(&mut self, rule: &Rule, s: &str, value: V, path: &Path<'_>) {
        if rule.min_length.is_some() || rule.max_length.is_some() {
            let len = s.chars().count();
            if let Some(min) = rule.min_length
                && len < min
            {
                let msg = format!("String should have at least {min} character{}", plural(min));
                self.push_ctx("string_too_short", msg, value, path, "min_length", min.into());
                return;
            }
            if let Some(max) = rule.max_length
                && len > max
            {
                let msg = format!("String should have at most {max} character{}", plural(max));
                self.push_ctx("string_too_long", msg, value, path, "max_length", max.into());
                return;
            }
        }
        if let Some((re, source)) = rule.pattern.as_deref()
            && !re.is_match(s)
        {
            let msg = format!("String should match pattern '{source}'");
            self.push_ctx(
                "string_pattern_mismatch",
                msg,
                value,
                path,
                "pattern",
                source.clone().into(),
            );
            return;
        }
        if let Some(format) = rule.format {
            if let Err(e) = format.check(s) {
                let err = self.push(e.kind, e.msg, value.to_value(), path);
                if let Some(ctx) = e.ctx {
                    err.ctx.get_or_insert_default().insert("error".into(), ctx.into());
                }
            } else if format == Format::Decimal
                && let Ok(n) = s.parse::<f64>()
            {
                self.number(rule, Kind::Float(n), value, path);
            }
        }
    }

    fn push_ctx<V: View>(&mut self, kind: &'static str, msg: String, value: V, path: &Path<'_>, key: &str, ctx: Value) {
        self.push(kind, msg, value.to_value(), path)
            .ctx
            .get_or_insert_default()
            .insert(key.into(), ctx);
    }

    fn array<V: View>(&mut self, rule: &Rule, len: usize, value: V, path: &Path<'_>) {
        let bounds = [
            (
                rule.min_items.filter(|&m| len < m),
                "too_short",
                "at least",
                "min_length",
            ),
            (rule.max_items.filter(|&m| len > m), "too_long", "at most", "max_length"),
        ];
        for (limit, err, words, ctx_key) in bounds {
            if let Some(m) = limit {
                let msg = format!(
                    "List should have {words} {m} item{} after validation, not {len}",
                    plural(m)
                );
                let ctx = self.push(err, msg, value.to_value(), path).ctx.get_or_insert_default();
                ctx.insert("field_type".into(), "List".into());
                ctx.insert(ctx_key.into(), m.into());
                ctx.insert("actual_length".into(), len.into());
            }
        }
        if let Some(items) = rule.items {
            value.for_each_item(|i, item| self.check(items, item, &Path::Index(path, i)));
        }
    }

    /// Errors come in the order the properties are declared (then extra keys), as
    /// pydantic reports them, whatever the order of the keys in the document.
    fn object<V: View>(&mut self, rule: &Rule, value: V, path: &Path<'_>) {
        if rule.properties.is_empty() && matches!(rule.additional, Additional::Allow) {
            return;
        }
        let first = self.errors.len();
        let mut seen = Seen::new(rule.properties.len());
        // Keys mostly come in the declared order: try the one after the last match first.
        let mut next = 0;
        let depth = path.depth() + 1; // loc: the source, the path, then the key
        value.for_each_entry(|key, item| {
            // A key sent again replaces its earlier value, as in the dict the handler gets
            // (and as pydantic reads JSON): what the earlier value failed no longer counts.
            // Only an object that already failed pays for the look.
            if self.errors.len() > first {
                forget_key(self.errors, first, depth, key);
            }
            let here = Path::Key(path, key);
            let (text, head) = (key.as_bytes(), KnownKey::head(key.as_bytes()));
            let found = match rule.properties.get(next) {
                Some((name, _)) if name.matches(text, head) => Some(next),
                _ => rule.properties.iter().position(|(name, _)| name.matches(text, head)),
            };
            match found {
                Some(i) => {
                    next = i + 1;
                    seen.insert(i);
                    self.check(rule.properties[i].1, item, &here);
                }
                None => match rule.additional {
                    Additional::Allow => {}
                    Additional::Forbid => {
                        self.push(
                            "extra_forbidden",
                            "Extra inputs are not permitted",
                            item.to_value(),
                            &here,
                        );
                    }
                    Additional::Rule(extra) => self.check(extra, item, &here),
                },
            }
        });
        if rule.required.iter().any(|&i| !seen.contains(i)) {
            let input = value.to_value();
            for &i in rule.required.iter().filter(|&&i| !seen.contains(i)) {
                let here = Path::Key(path, rule.properties[i].0.as_str());
                self.push("missing", "Field required", input.clone(), &here);
            }
        }
        if self.errors.len() - first > 1 {
            let rank = |err: &FieldError| match err.loc.get(depth) {
                Some(Value::String(key)) => rule.properties.iter().position(|(name, _)| name.as_str() == key),
                _ => None,
            };
            self.errors[first..].sort_by_key(|err| rank(err).unwrap_or(usize::MAX));
        }
    }
}

/// Which properties of an object were present: a bit set, in a register up to 64 of them.
enum Seen {
    Few(u64),
    Many(Vec<bool>),
}

impl Seen {
    fn new(n: usize) -> Seen {
        if n <= 64 {
            Seen::Few(0)
        } else {
            Seen::Many(vec![false; n])
        }
    }

    fn insert(&mut self, i: usize) {
        match self {
            Seen::Few(bits) => *bits |= 1 << i,
            Seen::Many(flags) => flags[i] = true,
        }
    }

    fn contains(&self, i: usize) -> bool {
        match self {
            Seen::Few(bits) => bits & (1 << i) != 0,
            Seen::Many(flags) => flags[i],
        }
    }
}

/// Drops the errors after `first` whose `loc` names `key` at `depth`: those of an earlier
/// value of a key that is sent again.
fn forget_key(errors: &mut Vec<FieldError>, first: usize, depth: usize, key: &str) {
    let mut i = first;
    while i < errors.len() {
        if matches!(errors[i].loc.get(depth), Some(Value::String(k)) if k == key) {
            errors.remove(i);
        } else {
            i += 1;
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn type_matches(types: u8, kind: Kind<'_>) -> bool {
    let bits = match kind {
        Kind::Null => NULL,
        Kind::Bool(_) => BOOL,
        Kind::Int(_) | Kind::BigInt(_) => INT | NUM,
        // `2.0` is an integer to JSON Schema and to pydantic.
        Kind::Float(f) if f.fract() == 0.0 && f.is_finite() => INT | NUM,
        Kind::Float(_) => NUM,
        Kind::Str(_) => STR,
        Kind::Array(_) => ARR,
        Kind::Object(_) => OBJ,
    };
    types & NEVER == 0 && types & bits != 0
}

/// The error for a value of the wrong type, named after the first type the rule allows
/// (other than null).
fn type_error(types: u8, kind: Kind<'_>) -> (&'static str, &'static str) {
    let wanted = [STR, INT, NUM, BOOL, OBJ, ARR, NULL]
        .into_iter()
        .find(|bit| types & bit != 0)
        .unwrap_or(NEVER);
    match wanted {
        STR => ("string_type", "Input should be a valid string"),
        INT if matches!(kind, Kind::Float(f) if f.fract() != 0.0) => (
            "int_from_float",
            "Input should be a valid integer, got a number with a fractional part",
        ),
        INT => ("int_type", "Input should be a valid integer"),
        NUM => ("float_type", "Input should be a valid number"),
        BOOL => ("bool_type", "Input should be a valid boolean"),
        OBJ => ("dict_type", "Input should be a valid dictionary"),
        ARR => ("list_type", "Input should be a valid list"),
        NULL => ("none_required", "Input should be None"),
        _ => ("value_error", "No value is valid here"),
    }
}

fn equals<V: View>(kind: Kind<'_>, value: V, option: &Value) -> bool {
    match (kind, option) {
        (Kind::Null, Value::Null) => true,
        (Kind::Bool(a), Value::Bool(b)) => a == *b,
        (Kind::Str(a), Value::String(b)) => a == b,
        (Kind::Int(a), Value::Number(b)) => b.as_i64().map(i128::from).or(b.as_u64().map(i128::from)) == Some(a),
        (Kind::Float(a), Value::Number(b)) => b.as_f64() == Some(a),
        (Kind::Array(_) | Kind::Object(_), Value::Array(_) | Value::Object(_)) => value.to_value() == *option,
        _ => false,
    }
}

/// `'a', 'b' or 'c'`, as pydantic lists expected values.
fn expected_list(options: &[Value]) -> String {
    let shown: Vec<String> = options
        .iter()
        .map(|o| match o {
            Value::String(s) => format!("'{s}'"),
            other => other.to_string(),
        })
        .collect();
    match shown.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => "nothing".into(),
    }
}
