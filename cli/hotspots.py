"""``envmon hotspots``: ward Gi* hotspots, recurring spots, emerging trends and sensor-corroborated complaints."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cli._common import emit_json, parse_date

if TYPE_CHECKING:
    import pandas as pd

HEADERS = {
    "vi": {
        "ward_code": "Mã",
        "ward_name": "Phường/xã",
        "value": "Giá trị",
        "z": "z",
        "p": "p",
        "q": "q (FDR)",
        "class": "Phân loại",
        "spot": "Điểm",
        "count": "Số PA",
        "radius_m": "Bán kính (m)",
        "categories": "Loại",
        "last_report": "Lần cuối",
        "unit_id": "Đơn vị",
        "active": "Còn hoạt động",
        "pattern": "Xu hướng",
        "trend_z": "z xu hướng",
        "hot_weeks": "Tuần nóng",
        "cold_weeks": "Tuần lạnh",
        "id": "Mã PA",
        "station_id": "Trạm",
        "distance_m": "Khoảng cách (m)",
        "corroborated": "Được xác nhận",
        "observed_at": "Lúc vượt ngưỡng",
        "islands": "Không có phường/xã liền kề (Gi* chỉ dùng chính nó)",
        "none_found": "Không tìm thấy.",
    },
    "en": {
        "ward_code": "Code",
        "ward_name": "Ward",
        "value": "Value",
        "z": "z",
        "p": "p",
        "q": "q (FDR)",
        "class": "Class",
        "spot": "Spot",
        "count": "Reports",
        "radius_m": "Radius (m)",
        "categories": "Categories",
        "last_report": "Last report",
        "unit_id": "Unit",
        "active": "Active",
        "pattern": "Pattern",
        "trend_z": "Trend z",
        "hot_weeks": "Hot weeks",
        "cold_weeks": "Cold weeks",
        "id": "Case",
        "station_id": "Station",
        "distance_m": "Distance (m)",
        "corroborated": "Corroborated",
        "observed_at": "Exceeded at",
        "islands": "No neighbouring ward (Gi* uses the ward itself only)",
        "none_found": "None found.",
    },
}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``envmon hotspots wards|spots|emerging|corroboration``."""
    parser = subparsers.add_parser("hotspots", help="hotspots: ward Gi*, recurring spots, emerging trends")
    commands = parser.add_subparsers(dest="hotspots_command", required=True, metavar="ACTION")

    wards = commands.add_parser("wards", help="Getis-Ord Gi* per ward with FDR-controlled hot/cold classes")
    _window_arguments(wards, default_days=30)
    wards.add_argument("--category", help="only this category code")
    wards.add_argument("--district", help="drill down to the wards of one former district (refused below 30 wards)")
    wards.add_argument("--rate", action="store_true", help="complaints per 1,000 residents instead of counts")
    wards.add_argument("--permutations", type=int, default=999, help="conditional permutations (default 999)")
    wards.add_argument("--seed", type=int, default=0, help="random seed of the permutations")
    wards.add_argument("--no-fdr", action="store_true", help="classify on raw p-values (not recommended)")
    wards.add_argument(
        "--inference",
        choices=["analytic", "permutation"],
        default="analytic",
        help="which p drives the classes (default analytic, as ArcGIS; the permutation p is always reported)",
    )
    _common_arguments(wards)
    wards.set_defaults(handler=_wards)

    spots = commands.add_parser("spots", help="recurring spots: ≥ k reports within r metres in a time window")
    _window_arguments(spots, default_days=90)
    spots.add_argument("--min-reports", type=int, default=5)
    spots.add_argument("--radius", type=float, default=100.0, help="metres (default 100)")
    spots.add_argument("--days", type=int, default=30, help="time window of one spot in days (default 30)")
    _common_arguments(spots)
    spots.set_defaults(handler=_spots)

    emerging = commands.add_parser("emerging", help="emerging hot/cold spots from weekly Gi* and Mann–Kendall")
    emerging.add_argument("--weeks", type=int, default=26, help="complete weeks before now (default 26)")
    emerging.add_argument("--category", help="only this category code")
    emerging.add_argument("--rate", action="store_true", help="complaints per 1,000 residents")
    _common_arguments(emerging)
    emerging.set_defaults(handler=_emerging)

    corroboration = commands.add_parser(
        "corroboration", help="smoke/dust/odour complaints corroborated by a station exceedance within 3 km, ±3 h"
    )
    _window_arguments(corroboration, default_days=30)
    corroboration.add_argument("--distance", type=float, default=3000.0, help="metres (default 3000)")
    corroboration.add_argument("--hours", type=float, default=3.0, help="± hours (default 3)")
    _common_arguments(corroboration)
    corroboration.set_defaults(handler=_corroboration)


