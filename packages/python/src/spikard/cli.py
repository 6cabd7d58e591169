"""`python -m spikard run module:app` (or `path/to/app.py:app`)."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from pathlib import Path

from spikard.app import Spikard
from spikard.exceptions import StartupError


def load_app(target: str, app_dir: str | None = None) -> Spikard:
    """Import `module:attr` or `path/to/file.py:attr` (attr defaults to `app`)."""
    location, _, attr = target.partition(":")
    attr = attr or "app"
    if app_dir is not None:
        sys.path.insert(0, app_dir)
    if location.endswith(".py"):
        path = Path(location).resolve()
        if not path.is_file():
            raise SystemExit(f"spikard: no such file: {location}")
        sys.path.insert(0, str(path.parent))
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            raise SystemExit(f"spikard: cannot import {location}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
    else:
        sys.path.insert(0, ".")
        module = importlib.import_module(location)
    app = getattr(module, attr, None)
    if not isinstance(app, Spikard):
        raise SystemExit(f"spikard: {location}:{attr} is not a Spikard app (got {type(app).__name__})")
    return app


# The app's limits the command line can override: (attribute, type, help).
_LIMITS: list[tuple[str, type, str]] = [
    ("body_limit", int, "largest request body in bytes (413 past it)"),
    ("max_header_size", int, "largest request head in bytes (431 past it)"),
    ("max_connections", int, "most open connections; more wait in the backlog"),
    ("header_timeout", float, "seconds a client has to send a request head"),
    ("keep_alive_timeout", float, "seconds a keep-alive connection may idle"),
    ("body_timeout", float, "seconds a body may stall before a 408"),
    ("shutdown_timeout", float, "seconds SIGTERM waits for in-flight requests"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spikard", description="Serve a Spikard app.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve an app until SIGINT or SIGTERM")
    run.add_argument("target", help="module:app or path/to/app.py:app")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--app-dir", default=None, help="directory to import the module from")
    limits = run.add_argument_group("limits (default: the app's own, see docs/reliability.md)")
    for flag, kind, what in _LIMITS:
        limits.add_argument(f"--{flag.replace('_', '-')}", dest=flag, type=kind, default=None, help=what)
    args = parser.parse_args(argv)
    app = load_app(args.target, args.app_dir)
    for flag, _, _ in _LIMITS:
        if (value := getattr(args, flag)) is not None:
            setattr(app, flag, value)
    try:
        app.run(host=args.host, port=args.port)
    except StartupError as exc:
        print(f"spikard: {exc}", file=sys.stderr)
        return 3
    return 0
