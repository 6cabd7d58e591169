"""Write the JSON payloads in workloads/payloads/, deterministically, at exactly their sizes.

Run once when payloads change: `python tools/gen_payloads.py`. The files are committed, and
workloads/tests/test_workloads.py checks each is the size its name and definition claim.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "workloads" / "payloads"

SMALL = {
    "id": 12345,
    "name": "test_item",
    "active": True,
    "count": 42,
    "tags": ["tag1", "tag2", "tag3"],
}
SIZES = {"json-medium": 5 * 1024, "json-large": 50 * 1024, "json-xlarge": 500 * 1024}
WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
]


def encode(doc: object) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def item(rng: random.Random, i: int) -> dict:
    return {
        "id": i,
        "sku": f"SKU-{rng.randrange(10**8):08d}",
        "name": " ".join(rng.choice(WORDS) for _ in range(3)),
        "price": round(rng.uniform(1, 1000), 2),
        "in_stock": rng.random() < 0.8,
        "tags": rng.sample(WORDS, 3),
        "dimensions": {
            "w": rng.randrange(1, 100),
            "h": rng.randrange(1, 100),
            "d": rng.randrange(1, 100),
        },
        "note": "ünïcödé ✓" if i % 7 == 0 else None,
    }


def sized(size: int, seed: int) -> bytes:
    """A catalogue document of exactly `size` bytes: items until it would overflow, then a
    padding string that makes up the difference."""
    rng = random.Random(seed)
    doc: dict = {"catalogue": "workload", "items": [], "pad": ""}
    while True:
        doc["items"].append(item(rng, len(doc["items"])))
        if len(encode(doc)) > size:
            doc["items"].pop()
            break
    doc["pad"] = "x" * (size - len(encode(doc)))
    data = encode(doc)
    assert len(data) == size, (len(data), size)
    return data


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    small = encode(SMALL)
    assert len(small) == 86, len(small)
    (OUT / "json-small.json").write_bytes(small)
    for seed, (name, size) in enumerate(SIZES.items()):
        (OUT / f"{name}.json").write_bytes(sized(size, seed))
    for path in sorted(OUT.glob("*.json")):
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
