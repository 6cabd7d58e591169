//! The GIL side. Tokio tasks never hold or wait on the GIL: a route's [`PyHandler`] does
//! all extraction and validation in Rust, then queues a [`Job`] to the dispatcher thread,
//! which takes the GIL once and runs every job waiting in the queue before it lets go
//! (request batching). Results return on a oneshot channel.

use crossbeam_channel::{Receiver, Sender};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use http::StatusCode;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use spikard_core::request::is_json_content_type;
use spikard_core::validate::{self, ParamSpec, ParamValue};
use spikard_core::{FieldError, Handler, HandlerFuture, HandlerResult, Problem, Request, Source};
use tokio::sync::oneshot;

use crate::profile::{Phase, Profile};
use crate::to_python::{self, JsonBody};
use crate::{errors, from_python, request::PyRequest};

/// Where a handler argument comes from.
pub enum Slot {
    /// The n-th entry of the route's `ParamSpec`s.
    Param(usize),
    Body,
    Request,
}

/// One keyword argument of the handler.
pub struct Arg {
    pub name: Py<PyString>,
    pub slot: Slot,
    /// Used when the value is absent; `None` for required arguments.
    pub default: Option<Py<PyAny>>,
}

/// The JSON shape a body argument is annotated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Any,
    Object,
    Array,
}

pub struct BodyPlan {
    pub kind: BodyKind,
    pub required: bool,
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
}

/// A route's endpoint: the extraction plan computed at startup, and the queue to Python.
pub struct PyHandler {
    pub target: Arc<Target>,
    pub specs: Vec<ParamSpec>,
    pub body: Option<BodyPlan>,
    pub wants_request: bool,
    pub queue: Sender<Job>,
    /// Phase timings, in profile mode only.
    pub profile: Option<Arc<Profile>>,
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
}

impl Handler for PyHandler {
    fn call(&self, request: Request) -> HandlerFuture {
        let queued = self.prepare(request);
        Box::pin(async move {
            let reply = queued?;
            reply.await.unwrap_or_else(|_| Err(Problem::internal()))
        })
    }
}

impl PyHandler {
    /// Extracts and validates in Rust, then queues the job. Every parameter and body error
    /// is reported together in one 422.
    fn prepare(&self, request: Request) -> Result<oneshot::Receiver<HandlerResult>, Problem> {
        let started = self.profile.is_some().then(Instant::now);
        let mut errors = Vec::new();
        let values = validate::extract(&self.specs, &request).unwrap_or_else(|e| {
            errors = e;
            Vec::new()
        });
        let body = match &self.body {
            Some(plan) => read_body(plan, &request, &mut errors)?,
            None => None,
        };
        if !errors.is_empty() {
            return Err(Problem::validation(errors));
        }
        let (reply, receiver) = oneshot::channel();
        let request = self.wants_request.then_some(request);
        let queued = started.map(|started| {
            let now = Instant::now();
            if let Some(profile) = &self.profile {
                profile.record(Phase::Extract, now - started);
            }
            now
        });
        let job = Job {
            target: Arc::clone(&self.target),
            values,
            body,
            request,
            reply,
            queued,
        };
        self.queue.send(job).map_err(|_| {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service-unavailable",
                "Service Unavailable",
            )
            .with_detail("The server is shutting down")
        })?;
        Ok(receiver)
    }
}

/// Parses the JSON body: 415 for a non-JSON content type, 400 for malformed JSON, field
/// errors (missing, wrong shape) added to `errors`.
fn read_body(plan: &BodyPlan, request: &Request, errors: &mut Vec<FieldError>) -> Result<Option<JsonBody>, Problem> {
    if request.body.is_empty() {
        if plan.required {
            errors.push(FieldError::new(
                "missing",
                Source::Body,
                "Field required",
                serde_json::Value::Null,
            ));
        }
        return Ok(None);
    }
    if let Some(ct) = request.content_type()
        && !is_json_content_type(ct)
    {
        return Err(Problem::unsupported_media_type(ct, "application/json"));
    }
    let doc = JsonBody::parse(&request.body)?;
    let shape_error = match (plan.kind, doc.opens_with()) {
        (BodyKind::Object, Some(b'{')) | (BodyKind::Array, Some(b'[')) | (BodyKind::Any, _) => None,
        (BodyKind::Object, _) => Some(("dict_type", "Input should be a valid dictionary")),
        (BodyKind::Array, _) => Some(("list_type", "Input should be a valid list")),
    };
    if let Some((kind, msg)) = shape_error {
        errors.push(FieldError::new(kind, Source::Body, msg, doc.to_value()));
        return Ok(None);
    }
    Ok(Some(doc))
}

