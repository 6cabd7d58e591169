"""`TestClient` is Starlette's test client (an `httpx.Client`) driving a real Spikard server
on loopback: forms, files, query lists, the cookie jar, redirects, lifespan, closing."""

from __future__ import annotations

import gc
import socket
import subprocess
import sys
import warnings
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

import spikard.testing
from conftest import Serve
from spikard import Request, Response, Spikard
from spikard.responses import JSONResponse, RedirectResponse
from spikard.testing import TestClient


def echo_app() -> Spikard:
    app = Spikard()

    @app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def echo(request: Request) -> dict:
        return {
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "content_type": request.headers.get("content-type"),
            "host": request.headers.get("host"),
            "authorization": request.headers.get("authorization"),
            "cookies": request.cookies,
            "body": request.body.decode("latin-1"),
        }

    @app.get("/api/echo")
    def prefixed(request: Request) -> dict:
        return {"path": request.path, "host": request.headers.get("host")}

    @app.post("/login")
    def login(request: Request) -> Response:
        form = parse_qs(request.body.decode())
        response = JSONResponse({"user": form["username"][0]})
        response.set_cookie("session", f"s-{form['username'][0]}")
        return response

    @app.post("/logout")
    def logout() -> Response:
        response = JSONResponse({"bye": True})
        response.delete_cookie("session")
        return response

    @app.get("/cookies")
    def cookies(request: Request) -> dict:
        return request.cookies

    @app.get("/a")
    def a() -> RedirectResponse:
        return RedirectResponse("/b")

    @app.get("/b")
    def b() -> dict:
        return {"at": "b"}

    @app.get("/elsewhere")
    def elsewhere() -> RedirectResponse:
        return RedirectResponse("https://example.com/echo?from=redirect", status_code=302)

    @app.get("/boom")
    def boom() -> dict:
        raise ValueError("handler bug")

    @app.get("/text")
    def text() -> Response:
        return Response("héllo", media_type="text/plain; charset=utf-8")

    return app


@pytest.fixture
def client(serve: Serve) -> TestClient:
    return serve(echo_app())


def test_it_is_an_httpx_client_answering_httpx_responses(client: TestClient) -> None:
    assert isinstance(client, httpx.Client)
    assert spikard.testing.TestResponse is httpx.Response  # the old name, kept
    response = client.get("/b")
    assert isinstance(response, httpx.Response)
    assert response.is_success and response.status_code == 200
    assert response.json() == {"at": "b"}
    assert response.text == '{"at":"b"}'
    assert response.headers["content-type"] == "application/json"
    assert response.headers["Content-Type"] == "application/json"
    text = client.get("/text")
    assert (text.text, text.encoding, text.content) == ("héllo", "utf-8", "héllo".encode())
    assert not client.get("/nope").is_success
    # The server's real address is the base URL, for tools that need one.
    assert str(client.base_url) == client.server_url == f"http://127.0.0.1:{client.port}"
    assert client.get(f"{client.server_url}/b").json() == {"at": "b"}


def test_every_method_and_stream(client: TestClient) -> None:
    for method in ("get", "post", "put", "patch", "delete"):
        assert getattr(client, method)("/echo").json()["method"] == method.upper()
    assert client.request("DELETE", "/echo", json={"a": 1}).json()["body"] == '{"a":1}'
    assert client.head("/b").content == b""
    assert client.options("/b").headers["allow"] == "GET, HEAD, OPTIONS"
    with client.stream("POST", "/echo", content=b"streamed") as response:
        assert response.status_code == 200
        body = b"".join(response.iter_bytes())
    assert httpx.Response(200, content=body).json()["body"] == "streamed"


def test_form_data_is_urlencoded(client: TestClient) -> None:
    body = client.post("/echo", data={"name": "Ann Lee", "tags": ["a", "b&c"]}).json()
    assert body["content_type"] == "application/x-www-form-urlencoded"
    assert body["body"] == "name=Ann+Lee&tags=a&tags=b%26c"
    assert parse_qs(body["body"]) == {"name": ["Ann Lee"], "tags": ["a", "b&c"]}


