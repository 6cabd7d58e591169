"""The same app on FastAPI (a pinned test dependency) and on Spikard, asked the same
requests: what a migrating user gets must be what FastAPI gave, or a documented difference
(docs/migrating-from-fastapi.md).

FastAPI runs in process through its own TestClient; Spikard through a real server on
loopback. With `error_format="fastapi"`, the bodies of errors are compared whole.

No `from __future__ import annotations`: `build` annotates with the framework's own `Query`,
a local name that string annotations could not resolve.
"""

import dataclasses
import warnings
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from conftest import Serve, assert_problem, comparable_with_fastapi
from spikard import HTTPException, Query, Spikard
from spikard._plan import Build, Validate
from spikard.exceptions import RequestValidationError

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx versions
    import fastapi
    from fastapi.testclient import TestClient as FastAPIClient


class User(BaseModel):
    name: str
    role: str = "user"
    age: int = Field(ge=0, le=150)
    nick: Annotated[str, AfterValidator(lambda v: v.strip())] = ""

    @field_validator("role")
    @classmethod
    def no_admin(cls, v: str) -> str:
        if v == "admin":
            raise ValueError("admins are appointed, not signed up")
        return v

    @model_validator(mode="after")
    def titles_for_adults(self) -> "User":
        if self.age < 18 and self.name.startswith("Dr "):
            raise ValueError("too young for a title")
        return self


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    a: int


class Plain(BaseModel):
    a: int
    tags: list[str] = []


class Site(BaseModel):
    """A pydantic-only type: Spikard has no check of its own for it."""

    url: HttpUrl


class Team(BaseModel):
    """A plain model holding one with validators: the whole body goes through pydantic."""

    name: str
    members: list[User]


@dataclasses.dataclass
class Point:
    x: int
    y: int


class PublicUser(BaseModel):
    id: int
    name: str = "anon"
    nick: str | None = None


class Account(PublicUser):
    secret: str


class Row:
    """An ORM-style object: attributes, no dict."""

    def __init__(self) -> None:
        self.id, self.name, self.secret = 7, "row", "s3cr3t"


def build(app: Any, query: Callable[..., Any], http_exception: type[Exception]) -> Any:
    """The app, written once for either framework."""

    @app.post("/users")
    def create_user(user: User, notify: Annotated[int, query()] = 0) -> dict[str, Any]:
        return {"user": user.model_dump(), "notify": notify}

    @app.post("/closed")
    def closed(body: Closed) -> dict[str, Any]:
        return body.model_dump()

    @app.post("/plain")
    def plain(body: Plain) -> dict[str, Any]:
        return body.model_dump()

    @app.post("/teams")
    def teams(team: Team) -> dict[str, Any]:
        return {"members": [m.name for m in team.members]}

    @app.post("/sites")
    def sites(site: Site) -> dict[str, Any]:
        return {"host": site.url.host}

    @app.get("/me", response_model=PublicUser)
    def me() -> Any:
        return {"id": 1, "secret": "s3cr3t"}

    @app.get("/account")
    def account() -> PublicUser:
        return Account(id=2, name="b", secret="s3cr3t")

    @app.get("/accounts", response_model=list[PublicUser])
    def accounts() -> Any:
        return [{"id": 1, "secret": "x"}, Account(id=2, secret="y"), Row()]

    @app.get("/sparse", response_model=PublicUser, response_model_exclude_unset=True)
    def sparse() -> Any:
        return PublicUser(id=3, nick=None)

    @app.get("/dense", response_model=PublicUser, response_model_exclude_none=True)
    def dense() -> Any:
        return PublicUser(id=3)

    @app.get("/picked", response_model=PublicUser, response_model_include={"id", "nick"})
    def picked() -> Any:
        return {"id": 4, "name": "n", "nick": "k"}

    @app.get("/items/")
    def items(limit: int = 10) -> dict[str, Any]:
        return {"limit": limit}

    @app.get("/refused")
    def refused() -> dict[str, Any]:
        raise http_exception(403, {"reason": "no"})

    return app


# (method, url, body): every request asked of both apps.
CASES: list[tuple[str, str, Any]] = [
    ("post", "/users", {"name": "Ann", "age": 30}),
    ("post", "/users", {"name": " Ann", "age": 30, "nick": "  annie "}),
    ("post", "/users", {"name": "Ann", "role": "admin", "age": 30}),
    ("post", "/users", {"name": "Dr Who", "age": 9}),
    ("post", "/users", {"name": "Ann", "age": -1}),
    ("post", "/users", {"age": 30}),
    ("post", "/users?notify=x", {"name": "Ann", "role": "admin", "age": 30}),
    ("post", "/users?notify=x", {"name": "Ann", "age": 30}),
    ("post", "/closed", {"a": 1}),
    ("post", "/closed", {"a": 1, "b": 2}),
    ("post", "/plain", {"a": 1, "b": 2}),
    ("post", "/plain", {"a": 1, "tags": ["x", 2]}),
    (
        "post",
        "/teams",
        {"name": "t", "members": [{"name": "A", "age": 1}, {"name": "B", "role": "admin", "age": 2}]},
    ),
    ("post", "/sites", {"url": "https://example.com/a"}),
    ("post", "/sites", {"url": "not a url"}),
    ("get", "/me", None),
    ("get", "/account", None),
    ("get", "/accounts", None),
    ("get", "/sparse", None),
    ("get", "/dense", None),
    ("get", "/picked", None),
    ("get", "/items/", None),
    ("get", "/items/?limit=x", None),
    ("get", "/items", None),
    ("get", "/nowhere", None),
    ("delete", "/items/", None),
    ("get", "/refused", None),
]


