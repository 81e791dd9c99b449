"""What the leaders' overview draws, built once and shared: its tables formatted per minute, language and data
version (``loaders.shared_view``), and which overview runs prefetch.

They live in a module, not in the page script: a page script runs again on every page run, and each run of a
cached function's decorator reads the function's source to key its cache.
"""

from __future__ import annotations

import datetime as dt

from dashboard import components, loaders
from dashboard.i18n import label, t
from data.alert_states import ACTIVE_STATES
from data.alert_text import describe_frame
from data.case_filter import CaseFilter


@loaders.shared_view(ttl=loaders.SHORT_TTL)
def spot_view(
    set_name: str, now: dt.datetime, language: str, version: tuple[int, ...]
) -> tuple[components.TableView, int]:
    """The recurring-spot table as shown and how many spots there are in all, once per minute, language and data
    version (they only select the cached answer)."""
    spots, total = components.spot_summary(set_name)
    return components.table_view(spots, ["ward", "cases", "categories", "first_report", "last_report", "active"]), total


@loaders.shared_view(ttl=loaders.SHORT_TTL)
def overdue_units_view(flt: CaseFilter, now: dt.datetime, language: str) -> components.TableView:
    """Overdue cases per responsible unit as the table shows them (units with none left out), formatted once per
    minute and language (``language`` only selects the cached answer)."""
    by_unit = loaders.overdue_by_unit(flt, now)
    by_unit = by_unit[by_unit["overdue"] > 0]
    table = by_unit.assign(unit=[u or t("overview.unassigned") for u in by_unit["unit"]])
    return components.table_view(
        table, ["unit", "overdue", "oldest_days_overdue"], decimals={"oldest_days_overdue": 1}, pinned="unit"
    )


@loaders.shared_view(ttl=loaders.SHORT_TTL)
def overdue_cases_view(flt: CaseFilter, now: dt.datetime, language: str) -> components.TableView:
    """The overdue cases as the table shows them, formatted once per minute and language (thousands of rows at
    city scale: formatting their cells was the largest part of a leader's overview run)."""
    cases = loaders.overdue_cases(flt, now)
    names = loaders.category_names(language)
    view = cases.assign(
        unit=[u or t("overview.unassigned") for u in cases["unit"]],
        category_code=[names[c] for c in cases["category_code"]],
        status=[label("status", s) for s in cases["status"]],
        due_at=components.local_time_texts(cases["due_at"]),
        corroborated_by=components.corroboration_column(cases["id"]),
    )
    return components.table_view(
        view,
        [
            "id",
            "unit",
            "ward_name",
            "category_code",
            "status",
            "due_at",
            "days_overdue",
            "age_days",
            "title",
            "corroborated_by",
        ],
        decimals={"days_overdue": 1, "age_days": 1},
        case_links=True,
    )


@loaders.shared_view(ttl=loaders.LONG_TTL)
def hotspot_view(
    flt: CaseFilter, set_name: str, metric: str, language: str, version: tuple[int, ...]
) -> components.TableView | None:
    """The hot wards as the table shows them (None: too few wards), formatted once per metric, language and
    complaint data version (``language`` and ``version`` only select the cached answer)."""
    classes = loaders.hotspots(flt, set_name, metric == "rate")
    if classes is None:
        return None
    hot = classes[classes["class"].str.startswith("hot")]
    wards = loaders.ward_choices(set_name)[["code", "name", "district"]]  # no polygons to copy
    table = hot.merge(wards, left_on="ward_code", right_on="code").sort_values("z", ascending=False)
    table = table.assign(label=[t(f"hotspot.{c}") for c in table["class"]])
    return components.table_view(
        table,
        ["name", "district", "value", "z", "q", "label"],
        decimals={"value": 2 if metric == "rate" else 0, "z": 2, "q": 3},
    )


@loaders.shared_view(ttl=loaders.SHORT_TTL)
def alerts_view(now: dt.datetime, language: str) -> components.TableView:
    """The firing alerts as the table shows them, once per minute and language (the alerts are read at most once
    a minute too, ``loaders.alerts``)."""
    firing = loaders.alerts(ACTIVE_STATES, None)
    names = loaders.stations(None, "vn", now).set_index("id")["name"].to_dict()
    described = describe_frame(firing, language, now=now, timezone=loaders.settings().timezone)
    view = firing.assign(
        subject=[
            components.alert_subject_text(s, lb, names)
            for s, lb in zip(firing["subject"], firing["labels"], strict=True)
        ],
        state=[label("alert_state", s) for s in firing["state"]],
        state_since=components.local_time_texts(firing["state_since"]),
        # in the page's language and formatted as on the alerts page (the stored message is the evaluation's)
        message=described["what"].to_numpy(),
    )
    return components.table_view(view, ["subject", "state", "state_since", "message"], pinned="subject")


_PREFETCHED: dict[tuple[CaseFilter, str], dt.datetime] = {}  # (filter, language) -> minute of the last prefetch


def first_run_this_minute(flt: CaseFilter, now: dt.datetime, language: str) -> bool:
    """True for this process's first overview run of ``flt`` in minute ``now`` and ``language`` (it then
    prefetches)."""
    first = _PREFETCHED.get((flt, language)) != now
    _PREFETCHED[(flt, language)] = now
    return first
