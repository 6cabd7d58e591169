//! Reading a request body into one buffer under a size limit.

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::problem::Problem;

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// The body (or its declared `Content-Length`) is larger than the limit.
    TooLarge { limit: usize },
    /// The connection failed or the client stopped sending mid-body.
    Read(String),
}

impl From<BodyError> for Problem {
    fn from(err: BodyError) -> Self {
        match err {
            BodyError::TooLarge { limit } => Problem::payload_too_large(limit),
            BodyError::Read(detail) => Problem::bad_request(format!("Failed to read the request body: {detail}")),
        }
    }
}

/// Collects `body` into one buffer, failing as soon as it passes `limit` bytes. A declared
/// `Content-Length` over the limit fails before a byte is read.
pub async fn collect_body<B>(body: B, content_length: Option<u64>, limit: usize) -> Result<Bytes, BodyError>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    if content_length.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<LengthLimitError>() => Err(BodyError::TooLarge { limit }),
        Err(err) => Err(BodyError::Read(err.to_string())),
    }
}
