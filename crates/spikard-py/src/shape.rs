//! Building the annotated Python values (dataclasses, pydantic models, msgspec structs,
//! `UUID`, `datetime`, `Decimal`, enums...) from JSON that Rust has already validated.
//!
//! A shape is computed once per argument by `spikard/schema.py` and read at startup by
//! `plan.rs` (its Python classes are in `spikard/_plan.py`, named like the variants); per
//! request, [`Shape::apply`] converts the freshly built dicts and lists in place or
//! calls the constructors, without validating anything a second time.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};
use spikard_core::json::KnownKey;

pub enum Shape {
    /// An `int` where a `float` was declared.
    ToFloat,
    /// An integral float (`2.0`) where an `int` was declared.
    ToInt,
    /// `f(value)`.
    Convert(Py<PyAny>),
    /// `f(value)`, where `f` may refuse the value with `RequestValidationError` (pydantic
    /// validating a body after the Rust checks).
    Validate(Py<PyAny>),
    /// Each item of a list.
    EachItem(Box<Shape>),
    /// Each value of a dict.
    EachValue(Box<Shape>),
    /// The value unless it is `None`.
    UnlessNone(Box<Shape>),
    /// The value under `key` of an embedding object.
    Embedded(Py<PyString>, Option<Box<Shape>>),
    /// A model: `ctor(**{arg: shape(value[key])})`, or, with no constructor, the dict
    /// itself with its values converted.
    Build {
        ctor: Option<Py<PyAny>>,
        fields: Vec<Field>,
        /// A plain dataclass: with every field present (and nothing else), the validated
        /// dict becomes the instance's `__dict__` without a call to `__init__`.
        plain: bool,
    },
}

/// One field of a model: its JSON key, its constructor keyword and its shape.
pub struct Field {
    pub key: Py<PyString>,
    /// `key` as Rust text, ready to match against the tape's keys.
    pub key_str: KnownKey,
    pub arg: Py<PyString>,
    pub shape: Option<Shape>,
}

impl Shape {
    /// Whether applying it may refuse the value (it holds a [`Shape::Validate`]).
    pub fn validates(&self) -> bool {
        match self {
            Shape::Validate(_) => true,
            Shape::EachItem(inner) | Shape::EachValue(inner) | Shape::UnlessNone(inner) => inner.validates(),
            Shape::Embedded(_, inner) => inner.as_ref().is_some_and(|s| s.validates()),
            Shape::Build { fields, .. } => fields.iter().any(|f| f.shape.as_ref().is_some_and(Shape::validates)),
            Shape::ToFloat | Shape::ToInt | Shape::Convert(_) => false,
        }
    }

    /// An instance of the plain dataclass `cls` whose `__dict__` is `dict` (every field,
    /// nothing else), made without running `__init__`: allocated by the type's `tp_alloc`
    /// (the class does not override `__new__`; `spikard.schema` checked), then the dict set
    /// in place. Not through `object.__new__`, which would first give the instance a
    /// shared-key attribute store of its own, only for setting `__dict__` to turn it into a
    /// dict and throw both away: two allocations and two frees per instance.
    pub fn plain_instance<'py>(cls: &Bound<'py, PyAny>, dict: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyAny>> {
        let py = cls.py();
        let ty = cls.cast::<PyType>()?;
        let tp = ty.as_type_ptr();
        // SAFETY: `tp` is a live type object. `tp_alloc` returns a new, zeroed instance (no
        // dict yet: the state of any instance before its first attribute is set) or NULL
        // with an error set; an abstract class goes through `object.__new__`, which refuses
        // it with the usual TypeError. `PyObject_GenericSetDict` stores a new reference to
        // `dict` in the instance's dict slot (the class has one: no `__slots__`) and returns
        // -1 with an error set on failure.
        unsafe {
            let made = if (*tp).tp_flags & ffi::Py_TPFLAGS_IS_ABSTRACT != 0 {
                let new = (*std::ptr::addr_of_mut!(ffi::PyBaseObject_Type))
                    .tp_new
                    .expect("object has tp_new");
                new(tp, PyTuple::empty(py).as_ptr(), std::ptr::null_mut())
            } else {
                (*tp).tp_alloc.unwrap_or(ffi::PyType_GenericAlloc)(tp, 0)
            };
            let made = Bound::from_owned_ptr_or_err(py, made)?;
            if ffi::PyObject_GenericSetDict(made.as_ptr(), dict.as_ptr(), std::ptr::null_mut()) != 0 {
                return Err(PyErr::fetch(py));
            }
            Ok(made)
        }
    }

    /// The annotated value built from `value` (already validated against the schema).
    pub fn apply<'py>(&self, value: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = value.py();
        match self {
            Shape::ToFloat => match value.cast_exact::<PyInt>() {
                Ok(int) => Ok(PyFloat::new(py, int.extract::<f64>()?).into_any()),
                Err(_) => Ok(value),
            },
            Shape::ToInt => match value.cast_exact::<PyFloat>() {
                Ok(f) => f.call_method0(pyo3::intern!(py, "__int__")),
                Err(_) => Ok(value),
            },
            Shape::Convert(f) | Shape::Validate(f) => f.bind(py).call1((value,)),
            Shape::UnlessNone(inner) => {
                if value.is_none() {
                    Ok(value)
                } else {
                    inner.apply(value)
                }
            }
            Shape::EachItem(inner) => {
                let list = value.cast::<PyList>()?;
                for i in 0..list.len() {
                    list.set_item(i, inner.apply(list.get_item(i)?)?)?;
                }
                Ok(value)
            }
            Shape::EachValue(inner) => {
                let dict = value.cast::<PyDict>()?;
                let entries: Vec<_> = dict.iter().collect();
                for (k, v) in entries {
                    dict.set_item(k, inner.apply(v)?)?;
                }
                Ok(value)
            }
            Shape::Embedded(key, inner) => {
                let item = value.get_item(key.bind(py))?;
                match inner {
                    Some(inner) => inner.apply(item),
                    None => Ok(item),
                }
            }
            // (Only the rare paths come here: big-integer bodies and parameters. Bodies on
            // the tape are shaped while they are built, in `to_python`.)
            Shape::Build { ctor, fields, .. } => {
                let dict = value.cast::<PyDict>()?;
                let Some(ctor) = ctor else {
                    for field in fields {
                        if let Some(shape) = &field.shape
                            && let Some(v) = dict.get_item(field.key.bind(py))?
                        {
                            dict.set_item(field.key.bind(py), shape.apply(v)?)?;
                        }
                    }
                    return Ok(value);
                };
                let kwargs = PyDict::new(py);
                for field in fields {
                    if let Some(v) = dict.get_item(field.key.bind(py))? {
                        let v = match &field.shape {
                            Some(shape) => shape.apply(v)?,
                            None => v,
                        };
                        kwargs.set_item(field.arg.bind(py), v)?;
                    }
                }
                ctor.bind(py).call((), Some(&kwargs))
            }
        }
    }
}
