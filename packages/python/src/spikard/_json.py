"""The decoder for the rare JSON body the Rust parser cannot represent: one holding an
integer outside the 64-bit range. Such integers become exact Python ints, as `json.loads`
gives; everything else keeps the Rust parser's rules (no NaN or Infinity, finite floats)."""

from __future__ import annotations

import json
from typing import Any, NoReturn


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number out of range: {text}")
    return value


def _reject(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def loads_big(data: bytes) -> Any:
    return json.loads(data, parse_float=_finite, parse_constant=_reject)
