//! `spikard.Request`: what a handler sees when it asks for the whole request.
//!
//! Built only for handlers that declare a `Request` parameter. The head and body stay in
//! Rust; each view becomes a Python object on first access, shaped like Starlette's
//! (`spikard.datastructures`: `Headers`, `QueryParams`, `URL`, `Address`).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList};

use spikard_core::request::{QueryParams, header_text};

#[pyclass(frozen, name = "Request", module = "spikard._spikard")]
pub struct PyRequest {
    inner: spikard_core::Request,
    app: Option<Py<PyAny>>,
    headers: PyOnceLock<Py<PyAny>>,
    query: PyOnceLock<Py<PyAny>>,
    cookies: PyOnceLock<Py<PyAny>>,
    path_params: PyOnceLock<Py<PyAny>>,
    body: PyOnceLock<Py<PyBytes>>,
    state: PyOnceLock<Py<PyAny>>,
}

impl PyRequest {
    pub fn new(inner: spikard_core::Request, app: Option<Py<PyAny>>) -> Self {
        PyRequest {
            inner,
            app,
            headers: PyOnceLock::new(),
            query: PyOnceLock::new(),
            cookies: PyOnceLock::new(),
            path_params: PyOnceLock::new(),
            body: PyOnceLock::new(),
            state: PyOnceLock::new(),
        }
    }

    /// `scheme://host` as the client addressed the server: the `Host` header (HTTP/1.1) or
    /// the target's authority (HTTP/2), else the address it connected to is unknown here.
    fn origin(&self) -> String {
        let host = self
            .inner
            .headers
            .get(http::header::HOST)
            .map(|h| header_text(h.as_bytes()).into_owned())
            .or_else(|| self.inner.uri.authority().map(|a| a.to_string()))
            .unwrap_or_default();
        format!("http://{host}")
    }
}

/// `spikard.datastructures.<class>(arg)`.
fn make<'py>(py: Python<'py>, class: &str, arg: impl pyo3::call::PyCallArgs<'py>) -> PyResult<Bound<'py, PyAny>> {
    py.import("spikard.datastructures")?.getattr(class)?.call1(arg)
}

/// A value built on first access and reused after.
fn cached<'py>(
    py: Python<'py>,
    cell: &PyOnceLock<Py<PyAny>>,
    build: impl FnOnce() -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Py<PyAny>> {
    cell.get_or_try_init(py, || build().map(Bound::unbind))
        .map(|d| d.clone_ref(py))
}

/// A plain dict from string pairs (the last value of a repeated key wins).
fn plain_dict(py: Python<'_>, pairs: impl IntoIterator<Item = (String, String)>) -> PyResult<Bound<'_, PyAny>> {
    let dict = PyDict::new(py);
    for (k, v) in pairs {
        dict.set_item(k, v)?;
    }
    Ok(dict.into_any())
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

    /// `spikard.datastructures.Headers`: names in lower case, repeated names kept.
    #[getter]
    fn headers(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        cached(py, &self.headers, || {
            let pairs = self
                .inner
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), header_text(v.as_bytes())));
            make(py, "Headers", (PyList::new(py, pairs)?,))
        })
    }

    /// `spikard.datastructures.QueryParams`, decoded: a repeated key keeps every value.
    #[getter]
    fn query_params(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        cached(py, &self.query, || {
            let query = QueryParams::parse(self.inner.query_string());
            let pairs = query.pairs().iter().map(|(k, v)| (k.as_str(), v.as_str()));
            make(py, "QueryParams", (PyList::new(py, pairs)?,))
        })
    }

    /// The whole URL as the client addressed it: `spikard.datastructures.URL`.
    #[getter]
    fn url<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let target = self.inner.uri.path_and_query().map_or("/", |pq| pq.as_str());
        make(py, "URL", (format!("{}{target}", self.origin()),))
    }

    /// The URL of the application's root, `scheme://host/`.
    #[getter]
    fn base_url<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        make(py, "URL", (format!("{}/", self.origin()),))
    }

    /// The peer's `(host, port)` (`spikard.datastructures.Address`), or None.
    #[getter]
    fn client<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .peer
            .map(|peer| make(py, "Address", (peer.ip().to_string(), peer.port())))
            .transpose()
    }

    /// The `Spikard` application serving the request.
    #[getter]
    fn app(&self, py: Python<'_>) -> Py<PyAny> {
        self.app.as_ref().map_or_else(|| py.None(), |a| a.clone_ref(py))
    }

    /// This request's own namespace (`request.state.user = ...`), for dependencies and the
    /// handler to share.
    #[getter]
    fn state(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        cached(py, &self.state, || {
            py.import("spikard.lifespan")?.getattr("State")?.call0()
        })
    }

    #[getter]
    fn cookies(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        cached(py, &self.cookies, || plain_dict(py, self.inner.cookies()))
    }

    /// Path parameters as matched (strings, percent-decoded).
    #[getter]
    fn path_params(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
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
