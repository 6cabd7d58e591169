//! The route contract with `spikard/_plan.py`, read into typed Rust once, at startup.
//!
//! `_plan.py` declares what the Python package hands the server: each route's arguments
//! (`ParamDesc`), their `Source` and `Kind`, and the *shape* classes that say how to build
//! an annotated value from validated JSON. This file is its mirror, one to one, and the only
//! place the extension spells those names (the tables below, exported as `_spikard.PLAN`,
//! and the shape reader and writer);
//! `_spikard.read_param` reads a `ParamDesc` and writes it back, so the package's tests
//! round-trip every source x kind x shape through it.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};
use spikard_core::Source as Read;
use spikard_core::json::KnownKey;
use spikard_core::validate::ParamKind;

use crate::shape::{Field, Shape};

/// Where a handler argument comes from (`spikard._plan.Source`, less `depends`, which the
/// package solves itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Read from the request as text and coerced by the core.
    Param(Read),
    Body,
    /// The request itself.
    Request,
    /// A fresh `BackgroundTasks`.
    Background,
}

/// `Source`'s values.
const SOURCES: [(&str, Source); 7] = [
    ("path", Source::Param(Read::Path)),
    ("query", Source::Param(Read::Query)),
    ("header", Source::Param(Read::Header)),
    ("cookie", Source::Param(Read::Cookie)),
    ("body", Source::Body),
    ("request", Source::Request),
    ("background", Source::Background),
];

/// `Kind`'s values: the scalar types the core coerces parameters to.
const KINDS: [(&str, ParamKind); 5] = [
    ("str", ParamKind::Str),
    ("int", ParamKind::Int),
    ("float", ParamKind::Float),
    ("bool", ParamKind::Bool),
    ("uuid", ParamKind::Uuid),
];

/// The shape classes, by their Python names (see [`read_shape`] for their fields).
const SHAPES: [&str; 9] = [
    "ToFloat",
    "ToInt",
    "Convert",
    "Validate",
    "EachItem",
    "EachValue",
    "UnlessNone",
    "Embedded",
    "Build",
];

/// One handler argument: `spikard._plan.ParamDesc`.
#[derive(FromPyObject)]
pub struct ParamPlan {
    pub name: String,
    #[pyo3(from_py_with = read_source)]
    pub source: Source,
    pub key: String,
    #[pyo3(from_py_with = read_kind)]
    pub kind: Option<ParamKind>,
    pub list: bool,
    pub required: bool,
    pub default: Option<Py<PyAny>>,
    /// The JSON Schema (as JSON) the value is validated against, beyond its kind.
    pub check: Option<String>,
    #[pyo3(from_py_with = read_shape)]
    pub shape: Option<Shape>,
}

/// One route: `spikard.app.Route`, of which the server reads these fields.
#[derive(FromPyObject)]
pub struct RoutePlan {
    pub methods: Vec<String>,
    pub path: String,
    pub handler: Py<PyAny>,
    pub params: Vec<ParamPlan>,
    pub status_code: u16,
    pub is_async: bool,
    pub blocking: bool,
    /// `spikard.response_model.ResponseModel`, or None.
    #[pyo3(from_py_with = read_response_model)]
    pub response_model: Option<ResponseModel>,
}

/// What a route's return value goes through before it is encoded: `apply(value)`, unless
/// the value is an instance of exactly `exact` (a plain model, sent as it is).
pub struct ResponseModel {
    pub apply: Py<PyAny>,
    pub exact: Option<Py<PyType>>,
}

impl ResponseModel {
    /// `value` made to fit the model (itself, on the fast path).
    pub fn fit<'py>(&self, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = value.py();
        match &self.exact {
            Some(exact) if value.get_type().is(exact.bind(py)) => Ok(value.clone()),
            _ => self.apply.bind(py).call1((value,)),
        }
    }
}

fn read_response_model(obj: &Bound<'_, PyAny>) -> PyResult<Option<ResponseModel>> {
    if obj.is_none() {
        return Ok(None);
    }
    let exact = obj.getattr("exact")?;
    Ok(Some(ResponseModel {
        apply: obj.clone().unbind(),
        exact: if exact.is_none() {
            None
        } else {
            Some(exact.cast_into::<PyType>()?.unbind())
        },
    }))
}

/// The entry of `table` named by the string `obj`; an unknown name is a `ValueError`
/// naming `what` it should have been.
fn by_name<T: Copy>(table: &[(&str, T)], what: &str, obj: &Bound<'_, PyAny>) -> PyResult<T> {
    let name: String = obj.extract()?;
    table
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .ok_or_else(|| PyValueError::new_err(format!("unknown parameter {what} {name:?}")))
}