@pytest.fixture(scope="module")
def fastapi_client() -> Any:
    with FastAPIClient(build(fastapi.FastAPI(), fastapi.Query, fastapi.HTTPException)) as client:
        yield client


@pytest.mark.parametrize(("method", "url", "body"), CASES, ids=[f"{m} {u} {b}" for m, u, b in CASES])
def test_same_answers_as_fastapi(serve: Serve, fastapi_client: Any, method: str, url: str, body: Any) -> None:
    spikard_client = serve(build(Spikard(error_format="fastapi"), Query, HTTPException))
    kwargs = {} if body is None else {"json": body}
    expected = getattr(fastapi_client, method)(url, **kwargs)
    got = getattr(spikard_client, method)(url, **kwargs)
    assert got.status_code == expected.status_code, got.text
    assert got.headers["content-type"] == expected.headers["content-type"]
    assert comparable_with_fastapi(got.json()) == comparable_with_fastapi(expected.json())


def test_validators_run_and_answer_the_spikard_problem(serve: Serve) -> None:
    client = serve(build(Spikard(), Query, HTTPException))
    body = assert_problem(client.post("/users", json={"name": "Ann", "role": "admin", "age": 30}), 422)
    assert body["errors"] == [
        {
            "type": "value_error",
            "loc": ["body", "role"],
            "msg": "Value error, admins are appointed, not signed up",
            "input": "admin",
            "ctx": {"error": "admins are appointed, not signed up"},
        }
    ]
    # A query error and a validator's error, in one 422.
    response = client.post("/users?notify=x", json={"name": "Ann", "role": "admin", "age": 30})
    assert [e["loc"] for e in assert_problem(response, 422)["errors"]] == [
        ["query", "notify"],
        ["body", "role"],
    ]
    # The validators' transformations reach the handler.
    assert client.post("/users", json={"name": "A", "age": 1, "nick": " x "}).json()["user"]["nick"] == "x"


def test_pydantic_builds_pydantic_bodies() -> None:
    """A body holding a pydantic model is built by pydantic-core after the Rust checks (its
    validators run; faster than `model_construct`, docs/benchmarks.md); a dataclass body is
    built by Spikard from the validated JSON."""
    app = build(Spikard(), Query, HTTPException)

    @app.post("/point")
    def point(body: Point) -> Point:
        return body

    shapes = {r.path: r.params[0].shape for r in app.routes if r.params}
    assert isinstance(shapes["/point"], Build)
    for path in ("/plain", "/users", "/closed", "/teams", "/sites"):
        assert isinstance(shapes[path], Validate), path


def test_embedded_body_errors_are_located_under_its_name(serve: Serve) -> None:
    from spikard import Body

    app = Spikard()

    @app.post("/embedded")
    def embedded(user: Annotated[User, Body(embed=True)]) -> str:
        return user.name

    client = serve(app)
    assert client.post("/embedded", json={"user": {"name": "A", "age": 3}}).json() == "A"
    errors = assert_problem(
        client.post("/embedded", json={"user": {"name": "A", "age": 3, "role": "admin"}}), 422
    )
    assert [e["loc"] for e in errors["errors"]] == [["body", "user", "role"]]


def test_handlers_raise_request_validation_error(serve: Serve) -> None:
    app = Spikard()

    @app.get("/check")
    def check(n: int) -> int:
        if n % 2:
            raise RequestValidationError(
                [
                    {
                        "type": "value_error",
                        "loc": ("query", "n"),
                        "msg": "must be even",
                        "input": n,
                        "ctx": {"x": object()},
                    }
                ]
            )
        return n

    client = serve(app)
    assert client.get("/check?n=2").json() == 2
    errors = assert_problem(client.get("/check?n=3"), 422)["errors"]
    assert (
        errors[0]["loc"] == ["query", "n"] and errors[0]["msg"] == "must be even" and errors[0]["input"] == 3
    )
    assert errors[0]["ctx"]["x"].startswith("<object object")  # not JSON: written as text


def test_fastapi_error_format_is_documented(serve: Serve) -> None:
    client = serve(build(Spikard(error_format="fastapi"), Query, HTTPException))
    document = client.get("/openapi.json").json()
    responses = document["components"]["responses"]
    assert set(responses["ValidationFailed"]["content"]) == {"application/json"}
    assert document["components"]["schemas"]["ValidationProblem"]["title"] == "HTTPValidationError"
    # A 413 and a malformed body keep their status; only the body's shape changes.
    bad = client.post("/plain", content=b"{", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["detail"][0]["type"] == "json_invalid"
    with pytest.raises(ValueError, match="error_format"):
        Spikard(error_format="xml")  # type: ignore[arg-type]
