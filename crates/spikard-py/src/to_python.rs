//! JSON tape and coerced parameters -> Python objects, built while walking, with no
//! intermediate value tree and no JSON text handed to Python.

use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyType};
use spikard_core::Problem;
use spikard_core::json::{JsonDocument, JsonError, KnownKey, Node, StaticNode, is_ascii_word, same_bytes};
use spikard_core::validate::{Coerced, JsonBody, ParamValue};

use crate::shape::Shape;

static UUID: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static LOADS_BIG: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A parsed body as the annotated Python value `shape` describes (plain objects without
/// one), built in the same walk over the tape.
pub fn body<'py>(py: Python<'py>, body: &JsonBody, shape: Option<&Shape>) -> PyResult<Bound<'py, PyAny>> {
    match body {
        JsonBody::Tape(doc) => document(py, doc, shape),
        JsonBody::BigIntegers(text) => {
            let loads = LOADS_BIG.import(py, "spikard._json", "loads_big")?;
            loads
                .call1((PyBytes::new(py, text),))
                .map_err(|err| {
                    let reason = err.value(py).to_string();
                    crate::errors::problem_error(py, Problem::malformed_json(None, reason))
                })
                .and_then(|value| match shape {
                    Some(shape) => shape.apply(value),
                    None => Ok(value),
                })
        }
    }
}

/// The whole document as Python objects (dict, list, str, int, float, bool, None), or as
/// the annotated value `shape` describes.
fn document<'py>(py: Python<'py>, doc: &JsonDocument, shape: Option<&Shape>) -> PyResult<Bound<'py, PyAny>> {
    let _paused = GcPause::new(doc.nodes().len());
    let mut at = 0;
    // Per thread, so no lock is held while a shape runs Python code (constructors can let
    // another thread take the GIL). Re-entered on the same thread (a constructor decoding
    // JSON itself), the inner walk goes without the cache.
    KEYS.with(|cell| {
        let mut spare = None;
        let mut borrowed = cell.try_borrow_mut().ok();
        let cache = match borrowed.as_deref_mut() {
            Some(keys) => keys,
            None => spare.insert(KeyCache::default()),
        };
        let keys = &mut Keys { cache, doc };
        match shape {
            Some(shape) => build_shaped(py, doc.nodes(), &mut at, keys, shape),
            None => build(py, doc.nodes(), &mut at, keys),
        }
    })
}

/// Pauses Python's cyclic garbage collector while a large document is built. Objects made
/// from JSON cannot form reference cycles, so collections that would run in the middle
/// (one per 700 new containers) find nothing to free; they are deferred to the next
/// allocation after the build. Small documents never reach a collection and skip this.
struct GcPause(bool);

impl GcPause {
    const MIN_NODES: usize = 256;

    fn new(nodes: usize) -> GcPause {
        // SAFETY: called with the GIL held (we hold a `Python` token in every caller).
        GcPause(nodes >= Self::MIN_NODES && unsafe { ffi::PyGC_Disable() } == 1)
    }
}

impl Drop for GcPause {
    fn drop(&mut self) {
        if self.0 {
            // SAFETY: still under the GIL; re-enables only what `new` disabled.
            unsafe {
                ffi::PyGC_Enable();
            }
        }
    }
}

thread_local! {
    /// Object keys repeat across requests ("id", "name", ...): a small direct-mapped cache of
    /// the Python strings made for them, as orjson does, saves allocating and hashing each
    /// one. One per thread that decodes (the dispatcher, blocking workers).
    static KEYS: std::cell::RefCell<KeyCache> = std::cell::RefCell::default();
}

/// A power of two.
const KEY_SLOTS: usize = 2048;
const KEY_MAX_LEN: usize = 64;

/// Interned object keys, direct-mapped by a hash of their text. Only ASCII keys are kept
/// (almost every key). Each slot holds the key's first word (zero-padded) beside the
/// string, so a lookup of a key of up to eight bytes — nearly all — is one load from the
/// document's buffer, a hash of that word and a compare with the slot, without a loop or a
/// branch on the key's length and without reading the cached string's text.
#[derive(Default)]
struct KeyCache {
    slots: Vec<KeySlot>,
}

#[derive(Default)]
struct KeySlot {
    head: u64,
    /// The key's length in bytes: with `head`, all a lookup of a key of up to eight bytes
    /// compares, so a hit does not wait on reading the cached string.
    len: usize,
    key: Option<Py<PyString>>,
}

/// The key cache during one walk, with the document whose keys it looks up.
struct Keys<'a> {
    cache: &'a mut KeyCache,
    doc: &'a JsonDocument,
}

