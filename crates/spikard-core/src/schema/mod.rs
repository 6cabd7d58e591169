//! JSON Schema validation in Rust, with pydantic v2's error types and wording.
//!
//! A [`Schema`] is compiled once, at startup, from a JSON Schema (the subset Spikard's Python
//! side generates for dataclasses, TypedDicts, msgspec and pydantic models and parameter
//! constraints, and that schema-first routes write by hand): `type` (one or several),
//! `enum`, `const`, `minimum`/`maximum`/`exclusiveMinimum`/`exclusiveMaximum`/`multipleOf`,
//! `minLength`/`maxLength`/`pattern`/`format`, `items`/`minItems`/`maxItems`,
//! `properties`/`required`/`additionalProperties`, `anyOf`/`oneOf`/`allOf`, and local
//! `$ref`s (`#/$defs/...`, `#/definitions/...`, `#/components/schemas/...`). Keywords it
//! does not know are refused at compile time, so a schema never silently checks less than
//! it says. Annotations (`title`, `description`, `default`, `examples`...) are ignored.
//!
//! [`Schema::validate`] walks a value once (see [`View`]: a simd-json tape, a
//! `serde_json::Value` or a coerced parameter) and reports every error it finds.

mod check;
mod compile;
mod format;
mod view;

pub use compile::SchemaError;
pub use view::{Kind, TapeView, View};

use crate::problem::{FieldError, Source};

/// A compiled schema: rules in an arena (so `$ref`s may point anywhere, even back up).
#[derive(Debug)]
pub struct Schema {
    rules: Vec<compile::Rule>,
}

impl Schema {
    /// Compiles `schema` (a JSON Schema document); the error names the keyword it refuses.
    pub fn compile(schema: &serde_json::Value) -> Result<Schema, SchemaError> {
        compile::compile(schema)
    }

    /// Checks `value`, appending every failure to `errors` with `loc` starting at `loc`.
    pub fn validate(&self, value: impl View, source: Source, loc: &[serde_json::Value], errors: &mut Vec<FieldError>) {
        check::Checker {
            rules: &self.rules,
            source,
            errors,
        }
        .check(0, value, &check::Path::Root(loc));
    }

    /// Whether the root rule asks for nothing: any value passes.
    pub fn accepts_anything(&self) -> bool {
        self.rules[0].is_empty()
    }
}

#[cfg(test)]
mod tests;
