"""Working-hours SLA arithmetic for complaint cases: calendar, due times, and the one open/overdue rule.

The calendar counts only working periods (default Mon–Fri 08:00–17:00 local time) outside public holidays.
Working time is turned into a piecewise-linear "working seconds since the first period" scale, so adding
working hours to many start times, or measuring working hours between two times, is two ``searchsorted``
calls instead of a loop over days.

"Open" and "overdue" are defined here once, as a vectorised mask for frames and as SQL conditions for queries
(a test holds the two to the same answer): a case is open unless its status is closed
(:data:`data.workflow.CLOSED_STATUSES`); an open case is overdue when it is past its resolve-by time, or still
not accepted past its accept-by time.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sqlalchemy import ColumnElement, and_, case, or_

from data.config import DEFAULT_TIMEZONE
from data.schema import ComplaintCase
from data.workflow import CLOSED_STATUSES, NOT_ACCEPTED


@dataclass(frozen=True)
class PriorityTerms:
    """Deadlines of one priority level, in working hours from the time the case was opened."""

    accept_hours: float
    resolve_hours: float


@dataclass(frozen=True)
class SlaPolicy:
    """The working calendar and the deadlines per priority (see ``data/config/sla.toml``)."""

    timezone: str
    working_days: frozenset[int]
    working_periods: tuple[tuple[dt.time, dt.time], ...]
    holidays: frozenset[dt.date]
    priorities: dict[str, PriorityTerms]

    def terms(self, priority: str) -> PriorityTerms:
        """Deadlines for ``priority``; unknown priorities raise a clear error."""
        try:
            return self.priorities[priority]
        except KeyError:
            known = ", ".join(sorted(self.priorities))
            msg = f"unknown SLA priority {priority!r} (known: {known})"
            raise ValueError(msg) from None

    @property
    def hours_per_week(self) -> float:
        """Working hours in a week without holidays."""
        per_day = sum(_seconds(end) - _seconds(start) for start, end in self.working_periods) / 3600
        return per_day * len(self.working_days)


def _seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def load_sla_policy(path: Path, timezone: str = DEFAULT_TIMEZONE) -> SlaPolicy:
    """Read an SLA policy TOML file (format in the shipped ``data/config/sla.toml``).

    ``timezone`` (``Settings.timezone``) applies unless the file sets its own ``timezone``.
    """
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    try:
        periods = tuple(
            (dt.time.fromisoformat(start), dt.time.fromisoformat(end)) for start, end in raw["working_periods"]
        )
        policy = SlaPolicy(
            timezone=raw.get("timezone", timezone),
            working_days=frozenset(int(day) for day in raw["working_days"]),
            working_periods=periods,
            holidays=frozenset(dt.date.fromisoformat(day) for day in raw.get("holidays", {})),
            priorities={
                name: PriorityTerms(float(terms["accept_hours"]), float(terms["resolve_hours"]))
                for name, terms in raw["priorities"].items()
            },
        )
    except (KeyError, ValueError, TypeError) as err:
        msg = f"{path}: invalid SLA policy: {err}"
        raise ValueError(msg) from err
    if any(end <= start for start, end in periods) or policy.hours_per_week <= 0:
        msg = f"{path}: working_periods must be non-empty (start, end) pairs with end after start"
        raise ValueError(msg)
    return policy


class WorkingCalendar:
    """Working seconds between ``first_day`` and ``last_day`` (inclusive) as a piecewise-linear scale."""

    def __init__(self, policy: SlaPolicy, first_day: dt.date, last_day: dt.date) -> None:
        days = pd.date_range(first_day, last_day, freq="D")
        working = days[
            days.isocalendar().day.isin(list(policy.working_days)).to_numpy()
            & ~days.normalize().isin(pd.DatetimeIndex(sorted(policy.holidays)))
        ]
        starts, ends = [], []
        for start, end in policy.working_periods:
            starts.append(working + pd.Timedelta(seconds=_seconds(start)))
            ends.append(working + pd.Timedelta(seconds=_seconds(end)))
        start_local = pd.DatetimeIndex(np.concatenate([s.to_numpy() for s in starts])).sort_values()
        end_local = pd.DatetimeIndex(np.concatenate([e.to_numpy() for e in ends])).sort_values()
        self.first_day, self.last_day = first_day, last_day
        self._starts = _utc_seconds(start_local.tz_localize(policy.timezone))
        self._ends = _utc_seconds(end_local.tz_localize(policy.timezone))
        lengths = self._ends - self._starts
        self._cum_start = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
        self._cum_end = self._cum_start + lengths

    @classmethod
    def covering(cls, policy: SlaPolicy, times: ArrayLike, max_hours: float = 0.0) -> WorkingCalendar:
        """A calendar covering ``times`` plus enough days to add ``max_hours`` working hours to each."""
        local = _utc_index(times).tz_convert(policy.timezone)
        weeks = math.ceil(max_hours / policy.hours_per_week) + 1
        first = local.min().date() - dt.timedelta(days=1)
        last = local.max().date() + dt.timedelta(days=7 * weeks + len(policy.holidays) + 1)
        return cls(policy, first, last)

    def working_seconds(self, times: ArrayLike) -> NDArray[np.float64]:
        """Working seconds from the calendar's start to each time (UTC-aware datetimes)."""
        seconds = _utc_seconds(_utc_index(times))
        index = np.searchsorted(self._starts, seconds, side="right") - 1
        inside = index >= 0
        clipped = np.clip(index, 0, None)
        within = np.clip(seconds - self._starts[clipped], 0, self._ends[clipped] - self._starts[clipped])
        return np.where(inside, self._cum_start[clipped] + within, 0.0)

    def add_hours(self, times: ArrayLike, hours: ArrayLike) -> pd.DatetimeIndex:
        """Each time plus its working hours (UTC). A deadline on a period end stays on it (17:00)."""
        target = self.working_seconds(times) + np.asarray(hours, dtype=float) * 3600
        index = np.searchsorted(self._cum_end, target, side="left")
        if np.any(index >= len(self._cum_end)):
            msg = f"working calendar {self.first_day}..{self.last_day} too short for the requested hours"
            raise ValueError(msg)
        seconds = self._starts[index] + (target - self._cum_start[index])
        return pd.DatetimeIndex(pd.to_datetime(seconds, unit="s", utc=True))

    def hours_between(self, starts: ArrayLike, ends: ArrayLike) -> NDArray[np.float64]:
        """Working hours from each start to each end (negative when the end is earlier)."""
        return (self.working_seconds(ends) - self.working_seconds(starts)) / 3600


