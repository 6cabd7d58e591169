//! What the validator reads: one JSON value, whether it lives on a simd-json tape, in a
//! `serde_json::Value`, or is a coerced request parameter.

use serde_json::Value;
use simd_json::StaticNode;
use simd_json::tape::Node;

/// A value's type and, for scalars, its content.
#[derive(Debug, Clone, Copy)]
pub enum Kind<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer within 64 bits (signed or not).
    Int(i128),
    /// An integer outside 64 bits (the validator compares it as a float).
    BigInt(f64),
    /// A number with a fraction or an exponent.
    Float(f64),
    /// A string.
    Str(&'a str),
    /// An array of this many items.
    Array(usize),
    /// An object of this many entries.
    Object(usize),
}

/// One JSON value to validate.
pub trait View: Sized + Copy {
    /// The value's type and, for scalars, its content.
    fn kind(&self) -> Kind<'_>;
    /// Calls `f` with each item of an array.
    fn for_each_item(&self, f: impl FnMut(usize, Self));
    /// Calls `f` with each entry of an object.
    fn for_each_entry(&self, f: impl FnMut(&str, Self));
    /// The value as JSON, for an error's `input`.
    fn to_value(&self) -> Value;
}

/// A value on a simd-json tape: the slice starts at its node.
#[derive(Debug, Clone, Copy)]
pub struct TapeView<'t, 'd>(pub &'t [Node<'d>]);

/// How many tape nodes the value at `nodes[0]` spans.
fn span(nodes: &[Node<'_>]) -> usize {
    match nodes[0] {
        Node::Array { count, .. } | Node::Object { count, .. } => count + 1,
        _ => 1,
    }
}

impl<'t, 'd> View for TapeView<'t, 'd> {
    fn kind(&self) -> Kind<'_> {
        match self.0[0] {
            Node::String(s) => Kind::Str(s),
            Node::Static(StaticNode::Null) => Kind::Null,
            Node::Static(StaticNode::Bool(b)) => Kind::Bool(b),
            Node::Static(StaticNode::I64(n)) => Kind::Int(n.into()),
            Node::Static(StaticNode::U64(n)) => Kind::Int(n.into()),
            Node::Static(StaticNode::F64(f)) => Kind::Float(f),
            Node::Array { len, .. } => Kind::Array(len),
            Node::Object { len, .. } => Kind::Object(len),
        }
    }

    fn for_each_item(&self, mut f: impl FnMut(usize, Self)) {
        if let Node::Array { len, .. } = self.0[0] {
            let mut at = 1;
            for i in 0..len {
                let item = &self.0[at..];
                at += span(item);
                f(i, TapeView(item));
            }
        }
    }

    fn for_each_entry(&self, mut f: impl FnMut(&str, Self)) {
        if let Node::Object { len, .. } = self.0[0] {
            let mut at = 1;
            for _ in 0..len {
                let Node::String(key) = self.0[at] else {
                    unreachable!("simd-json object keys are strings")
                };
                let value = &self.0[at + 1..];
                at += 1 + span(value);
                f(key, TapeView(value));
            }
        }
    }

    fn to_value(&self) -> Value {
        crate::json::node_to_value(self.0).0
    }
}

impl View for &Value {
    fn kind(&self) -> Kind<'_> {
        match self {
            Value::Null => Kind::Null,
            Value::Bool(b) => Kind::Bool(*b),
            Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => Kind::Int(i.into()),
                (_, Some(u), _) => Kind::Int(u.into()),
                // Documents with integers past 64 bits come here (see `JsonError`).
                (_, _, Some(f)) if f.fract() == 0.0 && f.abs() >= 9.2e18 => Kind::BigInt(f),
                (_, _, Some(f)) => Kind::Float(f),
                _ => Kind::Null,
            },
            Value::String(s) => Kind::Str(s),
            Value::Array(items) => Kind::Array(items.len()),
            Value::Object(map) => Kind::Object(map.len()),
        }
    }

    fn for_each_item(&self, mut f: impl FnMut(usize, Self)) {
        if let Value::Array(items) = self {
            items.iter().enumerate().for_each(|(i, v)| f(i, v));
        }
    }

    fn for_each_entry(&self, mut f: impl FnMut(&str, Self)) {
        if let Value::Object(map) = self {
            map.iter().for_each(|(k, v)| f(k, v));
        }
    }

    fn to_value(&self) -> Value {
        (*self).clone()
    }
}