def test_files_are_multipart_and_arrive_intact(client: TestClient) -> None:
    blob = bytes(range(256))
    body = client.post(
        "/echo",
        data={"title": "photo"},
        files={"upload": ("pic.bin", blob, "application/octet-stream"), "note": ("n.txt", b"hi\r\n")},
    ).json()
    content_type = body["content_type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.split("boundary=", 1)[1]
    raw = body["body"].encode("latin-1")  # the handler echoed the bytes as latin-1
    assert raw.startswith(f"--{boundary}\r\n".encode()) and raw.endswith(f"--{boundary}--\r\n".encode())
    message = BytesParser(policy=HTTP).parsebytes(
        b"content-type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    parts = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
    assert parts["title"].get_payload(decode=True) == b"photo"
    assert parts["upload"].get_filename() == "pic.bin"
    assert parts["upload"].get_content_type() == "application/octet-stream"
    assert parts["upload"].get_payload(decode=True) == blob
    assert parts["note"].get_payload(decode=True) == b"hi\r\n"


def test_params_with_a_list_repeat_the_key(client: TestClient) -> None:
    response = client.get("/echo", params={"tag": ["a", "b"], "q": "x y", "n": 3})
    assert response.json()["query"] == "tag=a&tag=b&q=x+y&n=3"
    assert client.get("/echo", params=[("y", "2"), ("y", "3")]).json()["query"] == "y=2&y=3"


def test_the_cookie_jar_keeps_what_the_server_sets(client: TestClient) -> None:
    assert client.get("/cookies").json() == {}
    response = client.post("/login", data={"username": "ann", "password": "secret"})
    assert response.json() == {"user": "ann"}
    assert response.cookies["session"] == "s-ann"
    assert client.cookies["session"] == "s-ann"
    assert client.get("/cookies").json() == {"session": "s-ann"}
    # Per-request cookies join the jar's for that request only, without httpx's warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert client.get("/cookies", cookies={"extra": "1"}).json() == {"session": "s-ann", "extra": "1"}
    assert client.get("/cookies").json() == {"session": "s-ann"}
    client.post("/logout")
    assert client.get("/cookies").json() == {}


def test_constructor_cookies_and_headers(serve: Serve) -> None:
    client = serve(echo_app(), cookies={"theme": "dark"}, headers={"Authorization": "Bearer t"})
    body = client.get("/echo").json()
    assert (body["cookies"], body["authorization"]) == ({"theme": "dark"}, "Bearer t")
    assert client.get("/echo", auth=("user", "pw")).json()["authorization"] == "Basic dXNlcjpwdw=="


def test_redirects_are_followed_unless_told_not_to(client: TestClient) -> None:
    response = client.get("/a")
    assert (response.status_code, response.json()) == (200, {"at": "b"})
    assert response.url.path == "/b"
    assert [r.status_code for r in response.history] == [307]
    response = client.get("/a", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (307, "/b")
    assert response.is_redirect and response.next_request is not None
    assert response.next_request.url.path == "/b"


def test_follow_redirects_false_for_the_whole_client(serve: Serve) -> None:
    client = serve(echo_app(), follow_redirects=False)
    assert client.get("/a").status_code == 307
    assert client.get("/a", follow_redirects=True).json() == {"at": "b"}


def test_a_redirect_to_another_host_stays_on_the_loopback_server(client: TestClient) -> None:
    # As with Starlette's client, whatever the URL's host, the request goes to the app.
    body = client.get("/elsewhere").json()
    assert (body["host"], body["path"], body["query"]) == ("example.com", "/echo", "from=redirect")


def test_base_url_gives_the_host_and_a_prefix(serve: Serve) -> None:
    client = serve(echo_app(), base_url="http://testserver")
    assert str(client.base_url) == "http://testserver"
    assert client.get("/echo").json()["host"] == "testserver"
    client.post("/login", data={"username": "bo", "password": "x"})
    assert client.get("/cookies").json() == {"session": "s-bo"}
    prefixed = serve(echo_app(), base_url="http://testserver:8080/api")
    assert prefixed.get("/echo").json() == {"path": "/api/echo", "host": "testserver:8080"}


def test_server_exceptions_are_raised_unless_told_not_to(serve: Serve) -> None:
    app = echo_app()
    client = serve(app)
    with pytest.raises(ValueError, match="handler bug"):
        client.get("/boom")
    assert client.get("/b").json() == {"at": "b"}  # the server keeps serving
    quiet = serve(app, raise_server_exceptions=False)
    response = quiet.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"


def test_keywords_that_cannot_apply_are_refused() -> None:
    app = echo_app()
    with pytest.raises(ValueError, match="root path"):
        TestClient(app, root_path="/api")
    with pytest.raises(ValueError, match="asyncio loop"):
        TestClient(app, backend="trio")
    with pytest.raises(ValueError, match="not an absolute"):
        TestClient(app, base_url="testserver")


def test_with_block_runs_startup_and_shutdown_hooks() -> None:
    events: list[str] = []
    app = Spikard()

    @app.on_startup
    def startup() -> None:
        events.append("startup")

    @app.on_shutdown
    async def shutdown() -> None:
        events.append("shutdown")

    @app.get("/events")
    def read() -> list:
        return list(events)

    with TestClient(app) as client:
        assert events == ["startup"]
        assert client.get("/events").json() == ["startup"]
        # Entering after requests were sent is fine (httpx refuses that; Starlette allows it).
        with client:
            pass
    assert events == ["startup", "shutdown"]


def test_a_closed_client_refuses_requests(client: TestClient) -> None:
    assert client.get("/b").is_success
    client.close()
    client.close()  # closing again is harmless
    assert client.is_closed
    with pytest.raises(RuntimeError, match="TestClient is closed"):
        client.get("/b")
    with pytest.raises(RuntimeError, match="TestClient is closed"), client:
        pass
    with pytest.raises(OSError):
        socket.create_connection((client.host, client.port), timeout=5).close()


def test_garbage_collection_stops_the_server() -> None:
    events: list[str] = []
    app = Spikard()
    app.on_shutdown(lambda: events.append("shutdown"))
    client = TestClient(app)
    address = (client.host, client.port)
    assert client.get("/missing").status_code == 404
    del client
    gc.collect()
    assert events == ["shutdown"]
    with pytest.raises(OSError):
        socket.create_connection(address, timeout=5).close()


def test_importing_without_httpx_says_what_to_install() -> None:
    code = "import sys; sys.modules['httpx'] = None\nimport spikard.testing"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert 'pip install "spikard[testing]"' in result.stderr


def test_requests_with_json_and_content(client: TestClient) -> None:
    body: dict[str, Any] = client.post("/echo", json={"é": [1, None]}).json()
    assert body["content_type"] == "application/json"
    assert body["body"].encode("latin-1").decode() == '{"é":[1,null]}'
    body = client.put("/echo", content="plain", headers={"content-type": "text/plain"}).json()
    assert (body["method"], body["content_type"], body["body"]) == ("PUT", "text/plain", "plain")
