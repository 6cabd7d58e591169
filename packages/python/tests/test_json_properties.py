"""Property tests: Spikard's JSON decoder and encoder agree with the standard library's
`json` on every document hypothesis can think of, and bad bytes are a 400, never a crash."""

from __future__ import annotations

import json
import math
import random
import struct
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Serve, assert_problem
from spikard import Body, RequestError, Spikard, _spikard

scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: big and negative integers included
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=8) | st.dictionaries(st.text(), children, max_size=8),
    max_leaves=40,
)


@given(documents, st.booleans())
@settings(max_examples=400)
def test_loads_agrees_with_json(doc: Any, ensure_ascii: bool) -> None:
    text = json.dumps(doc, ensure_ascii=ensure_ascii)
    assert _spikard.loads(text.encode()) == json.loads(text)


@given(documents)
@settings(max_examples=400)
def test_dumps_round_trips(doc: Any) -> None:
    encoded = _spikard.dumps(doc)
    assert json.loads(encoded) == doc
    assert _spikard.loads(encoded) == doc


@pytest.fixture(scope="module")
def echo():
    app = Spikard()

    @app.post("/echo")
    def echo(body: Annotated[Any, Body()] = None) -> Any:  # the body, whatever its shape
        return body

    from spikard.testing import TestClient

    with TestClient(app) as client:
        yield client


