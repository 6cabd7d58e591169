"""The bodies of the validated-json workloads as pydantic v2 models, shared by every peer app:
FastAPI and Robyn take them as typed handler parameters, Starlette and Granian call
`model_validate_json` themselves. The constraints match the dataclasses of
workloads/apps/python/app.py and the JSON Schemas of the Rust apps."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Small(BaseModel):
    id: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=64)
    active: bool
    count: int = Field(ge=0)
    tags: list[str] = Field(max_length=16)


class Dimensions(BaseModel):
    w: int = Field(ge=0)
    h: int = Field(ge=0)
    d: int = Field(ge=0)


class Item(BaseModel):
    id: int = Field(ge=0)
    sku: str = Field(pattern=r"^SKU-[0-9]{8}$")
    name: str = Field(min_length=1, max_length=128)
    price: float = Field(gt=0)
    in_stock: bool
    tags: list[str]
    dimensions: Dimensions
    note: str | None


class Catalogue(BaseModel):
    catalogue: str = Field(min_length=1)
    items: list[Item]
    pad: str  # filler that brings the payload to 5 KiB


# The model of each validated route, by its last path segment.
VALIDATED: dict[str, type[BaseModel]] = {"small": Small, "medium": Catalogue}