/// Starts the dispatcher thread. It ends when every sender (every route handler) is gone.
pub fn spawn_dispatcher(queue: Receiver<Job>, profile: Option<Arc<Profile>>) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("spikard-dispatch".into())
        .spawn(move || {
            let profile = profile.as_deref();
            Python::attach(|py| {
                // Wait for work with the GIL released; note when it arrived (profile mode).
                while let Ok((job, arrived)) =
                    py.detach(|| queue.recv().map(|job| (job, profile.map(|_| Instant::now()))))
                {
                    if let (Some(profile), Some(arrived)) = (profile, arrived) {
                        profile.record(Phase::GilWait, arrived.elapsed());
                    }
                    run(py, job, arrived, profile);
                    // Batching: everything already queued runs before the GIL is released.
                    let mut batch = 1;
                    while let Ok(job) = queue.try_recv() {
                        run(py, job, profile.map(|_| Instant::now()), profile);
                        batch += 1;
                    }
                    if let Some(profile) = profile {
                        profile.record_batch(batch);
                    }
                }
            })
        })
}

fn run(py: Python<'_>, job: Job, taken: Option<Instant>, profile: Option<&Profile>) {
    let Job {
        target,
        values,
        body,
        request,
        reply,
        queued,
    } = job;
    if let (Some(profile), Some(queued), Some(taken)) = (profile, queued, taken) {
        profile.record(Phase::QueueWait, taken.saturating_duration_since(queued));
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        invoke(py, &target, &values, body.as_ref(), request, profile)
            .map_err(|err| errors::to_problem(py, err, &target.label, target.debug))
    }))
    .unwrap_or_else(|_| {
        log::error!("panic while running the handler for {}", target.label);
        Err(Problem::internal())
    });
    // The client may have gone; then nobody is waiting for the answer.
    let _ = reply.send(outcome);
}

fn invoke(
    py: Python<'_>,
    target: &Target,
    values: &[ParamValue],
    body: Option<&JsonBody>,
    request: Option<Request>,
    profile: Option<&Profile>,
) -> PyResult<spikard_core::Response> {
    let mut clock = profile.map(|p| (p, Instant::now()));
    let mut lap = |phase: Phase| {
        if let Some((profile, since)) = &mut clock {
            let now = Instant::now();
            profile.record(phase, now - *since);
            *since = now;
        }
    };
    let kwargs = PyDict::new(py);
    let mut request = request;
    for arg in &target.args {
        let value = match arg.slot {
            Slot::Param(i) => to_python::param(py, &values[i])?,
            Slot::Body => body.map(|doc| doc.to_python(py)).transpose()?,
            Slot::Request => match request.take() {
                Some(req) => Some(Bound::new(py, PyRequest::new(req))?.into_any()),
                None => None,
            },
        };
        match (value, &arg.default) {
            (Some(value), _) => kwargs.set_item(arg.name.bind(py), value)?,
            (None, Some(default)) => kwargs.set_item(arg.name.bind(py), default.bind(py))?,
            (None, None) => kwargs.set_item(arg.name.bind(py), py.None())?,
        }
    }
    lap(Phase::Convert);
    let returned = target.handler.bind(py).call((), Some(&kwargs))?;
    lap(Phase::Handler);
    let response = from_python::to_response(py, &returned, target.status, &target.size_hint);
    lap(Phase::Serialize);
    response
}
