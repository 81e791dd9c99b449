"""Recurring spots kept current as complaint cases change: searched again only where cases changed.

:func:`geo.spots.spot_regions` splits the searched cases into regions that no spot spans. After a change, the
regions holding a changed case (at its old or its new place) are labelled again (:func:`geo.spots.label_spots`)
and every other region keeps its spots, so the result is the spots :func:`geo.spots.find_spots` finds among the
same cases (spot ids aside) at a fraction of its cost.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from geo.spots import SPOT_COLUMNS, label_spots, spot_regions, summarize_spots

_MISSING = "\x00missing"  # stands for a missing value when comparing rows (missing equals missing)


@dataclass
class _Found:
    start: dt.datetime  # lookback start of the searched cases
    points: pd.DataFrame  # the searched cases (an ``id`` column)
    labels: np.ndarray  # spot label of each point, -1 outside every spot
    spots: pd.DataFrame  # one row per spot, ``spot_id`` = its label


class SpotMemo:
    """The spots among the searched cases, per database (engine object); callers serialise the calls."""

    def __init__(self) -> None:
        self._found: weakref.WeakKeyDictionary[Engine, _Found] = weakref.WeakKeyDictionary()

    def spots(
        self,
        engine: Engine,
        points: pd.DataFrame,
        changed: Collection[int] | None,
        start: dt.datetime,
        now: dt.datetime,
    ) -> pd.DataFrame:
        """The spots among ``points`` (cases opened since ``start``, the search's lookback start).

        ``changed`` are the ids of the cases that changed since the previous call for this database (None:
        unknown, search everything again; so does a new ``start``).
        """
        found = self._found.get(engine)
        if found is None or changed is None or found.start != start:
            labels = label_spots(points)
            found = _Found(start, points, labels, summarize_spots(points, labels, now))
        else:
            found = _update(found, points, changed, now)
        self._found[engine] = found
        return found.spots


def _update(found: _Found, points: pd.DataFrame, changed: Collection[int], now: dt.datetime) -> _Found:
    """``found`` after the cases ``changed`` changed and ``points`` is the new selection."""
    old_ids, new_ids = found.points["id"].to_numpy(), points["id"].to_numpy()
    changed_ids = np.fromiter(changed, dtype=np.int64, count=len(changed))
    dirty = _moved(found.points, points, changed_ids)
    unchanged_old, unchanged_new = old_ids[~np.isin(old_ids, changed_ids)], new_ids[~np.isin(new_ids, changed_ids)]
    if len(unchanged_old) != len(unchanged_new) or (unchanged_old != unchanged_new).any():
        # the clock moved unchanged cases into or out of the search (frames keep their order otherwise)
        entered_or_left = np.setxor1d(unchanged_old, unchanged_new, assume_unique=True)
        dirty = np.concatenate([dirty, entered_or_left])
    old_labels = pd.Series(found.labels, index=old_ids)  # re-read cases sit at the end of ``points`` now
    if len(dirty) == 0:
        return _Found(found.start, points, old_labels.reindex(new_ids).to_numpy(), found.spots)
    before = found.points[found.points["id"].isin(dirty)]  # the changed cases at their old places
    regions = spot_regions(pd.concat([points, before], ignore_index=True))
    dirty_regions = np.unique(regions[np.isin(np.concatenate([new_ids, before["id"].to_numpy()]), dirty)])
    again = np.isin(regions[: len(points)], dirty_regions)
    labels = np.full(len(points), -1, dtype=np.int64)
    labels[~again] = old_labels.reindex(new_ids[~again]).to_numpy()
    part = points[again]
    part_labels = label_spots(part)
    first_new = int(found.labels.max(initial=-1)) + 1
    labels[again] = np.where(part_labels >= 0, part_labels + first_new, -1)
    kept = found.spots[found.spots["spot_id"].isin(np.unique(labels[~again]))]
    parts = [frame for frame in (kept, summarize_spots(part, labels[again], now)) if len(frame)]
    spots = (
        pd.concat(parts, ignore_index=True).sort_values(["count", "last_report"], ascending=False, ignore_index=True)
        if parts
        else pd.DataFrame(columns=list(SPOT_COLUMNS))
    )
    return _Found(found.start, points, labels, spots)


def _moved(before: pd.DataFrame, after: pd.DataFrame, changed: np.ndarray) -> np.ndarray:
    """The ``changed`` ids whose search columns differ (a status change alone moves no spot)."""
    old = before[before["id"].isin(changed)].set_index("id")
    new = after[after["id"].isin(changed)].set_index("id")
    both = old.index.intersection(new.index)
    columns = [name for name in after.columns if name != "id"]
    left, right = (frame.loc[both, columns].astype(object).fillna(_MISSING) for frame in (old, new))
    same = (left == right).all(axis=1)
    return np.setdiff1d(changed, both[same.to_numpy()].to_numpy())