@given(doc=documents)
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_echo_through_a_real_server(echo, doc: Any) -> None:
    body = json.dumps(doc).encode()
    response = echo.post("/echo", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json() == json.loads(body)


@pytest.mark.parametrize(
    "raw",
    [
        b'"\\ud800"',  # a lone high surrogate
        b'["\\udc00x"]',  # a lone low surrogate
        b'"\xff\xfe"',  # invalid UTF-8
        b'{"a": "\xc3"}',  # truncated UTF-8
        b"\xed\xa0\x80",  # an encoded surrogate
        b"NaN",
        b"[Infinity]",
        b"1e400",
        b"[123456789012345678901234567890, 1e999]",
    ],
)
def test_bad_bytes_are_400(serve: Serve, raw: bytes) -> None:
    with pytest.raises(RequestError) as info:
        _spikard.loads(raw)
    assert info.value.status_code == 400
    app = Spikard()

    @app.post("/echo")
    def echo(body: Annotated[Any, Body()] = None) -> Any:
        return body

    client = serve(app)
    assert_problem(client.post("/echo", content=raw, headers={"content-type": "application/json"}), 400)
    assert client.post("/echo", json={"ok": 1}).json() == {"ok": 1}


def test_big_integers_arrive_exact(serve: Serve) -> None:
    app = Spikard()

    @app.post("/sum")
    def total(body: dict) -> dict:
        return {"sum": sum(body["n"]), "types": sorted({type(n).__name__ for n in body["n"]})}

    client = serve(app)
    n = [2**64, -(2**70), 3, 10**30]
    assert client.post("/sum", json={"n": n}).json() == {"sum": sum(n), "types": ["int"]}


def test_dumps_int_subclasses_and_non_string_keys_like_json() -> None:
    """The slow path's ints (subclasses, past 64 bits) and the keys `json.dumps` accepts
    come out as `json.dumps` writes them."""

    class Count(int):
        pass

    doc = {1: Count(5), 2**70: Count(2**80), -3: [Count(-7)], 2.5: True, None: 1, "s": Count(0)}
    assert _spikard.dumps(doc) == json.dumps(doc, separators=(",", ":")).encode()


def test_dumps_ints_at_every_digit_boundary() -> None:
    """Ints are read straight from CPython's 30-bit digits up to two of them: each side of
    every digit boundary, of 2**60 and of the 64-bit range comes out as `json.dumps` writes
    it."""
    edges = [0, 1, 9, 10, 99, 100, 2**30 - 1, 2**30, 2**30 + 1, 2**60 - 1, 2**60, 2**60 + 1]
    edges += [2**63 - 1, 2**63, 2**64, 10**18, 10**19, 10**20]
    edges += [10**k + d for k in range(1, 21) for d in (-1, 0, 1)]
    values = edges + [-n for n in edges]
    assert _spikard.dumps(values) == json.dumps(values, separators=(",", ":")).encode()


def test_dumps_dicts_of_every_table_shape() -> None:
    """Dicts are walked from their entries where CPython's layout is known: deleted keys
    (holes), tables past one-byte indices, general tables (keys not all `str`, or made
    presized) and instance dicts (split tables) all come out as `json.dumps` writes them."""

    class Point:
        def __init__(self) -> None:
            self.x, self.y = 1, 2

    holes = {f"k{i}": i for i in range(40)}
    for i in range(0, 40, 3):
        del holes[f"k{i}"]
    medium = {f"m{i}": i for i in range(1_000)}  # two-byte indices
    large = {f"key{i}": [i, str(i)] for i in range(70_000)}  # four-byte indices
    del large["key0"], large["key69999"]
    general = {"a": 1, 2: "b", "c": None}
    general_str_keys = {0: None}  # a general table, holding only str keys once 0 is gone
    del general_str_keys[0]
    general_str_keys.update({"a": 1, "b": [2]})
    presized = _spikard.loads(json.dumps({f"k{i}": i for i in range(9)}).encode())  # general
    emptied = {"gone": 1}
    del emptied["gone"]
    docs = [holes, medium, large, general, general_str_keys, presized, emptied, vars(Point())]
    for doc in [*docs, {"nested": holes, "n": [general, presized]}]:
        assert _spikard.dumps(doc) == json.dumps(doc, separators=(",", ":")).encode()


def test_loads_keys_and_strings_of_every_length() -> None:
    """Keys and short strings are read a word at a time from the body: every length around
    the word size, ASCII or not, escaped or not, comes out as `json.loads` reads it, and an
    ASCII key is the same (cached) object from one document to the next."""
    texts = ["", "a", "ab", "abc"] + ["k" * n for n in range(4, 21)]
    texts += ["é", "aé", "ab\u00e9cdef", "abcdefg\u00e9", "abcdefgh\u00e9", "✓" * 9, 'a"b', "tab\tx"]
    doc = {t: [t, {t: t}] for t in texts}
    for ensure_ascii in (True, False):
        text = json.dumps(doc, ensure_ascii=ensure_ascii).encode()
        first, second = _spikard.loads(text), _spikard.loads(text)
        assert first == second == json.loads(text)
    ascii_keys = {k for k in first if k.isascii() and k}
    assert all(a is b for a, b in zip(first, second, strict=True) if a in ascii_keys)


def test_loads_documents_the_fast_parser_hands_over() -> None:
    """A document the single-pass parser leaves to simd-json (here: `-0`) decodes the same,
    keys and short strings included (their words are then read without the body's
    padding)."""
    for text in [
        b'{"abc": -0, "abcdefghij": "x", "k": "short", "\xc3\xa9": "\xc3\xa9t\xc3\xa9"}',
        b'["a\\u0000b", -0, {"ab": "cd"}, "abcdefgh", "abcdefghi"]',
    ]:
        assert _spikard.loads(text) == json.loads(text)


def test_loads_floats_like_json() -> None:
    """Floats are converted from the digits the parser read (exact fast path, then
    Eisel-Lemire): the digits Python's `repr` writes, halfway cases, subnormals, the
    extremes, and more digits than a 64-bit integer holds all read as `json.loads` reads
    them (same bits, sign of zero included)."""
    rng = random.Random(7)
    values = [rng.random() for _ in range(2000)] + [rng.uniform(-1e300, 1e300) for _ in range(500)]
    values += [math.ldexp(rng.random(), rng.randrange(-1074, 1000)) for _ in range(2000)]
    texts = [repr(v) for v in values]
    texts += ["9007199254740993", "9007199254740993.0", "9007199254740993e0", "2.2250738585072011e-308"]
    texts += ["4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-400"]
    texts += ["1.7976931348623157e308", "1.7976931348623158e308", "0.1", "0.30000000000000004"]
    texts += ["-0.0", "0.0e5", "1e23", "8.98846567431158e307", "123456789012345678901234567890.5"]
    texts += ["0.000000000000000000000000000001", "1.00000000000000011102230246251565404236316680908203125"]
    text = ("[" + ",".join(texts) + "]").encode()
    got, want = _spikard.loads(text), json.loads(text)
    assert [struct.pack("<d", g) for g in got] == [struct.pack("<d", w) for w in want]
    # Past the largest double: malformed JSON (a 400 on the server), never infinity.
    for bad in [b"[1e400]", b"[-1.8e308]"]:
        with pytest.raises(RequestError, match="InvalidNumber"):
            _spikard.loads(bad)


def test_loads_refuses_documents_left_open() -> None:
    """Input that ends with containers still open (at any depth, past the nesting limit
    too) is malformed JSON, and decoding carries on normally after it."""
    for depth in [1, 2, 5, 100, 509, 510, 511, 600]:
        for opener in [b"[", b'{"":', b"[1,"]:
            with pytest.raises(RequestError):
                _spikard.loads(opener * depth)
    assert _spikard.loads(b"[[1]]") == [[1]]
