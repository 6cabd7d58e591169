//! A route's JSON body: whether it must be sent and what it must be, read beside the
//! parameters on the I/O thread (media type, parse, big-integer fallback, schema check), so
//! that every binding receives a body that is already valid.

use bytes::Bytes;

use super::{CoerceError, big};
use crate::json::{JsonDocument, JsonError};
use crate::problem::{FieldError, Problem, Source};
use crate::request::{Request, is_json_content_type};
use crate::schema::{Schema, TapeView};

/// How a route reads its body, computed once at startup.
#[derive(Debug, Default)]
pub struct BodyPlan {
    /// What the JSON must be; `None` accepts any JSON.
    pub schema: Option<Schema>,
    /// An empty body is a `missing` error; otherwise it leaves the handler's default.
    pub required: bool,
}

/// A parsed JSON body, ready for a handler.
#[derive(Debug)]
pub enum JsonBody {
    /// The simd-json tape: the normal case.
    Tape(JsonDocument),
    /// A valid document holding an integer past 64 bits, which the tape cannot carry: the
    /// text, for the binding to decode its own way (Python's `json`, for exact ints).
    BigIntegers(Bytes),
}

impl JsonBody {
    /// Parses `body`; malformed JSON is the error (`Problem::from` makes it the 400).
    #[inline]
    pub fn parse(body: &Bytes) -> Result<JsonBody, JsonError> {
        Self::parse_with(body, || body.clone())
    }

    /// Like [`JsonBody::parse`], copying `data` only if the rare big-integer path needs it.
    pub fn parse_slice(data: &[u8]) -> Result<JsonBody, JsonError> {
        Self::parse_with(data, || Bytes::copy_from_slice(data))
    }

    #[inline]
    fn parse_with(data: &[u8], text: impl FnOnce() -> Bytes) -> Result<JsonBody, JsonError> {
        match JsonDocument::parse(data) {
            Ok(doc) => Ok(JsonBody::Tape(doc)),
            Err(err) if err.big_integer => Ok(JsonBody::BigIntegers(text())),
            Err(err) => Err(err),
        }
    }
}

impl BodyPlan {
    /// Reads the request's body: 415 for a non-JSON content type and 400 for malformed JSON
    /// are the problem to answer with; field errors (missing, not what the schema says, an
    /// integer past Python's limit) are added to `errors`, to be reported with the
    /// parameters'. `None`: no body was sent, or it is not valid.
    #[inline]
    pub fn read(&self, request: &Request, errors: &mut Vec<FieldError>) -> Result<Option<JsonBody>, Problem> {
        if request.body.is_empty() {
            if self.required {
                errors.push(FieldError::absent(Source::Body));
            }
            return Ok(None);
        }
        // Nearly every JSON request says exactly `application/json`: no parsing for it.
        if let Some(ct) = request.headers.get(http::header::CONTENT_TYPE)
            && ct.as_bytes() != b"application/json"
            && let Ok(ct) = ct.to_str()
            && !is_json_content_type(ct)
        {
            return Err(Problem::unsupported_media_type(ct, "application/json"));
        }
        let body = JsonBody::parse(&request.body)?;
        let before = errors.len();
        match &body {
            JsonBody::Tape(tape) => {
                if let Some(schema) = &self.schema {
                    schema.validate(TapeView(tape.nodes()), Source::Body, &[], errors);
                }
            }
            // Integers past Python's digit limit are refused even where nothing else is checked.
            JsonBody::BigIntegers(text) => match big::for_validation(text) {
                Err(digits) => {
                    let input = String::from_utf8_lossy(digits);
                    errors.push(CoerceError::int_too_long().into_field_error(Source::Body, &input));
                }
                Ok(text) => {
                    if let Some(schema) = &self.schema {
                        let value: serde_json::Value =
                            serde_json::from_slice(&text).map_err(|e| Problem::bad_request(e.to_string()))?;
                        schema.validate(&value, Source::Body, &[], errors);
                    }
                }
            },
        }
        Ok((errors.len() == before).then_some(body))
    }
}
