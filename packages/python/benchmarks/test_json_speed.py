"""Micro-benchmarks: Spikard's JSON converters against orjson, the fastest Python JSON
library, on 1 KB, 50 KB and 500 KB documents. Every benchmark checks its output first.

    make bench-micro
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from documents import DOCS, SIZES, TEXTS

from spikard import _spikard


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
