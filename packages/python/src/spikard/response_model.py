"""`response_model`: what a route sends is its declared model, as FastAPI sends it.

A route whose response model (`response_model=...`, or else the handler's return annotation)
holds a model (a pydantic model, dataclass, TypedDict or msgspec struct, alone or in a list,
dict or union) has what its handler returns validated against the model and written as the
model's JSON: fields the model does not declare are not sent, a value that does not fit is
a 500 (logged, as FastAPI's `ResponseValidationError`), and `response_model_include` /
`_exclude` / `_exclude_unset` / `_exclude_defaults` / `_exclude_none` / `_by_alias` apply.
It is pydantic's work (`TypeAdapter.validate_python(..., from_attributes=True)`, then
`dump_python(mode="json")`), exactly as in FastAPI.

The fast path: a handler that returns an instance of exactly the declared class (a plain
one: no validators, no options) sends it as it is, encoded in Rust, with no pydantic call;
its fields are the model's, and their values are trusted to match their annotations.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypedDict

from spikard.responses import Response
from spikard.schema import pydantic_logic

_DEFAULT_DUMP = {
    "include": None,
    "exclude": None,
    "by_alias": True,
    "exclude_unset": False,
    "exclude_defaults": False,
    "exclude_none": False,
}

IncEx = set[int] | set[str] | Mapping[int, Any] | Mapping[str, Any] | None


class ResponseOptions(TypedDict, total=False):
    """The `response_model_*` keywords of a route, as FastAPI names them."""

    response_model_include: IncEx
    response_model_exclude: IncEx
    response_model_by_alias: bool
    response_model_exclude_unset: bool
    response_model_exclude_defaults: bool
    response_model_exclude_none: bool


class ResponseValidationError(Exception):
    """A handler returned a value its route's response model refuses: a bug in the handler,
    answered 500 and logged with pydantic's errors."""

    def __init__(self, label: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"route {label}: the response does not fit its model: {errors}")
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        return self._errors


class ResponseModel:
    """Applies one route's response model; the server calls it with every return value that
    is not an instance of `exact`. pydantic does the work, or msgspec where the model is made
    of msgspec structs (which pydantic cannot take)."""

    def __init__(self, label: str, model: Any, options: ResponseOptions) -> None:
        self.label = label
        self.dump = {
            "include": options.get("response_model_include"),
            "exclude": options.get("response_model_exclude"),
            "by_alias": options.get("response_model_by_alias", True),
            "exclude_unset": options.get("response_model_exclude_unset", False),
            "exclude_defaults": options.get("response_model_exclude_defaults", False),
            "exclude_none": options.get("response_model_exclude_none", False),
        }
        self.engine = _engine(label, model, self.dump)
        plain = isinstance(model, type) and _has_fields(model) and pydantic_logic(model) is None
        # What the server may send without calling this: an instance of exactly the model,
        # which the encoder writes as the model's JSON.
        self.exact: type | None = model if plain and self.dump == _DEFAULT_DUMP else None

    def __call__(self, value: Any) -> Any:
        if isinstance(value, Response):
            return value
        return self.engine(self.label, value)


def _engine(label: str, model: Any, dump: dict[str, Any]) -> Callable[[str, Any], Any]:
    refused = f"route {label}: cannot apply the response model {model!r}"
    hint = "(response_model=None sends what the handler returns)"
    try:
        import pydantic
    except ImportError:  # pragma: no cover - pydantic is installed wherever tests run
        pydantic = None  # type: ignore[assignment]
    if pydantic is not None:
        try:
            return _Pydantic(pydantic, model, dump)
        except pydantic.PydanticSchemaGenerationError as exc:
            if not _mentions_struct(model):
                raise TypeError(f"{refused}: {exc} {hint}") from None
        except pydantic.PydanticUserError as exc:
            raise TypeError(f"{refused}: {exc} {hint}") from None
    if not _mentions_struct(model):
        raise TypeError(f"{refused}: that needs pydantic (pip install pydantic) {hint}")
    if dump != _DEFAULT_DUMP:
        raise TypeError(f"{refused}: msgspec structs take no response_model_* options {hint}")
    return _Msgspec(model)


class _Pydantic:
    """FastAPI's way: dump models, validate (from attributes too), dump as JSON."""

    def __init__(self, pydantic: Any, model: Any, dump: dict[str, Any]) -> None:
        self.adapter = pydantic.TypeAdapter(model)
        self.error = pydantic.ValidationError
        self.dump = dump

    def __call__(self, label: str, value: Any) -> Any:
        content = _prepare(value, self.dump)
        try:
            checked = self.adapter.validate_python(content, from_attributes=True)
        except self.error as exc:
            errors = [dict(e) for e in exc.errors(include_url=False)]
            raise ResponseValidationError(label, errors) from None
        return self.adapter.dump_python(checked, mode="json", **self.dump)


class _Msgspec:
    """`msgspec.convert` (unknown fields dropped, types checked), then plain JSON values."""

    def __init__(self, model: Any) -> None:
        import msgspec

        self.msgspec = msgspec
        self.model = model

    def __call__(self, label: str, value: Any) -> Any:
        msgspec = self.msgspec
        if isinstance(value, msgspec.Struct) or dataclasses.is_dataclass(value):
            value = msgspec.to_builtins(value)
        try:
            checked = msgspec.convert(value, type=self.model, from_attributes=True)
        except msgspec.ValidationError as exc:
            raise ResponseValidationError(label, [{"type": "value_error", "msg": str(exc)}]) from None
        return msgspec.to_builtins(checked)


def _mentions_struct(model: Any) -> bool:
    """Whether `model` is, or holds, a msgspec struct."""
    if isinstance(model, type) and hasattr(model, "__struct_fields__"):
        return True
    return any(_mentions_struct(arg) for arg in typing.get_args(model))


def _has_fields(model: type) -> bool:
    """Classes whose instances Spikard's encoder writes field by field, as the model's JSON."""
    return (
        dataclasses.is_dataclass(model)
        or hasattr(model, "model_fields")
        or hasattr(model, "__struct_fields__")
    )


def _prepare(value: Any, dump: dict[str, Any]) -> Any:
    """What FastAPI validates: pydantic models dumped to dicts (by alias, without the fields
    the options leave out), dataclasses to dicts, through lists and dicts."""
    if hasattr(value, "model_dump") and hasattr(type(value), "model_fields"):
        return value.model_dump(
            by_alias=True,
            exclude_unset=dump["exclude_unset"],
            exclude_defaults=dump["exclude_defaults"],
            exclude_none=dump["exclude_none"],
        )
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [_prepare(v, dump) for v in value]
    if isinstance(value, dict):
        return {k: _prepare(v, dump) for k, v in value.items()}
    return value
