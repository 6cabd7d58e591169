//! Core problems <-> Python exceptions. The only place the two error worlds meet.

use http::StatusCode;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyType};
use serde_json::{Map, Value};
use spikard_core::{FieldError, Problem};

static HTTP_EXCEPTION: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static VALIDATION_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static FORMAT_EXCEPTION: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Raised by Spikard when the request itself is at fault (e.g. `request.json()` on a body
/// that is not JSON). Left uncaught, it is answered with its problem+json response.
#[pyclass(extends = PyException, frozen, module = "spikard._spikard")]
pub struct RequestError {
    problem: Problem,
}

#[pymethods]
impl RequestError {
    #[getter]
    fn status_code(&self) -> u16 {
        self.problem.status().as_u16()
    }

    fn __str__(&self) -> String {
        self.problem.body().to_string()
    }
}

/// A Python exception carrying `problem`.
pub fn problem_error(py: Python<'_>, problem: Problem) -> PyErr {
    match Bound::new(py, RequestError { problem }) {
        Ok(err) => PyErr::from_value(err.into_any()),
        Err(err) => err,
    }
}

/// What an exception escaping a handler is answered with. `HTTPException` and
/// `RequestError` carry their own status; anything else is logged with its traceback and
/// answered 500 (with the traceback in the body only when `debug` is on).
pub fn to_problem(py: Python<'_>, err: PyErr, route: &str, debug: bool) -> Problem {
    match known_problem(py, &err) {
        Ok(Some(problem)) => problem,
        Ok(None) => unexpected(py, err, route, debug),
        Err(inner) => unexpected(py, inner, route, debug),
    }
}

fn known_problem(py: Python<'_>, err: &PyErr) -> PyResult<Option<Problem>> {
    let value = err.value(py);
    if let Ok(request_error) = value.cast::<RequestError>() {
        return Ok(Some(request_error.get().problem.clone()));
    }
    if value.is_instance(VALIDATION_ERROR.import(py, "spikard.exceptions", "RequestValidationError")?)? {
        let errors = value.call_method0(pyo3::intern!(py, "errors"))?;
        let errors = errors
            .cast::<PyList>()?
            .iter()
            .map(|e| field_error(py, &e))
            .collect::<PyResult<_>>()?;
        return Ok(Some(Problem::validation(errors)));
    }
    if !value.is_instance(HTTP_EXCEPTION.import(py, "spikard.exceptions", "HTTPException")?)? {
        return Ok(None);
    }
    let status: u16 = value.getattr(pyo3::intern!(py, "status_code"))?.extract()?;
    let status = StatusCode::from_u16(status)
        .map_err(|_| pyo3::exceptions::PyValueError::new_err(format!("invalid status code {status}")))?;
    let detail = value.getattr(pyo3::intern!(py, "detail"))?;
    let mut problem = if detail.is_none() {
        Problem::http(status, None)
    } else if let Ok(text) = detail.cast::<PyString>() {
        Problem::http(status, Some(text.to_str()?.to_owned()))
    } else {
        // A structured detail (dict, list, ...) is kept as JSON, not flattened to text.
        let json = crate::from_python::encode(py, &detail)?;
        let value =
            serde_json::from_slice(&json).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        Problem::http(status, None).with_extension("detail", value)
    };
    let headers = value.getattr(pyo3::intern!(py, "headers"))?;
    if !headers.is_none() {
        for item in headers.call_method0(pyo3::intern!(py, "items"))?.try_iter()? {
            let (name, val): (String, String) = item?.extract()?;
            crate::from_python::user_header_name(&name)?;
            problem = problem.with_header(name, val);
        }
    }
    Ok(Some(problem))
}

/// One entry of a `RequestValidationError`: a dict shaped like a pydantic v2 error. Values
/// JSON cannot carry (an exception in `ctx`, an object as `input`) are written as text.
fn field_error(py: Python<'_>, entry: &Bound<'_, PyAny>) -> PyResult<FieldError> {
    let entry = entry.cast::<PyDict>()?;
    let get = |key: &str| entry.get_item(key);
    let kind: String = get("type")?.map_or(Ok("value_error".to_owned()), |t| t.extract())?;
    let msg: String = get("msg")?.map_or(Ok(String::new()), |m| m.str()?.extract())?;
    let loc = match get("loc")? {
        Some(loc) => loc
            .try_iter()?
            .map(|part| json_or_text(py, &part?))
            .collect::<PyResult<_>>()?,
        None => Vec::new(),
    };
    let input = get("input")?.map_or(Ok(Value::Null), |i| json_or_text(py, &i))?;
    let ctx = match get("ctx")? {
        Some(ctx) if !ctx.is_none() => {
            let mut map = Map::new();
            for (k, v) in ctx.cast::<PyDict>()?.iter() {
                map.insert(k.str()?.extract()?, json_or_text(py, &v)?);
            }
            Some(Box::new(map))
        }
        _ => None,
    };
    Ok(FieldError {
        kind: kind.into(),
        loc,
        msg,
        input,
        ctx,
    })
}

/// `value` as JSON, or as its `str()` when it is not a JSON value.
fn json_or_text(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Value> {
    let encoded = crate::from_python::encode(py, value).ok();
    match encoded.and_then(|bytes| serde_json::from_slice(&bytes).ok()) {
        Some(json) => Ok(json),
        None => Ok(Value::String(value.str()?.extract()?)),
    }
}

fn unexpected(py: Python<'_>, err: PyErr, route: &str, debug: bool) -> Problem {
    log_exception(py, &err, route);
    let mut problem = Problem::internal();
    if debug {
        match format_traceback(py, &err) {
            Ok(text) => problem = problem.with_extension("traceback", text.into()),
            Err(e) => log::error!("could not format a traceback: {e}"),
        }
    }
    problem
}

/// Logs through Python's `logging` (logger `spikard`) so the traceback lands wherever the
/// application sends its logs.
fn log_exception(py: Python<'_>, err: &PyErr, route: &str) {
    let logged = (|| -> PyResult<()> {
        let logger = LOGGER.get_or_try_init(py, || {
            py.import("logging")?
                .call_method1("getLogger", ("spikard",))
                .map(Bound::unbind)
        })?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("exc_info", exception_with_traceback(py, err))?;
        logger
            .bind(py)
            .call_method("error", ("Exception in handler for %s", route), Some(&kwargs))?;
        Ok(())
    })();
    if let Err(e) = logged {
        log::error!("exception in handler for {route}: {err} (and logging it failed: {e})");
    }
}

fn format_traceback(py: Python<'_>, err: &PyErr) -> PyResult<String> {
    let format = FORMAT_EXCEPTION.get_or_try_init(py, || {
        py.import("traceback")?.getattr("format_exception").map(Bound::unbind)
    })?;
    let lines = format.bind(py).call1((exception_with_traceback(py, err),))?;
    PyString::new(py, "").call_method1("join", (lines,))?.extract()
}

/// The exception object with its `__traceback__` set (PyO3 keeps it apart until asked).
fn exception_with_traceback<'py>(py: Python<'py>, err: &PyErr) -> Bound<'py, PyAny> {
    err.clone_ref(py).into_value(py).into_bound(py).into_any()
}

pub fn init_pymodule(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RequestError>()
}
