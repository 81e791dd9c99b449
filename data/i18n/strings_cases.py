"""Case work: unit queues, case page, actions, scorecards, public results: key -> (Vietnamese, English)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {}
