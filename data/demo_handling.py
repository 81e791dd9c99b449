"""How the demo city's responsible units handle complaint cases (SYNTHETIC): a plan per case, and rounds.

Every demo case has a handling plan drawn from its own seed (``[seed, case id]``), so the build and every later
round agree on it without storing it: handed to its unit by the reception desk a few working hours after it was
opened, taken in hand, then closed (resolved, or rejected, or transferred) well within its resolve deadline.

A *round* at time T applies the plan steps due by T and then decides, like a unit's backlog behaves, which of
the cases due to close really close:

* a share of cases (:data:`SLOW_SHARE`) is slow: held open until it runs past its deadline;
* of the late cases, units keep about :data:`TARGET_OVERDUE_SHARE` of the open cases overdue (the most stubborn
  first) and close the rest late, during working hours; none stays open longer than :data:`MAX_OPEN_AGE`.

So at any hour of the week (a weekend's reports piling up unaccepted, a Friday evening after the week's work)
about one open case in six is overdue, by the one rule of :mod:`data.sla`. The rounds are computed on arrays
(:func:`run_rounds`); :func:`load_demo_cases` and :func:`record_actions` read and write the database.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw
from sqlalchemy import Connection, Engine, bindparam, exists, func, insert, or_, select, update

from data.categories import Taxonomy
from data.media import MediaLimits, MediaStore, Upload, prepare, save
from data.schema import CaseAttachment, CaseStatusChange, ComplaintCase, ComplaintReport, ResponsibleUnit
from data.sla import SlaPolicy, WorkingCalendar, overdue_mask
from data.workflow import CLOSED_STATUSES

if TYPE_CHECKING:
    from data.importers.pipeline import ImportContext

DEMO_SOURCE: Final = "demo-synthetic"
#: the share of open cases overdue units keep after a working hour: high enough that the reports of a weekend
#: or a holiday, waiting to be handed over, do not bring it below 10 %
TARGET_OVERDUE_SHARE: Final = 0.2
#: and never fewer than this many per case opened in the last week (so that a Friday afternoon's work does not
#: leave too few for the Monday morning, when a weekend's reports wait to be handed over)
KEPT_PER_WEEKLY_CASE: Final = 0.12
WEEK: Final = pd.Timedelta(days=7)
SLOW_SHARE: Final = 0.18  # cases a unit leaves open until they are late
MAX_OPEN_AGE: Final = pd.Timedelta(days=17)  # then even the most stubborn case is closed (late),
RELEASED_PER_ROUND: Final = 2  # late cases units close in an hour beyond the kept share (a backlog shrinks slowly)
CLEAR_OLD_FROM_HOUR: Final = 14  # in an afternoon (local time)
SYNTHETIC_MARK: Final = " (mô phỏng)"  # on every actor the demo writes, as on the demo's stations
RECEPTION: Final = "Bộ phận tiếp nhận (Sở NN&MT)" + SYNTHETIC_MARK
HOURLY_SPAN: Final = pd.Timedelta(days=42)  # older rounds: once a working day
ANY_UNIT: Final = "Đơn vị xử lý"
OUTCOMES: Final = ("resolved", "rejected", "transferred")
OUTCOME_SHARES: Final = (0.88, 0.06, 0.06)
NOTES: Final = {
    "assigned": "Giao đơn vị xử lý",
    "in_progress": "Đang xác minh",
    "resolved": "Đã xử lý xong, đã báo người phản ánh",
    "rejected": "Không thuộc thẩm quyền, đã trả lời",
    "transferred": "Chuyển đơn vị có thẩm quyền",
}
CASE_COLUMNS: Final = ("id", "status", "opened_at", "accept_due_at", "due_at", "priority", "unit_id", "unit_name",
                       "version", "last_at")  # fmt: skip


AFTER_PHOTO_NAME: Final = "anh-sau-xu-ly-mo-phong.png"


@dataclass(frozen=True)
class AfterPhotos:
    """Where the demo's SYNTHETIC "after" photo goes, and which categories need one to be resolved
    (``after_photo_required``), so the demo's units follow the rule people's units follow."""

    store: MediaStore
    limits: MediaLimits
    taxonomy: Taxonomy

    @classmethod
    def of(cls, context: ImportContext) -> AfterPhotos | None:
        """The import context's media store, limits and taxonomy (None when it stores no media)."""
        if context.media is None:
            return None
        return cls(context.media.store, context.media.limits, context.taxonomy)

    @property
    def categories(self) -> list[str]:
        """The category codes whose cases are resolved with an "after" photo."""
        return sorted(code for code, item in self.taxonomy.categories.items() if item.after_photo_required)


