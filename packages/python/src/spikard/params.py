"""Reading a handler's signature, once, into the extraction plan the Rust core runs.

Each argument gets a source (path, query, header, cookie, body or the request itself), a
scalar kind the core coerces to, and whether it is required. Nothing here runs per request.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import inspect
import json
import re
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from spikard import _spikard
from spikard._plan import (
    PARAM_SOURCES,
    EachItem,
    Embedded,
    Kind,
    ParamDesc,
    Source,
    ToFloat,
    ToInt,
    Validate,
)
from spikard._spikard import Request
from spikard.background import BackgroundTasks
from spikard.schema import Constraints, PydanticCheck, SchemaSet, constraints_of, model_fields

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from spikard.schema import ConstraintArgs

_SCALARS: dict[Any, Kind] = {
    str: Kind.STR,
    int: Kind.INT,
    float: Kind.FLOAT,
    bool: Kind.BOOL,
    uuid.UUID: Kind.UUID,
}
# Shapes of parameter types the Rust side coerces to already.
_NATIVE = (ToInt(), ToFloat(), EachItem(ToInt()), EachItem(ToFloat()))
# Read as text, checked in Rust against their JSON Schema format, and built in Python.
_TEXT_TYPES = (datetime.datetime, datetime.date, datetime.time, decimal.Decimal)
_PATH_PARAM = re.compile(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)\}")


class Param(Constraints):
    """Where an argument comes from (what `Query()` and friends return), and
    the constraints its value must meet (`ge`, `gt`, `le`, `lt`, `multiple_of`, `min_length`,
    `max_length`, `pattern`; see `spikard.schema.Constraints`)."""

    source = Source.QUERY

    def __init__(self, default: Any = ..., *, alias: str | None = None, **constraints: Any) -> None:
        super().__init__(**constraints)
        self.default = default
        self.alias = alias

    def __repr__(self) -> str:
        return f"{type(self).__name__}(default={self.default!r}, alias={self.alias!r})"


class QueryParam(Param):
    source = Source.QUERY


class PathParam(Param):
    source = Source.PATH


class HeaderParam(Param):
    """What `Header()` returns."""

    source = Source.HEADER

    def __init__(
        self,
        default: Any = ...,
        *,
        alias: str | None = None,
        convert_underscores: bool = True,
        **constraints: Any,
    ) -> None:
        super().__init__(default, alias=alias, **constraints)
        self.convert_underscores = convert_underscores


class CookieParam(Param):
    source = Source.COOKIE


class BodyParam(Param):
    """What `Body()` returns."""

    source = Source.BODY

    def __init__(self, default: Any = ..., *, embed: bool = False, **constraints: Any) -> None:
        super().__init__(default, **constraints)
        self.embed = embed


class Dependency:
    """What `Depends(...)` marks an argument with (see `Depends`)."""

    def __init__(self, dependency: Callable[..., Any] | None = None, *, use_cache: bool = True) -> None:
        self.dependency = dependency
        self.use_cache = use_cache

    def __repr__(self) -> str:
        name = getattr(self.dependency, "__qualname__", self.dependency)
        return f"Depends({name}, use_cache={self.use_cache})"


# The markers are functions typed to return `Any`, as FastAPI's are, so that both styles
# type-check: `limit: int = Query(10, ge=1)` as well as `limit: Annotated[int, Query(ge=1)] = 10`.


def Query(default: Any = ..., *, alias: str | None = None, **constraints: Unpack[ConstraintArgs]) -> Any:
    """A query parameter (`?key=value`; a `list[T]` takes every value of a repeated key)."""
    return QueryParam(default, alias=alias, **constraints)


def Path(default: Any = ..., *, alias: str | None = None, **constraints: Unpack[ConstraintArgs]) -> Any:
    """A `{segment}` of the route's path."""
    return PathParam(default, alias=alias, **constraints)


def Header(
    default: Any = ...,
    *,
    alias: str | None = None,
    convert_underscores: bool = True,
    **constraints: Unpack[ConstraintArgs],
) -> Any:
    """A request header; `x_token` reads `x-token` unless `convert_underscores=False`."""
    return HeaderParam(default, alias=alias, convert_underscores=convert_underscores, **constraints)


def Cookie(default: Any = ..., *, alias: str | None = None, **constraints: Unpack[ConstraintArgs]) -> Any:
    """A cookie the request sent."""
    return CookieParam(default, alias=alias, **constraints)


