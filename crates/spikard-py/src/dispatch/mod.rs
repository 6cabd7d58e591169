//! The GIL side. Tokio tasks never hold or wait on the GIL: a route's [`PyHandler`] does
//! all extraction and validation in Rust, then queues a [`Job`] to the dispatcher thread.
//! That thread owns the server's asyncio event loop; whenever the loop wakes for the queue
//! it runs every job waiting in it before it lets go (request batching). `def` handlers run
//! there directly; `async def` handlers are stepped once at once, and only a coroutine that
//! suspends becomes a task on the loop. Results return on a oneshot channel.

mod call;
mod queue;
mod runner;
mod watchdog;

pub use call::Running;
pub use queue::{Queue, Wake, Work};
pub use runner::spawn_dispatcher;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use http::StatusCode;
use pyo3::prelude::*;
use pyo3::types::PyString;
use spikard_core::validate::{Extracted, JsonBody, ParamValue, RequestPlan};
use spikard_core::{Handler, HandlerFuture, HandlerResult, Problem, Request};
use tokio::sync::oneshot;

use crate::plan::ResponseModel;
use crate::profile::{Phase, Profile, timed};
use crate::shape::Shape;
use crate::{errors, from_python};

/// Where a handler argument comes from.
pub enum Slot {
    /// The n-th entry of the route's `ParamSpec`s.
    Param(usize),
    Body,
    Request,
    /// A fresh `spikard.BackgroundTasks`, run after the response.
    Background,
}

/// One keyword argument of the handler.
pub struct Arg {
    pub name: Py<PyString>,
    pub slot: Slot,
    /// Used when the value is absent; `None` for required arguments.
    pub default: Option<Py<PyAny>>,
    /// How to build the annotated value from the validated one; `None`: as it is.
    pub shape: Option<Shape>,
}

/// Everything the GIL side needs to call one route's handler.
pub struct Target {
    pub label: String,
    pub handler: Py<PyAny>,
    pub args: Vec<Arg>,
    pub status: StatusCode,
    pub debug: bool,
    /// The size of this route's last JSON response, to size the next one's buffer.
    pub size_hint: from_python::SizeHint,
    /// An `async def` handler: its call returns a coroutine to drive.
    pub is_async: bool,
    /// The `Spikard` app, for `request.app`.
    pub app: Option<Py<PyAny>>,
    /// What the return value goes through before it is encoded (`response_model`).
    pub response_model: Option<ResponseModel>,
    /// A `blocking=True` handler: it takes a place in the blocking pool. A plain `def`
    /// runs there, not on the dispatcher; an `async def` (a handler with dependencies,
    /// solved on the loop) sends its blocking part there itself.
    pub blocking: bool,
}

impl Target {
    /// The problem an exception raised by this route's handler (or its response) answers with.
    fn problem(&self, py: Python<'_>, err: PyErr) -> Problem {
        errors::to_problem(py, err, &self.label, self.debug)
    }
}

/// Admission to the blocking pool: at most `limit` blocking requests running or waiting
/// for a thread; past that, requests are refused with 503 and `Retry-After`.
#[derive(Debug)]
pub struct Pool {
    limit: usize,
    taken: Arc<AtomicUsize>,
}

/// A place in the blocking pool, returned on drop.
#[derive(Debug)]
pub struct Permit(Arc<AtomicUsize>);

impl Pool {
    pub fn new(limit: usize) -> Pool {
        Pool {
            limit,
            taken: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn acquire(&self) -> Result<Permit, Problem> {
        let admitted = self
            .taken
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.limit).then_some(n + 1)
            })
            .is_ok();
        if admitted {
            Ok(Permit(Arc::clone(&self.taken)))
        } else {
            Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service-unavailable",
                "Service Unavailable",
            )
            .with_detail(format!(
                "All {} places for blocking work are taken; retry shortly",
                self.limit
            ))
            .with_header("retry-after", "1"))
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A route's endpoint: the extraction plan computed at startup, and the queue to Python.
pub struct PyHandler {
    pub target: Arc<Target>,
    /// The parameters and body the core reads and checks.
    pub plan: RequestPlan,
    /// The body is validated in Python too, after the Rust checks (a [`Shape::Validate`]).
    pub validates_body: bool,
    pub wants_request: bool,
    pub queue: Queue,
    /// Phase timings, in profile mode only.
    pub profile: Option<Arc<Profile>>,
    /// Admission to the blocking pool (shared by all routes of the server).
    pub pool: Arc<Pool>,
}