def _window_arguments(parser: argparse.ArgumentParser, default_days: int) -> None:
    parser.add_argument(
        "--since", type=parse_date, help=f"first local day YYYY-MM-DD (default: {default_days} days ago)"
    )
    parser.add_argument("--until", type=parse_date, help="last local day YYYY-MM-DD, included (default: now)")
    parser.set_defaults(default_days=default_days)


def _common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", dest="set_name", help="boundary set (default: the configured one)")
    parser.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    parser.add_argument("--lang", choices=("vi", "en"), help="language of the table (default: configured)")


def _window(args: argparse.Namespace, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(timezone)
    now = dt.datetime.now(dt.UTC)
    until = now
    if args.until is not None:
        next_day = args.until + dt.timedelta(days=1)
        until = dt.datetime.combine(next_day, dt.time(), zone).astimezone(dt.UTC)
    since = until - dt.timedelta(days=args.default_days)
    if args.since is not None:
        since = dt.datetime.combine(args.since, dt.time(), zone).astimezone(dt.UTC)
    if since >= until:
        msg = f"--since ({since.date()}) must be before --until ({until.date()})"
        raise ValueError(msg)
    return since, until


def _context(args: argparse.Namespace) -> tuple[Any, str, str, str]:
    from cli._common import engine, settings

    config = settings()
    return engine(config), args.set_name or config.boundary_set, config.timezone, args.lang or config.language


def _print_table(frame: pd.DataFrame, columns: list[str], lang: str) -> None:
    if frame.empty:
        print(HEADERS[lang]["none_found"])
        return
    shown = frame[columns].rename(columns=HEADERS[lang])
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


def _wards(args: argparse.Namespace) -> int:
    from data.boundary_store import wards_frame
    from data.case_points import load_complaint_cases
    from geo.hotspots import ward_hotspots

    db, set_name, timezone, lang = _context(args)
    since, until = _window(args, timezone)
    wards = wards_frame(db, set_name)
    if args.district:
        wards = wards[wards["districts"].map(lambda names: args.district in (names or []))]
        if wards.empty:
            msg = f"no ward of set {set_name!r} lies in former district {args.district!r}"
            raise ValueError(msg)
    cases = load_complaint_cases(db, since=since, until=until, category=args.category, set_name=set_name)
    result = ward_hotspots(
        cases,
        wards,
        since=since,
        until=until,
        category=args.category,
        rate=args.rate,
        permutations=args.permutations,
        seed=args.seed,
        fdr=not args.no_fdr,
        inference=args.inference,
    )
    frame = result.to_frame().merge(
        wards[["code", "name"]].rename(columns={"code": "ward_code", "name": "ward_name"}), on="ward_code"
    )
    if args.json:
        records = result.to_records()
        names = dict(zip(frame["ward_code"], frame["ward_name"], strict=True))
        emit_json([{**record, "ward_name": names[record["ward_code"]]} for record in records])
        return 0
    kind = "/1.000 dân" if args.rate else ""
    print(
        f"Gi* {set_name}: {since.isoformat()} → {until.isoformat()}, {result.value_kind}{kind}, "
        f"{result.permutations} permutations, FDR {'on' if result.fdr else 'off'}"
    )
    if result.note:
        print(result.note)
    ordered = frame.sort_values("z", ascending=False)
    _print_table(ordered, ["ward_code", "ward_name", "value", "z", "p", "q", "class"], lang)
    if result.islands:
        print(f"{HEADERS[lang]['islands']}: {', '.join(result.islands)}")
    return 0


def _spots(args: argparse.Namespace) -> int:
    from data.case_points import load_complaint_cases
    from geo.spots import find_spots

    db, set_name, timezone, lang = _context(args)
    since, until = _window(args, timezone)
    cases = load_complaint_cases(db, since=since, until=until, set_name=set_name).dropna(subset=["lat", "lon"])
    spots = find_spots(
        cases, until, min_reports=args.min_reports, radius_m=args.radius, window=dt.timedelta(days=args.days)
    )
    if args.json:
        emit_json(spots.astype(object).where(spots.notna(), None).to_dict(orient="records"))
        return 0
    local = spots.assign(
        last_report=spots["last_report"].map(lambda t: t.tz_convert(timezone).strftime("%Y-%m-%d %H:%M")),
        categories=spots["categories"].map(lambda c: ", ".join(f"{k}×{v}" for k, v in c.items())),
        spot=spots["lat"].map("{:.5f}".format) + "," + spots["lon"].map("{:.5f}".format),
    )
    _print_table(
        local, ["spot", "count", "radius_m", "categories", "last_report", "ward_code", "unit_id", "active"], lang
    )
    return 0


def _emerging(args: argparse.Namespace) -> int:
    from data.boundary_store import wards_frame
    from data.case_points import load_complaint_cases
    from geo.emerging import emerging_hotspots, week_bins
    from geo.weights import queen_weights

    db, set_name, timezone, lang = _context(args)
    now = dt.datetime.now(dt.UTC)
    edges = week_bins(now, args.weeks, timezone)
    wards = wards_frame(db, set_name)
    cases = load_complaint_cases(db, since=edges[0], until=edges[-1], category=args.category, set_name=set_name)
    population = wards.set_index("code")["population"] if args.rate else None
    weights = queen_weights(wards, "code")
    result = emerging_hotspots(cases, weights, now, timezone=timezone, weeks=args.weeks, population=population)
    frame = result.to_frame().merge(
        wards[["code", "name"]].rename(columns={"code": "ward_code", "name": "ward_name"}), on="ward_code"
    )
    if args.json:
        emit_json(frame.astype(object).where(frame.notna(), None).to_dict(orient="records"))
        return 0
    print(f"{args.weeks} weeks from {edges[0].isoformat()} to {edges[-1].isoformat()} ({set_name})")
    shown = frame.sort_values(["pattern", "trend_z"], ascending=[True, False])
    _print_table(shown, ["ward_code", "ward_name", "pattern", "trend_z", "hot_weeks", "cold_weeks"], lang)
    return 0


def _corroboration(args: argparse.Namespace) -> int:
    from data.corroboration_report import corroboration_report

    db, _, timezone, lang = _context(args)
    since, until = _window(args, timezone)
    result = corroboration_report(db, since, until, max_distance_m=args.distance, window=dt.timedelta(hours=args.hours))
    if args.json:
        emit_json(result.astype(object).where(result.notna(), None).to_dict(orient="records"))
        return 0
    summary = {
        "vi": "{0} phản ánh khói bụi/mùi, {1} được trạm quan trắc xác nhận",
        "en": "{0} complaints, {1} corroborated",
    }
    print(summary[lang].format(len(result), int(result["corroborated"].sum())))
    _print_table(result, ["id", "station_id", "distance_m", "corroborated", "observed_at"], lang)
    return 0
