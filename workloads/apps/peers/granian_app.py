"""The workload endpoints as a bare RSGI app on Granian, with orjson: the fastest Python a
speed-minded user would write by hand, with no framework at all."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qsl

import orjson
from models import VALIDATED
from pydantic import ValidationError

JSON = [("content-type", "application/json")]


def _query(scope: Any) -> dict[str, str]:
    return dict(parse_qsl(scope.query_string, keep_blank_values=True))


def _route(method: str, parts: list[str], scope: Any) -> tuple[int, Any]:
    match (method, parts):
        case ("GET", ["path", id_]):
            return 200, {"id": id_}
        case ("GET", ["path-multiple", user_id, "posts", post_id]):
            return 200, {"user_id": user_id, "post_id": post_id}
        case ("GET", ["path-int", n]):
            return 200, {"n": int(n)}
        case ("GET", ["path-uuid", u]):
            return 200, {"uuid": str(uuid.UUID(u))}
        case ("GET", ["path-deep", a, b, c, d, e]):
            return 200, {"a": a, "b": b, "c": c, "d": d, "e": e}
        case ("GET", ["query"]):
            q = _query(scope)
            return 200, {
                "limit": int(q.get("limit", 10)),
                "offset": int(q.get("offset", 0)),
            }
        case ("GET", ["query-many"]):
            q = _query(scope)
            return 200, {
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
        case ("GET", ["health"]):
            return 200, {"ok": True}
    return 404, {"detail": "Not Found"}


async def app(scope: Any, proto: Any) -> None:
    if scope.proto != "http":
        return
    parts = scope.path.strip("/").split("/")
    if scope.method == "POST" and parts[0] in ("json", "async"):
        body = await proto()
        proto.response_bytes(200, JSON, orjson.dumps(orjson.loads(body)))
        return
    if scope.method == "POST" and parts[:2] == ["validated", "json"] and parts[2:] in (["small"], ["medium"]):
        body = await proto()
        try:
            model = VALIDATED[parts[2]].model_validate_json(body)
        except ValidationError as e:
            proto.response_str(422, JSON, e.json(include_url=False))
            return
        proto.response_str(200, JSON, model.model_dump_json())
        return
    try:
        status, payload = _route(scope.method, parts, scope)
    except ValueError:
        status, payload = 422, {"detail": "invalid parameter"}
    proto.response_bytes(status, JSON, orjson.dumps(payload))
