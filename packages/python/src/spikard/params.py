"""Reading a handler's signature, once, into the extraction plan the Rust core runs.

Each argument gets a source (path, query, header, cookie, body or the request itself), a
scalar kind the core coerces to, and whether it is required. Nothing here runs per request.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from spikard._spikard import Request
from spikard.background import BackgroundTasks

Source = Literal["path", "query", "header", "cookie", "body", "request", "background", "depends"]

_SCALARS: dict[Any, str] = {str: "str", int: "int", float: "float", bool: "bool", uuid.UUID: "uuid"}
_PATH_PARAM = re.compile(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)\}")


class Param:
    """Where an argument comes from, for use with `Annotated[T, Query()]` and friends."""

    source: Source = "query"

    def __init__(self, default: Any = ..., *, alias: str | None = None) -> None:
        self.default = default
        self.alias = alias

    def __repr__(self) -> str:
        return f"{type(self).__name__}(default={self.default!r}, alias={self.alias!r})"


class Query(Param):
    source = "query"


class Path(Param):
    source = "path"


class Header(Param):
    """A request header; `x_token` reads `x-token` unless `convert_underscores=False`."""

    source = "header"

    def __init__(
        self, default: Any = ..., *, alias: str | None = None, convert_underscores: bool = True
    ) -> None:
        super().__init__(default, alias=alias)
        self.convert_underscores = convert_underscores


class Cookie(Param):
    source = "cookie"


class Body(Param):
    source = "body"


class Depends:
    """An argument whose value is what `dependency` returns for this request, FastAPI style:
    `db: Annotated[Session, Depends(get_db)]` or `db: Session = Depends(get_db)`.

    `dependency` may be a `def` or `async def` function, a generator (its code after `yield`
    runs after the response), or a class; without one, the annotation is called. Its own
    parameters are read from the request like a handler's, sub-dependencies included. Within
    one request each dependency runs once and its value is shared, unless `use_cache=False`."""

    def __init__(self, dependency: Callable[..., Any] | None = None, *, use_cache: bool = True) -> None:
        self.dependency = dependency
        self.use_cache = use_cache

    def __repr__(self) -> str:
        name = getattr(self.dependency, "__qualname__", self.dependency)
        return f"Depends({name}, use_cache={self.use_cache})"


@dataclass(frozen=True)
class ParamDesc:
    """One handler argument, as `spikard._spikard.Server` reads it. (Arguments with source
    `depends` carry their `Depends` in `default` and never reach the server.)"""

    name: str
    source: Source
    key: str
    kind: str
    list: bool
    required: bool
    default: Any


def path_params(path: str) -> list[str]:
    """The `{name}` and `{*name}` parameters of a route path, in order."""
    return _PATH_PARAM.findall(path)


def analyze(label: str, path: str, func: Callable[..., Any]) -> list[ParamDesc]:
    """The extraction plan for `func` on `path`. Raises `TypeError` naming the route and
    argument for anything the plan cannot express."""
    in_path = set(path_params(path))
    try:
        hints = _type_hints(func)
        signature = inspect.signature(func)
    except Exception as exc:
        name = getattr(func, "__qualname__", repr(func))
        raise TypeError(f"route {label}: cannot read the signature of {name}: {exc}") from exc
    plan = []
    for name, p in signature.parameters.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            raise TypeError(f"route {label}: parameter {name!r} must be passable by keyword")
        try:
            plan.append(_describe(name, hints.get(name, str), p.default, in_path))
        except TypeError as exc:
            raise TypeError(f"route {label}: parameter {name!r}: {exc}") from None
    return plan


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
    depends = default if isinstance(default, Depends) else None
    if get_origin(annotation) is Annotated:
        annotation, *extras = get_args(annotation)
        marker = next((e for e in extras if isinstance(e, Param)), None)
        depends = next((e for e in extras if isinstance(e, Depends)), depends)
    if depends is not None:
        dependency = depends.dependency or _strip_optional(annotation)
        if not callable(dependency):
            raise TypeError(f"Depends() needs a callable, or an annotation to call ({dependency!r})")
        resolved = Depends(dependency, use_cache=depends.use_cache)
        return ParamDesc(name, "depends", name, "any", False, True, resolved)
    if marker is not None and marker.default is not ...:
        default = marker.default
    has_default = default is not inspect.Parameter.empty and default is not ...
    base = _strip_optional(annotation)

    if isinstance(base, type) and issubclass(base, Request):
        return ParamDesc(name, "request", name, "str", False, False, None)
    if isinstance(base, type) and issubclass(base, BackgroundTasks):
        return ParamDesc(name, "background", name, "str", False, False, None)

    source: Source
    if marker is not None:
        source = marker.source
    elif name in in_path:
        source = "path"
    elif _body_kind(base) is not None:
        source = "body"
    else:
        source = "query"

    if source == "body":
        kind = _body_kind(base) or ("any" if base is Any else None)
        if kind is None:
            raise TypeError(f"unsupported body annotation {annotation!r} (use dict, list or Any)")
        return ParamDesc(name, "body", name, kind, False, not has_default, default if has_default else None)

    kind, is_list = _scalar_kind(base)
    if source == "path":
        if name not in in_path and (marker is None or marker.alias not in in_path):
            raise TypeError("declared as a path parameter but the path has no such {segment}")
        if is_list:
            raise TypeError("a path parameter cannot be a list")
    key = marker.alias if marker is not None and marker.alias else name
    if source == "header" and (marker is None or marker.alias is None):
        convert = getattr(marker, "convert_underscores", True)
        key = (name.replace("_", "-") if convert else name).lower()
    required = source == "path" or not has_default
    return ParamDesc(name, source, key, kind, is_list, required, default if has_default else None)


def _strip_optional(annotation: Any) -> Any:
    """`X | None` and `Optional[X]` -> `X`."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _scalar_kind(base: Any) -> tuple[str, bool]:
    if base in _SCALARS:
        return _SCALARS[base], False
    if base is list or get_origin(base) is list:
        args = get_args(base)
        item = _strip_optional(args[0]) if args else str
        if item in _SCALARS:
            return _SCALARS[item], True
    if base is Any:
        return "str", False
    raise TypeError(f"unsupported parameter type {base!r} (use str, int, float, bool, UUID or list of them)")


def _body_kind(base: Any) -> str | None:
    origin = get_origin(base) or base
    if origin in (dict, Mapping) or (isinstance(origin, type) and issubclass(origin, Mapping)):
        return "object"
    if origin is list:
        args = get_args(base)
        if args and _strip_optional(args[0]) not in _SCALARS:
            return "array"
    return None
