//! JSON tape and coerced parameters -> Python objects, built while walking, with no
//! intermediate value tree and no JSON text handed to Python.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyType};
use spikard_core::json::{JsonDocument, Node, StaticNode};
use spikard_core::validate::{Coerced, ParamValue};

static UUID: PyOnceLock<Py<PyType>> = PyOnceLock::new();

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
    let doc = JsonDocument::parse(data.to_vec()).map_err(|e| crate::errors::problem_error(py, e))?;
    document(py, &doc)
}

pub fn init_pymodule(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(loads, m)?)
}
