"""Spikard: a Python web framework whose HTTP engine is Rust.

Write handlers the way you would in FastAPI; sockets, HTTP, routing, parsing, validation
and JSON in both directions run in Rust.
"""

from spikard import status
from spikard._spikard import Request, RequestError, __version__
from spikard.app import Spikard
from spikard.background import BackgroundTasks
from spikard.exceptions import HTTPException, StartupError
from spikard.params import Body, Cookie, Depends, Header, Path, Query
from spikard.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from spikard.schema import Field

__all__ = [
    "BackgroundTasks",
    "Body",
    "Cookie",
    "Depends",
    "Field",
    "HTMLResponse",
    "HTTPException",
    "Header",
    "JSONResponse",
    "Path",
    "PlainTextResponse",
    "Query",
    "RedirectResponse",
    "Request",
    "RequestError",
    "Response",
    "Spikard",
    "StartupError",
    "__version__",
    "status",
]
