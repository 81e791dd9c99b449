"""Run every ``bench/bench_*.py`` and record what they print in ``bench/RESULTS.md``.

``python -m bench.run_all [--quick] [--only NAME]``. Each benchmark module exposes ``main(quick) -> dict`` and
prints its own table with ratios against its baseline; this runner adds the machine description and date.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import io
import pkgutil
import sys
from pathlib import Path

import bench
from bench._common import machine, peak_rss_mb

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
MARKER = "<!-- measured runs below are appended by bench/run_all.py -->"


class _Tee(io.StringIO):
    def write(self, text: str) -> int:
        sys.__stdout__.write(text)
        return super().write(text)


def run(quick: bool, only: str | None) -> str:
    """Run the benchmarks and return the markdown block describing the run."""
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    if only:
        names = [n for n in names if only in n]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"### {stamp} — {'quick' if quick else 'full'} run", "", f"Machine: {machine()}", "", "```"]
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        captured = _Tee()
        with contextlib.redirect_stdout(captured):
            try:
                module.main(quick=quick)
            except Exception as err:  # a failing benchmark is recorded, the others still run
                print(f"{name}: FAILED: {err.__class__.__name__}: {err}")
        lines.append(captured.getvalue().rstrip())
    lines += [f"peak RSS of the benchmark process: {peak_rss_mb():.0f} MB", "```", ""]
    return "\n".join(lines)


def main() -> None:
    """Command-line entry: run and append the results to bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes; finishes in about a minute")
    parser.add_argument("--only", help="run only benchmarks whose module name contains this")
    args = parser.parse_args()
    block = run(args.quick, args.only)
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else f"# Benchmark results\n\n{MARKER}\n"
    RESULTS.write_text(text.rstrip("\n") + "\n\n" + block, encoding="utf-8")
    print(f"appended to {RESULTS}")


if __name__ == "__main__":
    main()
