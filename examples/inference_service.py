"""An inference-style service: a slow, CPU-heavy handler that must not stall anything else.

`POST /blur?width=W&radius=R` takes a raw 8-bit grayscale image (W pixels per row) and
returns it box-blurred, computed in pure Python on purpose (a stand-in for the model call or
PDF render a real service makes). It is registered `blocking=True`, so it runs on Spikard's
blocking pool while `GET /health` keeps answering at once.

    python -m spikard run examples/inference_service.py:app --port 8000
    head -c 640000 /dev/urandom > img.raw
    curl -s -X POST 'http://127.0.0.1:8000/blur?width=800&radius=3' --data-binary @img.raw -o out.raw
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

from spikard import HTTPException, Query, Request, Response, Spikard


def box_blur(pixels: bytes, width: int, radius: int) -> bytes:
    """Each output pixel is the mean of the (2r+1)^2 window around it (clamped at edges)."""
    height = len(pixels) // width
    # Summed-area table: one pass, then four lookups per pixel.
    table = [[0] * (width + 1) for _ in range(height + 1)]
    for y in range(height):
        row_sum = 0
        row = y * width
        above, here = table[y], table[y + 1]
        for x in range(width):
            row_sum += pixels[row + x]
            here[x + 1] = above[x + 1] + row_sum
    out = bytearray(width * height)
    for y in range(height):
        y0, y1 = max(0, y - radius), min(height, y + radius + 1)
        top, bottom = table[y0], table[y1]
        for x in range(width):
            x0, x1 = max(0, x - radius), min(width, x + radius + 1)
            total = bottom[x1] - bottom[x0] - top[x1] + top[x0]
            out[y * width + x] = total // ((y1 - y0) * (x1 - x0))
    return bytes(out)


@contextlib.asynccontextmanager
async def lifespan(app: Spikard) -> AsyncIterator[None]:
    # Where a real service would load its model, once.
    app.state.kernels_served = 0
    yield


app = Spikard(lifespan=lifespan, blocking_threads=2, blocking_queue=8)


@app.post("/blur", blocking=True)
def blur(request: Request, width: Annotated[int, Query()], radius: Annotated[int, Query()] = 2) -> Response:
    body = request.body
    if width <= 0 or not body or len(body) % width:
        raise HTTPException(422, f"the body ({len(body)} bytes) is not whole rows of {width} pixels")
    if not 0 <= radius <= 50:
        raise HTTPException(422, "radius must be between 0 and 50")
    app.state.kernels_served += 1
    return Response(box_blur(body, width, radius), media_type="application/octet-stream")


@app.get("/health")
async def health() -> dict[str, Any]:
    return {"ok": True, "served": app.state.kernels_served}
