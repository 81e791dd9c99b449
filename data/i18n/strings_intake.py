"""Imports, quarantine reasons, exports and feed status: key -> (Vietnamese, English)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {}
