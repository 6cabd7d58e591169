//! JSON tape and coerced parameters -> Python objects, built while walking, with no
//! intermediate value tree and no JSON text handed to Python.

use bytes::Bytes;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyType};
use spikard_core::json::{JsonDocument, Node, StaticNode};
use spikard_core::validate::{Coerced, ParamValue};
use spikard_core::{FieldError, Problem, Source};

static UUID: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static LOADS_BIG: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A JSON body parsed on the I/O side, ready for the GIL side.
pub enum JsonBody {
    /// The simd-json tape: the normal case.
    Tape(JsonDocument),
    /// A valid document holding an integer past 64 bits, which the tape cannot carry. It is
    /// decoded by Python's `json` module instead (`spikard._json.loads_big`), so big
    /// integers arrive as exact Python ints.
    BigIntegers(Bytes),
}

impl JsonBody {
    /// Parses `body`; malformed JSON is the 400 problem to answer with.
    pub fn parse(body: &Bytes) -> Result<JsonBody, Problem> {
        match JsonDocument::parse(body.to_vec()) {
            Ok(doc) => Ok(JsonBody::Tape(doc)),
            Err(err) if err.big_integer => Ok(JsonBody::BigIntegers(body.clone())),
            Err(err) => Err(err.problem),
        }
    }

    /// Whether the top-level value is an object (`{`) or an array (`[`), if either.
    pub fn opens_with(&self) -> Option<u8> {
        match self {
            JsonBody::Tape(doc) => match doc.nodes().first() {
                Some(Node::Object { .. }) => Some(b'{'),
                Some(Node::Array { .. }) => Some(b'['),
                _ => None,
            },
            JsonBody::BigIntegers(text) => text.iter().find(|b| !b.is_ascii_whitespace()).copied(),
        }
    }

    /// The body for an error report's `input`.
    pub fn to_value(&self) -> serde_json::Value {
        match self {
            JsonBody::Tape(doc) => doc.to_value(),
            JsonBody::BigIntegers(text) => serde_json::Value::String(String::from_utf8_lossy(text).into_owned()),
        }
    }

    /// The document as Python objects.
    pub fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            JsonBody::Tape(doc) => document(py, doc),
            JsonBody::BigIntegers(text) => {
                let loads = LOADS_BIG.import(py, "spikard._json", "loads_big")?;
                loads.call1((PyBytes::new(py, text),)).map_err(|err| {
                    let detail = err.value(py).to_string();
                    let error =
                        FieldError::new("json_invalid", Source::Body, "JSON decode error", serde_json::json!({}))
                            .with_ctx("error", detail);
                    crate::errors::problem_error(py, Problem::malformed_json(error))
                })
            }
        }
    }
}

/// The whole document as Python objects (dict, list, str, int, float, bool, None).
pub fn document<'py>(py: Python<'py>, doc: &JsonDocument) -> PyResult<Bound<'py, PyAny>> {
    Ok(value(py, doc.nodes())?.0)
}

/// Builds the value at `nodes[0]`; returns it and the number of nodes it spans.
fn value<'py>(py: Python<'py>, nodes: &[Node<'_>]) -> PyResult<(Bound<'py, PyAny>, usize)> {
    Ok(match nodes[0] {
        Node::String(s) => (PyString::new(py, s).into_any(), 1),
        Node::Static(s) => (scalar(py, s)?, 1),
        Node::Array { len, count } => {
            let list = PyList::empty(py);
            let mut at = 1;
            for _ in 0..len {
                let (item, used) = value(py, &nodes[at..])?;
                list.append(item)?;
                at += used;
            }
            (list.into_any(), count + 1)
        }
        Node::Object { len, count } => {
            let dict = PyDict::new(py);
            let mut at = 1;
            for _ in 0..len {
                let Node::String(key) = nodes[at] else {
                    return Err(PyValueError::new_err("JSON object key is not a string"));
                };
                let (item, used) = value(py, &nodes[at + 1..])?;
                dict.set_item(PyString::new(py, key), item)?;
                at += 1 + used;
            }
            (dict.into_any(), count + 1)
        }
    })
}

fn scalar(py: Python<'_>, node: StaticNode) -> PyResult<Bound<'_, PyAny>> {
    Ok(match node {
        StaticNode::Null => py.None().into_bound(py),
        StaticNode::Bool(b) => PyBool::new(py, b).to_owned().into_any(),
        StaticNode::I64(n) => n.into_pyobject(py)?.into_any(),
        StaticNode::U64(n) => n.into_pyobject(py)?.into_any(),
        StaticNode::F64(f) => PyFloat::new(py, f).into_any(),
    })
}

/// A coerced parameter value as the Python object its annotation names.
pub fn coerced<'py>(py: Python<'py>, value: &Coerced) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Coerced::Str(s) => PyString::new(py, s).into_any(),
        Coerced::Int(n) => n.into_pyobject(py)?.into_any(),
        Coerced::BigInt(digits) => py.get_type::<PyInt>().call1((digits.as_str(),))?,
        Coerced::Float(f) => PyFloat::new(py, *f).into_any(),
        Coerced::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Coerced::Uuid(n) => {
            let uuid = UUID.import(py, "uuid", "UUID")?;
            let kwargs = PyDict::new(py);
            kwargs.set_item(pyo3::intern!(py, "int"), *n)?;
            uuid.call((), Some(&kwargs))?
        }
    })
}

/// A parameter's value, or `None` when it was absent (the caller applies defaults).
pub fn param<'py>(py: Python<'py>, value: &ParamValue) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(match value {
        ParamValue::One(v) => Some(coerced(py, v)?),
        ParamValue::Many(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(coerced(py, item)?)?;
            }
            Some(list.into_any())
        }
        ParamValue::Absent => None,
    })
}

/// `_spikard.loads(bytes)`: the request-body decoder, exposed for tests and benchmarks.
#[pyfunction]
fn loads<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let body = JsonBody::parse(&Bytes::copy_from_slice(data)).map_err(|p| crate::errors::problem_error(py, p))?;
    body.to_python(py)
}

pub fn init_pymodule(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(loads, m)?)
}
