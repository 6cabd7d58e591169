//! Python return values -> response bytes, in Rust.
//!
//! The common types (dict, list, str, int, float, bool, None) are recognised by exact type
//! checks and written straight into the output buffer; everything else (subclasses, enums,
//! dataclasses, datetimes, UUIDs, decimals, sets, tuples) goes through `slow_path`.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode, header};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyString, PyTuple, PyType,
};
use spikard_core::json::{write_f64, write_i64, write_str};
use spikard_core::{Response, full};

/// Nesting past this is taken for a reference cycle.
const MAX_DEPTH: usize = 255;

static RESPONSE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static ENUM: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static UUID: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static IS_DATACLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A handler's return value as the response to send; `status` applies to plain values.
pub fn to_response(py: Python<'_>, value: &Bound<'_, PyAny>, status: StatusCode) -> PyResult<Response> {
    if value.is_instance(RESPONSE.import(py, "spikard.responses", "Response")?)? {
        return response_object(py, value);
    }
    if let Ok(bytes) = value.cast_exact::<PyBytes>() {
        return Ok(build(
            status,
            Some("application/octet-stream"),
            Bytes::copy_from_slice(bytes.as_bytes()),
        ));
    }
    Ok(build(status, Some("application/json"), Bytes::from(encode(py, value)?)))
}

/// Encodes a value as JSON bytes.
pub fn encode(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    write_value(py, &mut out, value, 0)?;
    Ok(out)
}

fn build(status: StatusCode, content_type: Option<&'static str>, body: Bytes) -> Response {
    let mut response = http::Response::new(full(body));
    *response.status_mut() = status;
    if let Some(ct) = content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    response
}

/// `spikard.Response(content, status_code, headers, media_type)`.
fn response_object(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Response> {
    use pyo3::intern;
    let status: u16 = value.getattr(intern!(py, "status_code"))?.extract()?;
    let status =
        StatusCode::from_u16(status).map_err(|_| PyValueError::new_err(format!("invalid status code {status}")))?;
    let content = value.getattr(intern!(py, "content"))?;
    let (body, default_type) = if content.is_none() {
        (Bytes::new(), None)
    } else if let Ok(b) = content.cast::<PyBytes>() {
        (Bytes::copy_from_slice(b.as_bytes()), Some("application/octet-stream"))
    } else if let Ok(b) = content.cast::<PyByteArray>() {
        (Bytes::from(b.to_vec()), Some("application/octet-stream"))
    } else if let Ok(s) = content.cast::<PyString>() {
        (
            Bytes::copy_from_slice(s.to_str()?.as_bytes()),
            Some("text/plain; charset=utf-8"),
        )
    } else {
        (Bytes::from(encode(py, &content)?), Some("application/json"))
    };
    let mut response = build(status, None, body);
    let headers = response.headers_mut();
    let media_type = value.getattr(intern!(py, "media_type"))?;
    if !media_type.is_none() {
        headers.insert(
            header::CONTENT_TYPE,
            header_value(media_type.cast::<PyString>()?.to_str()?)?,
        );
    } else if let Some(ct) = default_type {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    let extra = value.getattr(intern!(py, "headers"))?;
    if !extra.is_none() {
        for item in extra.call_method0(intern!(py, "items"))?.try_iter()? {
            let (name, val): (String, String) = item?.extract()?;
            let name = HeaderName::try_from(name.as_str())
                .map_err(|_| PyValueError::new_err(format!("invalid header name {name:?}")))?;
            if name == header::CONTENT_TYPE {
                headers.insert(name, header_value(&val)?);
            } else {
                headers.append(name, header_value(&val)?);
            }
        }
    }
    Ok(response)
}

fn header_value(value: &str) -> PyResult<HeaderValue> {
    HeaderValue::from_str(value).map_err(|_| PyValueError::new_err(format!("invalid header value {value:?}")))
}

fn write_value(py: Python<'_>, out: &mut Vec<u8>, value: &Bound<'_, PyAny>, depth: usize) -> PyResult<()> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(
            "value nests too deeply to encode (a reference cycle?)",
        ));
    }
    if let Ok(s) = value.cast_exact::<PyString>() {
        write_str(out, s.to_str()?);
    } else if let Ok(dict) = value.cast_exact::<PyDict>() {
        write_dict(py, out, dict, depth)?;
    } else if let Ok(list) = value.cast_exact::<PyList>() {
        write_seq(py, out, list.iter(), depth)?;
    } else if value.is_exact_instance_of::<PyBool>() {
        out.extend_from_slice(if value.is_truthy()? { b"true" } else { b"false" });
    } else if let Ok(int) = value.cast_exact::<PyInt>() {
        write_int(out, int)?;
    } else if let Ok(f) = value.cast_exact::<PyFloat>() {
        write_float(out, f.value())?;
    } else if value.is_none() {
        out.extend_from_slice(b"null");
    } else {
        slow_path(py, out, value, depth)?;
    }
    Ok(())
}

fn write_int(out: &mut Vec<u8>, int: &Bound<'_, PyInt>) -> PyResult<()> {
    match int.extract::<i64>() {
        Ok(n) => write_i64(out, n),
        // Beyond 64 bits: Python's own decimal digits.
        Err(_) => out.extend_from_slice(int.str()?.to_str()?.as_bytes()),
    }
    Ok(())
}

fn write_float(out: &mut Vec<u8>, f: f64) -> PyResult<()> {
    if write_f64(out, f) {
        Ok(())
    } else {
        Err(PyValueError::new_err(
            "Out of range float values are not JSON compliant",
        ))
    }
}

