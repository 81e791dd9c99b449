"""Unit and ward scorecards for a period: SQL aggregates per group, working-hour percentiles in numpy, a ranking.

One GROUP BY pass over the period's cases gives every count per group and local month, and, per group, the
resolved cases' opening and resolution times as one compact text column (parsed by numpy in one call, working
hours for all of them on one calendar); small queries add the overdue backlog, the urges and the photo proof.

A case belongs to the period when it was opened in ``[since, until)``; merged duplicates are left out (their
reports count on the surviving case). Per group (responsible unit, or ward):

- ``received``: cases opened in the period;
- ``accepted_on_time_pct``: of the cases whose acceptance is decided (accepted, or still not accepted past the
  accept-by time), the share accepted by the accept-by time;
- ``resolved_on_time_pct``: of the cases whose resolution is decided (resolved, or still open past the
  resolve-by time), the share resolved by the resolve-by time;
- ``overdue_now``: the group's open cases overdue at ``now`` by the one rule of :func:`data.sla.is_overdue`,
  whenever they were opened (the backlog a leader acts on);
- ``median_hours`` / ``p90_hours``: working hours from opening to resolution of the resolved cases
  (the working calendar of :mod:`data.sla`);
- ``reopen_rate_pct``: of the cases closed at least once (resolved now, or reopened), the share reopened;
- ``urges``: urges and escalations recorded against the unit in the period (for a ward: on its cases);
- ``photo_proof_pct``: of the resolved cases, the share with at least one "after" photo.

The ranking score is :data:`WEIGHTS` applied to the rates (0–100), re-weighted over the rates a group has;
groups without received cases are not ranked. :func:`method_lines` states it for pages and exports.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Engine,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
)

from data.dialect import epoch_seconds, is_postgresql
from data.frames import plain_value, read_frame
from data.i18n import translate
from data.schema import CaseAttachment, CaseUrge, ComplaintCase, ResponsibleUnit
from data.sla import SlaPolicy, WorkingCalendar, is_overdue
from data.workflow import NOT_ACCEPTED

GroupBy = Literal["unit", "ward"]

WEIGHTS: Final[dict[str, float]] = {
    "resolved_on_time_pct": 0.4,
    "accepted_on_time_pct": 0.3,
    "not_reopened_pct": 0.2,
    "photo_proof_pct": 0.1,
}
"""Weights of the ranking score (they sum to 1); ``not_reopened_pct`` is 100 − the reopen rate."""

FIGURES: Final = (
    "received",
    "accepted_on_time_pct",
    "resolved_on_time_pct",
    "overdue_now",
    "median_hours",
    "p90_hours",
    "reopen_rate_pct",
    "urges",
    "photo_proof_pct",
    "score",
    "rank",
)
"""The figures of a scorecard row, in display order (every surface shows these, rounded by :func:`_rounded`)."""

_COUNTS: Final = ("received", "overdue_now", "urges", "rank")


@dataclass(frozen=True)
class Scorecard:
    """One period's scorecard: a row per group (``code``, ``name`` and :data:`FIGURES`), ranked first, and the
    monthly trend of the whole city (``month`` as YYYY-MM, ``received``, ``resolved_on_time_pct``)."""

    by: GroupBy
    since: dt.datetime
    until: dt.datetime
    now: dt.datetime
    rows: pd.DataFrame
    trend: pd.DataFrame

    def records(self) -> list[dict[str, Any]]:
        """The rows as JSON-safe dicts (missing figures as None)."""
        return [plain_value(row) for row in self.rows.to_dict("records")]

    def trend_records(self) -> list[dict[str, Any]]:
        """The monthly trend as JSON-safe dicts."""
        return [plain_value(row) for row in self.trend.to_dict("records")]

    def as_json(self) -> dict[str, Any]:
        """Everything a surface shows: period, grouping, method, rows and trend."""
        return {
            "by": self.by,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "now": self.now.isoformat(),
            "weights": dict(WEIGHTS),
            "rows": self.records(),
            "trend": self.trend_records(),
        }


def _group_column(by: GroupBy) -> ColumnElement[Any]:
    return ComplaintCase.unit_id if by == "unit" else ComplaintCase.ward_code


def _in_period(since: dt.datetime, until: dt.datetime) -> ColumnElement[bool]:
    return and_(
        ComplaintCase.opened_at >= since, ComplaintCase.opened_at < until, ComplaintCase.merged_into_id.is_(None)
    )


PARTS: Final = 2
"""The period's cases are counted in this many parallel parts (:func:`_period_pass`)."""