def synthetic_after_photo() -> bytes:
    """A small PNG plainly labelled as a SYNTHETIC demo photo (the same bytes every time: stored once)."""
    image = Image.new("RGB", (480, 320), (214, 228, 214))
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 471, 311), outline=(60, 110, 60), width=4)
    for row, line in enumerate(("DEMO - SYNTHETIC PHOTO", "anh mo phong: sau xu ly", "not a real site")):
        draw.text((40, 110 + 36 * row), line, fill=(30, 60, 30))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _attach_after_photos(conn: Connection, after: AfterPhotos, first_new_entry: int, at: pd.Timestamp) -> None:
    """Link the synthetic "after" photo to each demo resolve entry above ``first_new_entry`` whose category needs
    one (inside the caller's transaction; the photo is stored once and published when it commits)."""
    history, cases, attachments = CaseStatusChange.__table__, ComplaintCase.__table__, CaseAttachment.__table__
    entries = conn.execute(
        select(history.c.id, history.c.case_id, history.c.at, history.c.actor)
        .join(cases, cases.c.id == history.c.case_id)
        .where(
            history.c.id > first_new_entry,
            history.c.to_status == "resolved",
            history.c.actor.endswith(SYNTHETIC_MARK),
            cases.c.category_code.in_(after.categories),
            ~exists().where(attachments.c.history_id == history.c.id),
        )
    ).all()
    if not entries:
        return
    prepared = prepare(after.store, Upload(AFTER_PHOTO_NAME, synthetic_after_photo()), after.limits)
    try:
        stored = save(conn, prepared, now=at.to_pydatetime())
        conn.execute(
            insert(CaseAttachment),
            [{"case_id": entry.case_id, "history_id": entry.id, "sha256": stored.sha256,
              "original_name": AFTER_PHOTO_NAME, "purpose": "after", "uploaded_by": entry.actor[:100],
              "uploaded_at": entry.at, "is_public": False} for entry in entries],
        )  # fmt: skip
    except BaseException:
        prepared.discard()
        raise


@dataclass(frozen=True)
class CaseAction:
    """One handling step of a demo case, as written to its record."""

    case_id: int
    from_status: str
    to_status: str
    at: pd.Timestamp
    actor: str
    note: str
    unit_id: int | None


def _draws(seed: int, case_id: int) -> list[float]:
    """A case's own random numbers: fractions of its accept term (hand-over), of its resolve term (start) and of
    the time left to its deadline (close), then outcome and stubbornness."""
    rng = np.random.default_rng([seed, case_id])
    return [*rng.lognormal(np.log([0.25, 0.1, 0.6]), [0.6, 0.5, 0.35]), *rng.random(2)]


def _plans(cases: pd.DataFrame, policy: SlaPolicy, seed: int) -> pd.DataFrame:
    """Each case's plan: times of hand-over, start and close (UTC), outcome and stubbornness (0 = most)."""
    draws = np.array([_draws(seed, int(case_id)) for case_id in cases["id"]]).reshape(len(cases), 5)
    terms = {name: policy.terms(name) for name in cases["priority"].unique()}
    accept_term = cases["priority"].map({n: min(t.accept_hours, t.resolve_hours) for n, t in terms.items()})
    resolve_term = cases["priority"].map({n: t.resolve_hours for n, t in terms.items()}).to_numpy(dtype=float)
    accept_hours = accept_term.to_numpy(dtype=float) * draws[:, 0]
    start_hours = accept_hours + resolve_term * draws[:, 1]
    left = np.maximum(resolve_term - start_hours, 0.1 * resolve_term)
    close_hours = start_hours + left * np.minimum(draws[:, 2], 0.95)
    opened = pd.to_datetime(cases["opened_at"], utc=True)
    calendar = WorkingCalendar.covering(policy, opened, float(close_hours.max(initial=0.0)))
    outcome_index = np.searchsorted(np.cumsum(OUTCOME_SHARES), draws[:, 3] * sum(OUTCOME_SHARES), side="right")
    return pd.DataFrame(
        {
            "plan_accept": calendar.add_hours(opened, accept_hours).floor("s"),
            "plan_start": calendar.add_hours(opened, start_hours).floor("s"),
            "plan_close": calendar.add_hours(opened, close_hours).floor("s"),
            "outcome": np.asarray(OUTCOMES)[np.minimum(outcome_index, len(OUTCOMES) - 1)],
            "stubborn": draws[:, 4],
        },
        index=cases.index,
    )


