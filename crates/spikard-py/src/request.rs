//! `spikard.Request`: what a handler sees when it asks for the whole request.
//!
//! Built only for handlers that declare a `Request` parameter. The head and body stay in
//! Rust; each view (headers, query, cookies) becomes a Python dict on first access.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

use crate::to_python::JsonBody;
use spikard_core::request::QueryParams;

#[pyclass(frozen, name = "Request", module = "spikard._spikard")]
pub struct PyRequest {
    inner: spikard_core::Request,
    headers: PyOnceLock<Py<PyDict>>,
    query: PyOnceLock<Py<PyDict>>,
    cookies: PyOnceLock<Py<PyDict>>,
    path_params: PyOnceLock<Py<PyDict>>,
    body: PyOnceLock<Py<PyBytes>>,
}

impl PyRequest {
    pub fn new(inner: spikard_core::Request) -> Self {
        PyRequest {
            inner,
            headers: PyOnceLock::new(),
            query: PyOnceLock::new(),
            cookies: PyOnceLock::new(),
            path_params: PyOnceLock::new(),
            body: PyOnceLock::new(),
        }
    }
}

/// A dict from pairs; a key seen more than once maps to the list of its values.
fn multi_dict<'py, K: AsRef<str>, V: AsRef<str>>(
    py: Python<'py>,
    pairs: impl Iterator<Item = (K, V)>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in pairs {
        let (k, v) = (k.as_ref(), v.as_ref());
        match dict.get_item(k)? {
            None => dict.set_item(k, v)?,
            Some(existing) => match existing.cast::<PyList>() {
                Ok(list) => list.append(v)?,
                Err(_) => dict.set_item(k, PyList::new(py, [existing, PyString::new(py, v).into_any()])?)?,
            },
        }
    }
    Ok(dict)
}

/// A header value as text: UTF-8 when it is, otherwise Latin-1 (as HTTP/1.1 historically
/// allowed), so no byte is dropped.
fn header_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.into(),
        Err(_) => bytes.iter().map(|&b| b as char).collect::<String>().into(),
    }
}

#[pymethods]
impl PyRequest {
    #[getter]
    fn method(&self) -> &str {
        self.inner.method.as_str()
    }

    #[getter]
    fn path(&self) -> &str {
        self.inner.path()
    }

    #[getter]
    fn query_string(&self) -> &str {
        self.inner.query_string()
    }

    /// Header names in lower case. A header sent more than once maps to the list of values.
    #[getter]
    fn headers(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        self.headers
            .get_or_try_init(py, || {
                let pairs = self
                    .inner
                    .headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), header_text(v.as_bytes())));
                Ok(multi_dict(py, pairs)?.unbind())
            })
            .map(|d| d.clone_ref(py))
    }

    /// Query parameters, decoded. A repeated key maps to the list of its values.
    #[getter]
    fn query_params(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        self.query
            .get_or_try_init(py, || {
                let query = QueryParams::parse(self.inner.query_string());
                Ok(multi_dict(py, query.pairs().iter().map(|(k, v)| (k, v)))?.unbind())
            })
            .map(|d| d.clone_ref(py))
    }

    #[getter]
    fn cookies(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        self.cookies
            .get_or_try_init(py, || {
                let dict = PyDict::new(py);
                for (k, v) in self.inner.cookies() {
                    dict.set_item(k, v)?;
                }
                Ok(dict.unbind())
            })
            .map(|d| d.clone_ref(py))
    }

    /// Path parameters as matched (strings, percent-decoded).
    #[getter]
    fn path_params(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        self.path_params
            .get_or_try_init(py, || {
                let dict = PyDict::new(py);
                for (k, v) in &self.inner.path_params {
                    dict.set_item(k, v)?;
                }
                Ok(dict.unbind())
            })
            .map(|d| d.clone_ref(py))
    }

    /// The raw body.
    #[getter]
    fn body(&self, py: Python<'_>) -> Py<PyBytes> {
        self.body
            .get_or_init(py, || PyBytes::new(py, &self.inner.body).unbind())
            .clone_ref(py)
    }

    /// The body parsed as JSON. Malformed JSON raises `RequestError`, answered as a 400.
    fn json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let body = JsonBody::parse(&self.inner.body).map_err(|p| crate::errors::problem_error(py, p))?;
        body.to_python(py)
    }

    fn __repr__(&self) -> String {
        format!("<Request {} {}>", self.inner.method, self.inner.uri)
    }
}

pub fn init_pymodule(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRequest>()
}
