"""`response_model`: what is sent is the declared model, through a real server. The same
routes are compared with FastAPI in test_fastapi_parity.py; these are Spikard's own cases."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import msgspec
import pytest
from pydantic import BaseModel, field_validator
from typing_extensions import TypedDict

from conftest import Serve, assert_problem
from spikard import JSONResponse, Spikard


class Public(BaseModel):
    id: int
    name: str = "anon"


class Checked(BaseModel):
    id: int

    @field_validator("id")
    @classmethod
    def positive(cls, v: int) -> int:
        if v < 1:
            raise ValueError("ids start at 1")
        return v


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Shape(TypedDict):
    kind: str


class Tag(msgspec.Struct):
    label: str


def test_extra_fields_are_not_sent(serve: Serve) -> None:
    app = Spikard()

    @app.get("/point")
    def point() -> Point:
        return {"x": 1, "y": "2", "secret": "s"}  # type: ignore[return-value]

    @app.get("/shape")
    def shape() -> Shape:
        return {"kind": "circle", "secret": "s"}  # type: ignore[typeddict-unknown-key]

    @app.get("/tags")
    def tags() -> list[Tag]:
        return [{"label": "a", "secret": "s"}]  # type: ignore[list-item]

    @app.get("/by-map", response_model=dict[str, Public])
    def by_map() -> Any:
        return {"a": {"id": 1, "secret": "s"}}

    client = serve(app)
    assert client.get("/point").json() == {"x": 1, "y": 2}
    assert client.get("/shape").json() == {"kind": "circle"}
    assert client.get("/tags").json() == [{"label": "a"}]
    assert client.get("/by-map").json() == {"a": {"id": 1, "name": "anon"}}


def test_a_value_that_does_not_fit_is_a_500(serve: Serve) -> None:
    app = Spikard()

    @app.get("/broken", response_model=Public)
    def broken() -> Any:
        return {"name": "no id"}

    @app.get("/refused")
    def refused() -> Checked:
        return Checked.model_construct(id=0)  # skips the validator; the response model does not

    client = serve(app, raise_server_exceptions=False)
    assert_problem(client.get("/broken"), 500)
    assert_problem(client.get("/refused"), 500)
    assert client.get("/broken").status_code == 500  # and the server keeps serving


def test_exact_instances_of_plain_models_skip_pydantic() -> None:
    app = Spikard()

    @app.get("/plain")
    def plain() -> Public:
        return Public(id=1)

    @app.get("/checked")
    def checked() -> Checked:
        return Checked(id=1)

    @app.get("/options", response_model_exclude_none=True)
    def options() -> Public:
        return Public(id=1)

    @app.get("/many")
    def many() -> list[Public]:
        return []

    @app.get("/untyped")
    def untyped() -> dict[str, Any]:
        return {"anything": 1}

    models = {r.path: r.response_model for r in app.routes}
    assert models["/plain"].exact is Public
    assert models["/checked"].exact is None  # its validators run on what is returned
    assert models["/options"].exact is None
    assert models["/many"].exact is None
    assert models["/untyped"] is None  # no model in it: sent as returned


def test_responses_and_none_pass_through(serve: Serve) -> None:
    app = Spikard()

    @app.get("/response")
    def response() -> Public:
        return JSONResponse({"raw": True}, status_code=202)  # type: ignore[return-value]

    @app.get("/off", response_model=None)
    def off() -> Public:
        return {"id": 1, "secret": "kept"}  # type: ignore[return-value]

    client = serve(app)
    assert (client.get("/response").status_code, client.get("/response").json()) == (202, {"raw": True})
    assert client.get("/off").json() == {"id": 1, "secret": "kept"}


def test_async_and_blocking_handlers_are_filtered_too(serve: Serve) -> None:
    app = Spikard()

    @app.get("/async")
    async def async_handler() -> Public:
        return {"id": 1, "secret": "s"}  # type: ignore[return-value]

    @app.get("/blocking", blocking=True)
    def blocking_handler() -> Public:
        return {"id": 2, "secret": "s"}  # type: ignore[return-value]

    client = serve(app)
    assert client.get("/async").json() == {"id": 1, "name": "anon"}
    assert client.get("/blocking").json() == {"id": 2, "name": "anon"}


class Old(typing.TypedDict):  # pydantic takes typing_extensions.TypedDict before 3.12
    kind: str


def test_a_model_pydantic_cannot_take_is_refused_at_registration() -> None:
    app = Spikard()
    with pytest.raises(TypeError, match="response_model=None"):

        @app.get("/old")
        def old() -> Old:
            return {"kind": "x"}


def test_openapi_documents_what_is_sent(serve: Serve) -> None:
    app = Spikard()

    @app.get("/picked", response_model=Public, response_model_exclude={"name"})
    def picked() -> Any:
        return {"id": 1, "name": "n"}

    client = serve(app)
    assert client.get("/picked").json() == {"id": 1}
    document = client.get("/openapi.json").json()
    ref = document["paths"]["/picked"]["get"]["responses"]["200"]["content"]["application/json"]["schema"][
        "$ref"
    ]
    documented = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(documented["properties"]) == {"id"}
