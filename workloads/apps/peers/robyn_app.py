"""The workload endpoints on Robyn (1 process, 1 worker). The port comes from $PORT.

No `from __future__ import annotations`: Robyn reads handler annotations as objects, and a
string annotation would hide the pydantic models from it."""

import os
import uuid
from typing import Any

from models import Catalogue, Small
from robyn import Request, Robyn

app = Robyn(__file__)


def _echo(request: Request) -> Any:
    return request.json()


for size in ("small", "medium", "large", "xlarge"):
    app.post(f"/json/{size}")(_echo)


@app.post("/async/json/small")
async def async_echo(request: Request) -> Any:
    return request.json()


# Robyn validates a pydantic-typed parameter from the JSON body (422 otherwise) and
# serializes a returned model.
@app.post("/validated/json/small")
def validated_small(body: Small) -> Small:
    return body


@app.post("/validated/json/medium")
def validated_medium(body: Catalogue) -> Catalogue:
    return body


@app.get("/path/:id")
def path_simple(request: Request) -> Any:
    return {"id": request.path_params["id"]}


@app.get("/path-multiple/:user_id/posts/:post_id")
def path_multiple(request: Request) -> Any:
    p = request.path_params
    return {"user_id": p["user_id"], "post_id": p["post_id"]}


@app.get("/path-int/:n")
def path_int(request: Request) -> Any:
    return {"n": int(request.path_params["n"])}


@app.get("/path-uuid/:u")
def path_uuid(request: Request) -> Any:
    return {"uuid": str(uuid.UUID(request.path_params["u"]))}


@app.get("/path-deep/:a/:b/:c/:d/:e")
def path_deep(request: Request) -> Any:
    p = request.path_params
    return {k: p[k] for k in ("a", "b", "c", "d", "e")}


@app.get("/query")
def query_few(request: Request) -> Any:
    q = request.query_params
    return {"limit": int(q.get("limit", "10")), "offset": int(q.get("offset", "0"))}


@app.get("/query-many")
def query_many(request: Request) -> Any:
    q = request.query_params
    return {
        "q": q.get("q", ""),
        "page": int(q.get("page", "1")),
        "per_page": int(q.get("per_page", "20")),
        "sort": q.get("sort", "id"),
        "order": q.get("order", "asc"),
        "active": q.get("active", "false").lower() in ("true", "1", "yes", "on"),
        "min_price": float(q.get("min_price", "0")),
        "max_price": float(q.get("max_price", "0")),
        "category": q.get("category", ""),
        "lang": q.get("lang", "en"),
    }


@app.get("/health")
def health(request: Request) -> Any:
    return {"ok": True}


if __name__ == "__main__":
    app.start(host="127.0.0.1", port=int(os.environ["PORT"]))
