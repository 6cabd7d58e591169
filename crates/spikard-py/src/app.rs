//! The route table, built once from the route specs the Python package computes, and the
//! `Server` that serves it (blocking, for `app.run`, or on a background thread, for tests).

use crossbeam_channel::Receiver;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::Duration;

use http::{Method, StatusCode};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;
use spikard_core::schema::Schema;
use spikard_core::validate::{BodyPlan, ParamSpec, RequestPlan};
use spikard_core::{ErrorFormat, Router, ServerConfig, ServerHandle};

use crate::dispatch::{Arg, Pool, PyHandler, Queue, Slot, Target, Wake, Work, spawn_dispatcher};
use crate::plan::{ParamPlan, RoutePlan, Source};
use crate::profile::Profile;
use crate::shape::Shape;

static STARTUP_ERROR: pyo3::sync::PyOnceLock<Py<pyo3::types::PyType>> = pyo3::sync::PyOnceLock::new();

/// Where profile mode answers its snapshot.
const PROFILE_PATH: &str = "/__spikard/profile";

enum State {
    Ready {
        router: Router,
        queue: Receiver<Work>,
    },
    Running {
        handle: ServerHandle,
        dispatcher: JoinHandle<()>,
    },
    Done,
}

/// `_spikard.Server(routes, host=..., port=..., ...)`: a compiled app, ready to serve once.
#[pyclass(frozen, module = "spikard._spikard")]
pub struct Server {
    config: ServerConfig,
    state: Mutex<State>,
    /// Phase timings, when profile mode is on.
    profile: Option<Arc<Profile>>,
    /// Wakes (and, at the end, stops) the dispatcher's event loop.
    wake: Arc<Wake>,
    /// Threads of the pool that runs `blocking=True` handlers.
    blocking_threads: usize,
    /// Warn of a handler that holds the dispatcher longer than this.
    slow_handler: Option<Duration>,
    /// The app's startup and shutdown (`spikard.lifespan.Lifespan`), or None.
    lifespan: Py<PyAny>,
}

#[pymethods]
impl Server {
    #[new]
    #[pyo3(signature = (routes, *, host = "127.0.0.1", port = 8000, body_limit = 10 * 1024 * 1024, shutdown_timeout = 10.0, workers = 0, debug = false, profile = false, blocking_threads = 8, blocking_queue = 64, lifespan = None, header_timeout = 30.0, keep_alive_timeout = 5.0, body_timeout = 30.0, max_connections = 10_000, max_header_size = 16 * 1024, redirect_slashes = true, slow_handler_warning = Some(0.5), error_format = "problem", app = None))]
    #[allow(clippy::too_many_arguments)] // a Python signature: one keyword per option
    fn new(
        py: Python<'_>,
        routes: Vec<RoutePlan>,
        host: &str,
        port: u16,
        body_limit: usize,
        shutdown_timeout: f64,
        workers: usize,
        debug: bool,
        profile: bool,
        blocking_threads: usize,
        blocking_queue: usize,
        lifespan: Option<Py<PyAny>>,
        header_timeout: f64,
        keep_alive_timeout: f64,
        body_timeout: f64,
        max_connections: usize,
        max_header_size: usize,
        redirect_slashes: bool,
        slow_handler_warning: Option<f64>,
        error_format: &str,
        app: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        if blocking_threads == 0 {
            return Err(PyValueError::new_err("blocking_threads must be at least 1"));
        }
        if max_connections == 0 {
            return Err(PyValueError::new_err("max_connections must be at least 1"));
        }
        let pool = Arc::new(Pool::new(blocking_threads + blocking_queue));
        let addr = resolve(host, port)?;
        let config = ServerConfig {
            addr,
            body_limit,
            shutdown_timeout: seconds("shutdown_timeout", shutdown_timeout)?,
            workers,
            header_timeout: positive_seconds("header_timeout", header_timeout)?,
            keep_alive_timeout: positive_seconds("keep_alive_timeout", keep_alive_timeout)?,
            body_timeout: positive_seconds("body_timeout", body_timeout)?,
            max_connections,
            max_header_size,
            error_format: match error_format {
                "problem" => ErrorFormat::Problem,
                "fastapi" => ErrorFormat::FastApi,
                other => {
                    return Err(PyValueError::new_err(format!(
                        "error_format must be 'problem' or 'fastapi', not {other:?}"
                    )));
                }
            },
        };
        let wake = Arc::new(Wake::new().map_err(|e| PyOSError::new_err(format!("cannot create an eventfd: {e}")))?);
        let (sender, queue) = Queue::new(Arc::clone(&wake));
        let profile = profile.then(|| Arc::new(Profile::default()));
        let mut router = Router::new();
        router.redirect_slashes(redirect_slashes);
        if let Some(profile) = &profile {
            let profile = Arc::clone(profile);
            router
                .get(PROFILE_PATH, move |req: spikard_core::Request| {
                    let reset = req.query().get("reset").is_some_and(|v| v == "1");
                    let body = serde_json::to_vec(&profile.snapshot(reset)).unwrap_or_default();
                    std::future::ready(Ok(spikard_core::json_response(body)))
                })
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
        }
        for route in routes {
            let (methods, path) = (route.methods.clone(), route.path.clone());
            let handler = Arc::new(compile(
                py,
                route,
                app.as_ref().map(|a| a.clone_ref(py)),
                debug,
                profile.clone(),
                Arc::clone(&pool),
                sender.clone(),
            )?);
            for method in &methods {
                let method = Method::from_bytes(method.as_bytes())
                    .map_err(|_| PyValueError::new_err(format!("invalid HTTP method {method:?} for {path}")))?;
                router
                    .route_arc(method, &path, handler.clone())
                    .map_err(|e| PyValueError::new_err(e.to_string()))?;
            }
        }
        Ok(Server {
            config,
            state: Mutex::new(State::Ready { router, queue }),
            profile,
            wake,
            blocking_threads,
            slow_handler: slow_handler_warning
                .map(|s| positive_seconds("slow_handler_warning", s))
                .transpose()?,
            lifespan: lifespan.unwrap_or_else(|| py.None()),
        })
    }

