"""`BackgroundTasks`: work a handler queues to run after its response has been handed over.

The same object carries the request's dependency exit stack, closed after the tasks."""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from spikard._loop import run_blocking

_log = logging.getLogger("spikard")


class BackgroundTasks:
    """Declare a parameter of this type; `add_task(func, *args, **kwargs)` runs `func` after
    the response. `async def` tasks run on the server's loop, others on the blocking pool;
    they run in order, and an exception is logged with its traceback, never lost. Tasks run
    only when the handler returned a response (not after an exception or a disconnect)."""

    def __init__(self) -> None:
        self.tasks: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
        self._stack: contextlib.AsyncExitStack | None = None
        self._error: BaseException | None = None

    def add_task(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        self.tasks.append((func, args, kwargs))

    async def run(self) -> None:
        for func, args, kwargs in self.tasks:
            try:
                if inspect.iscoroutinefunction(func):
                    await func(*args, **kwargs)
                else:
                    await run_blocking(functools.partial(func, *args, **kwargs))
            except Exception:
                _log.exception("background task %s failed", getattr(func, "__qualname__", func))

    def _exit_stack(self) -> contextlib.AsyncExitStack:
        """The stack the request's generator dependencies are entered on."""
        self._stack = contextlib.AsyncExitStack()
        return self._stack

    def _failed(self, error: BaseException) -> None:
        """The handler (or a dependency) raised `error`: it is thrown into the generators."""
        self._error = error

    def _after_response(self, answered: bool) -> Coroutine[Any, Any, None] | None:
        """Called by the server once the request is over; what to run on the loop, if any."""
        if (answered and self.tasks) or self._stack is not None:
            return self._finish(answered)
        return None

    async def _finish(self, answered: bool) -> None:
        if answered:
            await self.run()
        if self._stack is None:
            return
        error = self._error
        try:
            if error is None:
                await self._stack.aclose()
            else:
                await self._stack.__aexit__(type(error), error, error.__traceback__)
        except Exception:
            _log.exception("cleanup of a dependency failed")
