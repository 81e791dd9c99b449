"""``envmon api [--host H] [--port P] [--workers N]``: serve the HTTP API (uvicorn) until Ctrl-C."""

from __future__ import annotations

import argparse

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8502
APP_FACTORY = "api.app:app_from_settings"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``envmon api``."""
    parser = subparsers.add_parser(
        "api", help=f"serve the HTTP API (default {DEFAULT_HOST}:{DEFAULT_PORT}; OpenAPI docs at /docs)"
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--workers", type=int, default=None, help="uvicorn worker processes (default: the api_workers setting, 2)"
    )
    parser.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from cli._common import engine, settings

    config = settings()
    engine(config).dispose()  # the database is reachable (else one clear line, exit 3) before the server starts
    workers = args.workers or config.api_workers
    # an import string, not an import: edges never import each other (uvicorn loads the app in each worker)
    uvicorn.run(APP_FACTORY, factory=True, host=args.host, port=args.port, workers=workers, log_level="warning",
                access_log=False)  # fmt: skip
    return 0
