//! Python return values -> response bytes, in Rust.
//!
//! The common types (dict, list, str, int, float, bool, None) are recognised by exact type
//! checks and written straight into the output buffer; everything else (subclasses, enums,
//! dataclasses, datetimes, UUIDs, decimals, sets, tuples, msgspec and pydantic models) goes
//! through `slow_path`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode, header};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyString, PyTuple, PyType,
};
use spikard_core::json::{write_f64_then, write_i64, write_i64_then, write_str, write_str_then};
use spikard_core::{Response, full};

use crate::layout;

/// Nesting past this is refused: the same limit the parser reads to (so any body echoes),
/// and what a reference cycle runs into.
const MAX_DEPTH: usize = spikard_core::json::MAX_DEPTH;

static RESPONSE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static ENUM: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static UUID: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A handler's return value as the response to send; `status` applies to plain values.
pub fn to_response(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
    status: StatusCode,
    hint: &SizeHint,
) -> PyResult<Response> {
    if value.is_instance(RESPONSE.import(py, "spikard.responses", "Response")?)? {
        return response_object(py, value);
    }
    if let Ok(bytes) = value.cast_exact::<PyBytes>() {
        return Ok(build(
            status,
            Some("application/octet-stream"),
            shared_bytes(bytes.as_any(), bytes.as_bytes()),
        ));
    }
    Ok(build(
        status,
        Some("application/json"),
        Bytes::from(encode_sized(py, value, hint)?),
    ))
}

/// Encodes a value as JSON bytes.
pub fn encode(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    encode_sized(py, value, &SizeHint::default())
}

/// Encodes a value into a buffer sized from `hint`, the last size seen at the same place (a
/// route returns similar documents), so large responses are not grown by repeated copying.
pub fn encode_sized(py: Python<'_>, value: &Bound<'_, PyAny>, hint: &SizeHint) -> PyResult<Vec<u8>> {
    let mut out = Vec::with_capacity(hint.get());
    write_value(py, &mut out, value, 0)?;
    hint.set(out.len());
    Ok(out)
}

/// The size of the last document encoded at one place (a route, or `dumps`).
#[derive(Debug)]
pub struct SizeHint(std::sync::atomic::AtomicUsize);

impl Default for SizeHint {
    fn default() -> Self {
        SizeHint(std::sync::atomic::AtomicUsize::new(128))
    }
}

impl SizeHint {
    fn get(&self) -> usize {
        // A little headroom so a slightly larger document still fits.
        let last = self.0.load(std::sync::atomic::Ordering::Relaxed);
        (last + last / 8).clamp(64, 16 << 20)
    }