def Body(default: Any = ..., *, embed: bool = False, **constraints: Unpack[ConstraintArgs]) -> Any:
    """The JSON body; `embed=True` reads it from the key named like the argument
    (`{"item": {...}}` for `item: Annotated[Item, Body(embed=True)]`)."""
    return BodyParam(default, embed=embed, **constraints)


def Depends(dependency: Callable[..., Any] | None = None, *, use_cache: bool = True) -> Any:
    """An argument whose value is what `dependency` returns for this request, FastAPI style:
    `db: Annotated[Session, Depends(get_db)]` or `db: Session = Depends(get_db)`.

    `dependency` may be a `def` or `async def` function, a generator (its code after `yield`
    runs after the response), or a class; without one, the annotation is called. Its own
    parameters are read from the request like a handler's, sub-dependencies included. Within
    one request each dependency runs once and its value is shared, unless `use_cache=False`."""
    return Dependency(dependency, use_cache=use_cache)


def path_params(path: str) -> list[str]:
    """The `{name}` and `{*name}` parameters of a route path, in order."""
    return _PATH_PARAM.findall(path)


def analyze(
    label: str,
    path: str,
    func: Callable[..., Any],
    *,
    body_schema: dict[str, Any] | None = None,
    parameter_schema: dict[str, Any] | None = None,
) -> list[ParamDesc]:
    """The extraction plan for `func` on `path`. Raises `TypeError` naming the route and
    argument for anything the plan cannot express.

    Schema-first routes describe their inputs in JSON Schema instead of annotations:
    `body_schema` is what the argument named `body` must be; `parameter_schema` is an
    object schema whose properties are the parameters, each with `"in"` (`path`, `query`,
    `header` or `cookie`; default path for `{segments}`, else query), passed to the handler
    by name (it may take them as `**params`)."""
    in_path = set(path_params(path))
    try:
        hints = _type_hints(func)
        signature = inspect.signature(func)
    except Exception as exc:
        name = getattr(func, "__qualname__", repr(func))
        raise TypeError(f"route {label}: cannot read the signature of {name}: {exc}") from exc
    try:
        plan = _declared(parameter_schema, in_path) if parameter_schema is not None else []
    except (TypeError, ValueError) as exc:
        raise TypeError(f"route {label}: parameter_schema: {exc}") from None
    declared = {d.name for d in plan}
    takes_any = any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values())
    if missing := [n for n in declared if n not in signature.parameters and not takes_any]:
        raise TypeError(f"route {label}: the handler takes no argument for {missing} (add them or **params)")
    for name, p in signature.parameters.items():
        if name in declared or (p.kind == p.VAR_KEYWORD and parameter_schema is not None):
            continue
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            raise TypeError(f"route {label}: parameter {name!r} must be passable by keyword")
        try:
            if body_schema is not None and name == "body":
                plan.append(_schema_body(body_schema, p.default))
            else:
                plan.append(_describe(name, hints.get(name, str), p.default, in_path))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"route {label}: parameter {name!r}: {exc}") from None
    if body_schema is not None and not any(d.name == "body" and d.source == Source.BODY for d in plan):
        raise TypeError(f"route {label}: body_schema is given but the handler has no `body` argument")
    return plan


def _schema_body(schema: dict[str, Any], default: Any) -> ParamDesc:
    has_default = default is not inspect.Parameter.empty
    check = _compiled(schema)
    return ParamDesc(
        "body",
        Source.BODY,
        "body",
        None,
        False,
        not has_default,
        default if has_default else None,
        schema,
        check,
    )


def _declared(schema: dict[str, Any], in_path: set[str]) -> list[ParamDesc]:
    """The parameters a `parameter_schema` declares."""
    properties = schema.get("properties")
    if schema.get("type", "object") != "object" or not isinstance(properties, dict):
        raise TypeError("must be an object schema with properties")
    required = set(schema.get("required", ()))
    plan = []
    for name, declared in properties.items():
        prop = dict(declared)
        where = prop.pop("in", None) or ("path" if name in in_path else "query")
        if where not in {s.value for s in PARAM_SOURCES}:
            raise TypeError(f"{name}: unknown source {where!r}")
        source = Source(where)
        if source == Source.PATH and name not in in_path:
            raise TypeError(f"{name}: the path has no such {{segment}}")
        kind, is_list = _schema_kind(prop)
        default = prop.get("default")
        check = {k: v for k, v in prop.items() if k != "default"}
        text = _compiled(check) if _needs_check(check, kind, is_list) else None
        key = name.lower() if source == Source.HEADER else name
        is_required = source == Source.PATH or name in required
        plan.append(ParamDesc(name, source, key, kind, is_list, is_required, default, prop, text))
    return plan


