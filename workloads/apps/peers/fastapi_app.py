"""The workload endpoints on FastAPI, written the way its docs teach: typed `async def`
handlers, pydantic validation, FastAPI's own JSON responses."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Body, FastAPI
from models import Catalogue, Small

app = FastAPI()


@app.post("/json/small")
@app.post("/json/medium")
@app.post("/json/large")
@app.post("/json/xlarge")
@app.post("/async/json/small")
async def json_echo(body: dict[str, Any] = Body()) -> dict[str, Any]:  # noqa: B008
    return body


@app.post("/validated/json/small")
async def validated_small(body: Small) -> Small:
    return body


@app.post("/validated/json/medium")
async def validated_medium(body: Catalogue) -> Catalogue:
    return body


@app.get("/path/{id}")
async def path_simple(id: str) -> dict[str, Any]:
    return {"id": id}


@app.get("/path-multiple/{user_id}/posts/{post_id}")
async def path_multiple(user_id: str, post_id: str) -> dict[str, Any]:
    return {"user_id": user_id, "post_id": post_id}


@app.get("/path-int/{n}")
async def path_int(n: int) -> dict[str, Any]:
    return {"n": n}


@app.get("/path-uuid/{u}")
async def path_uuid(u: uuid.UUID) -> dict[str, Any]:
    return {"uuid": str(u)}


@app.get("/path-deep/{a}/{b}/{c}/{d}/{e}")
async def path_deep(a: str, b: str, c: str, d: str, e: str) -> dict[str, Any]:
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


@app.get("/query")
async def query_few(limit: int = 10, offset: int = 0) -> dict[str, Any]:
    return {"limit": limit, "offset": offset}


@app.get("/query-many")
async def query_many(
    q: str = "",
    page: int = 1,
    per_page: int = 20,
    sort: str = "id",
    order: str = "asc",
    active: bool = False,
    min_price: float = 0.0,
    max_price: float = 0.0,
    category: str = "",
    lang: str = "en",
) -> dict[str, Any]:
    return {
        "q": q,
        "page": page,
        "per_page": per_page,
        "sort": sort,
        "order": order,
        "active": active,
        "min_price": min_price,
        "max_price": max_price,
        "category": category,
        "lang": lang,
    }


@app.get("/health")
async def health() -> dict[str, Any]:
    return {"ok": True}
