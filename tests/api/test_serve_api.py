"""``envmon serve`` (hence ``make run``) starts the API as one more child process; ``--api-port 0`` leaves it out."""

from __future__ import annotations

from cli import build_parser
from cli.serve import services


def test_serve_runs_the_api() -> None:
    args = build_parser().parse_args(["serve"])
    assert args.api_port == 8502
    specs = services(port=8600, address="127.0.0.1", poller=False, api_port=args.api_port)
    api = specs[-1]
    assert api.name == "api" and api.argv[-6:] == ("cli", "api", "--host", "127.0.0.1", "--port", "8502")
    assert api.url == "http://127.0.0.1:8502/docs"
    assert [s.name for s in services(port=8600, address="127.0.0.1", poller=False, api_port=0)] == ["dashboard"]


def test_api_workers_from_flag_or_settings() -> None:
    assert build_parser().parse_args(["api", "--workers", "4"]).workers == 4
    assert build_parser().parse_args(["api"]).workers is None  # then the api_workers setting (default 2)