def _compiled(schema: dict[str, Any]) -> str:
    """`schema` as the JSON the Rust validator reads; `ValueError` if it cannot run it."""
    text = json.dumps(schema)
    _spikard.check_schema(text)
    return text


def _schema_kind(schema: dict[str, Any]) -> tuple[Kind, bool]:
    """What a parameter with this JSON Schema is coerced to before it is checked."""
    kind = schema.get("type")
    if kind == "array":
        item, nested = _schema_kind(schema.get("items", {}))
        if nested:
            raise TypeError("a list of lists cannot be a parameter")
        return item, True
    if kind is None and schema.get("enum") and all(type(v) is int for v in schema["enum"]):
        kind = "integer"
    if kind == "string" and schema.get("format") == "uuid":
        return Kind.UUID, False
    known = {
        "integer": Kind.INT,
        "number": Kind.FLOAT,
        "boolean": Kind.BOOL,
        "string": Kind.STR,
        None: Kind.STR,
    }
    if kind not in known:
        raise TypeError(f"unsupported parameter type {kind!r}")
    return known[kind], False


def _type_hints(func: Callable[..., Any]) -> dict[str, Any]:
    """The resolved annotations of a function, a class's `__init__` or a callable's `__call__`."""
    if isinstance(func, type):
        init = func.__init__  # type: ignore[misc]
        return typing.get_type_hints(init, include_extras=True) if init is not object.__init__ else {}
    if not inspect.isroutine(func) and callable(func):
        return typing.get_type_hints(type(func).__call__, include_extras=True)
    return typing.get_type_hints(func, include_extras=True)


def _describe(name: str, annotation: Any, default: Any, in_path: set[str]) -> ParamDesc:
    marker: Param | None = None
    depends = default if isinstance(default, Dependency) else None
    extras: list[Any] = []
    if get_origin(annotation) is Annotated:
        annotation, *extras = get_args(annotation)
        marker = next((e for e in extras if isinstance(e, Param)), None)
        depends = next((e for e in extras if isinstance(e, Dependency)), depends)
    if isinstance(default, Param):
        # `limit: int = Query(10, ge=1)`: the marker, with its default and constraints.
        if marker is not None:
            raise TypeError("give Query()/Path()/... either in Annotated[...] or as the default, not both")
        marker, default = default, inspect.Parameter.empty
        extras.append(marker)
    if depends is not None:
        dependency = depends.dependency or _strip_optional(annotation)
        if not callable(dependency):
            raise TypeError(f"Depends() needs a callable, or an annotation to call ({dependency!r})")
        resolved = Dependency(dependency, use_cache=depends.use_cache)
        return ParamDesc(name, Source.DEPENDS, name, None, False, True, resolved)
    if marker is not None and marker.default is not ...:
        default = marker.default
    has_default = default is not inspect.Parameter.empty and default is not ...
    default = default if has_default else None
    base = _strip_optional(annotation)

    if isinstance(base, type) and issubclass(base, Request):
        return ParamDesc(name, Source.REQUEST, name, None, False, False, None)
    if isinstance(base, type) and issubclass(base, BackgroundTasks):
        return ParamDesc(name, Source.BACKGROUND, name, None, False, False, None)

    source: Source
    if marker is not None:
        source = marker.source
    elif name in in_path:
        source = Source.PATH
    elif _is_body(base):
        source = Source.BODY
    else:
        source = Source.QUERY
    constraints = constraints_of(extras)

    schemas = SchemaSet()
    if source == Source.BODY:
        schema, shape = schemas.of(annotation, constraints)
        embed = isinstance(marker, BodyParam) and marker.embed
        if schemas.by_pydantic:
            # After the Rust checks, pydantic builds the whole value (its validators run):
            # pydantic-core builds models faster than `model_construct` would.
            shape = Validate(PydanticCheck(annotation, ("body", name) if embed else ("body",)))
        if embed:
            schema = {"type": "object", "properties": {name: schema}, "required": [name]}
            shape = Embedded(name, shape)
        document = schemas.document(schema)
        check = _compiled(document) if document else None
        return ParamDesc(
            name, Source.BODY, name, None, False, not has_default, default, document, check, shape
        )

    kind, is_list = _scalar_kind(base)
    if source == Source.PATH:
        if name not in in_path and (marker is None or marker.alias not in in_path):
            raise TypeError("declared as a path parameter but the path has no such {segment}")
        if is_list:
            raise TypeError("a path parameter cannot be a list")
    key = marker.alias if marker is not None and marker.alias else name
    if source == Source.HEADER and (marker is None or marker.alias is None):
        convert = getattr(marker, "convert_underscores", True)
        key = (name.replace("_", "-") if convert else name).lower()
    required = source == Source.PATH or not has_default
    checked, shape = schemas.of(base, constraints)
    if shape in _NATIVE or kind == Kind.UUID:
        shape = None  # the Rust side makes these already
    # A parameter is absent, never null: `X | None` is documented as an optional `X`.
    schema = {**checked, "default": default} if default is not None and _jsonable(default) else checked
    rust_checks = {k: v for k, v in checked.items() if k != "items"} if kind == Kind.UUID else checked
    check = _compiled(rust_checks) if _needs_check(checked, kind, is_list) else None
    return ParamDesc(name, source, key, kind, is_list, required, default, schema, check, shape)


