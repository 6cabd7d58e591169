//! Turning one parameter's text into its declared type, with pydantic v2's error wording.

use crate::problem::{FieldError, Source};

/// The scalar types a parameter can be declared as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// Text, as it came.
    Str,
    /// An integer, of any size.
    Int,
    /// A float (decimal or exponent notation; `inf` and `nan` too, as pydantic reads them).
    Float,
    /// A boolean, in pydantic's spellings (`true`, `1`, `yes`, `on`...).
    Bool,
    /// A UUID: hyphenated, simple, braced or URN form.
    Uuid,
}

/// A coerced value.
#[derive(Debug, Clone, PartialEq)]
pub enum Coerced {
    /// Text.
    Str(String),
    /// An integer within `i64`.
    Int(i64),
    /// An integer outside `i64`, as its canonical decimal digits (sign included).
    BigInt(String),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A UUID, as its 128 bits.
    Uuid(u128),
}

/// Why a value did not coerce: pydantic's error type, message and optional context.
#[derive(Debug, Clone, PartialEq)]
pub struct CoerceError {
    /// pydantic's error type, e.g. `int_parsing`.
    pub kind: &'static str,
    /// pydantic's message.
    pub msg: String,
    /// The `error` of the error's `ctx`, when pydantic gives one.
    pub ctx_error: Option<String>,
}

impl CoerceError {
    fn new(kind: &'static str, msg: &str) -> Self {
        CoerceError {
            kind,
            msg: msg.to_owned(),
            ctx_error: None,
        }
    }

    /// An integer of more than [`MAX_INT_DIGITS`] digits (pydantic's `int_parsing_size`).
    pub fn int_too_long() -> Self {
        CoerceError::new(
            "int_parsing_size",
            "Unable to parse input string as an integer, exceeded maximum size",
        )
    }

    /// The error as a [`FieldError`] about `input`, found in `source`.
    pub fn into_field_error(self, source: Source, input: &str) -> FieldError {
        let err = FieldError::new(self.kind, source, self.msg, input.into());
        match self.ctx_error {
            Some(e) => err.with_ctx("error", e),
            None => err,
        }
    }
}

/// The most digits an integer may have: Python's own limit on converting text to `int`
/// (`sys.get_int_max_str_digits()`, 4300 by default), which pydantic reports as
/// `int_parsing_size`. Leading zeros do not count.
pub const MAX_INT_DIGITS: usize = 4300;

/// `text` coerced to `kind`, or pydantic's error for it.
pub fn coerce(kind: ParamKind, text: &str) -> Result<Coerced, CoerceError> {
    match kind {
        ParamKind::Str => Ok(Coerced::Str(text.to_owned())),
        ParamKind::Int => parse_int(text),
        ParamKind::Float => parse_float(text),
        ParamKind::Bool => parse_bool(text),
        ParamKind::Uuid => parse_uuid(text),
    }
}

fn parse_int(text: &str) -> Result<Coerced, CoerceError> {
    let err = || {
        CoerceError::new(
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
        )
    };
    // `1.0` and `1.000` are integers too, as pydantic reads them.
    let t = text.trim();
    let t = match t.split_once('.') {
        Some((whole, zeros)) if !zeros.is_empty() && zeros.bytes().all(|b| b == b'0') => whole,
        _ => t,
    };
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    match t.parse::<i64>() {
        Ok(n) => Ok(Coerced::Int(n)),
        Err(_) => {
            let digits = digits.trim_start_matches('0');
            if digits.len() > MAX_INT_DIGITS {
                return Err(CoerceError::int_too_long());
            }
            Ok(Coerced::BigInt(if negative {
                format!("-{digits}")
            } else {
                digits.to_owned()
            }))
        }
    }
}

fn parse_float(text: &str) -> Result<Coerced, CoerceError> {
    text.trim().parse::<f64>().map(Coerced::Float).map_err(|_| {
        CoerceError::new(
            "float_parsing",
            "Input should be a valid number, unable to parse string as a number",
        )
    })
}

fn parse_bool(text: &str) -> Result<Coerced, CoerceError> {
    const TRUE: [&str; 6] = ["true", "1", "yes", "on", "t", "y"];
    const FALSE: [&str; 6] = ["false", "0", "no", "off", "f", "n"];
    let t = text.trim();
    if TRUE.iter().any(|w| w.eq_ignore_ascii_case(t)) {
        Ok(Coerced::Bool(true))
    } else if FALSE.iter().any(|w| w.eq_ignore_ascii_case(t)) {
        Ok(Coerced::Bool(false))
    } else {
        Err(CoerceError::new(
            "bool_parsing",
            "Input should be a valid boolean, unable to interpret input",
        ))
    }
}

fn parse_uuid(text: &str) -> Result<Coerced, CoerceError> {
    uuid::Uuid::try_parse(text.trim())
        .map(|u| Coerced::Uuid(u.as_u128()))
        .map_err(|e| CoerceError {
            kind: "uuid_parsing",
            msg: format!("Input should be a valid UUID, {e}"),
            ctx_error: Some(e.to_string()),
        })
}
