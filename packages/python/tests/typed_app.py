"""Every parameter marker in both of FastAPI's styles, as a default value and inside
`Annotated`; `test_typing.py` checks it with `mypy --strict` and serves it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from spikard import Body, Cookie, Depends, Header, Path, Query, Spikard

app = Spikard()


def get_db() -> Iterator[str]:
    yield "db"


def get_user(token: str | None = Header(None, alias="x-token")) -> str:
    return token or "anonymous"


@app.post("/defaults/{item_id}", dependencies=[Depends(get_user)])
def defaults(
    item_id: int = Path(ge=1),
    q: str | None = Query(None, max_length=50),
    limit: int = Query(10, ge=1, le=100),
    user_agent: str | None = Header(None),
    session: str | None = Cookie(None),
    db: str = Depends(get_db),
    user: str = Depends(get_user),
    note: str = Body(embed=True, min_length=1),
) -> dict[str, object]:
    return {
        "item_id": item_id,
        "q": q,
        "limit": limit,
        "user_agent": user_agent,
        "session": session,
        "db": db,
        "user": user,
        "note": note,
    }


@app.get("/annotated/{item_id}")
def annotated(
    item_id: Annotated[int, Path(ge=1)],
    db: Annotated[str, Depends(get_db)],
    tags: Annotated[list[str], Query()] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1)] = 10,
    user_agent: Annotated[str | None, Header()] = None,
    session: Annotated[str | None, Cookie()] = None,
) -> dict[str, object]:
    return {
        "item_id": item_id,
        "db": db,
        "tags": tags,
        "limit": limit,
        "user_agent": user_agent,
        "session": session,
    }
