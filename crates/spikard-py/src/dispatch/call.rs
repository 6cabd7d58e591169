//! Running one job on the dispatcher thread: build the arguments, call the handler, and
//! answer — at once for `def` handlers and for coroutines that finish without suspending,
//! or when the task of a suspended coroutine completes.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use spikard_core::validate::ParamValue;
use spikard_core::{HandlerResult, Problem, Request};
use tokio::sync::oneshot;

use super::runner::Drain;
use super::{Job, Permit, Slot, Target};
use crate::profile::{Phase, Profile};
use crate::to_python::{self, JsonBody};
use crate::{errors, from_python, request::PyRequest};

static RESUME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// The name of after-response tasks (background tasks, dependency cleanup).
const AFTER_RESPONSE: &str = "spikard-after-response";
static BACKGROUND: PyOnceLock<Py<pyo3::types::PyType>> = PyOnceLock::new();
static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

pub fn run(py: Python<'_>, drain: &Bound<'_, Drain>, job: Job) {
    let Job {
        target,
        values,
        body,
        request,
        reply,
        queued,
        cancel_key,
        permit,
    } = job;
    let profile = drain.get().profile.as_deref();
    if let (Some(profile), Some(queued)) = (profile, queued) {
        profile.record(Phase::QueueWait, queued.elapsed());
    }
    let (mut reply, mut permit) = (Some(reply), permit);
    let mut background = None;
    let answer = catch_unwind(AssertUnwindSafe(|| {
        let kwargs = arguments(py, &target, &values, body.as_ref(), request, profile);
        background = kwargs
            .as_ref()
            .ok()
            .and_then(|kwargs| background_of(py, &target, kwargs));
        // For handlers that finish later: answers when their task or future completes.
        let mut responder = || Responder {
            reply: Mutex::new(reply.take()),
            target: Arc::clone(&target),
            drain: drain.clone().unbind(),
            cancel_key,
            suspended: profile.map(|_| Instant::now()),
            permit: Mutex::new(permit.take()),
            background: Mutex::new(background.take()),
        };
        let later = |watched: PyResult<()>| {
            watched
                .err()
                .map(|err| Err(errors::to_problem(py, err, &target.label, target.debug)))
        };
        if target.blocking && !target.is_async {
            // Runs on the blocking pool while the loop serves other requests.
            let submitted = kwargs.and_then(|kwargs| submit_blocking(py, &target, kwargs));
            return later(submitted.and_then(|future| watch(py, drain, future, responder(), cancel_key)));
        }
        let returned = match kwargs.and_then(|kwargs| call(py, &target, &kwargs, profile)) {
            Ok(value) if target.is_async => match step(py, &value) {
                Step::Done(result) => Ok(result),
                Step::Raised(err) => Err(err),
                Step::Suspended(yielded) => {
                    let task = resume(py, value, yielded);
                    return later(task.and_then(|task| watch(py, drain, task, responder(), cancel_key)));
                }
            },
            other => other,
        };
        Some(match returned {
            Ok(value) => respond(py, &target, &value, profile),
            Err(err) => Err(errors::to_problem(py, err, &target.label, target.debug)),
        })
    }))
    .unwrap_or_else(|_| {
        log::error!("panic while running the handler for {}", target.label);
        Some(Err(Problem::internal()))
    });
    // The client may have gone; then nobody is waiting for the answer.
    if let (Some(answer), Some(reply)) = (answer, reply) {
        let answered = answer.is_ok();
        let _ = reply.send(answer);
        after_response(py, background, answered);
    }
}

/// The request's `BackgroundTasks`, if the handler declared one.
fn background_of(py: Python<'_>, target: &Target, kwargs: &Bound<'_, PyDict>) -> Option<Py<PyAny>> {
    let arg = target.args.iter().find(|a| matches!(a.slot, Slot::Background))?;
    kwargs.get_item(arg.name.bind(py)).ok().flatten().map(Bound::unbind)
}

