//! From a JSON Schema document to the rules the checker runs.

use std::collections::HashMap;

use serde_json::Value;

use super::Schema;
use super::format::Format;
use crate::json::KnownKey;

/// A schema the validator cannot run: an unknown keyword, a bad value, a dangling `$ref`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError(pub String);

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SchemaError {}

pub(super) const NULL: u8 = 1;
pub(super) const BOOL: u8 = 2;
pub(super) const INT: u8 = 4;
pub(super) const NUM: u8 = 8;
pub(super) const STR: u8 = 16;
pub(super) const ARR: u8 = 32;
pub(super) const OBJ: u8 = 64;
/// `false` as a schema: nothing is valid.
pub(super) const NEVER: u8 = 128;

/// A numeric bound, and how the schema wrote it (for messages and `ctx`). The JSON is
/// boxed: it is read only for errors, and keeping [`Rule`] small keeps the rules a
/// document walks in fewer cache lines.
#[derive(Debug, Clone)]
pub(super) struct Limit {
    pub value: f64,
    pub json: Box<Value>,
}

#[derive(Debug, Default)]
pub(super) enum Additional {
    #[default]
    Allow,
    Forbid,
    Rule(usize),
}

#[derive(Debug, Default)]
pub(super) struct Rule {
    /// Bits of the JSON types allowed; 0 allows every type.
    pub types: u8,
    pub enumeration: Option<Vec<Value>>,
    /// The enumeration came from `const`.
    pub constant: bool,
    pub minimum: Option<Limit>,
    pub maximum: Option<Limit>,
    pub exclusive_minimum: Option<Limit>,
    pub exclusive_maximum: Option<Limit>,
    pub multiple_of: Option<Limit>,
    /// Any of the five numeric constraints above is set.
    pub numeric: bool,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub pattern: Option<Box<(regex::Regex, String)>>,
    pub format: Option<Format>,
    pub items: Option<usize>,
    pub min_items: Option<usize>,
    pub max_items: Option<usize>,
    pub properties: Vec<(KnownKey, usize)>,
    /// Indexes into `properties` of the required keys.
    pub required: Vec<usize>,
    pub additional: Additional,
    pub any_of: Vec<usize>,
    /// The types the `anyOf` branches that check nothing but a type allow: a value of one of
    /// them passes the `anyOf` without a branch being walked (`X | None` given `None`).
    pub any_of_types: u8,
    pub one_of: Vec<usize>,
    pub all_of: Vec<usize>,
    pub reference: Option<usize>,
}

impl Rule {
    pub fn is_empty(&self) -> bool {
        self.types == 0 && self.checks_only_type()
    }

    /// Nothing but (at most) the type is constrained.
    pub fn checks_only_type(&self) -> bool {
        self.enumeration.is_none()
            && self.minimum.is_none()
            && self.maximum.is_none()
            && self.exclusive_minimum.is_none()
            && self.exclusive_maximum.is_none()
            && self.multiple_of.is_none()
            && self.min_length.is_none()
            && self.max_length.is_none()
            && self.pattern.is_none()
            && self.format.is_none()
            && self.items.is_none()
            && self.min_items.is_none()
            && self.max_items.is_none()
            && self.properties.is_empty()
            && matches!(self.additional, Additional::Allow)
            && self.any_of.is_empty()
            && self.one_of.is_empty()
            && self.all_of.is_empty()
            && self.reference.is_none()
    }
}

/// Keywords that document a schema and check nothing.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "$defs",
    "definitions",
    "title",
    "description",
    "default",
    "examples",
    "example",
    "deprecated",
    "readOnly",
    "writeOnly",
    "discriminator",
    "xml",
    "externalDocs",
    "contentMediaType",
    "contentEncoding",
];

pub(super) fn compile(root: &Value) -> Result<Schema, SchemaError> {
    let mut compiler = Compiler {
        root,
        rules: Vec::new(),
        refs: HashMap::new(),
    };
    compiler.rule(root, "#")?;
    refuse_loops(&compiler.rules)?;
    Ok(Schema { rules: compiler.rules })
}

