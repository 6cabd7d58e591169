"""A hostile client, over raw sockets: malformed and smuggled requests, limits, slow and
silent connections, clients that never read. Raw bytes, because a client library would
sanitize the attack. Each case asserts what the server answers and that it keeps serving.
See docs/reliability.md for the promises these hold the server to."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import pytest

from conftest import Serve, assert_problem
from spikard import Body, Cookie, Header, HTTPException, Response, Spikard
from spikard.testing import TestClient

# --- a raw HTTP/1.1 client ---------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)  # type: ignore[no-any-return]


def connect(client: TestClient, timeout: float = 5.0) -> socket.socket:
    sock = socket.create_connection((client.host, client.port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (or the socket's timeout passes)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return data


def exchange(client: TestClient, raw: bytes, timeout: float = 5.0) -> bytes:
    with connect(client, timeout) as sock:
        sock.sendall(raw)
        return read_all(sock)


def parse(data: bytes) -> list[Reply]:
    """The responses in `data`, framed by their Content-Length."""
    replies = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        assert sep, f"truncated head: {data[:200]!r}"
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        replies.append(Reply(status, headers, rest[:length]))
        data = rest[length:]
    return replies


def get(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: test\r\n{extra}\r\n".encode()


def problem(reply: Reply, status: int, slug: str | None = None) -> dict:
    assert reply.status == status, reply
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    assert body["status"] == status
    if slug:
        assert body["type"] == f"https://spikard.dev/errors/{slug}"
    return body


# --- the app under attack -----------------------------------------------------------------

smuggled: list[str] = []


def hostile_app(**limits: float) -> Spikard:
    app = Spikard(**limits)  # type: ignore[arg-type]

    @app.get("/ok")
    def ok() -> dict:
        return {"ok": True}

    @app.post("/echo")
    def echo(body: dict) -> dict:
        return body

    @app.post("/echo-any")
    def echo_any(body: Annotated[Any, Body()]) -> Any:
        return body

    @app.get("/smuggled")
    def smuggle() -> dict:
        smuggled.append("served")
        return {"smuggled": True}

    @app.get("/late-framing")
    def late_framing() -> Response:
        response = Response({"ok": True})
        response.headers = {"Content-Length": "0"}  # after construction: refused when sent
        return response

    @app.get("/late-framing-error")
    def late_framing_error() -> dict:
        exc = HTTPException(404, "gone")
        exc.headers = {"Transfer-Encoding": "chunked"}
        raise exc

    @app.get("/big-json")
    def big_json() -> dict:
        return {"data": "x" * (8 * 1024 * 1024)}

    return app


@pytest.fixture
def client(serve: Serve) -> TestClient:
    smuggled.clear()
    return serve(hostile_app())


def assert_still_serving(client: TestClient) -> None:
    assert parse(exchange(client, get("/ok", "Connection: close\r\n")))[0].status == 200


# --- 1. the server owns framing --------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Content-Length", "transfer-encoding", "CONNECTION", "Keep-Alive", "Upgrade", "TE", "Trailer"]
)
def test_framing_headers_are_refused_at_construction(name: str) -> None:
    with pytest.raises(ValueError, match="frames the response"):
        Response({"ok": True}, headers={name: "0"})
    with pytest.raises(ValueError, match="frames the response"):
        HTTPException(500, "boom", headers={name: "0"})


def test_framing_headers_set_later_fail_loudly_and_never_desync(client: TestClient) -> None:
    # Pipelined on one keep-alive connection: each answer is framed by the server alone,
    # so the third response is read as the third response.
    raw = get("/ok") + get("/late-framing") + get("/late-framing-error") + get("/ok", "Connection: close\r\n")
    replies = parse(exchange(client, raw))
    assert [r.status for r in replies] == [200, 500, 500, 200]
    assert replies[0].json() == {"ok": True} == replies[3].json()
    problem(replies[1], 500, "internal-server-error")
    problem(replies[2], 500, "internal-server-error")


# --- 2. timeouts and the connection limit ----------------------------------------------


@pytest.fixture
def impatient(serve: Serve) -> TestClient:
    return serve(hostile_app(header_timeout=1.0, keep_alive_timeout=0.5, body_timeout=0.5))


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """The server closes `sock` before `seconds` pass (what it sent first is skipped)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def test_a_silent_connection_is_closed(impatient: TestClient) -> None:
    with connect(impatient) as sock:
        assert closed_within(sock, 10)


def test_a_head_dripped_byte_by_byte_is_cut_off(impatient: TestClient) -> None:
    with connect(impatient) as sock:
        sock.sendall(b"GET /ok HTTP/1.1\r\n")
        closed = False
        for byte in b"X-Drip: " + b"a" * 100:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.1)
        assert closed or closed_within(sock, 5), "a slowloris head outlived the header timeout"