    fn set(&self, len: usize) {
        self.0.store(len, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Bodies from this size on are sent from the Python object itself rather than a copy.
const SHARE_FROM: usize = 64 * 1024;

/// A body read from an immutable Python object (`bytes`, or a `str`'s UTF-8): copied when
/// small, otherwise sent from the object's own memory, which it keeps alive, so a large
/// payload shared by many responses (a cached file, say) is never copied per response.
fn shared_bytes(owner: &Bound<'_, PyAny>, data: &[u8]) -> Bytes {
    if data.len() < SHARE_FROM {
        return Bytes::copy_from_slice(data);
    }
    Bytes::from_owner(PyBuffer {
        data: data.as_ptr(),
        len: data.len(),
        _owner: owner.clone().unbind(),
    })
}

/// Memory inside a Python object that `_owner` keeps alive.
struct PyBuffer {
    data: *const u8,
    len: usize,
    _owner: Py<PyAny>,
}

// SAFETY: the bytes are those of an immutable object (`bytes`, or the UTF-8 a `str` caches
// for its lifetime) held by `_owner`, so they neither move nor change while this lives and
// may be read from any thread; `Py` itself may be dropped without the GIL (the decref is
// deferred to the next time the GIL is held).
unsafe impl Send for PyBuffer {}

impl AsRef<[u8]> for PyBuffer {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: see `Send` above: `data..data + len` stays valid while `_owner` lives.
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
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
        (shared_bytes(b.as_any(), b.as_bytes()), Some("application/octet-stream"))
    } else if let Ok(b) = content.cast::<PyByteArray>() {
        (Bytes::from(b.to_vec()), Some("application/octet-stream"))
    } else if let Ok(s) = content.cast::<PyString>() {
        (
            shared_bytes(s.as_any(), s.to_str()?.as_bytes()),
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
            let name = user_header_name(&name)?;
            if name == header::CONTENT_TYPE {
                headers.insert(name, header_value(&val)?);
            } else {
                headers.append(name, header_value(&val)?);
            }
        }
    }
    Ok(response)
}

/// A header name from user code: valid, and not one the server frames the message with
/// (`spikard_core::FRAMING_HEADERS`); those are refused with an error naming them.
pub fn user_header_name(name: &str) -> PyResult<HeaderName> {
    if spikard_core::is_framing_header(name) {
        return Err(PyValueError::new_err(format!(
            "the {name:?} header frames the response and is set by the server; a handler cannot set it"
        )));
    }
    HeaderName::try_from(name).map_err(|_| PyValueError::new_err(format!("invalid header name {name:?}")))
}

fn header_value(value: &str) -> PyResult<HeaderValue> {
    HeaderValue::from_str(value).map_err(|_| PyValueError::new_err(format!("invalid header value {value:?}")))
}

fn write_value(py: Python<'_>, out: &mut Vec<u8>, value: &Bound<'_, PyAny>, depth: usize) -> PyResult<()> {
    // SAFETY: `value` is a live object and `py` proves the GIL is held.
    unsafe { write_object(py, out, value.as_ptr(), depth, None) }
}

/// The hot path: exact type checks on the type pointer, scalars first (the bulk of any
/// document), each written straight from the C API and followed by `then` (the separator
/// after a container's item, when given) under the same capacity check.
///
/// # Safety
/// `obj` must be a live object (it may be borrowed from a container) and the GIL held.
#[inline(always)]
unsafe fn write_object(
    py: Python<'_>,
    out: &mut Vec<u8>,
    obj: *mut ffi::PyObject,
    depth: usize,
    then: Option<u8>,
) -> PyResult<()> {
    use std::ptr::addr_of_mut;
    // SAFETY: (the whole block) `obj` is live and the GIL held (the caller's contract); each
    // accessor is used only on an object whose exact type was just checked. Scalars are
    // immutable and run no Python code, so a borrowed pointer is enough for them.
    unsafe {
        let ty = ffi::Py_TYPE(obj);
        if ty == addr_of_mut!(ffi::PyUnicode_Type) {
            write_unicode(py, out, obj, then)
        } else if ty == addr_of_mut!(ffi::PyLong_Type) {
            write_long(py, out, obj, then)
        } else if ty == addr_of_mut!(ffi::PyFloat_Type) {
            write_float(out, ffi::PyFloat_AS_DOUBLE(obj), then)
        } else if ty == addr_of_mut!(ffi::PyBool_Type) {
            write_literal(out, if obj == ffi::Py_True() { b"true," } else { b"false," }, then);
            Ok(())
        } else if obj == ffi::Py_None() {
            write_literal(out, b"null,", then);
            Ok(())
        } else {
            write_nested(py, out, obj, depth)?;
            push_then(out, then);
            Ok(())
        }
    }
}

/// Containers and everything the slow path handles. Writing them can run Python code (a
/// property, `isoformat`, `model_dump`) that mutates the container `obj` was borrowed
/// from, so `obj` is held by a strong reference while it is written.
///
/// # Safety
/// As for [`write_object`].
unsafe fn write_nested(py: Python<'_>, out: &mut Vec<u8>, obj: *mut ffi::PyObject, depth: usize) -> PyResult<()> {
    use std::ptr::addr_of_mut;
    if depth >= MAX_DEPTH {
        return Err(PyValueError::new_err(
            "value nests too deeply to encode (a reference cycle?)",
        ));
    }
    // SAFETY: per the contract; `held` keeps `obj` alive for the whole call.
    unsafe {
        let held = Bound::from_borrowed_ptr(py, obj);
        let ty = ffi::Py_TYPE(obj);
        if ty == addr_of_mut!(ffi::PyDict_Type) {
            write_dict_object(py, out, obj, depth + 1)
        } else if ty == addr_of_mut!(ffi::PyList_Type) {
            out.push(b'[');
            let mut i = 0;
            while i < ffi::PyList_GET_SIZE(obj) {
                write_object(py, out, ffi::PyList_GET_ITEM(obj, i), depth + 1, Some(b','))?;
                i += 1;
            }
            close(out, b'[', b']');
            Ok(())
        } else {
            slow_path(py, out, &held, depth + 1)
        }
    }
}

/// Appends a literal given with a comma after it (`b"null,"`), followed by `then`: the
/// common case, a comma, is one copy.
#[inline(always)]
fn write_literal(out: &mut Vec<u8>, with_comma: &[u8], then: Option<u8>) {
    if then == Some(b',') {
        out.extend_from_slice(with_comma);
    } else {
        out.extend_from_slice(&with_comma[..with_comma.len() - 1]);
        push_then(out, then);
    }
}

/// Appends the separator `then`, when given.
#[inline(always)]
fn push_then(out: &mut Vec<u8>, then: Option<u8>) {
    if let Some(byte) = then {
        out.push(byte);
    }
}

/// Ends an array or object whose items were each followed by a comma: the last comma
/// becomes the closing bracket (or, when empty, the bracket follows the opening one).
fn close(out: &mut Vec<u8>, open: u8, end: u8) {
    match out.last_mut() {
        Some(last) if *last == b',' => *last = end,
        _ => {
            debug_assert_eq!(out.last(), Some(&open));
            out.push(end);
        }
    }
}

/// An `int`: small ones read straight from their digits (inlined: the common case), the
/// rest by [`write_big_long`].
///
/// # Safety
/// `obj` must be a live `int` (or subclass) instance and the GIL held.
#[inline(always)]
unsafe fn write_long(py: Python<'_>, out: &mut Vec<u8>, obj: *mut ffi::PyObject, then: Option<u8>) -> PyResult<()> {
    // SAFETY: per the contract.
    match unsafe { layout::small_int(obj) } {
        Some(n) => {
            write_i64_then(out, n, then);
            Ok(())
        }
        None => {
            // SAFETY: per the contract.
            unsafe { write_big_long(py, out, obj) }?;
            push_then(out, then);
            Ok(())
        }
    }
}

/// An `int` [`layout::small_int`] does not read: 64-bit values through the C API, larger ones as
/// Python's own digits.
///
/// # Safety
/// As for [`write_long`].
#[inline(never)]
unsafe fn write_big_long(py: Python<'_>, out: &mut Vec<u8>, obj: *mut ffi::PyObject) -> PyResult<()> {
    let mut overflow = 0;
    // SAFETY: per the contract.
    unsafe {
        let n = ffi::PyLong_AsLongLongAndOverflow(obj, &mut overflow);
        if overflow != 0 {
            // Beyond 64 bits: Python's own decimal digits.
            let int = Bound::from_borrowed_ptr(py, obj);
            out.extend_from_slice(int.str()?.to_str()?.as_bytes());
        } else if n == -1 && !ffi::PyErr_Occurred().is_null() {
            return Err(PyErr::fetch(py));
        } else {
            write_i64(out, n);
        }
    }
    Ok(())
}

/// A `str` as a JSON string: compact ASCII strings are read in place (inlined: the common
/// case); others through their UTF-8 form, which CPython caches in the string.
///
/// # Safety
/// `obj` must be a live exact `str` and the GIL held.
#[inline(always)]
unsafe fn write_unicode(py: Python<'_>, out: &mut Vec<u8>, obj: *mut ffi::PyObject, then: Option<u8>) -> PyResult<()> {
    // SAFETY: per the contract; compact ASCII data is `len` bytes at PyUnicode_DATA, alive
    // as long as the string (as is a cached UTF-8 copy).
    let text = unsafe {
        if ffi::PyUnicode_IS_COMPACT_ASCII(obj) != 0 {
            let len = ffi::PyUnicode_GET_LENGTH(obj) as usize;
            std::slice::from_raw_parts(ffi::PyUnicode_DATA(obj).cast::<u8>(), len)
        } else {
            match layout::cached_utf8(obj) {
                Some(text) => text,
                None => utf8_of(py, obj)?,
            }
        }
    };
    // SAFETY: both branches yield UTF-8 (ASCII, or CPython's UTF-8 encoding).
    write_str_then(out, unsafe { std::str::from_utf8_unchecked(text) }, then);
    Ok(())
}

/// A non-ASCII `str`'s UTF-8 form, cached in the string by CPython (lone surrogates fail
/// here, as they cannot be UTF-8).
///
/// # Safety
/// `obj` must be a live exact `str`, alive as long as the returned bytes are used, and the
/// GIL held.
#[inline(never)]
unsafe fn utf8_of<'a>(py: Python<'_>, obj: *mut ffi::PyObject) -> PyResult<&'a [u8]> {
    let mut len: ffi::Py_ssize_t = 0;
    // SAFETY: per the contract; the buffer is owned by the string.
    unsafe {
        let data = ffi::PyUnicode_AsUTF8AndSize(obj, &mut len);
        if data.is_null() {
            return Err(PyErr::fetch(py));
        }
        Ok(std::slice::from_raw_parts(data.cast::<u8>(), len as usize))
    }
}

