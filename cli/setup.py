"""``envmon init`` (schema, shipped reference data, first operator) and ``envmon demo`` (labelled demo data)."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any, Final

from cli._common import emit_json, engine, settings

#: `envmon demo --if-missing` replays the downtime of a demo last evaluated longer ago than this
STALE_AFTER: Final = dt.timedelta(hours=1)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``envmon init`` and ``envmon demo``."""
    init = subparsers.add_parser(
        "init", help="create or migrate the database, load shipped boundary sets and routing table (idempotent)"
    )
    init.set_defaults(handler=_init)

    demo = subparsers.add_parser(
        "demo",
        help="initialise, then fill the database with the labelled demo year (synthetic complaints, "
        "replayed real air data, synthetic wastewater dataloggers)",
    )
    demo.add_argument(
        "--if-missing",
        action="store_true",
        help="when complaints are already stored, build nothing; a stored demo left for over an hour is brought "
        "up to now (station data, alert history, reports and case work of the downtime, at most --days back)",
    )
    demo.add_argument("--seed", type=int, default=2025)
    demo.add_argument("--reports", type=int, default=6000, help="number of synthetic complaint reports")
    demo.add_argument("--days", type=int, default=7, help="days of station data before now")
    demo.set_defaults(handler=_demo)


def initialise() -> dict[str, object]:
    """Migrate the configured database and load what ships with the product; safe to run again."""
    from data.boundary_store import load_shipped_sets
    from data.db import migrate, schema_revision
    from data.redact import redact_url
    from data.routing import seed_routing
    from data.users import ensure_admin_from_env

    config = settings()
    db = engine(config)
    migrate(db)
    loaded = load_shipped_sets(db)
    routing = seed_routing(db, config.config_path("routing"))
    admin = ensure_admin_from_env(db, config)
    return {
        "database": redact_url(config.resolved_database_url),
        "revision": schema_revision(db),
        "boundary_sets_loaded": loaded,
        "routing": routing,
        "admin_created": admin.username if admin else None,
    }


def _init(_args: argparse.Namespace) -> int:
    emit_json(initialise())
    return 0


def _demo(args: argparse.Namespace) -> int:
    from data.alert_queries import last_evaluation_at
    from data.demo_city import is_demo_database
    from data.demo_complaints import build_demo_complaints
    from data.importers.pipeline import ImportContext
    from data.queries import complaint_report_count
    from monitoring.demo import build_demo_monitoring
    from monitoring.pipeline import after_poll

    setup = initialise()
    config = settings()
    db = engine(config)
    stored = complaint_report_count(db)
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    if args.if_missing and stored:
        last = last_evaluation_at(db)  # the build and every poll round end with an evaluation
        last = last if last is None or last.tzinfo else last.replace(tzinfo=dt.UTC)
        if not is_demo_database(db) or (last is not None and now - last < STALE_AFTER):
            emit_json({**setup, "demo": f"skipped: {stored} complaint reports already stored"})
            return 0
        emit_json({**setup, "demo": "replayed", **_replay(db, config, now, args)})
        return 0
    context = ImportContext.from_settings(db, config)
    complaints = build_demo_complaints(db, seed=args.seed, now=now, n_reports=args.reports, context=context)
    monitoring = build_demo_monitoring(
        db,
        now=now,
        seed=args.seed,
        days=args.days,
        dropbox=config.var_dir / "dropbox",
        set_name=config.boundary_set,
        settings=config,
    )
    pipeline = after_poll(db, now, config)
    emit_json({**setup, "complaints": complaints, "monitoring": monitoring, "pipeline": pipeline})
    return 0


def _replay(db: Any, config: Any, now: dt.datetime, args: argparse.Namespace) -> dict[str, object]:
    """A stored demo left for a while: the feeds resume (bounded to ``--days``), the alert evaluations of the
    downtime are replayed, then the city (reports, the units' work) and one evaluation catch up to now."""
    from monitoring.demo import build_demo_monitoring, resume_demo_feeds
    from monitoring.pipeline import after_poll

    resume_demo_feeds(db, now, days=args.days)
    monitoring = build_demo_monitoring(db, now=now, seed=args.seed, days=args.days, dropbox=config.var_dir / "dropbox",
                                       set_name=config.boundary_set, settings=config)  # fmt: skip
    return {"monitoring": monitoring, "pipeline": after_poll(db, now, config)}