    /// Serves on a background thread; returns the bound `(host, port)` once it accepts.
    fn start(&self, py: Python<'_>) -> PyResult<(String, u16)> {
        let (router, dispatcher) = self.launch(py)?;
        let config = self.config.clone();
        let handle = match py.detach(|| spikard_core::spawn(router, config)) {
            Ok(handle) => handle,
            Err(err) => {
                // Nothing will be served: stop the loop again.
                self.wake.close();
                let _ = py.detach(|| dispatcher.join());
                return Err(PyOSError::new_err(err.to_string()));
            }
        };
        let addr = handle.addr();
        *self.lock()? = State::Running { handle, dispatcher };
        Ok((addr.ip().to_string(), addr.port()))
    }

    /// Stops a server started with `start`: drains in-flight requests, then returns.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let mut state = self.lock()?;
        if let State::Running { handle, dispatcher } = std::mem::replace(&mut *state, State::Done) {
            // The drain needs the dispatcher, and the dispatcher needs the GIL: let go of it.
            let wake = Arc::clone(&self.wake);
            py.detach(|| {
                let stopped = handle.stop();
                wake.close();
                dispatcher
                    .join()
                    .map_err(|_| std::io::Error::other("dispatcher thread panicked"))?;
                stopped
            })
            .map_err(|e| PyOSError::new_err(e.to_string()))?;
        }
        Ok(())
    }

    /// Serves in this thread until SIGINT or SIGTERM, then drains and returns.
    fn serve(&self, py: Python<'_>) -> PyResult<()> {
        let (router, dispatcher) = self.launch(py)?;
        let config = self.config.clone();
        let wake = Arc::clone(&self.wake);
        py.detach(move || -> std::io::Result<()> {
            let mut runtime = tokio::runtime::Builder::new_multi_thread();
            runtime.enable_all().thread_name("spikard-worker");
            if config.workers > 0 {
                runtime.worker_threads(config.workers);
            }
            let served = runtime.build().and_then(|runtime| {
                runtime.block_on(async move {
                    let server = spikard_core::Server::bind(router, config).await?;
                    server.run(spikard_core::shutdown_signal()).await
                })
            });
            // Every request has been answered (or abandoned): stop the loop, then wait for it.
            wake.close();
            dispatcher
                .join()
                .map_err(|_| std::io::Error::other("dispatcher thread panicked"))?;
            served
        })
        .map_err(|e| PyOSError::new_err(e.to_string()))
    }
}

impl Server {
    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| PyRuntimeError::new_err("server state poisoned"))
    }

    /// Takes the compiled routes (a server serves once), starts the dispatcher for them and
    /// waits for the app's startup to finish: nothing is accepted before it has.
    fn launch(&self, py: Python<'_>) -> PyResult<(Router, JoinHandle<()>)> {
        let State::Ready { router, queue } = std::mem::replace(&mut *self.lock()?, State::Done) else {
            return Err(PyRuntimeError::new_err("this server has already been started"));
        };
        let lifespan = self.lifespan.clone_ref(py);
        let (dispatcher, started) = spawn_dispatcher(
            queue,
            Arc::clone(&self.wake),
            self.profile.clone(),
            self.blocking_threads,
            lifespan,
            self.slow_handler,
        )
        .map_err(|e| PyOSError::new_err(e.to_string()))?;
        let outcome = py.detach(move || started.recv());
        if let Ok(None) = outcome {
            return Ok((router, dispatcher));
        }
        let _ = py.detach(|| dispatcher.join());
        let why = match outcome {
            Ok(Some(traceback)) => traceback,
            _ => "the dispatcher stopped before reporting (see the log above)".to_owned(),
        };
        let error = STARTUP_ERROR.import(py, "spikard.exceptions", "StartupError")?;
        Err(PyErr::from_value(
            error.call1((format!("application startup failed:\n{why}"),))?,
        ))
    }
}

