//! CPython object layouts read directly, where a call into the interpreter per value costs
//! more than the work: int digits, dict entries and strings' cached UTF-8, as the encoder
//! meets them. Each reader
//! knows the layouts of the versions it is compiled for (PyO3's `Py_3_*` cfgs, set by
//! `build.rs`) and falls back to the C API everywhere else, so the result never depends
//! on which path ran.

use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::ffi;
use pyo3::prelude::*;

/// Checks at import what the readers depend on at run time (the digit size).
pub fn init(py: Python<'_>) -> PyResult<()> {
    let info = py.import("sys")?.getattr("int_info")?;
    let bits: u32 = info.getattr("bits_per_digit")?.extract()?;
    let size: u32 = info.getattr("sizeof_digit")?.extract()?;
    THIRTY_BIT_DIGITS.store(bits == 30 && size == 4, Ordering::Relaxed);
    Ok(())
}

/// Whether the interpreter stores ints in 30-bit digits (as 64-bit builds do unless
/// configured otherwise), checked at import: [`small_int`] reads them only then.
static THIRTY_BIT_DIGITS: AtomicBool = AtomicBool::new(false);

/// The value of an `int` of at most two 30-bit digits (below 2**60 in magnitude: nearly
/// every int a document holds), read from CPython's representation as orjson does, without
/// a call into the interpreter. `None` for larger ints, and on interpreters whose layout
/// this does not know.
///
/// # Safety
/// `obj` must be a live `int` (or subclass) instance.
#[inline(always)]
pub unsafe fn small_int(obj: *mut ffi::PyObject) -> Option<i64> {
    if !THIRTY_BIT_DIGITS.load(Ordering::Relaxed) {
        return None;
    }
    // CPython 3.12 to 3.14: `lv_tag` holds the digit count above three flag bits, the sign (0
    // positive, 1 zero, 2 negative) in the low two.
    #[cfg(all(Py_3_12, not(any(Py_3_15, Py_LIMITED_API, PyPy, GraalPy))))]
    #[repr(C)]
    struct Long {
        ob_base: ffi::PyObject,
        lv_tag: usize,
        digits: [u32; 1],
    }
    #[cfg(all(Py_3_12, not(any(Py_3_15, Py_LIMITED_API, PyPy, GraalPy))))]
    // SAFETY: per the contract, `obj` has this layout; the second digit is read only when
    // the count says it exists.
    unsafe {
        let long = obj.cast::<Long>();
        let tag = (*long).lv_tag;
        let (count, negative) = (tag >> 3, tag & 3 == 2);
        digits_value(std::ptr::addr_of!((*long).digits).cast::<u32>(), count, negative)
    }
    // Before 3.12: the signed size is the digit count, negative for negative numbers.
    #[cfg(all(not(Py_3_12), not(any(Py_3_15, Py_LIMITED_API, PyPy, GraalPy))))]
    #[repr(C)]
    struct Long {
        ob_base: ffi::PyVarObject,
        digits: [u32; 1],
    }
    #[cfg(all(not(Py_3_12), not(any(Py_3_15, Py_LIMITED_API, PyPy, GraalPy))))]
    // SAFETY: as above.
    unsafe {
        let long = obj.cast::<Long>();
        let size = (*long).ob_base.ob_size;
        digits_value(
            std::ptr::addr_of!((*long).digits).cast::<u32>(),
            size.unsigned_abs(),
            size < 0,
        )
    }
    #[cfg(any(Py_3_15, Py_LIMITED_API, PyPy, GraalPy))]
    {
        let _ = obj;
        None
    }
}

