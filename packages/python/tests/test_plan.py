"""The route contract (`spikard._plan`) against the extension that reads it (`plan.rs`).

Every source x kind x shape is built here, read by the extension exactly as the server
reads it, and written back: a name or field that one side renames and the other does not
fails here, not at a user's startup.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import itertools
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pytest

from conftest import Serve
from spikard import BackgroundTasks, Body, Cookie, Header, Path, Query, Request, Spikard, _plan, _spikard
from spikard._plan import (
    PARAM_SOURCES,
    SHAPES,
    Build,
    BuildField,
    Convert,
    EachItem,
    EachValue,
    Embedded,
    Kind,
    ParamDesc,
    Shape,
    Source,
    ToFloat,
    ToInt,
    UnlessNone,
    Validate,
)


@dataclass
class Point:
    x: int
    y: float = 0.0


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


def test_both_sides_name_the_same_sources_kinds_and_shapes() -> None:
    assert _spikard.PLAN["sources"] == [s.value for s in Source if s is not Source.DEPENDS]
    assert _spikard.PLAN["kinds"] == [k.value for k in Kind]
    assert _spikard.PLAN["shapes"] == [cls.__name__ for cls in SHAPES]
    declared = {v for v in vars(_plan).values() if isinstance(v, type) and dataclasses.is_dataclass(v)}
    assert declared - {ParamDesc, BuildField, _plan.Route} == set(SHAPES)


SHAPE_CASES: list[Shape] = [
    None,
    ToFloat(),
    ToInt(),
    Convert(uuid.UUID),
    Validate(uuid.UUID),
    EachItem(ToInt()),
    EachValue(Convert(datetime.date.fromisoformat)),
    UnlessNone(EachItem(ToFloat())),
    Embedded("item", None),
    Embedded("point", Build(Point, (BuildField("x", "x", ToInt()), BuildField("y", "y", ToFloat())), True)),
    Build(None, (BuildField("when-key", "when", UnlessNone(Convert(datetime.time.fromisoformat))),), False),
]


def _shape_classes(shape: Shape) -> set[type]:
    if shape is None:
        return set()
    found = {type(shape)}
    for f in dataclasses.fields(shape):
        value = getattr(shape, f.name)
        if isinstance(value, tuple):
            for item in value:
                found |= {type(item)} | _shape_classes(item.shape)
        elif value is None or type(value) in SHAPES:
            found |= _shape_classes(value)
    return found


def test_the_shape_cases_cover_every_shape() -> None:
    covered = set().union(*(_shape_classes(s) for s in SHAPE_CASES))
    assert covered == set(SHAPES) | {BuildField}


def _every_param() -> list[ParamDesc]:
    params = []
    for source in Source:
        if source is Source.DEPENDS:
            continue
        kinds: list[Kind | None] = list(Kind) if source in PARAM_SOURCES else [None]
        for kind, is_list, required, shape in itertools.product(
            kinds, (False, True), (False, True), SHAPE_CASES
        ):
            params.append(
                ParamDesc(
                    name=f"{source.value}_{kind}",
                    source=source,
                    key=f"x-{source.value}",
                    kind=kind,
                    list=is_list,
                    required=required,
                    default=None if required else [1, "two"],
                    check=None if is_list else '{"minimum": 1}',
                    shape=shape,
                )
            )
    return params


@pytest.mark.parametrize(
    "desc", _every_param(), ids=lambda d: f"{d.source.value}-{d.kind}-{d.list}-{d.required}"
)
def test_every_source_kind_and_shape_round_trips(desc: ParamDesc) -> None:
    assert _spikard.read_param(desc) == desc


def test_a_name_the_extension_does_not_know_is_refused_loudly() -> None:
    desc = ParamDesc("n", Source.QUERY, "n", Kind.INT, False, True, None)

    @dataclass(frozen=True)
    class Squash:
        pass

    for field, value, why in [
        ("shape", Squash(), 'unknown shape "Squash"'),
        ("source", "form", 'unknown parameter source "form"'),
        ("kind", "date", 'unknown parameter kind "date"'),
    ]:
        with pytest.raises(Exception) as raised:
            _spikard.read_param(dataclasses.replace(desc, **{field: value}))
        assert f"ParamPlan.{field}" in str(raised.value)
        assert why in str(raised.value.__cause__)
    with pytest.raises(ValueError, match="needs a kind"):
        app = Spikard()
        app.get("/n")(lambda n: n)
        route = dataclasses.replace(app.routes[0], params=[dataclasses.replace(desc, kind=None)])
        _spikard.Server([route])


app = Spikard()


@app.post("/everything/{pid}/{when}")
def everything(
    pid: uuid.UUID,
    when: Annotated[datetime.date, Path()],
    request: Request,
    tasks: BackgroundTasks,
    point: Annotated[Point, Body(embed=True)],
    ids: Annotated[list[int], Query()] = [],  # noqa: B006
    ratio: float = 1.0,
    color: Color = Color.RED,
    level: Literal[1, 2, 3] = 1,
    price: decimal.Decimal | None = None,
    agent: Annotated[str | None, Header()] = None,
    session: Annotated[bool, Cookie()] = False,
) -> dict[str, Any]:
    return {
        "pid": str(pid),
        "when": when.isoformat(),
        "method": request.method,
        "point": [point.x, point.y],
        "ids": ids,
        "ratio": ratio,
        "color": color.value,
        "level": level,
        "price": None if price is None else str(price),
        "agent": agent,
        "session": session,
    }


@app.post("/points")
def points(by_name: dict[str, Point] | None = None) -> int:
    return 0 if by_name is None else len(by_name)


def test_what_handlers_declare_round_trips_and_serves(serve: Serve) -> None:
    for route in app.routes:
        for desc in route.params:
            assert _spikard.read_param(desc) == dataclasses.replace(desc, schema=None), desc.name
    client = serve(app)
    pid = uuid.uuid4()
    response = client.post(
        f"/everything/{pid}/2026-12-01?ids=1&ids=2&ratio=2&color=blue&level=3&price=1.50",
        json={"point": {"x": 2.0, "y": 3}},
        headers={"agent": "t", "cookie": "session=true"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "pid": str(pid),
        "when": "2026-12-01",
        "method": "POST",
        "point": [2, 3.0],
        "ids": [1, 2],
        "ratio": 2.0,
        "color": "blue",
        "level": 3,
        "price": "1.50",
        "agent": "t",
        "session": True,
    }
