"""`Depends`: compiling a handler's dependency tree into one extraction plan, and solving it
per request.

At server start every route's tree (overrides applied) is walked once: the request values
that any function in it reads (query, header, body, the request, `BackgroundTasks`...) are
merged into the single flat plan the Rust core extracts and validates, so every error of a
request is reported at once, before any dependency runs. Per request, `solve` calls the
dependencies in order (each once, unless `use_cache=False`), enters generators on an exit
stack, and calls the handler. The exit stack closes after the response has been handed over,
after the request's background tasks, in reverse order of entry; if the handler raised, the
exception is thrown into the generators at their `yield`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, Literal

from spikard._loop import run_blocking
from spikard._plan import ParamDesc, Source
from spikard.background import BackgroundTasks
from spikard.params import Dependency, analyze

Kind = Literal["function", "coroutine", "generator", "asyncgen"]


@dataclasses.dataclass
class Dependant:
    """A callable in the tree: where each of its arguments comes from."""

    call: Callable[..., Any]
    kind: Kind
    use_cache: bool
    # (argument, name in the flat plan) for values read from the request.
    values: list[tuple[str, str]]
    # (argument, dependency) for values other callables produce.
    dependencies: list[tuple[str, Dependant]]


@dataclasses.dataclass(frozen=True)
class Compiled:
    """What the server runs for a route: the flat plan, and the callable it calls with it."""

    params: list[ParamDesc]
    handler: Callable[..., Any]
    is_async: bool


def compile_route(
    label: str,
    path: str,
    endpoint: Callable[..., Any],
    route_dependencies: list[Dependency],
    overrides: Mapping[Callable[..., Any], Callable[..., Any]],
    blocking: bool,
    schemas: Mapping[str, Any],
) -> Compiled:
    """The plan for `endpoint` on `path` (`schemas`: a schema-first route's `body_schema`
    and `parameter_schema`). A handler without dependencies is called as it is; one with
    them is called through an `async def` that solves them first."""
    plan = analyze(label, path, endpoint, **schemas)
    is_async = inspect.iscoroutinefunction(endpoint)
    if not route_dependencies and all(p.source != Source.DEPENDS for p in plan):
        return Compiled(plan, endpoint, is_async)
    flat = _Flat(label, path, overrides)
    root = flat.dependant(endpoint, plan, use_cache=False)
    extra = [flat.resolve(d, chain=(endpoint,)) for d in route_dependencies]
    tasks = flat.name_of(ParamDesc("tasks", Source.BACKGROUND, "tasks", None, False, False, None))
    handler = _solver(root, extra, tasks, blocking)
    return Compiled(flat.params, handler, True)


class _Flat:
    """Builds the tree, merging the request values it reads into one plan: values with the
    same source, key, type and default are extracted once and shared."""

    def __init__(
        self, label: str, path: str, overrides: Mapping[Callable[..., Any], Callable[..., Any]]
    ) -> None:
        self.label = label
        self.path = path
        self.overrides = overrides
        self.params: list[ParamDesc] = []

    def name_of(self, desc: ParamDesc) -> str:
        for known in self.params:
            if _same_value(known, desc):
                return known.name
        taken = {p.name for p in self.params}
        name = desc.name
        n = 1
        while name in taken:
            n += 1
            name = f"{desc.name}__{n}"
        self.params.append(dataclasses.replace(desc, name=name))
        return name

    def dependant(
        self, call: Callable[..., Any], plan: list[ParamDesc], *, use_cache: bool, chain: tuple[Any, ...] = ()
    ) -> Dependant:
        values, dependencies = [], []
        for desc in plan:
            if desc.source == Source.DEPENDS:
                dependencies.append((desc.name, self.resolve(desc.default, (*chain, call))))
            else:
                values.append((desc.name, self.name_of(desc)))
        return Dependant(call, _kind(call), use_cache, values, dependencies)

    def resolve(self, depends: Dependency, chain: tuple[Any, ...]) -> Dependant:
        call = depends.dependency
        assert call is not None  # params.analyze fills it in
        call = self.overrides.get(call, call)
        if call in chain:
            raise TypeError(f"route {self.label}: dependency cycle through {_name(call)}")
        label = f"{self.label} (dependency {_name(call)})"
        return self.dependant(call, analyze(label, self.path, call), use_cache=depends.use_cache, chain=chain)


def _same_value(a: ParamDesc, b: ParamDesc) -> bool:
    if a.source in (Source.REQUEST, Source.BACKGROUND):
        return a.source == b.source
    if a.source == Source.BODY:
        return b.source == Source.BODY
    return (a.source, a.key, a.kind, a.list, a.required) == (
        b.source,
        b.key,
        b.kind,
        b.list,
        b.required,
    ) and (a.default is b.default or a.default == b.default)


def _kind(call: Callable[..., Any]) -> Kind:
    target = call if inspect.isroutine(call) or isinstance(call, type) else type(call).__call__
    if inspect.isasyncgenfunction(target):
        return "asyncgen"
    if inspect.isgeneratorfunction(target):
        return "generator"
    if inspect.iscoroutinefunction(target):
        return "coroutine"
    return "function"


def _name(call: Callable[..., Any]) -> str:
    return getattr(call, "__qualname__", None) or repr(call)


class _Solving:
    """One request's state: values of cached dependencies, and generators to close."""

    __slots__ = ("cache", "stack", "values")

    def __init__(self, values: dict[str, Any], stack: contextlib.AsyncExitStack) -> None:
        self.values = values
        self.stack = stack
        self.cache: dict[Callable[..., Any], Any] = {}

    async def arguments(self, dependant: Dependant) -> dict[str, Any]:
        kwargs = {arg: self.values[flat] for arg, flat in dependant.values}
        for arg, dependency in dependant.dependencies:
            kwargs[arg] = await self.value_of(dependency)
        return kwargs

    async def value_of(self, dependant: Dependant) -> Any:
        if dependant.use_cache and dependant.call in self.cache:
            return self.cache[dependant.call]
        kwargs = await self.arguments(dependant)
        call = dependant.call
        if dependant.kind == "coroutine":
            value = await call(**kwargs)
        elif dependant.kind == "generator":
            value = self.stack.enter_context(contextlib.contextmanager(call)(**kwargs))
        elif dependant.kind == "asyncgen":
            value = await self.stack.enter_async_context(contextlib.asynccontextmanager(call)(**kwargs))
        else:
            value = call(**kwargs)
        if dependant.use_cache:
            self.cache[dependant.call] = value
        return value


def _solver(root: Dependant, extra: list[Dependant], tasks_name: str, blocking: bool) -> Callable[..., Any]:
    endpoint = root.call

    async def solve(**values: Any) -> Any:
        tasks: BackgroundTasks = values[tasks_name]
        solving = _Solving(values, tasks._exit_stack())
        try:
            for dependant in extra:
                await solving.value_of(dependant)
            kwargs = await solving.arguments(root)
            if root.kind == "coroutine":
                return await endpoint(**kwargs)
            if blocking:
                call = functools.partial(endpoint, **kwargs)
                return await run_blocking(call)
            return endpoint(**kwargs)
        except BaseException as exc:
            tasks._failed(exc)
            raise

    solve.__qualname__ = f"{_name(endpoint)} (with dependencies)"
    return solve