fn seconds(name: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| PyValueError::new_err(format!("{name} must be a non-negative number of seconds")))
}

/// A timeout that must be above zero (zero would close every connection at once).
fn positive_seconds(name: &str, value: f64) -> PyResult<Duration> {
    match seconds(name, value)? {
        d if d.is_zero() => Err(PyValueError::new_err(format!("{name} must be more than 0 seconds"))),
        d => Ok(d),
    }
}

fn resolve(host: &str, port: u16) -> PyResult<SocketAddr> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| PyValueError::new_err(format!("cannot resolve {host}:{port}: {e}")))?
        .next()
        .ok_or_else(|| PyValueError::new_err(format!("{host} resolves to no address")))
}

/// Turns one route's plan into its handler: the `RequestPlan` the core runs on every request
/// and the argument slots the dispatcher fills. Bad plans fail here, naming the route.
#[allow(clippy::too_many_arguments)] // the server's settings a route's handler keeps
fn compile(
    py: Python<'_>,
    route: RoutePlan,
    app: Option<Py<PyAny>>,
    debug: bool,
    profile: Option<Arc<Profile>>,
    pool: Arc<Pool>,
    queue: Queue,
) -> PyResult<PyHandler> {
    let label = format!("{} {}", route.methods.join(","), route.path);
    let fail = |msg: String| PyValueError::new_err(format!("route {label}: {msg}"));
    let mut specs = Vec::new();
    let mut args = Vec::new();
    let mut body = None;
    let mut wants_request = false;
    for p in route.params {
        let slot = match p.source {
            Source::Body => {
                if body.is_some() {
                    return Err(fail(format!("more than one body parameter ({})", p.name)));
                }
                body = Some(BodyPlan {
                    schema: schema(&p).map_err(&fail)?,
                    required: p.required,
                });
                Slot::Body
            }
            Source::Request => {
                wants_request = true;
                Slot::Request
            }
            Source::Background => Slot::Background,
            Source::Param(source) => {
                let kind = p.kind.ok_or_else(|| {
                    fail(format!(
                        "parameter {}: a {} parameter needs a kind",
                        p.name,
                        source.as_str()
                    ))
                })?;
                specs.push(ParamSpec {
                    key: p.key.clone(),
                    source,
                    kind,
                    list: p.list,
                    required: p.required,
                    check: schema(&p).map_err(&fail)?.map(Arc::new),
                });
                Slot::Param(specs.len() - 1)
            }
        };
        // Defaults of required arguments are never used.
        let default = if p.required { None } else { p.default };
        args.push(Arg {
            name: PyString::intern(py, &p.name).unbind(),
            slot,
            default,
            shape: p.shape,
        });
    }
    let status = StatusCode::from_u16(route.status_code)
        .map_err(|_| fail(format!("invalid status code {}", route.status_code)))?;
    let target = Target {
        label,
        handler: route.handler,
        args,
        status,
        debug,
        size_hint: Default::default(),
        is_async: route.is_async,
        blocking: route.blocking,
        response_model: route.response_model,
        app,
    };
    let validates_body = target
        .args
        .iter()
        .any(|a| matches!(a.slot, Slot::Body) && a.shape.as_ref().is_some_and(Shape::validates));
    Ok(PyHandler {
        target: Arc::new(target),
        plan: RequestPlan { params: specs, body },
        validates_body,
        wants_request,
        queue,
        profile,
        pool,
    })
}

/// A parameter's compiled `check` schema; `None` when it checks nothing.
fn schema(p: &ParamPlan) -> Result<Option<Schema>, String> {
    let Some(text) = &p.check else { return Ok(None) };
    let invalid = |e: &dyn std::fmt::Display| format!("parameter {}: invalid schema: {e}", p.name);
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| invalid(&e))?;
    let schema = Schema::compile(&value).map_err(|e| invalid(&e))?;
    Ok((!schema.accepts_anything()).then_some(schema))
}

/// `_spikard.check_schema(text)`: raises `ValueError` if the Rust validator cannot run the
/// JSON Schema `text`, so a route fails at registration rather than at server start.
#[pyfunction]
fn check_schema(text: &str) -> PyResult<()> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Schema::compile(&value).map_err(|e| PyValueError::new_err(e.0))?;
    Ok(())
}

pub fn init_pymodule(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check_schema, m)?)?;
    m.add_class::<Server>()
}