_COUNT_COLUMNS: Final = (
    "received",
    "accept_ok",
    "accept_decided",
    "resolve_ok",
    "resolve_decided",
    "resolved",
    "reopened",
    "closed_once",
)


def _whole_seconds(engine: Engine, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """SQL: a timestamp as whole seconds since 1970 (UTC, rounded), as text."""
    if is_postgresql(engine):  # date_part is double precision: no numeric arithmetic per row (≈ 20 % of the pass)
        return cast(cast(func.date_part("epoch", column), BigInteger), String)
    return cast(cast(func.round(epoch_seconds(engine, column)), BigInteger), String)


def _pass_statement(
    engine: Engine, by: GroupBy, since: dt.datetime, until: dt.datetime, now: dt.datetime, starts: list[pd.Timestamp]
) -> Select[Any]:
    """The GROUP BY over the cases opened in ``[since, until)`` (see :func:`_period_pass`)."""
    resolved = _resolved()
    accepted = ComplaintCase.accepted_at.is_not(None)
    whens = [(ComplaintCase.opened_at < start.to_pydatetime(), literal_column(str(i - 1))) for i, start in
             enumerate(starts[1:], 1)]  # fmt: skip
    last = literal_column(str(len(starts) - 1))
    flags = {
        "accept_ok": and_(accepted, ComplaintCase.accepted_at <= ComplaintCase.accept_due_at),
        "accept_decided": or_(accepted, and_(ComplaintCase.status == NOT_ACCEPTED, ComplaintCase.accept_due_at < now)),
        "resolve_ok": and_(resolved, ComplaintCase.resolved_at <= ComplaintCase.due_at),
        "resolve_decided": or_(resolved, is_overdue(now) & (ComplaintCase.due_at < now)),
        "resolved": resolved,
        "reopened": ComplaintCase.reopen_count > 0,
        "closed_once": or_(resolved, ComplaintCase.reopen_count > 0),
    }
    span = _whole_seconds(engine, ComplaintCase.opened_at) + "," + _whole_seconds(engine, ComplaintCase.resolved_at)
    per_case = (
        select(
            _group_column(by).label("key"),
            (case(*whens, else_=last) if whens else last).label("bucket"),
            *[case((condition, 1), else_=0).label(name) for name, condition in flags.items()],
            case((resolved, span)).label("span"),
        )
        .select_from(ComplaintCase)
        .where(_in_period(since, until))
    ).subquery()  # grouped outside: PostgreSQL cannot match a GROUP BY expression holding bound parameters
    stmt = select(
        per_case.c.key,
        per_case.c.bucket,
        func.count().label("received"),
        *[func.sum(per_case.c[name]).label(name) for name in flags],
        func.aggregate_strings(per_case.c.span, ",").label("spans"),
    ).group_by(per_case.c.key, per_case.c.bucket)
    return stmt


def _parts(engine: Engine, since: dt.datetime, until: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The period cut in :data:`PARTS` equal spans of time (one for an in-memory SQLite database, which a second
    connection would not see)."""
    in_memory = not is_postgresql(engine) and engine.url.database in (None, "", ":memory:")
    count = 1 if in_memory else PARTS
    cuts = [since + (until - since) * i / count for i in range(count)] + [until]
    return list(itertools.pairwise(cuts))


def _period_pass(
    engine: Engine, by: GroupBy, since: dt.datetime, until: dt.datetime, now: dt.datetime, starts: list[pd.Timestamp]
) -> pd.DataFrame:
    """One pass over the period's cases, grouped per group and local month (``bucket``: index into ``starts``):
    received, on-time numerators and denominators, reopen counts, and ``spans``, the resolved cases'
    opening and resolution times as one compact text (``opened,resolved,…`` in whole seconds).

    The period is counted in :data:`PARTS` parts at once, each on its own connection (the database works on
    each part in its own process or thread: both cores of a small server); a (group, month) may come in two rows.
    """
    parts = _parts(engine, since, until)
    with ThreadPoolExecutor(len(parts)) as pool:
        found = pool.map(lambda part: read_frame(engine, _pass_statement(engine, by, *part, now, starts)), parts)
        frames = [frame for frame in found if not frame.empty]
    if not frames:
        return pd.DataFrame({"key": [], "bucket": [], **{name: [] for name in _COUNT_COLUMNS}, "spans": []})
    frame = pd.concat(frames, ignore_index=True)
    for name in _COUNT_COLUMNS:
        frame[name] = pd.to_numeric(frame[name]).fillna(0).astype(int)
    frame["bucket"] = frame["bucket"].astype(int)
    return frame


def _photo_proof(engine: Engine, by: GroupBy, since: dt.datetime, until: dt.datetime) -> pd.DataFrame:
    """Per group: the period's resolved cases with at least one "after" photo. Read from the photos' side (each
    photo finds its case by primary key): no plan can turn it into a loop over every case per photo."""
    group = _group_column(by)
    stmt = (
        select(group.label("key"), func.count(func.distinct(ComplaintCase.id)).label("with_photo"))
        .select_from(CaseAttachment)
        .join(ComplaintCase, ComplaintCase.id == CaseAttachment.case_id)
        .where(CaseAttachment.purpose == "after", _resolved(), _in_period(since, until))
        .group_by(group)
    )
    return read_frame(engine, stmt, ["key", "with_photo"])


def _resolved() -> ColumnElement[bool]:
    return and_(ComplaintCase.status == "resolved", ComplaintCase.resolved_at.is_not(None))


def _overdue_now(engine: Engine, by: GroupBy, now: dt.datetime) -> pd.DataFrame:
    group = _group_column(by)
    stmt = (
        select(group.label("key"), func.count().label("overdue_now"))
        .where(is_overdue(now), ComplaintCase.merged_into_id.is_(None))
        .group_by(group)
    )
    return read_frame(engine, stmt)


def _urges(engine: Engine, by: GroupBy, since: dt.datetime, until: dt.datetime) -> pd.DataFrame:
    period = and_(CaseUrge.at >= since, CaseUrge.at < until)
    if by == "unit":
        stmt = select(CaseUrge.unit_id.label("key"), func.count().label("urges")).where(period)
        return read_frame(engine, stmt.group_by(CaseUrge.unit_id))
    stmt = (
        select(ComplaintCase.ward_code.label("key"), func.count().label("urges"))
        .select_from(CaseUrge)
        .join(ComplaintCase, ComplaintCase.id == CaseUrge.case_id)
        .where(period)
        .group_by(ComplaintCase.ward_code)
    )
    return read_frame(engine, stmt)


def _resolution_hours(counts: pd.DataFrame, policy: SlaPolicy) -> pd.DataFrame:
    """Median and 90th percentile of working hours to resolve, per group, from the ``spans`` of
    :func:`_period_pass`: parsed in one numpy call, working hours on one calendar for every case at once."""
    parts = counts.loc[counts["resolved"] > 0, ["key", "resolved", "spans"]]
    if parts.empty:
        return pd.DataFrame({"key": [], "median_hours": [], "p90_hours": []})
    seconds = np.fromstring(",".join(parts["spans"]), dtype=np.int64, sep=",").reshape(-1, 2)
    opened = pd.to_datetime(seconds[:, 0], unit="s", utc=True)
    resolved = pd.to_datetime(seconds[:, 1], unit="s", utc=True)
    first = opened.min().tz_convert(policy.timezone).date() - dt.timedelta(days=1)
    last = resolved.max().tz_convert(policy.timezone).date() + dt.timedelta(days=1)
    calendar = WorkingCalendar(policy, first, last)
    frame = pd.DataFrame(
        {"key": np.repeat(parts["key"].to_numpy(), parts["resolved"].to_numpy()),
         "hours": np.clip(calendar.hours_between(opened, resolved), 0.0, None)}
    )  # fmt: skip
    grouped = frame.groupby("key", dropna=False)["hours"]
    return pd.DataFrame(
        {"median_hours": grouped.median(), "p90_hours": grouped.quantile(0.9, interpolation="linear")}
    ).reset_index()


def _groups(engine: Engine, by: GroupBy) -> pd.DataFrame:
    """Every group a scorecard lists: every responsible unit, or every ward with a case."""
    if by == "unit":
        stmt = select(ResponsibleUnit.id.label("key"), ResponsibleUnit.code, ResponsibleUnit.name)
        return read_frame(engine, stmt)
    stmt = (
        select(ComplaintCase.ward_code.label("key"), func.max(ComplaintCase.ward_name).label("name"))
        .where(ComplaintCase.ward_code.is_not(None))
        .group_by(ComplaintCase.ward_code)
    )
    frame = read_frame(engine, stmt)
    frame["code"] = frame["key"]
    return frame


def _share(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """Percent (0–100); NaN where the denominator is 0 (no decided case: the rate is not defined)."""
    num = numerator.astype(float)
    den = denominator.astype(float)
    return (100.0 * num / den.where(den > 0)).astype(float)


def rank_score(rates: pd.DataFrame) -> pd.Series:
    """The ranking score (0–100) of each row: :data:`WEIGHTS` over the rates the row has, re-weighted."""
    values = rates[list(WEIGHTS)].astype(float)
    weights = pd.Series(WEIGHTS)
    present = values.notna()
    weighted = values.fillna(0.0).mul(weights, axis=1).sum(axis=1)
    total = present.mul(weights, axis=1).sum(axis=1)
    return (weighted / total.where(total > 0)).astype(float)


def _rounded(rows: pd.DataFrame) -> pd.DataFrame:
    """One rounding for every surface: rates and hours to 0.1, counts as integers."""
    for column in FIGURES:
        if column in _COUNTS:
            rows[column] = rows[column].astype("Int64")
        else:
            rows[column] = rows[column].astype(float).round(1)
    return rows


def scorecard_rows(
    engine: Engine,
    counts: pd.DataFrame,
    *,
    by: GroupBy,
    since: dt.datetime,
    until: dt.datetime,
    now: dt.datetime,
    policy: SlaPolicy,
) -> pd.DataFrame:
    """The scorecard rows of the period from its ``counts`` (:func:`_period_pass`), ranked (best first; unranked
    groups last, most received first)."""
    frame = _groups(engine, by)
    totals = counts[["key", *_COUNT_COLUMNS]].groupby("key", dropna=False).sum().reset_index()
    for part in (
        totals,
        _overdue_now(engine, by, now),
        _urges(engine, by, since, until),
        _resolution_hours(counts, policy),
        _photo_proof(engine, by, since, until),
    ):
        frame = frame.merge(part, on="key", how="left")
    for column in (*_COUNT_COLUMNS, "with_photo", "overdue_now", "urges"):
        frame[column] = pd.to_numeric(frame[column]).fillna(0).astype(int)
    frame["accepted_on_time_pct"] = _share(frame["accept_ok"], frame["accept_decided"])
    frame["resolved_on_time_pct"] = _share(frame["resolve_ok"], frame["resolve_decided"])
    frame["reopen_rate_pct"] = _share(frame["reopened"], frame["closed_once"])
    frame["photo_proof_pct"] = _share(frame["with_photo"], frame["resolved"])
    frame["not_reopened_pct"] = 100.0 - frame["reopen_rate_pct"]
    frame["score"] = rank_score(frame).where(frame["received"] > 0).round(1)
    frame = frame.sort_values(["score", "received", "code"], ascending=[False, False, True], na_position="last")
    frame["rank"] = frame["score"].rank(method="min", ascending=False)
    frame["code"] = frame["code"].astype(str)
    frame["name"] = frame["name"].astype(str)
    return _rounded(frame[["code", "name", *FIGURES]].reset_index(drop=True))


def month_starts(since: dt.datetime, until: dt.datetime, timezone: str) -> list[pd.Timestamp]:
    """UTC instants of the local month starts from the month of ``since`` up to ``until`` (exclusive ends)."""
    local_since = pd.Timestamp(since).tz_convert(timezone)
    first = local_since.normalize().replace(day=1)
    starts = pd.date_range(first, pd.Timestamp(until).tz_convert(timezone), freq="MS")
    if len(starts) == 0 or starts[0] != first:
        starts = pd.DatetimeIndex([first]).append(starts)
    end = pd.Timestamp(until)
    return [stamp.tz_convert("UTC") for stamp in starts if stamp == first or stamp < end]


def monthly_trend(counts: pd.DataFrame, starts: list[pd.Timestamp], timezone: str) -> pd.DataFrame:
    """Per local calendar month of the period (``month`` YYYY-MM): cases received and resolved on time %."""
    months = pd.DataFrame(
        {"bucket": range(len(starts)), "month": [s.tz_convert(timezone).strftime("%Y-%m") for s in starts]}
    )
    per_month = counts.groupby("bucket")[["received", "resolve_ok", "resolve_decided"]].sum().reset_index()
    months = months.merge(per_month, on="bucket", how="left")
    for column in ("received", "resolve_ok", "resolve_decided"):
        months[column] = pd.to_numeric(months[column]).fillna(0).astype(int)
    months["resolved_on_time_pct"] = _share(months["resolve_ok"], months["resolve_decided"]).round(1)
    return months[["month", "received", "resolved_on_time_pct"]]


def build_scorecard(
    engine: Engine,
    *,
    since: dt.datetime,
    until: dt.datetime,
    policy: SlaPolicy,
    by: GroupBy = "unit",
    now: dt.datetime | None = None,
) -> Scorecard:
    """The scorecard of ``[since, until)`` grouped ``by`` unit or ward (``now``: for overdue and decided cases)."""
    if until <= since:
        raise ValueError(f"the period ends ({until:%Y-%m-%d}) before it starts ({since:%Y-%m-%d})")
    moment = now or dt.datetime.now(dt.UTC)
    starts = month_starts(since, until, policy.timezone)
    counts = _period_pass(engine, by, since, until, moment, starts)
    rows = scorecard_rows(engine, counts, by=by, since=since, until=until, now=moment, policy=policy)
    return Scorecard(by, since, until, moment, rows, monthly_trend(counts, starts, policy.timezone))


def method_lines(language: str) -> list[str]:
    """The definitions and the ranking formula, one line each, in ``language`` (page and exports)."""
    weights = {name: f"{weight:.1f}".replace(".", "," if language == "vi" else ".") for name, weight in WEIGHTS.items()}
    keys: Sequence[str] = (
        "score.method.period",
        "score.method.accepted",
        "score.method.resolved",
        "score.method.overdue",
        "score.method.hours",
        "score.method.reopen",
        "score.method.urges",
        "score.method.photo",
    )
    lines = [translate(key, language) for key in keys]
    lines.append(translate("score.method.formula", language, **weights))
    lines.append(translate("score.method.missing", language))
    return lines
