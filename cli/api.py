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
    from cli._common import engine, settings

    config = settings()
    engine(config).dispose()  # the database is reachable (else one clear line, exit 3) before the server starts
    return run_server(APP_FACTORY, args.host, args.port, args.workers or config.api_workers)


def run_server(factory: str, host: str, port: int, workers: int) -> int:
    """Serve the ASGI app that the import string ``factory`` makes (in each worker) with uvicorn until stopped."""
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    # an import string, not an import: edges never import each other (uvicorn loads the app in each worker)
    server = uvicorn.Config(factory, factory=True, host=host, port=port, workers=workers,
                            log_level="warning", access_log=False)  # fmt: skip
    if workers == 1:
        single = uvicorn.Server(server)
        single.run()
        return 0 if single.started else 1  # e.g. the port is taken (uvicorn logged why)
    listener = server.bind_socket()
    # uvicorn's shared listening socket has protocol number 0, so asyncio leaves Nagle's algorithm on for every
    # connection it accepts, and an answer written as head then body waits for the client's delayed ACK (~40 ms).
    # Set on the listener, TCP_NODELAY is inherited by each accepted connection (Linux).
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(server, sockets=[listener]).run()
    return 0
