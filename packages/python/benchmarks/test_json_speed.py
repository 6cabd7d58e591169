"""Micro-benchmarks: Spikard's JSON converters against orjson, the fastest Python JSON
library, on 1 KB, 50 KB and 500 KB documents. Every benchmark checks its output first.

    make bench-micro
"""

from __future__ import annotations

import json
import random
from typing import Any

import orjson
import pytest

from spikard import _spikard

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "ünïcödé", 'quote"d', "tab\there"]


def document(size: int, seed: int) -> Any:
    """A realistic API document of about `size` bytes: records with strings, numbers, flags,
    nested objects and lists."""
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    doc = {"kind": "catalogue", "items": items}
    while len(orjson.dumps(doc)) < size:
        items.append(
            {
                "id": rng.randrange(10**9),
                "name": " ".join(rng.choice(WORDS) for _ in range(3)),
                "price": round(rng.uniform(0, 1000), 2),
                "active": rng.random() < 0.5,
                "tags": rng.sample(WORDS, 3),
                "dims": {"w": rng.random(), "h": rng.randrange(100), "unit": "cm"},
                "parent": None,
            }
        )
    return doc


SIZES = {"1KB": 1_000, "50KB": 50_000, "500KB": 500_000}
DOCS = {name: document(size, i) for i, (name, size) in enumerate(SIZES.items())}
TEXTS = {name: orjson.dumps(doc) for name, doc in DOCS.items()}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("impl", ["spikard", "orjson"])
def test_loads(benchmark: Any, impl: str, size: str) -> None:
    loads = _spikard.loads if impl == "spikard" else orjson.loads
    data = TEXTS[size]
    assert loads(data) == json.loads(data)
    benchmark.group = f"loads {size}"
    benchmark(loads, data)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("impl", ["spikard", "orjson"])
def test_dumps(benchmark: Any, impl: str, size: str) -> None:
    dumps = _spikard.dumps if impl == "spikard" else orjson.dumps
    doc = DOCS[size]
    assert json.loads(dumps(doc)) == doc
    benchmark.group = f"dumps {size}"
    benchmark(dumps, doc)