/// Once the request is over: run its background tasks (if the handler `answered` with a
/// response) and close its dependencies' exit stack, on the loop.
fn after_response(py: Python<'_>, background: Option<Py<PyAny>>, answered: bool) {
    let Some(background) = background else { return };
    let scheduled = (|| -> PyResult<()> {
        let tasks = background.bind(py);
        let work = tasks.call_method1(pyo3::intern!(py, "_after_response"), (answered,))?;
        if !work.is_none() {
            // Named, so that shutdown lets it finish (`spikard._loop.AFTER_RESPONSE`).
            let kwargs = PyDict::new(py);
            kwargs.set_item(pyo3::intern!(py, "name"), AFTER_RESPONSE)?;
            running_loop(py)?.call_method(pyo3::intern!(py, "create_task"), (work,), Some(&kwargs))?;
        }
        Ok(())
    })();
    if let Err(err) = scheduled {
        log::error!("could not schedule background tasks: {err}");
    }
}

/// The handler's keyword arguments as Python objects (timed as `convert`).
fn arguments<'py>(
    py: Python<'py>,
    target: &Target,
    values: &[ParamValue],
    body: Option<&JsonBody>,
    request: Option<Request>,
    profile: Option<&Profile>,
) -> PyResult<Bound<'py, PyDict>> {
    let started = profile.map(|_| Instant::now());
    let kwargs = PyDict::new(py);
    let mut request = request;
    for arg in &target.args {
        let value = match arg.slot {
            Slot::Param(i) => match (to_python::param(py, &values[i])?, &arg.shape) {
                (Some(v), Some(shape)) => Some(shape.apply(v)?),
                (v, _) => v,
            },
            // Shaped while it is built, in one walk over the tape.
            Slot::Body => body
                .map(|doc| doc.to_python_shaped(py, arg.shape.as_ref()))
                .transpose()?,
            Slot::Background => Some(
                BACKGROUND
                    .import(py, "spikard.background", "BackgroundTasks")?
                    .call0()?,
            ),
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
    if let (Some(p), Some(started)) = (profile, started) {
        p.record(Phase::Convert, started.elapsed());
    }
    Ok(kwargs)
}

/// Calls the handler on this thread (timed as `handler`).
fn call<'py>(
    py: Python<'py>,
    target: &Target,
    kwargs: &Bound<'py, PyDict>,
    profile: Option<&Profile>,
) -> PyResult<Bound<'py, PyAny>> {
    let started = profile.map(|_| Instant::now());
    let returned = target.handler.bind(py).call((), Some(kwargs));
    if let (Some(p), Some(started)) = (profile, started) {
        p.record(Phase::Handler, started.elapsed());
    }
    returned
}

/// Starts a `blocking=True` handler on the loop's blocking pool (`spikard._loop.run_blocking`),
/// returning its asyncio future.
fn submit_blocking<'py>(py: Python<'py>, target: &Target, kwargs: Bound<'py, PyDict>) -> PyResult<Bound<'py, PyAny>> {
    static PARTIAL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static RUN_BLOCKING: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let partial = PARTIAL.import(py, "functools", "partial")?;
    let call = partial.call((target.handler.bind(py),), Some(&kwargs))?;
    RUN_BLOCKING.import(py, "spikard._loop", "run_blocking")?.call1((call,))
}

fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    GET_RUNNING_LOOP.import(py, "asyncio", "get_running_loop")?.call0()
}

/// Encodes a handler's return value (timed as `serialize`).
fn respond(py: Python<'_>, target: &Target, value: &Bound<'_, PyAny>, profile: Option<&Profile>) -> HandlerResult {
    let started = profile.map(|_| Instant::now());
    let response = from_python::to_response(py, value, target.status, &target.size_hint)
        .map_err(|err| errors::to_problem(py, err, &target.label, target.debug));
    if let (Some(p), Some(started)) = (profile, started) {
        p.record(Phase::Serialize, started.elapsed());
    }
    response
}

