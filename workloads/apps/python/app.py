"""The workload app on Spikard: every endpoint of workloads/workloads.json.

Every benchmark target serves these same endpoints with the same bodies.
"""

from __future__ import annotations

import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from spikard import Spikard
from spikard.schema import Field

app = Spikard()


@app.post("/json/small")
@app.post("/json/medium")
@app.post("/json/large")
@app.post("/json/xlarge")
def json_echo(body: dict[str, Any]) -> dict[str, Any]:
    """Echo the JSON body: parsed into Python objects, encoded back."""
    return body


@app.post("/async/json/small")
async def async_json_echo(body: dict[str, Any]) -> dict[str, Any]:
    """The same echo from an `async def` handler."""
    return body


@dataclass
class Small:
    id: Annotated[int, Field(ge=1)]
    name: Annotated[str, Field(min_length=1, max_length=64)]
    active: bool
    count: Annotated[int, Field(ge=0)]
    tags: Annotated[list[str], Field(max_length=16)]


@dataclass
class Dimensions:
    w: Annotated[int, Field(ge=0)]
    h: Annotated[int, Field(ge=0)]
    d: Annotated[int, Field(ge=0)]


@dataclass
class Item:
    id: Annotated[int, Field(ge=0)]
    sku: Annotated[str, Field(pattern=r"^SKU-[0-9]{8}$")]
    name: Annotated[str, Field(min_length=1, max_length=128)]
    price: Annotated[float, Field(gt=0)]
    in_stock: bool
    tags: list[str]
    dimensions: Dimensions
    note: str | None


@dataclass
class Catalogue:
    catalogue: Annotated[str, Field(min_length=1)]
    items: list[Item]
    pad: str  # filler that brings the payload to 5 KiB


# SPIKARD_BENCH_MODELS picks the models of the validated routes (the targets
# spikard-python-pydantic and spikard-python-pydantic-validators): the dataclasses above
# (unset), "pydantic" (the peers' plain pydantic models, built with model_construct) or
# "pydantic-validators" (the same with field validators, so pydantic validates each body
# again after the Rust checks).
MODELS = os.environ.get("SPIKARD_BENCH_MODELS", "dataclass")
if MODELS == "dataclass":
    SmallModel: Any = Small
    CatalogueModel: Any = Catalogue
elif MODELS in ("pydantic", "pydantic-validators"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "peers"))
    import models as peer_models
    from pydantic import field_validator

    SmallModel, CatalogueModel = peer_models.Small, peer_models.Catalogue
    if MODELS == "pydantic-validators":

        class CheckedSmall(peer_models.Small):
            @field_validator("tags")
            @classmethod
            def distinct_tags(cls, tags: list[str]) -> list[str]:
                if len(set(tags)) != len(tags):
                    raise ValueError("tags repeat")
                return tags

        class CheckedItem(peer_models.Item):
            @field_validator("name")
            @classmethod
            def not_blank(cls, name: str) -> str:
                if not name.strip():
                    raise ValueError("a name is not blank")
                return name

        class CheckedCatalogue(peer_models.Catalogue):
            items: list[CheckedItem]  # type: ignore[assignment]

        SmallModel, CatalogueModel = CheckedSmall, CheckedCatalogue
else:
    raise SystemExit(f"SPIKARD_BENCH_MODELS: unknown {MODELS!r}")


@app.post("/validated/json/small")
def validated_small(body: SmallModel) -> SmallModel:
    """The body validated against a constrained model (422 otherwise), built, echoed."""
    return body


@app.post("/validated/json/medium")
def validated_medium(body: CatalogueModel) -> CatalogueModel:
    return body


@app.get("/path/{id}")
def path_simple(id: str) -> dict[str, Any]:
    return {"id": id}


@app.get("/path-multiple/{user_id}/posts/{post_id}")
def path_multiple(user_id: str, post_id: str) -> dict[str, Any]:
    return {"user_id": user_id, "post_id": post_id}


@app.get("/path-int/{n}")
def path_int(n: int) -> dict[str, Any]:
    return {"n": n}


@app.get("/path-uuid/{u}")
def path_uuid(u: uuid.UUID) -> dict[str, Any]:
    return {"uuid": str(u)}


@app.get("/path-deep/{a}/{b}/{c}/{d}/{e}")
def path_deep(a: str, b: str, c: str, d: str, e: str) -> dict[str, Any]:
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


@app.get("/query")
def query_few(limit: int = 10, offset: int = 0) -> dict[str, Any]:
    return {"limit": limit, "offset": offset}


@app.get("/query-many")
def query_many(
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
def health() -> dict[str, Any]:
    return {"ok": True}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8000)
