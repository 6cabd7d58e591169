"""A to-do service written for FastAPI: pydantic models with validators, a `yield`
dependency holding a database session, response models that hide fields, status codes,
query parameters with constraints, trailing-slash routes. spikard_app.py is the same file
ported to Spikard (docs/migrating-from-fastapi.md shows the diff)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, field_validator


class Database:
    """An in-memory store with sessions that commit or roll back, as a real one would."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[str, object]] = {}
        self.ids = itertools.count(1)
        self.lock = threading.Lock()

    def session(self) -> Session:
        return Session(self)


class Session:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.pending: dict[int, dict[str, object] | None] = {}

    def get(self, todo_id: int) -> dict[str, object] | None:
        if todo_id in self.pending:
            return self.pending[todo_id]
        return self.db.rows.get(todo_id)

    def put(self, todo_id: int, row: dict[str, object] | None) -> None:
        self.pending[todo_id] = row

    def all(self) -> list[dict[str, object]]:
        return [r for i, r in sorted({**self.db.rows, **self.pending}.items()) if r is not None]

    def commit(self) -> None:
        with self.db.lock:
            for todo_id, row in self.pending.items():
                if row is None:
                    self.db.rows.pop(todo_id, None)
                else:
                    self.db.rows[todo_id] = row
        self.pending.clear()

    def rollback(self) -> None:
        self.pending.clear()


DB = Database()


def get_session() -> Iterator[Session]:
    session = DB.session()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise


def get_owner(x_user: Annotated[str, Header(min_length=1)]) -> str:
    return x_user


class TodoIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    priority: int = Field(default=3, ge=1, le=5)
    tags: list[str] = []

    @field_validator("tags")
    @classmethod
    def distinct_tags(cls, tags: list[str]) -> list[str]:
        if len(set(tags)) != len(tags):
            raise ValueError("tags must be distinct")
        return tags


class TodoOut(BaseModel):
    id: int
    title: str
    priority: int
    tags: list[str]
    done: bool = False


class TodoPatch(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    priority: int | None = Field(default=None, ge=1, le=5)
    done: bool | None = None


app = FastAPI(title="Todos")

Db = Annotated[Session, Depends(get_session)]
Owner = Annotated[str, Depends(get_owner)]


@app.post("/todos/", response_model=TodoOut, status_code=status.HTTP_201_CREATED)
def create_todo(todo: TodoIn, db: Db, owner: Owner) -> dict[str, object]:
    todo_id = next(DB.ids)
    row = {"id": todo_id, "owner": owner, "done": False, **todo.model_dump()}
    db.put(todo_id, row)
    return row  # "owner" is not in TodoOut: it is not sent


@app.get("/todos/", response_model=list[TodoOut])
def list_todos(
    db: Db,
    owner: Owner,
    done: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, object]]:
    rows = [r for r in db.all() if r["owner"] == owner and (done is None or r["done"] == done)]
    return rows[offset : offset + limit]


@app.get("/todos/{todo_id}", response_model=TodoOut)
def read_todo(todo_id: int, db: Db, owner: Owner) -> dict[str, object]:
    row = db.get(todo_id)
    if row is None or row["owner"] != owner:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Todo not found")
    return row


@app.patch("/todos/{todo_id}", response_model=TodoOut, response_model_exclude_none=True)
def update_todo(todo_id: int, patch: TodoPatch, db: Db, owner: Owner) -> dict[str, object]:
    row = read_todo(todo_id, db, owner)
    updated = {**row, **patch.model_dump(exclude_unset=True)}
    db.put(todo_id, updated)
    return updated


@app.delete("/todos/{todo_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_todo(todo_id: int, db: Db, owner: Owner) -> None:
    read_todo(todo_id, db, owner)
    db.put(todo_id, None)


@app.get("/whoami")
def whoami(request: Request, owner: Owner) -> dict[str, object]:
    return {"owner": owner, "path": request.url.path, "agent": request.headers.get("user-agent")}
