"""Python types as JSON Schema, once per route at startup.

The schema is what the Rust validator checks a value against and what OpenAPI documents.
Alongside it comes a *shape* (`spikard._plan`): how to turn the validated JSON (dicts,
lists, strings) into the annotated Python objects — dataclasses, pydantic models, msgspec
structs, `UUID`, `datetime`, `Decimal`, enums — without validating a second time.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import inspect
import re
import types
import typing
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypedDict, Union, get_args, get_origin

from spikard._plan import Build, BuildField, Convert, EachItem, EachValue, Shape, ToFloat, ToInt, UnlessNone
from spikard.exceptions import RequestValidationError

if TYPE_CHECKING:
    from typing_extensions import Unpack

JSONSchema = dict[str, Any]

_CONSTRAINT_KEYWORDS = {
    "ge": "minimum",
    "gt": "exclusiveMinimum",
    "le": "maximum",
    "lt": "exclusiveMaximum",
    "multiple_of": "multipleOf",
    "min_length": "minLength",
    "max_length": "maxLength",
    "pattern": "pattern",
}
_NUMERIC = ("ge", "gt", "le", "lt", "multiple_of")
_LENGTH = ("min_length", "max_length")


class ConstraintArgs(TypedDict, total=False):
    """The keyword arguments of `Constraints` (and so of `Query(...)`, `Field(...)`...)."""

    ge: float
    gt: float
    le: float
    lt: float
    multiple_of: float
    min_length: int
    max_length: int
    pattern: str
    title: str
    description: str
    examples: list[Any]


class Constraints:
    """Constraints on a value, written as in FastAPI and pydantic: numbers `ge`, `gt`, `le`,
    `lt`, `multiple_of`; strings (and lists) `min_length`, `max_length`; strings `pattern`.
    `Annotated[int, Field(ge=1)]` puts them on a field of a dataclass or TypedDict body."""

    def __init__(self, **options: Unpack[ConstraintArgs]) -> None:
        unknown = options.keys() - ConstraintArgs.__annotations__.keys()
        if unknown:
            raise TypeError(f"unknown constraint(s): {', '.join(sorted(unknown))}")
        pattern = options.get("pattern")
        if pattern is not None:
            re.compile(pattern)  # a bad pattern fails at registration
        given: dict[str, Any] = {k: v for k, v in options.items() if v is not None}
        self.constraints = {k: v for k, v in given.items() if k in _CONSTRAINT_KEYWORDS}
        self.docs = {k: v for k, v in given.items() if k not in _CONSTRAINT_KEYWORDS and v}


class Field(Constraints):
    """Constraints (and documentation) for a field of a body model."""


def constraints_of(extras: Sequence[Any]) -> dict[str, Any]:
    """Constraints from `Annotated` extras: Spikard's markers, `annotated_types` (what
    pydantic's `Field(ge=...)` holds), pydantic `FieldInfo` and `msgspec.Meta`."""
    found: dict[str, Any] = {}
    for extra in extras:
        if isinstance(extra, Constraints):
            found.update(extra.constraints)
            found.update(extra.docs)
            continue
        metadata = getattr(extra, "metadata", None)  # pydantic FieldInfo
        if isinstance(metadata, list) and type(extra).__name__ == "FieldInfo":
            found.update(constraints_of(metadata))
            continue
        for name in (*_CONSTRAINT_KEYWORDS, "title", "description", "examples"):
            value = getattr(extra, name, None)  # annotated_types.Ge, msgspec.Meta, ...
            if value is not None and not callable(value):
                found[name] = value
    return found


