"""The app's OpenAPI 3.1 document, and the Swagger UI page that renders it.

`openapi_document(app)` describes every route with `include_in_schema=True`: its
parameters and JSON body as the handler declares them (the same JSON Schema the Rust side
validates against), its success response, the 422 of a request that fails validation and,
as `default`, the problem+json body of every other error. Models named in the routes'
schemas (`#/$defs/Item`) become `components/schemas` entries.

`mount_docs(app)` serves the document at `/openapi.json` and Swagger UI at `/docs`, from
the copy of swagger-ui-dist shipped in `spikard/static/swagger-ui/` (its version is in the
`VERSION` file there): the docs page needs no network.
"""

from __future__ import annotations

import copy
import functools
import html
import http
import importlib.resources
import json
import re
import string
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

from spikard._plan import PARAM_SOURCES, ParamDesc, Route, Source
from spikard.params import path_params
from spikard.responses import Response

F = TypeVar("F", bound=Callable[..., Any])


class Documented(Protocol):
    """What the docs need of an app; `spikard.Spikard` is one."""

    title: str
    version: str
    routes: list[Route]

    @property
    def error_format(self) -> str: ...

    def get(self, path: str, *, include_in_schema: bool = ...) -> Callable[[F], F]: ...


OPENAPI_VERSION = "3.1.0"
PROBLEM_JSON = "application/problem+json"

_DEFS_REF = "#/$defs/"
_COMPONENTS_REF = "#/components/schemas/"
_CATCH_ALL = re.compile(r"\{\*([A-Za-z_][A-Za-z0-9_]*)\}")
# Methods the router answers by itself for every route: documented only where a route
# registered nothing else.
_IMPLICIT = ("HEAD", "OPTIONS")
# Statuses whose responses carry no body.
_NO_BODY = (204, 205, 304)

# The error bodies every route may answer with (RFC 9457, as `spikard-core` builds them).
_PROBLEM: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem details object: the body of every error response.",
    "type": "object",
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 100, "maximum": 599},
        "detail": {"description": "What went wrong; a sentence, or JSON an HTTPException carried"},
        "instance": {"type": "string"},
    },
    "required": ["type", "title", "status"],
}
_VALIDATION_ERROR: dict[str, Any] = {
    "title": "ValidationError",
    "description": "One reason a request was refused, worded as pydantic v2 words it.",
    "type": "object",
    "properties": {
        "type": {"type": "string", "description": "missing, int_parsing, greater_than_equal, ..."},
        "loc": {
            "type": "array",
            "items": {"type": ["string", "integer"]},
            "description": "Where: the source (path, query, header, cookie, body), then keys and indices",
        },
        "msg": {"type": "string"},
        "input": {"description": "The value that was refused"},
        "ctx": {"type": "object"},
    },
    "required": ["type", "loc", "msg", "input"],
}
_VALIDATION_PROBLEM: dict[str, Any] = {
    "title": "ValidationProblem",
    "description": "A request whose parameters or body failed validation: every error at once.",
    "allOf": [
        {"$ref": f"{_COMPONENTS_REF}Problem"},
        {
            "type": "object",
            "properties": {
                "errors": {"type": "array", "items": {"$ref": f"{_COMPONENTS_REF}ValidationError"}}
            },
            "required": ["errors"],
        },
    ],
}

# The same, written as FastAPI writes them (`Spikard(error_format="fastapi")`).
_FASTAPI_ERRORS: dict[str, Any] = {
    "Problem": {
        "title": "HTTPError",
        "description": "The body of every error response but a 422: the reason phrase, or the "
        "detail an HTTPException carried.",
        "type": "object",
        "properties": {"detail": {"description": "A sentence, or JSON an HTTPException carried"}},
        "required": ["detail"],
    },
    "ValidationProblem": {
        "title": "HTTPValidationError",
        "description": "A request whose parameters or body failed validation: every error at once.",
        "type": "object",
        "properties": {"detail": {"type": "array", "items": {"$ref": f"{_COMPONENTS_REF}ValidationError"}}},
        "required": ["detail"],
    },
}


def openapi_document(app: Documented) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `app`'s routes, with `info` from `app.title` and
    `app.version`. Reads the routes' schemas without changing them."""
    fastapi = app.error_format == "fastapi"
    components = _Components(fastapi)
    media_type = "application/json" if fastapi else PROBLEM_JSON
    operation_ids = _UniqueNames()
    paths: dict[str, dict[str, Any]] = {}
    for route in app.routes:
        if not route.include_in_schema:
            continue
        item = paths.setdefault(_CATCH_ALL.sub(r"{\1}", route.path), {})
        for method in _documented_methods(route.methods):
            if method.lower() not in item:  # a duplicate route fails when the server is built
                item[method.lower()] = _operation(route, method, components, operation_ids)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": app.title, "version": app.version},
        "paths": paths,
        "components": {
            "schemas": components.schemas,
            "responses": {
                "ValidationFailed": _problem_response("Validation Error", "ValidationProblem", media_type),
                "Problem": _problem_response("Error", "Problem", media_type),
            },
        },
    }


