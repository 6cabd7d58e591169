"""The event loop the dispatcher thread runs (uvloop when installed), and the shim that
lets a task continue a coroutine the dispatcher already stepped once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
import types
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# The name the server gives after-response tasks (see `spikard-py/src/dispatch/call.rs`).
AFTER_RESPONSE = "spikard-after-response"


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop  # type: ignore[import-not-found]
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()  # type: ignore[no-any-return]


def run(
    fd: int,
    drain: Callable[[], bool],
    blocking_threads: int,
    lifespan: Any,
    started: Callable[[str | None], None],
) -> None:
    """Run `lifespan.startup()`, report it through `started` (None, or why it failed), then
    serve the queue behind eventfd `fd` until `drain` reports the server closed, and run
    `lifespan.shutdown()`. `blocking=True` handlers run on the loop's default executor, a
    pool of `blocking_threads` threads."""
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    pool = ThreadPoolExecutor(max_workers=blocking_threads, thread_name_prefix="spikard-blocking")
    loop.set_default_executor(pool)
    if lifespan is None:
        lifespan = _NoLifespan()
    try:
        loop.run_until_complete(lifespan.startup())
    except BaseException as exc:
        started("".join(traceback.format_exception(exc)).rstrip())
        loop.close()
        pool.shutdown(wait=False, cancel_futures=True)
        return
    started(None)

    def ready() -> None:
        if not drain():
            loop.stop()

    loop.add_reader(fd, ready)
    loop.call_soon(ready)
    try:
        loop.run_forever()
    finally:
        loop.remove_reader(fd)
        # Background tasks and dependency cleanup of answered requests get the app's
        # shutdown_timeout to finish; anything else still pending is cancelled.
        after = [t for t in asyncio.all_tasks(loop) if t.get_name() == AFTER_RESPONSE]
        if after:
            grace = getattr(getattr(lifespan, "app", None), "shutdown_timeout", 0.0)
            loop.run_until_complete(asyncio.wait(after, timeout=grace))
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        with contextlib.suppress(Exception):
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        try:
            loop.run_until_complete(lifespan.shutdown())
        except Exception:
            logging.getLogger("spikard").exception("shutdown hook failed")
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_asyncgens())
        asyncio.set_event_loop(None)
        loop.close()
        pool.shutdown(wait=True, cancel_futures=True)


class _NoLifespan:
    async def startup(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


@types.coroutine
def resume(coro: Any, yielded: Any) -> Generator[Any, Any, Any]:
    """Drive `coro` from its first suspension on: `yielded` is what it yielded to the
    dispatcher's eager step. Values and exceptions the task sends in (cancellation
    included) are passed on to the coroutine."""
    while True:
        try:
            sent = yield yielded
        except BaseException as exc:
            try:
                yielded = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                yielded = coro.send(sent)
            except StopIteration as stop:
                return stop.value
