"""Frames of complaint cases kept current between alert evaluations, re-reading only the cases that changed.

The poller evaluates every few minutes while complaints change a few cases at a time (new reports, status
changes). A :class:`CaseFrameMemo` reads its cases in full once per database, then on each change of the
:class:`data.case_changes.ChangeMarks` re-reads only the cases added or touched since
(:func:`data.case_changes.cases_changed_since`) and replaces their rows. It reads everything again when many
cases changed, when a row committed late below an id already seen, or when asked for another selection (key).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from data.case_changes import ChangeMarks, cases_changed_since, change_marks

MAX_CHANGED = 2000  # more changed cases than this: one full read is cheaper than a long id list


@dataclass(frozen=True)
class CaseFrame:
    """The current cases, and which case ids changed since the previous call (None: read in full)."""

    cases: pd.DataFrame
    changed: frozenset[int] | None


@dataclass
class _Held:
    key: Hashable
    marks: ChangeMarks
    cases: pd.DataFrame


class CaseFrameMemo:
    """The cases ``load(engine, ids=…, **load_args)`` reads, per database (engine object), kept current.

    ``load`` reads every case of its selection when ``ids`` is None, else only those of ``ids`` that belong to
    it (a case that left the selection, e.g. was closed, is then dropped). Frames have an ``id`` column.
    """

    def __init__(self, load: Callable[..., pd.DataFrame]) -> None:
        self._load = load
        self._held: weakref.WeakKeyDictionary[Engine, _Held] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def current(self, engine: Engine, key: Hashable = None, **load_args: object) -> CaseFrame:
        """The cases now; ``key`` names the selection ``load_args`` make (another key: read in full)."""
        with self._lock:
            marks = change_marks(engine)
            held = self._held.get(engine)
            if held is not None and held.key == key and held.marks == marks:
                return CaseFrame(held.cases, frozenset())
            changed = None
            if held is not None and held.key == key:
                changed = cases_changed_since(engine, held.marks, marks)
            if held is None or changed is None or len(changed) > MAX_CHANGED:
                self._held[engine] = _Held(key, marks, self._load(engine, ids=None, **load_args))
                return CaseFrame(self._held[engine].cases, None)
            fresh = self._load(engine, ids=changed, **load_args)
            kept = held.cases[~held.cases["id"].isin(changed)]
            parts = [frame for frame in (kept, fresh) if len(frame)] or [kept]
            held.cases = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
            held.marks = marks
            return CaseFrame(held.cases, frozenset(changed))

    def clear(self) -> None:
        """Forget every frame (the next call reads in full)."""
        with self._lock:
            self._held.clear()
