from __future__ import annotations

import logging

import pytest

from conftest import Serve, assert_problem
from spikard import HTTPException, Request, Spikard


def make_app(debug: bool = False) -> Spikard:
    app = Spikard(debug=debug)

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict:
        if item_id == 0:
            raise HTTPException(404, "no such item")
        if item_id == 1:
            raise HTTPException(401, "who are you", headers={"WWW-Authenticate": "Bearer"})
        if item_id == 2:
            raise HTTPException(409, detail={"code": "conflict", "ids": [1, 2]})
        return {"item_id": item_id}

    @app.get("/boom")
    def boom() -> dict:
        raise RuntimeError("secret internals")

    @app.post("/raw")
    def raw(request: Request) -> dict:
        return {"parsed": request.json()}

    return app


def test_http_exception(serve: Serve) -> None:
    client = serve(make_app())
    body = assert_problem(client.get("/items/0"), 404)
    assert body == {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no such item"}
    response = client.get("/items/1")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert assert_problem(client.get("/items/2"), 409)["detail"] == {"code": "conflict", "ids": [1, 2]}
    assert client.get("/items/5").json() == {"item_id": 5}


def test_exception_is_500_logged_with_traceback(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    client = serve(make_app(), raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="spikard"):
        body = assert_problem(client.get("/boom"), 500, "internal-server-error")
    assert "secret internals" not in str(body)
    assert "traceback" not in body
    (record,) = [r for r in caplog.records if r.name == "spikard"]
    assert "GET /boom" in record.getMessage()
    assert record.exc_info is not None and "secret internals" in str(record.exc_info[1])
    # The server keeps serving, many times over.
    for _ in range(3):
        assert_problem(client.get("/boom"), 500)
        assert client.get("/items/7").status_code == 200


def test_debug_puts_the_traceback_in_the_body(serve: Serve) -> None:
    client = serve(make_app(debug=True), raise_server_exceptions=False)
    body = assert_problem(client.get("/boom"), 500)
    assert "RuntimeError: secret internals" in body["traceback"]
    assert "Traceback (most recent call last)" in body["traceback"]


def test_request_json_on_malformed_body_is_400(serve: Serve) -> None:
    client = serve(make_app())
    assert client.post("/raw", json={"a": [1]}).json() == {"parsed": {"a": [1]}}
    body = assert_problem(client.post("/raw", content=b"{nope"), 400, "malformed-json")
    assert body["errors"][0]["type"] == "json_invalid"
    assert client.post("/raw", json=1).json() == {"parsed": 1}
