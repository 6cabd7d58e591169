"""The workload endpoints on plain Starlette: routing and JSON responses, parsing by hand."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from models import VALIDATED
from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def json_echo(request: Request) -> JSONResponse:
    return JSONResponse(await request.json())


def validated(model: type[BaseModel]) -> Callable[[Request], Awaitable[Response]]:
    """An echo that validates the body against `model` first (422 with pydantic's errors)."""

    async def endpoint(request: Request) -> Response:
        try:
            body = model.model_validate_json(await request.body())
        except ValidationError as e:
            return Response(e.json(include_url=False), 422, media_type="application/json")
        return Response(body.model_dump_json(), media_type="application/json")

    return endpoint


async def path_simple(request: Request) -> JSONResponse:
    return JSONResponse({"id": request.path_params["id"]})


async def path_multiple(request: Request) -> JSONResponse:
    p = request.path_params
    return JSONResponse({"user_id": p["user_id"], "post_id": p["post_id"]})


async def path_int(request: Request) -> JSONResponse:
    return JSONResponse({"n": request.path_params["n"]})


async def path_uuid(request: Request) -> JSONResponse:
    return JSONResponse({"uuid": str(request.path_params["u"])})


async def path_deep(request: Request) -> JSONResponse:
    return JSONResponse(dict(request.path_params))


async def query_few(request: Request) -> JSONResponse:
    q = request.query_params
    return JSONResponse({"limit": int(q.get("limit", 10)), "offset": int(q.get("offset", 0))})


async def query_many(request: Request) -> JSONResponse:
    q = request.query_params
    body: dict[str, Any] = {
        "q": q.get("q", ""),
        "page": int(q.get("page", 1)),
        "per_page": int(q.get("per_page", 20)),
        "sort": q.get("sort", "id"),
        "order": q.get("order", "asc"),
        "active": q.get("active", "false").lower() in ("true", "1", "yes", "on"),
        "min_price": float(q.get("min_price", 0)),
        "max_price": float(q.get("max_price", 0)),
        "category": q.get("category", ""),
        "lang": q.get("lang", "en"),
    }
    return JSONResponse(body)


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


_ = uuid  # the path converter below parses UUIDs
app = Starlette(
    routes=[
        *[
            Route(f"/json/{size}", json_echo, methods=["POST"])
            for size in ("small", "medium", "large", "xlarge")
        ],
        Route("/async/json/small", json_echo, methods=["POST"]),
        *[
            Route(f"/validated/json/{size}", validated(model), methods=["POST"])
            for size, model in VALIDATED.items()
        ],
        Route("/path/{id}", path_simple),
        Route("/path-multiple/{user_id}/posts/{post_id}", path_multiple),
        Route("/path-int/{n:int}", path_int),
        Route("/path-uuid/{u:uuid}", path_uuid),
        Route("/path-deep/{a}/{b}/{c}/{d}/{e}", path_deep),
        Route("/query", query_few),
        Route("/query-many", query_many),
        Route("/health", health),
    ]
)