class SchemaSet:
    """Builds schemas, collecting named models in `defs` (`#/$defs/Name`)."""

    def __init__(self) -> None:
        self.defs: dict[str, JSONSchema] = {}
        # Why the values described are built by pydantic (after the Rust checks): the
        # pydantic models in them, and the logic they declare that Rust cannot express.
        self.by_pydantic: list[str] = []
        self._names: dict[Any, str] = {}
        self._building: set[Any] = set()
        self._shapes: dict[Any, Shape] = {}

    def document(self, schema: JSONSchema) -> JSONSchema:
        """`schema` made self-contained, with the definitions it refers to."""
        return {**schema, "$defs": dict(self.defs)} if self.defs else schema

    def of(self, annotation: Any, extra: Mapping[str, Any] | None = None) -> tuple[JSONSchema, Shape]:
        """The schema and shape of `annotation`, with `extra` constraints applied."""
        constraints = dict(extra or {})
        if get_origin(annotation) is Annotated:
            annotation, *extras = get_args(annotation)
            constraints.update(constraints_of(extras))
            self.by_pydantic += [f"{e!r} on {annotation!r}" for e in extras if _is_pydantic_logic(e)]
        schema, shape = self._bare(annotation)
        return _constrain(schema, constraints), shape

    def _bare(self, tp: Any) -> tuple[JSONSchema, Shape]:
        origin = get_origin(tp)
        if tp is Any or tp is object:
            return {}, None
        if tp is type(None) or tp is None:
            return {"type": "null"}, None
        if tp is bool:
            return {"type": "boolean"}, None
        if tp is int:
            return {"type": "integer"}, ToInt()
        if tp is float:
            return {"type": "number"}, ToFloat()
        if tp is str:
            return {"type": "string"}, None
        if tp is uuid.UUID:
            return {"type": "string", "format": "uuid"}, Convert(uuid.UUID)
        if tp is datetime.datetime:
            return {"type": "string", "format": "date-time"}, Convert(_datetime)
        if tp is datetime.date:
            return {"type": "string", "format": "date"}, Convert(datetime.date.fromisoformat)
        if tp is datetime.time:
            return {"type": "string", "format": "time"}, Convert(_time)
        if tp is decimal.Decimal:
            return {"type": ["number", "string"], "format": "decimal"}, Convert(_decimal)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            values = [m.value for m in tp]
            return {"title": tp.__name__, "enum": values}, Convert(tp)
        if origin is Literal:
            return {"enum": list(get_args(tp))}, None
        if origin in (Union, types.UnionType):
            return self._union(get_args(tp))
        if tp in (list, Sequence) or origin in (list, Sequence, tuple, set, frozenset):
            args = get_args(tp)
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                raise TypeError(f"unsupported type {tp!r} (use tuple[T, ...] or list[T])")
            items, shape = self.of(args[0]) if args else ({}, None)
            schema: JSONSchema = {"type": "array", "items": items} if args else {"type": "array"}
            convert = {tuple: tuple, set: set, frozenset: frozenset}.get(origin)
            if convert is not None:
                if shape is not None:
                    raise TypeError(f"unsupported type {tp!r}: tuple and set items must be plain JSON types")
                return schema, Convert(convert)
            return schema, None if shape is None else EachItem(shape)
        if tp in (dict, Mapping) or origin in (dict, Mapping):
            args = get_args(tp)
            if args and args[0] is not str:
                raise TypeError(f"unsupported type {tp!r}: JSON object keys are strings")
            value_schema, shape = self.of(args[1]) if args else ({}, None)
            schema = {"type": "object"}
            if args and value_schema:
                schema["additionalProperties"] = value_schema
            return schema, None if shape is None else EachValue(shape)
        if isinstance(tp, type) and (fields := model_fields(tp)) is not None:
            return self._model(tp, fields)
        raise TypeError(f"unsupported type {tp!r}")

    def _union(self, args: tuple[Any, ...]) -> tuple[JSONSchema, Shape]:
        options = [a for a in args if a is not type(None)]
        branches = [self.of(a) for a in options]
        schemas = [s for s, _ in branches]
        if len(options) < len(args):
            schemas.append({"type": "null"})
        shapes = [s for _, s in branches if s is not None]
        if len(shapes) > 1 or (shapes and len(options) > 1):
            raise TypeError(f"unsupported union {args!r}: only one member may be a model or converted type")
        shape = shapes[0] if shapes else None
        if shape is not None and len(options) < len(args):
            shape = UnlessNone(shape)
        return {"anyOf": schemas}, shape

    def _model(self, tp: type, fields: list[_ModelField]) -> tuple[JSONSchema, Shape]:
        if tp in self._building:
            raise TypeError(f"unsupported type {tp.__name__}: recursive models are not supported")
        name = self._names.get(tp)
        if name is None:
            name = tp.__name__
            while name in self.defs:
                name += "_"
            self._names[tp] = name
            self._building.add(tp)
            if hasattr(tp, "__pydantic_decorators__"):  # a pydantic model or dataclass
                self.by_pydantic.append(f"{tp.__name__}: {pydantic_logic(tp) or 'a pydantic model'}")
            try:
                properties, required, build = {}, [], []
                for f in fields:
                    try:
                        schema, shape = self.of(f.annotation, f.constraints)
                    except TypeError:
                        if not f.pydantic:
                            raise
                        # A pydantic type Spikard has no check for (EmailStr, HttpUrl...):
                        # pydantic validates it, and documents it.
                        self.by_pydantic.append(f"{tp.__name__}.{f.name}: {f.annotation!r}")
                        schema, shape = _pydantic_schema(f.annotation), None
                    if f.has_default and f.default_json is not _NO_JSON:
                        schema = {**schema, "default": f.default_json}
                    properties[f.key] = schema
                    if not f.has_default:
                        required.append(f.key)
                    build.append(BuildField(f.key, f.name, shape))
            finally:
                self._building.discard(tp)
            model: JSONSchema = {"title": tp.__name__, "type": "object", "properties": properties}
            if required:
                model["required"] = required
            if tp.__doc__ and not dataclasses.is_dataclass(tp):
                model["description"] = inspect.cleandoc(tp.__doc__)
            self.defs[name] = model
            ctor = _constructor(tp)
            keep = ctor is None and all(f.shape is None for f in build)
            self._shapes[tp] = None if keep else Build(ctor, tuple(build), _plain_dataclass(tp))
        return {"$ref": f"#/$defs/{name}"}, self._shapes[tp]


