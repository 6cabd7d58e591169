"""A FastAPI test module ported to Spikard by changing its imports only (marked `was:`).

The test functions below are written as FastAPI's documentation writes them (a module-level
`client = TestClient(app)`, `client.post(..., json=...)`, `params=`, a login form through
`data=`, the cookie jar, `with TestClient(app) as client:` for the lifespan,
`app.dependency_overrides`) and are left exactly as they would be for FastAPI. The app's
handlers read the login form from `request.body`, where FastAPI's would declare `Form()`
parameters; error bodies are compared through their `detail` member, which FastAPI's error
bodies and Spikard's problem documents share.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from pydantic import BaseModel

from spikard import Depends, HTTPException, Request, Response  # was: from fastapi import ...
from spikard import Spikard as FastAPI  # was: from fastapi import FastAPI
from spikard.responses import JSONResponse, RedirectResponse  # was: from fastapi.responses import ...
from spikard.testing import TestClient  # was: from fastapi.testclient import TestClient


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


def get_settings() -> dict:
    return {"env": "production"}


app = FastAPI()
items: dict[int, Item] = {}
events: list[str] = []


@app.on_startup
def startup() -> None:
    events.append("startup")


@app.on_shutdown
def shutdown() -> None:
    events.append("shutdown")


@app.post("/items/")
def create_item(item: Item) -> Item:
    items[len(items)] = item
    return item


@app.get("/items/")
def read_items(skip: int = 0, limit: int = 10) -> list[Item]:
    return list(items.values())[skip : skip + limit]


@app.get("/items/{item_id}")
def read_item(item_id: int) -> Item:
    if item_id not in items:
        raise HTTPException(status_code=404, detail="Item not found")
    return items[item_id]


@app.post("/login")
def login(request: Request) -> Response:
    form = parse_qs(request.body.decode())
    if form.get("password") != ["b"]:
        raise HTTPException(status_code=401, detail="Incorrect username or password")
    response = JSONResponse({"username": form["username"][0]})
    response.set_cookie(key="session", value=f"token-{form['username'][0]}", httponly=True)
    return response


@app.get("/users/me")
def read_me(request: Request) -> dict:
    if "session" not in request.cookies:
        raise HTTPException(status_code=401, detail="Not authenticated")
    return {"username": request.cookies["session"].removeprefix("token-")}


@app.get("/settings")
def read_settings(settings: Annotated[dict, Depends(get_settings)]) -> dict:
    return settings


@app.get("/old-items")
def old_items() -> Response:
    return RedirectResponse("/items/")


client = TestClient(app)


def test_create_item():
    response = client.post("/items/", json={"name": "Foo", "price": 42.5, "tags": ["a"]})
    assert response.status_code == 200
    assert response.json() == {"name": "Foo", "price": 42.5, "tags": ["a"]}


def test_create_item_invalid():
    response = client.post("/items/", json={"name": "Foo"})
    assert response.status_code == 422


def test_read_items():
    client.post("/items/", json={"name": "Bar", "price": 1})
    response = client.get("/items/", params={"skip": 0, "limit": 10})
    assert response.status_code == 200
    assert {"name": "Bar", "price": 1.0, "tags": []} in response.json()
    response = client.get("/items/", params={"skip": 0, "limit": 0})
    assert response.json() == []


def test_read_item_not_found():
    response = client.get("/items/999")
    assert response.status_code == 404
    assert response.json()["detail"] == "Item not found"


def test_login_sets_a_session_cookie():
    response = client.post("/login", data={"username": "a", "password": "b"})
    assert response.status_code == 200
    assert response.json() == {"username": "a"}
    assert "session" in response.cookies
    response = client.get("/users/me")
    assert response.status_code == 200
    assert response.json() == {"username": "a"}


def test_login_refused():
    response = client.post("/login", data={"username": "a", "password": "wrong"})
    assert response.status_code == 401
    assert response.json()["detail"] == "Incorrect username or password"


def test_redirect_is_followed():
    response = client.get("/old-items")
    assert response.status_code == 200
    assert response.history[0].status_code == 307


def test_lifespan():
    events.clear()
    with TestClient(app) as client:
        assert events == ["startup"]
        response = client.get("/items/", params={"limit": 1})
        assert response.status_code == 200
    assert events == ["startup", "shutdown"]


def test_dependency_override():
    app.dependency_overrides[get_settings] = lambda: {"env": "test"}
    with TestClient(app) as client:
        assert client.get("/settings").json() == {"env": "test"}
    app.dependency_overrides.clear()
    with TestClient(app) as client:
        assert client.get("/settings").json() == {"env": "production"}
