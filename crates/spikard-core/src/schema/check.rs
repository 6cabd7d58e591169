//! Running compiled rules over a value.

use serde_json::Value;

use super::compile::{ARR, Additional, BOOL, INT, Limit, NEVER, NULL, NUM, OBJ, Rule, STR};
use super::view::{Kind, View};
use crate::problem::{FieldError, Source};

/// A numeric bound: its limit, error type, wording, `ctx` key, and when a value fails it.
type Bound<'r> = (
    &'r Option<Limit>,
    &'static str,
    &'static str,
    &'static str,
    fn(f64, f64) -> bool,
);

pub(super) struct Checker<'r, 'e> {
    pub rules: &'r [Rule],
    pub source: Source,
    pub errors: &'e mut Vec<FieldError>,
}

impl Checker<'_, '_> {
    fn push(&mut self, kind: &'static str, msg: impl Into<String>, input: Value, path: &[Value]) -> &mut FieldError {
        let mut err = FieldError::new(kind, self.source, msg, input);
        err.loc.extend_from_slice(path);
        self.errors.push(err);
        self.errors.last_mut().expect("just pushed")
    }

    pub fn check<V: View>(&mut self, id: usize, value: V, path: &mut Vec<Value>) {
        let rule = &self.rules[id];
        if let Some(target) = rule.reference {
            self.check(target, value, path);
        }
        let kind = value.kind();
        if rule.types != 0 && !type_matches(rule.types, kind) {
            let (err, msg) = type_error(rule.types, kind);
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
        if !rule.any_of.is_empty() {
            self.union(&rule.any_of, value, path, false);
        }
        if !rule.one_of.is_empty() {
            self.union(&rule.one_of, value, path, true);
        }
    }

    /// `anyOf` (or `oneOf` when `exactly_one`): passes if a branch passes; otherwise the
    /// errors of the branch that came closest.
    fn union<V: View>(&mut self, branches: &[usize], value: V, path: &mut Vec<Value>, exactly_one: bool) {
        let mut best: Option<Vec<FieldError>> = None;
        let mut passed = 0;
        for &branch in branches {
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

    fn number<V: View>(&mut self, rule: &Rule, kind: Kind<'_>, value: V, path: &[Value]) {
        let n = match kind {
            Kind::Int(i) => i as f64,
            Kind::BigInt(f) | Kind::Float(f) => f,
            _ => return,
        };
        let bounds: [Bound<'_>; 4] = [
            (
                &rule.minimum,
                "greater_than_equal",
                "greater than or equal to",
                "ge",
                |n, l| n < l,
            ),
            (&rule.exclusive_minimum, "greater_than", "greater than", "gt", |n, l| {
                n <= l
            }),
            (
                &rule.maximum,
                "less_than_equal",
                "less than or equal to",
                "le",
                |n, l| n > l,
            ),
            (&rule.exclusive_maximum, "less_than", "less than", "lt", |n, l| n >= l),
        ];
        for (limit, err, words, ctx, fails) in bounds {
            if let Some(limit) = limit
                && fails(n, limit.value)
            {
                self.push(
                    err,
                    format!("Input should be {words} {}", limit.json),
                    value.to_value(),
                    path,
                )
                .ctx
                .get_or_insert_default()
                .insert(ctx.into(), limit.json.clone());
            }
        }
        if let Some(m) = &rule.multiple_of {
            let fails = match (kind, m.json.as_i64()) {
                (Kind::Int(i), Some(step)) => i % i128::from(step) != 0,
                _ => {
                    let q = n / m.value;
                    (q - q.round()).abs() > 1e-9
                }
            };
            if fails {
                self.push(
                    "multiple_of",
                    format!("Input should be a multiple of {}", m.json),
                    value.to_value(),
                    path,
                )
                .ctx
                .get_or_insert_default()
                .insert("multiple_of".into(), m.json.clone());
            }
        }
    }

    fn string<V: View>(&mut self, rule: &Rule, s: &str, value: V, path: &[Value]) {
        if rule.min_length.is_some() || rule.max_length.is_some() {
            let len = s.chars().count();
            if let Some(min) = rule.min_length
                && len < min
            {
                let msg = format!("String should have at least {min} character{}", plural(min));
                self.push("string_too_short", msg, value.to_value(), path)
                    .ctx
                    .get_or_insert_default()
                    .insert("min_length".into(), min.into());
            }
            if let Some(max) = rule.max_length
                && len > max
            {
                let msg = format!("String should have at most {max} character{}", plural(max));
                self.push("string_too_long", msg, value.to_value(), path)
                    .ctx
                    .get_or_insert_default()
                    .insert("max_length".into(), max.into());
            }
        }
        if let Some((re, source)) = &rule.pattern
            && !re.is_match(s)
        {
            let msg = format!("String should match pattern '{source}'");
            self.push("string_pattern_mismatch", msg, value.to_value(), path)
                .ctx
                .get_or_insert_default()
                .insert("pattern".into(), source.clone().into());
        }
        if let Some(format) = rule.format
            && let Err(e) = format.check(s)
        {
            self.push(e.kind, e.msg, value.to_value(), path);
        }
    }

    fn array<V: View>(&mut self, rule: &Rule, len: usize, value: V, path: &mut Vec<Value>) {
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
            value.for_each_item(|i, item| {
                path.push(i.into());
                self.check(items, item, path);
                path.pop();
            });
        }
    }

    fn object<V: View>(&mut self, rule: &Rule, value: V, path: &mut Vec<Value>) {
        if rule.properties.is_empty() && matches!(rule.additional, Additional::Allow) {
            return;
        }
        let mut seen = vec![false; rule.properties.len()];
        value.for_each_entry(|key, item| {
            path.push(key.into());
            match rule.properties.iter().position(|(name, _)| name == key) {
                Some(i) => {
                    seen[i] = true;
                    self.check(rule.properties[i].1, item, path);
                }
                None => match rule.additional {
                    Additional::Allow => {}
                    Additional::Forbid => {
                        self.push(
                            "extra_forbidden",
                            "Extra inputs are not permitted",
                            item.to_value(),
                            path,
                        );
                    }
                    Additional::Rule(extra) => self.check(extra, item, path),
                },
            }
            path.pop();
        });
        let missing: Vec<usize> = rule.required.iter().copied().filter(|&i| !seen[i]).collect();
        if !missing.is_empty() {
            let input = value.to_value();
            for i in missing {
                path.push(rule.properties[i].0.as_str().into());
                self.push("missing", "Field required", input.clone(), path);
                path.pop();
            }
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