def _utc_index(times: ArrayLike) -> pd.DatetimeIndex:
    """Timezone-aware times (datetimes, a datetime64 column or index) as one UTC index, without object copies."""
    if isinstance(times, pd.DatetimeIndex | pd.Series):
        return pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    return pd.DatetimeIndex(pd.to_datetime(list(times), utc=True))  # type: ignore[arg-type]


def _utc_seconds(index: pd.DatetimeIndex) -> NDArray[np.float64]:
    return index.tz_convert("UTC").tz_localize(None).as_unit("s").asi8.astype(float)


def add_working_hours(start: dt.datetime, hours: float, policy: SlaPolicy) -> dt.datetime:
    """``start`` (timezone-aware) plus ``hours`` working hours, as a UTC datetime."""
    calendar = WorkingCalendar.covering(policy, [start], hours)
    return calendar.add_hours([start], [hours])[0].to_pydatetime()


def due_times(
    opened_at: ArrayLike, priorities: ArrayLike, policy: SlaPolicy
) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """Accept-by and resolve-by deadlines (UTC) for cases opened at ``opened_at`` with ``priorities``."""
    names = pd.Series(np.asarray(priorities, dtype=object)).astype(str)
    positions, distinct = pd.factorize(names)
    terms = [policy.terms(name) for name in distinct]  # one lookup per priority, not per case
    accept = np.array([term.accept_hours for term in terms], dtype=float)[positions]
    resolve = np.array([term.resolve_hours for term in terms], dtype=float)[positions]
    if len(names) == 0:
        empty = pd.DatetimeIndex([], tz="UTC")
        return empty, empty
    calendar = WorkingCalendar.covering(policy, opened_at, float(max(accept.max(), resolve.max())))
    return calendar.add_hours(opened_at, accept), calendar.add_hours(opened_at, resolve)


def open_mask(status: ArrayLike) -> NDArray[np.bool_]:
    """True where a case is open (its status is not closed)."""
    return ~pd.Series(np.asarray(status, dtype=object)).isin(CLOSED_STATUSES).to_numpy(dtype=bool)


def accept_late_mask(status: ArrayLike, accept_due_at: ArrayLike, now: dt.datetime) -> NDArray[np.bool_]:
    """True where a case is still not accepted past its accept-by time."""
    statuses = pd.Series(np.asarray(status, dtype=object))
    late = np.asarray(_utc_index(accept_due_at) < pd.Timestamp(now).tz_convert("UTC"), dtype=bool)  # NaT: never
    return statuses.eq(NOT_ACCEPTED).to_numpy(dtype=bool) & late


def overdue_mask(status: ArrayLike, accept_due_at: ArrayLike, due_at: ArrayLike, now: dt.datetime) -> NDArray[np.bool_]:
    """True where an open case is past its resolve-by time, or still unaccepted past its accept-by time."""
    late_resolve = np.asarray(_utc_index(due_at) < pd.Timestamp(now).tz_convert("UTC"), dtype=bool)
    return open_mask(status) & (accept_late_mask(status, accept_due_at, now) | late_resolve)


def missed_deadlines(
    status: ArrayLike, accept_due_at: ArrayLike, due_at: ArrayLike, now: dt.datetime
) -> pd.DatetimeIndex:
    """The deadline each case missed first (the rule of :func:`missed_deadline`): accept-by while it is
    accept-late, else resolve-by (UTC)."""
    accept_late = accept_late_mask(status, accept_due_at, now)
    return _utc_index(due_at).where(~accept_late, _utc_index(accept_due_at))


def is_open() -> ColumnElement[bool]:
    """SQL: the case is open (the rule of :func:`open_mask`)."""
    return ComplaintCase.status.not_in(CLOSED_STATUSES)


def is_accept_late(now: dt.datetime) -> ColumnElement[bool]:
    """SQL: the case is still not accepted past its accept-by time (the rule of :func:`accept_late_mask`)."""
    return and_(ComplaintCase.status == NOT_ACCEPTED, ComplaintCase.accept_due_at < now)


def is_overdue(now: dt.datetime) -> ColumnElement[bool]:
    """SQL: the case is overdue at ``now`` (the rule of :func:`overdue_mask`; NULL deadlines never count)."""
    return and_(is_open(), or_(is_accept_late(now), ComplaintCase.due_at < now))


def missed_deadline(now: dt.datetime) -> ColumnElement[dt.datetime]:
    """SQL: the deadline an overdue case missed first: accept-by while it is accept-late, else resolve-by."""
    return case((is_accept_late(now), ComplaintCase.accept_due_at), else_=ComplaintCase.due_at)