def _strip_optional(annotation: Any) -> Any:
    """`X | None` and `Optional[X]` -> `X`."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _scalar_kind(base: Any) -> tuple[Kind, bool]:
    """What the Rust side coerces a parameter's text to, and whether it is a list."""
    if get_origin(base) is Annotated:
        base = get_args(base)[0]
    if base is list or get_origin(base) is list:
        args = get_args(base)
        item = _strip_optional(args[0]) if args else str
        kind, nested = _scalar_kind(item)
        if nested:
            raise TypeError(f"unsupported parameter type {base!r} (a list of lists)")
        return kind, True
    if base in _SCALARS:
        return _SCALARS[base], False
    if base in _TEXT_TYPES or base is Any:
        return Kind.STR, False
    values: list[Any] = []
    if isinstance(base, type) and issubclass(base, enum.Enum):
        values = [m.value for m in base]
    elif get_origin(base) is Literal:
        values = list(get_args(base))
    if values:
        if all(isinstance(v, bool) for v in values):
            return Kind.BOOL, False
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return Kind.INT, False
        if all(isinstance(v, str) for v in values):
            return Kind.STR, False
    raise TypeError(
        f"unsupported parameter type {base!r} (use str, int, float, bool, UUID, datetime, date, "
        "time, Decimal, an Enum or Literal of one type, or a list of them)"
    )


def _needs_check(schema: dict[str, Any], kind: Kind, is_list: bool) -> bool:
    """Whether Rust must check more than the coercion to `kind` already did."""
    plain = {
        Kind.STR: {"type": "string"},
        Kind.INT: {"type": "integer"},
        Kind.FLOAT: {"type": "number"},
        Kind.BOOL: {"type": "boolean"},
        Kind.UUID: {"type": "string", "format": "uuid"},
    }[kind]
    item = schema.get("items", {}) if is_list else schema
    item_needs = item not in (plain, {"type": plain["type"]})
    if item_needs and kind == Kind.UUID:
        # Coerced to a UUID before any check: its text is not kept to hold to a pattern.
        raise TypeError("constraints on UUID parameters are not supported")
    return item_needs or (is_list and len(schema) > 2)


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _is_body(base: Any) -> bool:
    """Whether an undecorated argument of this type is read from the JSON body."""
    origin = get_origin(base) or base
    if origin in (dict, Mapping) or (isinstance(origin, type) and issubclass(origin, Mapping)):
        return True
    if isinstance(origin, type) and model_fields(origin) is not None:
        return True
    if origin is list:
        args = get_args(base)
        return bool(args) and _strip_optional(args[0]) not in _SCALARS and not _is_text_type(args[0])
    return False


def _is_text_type(tp: Any) -> bool:
    tp = _strip_optional(tp)
    return (
        tp in _TEXT_TYPES or get_origin(tp) is Literal or (isinstance(tp, type) and issubclass(tp, enum.Enum))
    )
