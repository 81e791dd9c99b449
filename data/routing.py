"""Routing of cases to responsible units: ward + category -> unit, from the editable ``routing.csv`` table.

Rule precedence (most specific wins): ward and category, category only (city-wide bodies such as URENCO),
ward only (the ward People's Committee), then the catch-all rule with neither.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select, update

from data.config import PACKAGE_CONFIG_DIR
from data.schema import ResponsibleUnit, RoutingRule

ROUTING_FILE = PACKAGE_CONFIG_DIR / "routing.csv"
_COLUMNS = ("unit_code", "unit_name", "unit_kind", "contact", "ward_code", "category_code")


def read_routing_table(path: Path = ROUTING_FILE) -> list[dict[str, str]]:
    """Rows of a routing CSV (UTF-8; ``unit_code,unit_name,unit_kind,contact,ward_code,category_code``)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in _COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            msg = f"{path}: missing columns {missing}"
            raise ValueError(msg)
        rows = []
        for number, row in enumerate(reader, start=2):
            if not (row["unit_code"] or "").strip() or not (row["unit_name"] or "").strip():
                msg = f"{path}: row {number}: unit_code and unit_name are required"
                raise ValueError(msg)
            rows.append({column: (row[column] or "").strip() for column in _COLUMNS})
    return rows


def seed_routing(engine: Engine, path: Path = ROUTING_FILE) -> dict[str, int]:
    """Load the routing table into ``responsible_units`` and ``routing_rules`` (idempotent; rules replaced).

    Existing units keep their ids (cases refer to them); their names, kinds and contacts are updated.
    """
    rows = read_routing_table(path)
    units = {row["unit_code"]: row for row in rows}
    with engine.begin() as conn:
        existing = dict(conn.execute(select(ResponsibleUnit.code, ResponsibleUnit.id)).all())
        new_units = [
            {"code": code, "name": row["unit_name"], "kind": row["unit_kind"], "contact": row["contact"]}
            for code, row in units.items()
            if code not in existing
        ]
        if new_units:
            conn.execute(insert(ResponsibleUnit), new_units)
        for code, row in units.items():
            if code in existing:
                conn.execute(
                    update(ResponsibleUnit)
                    .where(ResponsibleUnit.id == existing[code])
                    .values(name=row["unit_name"], kind=row["unit_kind"], contact=row["contact"])
                )
        ids = dict(conn.execute(select(ResponsibleUnit.code, ResponsibleUnit.id)).all())
        conn.execute(delete(RoutingRule))
        conn.execute(
            insert(RoutingRule),
            [
                {
                    "ward_code": row["ward_code"] or None,
                    "category_code": row["category_code"] or None,
                    "unit_id": ids[row["unit_code"]],
                }
                for row in rows
            ],
        )
    return {"units": len(units), "rules": len(rows)}


@dataclass(frozen=True)
class Router:
    """Routing rules held in memory for vectorised lookups."""

    exact: dict[tuple[str, str], int]
    by_category: dict[str, int]
    by_ward: dict[str, int]
    fallback: int | None

    @classmethod
    def load(cls, conn: Connection) -> Router:
        """Read the rules from the database."""
        exact: dict[tuple[str, str], int] = {}
        by_category: dict[str, int] = {}
        by_ward: dict[str, int] = {}
        fallback = None
        rows = conn.execute(select(RoutingRule.ward_code, RoutingRule.category_code, RoutingRule.unit_id))
        for ward, category, unit in rows:
            if ward and category:
                exact[(ward, category)] = unit
            elif category:
                by_category[category] = unit
            elif ward:
                by_ward[ward] = unit
            else:
                fallback = unit
        return cls(exact, by_category, by_ward, fallback)

    def route_one(self, ward_code: str | None, category_code: str) -> int | None:
        """Unit id for one ward/category pair (None when no rule applies)."""
        if ward_code and (ward_code, category_code) in self.exact:
            return self.exact[(ward_code, category_code)]
        if category_code in self.by_category:
            return self.by_category[category_code]
        if ward_code and ward_code in self.by_ward:
            return self.by_ward[ward_code]
        return self.fallback

    def route(self, ward_codes: pd.Series, category_codes: pd.Series) -> list[int | None]:
        """Unit ids for many cases (the rules are looked up once per distinct ward and category pair)."""
        wards = ward_codes.astype(object).where(ward_codes.notna(), None)
        pairs = list(zip(wards, category_codes, strict=True))
        units = {pair: self.route_one(*pair) for pair in set(pairs)}
        return [units[pair] for pair in pairs]