/// The value of `count` (at most two) 30-bit digits at `digits`, least significant first.
///
/// # Safety
/// `digits` must be valid for reading `count` digits.
#[cfg(not(any(Py_3_15, Py_LIMITED_API, PyPy, GraalPy)))]
#[inline(always)]
unsafe fn digits_value(digits: *const u32, count: usize, negative: bool) -> Option<i64> {
    // SAFETY: only the `count` digits that exist are read.
    let magnitude = unsafe {
        match count {
            0 => 0,
            1 => i64::from(*digits),
            2 => i64::from(*digits) | i64::from(*digits.add(1)) << 30,
            _ => return None,
        }
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// The UTF-8 copy CPython keeps in a compact non-ASCII `str` once something asked for it
/// (an earlier encode of the same string), read in place; `None` when there is none yet (or
/// on interpreters whose layout this does not know): ask `PyUnicode_AsUTF8AndSize`.
///
/// # Safety
/// `obj` must be a live exact `str`, alive as long as the returned bytes are used.
#[inline(always)]
pub unsafe fn cached_utf8<'a>(obj: *mut ffi::PyObject) -> Option<&'a [u8]> {
    #[cfg(not(any(Py_GIL_DISABLED, Py_LIMITED_API, PyPy, GraalPy)))]
    // SAFETY: per the contract; a compact string has the `PyCompactUnicodeObject` head, whose
    // `utf8` (when set) is `utf8_length` bytes owned by the string.
    unsafe {
        let compact = obj.cast::<ffi::PyCompactUnicodeObject>();
        if ffi::PyUnicode_IS_COMPACT(obj) != 0 && !(*compact).utf8.is_null() {
            return Some(std::slice::from_raw_parts(
                (*compact).utf8.cast::<u8>(),
                (*compact).utf8_length as usize,
            ));
        }
    }
    let _ = obj;
    None
}

/// `PyDict_Next`, with combined tables (every dict a JSON document or a dict display makes,
/// and most others) read inline: the same checks in the same order as CPython's
/// `_PyDict_Next`, re-read on every call, so a dict changed between calls is walked as
/// CPython would walk it. Split tables (instance dicts), and other interpreters, go through
/// the C API.
///
/// # Safety
/// `dict` must be a live `dict` (or subclass) instance and the GIL held; the returned key and
/// value are borrowed.
#[inline(always)]
pub unsafe fn dict_next(
    dict: *mut ffi::PyObject,
    pos: &mut ffi::Py_ssize_t,
    key: &mut *mut ffi::PyObject,
    value: &mut *mut ffi::PyObject,
) -> bool {
    #[cfg(all(Py_3_11, not(any(Py_3_15, Py_GIL_DISABLED, Py_LIMITED_API, PyPy, GraalPy))))]
    // SAFETY: per the contract.
    if let Some(found) = unsafe { table::next(dict, pos, key, value) } {
        return found;
    }
    // SAFETY: per the contract.
    unsafe { _PyDict_Next(dict, pos, key, value, std::ptr::null_mut()) != 0 }
}

/// CPython's dict tables as 3.11 to 3.14 (GIL builds) lay them out.
#[cfg(all(Py_3_11, not(any(Py_3_15, Py_GIL_DISABLED, Py_LIMITED_API, PyPy, GraalPy))))]
mod table {
    use pyo3::ffi;

    /// The head of `PyDictKeysObject`: the index table of `1 << dk_log2_index_bytes` bytes
    /// follows it, then the entries.
    #[repr(C)]
    struct DictKeys {
        dk_refcnt: ffi::Py_ssize_t,
        dk_log2_size: u8,
        dk_log2_index_bytes: u8,
        dk_kind: u8,
        dk_version: u32,
        dk_usable: ffi::Py_ssize_t,
        dk_nentries: ffi::Py_ssize_t,
    }

    /// `DICT_KEYS_GENERAL`: a combined table of any keys (`_PyDict_NewPresized` makes these).
    const GENERAL: u8 = 0;
    /// `DICT_KEYS_UNICODE`: a combined table whose keys are all `str`.
    const UNICODE: u8 = 1;

    /// An entry of a combined table (`value` NULL where a key was deleted).
    trait Entry {
        fn pair(&self) -> (*mut ffi::PyObject, *mut ffi::PyObject);
    }

    /// `PyDictKeyEntry`.
    #[repr(C)]
    struct GeneralEntry {
        hash: ffi::Py_hash_t,
        key: *mut ffi::PyObject,
        value: *mut ffi::PyObject,
    }

    /// `PyDictUnicodeEntry`.
    #[repr(C)]
    struct UnicodeEntry {
        key: *mut ffi::PyObject,
        value: *mut ffi::PyObject,
    }

    impl Entry for GeneralEntry {
        fn pair(&self) -> (*mut ffi::PyObject, *mut ffi::PyObject) {
            (self.key, self.value)
        }
    }

    impl Entry for UnicodeEntry {
        fn pair(&self) -> (*mut ffi::PyObject, *mut ffi::PyObject) {
            (self.key, self.value)
        }
    }

    /// [`super::dict_next`] for a combined table; `None` for a table this does not read.
    ///
    /// # Safety
    /// As for [`super::dict_next`].
    #[inline(always)]
    pub(super) unsafe fn next(
        dict: *mut ffi::PyObject,
        pos: &mut ffi::Py_ssize_t,
        key: &mut *mut ffi::PyObject,
        value: &mut *mut ffi::PyObject,
    ) -> Option<bool> {
        // SAFETY: per the contract `dict` is a dict, whose keys object has the layout of
        // `DictKeys` on these versions.
        unsafe {
            let mp = dict.cast::<ffi::PyDictObject>();
            if !(*mp).ma_values.is_null() {
                return None;
            }
            let keys = (*mp).ma_keys.cast::<DictKeys>();
            match (*keys).dk_kind {
                UNICODE => Some(walk::<UnicodeEntry>(keys, pos, key, value)),
                GENERAL => Some(walk::<GeneralEntry>(keys, pos, key, value)),
                _ => None,
            }
        }
    }

    /// The entry at `*pos` or the first live one after it, as `_PyDict_Next` finds it.
    ///
    /// # Safety
    /// `keys` must be a live keys object whose entries are `E`s.
    #[inline(always)]
    unsafe fn walk<E: Entry>(
        keys: *const DictKeys,
        pos: &mut ffi::Py_ssize_t,
        key: &mut *mut ffi::PyObject,
        value: &mut *mut ffi::PyObject,
    ) -> bool {
        // SAFETY: per the contract; entries are read only below `dk_nentries`.
        unsafe {
            let n = (*keys).dk_nentries;
            let mut i = *pos;
            if i < 0 {
                return false;
            }
            let entries = keys
                .add(1)
                .cast::<u8>()
                .add(1 << (*keys).dk_log2_index_bytes)
                .cast::<E>();
            while i < n && (*entries.offset(i)).pair().1.is_null() {
                i += 1;
            }
            if i >= n {
                return false;
            }
            (*key, *value) = (*entries.offset(i)).pair();
            *pos = i + 1;
            true
        }
    }
}

unsafe extern "C" {
    /// `PyDict_Next` without the wrapper (and with the key's hash, which we do not need);
    /// exported by every CPython 3.x.
    fn _PyDict_Next(
        dict: *mut ffi::PyObject,
        pos: *mut ffi::Py_ssize_t,
        key: *mut *mut ffi::PyObject,
        value: *mut *mut ffi::PyObject,
        hash: *mut ffi::Py_hash_t,
    ) -> std::os::raw::c_int;
}