impl Keys<'_> {
    /// A string value of the document, as [`new_str`] makes it; whether a short one is ASCII
    /// is read from its first word (one load, as for keys) rather than byte by byte.
    #[inline]
    fn string<'py>(&self, py: Python<'py>, s: &str) -> PyResult<Bound<'py, PyAny>> {
        match self.doc.head_word(s) {
            Some(head) if s.len() <= 8 && is_ascii_word(head) => new_ascii_str(py, s),
            _ => new_str(py, s),
        }
    }

    #[inline(always)]
    fn get<'py>(&mut self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let bytes = key.as_bytes();
        let n = bytes.len();
        if n == 0 || n > KEY_MAX_LEN {
            return uncached_key(py, key);
        }
        let head = match self.doc.head_word(key) {
            Some(head) => head,
            // Not on this document's tape (not expected): pad by hand.
            None => KnownKey::head(bytes) & (u64::MAX >> (64 - 8 * n.min(8))),
        };
        if !is_ascii_word(head) || (n > 8 && !key.is_ascii()) {
            return uncached_key(py, key);
        }
        // Multiplicative hashing, mixed once more (high bits into low, multiplied again:
        // a single product lets keys that differ in a few low bytes collide); the slot
        // comes from the top bits.
        let mut hash = (head ^ n as u64).wrapping_mul(K);
        for chunk in bytes.get(8..).unwrap_or_default().chunks(8) {
            hash = (hash ^ chunk.iter().fold(0, |w, &b| w << 8 | u64::from(b))).wrapping_mul(K);
        }
        hash = (hash ^ hash >> 32).wrapping_mul(K);
        let index = (hash >> (64 - KEY_SLOTS.trailing_zeros())) as usize;
        if let Some(slot) = self.cache.slots.get(index)
            && slot.head == head
            && slot.len == n
            && let Some(cached) = &slot.key
            && (n <= 8 || same_bytes(&ascii_bytes(cached.bind(py))[8..], &bytes[8..]))
        {
            return Ok(cached.bind(py).clone().into_any());
        }
        self.cache.fill(py, index, head, key)
    }
}

impl KeyCache {
    /// A key missed in the cache: made, hashed and kept in slot `index`.
    #[cold]
    #[inline(never)]
    fn fill<'py>(&mut self, py: Python<'py>, index: usize, head: u64, key: &str) -> PyResult<Bound<'py, PyAny>> {
        if self.slots.is_empty() {
            self.slots.resize_with(KEY_SLOTS, KeySlot::default);
        }
        let fresh = new_str(py, key)?;
        // Hash it now, once: every dict it is inserted into reuses the cached hash.
        fresh.hash()?;
        self.slots[index] = KeySlot {
            head,
            len: key.len(),
            key: Some(fresh.cast::<PyString>()?.clone().unbind()),
        };
        Ok(fresh)
    }
}

/// A key the cache does not keep (empty, long or not ASCII).
#[cold]
#[inline(never)]
fn uncached_key<'py>(py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
    new_str(py, key)
}

/// The text of a compact ASCII string (every string the key cache holds).
#[inline]
fn ascii_bytes<'a>(s: &'a Bound<'_, PyString>) -> &'a [u8] {
    // SAFETY: the cache holds only strings made by `new_str` from ASCII text, which are
    // compact ASCII: `len` bytes at PyUnicode_DATA, alive as long as the string.
    unsafe {
        let obj = s.as_ptr();
        std::slice::from_raw_parts(
            ffi::PyUnicode_DATA(obj).cast::<u8>(),
            ffi::PyUnicode_GET_LENGTH(obj) as usize,
        )
    }
}

/// A new Python string. ASCII text (the common case) is copied straight into a compact
/// ASCII string, skipping the UTF-8 decoder.
#[inline]
fn new_str<'py>(py: Python<'py>, s: &str) -> PyResult<Bound<'py, PyAny>> {
    if !s.is_ascii() {
        return new_wide_str(py, s);
    }
    new_ascii_str(py, s)
}

/// [`new_str`] for text known to be ASCII.
#[inline]
fn new_ascii_str<'py>(py: Python<'py>, s: &str) -> PyResult<Bound<'py, PyAny>> {
    debug_assert!(s.is_ascii());
    // SAFETY: PyUnicode_New(len, 127) makes an uninitialised compact ASCII string of `len`
    // characters whose data (one byte each) starts at PyUnicode_DATA; we fill exactly `len`
    // bytes of ASCII before anything else can see it.
    unsafe {
        let obj = ffi::PyUnicode_New(s.len() as ffi::Py_ssize_t, 127);
        let obj = Bound::from_owned_ptr_or_err(py, obj)?;
        std::ptr::copy_nonoverlapping(s.as_ptr(), ffi::PyUnicode_DATA(obj.as_ptr()).cast::<u8>(), s.len());
        Ok(obj)
    }
}

