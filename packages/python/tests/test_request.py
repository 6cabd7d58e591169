from __future__ import annotations

from conftest import Serve
from spikard import Request, Spikard


def test_request_object(serve: Serve) -> None:
    app = Spikard()

    @app.route("/inspect/{name}", methods=["GET", "POST"])
    def inspect(name: str, request: Request) -> dict:
        return {
            "method": request.method,
            "path": request.path,
            "query_string": request.query_string,
            "query": request.query_params,
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
        "query": {"a": ["1", "2"], "b": "x y"},
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
        return {"accept": request.headers["accept"], "legacy": request.headers["x-legacy"]}

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

    assert json.loads(payload) == {"accept": ["a/b", "c/d"], "legacy": "café"}
