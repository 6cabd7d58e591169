//! Running one job on the dispatcher thread: build the arguments, call the handler, and
//! answer. A job's answer is known at once (`def` handlers, coroutines that finish without
//! suspending) or later, when the task or future it became completes; either way it ends
//! in [`Pending::finish`].

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use spikard_core::validate::{JsonBody, ParamValue};
use spikard_core::{HandlerResult, Problem, Request};
use tokio::sync::oneshot;

use super::watchdog::Hold;
use super::{Job, Permit, Slot, Target};
use crate::profile::{Phase, Profile, record_since, timed};
use crate::{from_python, request::PyRequest, to_python};

static RESUME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// The name of after-response tasks (background tasks, dependency cleanup).
const AFTER_RESPONSE: &str = "spikard-after-response";
static BACKGROUND: PyOnceLock<Py<pyo3::types::PyType>> = PyOnceLock::new();
static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// What the jobs on the loop share: the profile, and the tasks (or executor futures) of
/// handlers still running, by the key a disconnecting client cancels them by.
#[derive(Debug)]
pub struct Running {
    pub profile: Option<Arc<Profile>>,
    /// Touched only with the GIL held.
    tasks: Mutex<HashMap<u64, Py<PyAny>>>,
    /// Which handler holds the dispatcher, for the watchdog.
    pub hold: Arc<Hold>,
}

impl Running {
    pub fn new(profile: Option<Arc<Profile>>) -> Self {
        Running {
            profile,
            tasks: Mutex::new(HashMap::new()),
            hold: Arc::default(),
        }
    }

    /// Cancels the handler whose client went away, if it is still running.
    pub fn cancel(&self, py: Python<'_>, key: u64) {
        if let Some(task) = self.untrack(Some(key))
            && let Err(err) = task.bind(py).call_method0("cancel")
        {
            log::error!("could not cancel a handler task: {err}");
        }
    }

    fn track(&self, key: Option<u64>, future: &Bound<'_, PyAny>) {
        if let Some(key) = key
            && let Ok(mut tasks) = self.tasks.lock()
        {
            tasks.insert(key, future.clone().unbind());
        }
    }

    fn untrack(&self, key: Option<u64>) -> Option<Py<PyAny>> {
        self.tasks.lock().ok()?.remove(&key?)
    }
}

/// A request being answered: what is left to do once its answer is known.
struct Pending {
    target: Arc<Target>,
    reply: oneshot::Sender<HandlerResult>,
    /// For `async def` and blocking handlers: the key a disconnecting client cancels by.
    cancel_key: Option<u64>,
    /// A blocking handler's place in the pool.
    permit: Option<Permit>,
    /// The request's `BackgroundTasks`, if the handler declared one.
    background: Option<Py<PyAny>>,
}

/// How a handler's answer comes.
enum Started<'py> {
    Now(HandlerResult),
    /// From this task or future, when it completes.
    Later(Bound<'py, PyAny>),
}

pub fn run(py: Python<'_>, running: &Arc<Running>, job: Job) {
    let Job {
        target,
        values,
        body,
        request,
        reply,
        queued,
        cancel_key,
        permit,
        refused,
    } = job;
    if let Some(problem) = refused {
        let _ = reply.send(Err(with_body_errors(py, &target, body.as_ref(), problem)));
        return;
    }
    let profile = running.profile.as_deref();
    record_since(profile, Phase::QueueWait, queued);
    let mut pending = Pending {
        target,
        reply,
        cancel_key,
        permit,
        background: None,
    };
    let started = catch_unwind(AssertUnwindSafe(|| {
        start(
            py,
            &mut pending,
            &running.hold,
            &values,
            body.as_ref(),
            request,
            profile,
        )
    }))
    .unwrap_or_else(|_| {
        log::error!("panic while running the handler for {}", pending.target.label);
        Started::Now(Err(Problem::internal()))
    });
    match started {
        Started::Now(answer) => pending.finish(py, answer),
        Started::Later(future) => pending.finish_later(py, future, running),
    }
}

/// Builds the arguments and calls the handler: a `def` on this thread, a `blocking=True`
/// `def` on the blocking pool, an `async def` stepped once here and continued as a task
/// only if it suspends.
fn start<'py>(
    py: Python<'py>,
    pending: &mut Pending,
    hold: &Hold,
    values: &[ParamValue],
    body: Option<&JsonBody>,
    request: Option<Request>,
    profile: Option<&Profile>,
) -> Started<'py> {
    let target = &pending.target;
    let kwargs = match arguments(py, target, values, body, request, profile) {
        Ok(kwargs) => kwargs,
        Err(err) => return Started::Now(Err(target.problem(py, err))),
    };
    pending.background = background_of(py, target, &kwargs);
    let started = if target.blocking && !target.is_async {
        submit_blocking(py, target, kwargs).map(Started::Later)
    } else {
        // From here until it returns or suspends, the handler holds the dispatcher.
        let _held = hold.enter(&target.label);
        let returned = timed(profile, Phase::Handler, || {
            target.handler.bind(py).call((), Some(&kwargs))
        });
        returned.and_then(|value| {
            if !target.is_async {
                return Ok(Started::Now(respond(py, target, &value, profile)));
            }
            match step(py, &value) {
                Step::Done(result) => Ok(Started::Now(respond(py, target, &result, profile))),
                Step::Raised(err) => Err(err),
                Step::Suspended(yielded) => resume(py, value, yielded).map(Started::Later),
            }
        })
    };
    started.unwrap_or_else(|err| Started::Now(Err(target.problem(py, err))))
}