/// A new Python string from non-ASCII text: the characters counted and their widest
/// found, then written straight into a compact string of that width (1, 2 or 4 bytes a
/// character), as CPython would store it, without its general-purpose decoder.
#[inline(never)]
fn new_wide_str<'py>(py: Python<'py>, s: &str) -> PyResult<Bound<'py, PyAny>> {
    let (count, widest) = s.chars().fold((0, 0), |(n, max), c| (n + 1, max.max(u32::from(c))));
    // SAFETY: PyUnicode_New(count, widest) makes an uninitialised compact string of `count`
    // characters of the kind `widest` needs; exactly `count` are written, each in that
    // kind's width, before anything else can see it.
    unsafe {
        let obj = ffi::PyUnicode_New(count as ffi::Py_ssize_t, widest);
        let obj = Bound::from_owned_ptr_or_err(py, obj)?;
        let data = ffi::PyUnicode_DATA(obj.as_ptr());
        if widest < 0x100 {
            fill(data.cast::<u8>(), s, |c| c as u8);
        } else if widest < 0x1_0000 {
            fill(data.cast::<u16>(), s, |c| c as u16);
        } else {
            fill(data.cast::<u32>(), s, u32::from);
        }
        Ok(obj)
    }
}

/// Writes `s`'s characters, each as `unit` makes it, to consecutive units from `data`.
///
/// # Safety
/// `data` must be valid for writing as many units as `s` has characters.
unsafe fn fill<T>(data: *mut T, s: &str, unit: impl Fn(char) -> T) {
    for (i, c) in s.chars().enumerate() {
        // SAFETY: `i` is below the character count, per the contract.
        unsafe { data.add(i).write(unit(c)) };
    }
}

/// Builds the item at `nodes[*at]` of an array or object, advancing `at` past it, as a new
/// reference (NULL with the Python error set on failure): strings and scalars (most
/// items) inline, with no `PyResult` passed through memory; containers through [`build`].
///
/// # Safety
/// The GIL must be held (`py` proves it).
#[inline(always)]
unsafe fn item(py: Python<'_>, nodes: &[Node<'_>], at: &mut usize, keys: &mut Keys<'_>) -> *mut ffi::PyObject {
    let built = match nodes[*at] {
        Node::Static(s) => {
            *at += 1;
            // SAFETY: per the contract.
            return unsafe { scalar_ptr(s) };
        }
        Node::String(s) => {
            *at += 1;
            keys.string(py, s)
        }
        _ => build(py, nodes, at, keys),
    };
    built.map_or_else(
        |err| {
            err.restore(py);
            std::ptr::null_mut()
        },
        Bound::into_ptr,
    )
}

/// Builds the value at `nodes[*at]`, advancing `at` past it.
fn build<'py>(py: Python<'py>, nodes: &[Node<'_>], at: &mut usize, keys: &mut Keys<'_>) -> PyResult<Bound<'py, PyAny>> {
    let node = nodes[*at];
    *at += 1;
    match node {
        Node::String(s) => keys.string(py, s),
        Node::Static(s) => scalar(py, s),
        Node::Array { len, .. } => {
            // SAFETY: PyList_New(len) makes a list of `len` NULL slots; each is set exactly
            // once below with a new reference that PyList_SET_ITEM steals. If building an
            // item fails, the list is dropped with the remaining slots NULL, which list
            // deallocation allows.
            unsafe {
                let list = Bound::from_owned_ptr_or_err(py, ffi::PyList_New(len as ffi::Py_ssize_t))?;
                for i in 0..len {
                    let item = item(py, nodes, at, keys);
                    if item.is_null() {
                        return Err(PyErr::fetch(py));
                    }
                    ffi::PyList_SET_ITEM(list.as_ptr(), i as ffi::Py_ssize_t, item);
                }
                Ok(list)
            }
        }
        Node::Object { len, .. } => {
            // SAFETY: _PyDict_NewPresized returns a new empty dict (or NULL with an error set)
            // sized for `len` keys, so filling it never resizes.
            let dict = unsafe { Bound::from_owned_ptr_or_err(py, _PyDict_NewPresized(len as ffi::Py_ssize_t))? };
            for _ in 0..len {
                let key = object_key(py, nodes, at, keys)?;
                // SAFETY: the GIL is held; a non-NULL item is a new reference, owned by the
                // `Bound` (PyDict_SetItem takes its own references and steals none).
                let value = unsafe { Bound::from_owned_ptr_or_err(py, item(py, nodes, at, keys))? };
                // SAFETY: dict, key and value are valid objects.
                if unsafe { ffi::PyDict_SetItem(dict.as_ptr(), key.as_ptr(), value.as_ptr()) } != 0 {
                    return Err(PyErr::fetch(py));
                }
            }
            Ok(dict)
        }
    }
}