enum Step<'py> {
    Done(Bound<'py, PyAny>),
    Raised(PyErr),
    /// The coroutine awaits something; this is what it yielded to the event loop.
    Suspended(Bound<'py, PyAny>),
}

/// The eager step: run the coroutine until its first suspension. A handler that never
/// suspends finishes here without ever being scheduled on the loop.
fn step<'py>(py: Python<'py>, coro: &Bound<'py, PyAny>) -> Step<'py> {
    match coro.call_method1(pyo3::intern!(py, "send"), (py.None(),)) {
        Ok(yielded) => Step::Suspended(yielded),
        Err(err) if err.is_instance_of::<PyStopIteration>(py) => {
            match err.value(py).getattr(pyo3::intern!(py, "value")) {
                Ok(value) => Step::Done(value),
                Err(err) => Step::Raised(err),
            }
        }
        Err(err) => Step::Raised(err),
    }
}

/// A suspended coroutine as a task on the loop: `spikard._loop.resume` drives it on from
/// where the eager step stopped.
fn resume<'py>(py: Python<'py>, coro: Bound<'py, PyAny>, yielded: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let resumed = RESUME.import(py, "spikard._loop", "resume")?.call1((coro, yielded))?;
    running_loop(py)?.call_method1(pyo3::intern!(py, "create_task"), (resumed,))
}

/// Answers through `responder` when `future` (a task or an executor future) completes; a
/// disconnecting client cancels it by `cancel_key`.
fn watch(
    py: Python<'_>,
    drain: &Bound<'_, Drain>,
    future: Bound<'_, PyAny>,
    responder: Responder,
    cancel_key: Option<u64>,
) -> PyResult<()> {
    if let Some(key) = cancel_key
        && let Ok(mut tasks) = drain.get().tasks.lock()
    {
        tasks.insert(key, future.clone().unbind());
    }
    future.call_method1(pyo3::intern!(py, "add_done_callback"), (Bound::new(py, responder)?,))?;
    Ok(())
}

/// The done-callback of a handler's task: answers the request with its result.
#[pyclass(frozen, module = "spikard._spikard")]
pub struct Responder {
    reply: Mutex<Option<oneshot::Sender<HandlerResult>>>,
    target: Arc<Target>,
    drain: Py<Drain>,
    cancel_key: Option<u64>,
    suspended: Option<Instant>,
    /// A blocking handler's place in the pool, given back once it has answered.
    permit: Mutex<Option<Permit>>,
    /// The request's background tasks, run once it has answered.
    background: Mutex<Option<Py<PyAny>>>,
}

#[pymethods]
impl Responder {
    fn __call__(&self, py: Python<'_>, task: &Bound<'_, PyAny>) -> PyResult<()> {
        let drain = self.drain.get();
        if let Some(key) = self.cancel_key
            && let Ok(mut tasks) = drain.tasks.lock()
        {
            tasks.remove(&key);
        }
        let profile = drain.profile.as_deref();
        if let (Some(p), Some(since)) = (profile, self.suspended) {
            p.record(Phase::AsyncWait, since.elapsed());
        }
        let Some(reply) = self.reply.lock().ok().and_then(|mut r| r.take()) else {
            return Ok(());
        };
        let background = self.background.lock().ok().and_then(|mut b| b.take());
        if task.call_method0(pyo3::intern!(py, "cancelled"))?.is_truthy()? {
            // Cancelled because its client went away: nobody is waiting, but the
            // dependencies it opened are still closed.
            after_response(py, background, false);
            return Ok(());
        }
        let answer = match task.call_method0(pyo3::intern!(py, "result")) {
            Ok(value) => respond(py, &self.target, &value, profile),
            Err(err) => Err(errors::to_problem(py, err, &self.target.label, self.target.debug)),
        };
        let answered = answer.is_ok();
        let _ = reply.send(answer);
        drop(self.permit.lock().ok().and_then(|mut p| p.take()));
        after_response(py, background, answered);
        Ok(())
    }
}