/// # Safety
/// `obj` must be a live exact `dict`, held by the caller, and the GIL held.
unsafe fn write_dict_object(py: Python<'_>, out: &mut Vec<u8>, obj: *mut ffi::PyObject, depth: usize) -> PyResult<()> {
    // SAFETY: per the contract.
    unsafe { write_dict_entries(py, out, obj, depth, |_, _| true) }.map(drop)
}

/// Writes a dict as a JSON object, showing each key (with its position) to `accept` first.
/// Returns `Ok(false)` at the first key refused, with part of the object written: the
/// caller truncates `out` and writes the value another way.
///
/// # Safety
/// `obj` must be a live exact `dict`, held by the caller, and the GIL held.
#[inline(always)]
unsafe fn write_dict_entries(
    py: Python<'_>,
    out: &mut Vec<u8>,
    obj: *mut ffi::PyObject,
    depth: usize,
    mut accept: impl FnMut(usize, *mut ffi::PyObject) -> bool,
) -> PyResult<bool> {
    out.push(b'{');
    let mut pos: ffi::Py_ssize_t = 0;
    let (mut key, mut value) = (std::ptr::null_mut(), std::ptr::null_mut());
    let mut index = 0;
    // SAFETY: dict_next yields borrowed pointers into a live dict. Keys are only read as
    // text (or, when not `str`, through a held reference); values go through
    // `write_object`, which holds anything that could run Python code.
    unsafe {
        while layout::dict_next(obj, &mut pos, &mut key, &mut value) {
            if !accept(index, key) {
                return Ok(false);
            }
            index += 1;
            if ffi::Py_TYPE(key) == std::ptr::addr_of_mut!(ffi::PyUnicode_Type) {
                write_unicode(py, out, key, Some(b':'))?;
            } else {
                write_key(out, &Bound::from_borrowed_ptr(py, key))?;
                out.push(b':');
            }
            write_object(py, out, value, depth, Some(b','))?;
        }
    }
    close(out, b'{', b'}');
    Ok(true)
}

