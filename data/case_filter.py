"""The one case filter: what a leader, an analyst or an export asks for, as SQL conditions on complaint cases.

Pages, the CLI export and the views all filter cases with :class:`CaseFilter`; a report export contains the
reports of the matching cases. :func:`place_filter` turns a former district or ward typed by a person (with or
without accents and unit word, or a ward code) into the stored values the filter matches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Engine, and_, exists, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from data.config import DEFAULT_TIMEZONE
from data.schema import ComplaintCase, ComplaintReport
from geo.address import fold

_UNIT_WORDS = ("quan ", "huyen ", "thi xa ", "phuong ", "xa ", "thi tran ")


@dataclass(frozen=True)
class CaseFilter:
    """What to select; frozen and hashable so it can key ``st.cache_data``.

    Empty tuples mean "all". Dates are calendar days in ``timezone`` (``Settings.timezone``) of the case's
    opening, both ends included.
    """

    set_name: str | None = None
    districts: tuple[str, ...] = ()
    ward_codes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None
    timezone: str = DEFAULT_TIMEZONE

    def conditions(self) -> list[ColumnElement[bool]]:
        """The filter as SQL conditions on ``complaint_cases``."""
        conditions: list[ColumnElement[bool]] = []
        if self.set_name:
            conditions.append(ComplaintCase.set_name == self.set_name)
        if self.districts:
            conditions.append(ComplaintCase.district.in_(self.districts))
        if self.ward_codes:
            conditions.append(ComplaintCase.ward_code.in_(self.ward_codes))
        if self.categories:
            conditions.append(ComplaintCase.category_code.in_(self.categories))
        if self.statuses:
            conditions.append(ComplaintCase.status.in_(self.statuses))
        if self.opened_from:
            conditions.append(ComplaintCase.opened_at >= local_midnight_utc(self.opened_from, self.timezone))
        if self.opened_to:
            end = local_midnight_utc(self.opened_to + dt.timedelta(days=1), self.timezone)
            conditions.append(ComplaintCase.opened_at < end)
        if self.channels:
            report = aliased(ComplaintReport)  # an alias, so queries already joining reports still correlate right
            conditions.append(exists().where(report.case_id == ComplaintCase.id, report.channel.in_(self.channels)))
        return conditions

    def apply(self, stmt: Select) -> Select:  # type: ignore[type-arg]
        """``stmt`` restricted to the matching cases (``stmt`` must select from or join ``complaint_cases``)."""
        conditions = self.conditions()
        return stmt.where(and_(*conditions)) if conditions else stmt


def local_midnight_utc(day: dt.date, timezone: str = DEFAULT_TIMEZONE) -> dt.datetime:
    """00:00 of ``day`` in ``timezone`` as a UTC datetime."""
    return dt.datetime.combine(day, dt.time(), ZoneInfo(timezone)).astimezone(dt.UTC)


def _name_key(text: str) -> str:
    """Folded text without a leading unit word: "Quận Hoàn Kiếm" and "hoan kiem" give the same key."""
    folded = fold(text)
    for prefix in _UNIT_WORDS:
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


def place_filter(engine: Engine, *, district: str | None = None, ward: str | None = None) -> dict[str, tuple[str, ...]]:
    """``districts`` and ``ward_codes`` for a :class:`CaseFilter` from names typed by a person.

    A former district matches by name; a ward by code or name. A name that matches nothing stays in the
    filter as typed, so it selects nothing (never everything).
    """
    place: dict[str, tuple[str, ...]] = {}
    with engine.connect() as conn:
        if district:
            stored = conn.execute(select(ComplaintCase.district).distinct()).scalars()
            place["districts"] = tuple(d for d in stored if d and _name_key(d) == _name_key(district)) or (district,)
        if ward:
            rows = conn.execute(select(ComplaintCase.ward_code, ComplaintCase.ward_name).distinct()).all()
            codes = {code for code, name in rows if code and (code == ward or _name_key(name or "") == _name_key(ward))}
            place["ward_codes"] = tuple(sorted(codes)) or (ward,)
    return place
