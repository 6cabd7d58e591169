"""The app `test_schemathesis.py` fuzzes: every parameter source, each scalar type with
constraints, a constrained dataclass body and dataclass responses. Each handler answers
with what it was given, so a value that got through validation wrongly shows up in a
response that breaks its documented schema."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from spikard import Cookie, Header, Path, Query, Spikard
from spikard.schema import Field


@dataclass
class Dimensions:
    width: Annotated[float, Field(gt=0, le=1000)]
    height: Annotated[float, Field(gt=0, le=1000)]


@dataclass
class Widget:
    name: Annotated[str, Field(min_length=1, max_length=20)]
    quantity: Annotated[int, Field(ge=0, le=1000)]
    active: bool
    dimensions: Dimensions
    tags: list[str]
    note: str | None = None


@dataclass
class StoredWidget:
    id: uuid.UUID
    widget: Widget


@dataclass
class WidgetQuery:
    widget_id: int
    limit: int
    q: str | None
    verbose: bool
    ratio: float


@dataclass
class OwnerListing:
    owner_id: uuid.UUID
    request_id: str
    ids: list[int]
    session: str | None


app = Spikard(title="Schema test app", version="1.2.3")


@app.get("/widgets/{widget_id}", tags=["widgets"])
def read_widget(
    widget_id: Annotated[int, Path(ge=1)],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    q: Annotated[str | None, Query(min_length=1, max_length=20)] = None,
    verbose: bool = False,
    ratio: Annotated[float, Query(ge=0, le=1)] = 0.5,
) -> WidgetQuery:
    """Echo a widget query."""
    return WidgetQuery(widget_id, limit, q, verbose, ratio)


@app.get("/owners/{owner_id}/widgets", tags=["owners"])
def owner_widgets(
    owner_id: uuid.UUID,
    x_request_id: Annotated[str, Header(min_length=1, max_length=36)],
    ids: Annotated[list[int] | None, Query(max_length=5)] = None,
    session: Annotated[str | None, Cookie()] = None,
) -> OwnerListing:
    """List an owner's widgets."""
    return OwnerListing(owner_id, x_request_id, ids or [], session)


@app.post("/widgets", status_code=201, tags=["widgets"])
def create_widget(widget: Widget) -> StoredWidget:
    """Store a widget."""
    return StoredWidget(uuid.uuid5(uuid.NAMESPACE_OID, widget.name), widget)


@app.get("/files/{*path}")
def read_file(path: Annotated[str, Path(max_length=100)]) -> dict[str, str]:
    """Echo a catch-all path."""
    return {"path": path}