/// An `int` of any subclass (the slow path's), as [`write_long`] writes exact ones.
fn write_int(out: &mut Vec<u8>, int: &Bound<'_, PyInt>) -> PyResult<()> {
    // SAFETY: `int` is a live int instance and holding a `Bound` proves the GIL is held.
    unsafe { write_long(int.py(), out, int.as_ptr(), None) }
}

#[inline]
fn write_float(out: &mut Vec<u8>, f: f64, then: Option<u8>) -> PyResult<()> {
    if write_f64_then(out, f, then) {
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
            write_float(&mut text, key.extract()?, None)?;
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
    if let Some(fields) = dataclass_fields(py, value)? {
        return write_dataclass(py, out, value, &fields, depth);
    }
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
        write_float(out, f.value(), None)?;
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
    } else if !write_model(py, out, value)? {
        return Err(PyTypeError::new_err(format!(
            "Object of type {} is not JSON serializable",
            value.get_type().name()?
        )));
    }
    Ok(())
}

/// msgspec `Struct`s and pydantic models (when those libraries are installed) as the JSON
/// their own libraries write, in Rust too: `msgspec.json.encode(obj)` and
/// `obj.model_dump_json(by_alias=True)` (as FastAPI writes a response). Written as it is,
/// wherever the object sits in the document. False: `value` is neither.
fn write_model(py: Python<'_>, out: &mut Vec<u8>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
    static MSGSPEC: PyOnceLock<Option<(Py<PyType>, Py<PyAny>)>> = PyOnceLock::new();
    static PYDANTIC: PyOnceLock<Option<Py<PyType>>> = PyOnceLock::new();
    let msgspec = MSGSPEC.get_or_init(py, || {
        let module = py.import("msgspec").ok()?;
        let structs = module.getattr("Struct").ok()?.cast_into::<PyType>().ok()?;
        let encode = module.getattr("json").ok()?.getattr("encode").ok()?;
        Some((structs.unbind(), encode.unbind()))
    });
    if let Some((struct_type, encode)) = msgspec
        && value.is_instance(struct_type.bind(py))?
    {
        out.extend_from_slice(encode.bind(py).call1((value,))?.cast_into::<PyBytes>()?.as_bytes());
        return Ok(true);
    }
    let pydantic = PYDANTIC.get_or_init(py, || {
        let base = py.import("pydantic").ok()?.getattr("BaseModel").ok()?;
        Some(base.cast_into::<PyType>().ok()?.unbind())
    });
    if let Some(base) = pydantic
        && value.is_instance(base.bind(py))?
    {
        let kwargs = PyDict::new(py);
        kwargs.set_item(pyo3::intern!(py, "by_alias"), true)?;
        let text = value.call_method(pyo3::intern!(py, "model_dump_json"), (), Some(&kwargs))?;
        out.extend_from_slice(text.cast_into::<PyString>()?.to_str()?.as_bytes());
        return Ok(true);
    }
    Ok(false)
}

