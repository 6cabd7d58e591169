"""The documents both JSON benchmarks time (`test_json_speed.py`, `json_ratio.py`): realistic
API payloads of about 1 KB, 50 KB and 500 KB, the same on every run (fixed seeds)."""

from __future__ import annotations

import random
from typing import Any

import orjson

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