def working_marks(policy: SlaPolicy, since: pd.Timestamp, until: pd.Timestamp) -> list[pd.Timestamp]:
    """When units close late cases in (since, until]: every working hour of the last :data:`HOURLY_SPAN`, and
    once a working day (at its last working hour) before that, where the rounds only write history."""
    first = since.floor("h") + pd.Timedelta(hours=1)
    if first > until:
        return []
    marks = pd.date_range(first, until, freq="h")
    calendar = WorkingCalendar.covering(policy, [since, until])
    working = calendar.working_seconds(marks) > calendar.working_seconds(marks - pd.Timedelta(minutes=1))
    marks = marks[working]
    local = marks.tz_convert(policy.timezone)
    day_end = pd.Series(local.hour, index=local).groupby(local.date).transform("max").to_numpy() == local.hour
    return list(marks[(marks > until - HOURLY_SPAN) | day_end])


def _is_working(policy: SlaPolicy, moment: pd.Timestamp) -> bool:
    calendar = WorkingCalendar.covering(policy, [moment])
    return bool(calendar.working_seconds([moment])[0] > calendar.working_seconds([moment - pd.Timedelta(minutes=1)])[0])


class _Book:
    """The open cases of :func:`run_rounds` as arrays, and the actions taken on them."""

    def __init__(self, cases: pd.DataFrame, policy: SlaPolicy, seed: int) -> None:
        plans = _plans(cases, policy, seed)
        self.ids = cases["id"].to_numpy(dtype="int64")
        self.unit_ids = [None if pd.isna(unit) else int(unit) for unit in cases["unit_id"]]
        self.units = (cases["unit_name"].fillna(ANY_UNIT).astype(str) + SYNTHETIC_MARK).to_numpy(dtype=object)
        self.status = cases["status"].to_numpy(dtype=object).copy()
        self.opened = _naive(cases["opened_at"])
        self.last = np.maximum(_naive(cases["last_at"].fillna(cases["opened_at"])), self.opened)
        self.accept_due = cases["accept_due_at"].to_numpy(dtype=object)
        self.due = cases["due_at"].to_numpy(dtype=object)
        self.due_values = _naive(cases["due_at"])
        self.plan_accept, self.plan_start = _naive(plans["plan_accept"]), _naive(plans["plan_start"])
        self.plan_close, self.outcome = _naive(plans["plan_close"]), plans["outcome"].to_numpy()
        self.stubborn = plans["stubborn"].to_numpy()
        self.timezone = policy.timezone
        self.actions: list[CaseAction] = []

    def step(self, rows: np.ndarray, to_status: np.ndarray | str, at: np.ndarray, actor: np.ndarray | str) -> None:
        """Move the cases ``rows`` to ``to_status`` at ``at`` (never before their last entry), by ``actor``."""
        for row in np.flatnonzero(rows):
            target = to_status if isinstance(to_status, str) else str(to_status[row])
            moment = max(at[row], self.last[row])
            who = actor if isinstance(actor, str) else str(actor[row])
            self.actions.append(
                CaseAction(int(self.ids[row]), self.status[row], target, pd.Timestamp(moment).tz_localize("UTC"), who,
                           NOTES[target], self.unit_ids[row])
            )  # fmt: skip
            self.status[row], self.last[row] = target, moment

    def overdue(self, rows: np.ndarray, moment: pd.Timestamp) -> np.ndarray:
        """Which of ``rows`` are overdue at ``moment`` (the one rule, :func:`data.sla.overdue_mask`)."""
        result = np.zeros(len(self.ids), dtype=bool)
        if rows.any():
            result[rows] = overdue_mask(self.status[rows], self.accept_due[rows], self.due[rows], moment)
        return result

    def round(self, moment: pd.Timestamp, working: bool) -> None:
        """The plan steps due by ``moment``; in working time, late cases beyond the kept share are closed."""
        now = moment.tz_convert("UTC").tz_localize(None).to_datetime64()
        active = (self.opened <= now) & ~np.isin(self.status, CLOSED_STATUSES)
        self.step(active & (self.status == "received") & (self.plan_accept <= now), "assigned", self.plan_accept,
                  RECEPTION)  # fmt: skip
        handed = active & np.isin(self.status, ("accepted", "assigned")) & (self.plan_start <= now)
        self.step(handed, "in_progress", self.plan_start, self.units)
        closable = active & (self.status == "in_progress") & (self.plan_close <= now)
        in_time = closable & (self.plan_close <= self.due_values) & (self.stubborn >= SLOW_SHARE)
        self.step(in_time, self.outcome, self.plan_close, self.units)
        late = self.overdue(closable & ~in_time, moment)
        if not working or not late.any():
            return
        active &= ~np.isin(self.status, CLOSED_STATUSES)
        overdue = self.overdue(active, moment)
        in_time = int((active & ~overdue).sum())
        week = int(((self.opened > now - WEEK.to_timedelta64()) & (self.opened <= now)).sum())
        wanted = max(
            round(TARGET_OVERDUE_SHARE / (1 - TARGET_OVERDUE_SHARE) * in_time), round(KEPT_PER_WEEKLY_CASE * week)
        )
        keep = wanted - int((overdue & ~late).sum())
        young = late.copy()
        if moment.tz_convert(self.timezone).hour >= CLEAR_OLD_FROM_HOUR:
            young &= self.opened > now - MAX_OPEN_AGE.to_timedelta64()
        young = np.flatnonzero(young)
        release = late.copy()
        release[young[np.argsort(self.stubborn[young], kind="stable")][: max(keep, 0)]] = False
        surplus = np.flatnonzero(release & np.isin(np.arange(len(self.ids)), young))
        release[surplus[np.argsort(-self.stubborn[surplus], kind="stable")][RELEASED_PER_ROUND:]] = False
        self.step(release, self.outcome, np.full(len(self.ids), now), self.units)


