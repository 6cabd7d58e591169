"""examples/todos: a FastAPI app and its Spikard port (the imports and the constructor
changed), asked the same requests, one after another, through FastAPI's TestClient and
Spikard's (a real server on loopback). Every answer must be the same. The diff the migration
guide shows must be the diff between the two files."""

from __future__ import annotations

import ast
import difflib
import importlib.util
import re
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

from conftest import comparable_with_fastapi
from spikard.testing import TestClient

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "todos"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"todos_{name}", EXAMPLE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# (method, url, keyword arguments): a user's session, in order.
STEPS: list[tuple[str, str, dict[str, Any]]] = [
    ("post", "/todos/", {"json": {"title": "  write the port  ", "tags": ["work"]}}),
    ("post", "/todos/", {"json": {"title": "review", "priority": 5}}),
    ("post", "/todos/", {"json": {"title": "x", "tags": ["a", "a"]}}),
    ("post", "/todos/", {"json": {"title": "x", "owner": "mallory"}}),
    ("post", "/todos/", {"json": {"title": "", "priority": 9}}),
    ("post", "/todos/", {"json": {"title": "no owner"}, "headers": {"x-user": ""}}),
    ("get", "/todos/", {}),
    ("get", "/todos", {}),
    ("get", "/todos/?limit=1&offset=1", {}),
    ("get", "/todos/?limit=0", {}),
    ("get", "/todos/1", {}),
    ("get", "/todos/abc", {}),
    ("get", "/todos/1", {"headers": {"x-user": "bob"}}),
    ("patch", "/todos/1", {"json": {"done": True}}),
    ("patch", "/todos/1", {"json": {"priority": 0}}),
    ("get", "/todos/?done=true", {}),
    ("delete", "/todos/2", {}),
    ("get", "/todos/2", {}),
    ("get", "/todos/", {}),
    ("get", "/whoami", {"headers": {"user-agent": "tests"}}),
    ("get", "/whoami", {"headers": {"x-user": ""}}),
]


def _session(client: Any) -> list[tuple[int, Any]]:
    answers = []
    for method, url, kwargs in STEPS:
        headers = {"x-user": "ann", **kwargs.pop("headers", {})} if "headers" in kwargs else {"x-user": "ann"}
        response = client.request(method.upper(), url, headers=headers, **kwargs)
        kwargs["headers"] = headers  # put back for the other client
        body = response.json() if response.content else None
        answers.append((response.status_code, comparable_with_fastapi(body)))
    return answers


def test_the_port_answers_as_fastapi_does() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's notice about httpx versions
        from fastapi.testclient import TestClient as FastAPIClient

        with FastAPIClient(_load("fastapi_app").app) as client:
            expected = _session(client)
    with TestClient(_load("spikard_app").app) as client:
        got = _session(client)
    for step, want, have in zip(STEPS, expected, got, strict=True):
        assert have == want, step
    statuses = [status for status, _ in got]
    assert statuses.count(422) == 8 and 201 in statuses and 204 in statuses and 404 in statuses


def _code(name: str) -> list[str]:
    """The file's lines after its module docstring."""
    text = (EXAMPLE / f"{name}.py").read_text()
    docstring = ast.parse(text).body[0]
    assert isinstance(docstring, ast.Expr) and docstring.end_lineno is not None
    return text.splitlines()[docstring.end_lineno :]


def test_the_guide_shows_the_real_diff() -> None:
    changed = [
        line
        for line in difflib.unified_diff(_code("fastapi_app"), _code("spikard_app"), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    guide = (ROOT / "docs" / "migrating-from-fastapi.md").read_text()
    block = re.search(r"```diff\n(.*?)```", guide, re.S)
    assert block is not None, "the guide has no diff block"
    assert [line for line in block.group(1).splitlines() if line[:1] in "+-"] == changed