def test_an_idle_keep_alive_connection_is_closed(impatient: TestClient) -> None:
    with connect(impatient) as sock:
        sock.sendall(get("/ok"))
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        assert closed_within(sock, 10)


def test_a_stalled_body_is_answered_408(impatient: TestClient) -> None:
    with connect(impatient) as sock:
        head = b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 20\r\n"
        sock.sendall(head + b'\r\n{"a"')
        [reply] = parse(read_all(sock))
    problem(reply, 408, "request-timeout")
    assert reply.headers["connection"] == "close"


def test_a_client_that_never_reads_is_dropped(impatient: TestClient) -> None:
    with connect(impatient) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(get("/big-json"))
        time.sleep(2)  # reads nothing for four body timeouts
        # The server has closed its end: what the client sends now is answered with a reset
        # (it would sit unread on a connection still open).
        sock.sendall(get("/ok"))
        time.sleep(0.2)
        with pytest.raises(ConnectionResetError):
            while sock.recv(65536):
                pass


def test_a_slow_reader_gets_the_whole_response(serve: Serve) -> None:
    # Writes keep going through, however slowly, for longer than every timeout: nothing cuts.
    client = serve(hostile_app(keep_alive_timeout=0.3, body_timeout=0.5))
    with connect(client) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.sendall(get("/big-json", "Connection: close\r\n"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            time.sleep(0.01)  # some seconds for the 8 MiB
    [reply] = parse(data)
    assert reply.status == 200
    assert len(reply.json()["data"]) == 8 * 1024 * 1024


def test_a_normal_request_is_served_during_a_slowloris_attack(serve: Serve) -> None:
    client = serve(hostile_app(header_timeout=30.0))
    attackers = []
    try:
        for _ in range(300):
            sock = connect(client)
            sock.sendall(b"GET /ok HTTP/1.1\r\nHost: t\r\nX-Drip: a")
            attackers.append(sock)
        with connect(client, timeout=5) as sock:
            sock.sendall(get("/ok", "Connection: close\r\n"))
            assert parse(read_all(sock))[0].status == 200
    finally:
        for sock in attackers:
            sock.close()


def test_past_max_connections_new_clients_wait_their_turn(serve: Serve) -> None:
    client = serve(hostile_app(max_connections=2, header_timeout=30.0))
    holders = [connect(client), connect(client)]
    # Two held connections: the third is in the backlog, not answered.
    with connect(client, timeout=0.5) as waiting:
        waiting.sendall(get("/ok", "Connection: close\r\n"))
        with pytest.raises(TimeoutError):
            waiting.recv(65536)
        holders.pop().close()
        waiting.settimeout(5)
        assert parse(read_all(waiting))[0].status == 200
    holders.pop().close()


# --- 3. shutdown_timeout holds for blocking handlers -------------------------------------


def test_sigterm_exits_within_shutdown_timeout_despite_a_blocking_handler(tmp_path: object) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        from spikard import Spikard
        app = Spikard(shutdown_timeout=1.0)

        @app.get("/slow", blocking=True)
        def slow() -> dict:
            print("in handler", flush=True)
            time.sleep(30)
            return {}

        @app.get("/ok")
        def ok() -> dict:
            return {}

        app.run(port=int(sys.argv[1]))
        """
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-c", script, str(port)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=5).request("GET", "/ok")
                break
            except OSError:
                time.sleep(0.1)
        slow = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        slow.request("GET", "/slow")
        assert server.stdout is not None
        assert server.stdout.readline() == b"in handler\n"
        sent = time.monotonic()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=15) == 0
        # Bounded, not timed: 30 s would mean the handler was waited for.
        assert time.monotonic() - sent < 10
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


# --- 4. integers past Python's digit limit -----------------------------------------------


@dataclass
class Counted:
    n: int


def int_app() -> Spikard:
    app = Spikard()

    @app.get("/path/{n}")
    def path(n: int) -> dict:
        return {"digits": len(str(n))}

    @app.get("/query")
    def query(n: int) -> dict:
        return {"digits": len(str(n))}

    @app.get("/header")
    def header(x_n: Annotated[int, Header()]) -> dict:
        return {"digits": len(str(x_n))}

    @app.get("/cookie")
    def cookie(n: Annotated[int, Cookie()]) -> dict:
        return {"digits": len(str(n))}

    @app.post("/model")
    def model_body(body: Counted) -> dict:
        return {"digits": len(str(body.n))}

    @app.post("/dict")
    def dict_body(body: dict) -> dict:
        return {"digits": len(str(body["n"]))}

    return app


@pytest.mark.parametrize("where", ["path", "query", "header", "cookie", "model", "dict"])
def test_integers_past_4300_digits_are_422_int_parsing_size(serve: Serve, where: str) -> None:
    client = serve(int_app())

    def send(digits: str) -> object:
        if where == "path":
            return client.get(f"/path/{digits}")
        if where == "query":
            return client.get("/query", params={"n": digits})
        if where == "header":
            return client.get("/header", headers={"x-n": digits})
        if where == "cookie":
            return client.get("/cookie", headers={"cookie": f"n={digits}"})
        return client.post(f"/{where}", content=f'{{"n": {digits}}}'.encode(), headers=JSON)

    for fits in ("7" * 400, "7" * 4300):
        ok = send(fits)
        assert ok.status_code == 200, ok.text  # type: ignore[attr-defined]
        assert ok.json() == {"digits": len(fits)}  # type: ignore[attr-defined]
    body = assert_problem(send("7" * 5001), 422, "validation-error")
    [error] = body["errors"]
    assert error["type"] == "int_parsing_size"
    assert error["msg"] == "Unable to parse input string as an integer, exceeded maximum size"


JSON = {"content-type": "application/json"}


# --- 5. one nesting limit ------------------------------------------------------------------


def test_any_body_the_parser_accepts_echoes(client: TestClient) -> None:
    for depth in (300, 512):
        doc = "[" * depth + "]" * depth
        response = client.post("/echo-any", content=doc.encode(), headers=JSON)
        assert response.status_code == 200, response.text
        assert response.content == doc.encode()
    too_deep = "[" * 513 + "]" * 513
    assert_problem(client.post("/echo-any", content=too_deep.encode(), headers=JSON), 400, "malformed-json")


# --- 6. head size -----------------------------------------------------------------------


def test_heads_past_the_limit_are_431(client: TestClient, serve: Serve) -> None:
    [reply] = parse(exchange(client, get("/ok", f"X-Big: {'a' * 20_000}\r\n")))
    problem(reply, 431, "header-fields-too-large")
    # Past the read buffer hyper itself refuses the head, with a bare 431, and closes.
    assert exchange(client, get("/ok", f"X-Big: {'a' * 100_000}\r\n")).startswith(b"HTTP/1.1 431")
    [reply] = parse(exchange(client, get("/ok?q=" + "a" * 20_000)))
    problem(reply, 414, "uri-too-long")
    assert_still_serving(client)
    small = serve(hostile_app(max_header_size=1024))
    [reply] = parse(exchange(small, get("/ok", f"X-Big: {'a' * 2000}\r\n")))
    problem(reply, 431, "header-fields-too-large")


# --- 7. Host on HTTP/1.1 -----------------------------------------------------------------


def test_http11_needs_exactly_one_host(client: TestClient) -> None:
    for raw in (b"GET /ok HTTP/1.1\r\n\r\n", b"GET /ok HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"):
        [reply] = parse(exchange(client, raw))
        problem(reply, 400, "bad-request")
    [reply] = parse(exchange(client, b"GET /ok HTTP/1.0\r\n\r\n"))
    assert reply.status == 200


# --- 8. an early 413 reaches clients that send the whole body first -------------------------


def test_early_413_reaches_http_client(client: TestClient) -> None:
    body = b"[" + b"1," * (11 * 1024 * 1024 // 2) + b"1]"
    for chunked in (False, True):
        conn = http.client.HTTPConnection(client.host, client.port, timeout=30)
        chunks: Iterator[bytes] = iter([body[i : i + 65536] for i in range(0, len(body), 65536)])
        conn.request(
            "POST", "/echo-any", body=chunks if chunked else body, headers=JSON, encode_chunked=chunked
        )
        response = conn.getresponse()
        assert response.status == 413
        assert json.loads(response.read())["type"] == "https://spikard.dev/errors/payload-too-large"
        conn.close()
    assert_still_serving(client)


# --- 9. a client that never reads costs no copy of a shared payload ----------------------


def rss_bytes() -> int:
    with open(f"/proc/{os.getpid()}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads /proc")
def test_non_reading_clients_share_one_payload(serve: Serve) -> None:
    payload = b"x" * (32 * 1024 * 1024)
    app = Spikard()

    @app.get("/file")
    def file() -> Response:
        return Response(payload, media_type="application/octet-stream")

    client = serve(app)
    before = rss_bytes()
    sockets = []
    try:
        for _ in range(20):
            sock = connect(client)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(get("/file"))
            sockets.append(sock)
        time.sleep(1)  # let every response be produced and stall
        grown = rss_bytes() - before
    finally:
        for sock in sockets:
            sock.close()
    # A copy per response would be 640 MiB; kernel socket buffers are a few MiB.
    assert grown < 128 * 1024 * 1024, f"RSS grew {grown >> 20} MiB"


# --- smuggling and malformed requests ------------------------------------------------------


SMUGGLE = b"GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n"


@pytest.mark.parametrize(
    "raw",
    [
        # CL.TE: a front end reading Content-Length forwards the smuggled request as body.
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        + SMUGGLE,
        # TE.CL, with the header's case and spacing varied.
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n5c\r\n"
        + SMUGGLE
        + b"\r\n0\r\n\r\n",
        # Two different lengths.
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\n{}   " + SMUGGLE,
        # A transfer coding that is not chunked last.
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" + SMUGGLE,
        # A bad chunk size.
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + SMUGGLE,
        # An obsolete line folding, and a header without a colon.
        b"GET /ok HTTP/1.1\r\nHost: t\r\nX-Fold: a\r\n b\r\n\r\n" + SMUGGLE,
        b"GET /ok HTTP/1.1\r\nHost: t\r\nNoColon\r\n\r\n" + SMUGGLE,
    ],
    ids=["cl-te", "te-cl", "two-lengths", "te-not-chunked", "bad-chunk", "obs-fold", "no-colon"],
)
def test_smuggling_attempts_are_refused_and_nothing_is_smuggled(client: TestClient, raw: bytes) -> None:
    # One answer, an error, then the connection closes: whatever followed the first
    # request's framing is never read as a request. (CL with TE is read as chunked, as RFC
    # 9112 §6.1 says, so its empty body is what the 422 is about.)
    data = exchange(client, raw)
    assert data.count(b"HTTP/1.1 ") == 1, data
    assert data.startswith((b"HTTP/1.1 400", b"HTTP/1.1 422")), data[:200]
    assert smuggled == []
    assert_still_serving(client)


@pytest.mark.parametrize(
    "raw",
    [
        b"GET\r\n\r\n",
        b"GET / HTTP/9.9\r\nHost: t\r\n\r\n",
        b"GET /ok\x00 HTTP/1.1\r\nHost: t\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,  # a TLS hello
        b"GET /ok HTTP/1.1\r\nHost: t\r\nX-Bad\x7f: v\r\n\r\n",
        b"G\xc3\x89T /ok HTTP/1.1\r\nHost: t\r\n\r\n",
    ],
    ids=["no-target", "bad-version", "nul-in-target", "tls", "bad-header-name", "non-ascii-method"],
)
def test_malformed_requests_are_refused_and_the_server_keeps_serving(client: TestClient, raw: bytes) -> None:
    data = exchange(client, raw)
    assert data == b"" or data.startswith((b"HTTP/1.1 400", b"HTTP/1.1 405", b"HTTP/1.1 505")), data[:200]
    assert_still_serving(client)


def test_h2c_rapid_reset_is_cut_off_and_the_server_keeps_serving(client: TestClient) -> None:
    h2 = pytest.importorskip("h2.connection")
    from h2.config import H2Configuration
    from h2.events import ConnectionTerminated

    conn = h2.H2Connection(H2Configuration(client_side=True))
    conn.initiate_connection()
    terminated = False
    with connect(client) as sock:
        sock.sendall(conn.data_to_send())
        headers = [(":method", "GET"), (":path", "/ok"), (":scheme", "http"), (":authority", "t")]
        stream = 1
        try:
            for _ in range(2000):
                conn.send_headers(stream, headers, end_stream=True)
                conn.reset_stream(stream)
                sock.sendall(conn.data_to_send())
                stream += 2
        except (BrokenPipeError, ConnectionResetError):
            terminated = True
        sock.settimeout(2)
        try:
            while data := sock.recv(65536):
                events = conn.receive_data(data)
                terminated |= any(isinstance(e, ConnectionTerminated) for e in events)
        except (TimeoutError, ConnectionResetError):
            pass
        except Exception:  # the server may cut the stream mid-frame
            terminated = True
    assert terminated, "2,000 reset streams and the connection was neither refused nor ended"
    assert_still_serving(client)


def test_concurrent_hostile_clients_do_not_stop_normal_ones(client: TestClient) -> None:
    """Every attack above at once from threads, while a normal client keeps asking."""
    attacks = [
        b"GET\r\n\r\n",
        get("/ok", f"X-Big: {'a' * 20_000}\r\n"),
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{{{{{",
    ]
    stop = threading.Event()

    def attack(raw: bytes) -> None:
        while not stop.is_set():
            exchange(client, raw)

    threads = [threading.Thread(target=attack, args=(raw,)) for raw in attacks]
    for thread in threads:
        thread.start()
    try:
        for _ in range(50):
            assert client.get("/ok").json() == {"ok": True}
    finally:
        stop.set()
        for thread in threads:
            thread.join()