def run_rounds(
    cases: pd.DataFrame, times: Sequence[pd.Timestamp], policy: SlaPolicy, *, seed: int, until: pd.Timestamp
) -> list[CaseAction]:
    """The actions of rounds at the working ``times`` and at ``until`` (any hour) on the open ``cases``
    (``cases`` closed in the last week count for the share of late cases kept).

    ``cases`` has the columns of :data:`CASE_COLUMNS` (times UTC). Rounds at ``times`` may close late cases;
    the round at ``until`` does so only if it falls in working time.
    """
    if cases.empty:
        return []
    book = _Book(cases.reset_index(drop=True), policy, seed)
    for moment in times:
        if moment < until:
            book.round(moment, working=True)
    book.round(until, working=_is_working(policy, until))
    return book.actions


def load_demo_cases(engine: Engine, since: pd.Timestamp) -> pd.DataFrame:
    """The cases made only of demo reports (:data:`DEMO_SOURCE`) that are open or were opened in the week before
    ``since`` (the rounds count them), with their unit and last record time."""
    case, report, unit, history = (ComplaintCase.__table__, ComplaintReport.__table__, ResponsibleUnit.__table__,
                                   CaseStatusChange.__table__)  # fmt: skip
    has_case = report.c.case_id.is_not(None)
    last_at = select(func.max(history.c.at)).where(history.c.case_id == case.c.id).scalar_subquery()
    query = (
        select(
            case.c.id,
            case.c.status,
            case.c.opened_at,
            case.c.accept_due_at,
            case.c.due_at,
            case.c.priority,
            case.c.unit_id,
            unit.c.name,
            case.c.version,
            last_at,
        )  # fmt: skip
        .select_from(case.outerjoin(unit, case.c.unit_id == unit.c.id))
        .where(
            or_(case.c.status.not_in(CLOSED_STATUSES), case.c.opened_at > (since - WEEK).to_pydatetime()),
            case.c.id.in_(select(report.c.case_id).where(report.c.source == DEMO_SOURCE)),
            case.c.id.not_in(select(report.c.case_id).where(report.c.source != DEMO_SOURCE, has_case)),
        )
        .order_by(case.c.id)
    )
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).all(), columns=list(CASE_COLUMNS))
    for column in ("opened_at", "accept_due_at", "due_at", "last_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def record_actions(
    engine: Engine, cases: pd.DataFrame, actions: Sequence[CaseAction], after: AfterPhotos | None = None
) -> int:
    """Write ``actions`` to the cases' records and statuses, one transaction; returns the actions written.

    A case someone acted on since ``cases`` was read (its ``version`` moved on) is left alone: nothing of its
    actions is written, as for a person whose action comes second (:mod:`data.case_actions`). With ``after``,
    each resolve of a category that needs an "after" photo carries the synthetic one.
    """
    if not actions:
        return 0
    table = ComplaintCase.__table__
    versions = dict(zip(cases["id"].astype(int), cases["version"].astype(int), strict=True))
    by_case: dict[int, list[CaseAction]] = {}
    for action in actions:
        by_case.setdefault(action.case_id, []).append(action)
    claim = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
        .values(
            version=table.c.version + 1,
            status=bindparam("b_status"),
            accepted_at=func.coalesce(table.c.accepted_at, bindparam("b_accepted")),
            resolved_at=bindparam("b_resolved"),
        )  # fmt: skip
    )
    history = []
    with engine.begin() as conn:
        first_new_entry = conn.scalar(select(func.max(CaseStatusChange.id))) or 0
        for case_id, steps in by_case.items():
            handed = next((s.at for s in steps if s.from_status == "received"), None)
            final = steps[-1]
            values = {
                "b_id": case_id,
                "b_version": versions[case_id],
                "b_status": final.to_status,
                "b_accepted": None if handed is None else handed.to_pydatetime(),
                "b_resolved": final.at.to_pydatetime() if final.to_status in CLOSED_STATUSES else None,
            }
            if conn.execute(claim, values).rowcount != 1:
                continue
            history += [
                {"case_id": s.case_id, "from_status": s.from_status, "to_status": s.to_status,
                 "at": s.at.to_pydatetime(), "actor": s.actor, "note": s.note, "unit_id": s.unit_id}
                for s in steps
            ]  # fmt: skip
        if history:
            conn.execute(insert(CaseStatusChange), history)
            if after is not None:
                _attach_after_photos(conn, after, first_new_entry, max(action.at for action in actions))
    return len(history)