def _documented_methods(methods: list[str]) -> list[str]:
    explicit = [m for m in methods if m not in _IMPLICIT]
    return explicit or methods


def _operation(route: Route, method: str, components: _Components, ids: _UniqueNames) -> dict[str, Any]:
    name = getattr(route.endpoint, "__name__", "endpoint")
    operation: dict[str, Any] = {
        "operationId": ids.take(re.sub(r"\W", "_", f"{name}_{method.lower()}")),
        "summary": route.summary or name.replace("_", " ").strip().title(),
    }
    if route.description:
        operation["description"] = route.description
    if route.tags:
        operation["tags"] = list(route.tags)
    parameters = _parameters(route, components)
    if parameters:
        operation["parameters"] = parameters
    body = next((p for p in route.params if p.source == Source.BODY), None)
    if body is not None:
        operation["requestBody"] = {
            "required": body.required,
            "content": {"application/json": {"schema": components.hoist(body.schema or {})}},
        }
    responses: dict[str, Any] = {str(route.status_code): _success(route, method, components)}
    if parameters or body is not None:
        responses["422"] = {"$ref": "#/components/responses/ValidationFailed"}
    responses["default"] = {"$ref": "#/components/responses/Problem"}
    operation["responses"] = responses
    return operation


def _parameters(route: Route, components: _Components) -> list[dict[str, Any]]:
    """The route's path, query, header and cookie parameters (each once), and any `{name}`
    of the path the handler does not read, as a string."""
    seen: set[tuple[str, str]] = set()
    parameters = []
    for p in route.params:
        if p.source in PARAM_SOURCES and (p.source, p.key) not in seen:
            seen.add((p.source, p.key))
            parameters.append(_parameter(p, components))
    for segment in path_params(route.path):
        if ("path", segment) not in seen:
            parameters.append({"name": segment, "in": "path", "required": True, "schema": {"type": "string"}})
    return parameters


def _parameter(p: ParamDesc, components: _Components) -> dict[str, Any]:
    schema = _not_null(components.hoist(p.schema or {}))
    parameter: dict[str, Any] = {
        "name": p.key,
        "in": p.source.value,
        "required": p.required,
        "schema": schema,
    }
    if "description" in schema:
        parameter["description"] = schema["description"]
    if p.list and p.source == Source.QUERY:
        parameter["style"] = "form"
        parameter["explode"] = True  # ?id=1&id=2
    return parameter


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An HTTP parameter is never null, only absent (`required: false` says so): `X | None`
    is documented as `X`."""
    branches = schema.get("anyOf")
    if not isinstance(branches, list) or {"type": "null"} not in branches:
        return schema
    rest = [b for b in branches if b != {"type": "null"}]
    others = {k: v for k, v in schema.items() if k != "anyOf" and not (k == "default" and v is None)}
    if len(rest) == 1:
        return {**rest[0], **others}
    return {**others, "anyOf": rest}


def _success(route: Route, method: str, components: _Components) -> dict[str, Any]:
    try:
        description = http.HTTPStatus(route.status_code).phrase
    except ValueError:
        description = "Success"
    response: dict[str, Any] = {"description": description}
    if method != "HEAD" and route.status_code >= 200 and route.status_code not in _NO_BODY:
        schema = components.hoist(route.response_schema or {})
        response["content"] = {"application/json": {"schema": schema}}
    return response


def _problem_response(description: str, schema: str, media_type: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {media_type: {"schema": {"$ref": f"{_COMPONENTS_REF}{schema}"}}},
    }


class _UniqueNames:
    """Hands out names once each: `name`, then `name_2`, `name_3`, ..."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.taken = set(taken)

    def take(self, name: str) -> str:
        candidate, n = name, 1
        while candidate in self.taken:
            n += 1
            candidate = f"{name}_{n}"
        self.taken.add(candidate)
        return candidate