fn write_dict(py: Python<'_>, out: &mut Vec<u8>, dict: &Bound<'_, PyDict>, depth: usize) -> PyResult<()> {
    out.push(b'{');
    for (i, (key, item)) in dict.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_key(out, &key)?;
        out.push(b':');
        write_value(py, out, &item, depth + 1)?;
    }
    out.push(b'}');
    Ok(())
}

/// Keys must be strings; like `json.dumps`, ints, floats, bools and None are written as
/// their JSON text in quotes.
fn write_key(out: &mut Vec<u8>, key: &Bound<'_, PyAny>) -> PyResult<()> {
    if let Ok(s) = key.cast::<PyString>() {
        write_str(out, s.to_str()?);
    } else if key.is_instance_of::<PyBool>() {
        write_str(out, if key.is_truthy()? { "true" } else { "false" });
    } else if key.is_none() {
        write_str(out, "null");
    } else if key.is_instance_of::<PyInt>() || key.is_instance_of::<PyFloat>() {
        let mut text = Vec::new();
        if let Ok(int) = key.cast::<PyInt>() {
            write_int(&mut text, int)?;
        } else {
            write_float(&mut text, key.extract()?)?;
        }
        write_str(out, std::str::from_utf8(&text).expect("numbers are ASCII"));
    } else {
        return Err(PyTypeError::new_err(format!(
            "keys must be str, int, float, bool or None, not {}",
            key.get_type().name()?
        )));
    }
    Ok(())
}

fn write_seq<'py>(
    py: Python<'py>,
    out: &mut Vec<u8>,
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    depth: usize,
) -> PyResult<()> {
    out.push(b'[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_value(py, out, &item, depth + 1)?;
    }
    out.push(b']');
    Ok(())
}

/// Everything that is not exactly one of the common types.
#[inline(never)]
fn slow_path(py: Python<'_>, out: &mut Vec<u8>, value: &Bound<'_, PyAny>, depth: usize) -> PyResult<()> {
    use pyo3::intern;
    if value.is_instance(ENUM.import(py, "enum", "Enum")?)? {
        return write_value(py, out, &value.getattr(intern!(py, "value"))?, depth + 1);
    }
    // Subclasses of the JSON types (str-enums were handled above).
    if let Ok(s) = value.cast::<PyString>() {
        write_str(out, s.to_str()?);
    } else if value.is_instance_of::<PyBool>() {
        out.extend_from_slice(if value.is_truthy()? { b"true" } else { b"false" });
    } else if let Ok(int) = value.cast::<PyInt>() {
        write_int(out, int)?;
    } else if let Ok(f) = value.cast::<PyFloat>() {
        write_float(out, f.value())?;
    } else if let Ok(dict) = value.cast::<PyDict>() {
        write_dict(py, out, dict, depth)?;
    } else if let Ok(list) = value.cast::<PyList>() {
        write_seq(py, out, list.iter(), depth)?;
    } else if let Ok(tuple) = value.cast::<PyTuple>() {
        write_seq(py, out, tuple.iter(), depth)?;
    } else if value.is_instance_of::<PySet>() || value.is_instance_of::<PyFrozenSet>() {
        write_seq(
            py,
            out,
            value.try_iter()?.collect::<PyResult<Vec<_>>>()?.into_iter(),
            depth,
        )?;
    } else if value.is_instance(DATE.import(py, "datetime", "date")?)?
        || value.is_instance(TIME.import(py, "datetime", "time")?)?
    {
        write_str(
            out,
            value
                .call_method0(intern!(py, "isoformat"))?
                .cast::<PyString>()?
                .to_str()?,
        );
    } else if value.is_instance(UUID.import(py, "uuid", "UUID")?)? {
        write_str(out, value.str()?.to_str()?);
    } else if value.is_instance(DECIMAL.import(py, "decimal", "Decimal")?)? {
        if !value.call_method0(intern!(py, "is_finite"))?.is_truthy()? {
            return Err(PyValueError::new_err(
                "Out of range Decimal values are not JSON compliant",
            ));
        }
        out.extend_from_slice(value.str()?.to_str()?.as_bytes());
    } else if is_dataclass_instance(py, value)? {
        write_dataclass(py, out, value, depth)?;
    } else {
        return Err(PyTypeError::new_err(format!(
            "Object of type {} is not JSON serializable",
            value.get_type().name()?
        )));
    }
    Ok(())
}

fn is_dataclass_instance(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
    if value.is_instance_of::<PyType>() {
        return Ok(false);
    }
    let is_dataclass = IS_DATACLASS.get_or_try_init(py, || {
        py.import("dataclasses")?.getattr("is_dataclass").map(Bound::unbind)
    })?;
    is_dataclass.bind(py).call1((value,))?.is_truthy()
}

fn write_dataclass(py: Python<'_>, out: &mut Vec<u8>, value: &Bound<'_, PyAny>, depth: usize) -> PyResult<()> {
    use pyo3::intern;
    let fields = value.getattr(intern!(py, "__dataclass_fields__"))?;
    let fields = fields.cast::<PyDict>()?;
    out.push(b'{');
    let mut first = true;
    for (name, field) in fields.iter() {
        // ClassVar and InitVar pseudo-fields are not data.
        let kind = field.getattr(intern!(py, "_field_type"))?;
        if kind.getattr(intern!(py, "name"))?.cast::<PyString>()?.to_str()? != "_FIELD" {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        let name = name.cast::<PyString>()?;
        write_str(out, name.to_str()?);
        out.push(b':');
        write_value(py, out, &value.getattr(name)?, depth + 1)?;
    }
    out.push(b'}');
    Ok(())
}

/// `_spikard.dumps(obj) -> bytes`: the response encoder, exposed for tests and benchmarks.
#[pyfunction]
fn dumps<'py>(py: Python<'py>, obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    Ok(PyBytes::new(py, &encode(py, obj)?))
}

pub fn init_pymodule(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(dumps, m)?)
}
