"""The event loop the dispatcher thread runs (uvloop when installed), and the shim that
lets a task continue a coroutine the dispatcher already stepped once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import traceback
import types
from collections.abc import Callable, Generator
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

T = TypeVar("T")

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
    `lifespan.shutdown()`. `blocking=True` handlers (and sync dependencies and background
    tasks) run on this loop's `DaemonPool` of `blocking_threads` threads (`run_blocking`)."""
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    pool = DaemonPool(blocking_threads, "spikard-blocking")
    _pools.current = pool
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
        # The server already waited shutdown_timeout for in-flight requests: a blocking
        # handler still running is abandoned (its thread is a daemon), not waited for.
        pool.shutdown(wait=False, cancel_futures=True)
        _pools.current = None


class DaemonPool(Executor):
    """A bounded thread pool whose threads are daemons. `ThreadPoolExecutor`'s threads are
    joined when the interpreter exits, so one handler blocked for minutes would hold a
    SIGTERM'd server past its `shutdown_timeout`; these are not."""

    def __init__(self, workers: int, name: str) -> None:
        self._jobs: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._workers = workers
        self._name = name

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((future, lambda: fn(*args, **kwargs)))
        if not self._idle.acquire(blocking=False):
            with self._lock:
                if len(self._threads) < self._workers:
                    name = f"{self._name}-{len(self._threads)}"
                    thread = threading.Thread(target=self._work, name=name, daemon=True)
                    thread.start()
                    self._threads.append(thread)
        return future

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, call = job
            del job
            if future.set_running_or_notify_cancel():
                try:
                    result = call()
                except BaseException as exc:
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            del future, call
            self._idle.release()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            with contextlib.suppress(queue.Empty):
                while (job := self._jobs.get_nowait()) is not None:
                    job[0].cancel()
        for _ in self._threads:
            self._jobs.put(None)
        if wait:
            for thread in self._threads:
                thread.join()


# The pool of the loop running on this thread (each server has its own dispatcher thread).
_pools = threading.local()


def run_blocking(call: Callable[[], T]) -> asyncio.Future[T]:
    """Run `call` on the running server loop's blocking pool (off a server's loop, as in a
    test that runs `BackgroundTasks` itself, on asyncio's default executor)."""
    return asyncio.get_running_loop().run_in_executor(getattr(_pools, "current", None), call)


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
