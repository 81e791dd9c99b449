"""Complaint category taxonomy (Vietnamese, with codes) and the mapping from each source's own categories."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo.address import fold

CATEGORIES_FILE = Path(__file__).resolve().parent / "config" / "categories.toml"
OTHER = "other"


@dataclass(frozen=True)
class Category:
    """One category of the taxonomy."""

    code: str
    name_vi: str
    name_en: str
    priority: str
    after_photo_required: bool = False  # resolving a case needs at least one "after" photo


@dataclass(frozen=True)
class Taxonomy:
    """Categories plus per-source exact mappings and keyword fallbacks (``data/config/categories.toml``)."""

    categories: dict[str, Category]
    mappings: dict[str, dict[str, str]]
    keywords: tuple[tuple[str, tuple[str, ...]], ...]

    def classify_one(self, profile: str, category: str | None, description: str | None) -> str:
        """Category code for one report: exact mapping, then keywords on the category, then on the text."""
        folded = fold(category or "")
        exact = self.mappings.get(profile, {}).get(folded)
        if exact is None:
            exact = next((m[folded] for m in self.mappings.values() if folded in m), None)
        if exact is not None:
            return exact
        for text in (folded, fold(description or "") if not folded else ""):
            padded = f" {text} "
            for code, words in self.keywords:
                if any(f" {word} " in padded for word in words):
                    return code
        return OTHER

    def classify(self, profile: str, categories: pd.Series, descriptions: pd.Series) -> pd.Series:
        """Category codes for many reports (each distinct category, or text when it has none, classified once)."""
        pairs = pd.DataFrame({"category": categories, "description": descriptions}).astype(object)
        pairs = pairs.where(pairs.notna(), None)
        keys = [
            (category, None if category else description)
            for category, description in zip(pairs["category"], pairs["description"], strict=True)
        ]
        cache = {key: self.classify_one(profile, *key) for key in set(keys)}
        return pd.Series([cache[key] for key in keys], index=categories.index, dtype=object)

    def name(self, code: str, language: str = "vi") -> str:
        """Display name of a category code."""
        category = self.categories.get(code) or self.categories[OTHER]
        return category.name_vi if language == "vi" else category.name_en

    def names(self, language: str = "vi") -> CategoryNames:
        """Every category's display name in ``language``, by code (an unknown code reads as "other")."""
        return CategoryNames({code: self.name(code, language) for code in self.categories}, self.name(OTHER, language))


class CategoryNames(dict[str, str]):
    """Category code → display name; ``names[code]`` of a code the taxonomy lacks (a category removed since the
    case was stored) is the name of "other", never the raw code."""

    def __init__(self, names: dict[str, str], other: str) -> None:
        super().__init__(names)
        self.other = other

    def __missing__(self, code: str) -> str:
        return self.other


def load_taxonomy(path: Path = CATEGORIES_FILE) -> Taxonomy:
    """Read the taxonomy TOML; a mapping to an unknown code is a clear error."""
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    categories = {
        code: Category(
            code,
            entry["name_vi"],
            entry["name_en"],
            entry.get("priority", "normal"),
            bool(entry.get("after_photo_required", False)),
        )
        for code, entry in raw["categories"].items()
    }
    mappings = {
        profile: {fold(source): code for source, code in entries.items()}
        for profile, entries in raw.get("mapping", {}).items()
    }
    keywords = tuple((rule["code"], tuple(rule["words"])) for rule in raw.get("keywords", []))
    used = {code for entries in mappings.values() for code in entries.values()} | {code for code, _ in keywords}
    unknown = sorted(used - set(categories))
    if unknown or OTHER not in categories:
        msg = f"{path}: mapping to unknown category codes {unknown} (or no '{OTHER}' category)"
        raise ValueError(msg)
    return Taxonomy(categories, mappings, keywords)
