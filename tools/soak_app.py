"""The app `tools/soak.py` drives: an echo, a handler that raises, and one that does a few
milliseconds of real CPU work (PBKDF2), which counts the requests it finished and reports
them to stdout when the server shuts down."""

from __future__ import annotations

import hashlib

from spikard import HTTPException, Spikard

app = Spikard()
finished = 0


@app.post("/json")
def echo(body: dict) -> dict:
    return body


@app.get("/raise")
def fail() -> dict:
    raise ValueError("a handler fault the soak provokes on purpose")


@app.get("/http-error")
def http_error() -> dict:
    raise HTTPException(409, "conflict")


@app.get("/work")
def work() -> dict:
    global finished
    digest = hashlib.pbkdf2_hmac("sha256", b"spikard", b"soak", 5_000).hex()
    finished += 1
    return {"digest": digest}


@app.on_shutdown
def report() -> None:
    print(f"finished {finished}", flush=True)