/// The data fields of a dataclass type, in order (a tuple of their names), or `None` for
/// any other type.
type Fields = Option<Py<PyTuple>>;

thread_local! {
    /// [`Fields`] per type seen on this thread's slow path (the dispatcher's, or a blocking
    /// worker's), keyed by the type object, which the entry keeps alive: a dataclass's fields
    /// are read once, not per response, and looked up without a lock.
    static DATACLASS_FIELDS: RefCell<FieldCache> = RefCell::default();
}
type FieldCache = HashMap<usize, (Py<PyType>, Fields), BuildHasherDefault<PointerHasher>>;

/// Hashes a type's address: a multiply spreads its aligned bits (no need for SipHash's
/// defence against chosen keys: these are type objects, not client input).
#[derive(Default)]
struct PointerHasher(u64);

impl Hasher for PointerHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

thread_local! {
    /// The last few types looked up, in front of [`DATACLASS_FIELDS`] (a response holds a
    /// handful of model types, each many times): (type address, address of its fields tuple
    /// or 0 for "not a dataclass"). Both are owned by `DATACLASS_FIELDS` entries, which are
    /// never removed, so the addresses stay valid and unique for the thread's life.
    static RECENT: Cell<[(usize, usize); 4]> = const { Cell::new([(0, 0); 4]) };
}

fn dataclass_fields<'py>(py: Python<'py>, value: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyTuple>>> {
    let key = value.get_type_ptr() as usize;
    let recent = RECENT.get();
    if let Some(&(_, fields)) = recent.iter().find(|(ty, _)| *ty == key) {
        // SAFETY: a tuple kept alive by its `DATACLASS_FIELDS` entry (see `RECENT`).
        return Ok((fields != 0)
            .then(|| unsafe { Bound::from_borrowed_ptr(py, fields as *mut ffi::PyObject).cast_into_unchecked() }));
    }
    let fields = lookup_dataclass_fields(py, value)?;
    let address = fields.as_ref().map_or(0, |f| f.as_ptr() as usize);
    RECENT.set([(key, address), recent[0], recent[1], recent[2]]);
    Ok(fields)
}

