//! Reading a request body into one buffer under a size limit and an idle timeout, and
//! discarding what is left of one refused early.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body::Frame;
use http_body_util::BodyExt;

use crate::problem::Problem;

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// The body (or its declared `Content-Length`) is larger than `limit` bytes.
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// No byte of the body arrived for `idle`.
    TimedOut {
        /// How long the server waited.
        idle: Duration,
    },
    /// The connection failed or the client stopped sending mid-body.
    Read(String),
}

impl From<BodyError> for Problem {
    fn from(err: BodyError) -> Self {
        match err {
            BodyError::TooLarge { limit } => Problem::payload_too_large(limit),
            BodyError::TimedOut { idle } => Problem::request_timeout(idle),
            BodyError::Read(detail) => Problem::bad_request(format!("Failed to read the request body: {detail}")),
        }
    }
}

/// Collects `body` into one buffer, failing as soon as it passes `limit` bytes, or when no
/// byte arrives for `idle`. A declared `Content-Length` over the limit fails before a byte
/// is read. On failure the rest of the body is left unread in `body`.
pub async fn collect_body<B>(
    body: &mut B,
    content_length: Option<u64>,
    limit: usize,
    idle: Duration,
) -> Result<Bytes, BodyError>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    if content_length.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    // The usual body is one frame: kept as it came, with no copy.
    let mut first: Option<Bytes> = None;
    let mut joined = BytesMut::new();
    while let Some(frame) = next_frame(body, idle).await? {
        let Ok(data) = frame.map_err(|e| BodyError::Read(e.to_string()))?.into_data() else {
            continue; // trailers
        };
        let held = first.as_ref().map_or(0, Bytes::len) + joined.len();
        if held + data.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        match first.take() {
            None if joined.is_empty() => first = Some(data),
            None => joined.extend_from_slice(&data),
            Some(earlier) => {
                joined.reserve(earlier.len() + data.len());
                joined.extend_from_slice(&earlier);
                joined.extend_from_slice(&data);
            }
        }
    }
    Ok(first.unwrap_or_else(|| joined.freeze()))
}

type Next<B> = Option<Result<Frame<Bytes>, <B as http_body::Body>::Error>>;

/// The body's next frame, or a timeout after `idle` without one. A frame already buffered
/// costs no timer.
async fn next_frame<B>(body: &mut B, idle: Duration) -> Result<Next<B>, BodyError>
where
    B: http_body::Body<Data = Bytes> + Unpin,
{
    let mut frame = body.frame();
    let ready = poll_fn(|cx| Poll::Ready(Pin::new(&mut frame).poll(cx))).await;
    match ready {
        Poll::Ready(next) => Ok(next),
        Poll::Pending => tokio::time::timeout(idle, frame)
            .await
            .map_err(|_| BodyError::TimedOut { idle }),
    }
}

/// How long, and how much, a refused body is read and thrown away.
const LINGER_TIME: Duration = Duration::from_secs(5);
const LINGER_BYTES: usize = 64 * 1024 * 1024;

/// Reads and discards what is left of a body refused before it was read (413), for at most
/// a few seconds and tens of MiB, as nginx's lingering close does: a client that sends its
/// whole body before reading (Python's `http.client`, `requests`) then reads the answer
/// instead of a broken pipe. Runs beside the response on its own task.
pub fn linger<B>(mut body: B)
where
    B: http_body::Body<Data = Bytes> + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let discard = async {
            let mut seen = 0usize;
            while seen < LINGER_BYTES {
                match body.frame().await {
                    Some(Ok(frame)) => seen += frame.data_ref().map_or(0, Bytes::len),
                    _ => break,
                }
            }
        };
        let _ = tokio::time::timeout(LINGER_TIME, discard).await;
    });
}
