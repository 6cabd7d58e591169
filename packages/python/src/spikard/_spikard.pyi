"""The native extension, built from crates/spikard-py."""

from collections.abc import Sequence
from typing import Any

from spikard.datastructures import URL, Address, Headers, QueryParams
from spikard.lifespan import State

__version__: str
# Headers the server frames a response with; user code may not set them.
FRAMING_HEADERS: list[str]

class Server:
    def __init__(
        self,
        routes: Sequence[Any],
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        body_limit: int = 10485760,
        shutdown_timeout: float = 10.0,
        workers: int = 0,
        debug: bool = False,
        profile: bool = False,
        blocking_threads: int = 8,
        blocking_queue: int = 64,
        lifespan: Any = None,
        header_timeout: float = 30.0,
        keep_alive_timeout: float = 5.0,
        body_timeout: float = 30.0,
        max_connections: int = 10000,
        max_header_size: int = 16384,
        redirect_slashes: bool = True,
        slow_handler_warning: float | None = 0.5,
        error_format: str = "problem",
        app: Any = None,
    ) -> None: ...
    def start(self) -> tuple[str, int]: ...
    def stop(self) -> None: ...
    def serve(self) -> None: ...

class Request:
    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def query_string(self) -> str: ...
    @property
    def headers(self) -> Headers: ...
    @property
    def query_params(self) -> QueryParams: ...
    @property
    def url(self) -> URL: ...
    @property
    def base_url(self) -> URL: ...
    @property
    def client(self) -> Address | None: ...
    @property
    def app(self) -> Any: ...
    @property
    def state(self) -> State: ...
    @property
    def cookies(self) -> dict[str, str]: ...
    @property
    def path_params(self) -> dict[str, str]: ...
    @property
    def body(self) -> bytes: ...
    def json(self) -> Any: ...

class RequestError(Exception):
    @property
    def status_code(self) -> int: ...

def loads(data: bytes) -> Any: ...
def dumps(obj: Any) -> bytes: ...
def check_schema(text: str) -> None:
    """Raises `ValueError` if the Rust validator cannot run the JSON Schema `text`."""