fn lookup_dataclass_fields<'py>(py: Python<'py>, value: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyTuple>>> {
    use pyo3::intern;
    let ty = value.get_type();
    let key = ty.as_ptr() as usize;
    let cached = DATACLASS_FIELDS.with_borrow(|cache| {
        cache
            .get(&key)
            .map(|(_, fields)| fields.as_ref().map(|f| f.bind(py).clone()))
    });
    if let Some(fields) = cached {
        return Ok(fields);
    }
    let mut fields = None;
    if let Ok(declared) = ty.getattr(intern!(py, "__dataclass_fields__"))
        && let Ok(declared) = declared.cast::<PyDict>()
    {
        let mut names = Vec::new();
        for (name, field) in declared.iter() {
            // ClassVar and InitVar pseudo-fields are not data.
            let kind = field.getattr(intern!(py, "_field_type"))?;
            if kind.getattr(intern!(py, "name"))?.cast::<PyString>()?.to_str()? == "_FIELD" {
                names.push(name);
            }
        }
        fields = Some(PyTuple::new(py, names)?);
    }
    let entry = (ty.unbind(), fields.as_ref().map(|f| f.clone().unbind()));
    DATACLASS_FIELDS.with_borrow_mut(|cache| cache.insert(key, entry));
    Ok(fields)
}

fn write_dataclass(
    py: Python<'_>,
    out: &mut Vec<u8>,
    value: &Bound<'_, PyAny>,
    fields: &Bound<'_, PyTuple>,
    depth: usize,
) -> PyResult<()> {
    // Fields are read from the instance's `__dict__` where they are (one lookup each),
    // through `getattr` otherwise (slots, properties). A `__dict__` holding exactly the
    // fields, in order (as `__init__` leaves it), is written like any dict, its keys checked
    // against the field names (by identity: they are the same interned strings) as it goes.
    // SAFETY: PyObject_GenericGetDict returns a new reference to the instance dict, or NULL
    // with an error set (no dict slot), which `from_owned_ptr_or_err` turns into an `Err`.
    let dict =
        unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyObject_GenericGetDict(value.as_ptr(), std::ptr::null_mut())) }
            .ok();
    let dict = dict.as_ref().and_then(|d| d.cast::<PyDict>().ok());
    if let Some(d) = dict
        && d.len() == fields.len()
    {
        let (mark, names) = (out.len(), fields.as_slice());
        let same = |i: usize, key| names.get(i).is_some_and(|name| name.as_ptr() == key);
        // SAFETY: `d` is a live dict we hold a reference to for the call.
        if unsafe { write_dict_entries(py, out, d.as_ptr(), depth, same) }? {
            return Ok(());
        }
        out.truncate(mark);
    }
    out.push(b'{');
    for (i, name) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let name = name.cast_into::<PyString>()?;
        write_str(out, name.to_str()?);
        out.push(b':');
        let field = match dict.map(|d| d.get_item(&name)).transpose()?.flatten() {
            Some(field) => field,
            None => value.getattr(&name)?,
        };
        write_value(py, out, &field, depth + 1)?;
    }
    out.push(b'}');
    Ok(())
}

thread_local! {
    /// `dumps` encodes into this buffer, kept between calls, then copies the result into
    /// the `bytes` it returns: a fresh buffer per call would be allocated, page-faulted
    /// in and freed each time (large ones are mapped anew by malloc).
    static DUMPS_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A buffer bigger than this is not kept for the next `dumps`.
const DUMPS_KEEP: usize = 4 << 20;

/// `_spikard.dumps(obj) -> bytes`: the response encoder, exposed for tests and benchmarks.
#[pyfunction]
fn dumps<'py>(py: Python<'py>, obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    DUMPS_BUFFER.with(|cell| {
        // Re-entered (a value's Python code calling `dumps`): the inner call gets its own.
        let Ok(mut buffer) = cell.try_borrow_mut() else {
            return Ok(PyBytes::new(py, &encode(py, obj)?));
        };
        buffer.clear();
        let written = write_value(py, &mut buffer, obj, 0).map(|()| PyBytes::new(py, &buffer));
        if buffer.capacity() > DUMPS_KEEP {
            *buffer = Vec::new();
        }
        written
    })
}

pub fn init_pymodule(m: &Bound<'_, PyModule>) -> PyResult<()> {
    layout::init(m.py())?;
    m.add("FRAMING_HEADERS", spikard_core::FRAMING_HEADERS.to_vec())?;
    m.add_function(wrap_pyfunction!(dumps, m)?)
}
