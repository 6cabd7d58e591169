"""FastAPI's response vocabulary: `JSONResponse`, `HTMLResponse`, `PlainTextResponse`,
`RedirectResponse`, several `Set-Cookie` headers through `set_cookie`/`delete_cookie`,
repeated headers, and `spikard.status`, each through a real server."""

from __future__ import annotations

import datetime
import http

import pytest

from spikard import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    Spikard,
    status,
)
from spikard.responses import Headers
from spikard.testing import TestClient


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = Spikard()

    @app.get("/json/{kind}")
    def json_kinds(kind: str) -> Response:
        content = {"dict": {"a": [1, 2]}, "str": "quoted", "none": None}[kind]
        return JSONResponse(content, status_code=status.HTTP_201_CREATED)

    @app.get("/html")
    def html() -> HTMLResponse:
        return HTMLResponse("<h1>héllo</h1>")

    @app.get("/text")
    def text() -> PlainTextResponse:
        return PlainTextResponse(b"bytes as text", headers={"X-One": "1"})

    @app.get("/redirect")
    def redirect() -> RedirectResponse:
        return RedirectResponse("/target path?q=a b")

    @app.get("/redirect-302")
    def redirect_302() -> RedirectResponse:
        return RedirectResponse("https://example.com/", status_code=status.HTTP_302_FOUND)

    @app.get("/cookies")
    def cookies() -> Response:
        response = JSONResponse({"ok": True})
        response.set_cookie("session", "abc", httponly=True, secure=True, max_age=3600)
        response.set_cookie(
            "theme",
            "dark",
            path="/app",
            domain="example.com",
            samesite="strict",
            expires=datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        )
        response.delete_cookie("old")
        response.headers.append("X-Many", "1")
        response.headers.append("x-many", "2")
        return response

    client = TestClient(app)
    yield client
    client.close()


def test_json_response_encodes_every_value_as_json(client: TestClient) -> None:
    for kind, body in [("dict", b'{"a":[1,2]}'), ("str", b'"quoted"'), ("none", b"null")]:
        response = client.get(f"/json/{kind}")
        assert response.status_code == 201
        assert response.headers["content-type"] == "application/json"
        assert response.content == body


def test_html_and_text_responses_carry_their_media_types(client: TestClient) -> None:
    response = client.get("/html")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == "<h1>héllo</h1>"
    response = client.get("/text")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.content == b"bytes as text"
    assert response.headers["x-one"] == "1"


def test_redirects_send_a_location_and_no_body(client: TestClient) -> None:
    response = client.get("/redirect", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/target%20path?q=a%20b"
    assert response.content == b""
    response = client.get("/redirect-302", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (302, "https://example.com/")


def test_each_cookie_is_its_own_set_cookie_header(client: TestClient) -> None:
    response = client.get("/cookies")
    assert response.json() == {"ok": True}
    cookies = response.headers.get_list("set-cookie")
    assert cookies[:2] == [
        "session=abc; HttpOnly; Max-Age=3600; Path=/; SameSite=lax; Secure",
        "theme=dark; Domain=example.com; expires=Wed, 02 Jan 2030 03:04:05 GMT; Path=/app; SameSite=strict",
    ]
    # Deleted: expired now (an integer `expires` counts seconds from now), and no age left.
    assert cookies[2].startswith('old=""; expires=') and cookies[2].endswith(
        "; Max-Age=0; Path=/; SameSite=lax"
    )
    assert len(cookies) == 3
    assert response.headers.get_list("x-many") == ["1", "2"]


def test_headers_repeat_ignore_case_and_refuse_framing_headers() -> None:
    headers = Headers({"X-A": "1"})
    headers.append("x-a", "2")
    assert headers["X-A"] == "1" and headers.getlist("x-a") == ["1", "2"]
    headers["X-A"] = "3"
    assert headers.items() == [("x-a", "3")]
    del headers["x-a"]
    assert "x-a" not in headers and headers.get("x-a") is None
    for name in ("Content-Length", "transfer-encoding"):
        with pytest.raises(ValueError, match="frames the response"):
            headers[name] = "0"
        with pytest.raises(ValueError, match="frames the response"):
            headers.append(name, "0")
    with pytest.raises(ValueError, match="samesite"):
        Response().set_cookie("a", samesite="sometimes")  # type: ignore[arg-type]


def test_status_names_every_code_python_knows() -> None:
    for code in http.HTTPStatus:
        assert getattr(status, f"HTTP_{code.value}_{code.name}") == code.value
    assert status.HTTP_422_UNPROCESSABLE_CONTENT == status.HTTP_422_UNPROCESSABLE_ENTITY == 422
    assert status.HTTP_413_CONTENT_TOO_LARGE == 413
    assert status.WS_1008_POLICY_VIOLATION == 1008
    assert set(status.__all__) == {n for n in vars(status) if n.startswith(("HTTP_", "WS_"))}
