"""Spikard's JSON converters against orjson, measured in alternation: each round times a
batch of calls of one, then the other, on the same document, and the figure reported is
the median over rounds of the per-round time ratio. On a shared, noisy machine a ratio
taken within one round is far steadier than two separately timed medians.

    .venv/bin/python packages/python/benchmarks/json_ratio.py
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson
from documents import DOCS, TEXTS

from spikard import _spikard

ROUNDS = 25


def per_call(fn: Callable[[], Any], budget: float = 0.02) -> float:
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < budget:
        fn()
        n += 1
    return elapsed / n


def paired(a: Callable[[], Any], b: Callable[[], Any]) -> tuple[float, float, float]:
    """Median time of a, of b (seconds per call) and median of the per-round ratios a/b."""
    ta, tb, ratios = [], [], []
    for _ in range(ROUNDS):
        x, y = per_call(a), per_call(b)
        ta.append(x)
        tb.append(y)
        ratios.append(x / y)
    return statistics.median(ta), statistics.median(tb), statistics.median(ratios)


def main() -> None:
    print(f"{'case':<14}{'spikard':>12}{'orjson':>12}{'spikard/orjson':>16}")
    for size, text in TEXTS.items():
        assert _spikard.loads(text) == json.loads(text)
        s, o, r = paired(lambda t=text: _spikard.loads(t), lambda t=text: orjson.loads(t))
        print(f"{'loads ' + size:<14}{s * 1e6:>10.1f}us{o * 1e6:>10.1f}us{r:>16.2f}")
    for size, doc in DOCS.items():
        assert json.loads(_spikard.dumps(doc)) == doc
        s, o, r = paired(lambda d=doc: _spikard.dumps(d), lambda d=doc: orjson.dumps(d))
        print(f"{'dumps ' + size:<14}{s * 1e6:>10.1f}us{o * 1e6:>10.1f}us{r:>16.2f}")


if __name__ == "__main__":
    main()