/// Builds the value at `nodes[*at]` as `shape` says (the document was validated against the
/// schema the shape came with), advancing `at` past it. Model fields are built straight into
/// the dict that becomes the constructor's keywords; keys a model does not declare are
/// skipped, as its constructor would refuse them.
fn build_shaped<'py>(
    py: Python<'py>,
    nodes: &[Node<'_>],
    at: &mut usize,
    keys: &mut Keys<'_>,
    shape: &Shape,
) -> PyResult<Bound<'py, PyAny>> {
    let node = nodes[*at];
    match (shape, node) {
        (Shape::ToFloat, Node::Static(StaticNode::I64(n))) => {
            *at += 1;
            Ok(PyFloat::new(py, n as f64).into_any())
        }
        (Shape::ToFloat, Node::Static(StaticNode::U64(n))) => {
            *at += 1;
            Ok(PyFloat::new(py, n as f64).into_any())
        }
        // Already the declared type.
        (Shape::ToInt, Node::Static(StaticNode::I64(_) | StaticNode::U64(_)))
        | (Shape::ToFloat, Node::Static(StaticNode::F64(_))) => build(py, nodes, at, keys),
        (Shape::UnlessNone(_), Node::Static(StaticNode::Null)) => build(py, nodes, at, keys),
        (Shape::UnlessNone(inner), _) => build_shaped(py, nodes, at, keys, inner),
        (Shape::EachItem(inner), Node::Array { len, .. }) => {
            *at += 1;
            let list = PyList::empty(py);
            for _ in 0..len {
                list.append(build_shaped(py, nodes, at, keys, inner)?)?;
            }
            Ok(list.into_any())
        }
        (Shape::EachValue(inner), Node::Object { len, .. }) => {
            *at += 1;
            let dict = PyDict::new(py);
            for _ in 0..len {
                let key = object_key(py, nodes, at, keys)?;
                dict.set_item(key, build_shaped(py, nodes, at, keys, inner)?)?;
            }
            Ok(dict.into_any())
        }
        (Shape::Embedded(name, inner), Node::Object { len, .. }) => {
            *at += 1;
            let mut found = None;
            for _ in 0..len {
                let Node::String(key) = nodes[*at] else {
                    unreachable!("keys are strings")
                };
                *at += 1;
                match inner {
                    _ if key != name.bind(py).to_str()? => skip(nodes, at),
                    Some(inner) => found = Some(build_shaped(py, nodes, at, keys, inner)?),
                    None => found = Some(build(py, nodes, at, keys)?),
                }
            }
            found.ok_or_else(|| PyValueError::new_err("embedded body key missing after validation"))
        }
        (Shape::Build { ctor: None, fields, .. }, Node::Object { len, .. }) => {
            // A TypedDict: the dict itself, declared values shaped, other keys kept.
            *at += 1;
            let dict = PyDict::new(py);
            for _ in 0..len {
                let Node::String(key) = nodes[*at] else {
                    unreachable!("keys are strings")
                };
                let name = keys.get(py, key)?;
                *at += 1;
                let head = KnownKey::head(key.as_bytes());
                let value = match fields
                    .iter()
                    .find(|f| f.key_str.matches(key.as_bytes(), head))
                    .and_then(|f| f.shape.as_ref())
                {
                    Some(shape) => build_shaped(py, nodes, at, keys, shape)?,
                    None => build(py, nodes, at, keys)?,
                };
                dict.set_item(name, value)?;
            }
            Ok(dict.into_any())
        }
        (
            Shape::Build {
                ctor: Some(ctor),
                fields,
                plain,
            },
            Node::Object { len, .. },
        ) => {
            // A model: each declared field built straight into the keyword dict, undeclared
            // keys skipped. Keys usually come in declared order, so the next field is tried
            // first.
            *at += 1;
            // SAFETY: as in `build`: a new, empty dict presized for every field.
            let kwargs =
                unsafe { Bound::from_owned_ptr_or_err(py, _PyDict_NewPresized(fields.len() as ffi::Py_ssize_t))? };
            let (mut next, mut in_order) = (0, true);
            for _ in 0..len {
                let Node::String(key) = nodes[*at] else {
                    unreachable!("keys are strings")
                };
                *at += 1;
                let (text, head) = (key.as_bytes(), KnownKey::head(key.as_bytes()));
                let found = match fields.get(next) {
                    Some(f) if f.key_str.matches(text, head) => Some(next),
                    _ => fields.iter().position(|f| f.key_str.matches(text, head)),
                };
                let Some(i) = found else {
                    skip(nodes, at);
                    continue;
                };
                in_order &= i == next;
                next = i + 1;
                let value = match &fields[i].shape {
                    Some(shape) => build_shaped(py, nodes, at, keys, shape)?,
                    None => build(py, nodes, at, keys)?,
                };
                // SAFETY: live dict, key and value; PyDict_SetItem takes its own references.
                if unsafe { ffi::PyDict_SetItem(kwargs.as_ptr(), fields[i].arg.as_ptr(), value.as_ptr()) } != 0 {
                    return Err(PyErr::fetch(py));
                }
            }
            let kwargs = kwargs.cast_into::<PyDict>()?;
            if *plain && in_order && kwargs.len() == fields.len() {
                // Every field, in declared order, as `__init__` would have set them.
                Shape::plain_instance(ctor.bind(py), &kwargs)
            } else {
                ctor.bind(py).call((), Some(&kwargs))
            }
        }
        (Shape::Convert(f) | Shape::Validate(f), _) => f.bind(py).call1((build(py, nodes, at, keys)?,)),
        // Values the shape leaves as they are (an int for a float, a float for an int).
        _ => shape.apply(build(py, nodes, at, keys)?),
    }
}

