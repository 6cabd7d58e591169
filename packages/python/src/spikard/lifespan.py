"""Startup and shutdown: hooks and a lifespan context manager, run on the server's event loop
before the first request is accepted and after the last one has drained."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

Hook = Callable[[], Any]
LifespanFactory = Callable[[Any], contextlib.AbstractAsyncContextManager[Any]]


class State(SimpleNamespace):
    """`app.state`: shared resources (clients, models, pools) set up at startup."""


class Lifespan:
    """What the server runs around serving: `on_startup` hooks in order, then the lifespan
    context is entered; at the end it is exited, then `on_shutdown` hooks run in order."""

    def __init__(self, app: Any, factory: LifespanFactory | None) -> None:
        self.app = app
        self.factory = factory
        self.startup_hooks: list[Hook] = []
        self.shutdown_hooks: list[Hook] = []
        self._stack: contextlib.AsyncExitStack | None = None

    async def startup(self) -> None:
        for hook in self.startup_hooks:
            await _call(hook)
        if self.factory is not None:
            self._stack = contextlib.AsyncExitStack()
            await self._stack.enter_async_context(self.factory(self.app))

    async def shutdown(self) -> None:
        try:
            if self._stack is not None:
                await self._stack.aclose()
        finally:
            for hook in self.shutdown_hooks:
                await _call(hook)


async def _call(hook: Hook) -> None:
    result = hook()
    if inspect.isawaitable(result):
        await result
