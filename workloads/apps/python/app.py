"""The workload app on Spikard: the endpoints every benchmark target serves identically."""

from __future__ import annotations

from typing import Any

from spikard import Spikard

app = Spikard()


@app.post("/json/small")
def json_small(body: dict[str, Any]) -> dict[str, Any]:
    """Echo the JSON body."""
    return body


@app.get("/path/{id}")
def path_simple(id: str) -> dict[str, Any]:
    return {"id": id}


@app.get("/query")
def query_few(limit: int = 10, offset: int = 0) -> dict[str, Any]:
    return {"limit": limit, "offset": offset}


@app.get("/health")
def health() -> dict[str, Any]:
    return {"ok": True}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8000)
