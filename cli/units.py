"""``envmon units scorecard``: how each responsible unit (or ward) handled its cases in a period.

Prints a table in the chosen language, or the same figures as JSON, or writes the monthly-report XLSX.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from cli._common import emit_json, parse_date


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``envmon units scorecard``."""
    parser = subparsers.add_parser("units", help="responsible units: scorecard of case handling")
    commands = parser.add_subparsers(dest="units_command", required=True, metavar="ACTION")
    card = commands.add_parser("scorecard", help="per unit or ward: on-time rates, overdue, hours, ranking")
    card.add_argument("--since", type=parse_date, help="first day, local (default: 12 months back, 1st day)")
    card.add_argument("--until", type=parse_date, help="last day, inclusive, local (default: today)")
    card.add_argument("--by", choices=["unit", "ward"], default="unit", help="group by unit (default) or ward")
    output = card.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON instead of a table")
    output.add_argument("--xlsx", type=Path, metavar="FILE", help="write the monthly-report workbook to FILE")
    card.add_argument("--lang", choices=["vi", "en"], default=None, help="language (default: settings)")
    card.set_defaults(handler=_scorecard)


def _scorecard(args: argparse.Namespace) -> int:
    from cli._common import engine, settings
    from data.case_actions import default_policy
    from data.i18n import translate
    from data.scorecard import build_scorecard, method_lines
    from data.scorecard_export import default_period, display_table, period_bounds, period_text, scorecard_xlsx

    config = settings()
    language = args.lang or config.language
    today = dt.datetime.now(ZoneInfo(config.timezone)).date()
    first, last = default_period(today)
    since, until = period_bounds(args.since or first, args.until or last, config.timezone)
    card = build_scorecard(engine(config), since=since, until=until, policy=default_policy(), by=args.by)
    if args.json:
        emit_json({**card.as_json(), "method": method_lines(language)})
        return 0
    if args.xlsx:
        args.xlsx.write_bytes(scorecard_xlsx([card], language, config.timezone))
        print(translate("score.cli.saved", language, path=args.xlsx, n=len(card.rows)))
        return 0
    print(period_text(card, language, config.timezone))
    sys.stdout.write(display_table(card, language).to_string(index=False) + "\n\n")
    print(f"{translate('score.method', language)}:")
    for line in method_lines(language):
        print(f"  {line}")
    return 0
