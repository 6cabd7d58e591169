//! A coerced parameter as the schema validator reads it, for the constraints beyond its type.

use serde_json::Value;

use super::{Coerced, ParamValue};
use crate::schema::{Kind, View};

/// A request parameter after coercion: a scalar, or the values of a repeated key.
#[derive(Debug, Clone, Copy)]
pub enum ParamView<'a> {
    /// A single value.
    One(&'a Coerced),
    /// The values of a list parameter.
    Many(&'a [Coerced]),
}

impl<'a> ParamView<'a> {
    /// The view of `value`; `None` when it is absent.
    pub fn of(value: &'a ParamValue) -> Option<Self> {
        match value {
            ParamValue::One(c) => Some(ParamView::One(c)),
            ParamValue::Many(items) => Some(ParamView::Many(items)),
            ParamValue::Absent => None,
        }
    }
}

impl View for ParamView<'_> {
    fn kind(&self) -> Kind<'_> {
        match self {
            ParamView::Many(items) => Kind::Array(items.len()),
            ParamView::One(Coerced::Str(s)) => Kind::Str(s),
            ParamView::One(Coerced::Int(n)) => Kind::Int((*n).into()),
            ParamView::One(Coerced::BigInt(digits)) => Kind::BigInt(digits.parse().unwrap_or(f64::NAN)),
            ParamView::One(Coerced::Float(f)) => Kind::Float(*f),
            ParamView::One(Coerced::Bool(b)) => Kind::Bool(*b),
            // Already checked as a UUID; constraints on its text are not offered.
            ParamView::One(Coerced::Uuid(_)) => Kind::Str(""),
        }
    }

    fn for_each_item(&self, mut f: impl FnMut(usize, Self)) {
        if let ParamView::Many(items) = self {
            items.iter().enumerate().for_each(|(i, c)| f(i, ParamView::One(c)));
        }
    }

    fn for_each_entry(&self, _: impl FnMut(&str, Self)) {}

    fn to_value(&self) -> Value {
        match self {
            ParamView::Many(items) => Value::Array(items.iter().map(coerced_to_value).collect()),
            ParamView::One(c) => coerced_to_value(c),
        }
    }
}

fn coerced_to_value(c: &Coerced) -> Value {
    match c {
        Coerced::Str(s) => Value::from(s.as_str()),
        Coerced::Int(n) => Value::from(*n),
        Coerced::BigInt(digits) => Value::from(digits.as_str()),
        Coerced::Float(f) => Value::from(*f),
        Coerced::Bool(b) => Value::from(*b),
        Coerced::Uuid(u) => Value::from(uuid::Uuid::from_u128(*u).to_string()),
    }
}
