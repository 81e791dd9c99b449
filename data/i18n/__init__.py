"""Every user-facing string in Vietnamese (default) and English, for every surface (pages, CLI, site, alerts).

The catalogue is split by area (``strings_*.py``) so that each area keeps its own file; :data:`STRINGS` is their
union and a key may be defined once only. Placeholders use ``str.format`` names.
"""

from __future__ import annotations

from data.i18n import (
    strings_access,
    strings_alerts,
    strings_api,
    strings_casepages,
    strings_cases,
    strings_casework,
    strings_core,
    strings_intake,
    strings_media,
    strings_public,
    strings_scorecard,
)

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}


def _merge(*catalogues: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for catalogue in catalogues:
        clash = merged.keys() & catalogue.keys()
        if clash:
            raise ValueError(f"i18n keys defined twice: {sorted(clash)}")
        merged.update(catalogue)
    return merged


STRINGS: dict[str, tuple[str, str]] = _merge(
    strings_core.STRINGS,
    strings_access.STRINGS,
    strings_alerts.STRINGS,
    strings_cases.STRINGS,
    strings_casepages.STRINGS,
    strings_casework.STRINGS,
    strings_scorecard.STRINGS,
    strings_intake.STRINGS,
    strings_media.STRINGS,
    strings_public.STRINGS,
    strings_api.STRINGS,
)


def translate(key: str, language: str, **values: object) -> str:
    """The string ``key`` in ``language`` with ``values`` filled in; KeyError for an unknown key."""
    vietnamese, english = STRINGS[key]
    text = vietnamese if language == "vi" else english
    return text.format(**values) if values else text


def label_in(group: str, code: object, language: str) -> str:
    """A display label for a data code (status, role…) in ``language``: ``group.code`` when known, else the code."""
    key = f"{group}.{code}"
    return translate(key, language) if key in STRINGS else str(code)
