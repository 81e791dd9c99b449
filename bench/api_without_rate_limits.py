"""The control of bench.bench_public_load's rate-limit measurement: the product's API with no rate limiter at all.

``python -m bench.api_without_rate_limits --port P --workers N`` serves ``api.app.create_app`` over the configured
database exactly as ``envmon api`` does (same uvicorn set-up, ``cli.api.run_server``), except that every request is
granted without a token bucket; the bench runs the same load against both in one run, so the difference is what
the shared per-client buckets (``data.rate_limits``) cost.
"""

from __future__ import annotations

import argparse

from fastapi import FastAPI

from api.app import create_app
from api.limits import RateLimiter
from cli.api import run_server
from data import db, rate_limits
from data.config import load_settings


class GrantEveryRequest(RateLimiter):
    """A limiter that grants every request and never asks the buckets (the "no rate limit" control)."""

    def take_held(self, name: str) -> bool:
        """Always granted."""
        return True

    def take(self, name: str, per_minute: int, burst: int) -> float:
        """Always granted: no wait."""
        return 0.0


def app() -> FastAPI:
    """The API over the configured database, without rate limits (the factory uvicorn calls in each worker)."""
    settings = load_settings()
    primary = db.engine(settings)
    limiter = GrantEveryRequest(rate_limits.bucket_engine(primary))
    return create_app(primary, settings, read_engine=db.read_engine(settings, primary=primary), limiter=limiter)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    arguments = parser.parse_args()
    raise SystemExit(run_server("bench.api_without_rate_limits:app", "127.0.0.1", arguments.port, arguments.workers))
