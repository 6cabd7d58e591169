"""The route contract: what `spikard._spikard.Server` reads from this package, declared once.

`crates/spikard-py/src/plan.rs` mirrors it one to one: the names of `Source`, `Kind` and
the shape classes are the names the extension matches (it exports its own as
`_spikard.PLAN`), and `_spikard.read_param` reads a `ParamDesc` into its Rust form and
writes it back, so `tests/test_plan.py` round-trips every source x kind x shape through
the extension and a mismatch fails in CI rather than at a user's startup.

A *shape* says how to turn validated JSON (dicts, lists, strings) into the annotated Python
value (dataclasses, pydantic models, msgspec structs, `UUID`, `datetime`, `Decimal`,
enums) without validating a second time; `spikard.schema` computes it with the schema.
`None` is "keep the value as it is".
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class Source(str, enum.Enum):
    """Where a handler argument comes from."""

    PATH = "path"
    QUERY = "query"
    HEADER = "header"
    COOKIE = "cookie"
    BODY = "body"
    # The `spikard.Request` itself.
    REQUEST = "request"
    # A fresh `spikard.BackgroundTasks`, run after the response.
    BACKGROUND = "background"
    # Solved in Python (`spikard.dependencies`); never reaches the server.
    DEPENDS = "depends"


# Sources read from the request as text and coerced to a `Kind` by the Rust core.
PARAM_SOURCES = frozenset({Source.PATH, Source.QUERY, Source.HEADER, Source.COOKIE})


class Kind(str, enum.Enum):
    """The scalar type the Rust core coerces a parameter's text to."""

    STR = "str"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    UUID = "uuid"


@dataclass(frozen=True)
class ToFloat:
    """An `int` made a `float` (where a `float` was declared)."""


@dataclass(frozen=True)
class ToInt:
    """An integral float (`2.0`) made an `int` (where an `int` was declared)."""


@dataclass(frozen=True)
class Convert:
    """`func(value)`."""

    func: Callable[[Any], Any]


@dataclass(frozen=True)
class Validate:
    """`func(value)`, which may refuse it by raising `RequestValidationError`: a body that
    pydantic validates after the Rust checks. Its errors join those of the parameters in
    one 422, so it is also run when only the parameters failed."""

    func: Callable[[Any], Any]


@dataclass(frozen=True)
class EachItem:
    """Each item of a list, shaped."""

    item: Shape


@dataclass(frozen=True)
class EachValue:
    """Each value of a dict, shaped."""

    value: Shape


@dataclass(frozen=True)
class UnlessNone:
    """The value shaped, unless it is `None`."""

    inner: Shape


@dataclass(frozen=True)
class Embedded:
    """`value[key]`, shaped: a body embedded under the argument's name."""

    key: str
    inner: Shape


@dataclass(frozen=True)
class BuildField:
    """One field of a `Build`: its JSON key, its constructor keyword and its shape."""

    key: str
    arg: str
    shape: Shape


@dataclass(frozen=True)
class Build:
    """A model: `ctor(**{f.arg: f.shape(value[f.key]) for present keys})`; with no `ctor`,
    the dict itself with its values shaped. `plain`: a dataclass that, when every field is
    there (and nothing else), is made with the dict as its `__dict__`."""

    ctor: Callable[..., Any] | None
    fields: tuple[BuildField, ...]
    plain: bool


Shape = ToFloat | ToInt | Convert | Validate | EachItem | EachValue | UnlessNone | Embedded | Build | None

# Every shape class, as `_spikard.PLAN["shapes"]` names them.
SHAPES = (ToFloat, ToInt, Convert, Validate, EachItem, EachValue, UnlessNone, Embedded, Build)


@dataclass(frozen=True)
class ParamDesc:
    """One handler argument, as `spikard._spikard.Server` reads it. (Arguments with source
    `depends` carry their `Depends` in `default` and never reach the server.)"""

    name: str
    source: Source
    # The name it is read by: path segment, query key, header (lower case) or cookie name.
    key: str
    # For `PARAM_SOURCES`; None for the others.
    kind: Kind | None
    list: bool
    required: bool
    default: Any
    # The value's JSON Schema as declared (documentation; a body's carries its `$defs`).
    schema: dict[str, Any] | None = None
    # The JSON Schema the Rust side validates the value against, as JSON; None: no check
    # beyond coercion to `kind`.
    check: str | None = None
    # How to build the annotated Python value from the validated one.
    shape: Shape = None


@dataclass(frozen=True)
class Route:
    """A registered route; the server reads `methods` to `blocking` and `response_model`
    (`plan.rs` `RoutePlan`), the rest documents it."""

    methods: list[str]
    path: str
    # What the server calls: the handler itself, or what solves its dependencies first.
    handler: Callable[..., Any]
    params: list[ParamDesc]
    status_code: int
    is_async: bool
    blocking: bool
    # The route's own `spikard.Depends`, run before the handler.
    dependencies: list[Any]
    # The decorated function.
    endpoint: Callable[..., Any]
    # A schema-first route's `body_schema` and `parameter_schema`.
    schemas: dict[str, Any] = dataclasses.field(default_factory=dict)
    # For OpenAPI: the response body's JSON Schema (with its `$defs`), and the operation.
    response_schema: dict[str, Any] | None = None
    include_in_schema: bool = True
    summary: str | None = None
    description: str | None = None
    tags: list[str] = dataclasses.field(default_factory=list)
    # What the handler's return value goes through before it is encoded (a
    # `spikard.response_model.ResponseModel`: `apply(value)`, skipped for instances of
    # exactly its `exact` class); None sends it as it is.
    response_model: Any = None
