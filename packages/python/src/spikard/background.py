"""`BackgroundTasks`: work a handler queues to run after its response has been handed over."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

_log = logging.getLogger("spikard")


class BackgroundTasks:
    """Declare a parameter of this type; `add_task(func, *args, **kwargs)` runs `func` after
    the response. `async def` tasks run on the server's loop, others on the blocking pool;
    they run in order, and an exception is logged with its traceback, never lost."""

    def __init__(self) -> None:
        self.tasks: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []

    def add_task(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        self.tasks.append((func, args, kwargs))

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for func, args, kwargs in self.tasks:
            try:
                if inspect.iscoroutinefunction(func):
                    await func(*args, **kwargs)
                else:
                    await loop.run_in_executor(None, functools.partial(func, *args, **kwargs))
            except Exception:
                _log.exception("background task %s failed", getattr(func, "__qualname__", func))