class _Components:
    """`components/schemas`: the problem schemas, and every route's `$defs` under the same
    name where equal definitions meet, under `Name_2`, `Name_3`, ... where different ones
    share a name (in the order the routes were registered)."""

    def __init__(self, fastapi: bool = False) -> None:
        self.schemas: dict[str, Any] = copy.deepcopy(
            {
                "Problem": _PROBLEM,
                "ValidationError": _VALIDATION_ERROR,
                "ValidationProblem": _VALIDATION_PROBLEM,
                **(_FASTAPI_ERRORS if fastapi else {}),
            }
        )

    def hoist(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of `document` with its `$defs` moved here and its refs pointing at them."""
        defs: Mapping[str, Any] = document.get("$defs") or {}
        names: dict[str, str] = {}  # local name -> component name
        in_progress: set[str] = set()

        def component(local: str) -> str:
            if local not in names:
                if local in in_progress:  # a recursive definition: give it a name of its own now
                    names[local] = self._fresh(local)
                    return names[local]
                in_progress.add(local)
                schema = _rewrite_refs(defs[local], ref)
                in_progress.discard(local)
                if local in names:  # named on the way, by a ref back to itself
                    self.schemas[names[local]] = schema
                else:
                    names[local] = self._add(local, schema)
            return names[local]

        def ref(target: str) -> str:
            if not target.startswith(_DEFS_REF):
                return target
            local, slash, rest = target[len(_DEFS_REF) :].partition("/")
            local = local.replace("~1", "/").replace("~0", "~")
            if local not in defs:
                return target
            return f"{_COMPONENTS_REF}{component(local)}{slash}{rest}"

        for local in defs:
            component(local)
        hoisted: dict[str, Any] = _rewrite_refs({k: v for k, v in document.items() if k != "$defs"}, ref)
        return hoisted

    def _add(self, name: str, schema: Any) -> str:
        """The component name of `schema`: `name`, or the first `name_N` free or equal to it."""
        candidate, n = name, 1
        while candidate in self.schemas and self.schemas[candidate] != schema:
            n += 1
            candidate = f"{name}_{n}"
        self.schemas[candidate] = schema
        return candidate

    def _fresh(self, name: str) -> str:
        """A component name not yet in use, held (with a placeholder) for a schema to come."""
        candidate = _UniqueNames(self.schemas).take(name)
        self.schemas[candidate] = {}
        return candidate


def _rewrite_refs(value: Any, ref: Callable[[str], str]) -> Any:
    """A deep copy of a JSON Schema, each `$ref` string replaced by `ref($ref)`."""
    if isinstance(value, Mapping):
        return {
            k: ref(v) if k == "$ref" and isinstance(v, str) else _rewrite_refs(v, ref)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_rewrite_refs(v, ref) for v in value]
    return value


# --- serving it --------------------------------------------------------------------------

_ASSETS = "static/swagger-ui"
_ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
}
_ASSET_CACHE = {"cache-control": "public, max-age=86400"}


def mount_docs(
    app: Documented, openapi_url: str | None = "/openapi.json", docs_url: str | None = "/docs"
) -> None:
    """Serve `openapi_document(app)` at `openapi_url` and Swagger UI at `docs_url` (with its
    script and stylesheet at `{docs_url}/swagger-ui-bundle.js` and `.../swagger-ui.css`).
    None leaves one out; without the document there are no docs. None of these routes is
    in the document.

    The document is built on its first request, and again only if routes were added since."""
    if openapi_url is None:
        return

    @functools.lru_cache(maxsize=1)
    def document(route_count: int) -> bytes:
        return json.dumps(openapi_document(app)).encode()

    @app.get(openapi_url, include_in_schema=False)
    def openapi() -> Response:
        return Response(document(len(app.routes)), media_type="application/json")

    if docs_url is None:
        return
    docs_url = docs_url.rstrip("/")

    @app.get(docs_url or "/", include_in_schema=False)
    def docs() -> Response:
        page = _docs_page(app.title, docs_url, openapi_url)
        return Response(page, media_type="text/html; charset=utf-8")

    for name, media_type in _ASSET_TYPES.items():
        app.get(f"{docs_url}/{name}", include_in_schema=False)(_asset_handler(name, media_type))


def _docs_page(title: str, docs_url: str, openapi_url: str) -> str:
    template = string.Template(_asset("index.html").decode())
    return template.substitute(
        title=html.escape(f"{title} - Swagger UI"),
        css_url=html.escape(f"{docs_url}/swagger-ui.css"),
        bundle_url=html.escape(f"{docs_url}/swagger-ui-bundle.js"),
        # A JS string literal that cannot end the <script> element.
        openapi_url=json.dumps(openapi_url).replace("<", "\\u003c"),
    )


def _asset_handler(name: str, media_type: str) -> Callable[[], Response]:
    def asset() -> Response:
        return Response(_asset(name), headers=_ASSET_CACHE, media_type=media_type)

    asset.__name__ = f"swagger_ui_{name.replace('-', '_').replace('.', '_')}"
    return asset


@functools.cache
def _asset(name: str) -> bytes:
    """A file of the bundled Swagger UI, read once."""
    return importlib.resources.files("spikard").joinpath(_ASSETS, name).read_bytes()
