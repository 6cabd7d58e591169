//! `spikard.Request`: what a handler sees when it asks for the whole request.
//!
//! Built only for handlers that declare a `Request` parameter. The head and body stay in
//! Rust; each view (headers, query, cookies) becomes a Python dict on first access.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

use spikard_core::request::{QueryParams, header_text};

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

/// A dict built on first access and reused after.
fn cached<'py>(
    py: Python<'py>,
    cell: &PyOnceLock<Py<PyDict>>,
    build: impl FnOnce() -> PyResult<Bound<'py, PyDict>>,
) -> PyResult<Py<PyDict>> {
    cell.get_or_try_init(py, || build().map(Bound::unbind))
        .map(|d| d.clone_ref(py))
}

/// A plain dict from string pairs (the last value of a repeated key wins).
fn plain_dict(py: Python<'_>, pairs: impl IntoIterator<Item = (String, String)>) -> PyResult<Bound<'_, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in pairs {
        dict.set_item(k, v)?;
    }
    Ok(dict)
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
        cached(py, &self.headers, || {
            let pairs = self
                .inner
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), header_text(v.as_bytes())));
            multi_dict(py, pairs)
        })
    }

    /// Query parameters, decoded. A repeated key maps to the list of its values.
    #[getter]
    fn query_params(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        cached(py, &self.query, || {
            let query = QueryParams::parse(self.inner.query_string());
            multi_dict(py, query.pairs().iter().map(|(k, v)| (k, v)))
        })
    }

    #[getter]
    fn cookies(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        cached(py, &self.cookies, || plain_dict(py, self.inner.cookies()))
    }

    /// Path parameters as matched (strings, percent-decoded).
    #[getter]
    fn path_params(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        cached(py, &self.path_params, || {
            plain_dict(py, self.inner.path_params.iter().cloned())
        })
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
        crate::to_python::json(py, spikard_core::validate::JsonBody::parse(&self.inner.body))
    }

    fn __repr__(&self) -> String {
        format!("<Request {} {}>", self.inner.method, self.inner.uri)
    }
}

pub fn init_pymodule(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRequest>()
}
