"""Resolve a Hà Nội ward from free address text by name, including pre-2025 ward names via the crosswalk.

Addresses are normalised (lower case, diacritics and "đ" folded, abbreviations such as "P.", "Q.", "TP", "H."
expanded) and searched for "phuong <name>", "xa <name>" or "thi tran <name>". A 2025 ward name wins; an old
(pre-July-2025) ward name maps to its default new ward. An old name shared by several former districts is
resolved only when the text also names the district.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

_ABBREVIATIONS = (
    (re.compile(r"\btp\s*\.\s*|\btp\b\s*"), "thanh pho "),
    (re.compile(r"\btt\s*\.\s*"), "thi tran "),
    (re.compile(r"\btx\s*\.\s*|\btx\b\s*"), "thi xa "),
    (re.compile(r"\bp\s*\.\s*"), "phuong "),
    (re.compile(r"\bq\s*\.\s*"), "quan "),
    (re.compile(r"\bh\s*\.\s*"), "huyen "),
    (re.compile(r"\bx\s*\.\s*"), "xa "),
)


class _NonSpacingMarks(dict[int, int | None]):
    """``str.translate`` table deleting non-spacing marks (category Mn), filled per code point on first use."""

    def __missing__(self, code: int) -> int | None:
        mapped = None if unicodedata.category(chr(code)) == "Mn" else code
        self[code] = mapped
        return mapped


_DROP_MARKS = _NonSpacingMarks()
_NOT_KEPT = re.compile(r"[^a-z0-9.]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics; punctuation other than '.' becomes a space."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    return _SPACES.sub(" ", _NOT_KEPT.sub(" ", decomposed.translate(_DROP_MARKS))).strip()


def normalise_address(text: str) -> str:
    """Folded address, administrative abbreviations expanded (``"P.Hàng Bạc"`` -> ``"phuong hang bac"``)."""
    folded = fold(text)
    if "." not in folded and "tp" not in folded and "tx" not in folded:
        return folded  # no abbreviation: every one has a dot or is "tp" / "tx"; fold already spaced it
    for pattern, replacement in _ABBREVIATIONS:
        folded = pattern.sub(replacement, folded)
    return re.sub(r"\s+", " ", folded.replace(".", " ")).strip()


def _unit_key(full_name: str) -> str:
    """``"Phường Ba Đình"`` -> ``"phuong ba dinh"`` (unit word kept, so street names do not match)."""
    return normalise_address(full_name)


@dataclass(frozen=True)
class _Target:
    code: str
    name: str
    era: str  # "2025" or "pre2025"


class WardNameResolver:
    """Finds the 2025 ward named in an address.

    Parameters
    ----------
    new_wards
        Columns ``ward_code``, ``ward_name`` (full, e.g. "Phường Ba Đình"): the 2025 wards.
    old_wards
        Columns ``ward_code``, ``ward_name``, ``district_name``: the pre-2025 wards.
    crosswalk
        Columns ``old_ward_code``, ``new_ward_code``, ``is_default_new_ward``: old -> new wards.
    """

    def __init__(self, new_wards: pd.DataFrame, old_wards: pd.DataFrame, crosswalk: pd.DataFrame) -> None:
        names = dict(zip(new_wards["ward_code"], new_wards["ward_name"], strict=True))
        self._new: dict[str, _Target] = {_unit_key(name): _Target(code, name, "2025") for code, name in names.items()}
        defaults = crosswalk[crosswalk["is_default_new_ward"].astype(str) == "1"]
        new_of_old = dict(zip(defaults["old_ward_code"], defaults["new_ward_code"], strict=True))
        self._old: dict[str, list[tuple[str, _Target]]] = {}
        for row in old_wards.itertuples(index=False):
            new_code = new_of_old.get(row.ward_code)
            if new_code is None or new_code not in names:
                continue
            target = _Target(new_code, names[new_code], "pre2025")
            district = normalise_address(row.district_name)
            self._old.setdefault(_unit_key(row.ward_name), []).append((district, target))
        self._keys = set(self._new) | set(self._old)
        self._lengths: dict[str, list[int]] = {}  # key lengths per first word (the unit word), longest first
        for key in sorted(self._keys, key=len, reverse=True):
            lengths = self._lengths.setdefault(key.split(" ", 1)[0], [])
            if len(key) not in lengths:
                lengths.append(len(key))
        self._unit_words = re.compile(r"\b(" + "|".join(re.escape(word) for word in self._lengths) + r")\b")

    @classmethod
    def from_reference_dir(cls, reference_dir: Path) -> WardNameResolver:
        """Build from the shipped CSVs in ``data/reference/``."""

        def read(name: str) -> pd.DataFrame:
            return pd.read_csv(reference_dir / name, dtype=str, encoding="utf-8")

        return cls(
            read("hanoi_wards_2025.csv"),
            read("hanoi_wards_pre2025_gso.csv"),
            read("hanoi_ward_mapping_pre2025_to_2025.csv"),
        )

    def resolve_one(self, address: str) -> _Target | None:
        """The ward named in one address, or None."""
        text = normalise_address(address or "")
        old_hit: _Target | None = None
        for key in self._named_units(text):
            if key in self._new:
                return self._new[key]
            if old_hit is None:
                old_hit = self._pick_old(key, text)
        return old_hit

    def _named_units(self, text: str) -> Iterator[str]:
        """Unit names in a normalised address, left to right, the longest at each place, not overlapping.

        A normalised address holds only ``[a-z0-9 ]``: a name is whole when a space or the text's end follows.
        """
        position = 0
        while start := self._unit_words.search(text, position):
            position = start.start() + 1
            for length in self._lengths[start.group(1)]:
                end = start.start() + length
                if text[start.start() : end] in self._keys and text[end : end + 1] in ("", " "):
                    yield text[start.start() : end]
                    position = end
                    break

    def _pick_old(self, key: str, text: str) -> _Target | None:
        candidates = self._old.get(key, [])
        in_district = [target for district, target in candidates if district and district in text]
        if len(in_district) == 1:
            return in_district[0]
        distinct = {target.code for _, target in candidates}
        return candidates[0][1] if len(distinct) == 1 else None

    def resolve(self, addresses: Sequence[str | None]) -> pd.DataFrame:
        """Ward per address: columns ``ward_code``, ``ward_name``, ``era`` (None where nothing matched)."""
        series = pd.Series(list(addresses), dtype=object).fillna("")
        unique = {text: self.resolve_one(text) for text in series.unique()}
        hits = series.map(unique)
        return pd.DataFrame(
            {
                "ward_code": hits.map(lambda hit: hit.code if hit else None),
                "ward_name": hits.map(lambda hit: hit.name if hit else None),
                "era": hits.map(lambda hit: hit.era if hit else None),
            }
        )