/// The name `value` has in `table`.
fn name_of<T: PartialEq>(table: &[(&'static str, T)], value: &T) -> Option<&'static str> {
    table.iter().find(|(_, v)| v == value).map(|(n, _)| *n)
}

fn read_source(obj: &Bound<'_, PyAny>) -> PyResult<Source> {
    by_name(&SOURCES, "source", obj)
}

fn read_kind(obj: &Bound<'_, PyAny>) -> PyResult<Option<ParamKind>> {
    if obj.is_none() {
        return Ok(None);
    }
    by_name(&KINDS, "kind", obj).map(Some)
}

/// Reads a shape object (`None`: keep the value) by its class name.
fn read_shape(obj: &Bound<'_, PyAny>) -> PyResult<Option<Shape>> {
    if obj.is_none() {
        return Ok(None);
    }
    let class = obj.get_type().name()?;
    let class = class.to_str()?;
    let inner = |attr: &str| -> PyResult<Box<Shape>> {
        read_shape(&obj.getattr(attr)?)?
            .map(Box::new)
            .ok_or_else(|| PyTypeError::new_err(format!("{class}.{attr} needs a shape")))
    };
    Ok(Some(match class {
        "ToFloat" => Shape::ToFloat,
        "ToInt" => Shape::ToInt,
        "Convert" => Shape::Convert(obj.getattr("func")?.unbind()),
        "Validate" => Shape::Validate(obj.getattr("func")?.unbind()),
        "EachItem" => Shape::EachItem(inner("item")?),
        "EachValue" => Shape::EachValue(inner("value")?),
        "UnlessNone" => Shape::UnlessNone(inner("inner")?),
        "Embedded" => Shape::Embedded(
            obj.getattr("key")?.cast_into::<PyString>()?.unbind(),
            read_shape(&obj.getattr("inner")?)?.map(Box::new),
        ),
        "Build" => {
            let ctor = obj.getattr("ctor")?;
            let mut fields = Vec::new();
            for field in obj.getattr("fields")?.try_iter()? {
                let field = field?;
                let key = field.getattr("key")?.cast_into::<PyString>()?;
                fields.push(Field {
                    key_str: KnownKey::new(key.to_str()?),
                    key: key.unbind(),
                    arg: field.getattr("arg")?.cast_into::<PyString>()?.unbind(),
                    shape: read_shape(&field.getattr("shape")?)?,
                });
            }
            Shape::Build {
                ctor: (!ctor.is_none()).then(|| ctor.unbind()),
                fields,
                plain: obj.getattr("plain")?.is_truthy()?,
            }
        }
        other => return Err(PyTypeError::new_err(format!("unknown shape {other:?}"))),
    }))
}

/// Calls `spikard._plan.<class>(*args)`.
fn make<'py>(py: Python<'py>, class: &str, args: impl pyo3::call::PyCallArgs<'py>) -> PyResult<Bound<'py, PyAny>> {
    py.import("spikard._plan")?.getattr(class)?.call1(args)
}

/// The `spikard._plan` object `shape` was read from.
fn describe_shape<'py>(py: Python<'py>, shape: Option<&Shape>) -> PyResult<Bound<'py, PyAny>> {
    let Some(shape) = shape else {
        return Ok(py.None().into_bound(py));
    };
    let inner = |s: &Shape| describe_shape(py, Some(s));
    match shape {
        Shape::ToFloat => make(py, "ToFloat", ()),
        Shape::ToInt => make(py, "ToInt", ()),
        Shape::Convert(f) => make(py, "Convert", (f.bind(py),)),
        Shape::Validate(f) => make(py, "Validate", (f.bind(py),)),
        Shape::EachItem(s) => make(py, "EachItem", (inner(s)?,)),
        Shape::EachValue(s) => make(py, "EachValue", (inner(s)?,)),
        Shape::UnlessNone(s) => make(py, "UnlessNone", (inner(s)?,)),
        Shape::Embedded(key, s) => make(py, "Embedded", (key.bind(py), describe_shape(py, s.as_deref())?)),
        Shape::Build { ctor, fields, plain } => {
            let described = fields
                .iter()
                .map(|f| {
                    let shape = describe_shape(py, f.shape.as_ref())?;
                    make(py, "BuildField", (f.key.bind(py), f.arg.bind(py), shape))
                })
                .collect::<PyResult<Vec<_>>>()?;
            let ctor = ctor.as_ref().map_or_else(|| py.None(), |c| c.clone_ref(py));
            make(py, "Build", (ctor, PyTuple::new(py, described)?, *plain))
        }
    }
}

impl ParamPlan {
    /// The `spikard._plan.ParamDesc` this was read from (less its `schema`, which only
    /// documents).
    fn describe<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let source = make(py, "Source", (name_of(&SOURCES, &self.source),))?;
        let kind = match &self.kind {
            Some(kind) => make(py, "Kind", (name_of(&KINDS, kind),))?,
            None => py.None().into_bound(py),
        };
        let default = self.default.as_ref().map_or_else(|| py.None(), |d| d.clone_ref(py));
        let shape = describe_shape(py, self.shape.as_ref())?;
        let (schema, check) = (py.None(), &self.check);
        let args = (
            &self.name,
            source,
            &self.key,
            kind,
            self.list,
            self.required,
            default,
            schema,
            check,
            shape,
        );
        make(py, "ParamDesc", args)
    }
}

/// `_spikard.read_param(desc)`: `desc` read as the server reads it, then written back.
#[pyfunction]
fn read_param<'py>(py: Python<'py>, desc: ParamPlan) -> PyResult<Bound<'py, PyAny>> {
    desc.describe(py)
}

pub fn init_pymodule(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let names = PyDict::new(py);
    names.set_item("sources", PyList::new(py, SOURCES.map(|(n, _)| n))?)?;
    names.set_item("kinds", PyList::new(py, KINDS.map(|(n, _)| n))?)?;
    names.set_item("shapes", PyList::new(py, SHAPES)?)?;
    m.add("PLAN", names)?;
    m.add_function(wrap_pyfunction!(read_param, m)?)
}