_NO_JSON = object()


@dataclasses.dataclass
class _ModelField:
    name: str  # the constructor's keyword
    key: str  # the JSON key
    annotation: Any
    has_default: bool
    default_json: Any  # the default as JSON, for documentation (or _NO_JSON)
    constraints: dict[str, Any]
    pydantic: bool = False  # a field of a pydantic model


def _is_typeddict(tp: Any) -> bool:
    """`typing.TypedDict`, or `typing_extensions.TypedDict` (which pydantic asks for before
    Python 3.12, and which `typing.is_typeddict` does not know there)."""
    if typing.is_typeddict(tp):
        return True
    try:
        import typing_extensions
    except ImportError:  # pragma: no cover
        return False
    return typing_extensions.is_typeddict(tp)


def model_fields(tp: type) -> list[_ModelField] | None:
    """The fields of a dataclass, TypedDict, pydantic model or msgspec struct; None otherwise."""
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp, include_extras=True)
        return [
            _ModelField(
                f.name,
                f.name,
                hints[f.name],
                f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING,
                _json_default(f.default) if f.default is not dataclasses.MISSING else _NO_JSON,
                {},
            )
            for f in dataclasses.fields(tp)
            if f.init
        ]
    if _is_typeddict(tp):
        hints = typing.get_type_hints(tp, include_extras=True)
        required = getattr(tp, "__required_keys__", set(hints))
        return [_ModelField(k, k, t, k not in required, _NO_JSON, {}) for k, t in hints.items()]
    model_fields = getattr(tp, "model_fields", None)
    if isinstance(model_fields, dict) and hasattr(tp, "model_construct"):  # pydantic v2
        out = []
        for name, info in model_fields.items():
            required = info.is_required()
            plain_default = not required and info.default_factory is None
            default = _json_default(info.default) if plain_default else _NO_JSON
            out.append(
                _ModelField(
                    name,
                    info.alias or name,
                    info.annotation,
                    not required,
                    default,
                    constraints_of(info.metadata),
                    pydantic=True,
                )
            )
        return out
    struct_fields = getattr(tp, "__struct_fields__", None)
    if struct_fields is not None:  # msgspec.Struct
        import msgspec

        out = []
        for f in msgspec.structs.fields(tp):
            has_default = f.default is not msgspec.NODEFAULT or f.default_factory is not msgspec.NODEFAULT
            default = _json_default(f.default) if f.default is not msgspec.NODEFAULT else _NO_JSON
            out.append(_ModelField(f.name, f.encode_name, f.type, has_default, default, {}))
        return out
    return None


_VALIDATOR_KINDS = ("validators", "root_validators", "field_validators", "model_validators")
# What a pydantic field's metadata may hold that the Rust checks express (see constraints_of).
_EXPRESSED = {"Ge", "Gt", "Le", "Lt", "MultipleOf", "MinLen", "MaxLen", "Interval", "Len"}


def pydantic_logic(tp: type) -> str | None:
    """What validation logic the pydantic model (or pydantic dataclass) `tp` declares that
    Spikard's Rust checks cannot express; None for a plain model (an instance of which a
    handler may return without it being validated again: `spikard.response_model`)."""
    decorators = getattr(tp, "__pydantic_decorators__", None)
    if decorators is None:
        return None
    for kind in _VALIDATOR_KINDS:
        found = getattr(decorators, kind, None)
        if found:
            return f"{kind.replace('_', ' ')[:-1]} {', '.join(found)}"
    config = getattr(tp, "model_config", None) or getattr(tp, "__pydantic_config__", None) or {}
    for key in (
        "extra",
        "strict",
        "str_strip_whitespace",
        "str_to_lower",
        "str_to_upper",
        "validate_default",
    ):
        if config.get(key) not in (None, False, "ignore"):
            return f"model_config[{key!r}] = {config[key]!r}"
    if getattr(tp, "__pydantic_post_init__", None):
        return "model_post_init"
    for name, info in (getattr(tp, "model_fields", None) or {}).items():
        if info.validate_default:
            return f"field {name}: validate_default"
        if info.discriminator is not None:
            return f"field {name}: discriminator"
        for meta in info.metadata:
            if not _expressed(meta):
                return f"field {name}: {meta!r}"
    return None


