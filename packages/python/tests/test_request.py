from __future__ import annotations

from conftest import Serve
from spikard import Depends, Request, Spikard


def test_request_object(serve: Serve) -> None:
    app = Spikard()

    @app.route("/inspect/{name}", methods=["GET", "POST"])
    def inspect(name: str, request: Request) -> dict:
        return {
            "method": request.method,
            "path": request.path,
            "query_string": request.query_string,
            "query": request.query_params.multi_items(),
            "query_last": dict(request.query_params.items()),
            "query_all": request.query_params.getlist("a"),
            "path_params": request.path_params,
            "header": request.headers["x-custom"],
            "cookies": request.cookies,
            "body": request.body.decode(),
            "name": name,
            "repr": repr(request),
        }

    client = serve(app)
    body = client.post(
        "/inspect/b%C3%B8b?a=1&a=2&b=x%20y",
        content=b"raw body",
        headers={"X-Custom": "yes", "content-type": "text/plain"},
        cookies={"c1": "v1", "c2": "v2"},
    ).json()
    assert body == {
        "method": "POST",
        "path": "/inspect/b%C3%B8b",
        "query_string": "a=1&a=2&b=x%20y",
        "query": [["a", "1"], ["a", "2"], ["b", "x y"]],
        "query_last": {"a": "2", "b": "x y"},
        "query_all": ["1", "2"],
        "path_params": {"name": "bøb"},
        "header": "yes",
        "cookies": {"c1": "v1", "c2": "v2"},
        "body": "raw body",
        "name": "bøb",
        "repr": "<Request POST /inspect/b%C3%B8b?a=1&a=2&b=x%20y>",
    }


def test_repeated_and_latin1_headers(serve: Serve) -> None:
    import socket

    app = Spikard()

    @app.get("/h")
    def h(request: Request) -> dict:
        return {
            "accept": request.headers["Accept"],
            "all": request.headers.getlist("ACCEPT"),
            "legacy": request.headers.get("x-legacy"),
            "missing": request.headers.get("x-missing", "default"),
        }

    client = serve(app)
    with socket.create_connection((client.host, client.port)) as sock:
        sock.sendall(
            b"GET /h HTTP/1.1\r\nhost: x\r\naccept: a/b\r\naccept: c/d\r\n"
            b"x-legacy: caf\xe9\r\nconnection: close\r\n\r\n"
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    import json

    assert json.loads(payload) == {
        "accept": "a/b",
        "all": ["a/b", "c/d"],
        "legacy": "café",
        "missing": "default",
    }


def test_url_client_app_and_state(serve: Serve) -> None:
    """What Starlette's Request has beyond the head: `url`, `base_url`, `client`, `app`, and
    a `state` of the request's own that dependencies and the handler share."""
    app = Spikard()

    def current_user(request: Request) -> str:
        request.state.user = "ann"
        return "ann"

    @app.get("/where/{x}")
    def where(x: str, request: Request, user: str = Depends(current_user)) -> dict:
        url = request.url
        return {
            "url": str(url),
            "parts": [url.scheme, url.hostname, url.port, url.path, url.query],
            "base": str(request.base_url),
            "client": list(request.client) if request.client else None,
            "app": request.app is app,
            "state": request.state.user,
            "app_state": request.app.state.greeting,
        }

    @app.get("/fresh")
    def fresh(request: Request) -> bool:
        return hasattr(request.state, "user")  # a new state for every request

    app.state.greeting = "hi"
    client = serve(app)
    body = client.get("/where/a%20b?q=1&q=2").json()
    host = f"127.0.0.1:{client.port}"
    assert body["url"] == f"http://{host}/where/a%20b?q=1&q=2"
    assert body["parts"] == ["http", "127.0.0.1", client.port, "/where/a%20b", "q=1&q=2"]
    assert body["base"] == f"http://{host}/"
    assert body["client"][0] == "127.0.0.1" and isinstance(body["client"][1], int)
    assert (body["app"], body["state"], body["app_state"]) == (True, "ann", "hi")
    assert client.get("/fresh").json() is False


def test_datastructures() -> None:
    from spikard.datastructures import URL, Headers, QueryParams

    headers = Headers([("Accept", "a"), ("accept", "b"), ("X-One", "1")])
    assert (headers["ACCEPT"], headers.getlist("accept"), "x-one" in headers, len(headers)) == (
        "a",
        ["a", "b"],
        True,
        3,
    )
    assert headers.get("nope") is None
    assert headers != {"accept": "a", "x-one": "1"}  # a mapping has no room for both accepts
    params = QueryParams([("a", "1"), ("a", "2"), ("b", "x y")])
    assert (params["a"], params.getlist("a"), list(params), str(params)) == (
        "2",
        ["1", "2"],
        ["a", "b"],
        "a=1&a=2&b=x+y",
    )
    url = URL("https://example.com:8443/p?q=1#f")
    assert (url.is_secure, url.port, url.fragment, str(url.replace(path="/other"))) == (
        True,
        8443,
        "f",
        "https://example.com:8443/other?q=1#f",
    )