impl Pending {
    /// Answers the request (nobody is waiting if its client went away), gives back its place
    /// in the blocking pool, then schedules its background tasks and dependency cleanup.
    fn finish(self, py: Python<'_>, answer: HandlerResult) {
        let answered = answer.is_ok();
        let _ = self.reply.send(answer);
        drop(self.permit);
        after_response(py, self.background, answered);
    }

    /// Answers when `future` (a task or an executor future) completes; a disconnecting
    /// client cancels it by `cancel_key` meanwhile.
    fn finish_later(self, py: Python<'_>, future: Bound<'_, PyAny>, running: &Arc<Running>) {
        let key = self.cancel_key;
        let responder = Responder {
            pending: Mutex::new(Some(self)),
            suspended: running.profile.as_ref().map(|_| Instant::now()),
            running: Arc::clone(running),
        };
        // If this fails, the reply is dropped with it: the request is answered with a 500.
        let responder = match Bound::new(py, responder) {
            Ok(responder) => responder,
            Err(err) => return log::error!("could not wait for a handler's task: {err}"),
        };
        running.track(key, &future);
        if let Err(err) = future.call_method1(pyo3::intern!(py, "add_done_callback"), (&responder,)) {
            running.untrack(key);
            if let Some(pending) = responder.get().take() {
                let problem = pending.target.problem(py, err);
                pending.finish(py, Err(problem));
            }
        }
    }
}

/// The done-callback of a handler's task or future: answers the request with its result.
#[pyclass(frozen, module = "spikard._spikard")]
pub struct Responder {
    pending: Mutex<Option<Pending>>,
    /// When the handler went off to run on its own, in profile mode.
    suspended: Option<Instant>,
    running: Arc<Running>,
}

impl Responder {
    fn take(&self) -> Option<Pending> {
        self.pending.lock().ok()?.take()
    }
}

#[pymethods]
impl Responder {
    fn __call__(&self, py: Python<'_>, task: &Bound<'_, PyAny>) -> PyResult<()> {
        let Some(pending) = self.take() else { return Ok(()) };
        self.running.untrack(pending.cancel_key);
        let profile = self.running.profile.as_deref();
        record_since(profile, Phase::AsyncWait, self.suspended);
        if task.call_method0(pyo3::intern!(py, "cancelled"))?.is_truthy()? {
            // Cancelled because its client went away: nobody is waiting, but the
            // dependencies it opened are still closed.
            after_response(py, pending.background, false);
            return Ok(());
        }
        let answer = match task.call_method0(pyo3::intern!(py, "result")) {
            Ok(value) => respond(py, &pending.target, &value, profile),
            Err(err) => Err(pending.target.problem(py, err)),
        };
        pending.finish(py, answer);
        Ok(())
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
    timed(profile, Phase::Convert, || {
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
                    .map(|doc| to_python::body(py, doc, arg.shape.as_ref()))
                    .transpose()?,
                Slot::Background => Some(
                    BACKGROUND
                        .import(py, "spikard.background", "BackgroundTasks")?
                        .call0()?,
                ),
                Slot::Request => match request.take() {
                    Some(req) => {
                        let app = target.app.as_ref().map(|a| a.clone_ref(py));
                        Some(Bound::new(py, PyRequest::new(req, app))?.into_any())
                    }
                    None => None,
                },
            };
            match (value, &arg.default) {
                (Some(value), _) => kwargs.set_item(arg.name.bind(py), value)?,
                (None, Some(default)) => kwargs.set_item(arg.name.bind(py), default.bind(py))?,
                (None, None) => kwargs.set_item(arg.name.bind(py), py.None())?,
            }
        }
        Ok(kwargs)
    })
}

/// `problem` (a 422 for the parameters) with the errors Python's validation of `body` adds.
fn with_body_errors(py: Python<'_>, target: &Target, body: Option<&JsonBody>, problem: Problem) -> Problem {
    let Some(arg) = target.args.iter().find(|a| matches!(a.slot, Slot::Body)) else {
        return problem;
    };
    let Some(Err(err)) = body.map(|doc| to_python::body(py, doc, arg.shape.as_ref())) else {
        return problem;
    };
    let more = target.problem(py, err);
    if more.status() != problem.status() {
        return problem;
    }
    Problem::validation(problem.errors().iter().chain(more.errors()).cloned().collect())
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

/// Encodes a handler's return value, made to fit the route's response model first (timed
/// as `serialize`).
fn respond(py: Python<'_>, target: &Target, value: &Bound<'_, PyAny>, profile: Option<&Profile>) -> HandlerResult {
    timed(profile, Phase::Serialize, || {
        let fitted;
        let value = match &target.response_model {
            Some(model) => {
                fitted = model.fit(value).map_err(|err| target.problem(py, err))?;
                &fitted
            }
            None => value,
        };
        from_python::to_response(py, value, target.status, &target.size_hint).map_err(|err| target.problem(py, err))
    })
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
