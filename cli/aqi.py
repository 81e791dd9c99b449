"""``envmon aqi``: compute VN_AQI or US AQI from a CSV of hourly averages, and refresh stored AQI values."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from cli._common import engine, settings
from monitoring.aqi_tables import POLLUTANTS, SCALE_NAMES

OUTPUT_COLUMNS = ("station_id", "period_end", "aqi", "category", "dominant", "beyond_scale") + tuple(
    f"aqi_{p}" for p in POLLUTANTS
)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``envmon aqi compute`` and ``envmon aqi refresh``."""
    parser = subparsers.add_parser("aqi", help="air-quality index (VN_AQI, US AQI)")
    commands = parser.add_subparsers(dest="aqi_command", required=True, metavar="ACTION")

    compute = commands.add_parser(
        "compute",
        help="AQI per station and hour/day from a CSV of hourly averages",
        description="INPUT columns: station_id, parameter (pm25, pm10, o3, no2, so2, co), observed_at "
        "(ISO 8601 with offset, end of the hourly average), value (µg/m³).",
    )
    compute.add_argument("input", type=Path, metavar="INPUT.csv")
    compute.add_argument("--scale", choices=("vn", "us"), default="vn")
    compute.add_argument("--period", choices=("hourly", "daily"), default="hourly")
    compute.add_argument("--out", type=Path, help="output CSV (default: standard output)")
    compute.add_argument("--lang", choices=("vi", "en"), default="vi", help="language of the category label")
    compute.add_argument("--timezone", help="local time zone of the day window (default: ENVMON_TIMEZONE setting)")
    compute.set_defaults(handler=_compute)

    refresh = commands.add_parser("refresh", help="recompute stored AQI values from stored hourly averages")
    refresh.add_argument("--since", help="only periods ending at or after this ISO 8601 time")
    refresh.set_defaults(handler=_refresh)


def _compute(args: argparse.Namespace) -> int:
    import pandas as pd

    from data.exports import csv_text
    from monitoring.aqi_series import parse_hourly_rows, station_aqi

    with args.input.open(encoding="utf-8-sig", newline="") as handle:
        hourly = parse_hourly_rows(csv.DictReader(handle), str(args.input))
    timezone = args.timezone or settings().timezone
    results = station_aqi(hourly, scale=args.scale, period=args.period, timezone=timezone)
    zone = ZoneInfo(timezone)
    rows = []
    for item in results:
        result = item.result
        label = result.category.label_vi if args.lang == "vi" else result.category.label_en
        subs = [result.sub_indices[p].aqi if p in result.sub_indices else "" for p in POLLUTANTS]
        period_end = item.period_end.astimezone(zone).isoformat()
        rows.append([item.station_id, period_end, result.aqi, label, result.dominant, result.beyond_scale, *subs])
    text = csv_text(pd.DataFrame(rows, columns=list(OUTPUT_COLUMNS)))
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"{len(results)} {SCALE_NAMES[args.scale]} {args.period} values → {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from monitoring.aqi_store import refresh_aqi

    since = dt.datetime.fromisoformat(args.since) if args.since else None
    if since is not None and since.tzinfo is None:
        msg = f"--since {args.since!r} needs a UTC offset"
        raise ValueError(msg)
    config = settings()
    written = refresh_aqi(engine(config), since=since, timezone=config.timezone)
    print(f"{written} AQI values written")
    return 0