/// A rule that reaches itself through `$ref`, `allOf`, `anyOf` or `oneOf` alone (without
/// descending into a property or an item) would check the same value forever: refused.
fn refuse_loops(rules: &[Rule]) -> Result<(), SchemaError> {
    fn visit(rules: &[Rule], id: usize, state: &mut [u8]) -> Result<(), SchemaError> {
        match state[id] {
            1 => return Err(SchemaError("a $ref cycle that never descends into a value".into())),
            2 => return Ok(()),
            _ => {}
        }
        state[id] = 1;
        let rule = &rules[id];
        let direct = rule
            .reference
            .iter()
            .chain(&rule.all_of)
            .chain(&rule.any_of)
            .chain(&rule.one_of);
        for &next in direct {
            visit(rules, next, state)?;
        }
        state[id] = 2;
        Ok(())
    }
    let mut state = vec![0u8; rules.len()];
    (0..rules.len()).try_for_each(|id| visit(rules, id, &mut state))
}

struct Compiler<'a> {
    root: &'a Value,
    rules: Vec<Rule>,
    refs: HashMap<String, usize>,
}

fn fail<T>(at: &str, msg: impl std::fmt::Display) -> Result<T, SchemaError> {
    Err(SchemaError(format!("{msg} (at {at})")))
}

