"""What `Request` hands out, shaped like Starlette's (`starlette.datastructures`): headers
and query parameters whose names may repeat, the URL, the client's address."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple
from urllib.parse import SplitResult, urlencode, urlsplit


class Address(NamedTuple):
    """`request.client`: the peer's host and port."""

    host: str
    port: int


class Headers:
    """Headers whose names are case-insensitive and may repeat: `headers[name]` and
    `headers.get(name)` are the first value, `headers.getlist(name)` every one, `items()`
    every pair in order. Read-only; a response's `Headers` (`spikard.responses`) adds
    `append`, assignment and deletion."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = [(k.lower(), v) for k, v in items]

    def getlist(self, name: str) -> list[str]:
        """Every value of `name`, in order."""
        key = name.lower()
        return [v for k, v in self._items if k == key]

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.getlist(name)
        return values[0] if values else default

    def items(self) -> list[tuple[str, str]]:
        """Every `(name, value)` pair, repeated names included, in order."""
        return list(self._items)

    def keys(self) -> list[str]:
        return [k for k, _ in self._items]

    def values(self) -> list[str]:
        return [v for _, v in self._items]

    def __getitem__(self, name: str) -> str:
        values = self.getlist(name)
        if not values:
            raise KeyError(name)
        return values[0]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(k == name.lower() for k, _ in self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return sorted(self._items) == sorted(other._items)
        if isinstance(other, Mapping):
            return sorted(self._items) == sorted((k.lower(), v) for k, v in other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


class QueryParams:
    """Query parameters as Starlette's `QueryParams`: `params[key]` and `params.get(key)`
    are the last value sent for `key`, `params.getlist(key)` every one,
    `params.multi_items()` every pair in order; `str(params)` encodes them again."""

    __slots__ = ("_dict", "_list")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._list: list[tuple[str, str]] = list(items)
        self._dict: dict[str, str] = dict(self._list)

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self._list if k == key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._dict.get(key, default)

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._list)

    def keys(self) -> Any:
        return self._dict.keys()

    def values(self) -> Any:
        return self._dict.values()

    def items(self) -> Any:
        return self._dict.items()

    def __getitem__(self, key: str) -> str:
        return self._dict[key]

    def __contains__(self, key: object) -> bool:
        return key in self._dict

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, QueryParams):
            return sorted(self._list) == sorted(other._list)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return urlencode(self._list)

    def __repr__(self) -> str:
        return f"QueryParams({str(self)!r})"


class URL:
    """A URL split into its parts, as Starlette's `URL`: `scheme`, `netloc`, `hostname`,
    `port`, `path`, `query`, `fragment`; `str(url)` is the whole."""

    __slots__ = ("_parts", "_text")

    def __init__(self, url: str) -> None:
        self._text = url
        self._parts: SplitResult = urlsplit(url)

    @property
    def scheme(self) -> str:
        return self._parts.scheme

    @property
    def netloc(self) -> str:
        return self._parts.netloc

    @property
    def hostname(self) -> str | None:
        return self._parts.hostname

    @property
    def port(self) -> int | None:
        return self._parts.port

    @property
    def path(self) -> str:
        return self._parts.path

    @property
    def query(self) -> str:
        return self._parts.query

    @property
    def fragment(self) -> str:
        return self._parts.fragment

    @property
    def is_secure(self) -> bool:
        return self.scheme in ("https", "wss")

    def replace(self, **parts: Any) -> URL:
        """This URL with some parts replaced (`path=`, `query=`, `scheme=`, `netloc=`...)."""
        return URL(self._parts._replace(**parts).geturl())

    def __str__(self) -> str:
        return self._text

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other) if isinstance(other, (str, URL)) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"URL({self._text!r})"
