//! Parameters and bodies checked in Rust before any handler runs.
//!
//! A route declares what it reads once, as a [`RequestPlan`] computed at startup: its
//! parameters ([`ParamSpec`]s) and its JSON body ([`BodyPlan`]). For each request,
//! [`RequestPlan::extract`] reads every parameter from its source, coerces it to its
//! declared type, parses and checks the body, and reports every failure at once, with
//! pydantic v2's error types and wording.

mod big;
mod body;
mod coerce;
mod view;

pub use body::{BodyPlan, JsonBody};
pub use coerce::{CoerceError, Coerced, MAX_INT_DIGITS, ParamKind, coerce};
pub use view::ParamView;

use std::borrow::Cow;
use std::sync::Arc;

use crate::problem::{FieldError, Problem, Source};
use crate::request::{QueryParams, Request, header_text, parse_cookies};
use crate::schema::Schema;
use serde_json::Value;

/// One declared parameter of a route.
#[derive(Debug, Clone)]
pub struct ParamSpec {
    /// The name it is read by: the path segment, query key, header or cookie name.
    pub key: String,
    /// Where it is read from (not `Body`).
    pub source: Source,
    /// The type its text is coerced to.
    pub kind: ParamKind,
    /// `list[T]`: every value of a repeated query key (or header).
    pub list: bool,
    /// Absent and required is a `missing` error; absent and optional leaves it to the default.
    pub required: bool,
    /// Constraints on the coerced value (bounds, lengths, pattern, format, enum).
    pub check: Option<Arc<Schema>>,
}

/// A parameter's value after coercion.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// A single value.
    One(Coerced),
    /// Every value of a repeated key, for a list parameter.
    Many(Vec<Coerced>),
    /// Not sent and not required: the handler's default applies.
    Absent,
}

/// What a route reads from a request: its parameters, in the handler's order, and its body.
#[derive(Debug, Default)]
pub struct RequestPlan {
    /// The parameters, in the handler's order.
    pub params: Vec<ParamSpec>,
    /// `None`: the route takes no body (whatever was sent is ignored).
    pub body: Option<BodyPlan>,
}

/// A request's values, extracted and valid.
#[derive(Debug)]
pub struct Extracted {
    /// One value per [`RequestPlan::params`] entry.
    pub params: Vec<ParamValue>,
    /// `None` when the route takes no body or none was sent.
    pub body: Option<JsonBody>,
}

impl RequestPlan {
    /// Every parameter and the body, or the problem to answer with: a 415 or 400 about the
    /// body as it came, else one 422 listing every parameter and body error together.
    #[inline]
    pub fn extract(&self, request: &Request) -> Result<Extracted, Problem> {
        let (params, mut errors) = match extract(&self.params, request) {
            Ok(values) => (values, Vec::new()),
            Err(errors) => (Vec::new(), errors),
        };
        let body = match &self.body {
            Some(plan) => plan.read(request, &mut errors)?,
            None => None,
        };
        if errors.is_empty() {
            Ok(Extracted { params, body })
        } else {
            Err(Problem::validation(errors))
        }
    }
}

/// Reads and coerces every parameter in `specs`, in order, or returns every error found.
pub fn extract(specs: &[ParamSpec], request: &Request) -> Result<Vec<ParamValue>, Vec<FieldError>> {
    let needs = |source| specs.iter().any(|s| s.source == source);
    let query = if needs(Source::Query) {
        request.query()
    } else {
        QueryParams::default()
    };
    let cookies = if needs(Source::Cookie) {
        parse_cookies(&request.headers)
    } else {
        Vec::new()
    };

    let mut values = Vec::with_capacity(specs.len());
    let mut errors = Vec::new();
    for spec in specs {
        let raw: Vec<Cow<'_, str>> = match spec.source {
            Source::Path => request.path_param(&spec.key).map(Cow::from).into_iter().collect(),
            Source::Query if spec.list => query.get_all(&spec.key).map(Cow::from).collect(),
            Source::Query => query.get(&spec.key).map(Cow::from).into_iter().collect(),
            Source::Header => {
                let mut all = request
                    .headers
                    .get_all(spec.key.as_str())
                    .iter()
                    .map(|v| header_text(v.as_bytes()));
                if spec.list {
                    all.collect()
                } else {
                    all.next_back().into_iter().collect()
                }
            }
            Source::Cookie => cookies
                .iter()
                .rev()
                .find(|(k, _)| *k == spec.key)
                .map(|(_, v)| Cow::from(v.as_str()))
                .into_iter()
                .collect(),
            Source::Body => unreachable!("bodies are not parameters"),
        };
        if raw.is_empty() {
            if spec.required {
                errors.push(FieldError::missing(spec.source, &spec.key));
            }
            values.push(ParamValue::Absent);
            continue;
        }
        let before = errors.len();
        let mut coerced = Vec::with_capacity(raw.len());
        for (i, text) in raw.iter().enumerate() {
            match coerce(spec.kind, text) {
                Ok(v) => coerced.push(v),
                Err(err) => {
                    let err = err.into_field_error(spec.source, text).at(spec.key.as_str());
                    errors.push(if spec.list { err.at(i) } else { err });
                }
            }
        }
        let value = if spec.list {
            ParamValue::Many(coerced)
        } else {
            coerced.pop().map_or(ParamValue::Absent, ParamValue::One)
        };
        if let (Some(check), Some(view), true) = (&spec.check, ParamView::of(&value), errors.len() == before) {
            check.validate(view, spec.source, &[spec.key.as_str().into()], &mut errors);
            // As pydantic reports it: the text that was sent, not the value it became.
            for err in &mut errors[before..] {
                let text = |t: &Cow<'_, str>| Value::from(t.as_ref());
                err.input = match err.loc.get(2).and_then(Value::as_u64) {
                    Some(i) if spec.list => raw.get(i as usize).map_or(Value::Null, text),
                    _ if spec.list => Value::Array(raw.iter().map(text).collect()),
                    _ => text(&raw[0]),
                };
            }
        }
        values.push(value);
    }
    if errors.is_empty() { Ok(values) } else { Err(errors) }
}

#[cfg(test)]
mod tests;
