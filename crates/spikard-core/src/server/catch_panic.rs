//! A panic in a handler, while its future is built or polled, becomes a logged 500.

use std::future::poll_fn;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::task::Poll;

use crate::handler::{Handler, HandlerResult};
use crate::problem::Problem;
use crate::request::Request;

/// Runs `handler` on `request`; a panic while building or polling its future becomes a
/// logged 500 problem instead of a dropped connection.
pub async fn catch_panic(handler: &Arc<dyn Handler>, request: Request) -> HandlerResult {
    let mut future = match catch_unwind(AssertUnwindSafe(|| handler.call(request))) {
        Ok(future) => future,
        Err(panic) => return Err(panicked(panic)),
    };
    poll_fn(|cx| match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
        Ok(poll) => poll,
        Err(panic) => Poll::Ready(Err(panicked(panic))),
    })
    .await
}

fn panicked(panic: Box<dyn std::any::Any + Send>) -> Problem {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    log::error!("handler panicked: {message}");
    Problem::internal()
}