def _expressed(meta: Any) -> bool:
    if type(meta).__name__ in _EXPRESSED and type(meta).__module__ == "annotated_types":
        return True
    # Field(pattern=...) and the like: only the keywords constraints_of reads.
    if type(meta).__name__ == "_PydanticGeneralMetadata":
        return set(vars(meta)) <= {"pattern", "title", "description", "examples"}
    return isinstance(meta, Constraints)


def _is_pydantic_logic(extra: Any) -> bool:
    """An `Annotated` extra that validates or transforms (AfterValidator, BeforeValidator...)."""
    return type(extra).__module__.startswith("pydantic.functional")


def _pydantic_schema(annotation: Any) -> JSONSchema:
    """pydantic's own JSON Schema of `annotation`, for documentation; `{}` where it refers to
    definitions of its own."""
    import pydantic

    schema = pydantic.TypeAdapter(annotation).json_schema()
    return {} if "$defs" in schema or "$ref" in str(schema) else schema


class PydanticCheck:
    """A body that pydantic validates after the Rust checks have passed, because a model in
    it declares logic only pydantic runs (validators, `extra="forbid"`, pydantic-only types).
    Its errors are answered in the same 422, under the same `loc` (`prefix` first)."""

    def __init__(self, annotation: Any, prefix: tuple[str, ...]) -> None:
        import pydantic

        self.adapter = pydantic.TypeAdapter(annotation)
        self.error = pydantic.ValidationError
        self.prefix = prefix

    def __call__(self, value: Any) -> Any:
        try:
            return self.adapter.validate_python(value)
        except self.error as exc:
            errors = exc.errors(include_url=False)
            raise RequestValidationError([{**e, "loc": (*self.prefix, *e["loc"])} for e in errors]) from None


def _constructor(tp: type) -> Callable[..., Any] | None:
    # (A body holding a pydantic model is built by pydantic: `PydanticCheck`.)
    return None if _is_typeddict(tp) else tp


def _plain_dataclass(tp: type) -> bool:
    """Whether an instance with every field given is its fields in `__dict__` and nothing
    else, so it can be made without running `__init__`: a dataclass with a generated
    `__init__`, `object.__new__`, no `__post_init__`, no `__slots__` and only `init` fields."""
    if not dataclasses.is_dataclass(tp):
        return False
    params = getattr(tp, "__dataclass_params__", None)
    return (
        params is not None
        and params.init
        and type(tp) is type
        and tp.__new__ is object.__new__
        and not hasattr(tp, "__post_init__")
        and "__slots__" not in tp.__dict__
        and all(f.init for f in dataclasses.fields(tp))
        and not any(isinstance(f.type, dataclasses.InitVar) for f in dataclasses.fields(tp))
    )


def _json_default(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    return _NO_JSON


def _constrain(schema: JSONSchema, constraints: Mapping[str, Any]) -> JSONSchema:
    if not constraints:
        return schema
    target = dict(schema)
    if "anyOf" in target:
        # `X | None` with constraints: they apply to X.
        target["anyOf"] = [
            s if s.get("type") == "null" else _constrain(s, constraints) for s in target["anyOf"]
        ]
        return target
    kind = target.get("type")
    if isinstance(kind, list):  # Decimal: a number or a numeric string
        kind = "number"
    for name, value in constraints.items():
        if name in ("title", "description", "examples"):
            target[name] = value
            continue
        keyword = _CONSTRAINT_KEYWORDS.get(name)
        if keyword is None:
            continue
        if name in _NUMERIC and kind not in ("integer", "number"):
            raise TypeError(f"{name}= applies to numbers, not {kind or 'this type'}")
        if name == "pattern" and kind != "string":
            raise TypeError(f"pattern= applies to strings, not {kind or 'this type'}")
        if name in _LENGTH:
            if kind == "array":
                keyword = "minItems" if name == "min_length" else "maxItems"
            elif kind != "string":
                raise TypeError(f"{name}= applies to strings and lists, not {kind or 'this type'}")
        target[keyword] = value
    return target


def _datetime(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(_zulu(text))


def _time(text: str) -> datetime.time:
    return datetime.time.fromisoformat(_zulu(text))


def _zulu(text: str) -> str:
    return text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text


def _decimal(value: Any) -> decimal.Decimal:
    return decimal.Decimal(value if isinstance(value, str) else repr(value))