/// A request whose arguments are extracted and valid, waiting for the GIL.
pub struct Job {
    target: Arc<Target>,
    values: Vec<ParamValue>,
    body: Option<JsonBody>,
    request: Option<Request>,
    reply: oneshot::Sender<HandlerResult>,
    /// When the job was queued, in profile mode.
    queued: Option<Instant>,
    /// For `async def` and blocking handlers: the key a disconnecting client cancels by.
    cancel_key: Option<u64>,
    /// For blocking handlers: the place taken in the pool.
    permit: Option<Permit>,
    /// A 422 for the parameters alone, whose body passed the Rust checks: the job only
    /// validates the body in Python, to answer its errors with the parameters' in one 422.
    refused: Option<Problem>,
}

impl Handler for PyHandler {
    fn call(&self, request: Request) -> HandlerFuture {
        let queued = self.prepare(request);
        let queue = self.queue.clone();
        Box::pin(async move {
            let (reply, cancel_key) = queued?;
            // If this future is dropped before the answer (the client went away), the
            // guard asks the loop to cancel the handler's task.
            let guard = cancel_key.map(|key| queue::CancelOnDrop::new(queue, key));
            let result = reply.await.unwrap_or_else(|_| Err(Problem::internal()));
            if let Some(guard) = guard {
                guard.disarm();
            }
            result
        })
    }
}

impl PyHandler {
    /// Extracts and validates in Rust, then queues the job. Every parameter and body error
    /// is reported together in one 422.
    fn prepare(&self, request: Request) -> Result<(oneshot::Receiver<HandlerResult>, Option<u64>), Problem> {
        let extracted = timed(self.profile.as_deref(), Phase::Extract, || self.plan.extract(&request));
        let (values, body, refused) = match extracted {
            Ok(Extracted { params, body }) => (params, body, None),
            Err(problem) => {
                let (body, problem) = self.body_to_validate(&request, problem)?;
                (Vec::new(), Some(body), Some(problem))
            }
        };
        let (reply, receiver) = oneshot::channel();
        let request = (self.wants_request && refused.is_none()).then_some(request);
        let queued = self.profile.is_some().then(Instant::now);
        let permit = if self.target.blocking && refused.is_none() {
            Some(self.pool.acquire()?)
        } else {
            None
        };
        let cancel_key = (self.target.is_async || self.target.blocking)
            .then(queue::next_cancel_key)
            .filter(|_| refused.is_none());
        let job = Job {
            target: Arc::clone(&self.target),
            values,
            body,
            request,
            reply,
            queued,
            cancel_key,
            permit,
            refused,
        };
        self.queue.send(Work::Call(Box::new(job))).map_err(|_| {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service-unavailable",
                "Service Unavailable",
            )
            .with_detail("The server is shutting down")
        })?;
        Ok((receiver, cancel_key))
    }

    /// For a 422 that names only parameters, on a route whose body Python validates further:
    /// the body (read again; this is the rare path), so that its errors from Python join the
    /// parameters' in one 422 as FastAPI reports them. Otherwise the problem as it is.
    fn body_to_validate(&self, request: &Request, problem: Problem) -> Result<(JsonBody, Problem), Problem> {
        let body_loc = serde_json::Value::from(spikard_core::Source::Body.as_str());
        let only_params = problem.status() == StatusCode::UNPROCESSABLE_ENTITY
            && problem.errors().iter().all(|e| e.loc.first() != Some(&body_loc));
        let Some(plan) = self.plan.body.as_ref().filter(|_| self.validates_body && only_params) else {
            return Err(problem);
        };
        let mut errors = Vec::new();
        match plan.read(request, &mut errors) {
            Ok(Some(body)) if errors.is_empty() => Ok((body, problem)),
            _ => Err(problem),
        }
    }
}