fn object_key<'py>(
    py: Python<'py>,
    nodes: &[Node<'_>],
    at: &mut usize,
    keys: &mut Keys<'_>,
) -> PyResult<Bound<'py, PyAny>> {
    let Node::String(key) = nodes[*at] else {
        return Err(PyValueError::new_err("JSON object key is not a string"));
    };
    *at += 1;
    keys.get(py, key)
}

/// Advances `at` past the value at `nodes[*at]`.
fn skip(nodes: &[Node<'_>], at: &mut usize) {
    *at += match nodes[*at] {
        Node::Array { count, .. } | Node::Object { count, .. } => count + 1,
        _ => 1,
    };
}

unsafe extern "C" {
    /// CPython's presized dict constructor (exported by every CPython 3.x; PyO3 leaves the
    /// underscore API out of its bindings).
    fn _PyDict_NewPresized(minused: ffi::Py_ssize_t) -> *mut ffi::PyObject;
}

#[inline]
fn scalar(py: Python<'_>, node: StaticNode) -> PyResult<Bound<'_, PyAny>> {
    // SAFETY: the GIL is held (`py`); scalar_ptr returns a new reference or NULL.
    unsafe { Bound::from_owned_ptr_or_err(py, scalar_ptr(node)) }
}

/// A scalar as a new reference (NULL with the Python error set if allocation fails). Small
/// ints, True, False and None are shared singletons: no allocation.
///
/// # Safety
/// The GIL must be held.
#[inline(always)]
unsafe fn scalar_ptr(node: StaticNode) -> *mut ffi::PyObject {
    // SAFETY: per the contract.
    unsafe {
        match node {
            StaticNode::Null => new_ref(ffi::Py_None()),
            StaticNode::Bool(b) => new_ref(if b { ffi::Py_True() } else { ffi::Py_False() }),
            StaticNode::I64(n) => ffi::PyLong_FromLongLong(n),
            StaticNode::U64(n) => ffi::PyLong_FromUnsignedLongLong(n),
            StaticNode::F64(f) => ffi::PyFloat_FromDouble(f),
        }
    }
}

/// A new reference to a singleton.
///
/// # Safety
/// `obj` must be live and the GIL held.
#[inline(always)]
unsafe fn new_ref(obj: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: per the contract.
    unsafe { ffi::Py_INCREF(obj) };
    obj
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

/// A parse's outcome as Python objects; malformed JSON raises `RequestError` (a 400 when
/// answered).
pub fn json<'py>(py: Python<'py>, parsed: Result<JsonBody, JsonError>) -> PyResult<Bound<'py, PyAny>> {
    let parsed = parsed.map_err(|e| crate::errors::problem_error(py, e.into()))?;
    body(py, &parsed, None)
}

/// `_spikard.loads(bytes)`: the request-body decoder, exposed for tests and benchmarks.
#[pyfunction]
fn loads<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    json(py, JsonBody::parse_slice(data))
}

pub fn init_pymodule(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(loads, m)?)
}
