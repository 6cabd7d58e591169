from __future__ import annotations

import uuid

import pytest

from conftest import Serve, assert_problem
from spikard import Spikard


@pytest.fixture
def client(serve: Serve):
    app = Spikard()

    @app.get("/items/{item_id}")
    def get_item(item_id: int) -> dict:
        return {"item_id": item_id, "type": type(item_id).__name__}

    @app.delete("/items/{item_id}")
    def delete_item(item_id: int) -> dict:
        return {"deleted": item_id}

    @app.put("/items/{item_id}")
    def put_item(item_id: int, body: dict) -> dict:
        return {"put": item_id, "body": body}

    @app.patch("/items/{item_id}")
    def patch_item(item_id: int, body: dict) -> dict:
        return {"patched": item_id, **body}

    @app.route("/multi", methods=["GET", "POST"])
    def multi() -> str:
        return "multi"

    @app.get("/typed/{f}/{b}/{u}/{s}")
    def typed(f: float, b: bool, u: uuid.UUID, s: str) -> dict:
        return {"f": f, "b": b, "u": str(u), "u_type": type(u).__name__, "s": s}

    @app.get("/files/{*rest}")
    def files(rest: str) -> dict:
        return {"rest": rest}

    @app.options("/custom-options")
    def custom_options() -> dict:
        return {"custom": True}

    @app.head("/only-head")
    def only_head() -> None:
        return None

    return serve(app)


def test_methods(client) -> None:
    assert client.get("/items/3").json() == {"item_id": 3, "type": "int"}
    assert client.delete("/items/3").json() == {"deleted": 3}
    assert client.put("/items/3", json={"a": 1}).json() == {"put": 3, "body": {"a": 1}}
    assert client.patch("/items/3", json={"b": 2}).json() == {"patched": 3, "b": 2}
    assert client.get("/multi").json() == "multi"
    assert client.post("/multi").json() == "multi"


def test_typed_path_params(client) -> None:
    u = "a8098c1a-f86e-11da-bd1a-00112444be1e"
    body = client.get(f"/typed/2.5/true/{u}/hello%20w%C3%B6rld").json()
    assert body == {"f": 2.5, "b": True, "u": u, "u_type": "UUID", "s": "hello wörld"}


def test_catch_all(client) -> None:
    assert client.get("/files/a/b/c.txt").json() == {"rest": "a/b/c.txt"}


def test_bad_path_params_are_422(client) -> None:
    body = assert_problem(client.get("/typed/x/maybe/not-a-uuid/s"), 422, "validation-error")
    assert [e["type"] for e in body["errors"]] == ["float_parsing", "bool_parsing", "uuid_parsing"]
    assert [e["loc"] for e in body["errors"]] == [["path", "f"], ["path", "b"], ["path", "u"]]
    assert body["detail"] == "3 validation errors in request"
    assert client.get("/items/1").status_code == 200


def test_unknown_path_is_404(client) -> None:
    assert_problem(client.get("/nope"), 404, "not-found")
    assert_problem(client.get("/items"), 404, "not-found")
    assert client.get("/items/1").status_code == 200


def test_the_other_trailing_slash_redirects_as_in_fastapi(serve: Serve) -> None:
    app = Spikard()

    @app.get("/todos/")
    def todos(page: int = 1) -> dict:
        return {"page": page}

    @app.post("/items")
    def create(body: dict) -> dict:
        return body

    client = serve(app)
    # The client follows redirects by default, as Starlette's does.
    assert client.get("/todos?page=2").json() == {"page": 2}
    assert client.post("/items/", json={"a": 1}).json() == {"a": 1}
    response = client.get("/todos?page=2", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/todos/?page=2"
    assert response.content == b""
    assert client.get(response.headers["location"]).json() == {"page": 2}
    # 307: the client sends the same method and body again.
    response = client.post("/items/", json={"a": 1}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (307, "/items")
    assert client.post("/items", json={"a": 1}).json() == {"a": 1}
    assert_problem(client.get("/nope/"), 404, "not-found")

    strict = Spikard(redirect_slashes=False)
    strict.get("/todos/")(todos)
    assert_problem(serve(strict).get("/todos"), 404, "not-found")


def test_wrong_method_is_405_with_allow(client) -> None:
    response = client.post("/items/1")
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET, DELETE, PUT, PATCH, HEAD, OPTIONS"
    assert client.get("/items/1").status_code == 200


def test_head_for_get_routes(client) -> None:
    get = client.get("/items/12")
    head = client.head("/items/12")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["content-type"] == "application/json"
    assert client.head("/only-head").status_code == 200


def test_options(client) -> None:
    response = client.options("/items/1")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, DELETE, PUT, PATCH, HEAD, OPTIONS"
    assert client.options("/custom-options").json() == {"custom": True}


def test_bad_routes_fail_at_registration() -> None:
    app = Spikard()

    @app.get("/users/{id}")
    def one(id: int) -> None: ...

    @app.get("/users/{name}")
    def two(name: str) -> None: ...

    with pytest.raises(ValueError, match=r"/users/\{name\}"):
        app.build_server()

    with pytest.raises(ValueError, match="unsupported method"):
        Spikard().route("/x", methods=["BREW"])

    with pytest.raises(
        TypeError, match=r"route GET /p/\{id\}: parameter 'id': a path parameter cannot be a list"
    ):

        @Spikard().get("/p/{id}")
        def listy(id: list[int]) -> None: ...

    with pytest.raises(TypeError, match="parameter 'x': unsupported parameter type"):

        @Spikard().get("/q")
        def odd(x: complex) -> None: ...