impl Compiler<'_> {
    fn rule(&mut self, schema: &Value, at: &str) -> Result<usize, SchemaError> {
        // A schema that is only a `$ref` (and annotations) is its target: no rule of its own
        // to walk through on every value.
        if let Value::Object(map) = schema
            && let Some(target) = map.get("$ref")
            && map
                .keys()
                .all(|k| k == "$ref" || ANNOTATIONS.contains(&k.as_str()) || k.starts_with("x-"))
        {
            return self.reference(target, &format!("{at}/$ref"));
        }
        let id = self.rules.len();
        self.rules.push(Rule::default());
        self.rules[id] = self.build(schema, at)?;
        Ok(id)
    }

    fn build(&mut self, schema: &Value, at: &str) -> Result<Rule, SchemaError> {
        let map = match schema {
            Value::Bool(true) => return Ok(Rule::default()),
            Value::Bool(false) => {
                return Ok(Rule {
                    types: NEVER,
                    ..Rule::default()
                });
            }
            Value::Object(map) => map,
            _ => return fail(at, "a schema must be an object or a boolean"),
        };
        let mut rule = Rule::default();
        let mut required = Vec::new();
        for (key, value) in map {
            let here = format!("{at}/{key}");
            match key.as_str() {
                "type" => rule.types = types(value, &here)?,
                "nullable" => {
                    if value == &Value::Bool(true) {
                        rule.types |= NULL;
                    }
                }
                "enum" => match value {
                    Value::Array(values) => rule.enumeration = Some(values.clone()),
                    _ => return fail(&here, "enum must be an array"),
                },
                "const" => {
                    rule.enumeration = Some(vec![value.clone()]);
                    rule.constant = true;
                }
                "minimum" => rule.minimum = Some(limit(value, &here)?),
                "maximum" => rule.maximum = Some(limit(value, &here)?),
                "exclusiveMinimum" => rule.exclusive_minimum = Some(limit(value, &here)?),
                "exclusiveMaximum" => rule.exclusive_maximum = Some(limit(value, &here)?),
                "multipleOf" => {
                    let l = limit(value, &here)?;
                    if l.value <= 0.0 {
                        return fail(&here, "multipleOf must be greater than 0");
                    }
                    rule.multiple_of = Some(l);
                }
                "minLength" => rule.min_length = Some(count(value, &here)?),
                "maxLength" => rule.max_length = Some(count(value, &here)?),
                "minItems" => rule.min_items = Some(count(value, &here)?),
                "maxItems" => rule.max_items = Some(count(value, &here)?),
                "pattern" => {
                    let Value::String(p) = value else {
                        return fail(&here, "pattern must be a string");
                    };
                    match regex::Regex::new(p) {
                        Ok(re) => rule.pattern = Some(Box::new((re, p.clone()))),
                        Err(e) => return fail(&here, format!("invalid pattern: {e}")),
                    }
                }
                "format" => {
                    let Value::String(name) = value else {
                        return fail(&here, "format must be a string");
                    };
                    // Formats Spikard does not know are annotations, as JSON Schema says.
                    rule.format = Format::named(name);
                }
                "items" => rule.items = Some(self.rule(value, &here)?),
                "properties" => {
                    let Value::Object(props) = value else {
                        return fail(&here, "properties must be an object");
                    };
                    for (name, schema) in props {
                        let id = self.rule(schema, &format!("{here}/{name}"))?;
                        rule.properties.push((KnownKey::new(name.clone()), id));
                    }
                }
                "required" => match value {
                    Value::Array(names) => {
                        for name in names {
                            match name {
                                Value::String(n) => required.push(n.clone()),
                                _ => return fail(&here, "required must list strings"),
                            }
                        }
                    }
                    _ => return fail(&here, "required must be an array"),
                },
                "additionalProperties" => {
                    rule.additional = match value {
                        Value::Bool(true) => Additional::Allow,
                        Value::Bool(false) => Additional::Forbid,
                        other => Additional::Rule(self.rule(other, &here)?),
                    }
                }
                "anyOf" => rule.any_of = self.rules_of(value, &here)?,
                "oneOf" => rule.one_of = self.rules_of(value, &here)?,
                "allOf" => rule.all_of = self.rules_of(value, &here)?,
                "$ref" => rule.reference = Some(self.reference(value, &here)?),
                k if ANNOTATIONS.contains(&k) || k.starts_with("x-") => {}
                other => return fail(at, format!("unsupported JSON Schema keyword {other:?}")),
            }
        }
        rule.any_of_types = rule
            .any_of
            .iter()
            .map(|&b| &self.rules[b])
            .filter(|branch| branch.checks_only_type())
            .fold(0, |types, branch| types | branch.types);
        rule.numeric = rule.minimum.is_some()
            || rule.maximum.is_some()
            || rule.exclusive_minimum.is_some()
            || rule.exclusive_maximum.is_some()
            || rule.multiple_of.is_some();
        for name in required {
            let index = match rule.properties.iter().position(|(n, _)| n.as_str() == name) {
                Some(i) => i,
                None => {
                    let id = self.rules.len();
                    self.rules.push(Rule::default());
                    rule.properties.push((KnownKey::new(name), id));
                    rule.properties.len() - 1
                }
            };
            rule.required.push(index);
        }
        Ok(rule)
    }

    fn rules_of(&mut self, value: &Value, at: &str) -> Result<Vec<usize>, SchemaError> {
        let Value::Array(schemas) = value else {
            return fail(at, "must be an array of schemas");
        };
        schemas
            .iter()
            .enumerate()
            .map(|(i, s)| self.rule(s, &format!("{at}/{i}")))
            .collect()
    }

    fn reference(&mut self, value: &Value, at: &str) -> Result<usize, SchemaError> {
        let Value::String(target) = value else {
            return fail(at, "$ref must be a string");
        };
        if let Some(&id) = self.refs.get(target) {
            return Ok(id);
        }
        let Some(schema) = target.strip_prefix('#').and_then(|p| self.root.pointer(p)) else {
            return fail(at, format!("$ref {target:?} does not resolve within the document"));
        };
        // Reserved before it is built, so a schema may refer to itself.
        let id = self.rules.len();
        self.rules.push(Rule::default());
        self.refs.insert(target.clone(), id);
        self.rules[id] = self.build(schema, target)?;
        Ok(id)
    }
}

fn types(value: &Value, at: &str) -> Result<u8, SchemaError> {
    let one = |name: &str| -> Result<u8, SchemaError> {
        Ok(match name {
            "null" => NULL,
            "boolean" => BOOL,
            "integer" => INT,
            "number" => NUM,
            "string" => STR,
            "array" => ARR,
            "object" => OBJ,
            other => return fail(at, format!("unknown type {other:?}")),
        })
    };
    match value {
        Value::String(name) => one(name),
        Value::Array(names) => names.iter().try_fold(0, |bits, n| match n {
            Value::String(name) => Ok(bits | one(name)?),
            _ => fail(at, "type must name types"),
        }),
        _ => fail(at, "type must be a string or an array"),
    }
}

fn limit(value: &Value, at: &str) -> Result<Limit, SchemaError> {
    match value.as_f64() {
        Some(f) => Ok(Limit {
            value: f,
            json: Box::new(value.clone()),
        }),
        None => fail(at, "must be a number"),
    }
}

fn count(value: &Value, at: &str) -> Result<usize, SchemaError> {
    match value.as_u64() {
        Some(n) => Ok(n as usize),
        None => fail(at, "must be a non-negative integer"),
    }
}