def last_demo_activity(engine: Engine) -> pd.Timestamp | None:
    """The latest demo report or record entry of a demo case (UTC); None without demo data."""
    report, history = ComplaintReport.__table__, CaseStatusChange.__table__
    demo_cases = select(report.c.case_id).where(report.c.source == DEMO_SOURCE)
    with engine.connect() as conn:
        reported = conn.scalar(select(func.max(report.c.reported_at)).where(report.c.source == DEMO_SOURCE))
        handled = conn.scalar(select(func.max(history.c.at)).where(history.c.case_id.in_(demo_cases)))
    moments = [_utc(moment) for moment in (reported, handled) if moment is not None]
    return max(moments) if moments else None


def _naive(times: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Aware times as naive UTC ``datetime64`` values (fast to compare in the rounds)."""
    return pd.DatetimeIndex(pd.to_datetime(times, utc=True)).tz_localize(None).to_numpy()


def _utc(moment: object) -> pd.Timestamp:
    """A stored time as an aware UTC timestamp (SQLite returns naive UTC)."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def advance_open_cases(
    engine: Engine,
    until: pd.Timestamp,
    policy: SlaPolicy,
    *,
    seed: int,
    since: pd.Timestamp | None = None,
    after: AfterPhotos | None = None,
) -> int:
    """Let the units work the open demo cases from ``since`` (default: the last demo activity) up to ``until``
    (resolving with the synthetic "after" photo where ``after`` says a category needs one).

    Returns the number of record entries written.
    """
    start = since if since is not None else last_demo_activity(engine) or until
    cases = load_demo_cases(engine, start)
    actions = run_rounds(cases, working_marks(policy, start, until), policy, seed=seed, until=until)
    return record_actions(engine, cases, actions, after)
