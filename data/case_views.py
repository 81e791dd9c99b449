"""Read paths over complaint cases: the public view.

The public view never selects personal columns or free text and shows each location as the centre of its
0.001° grid cell (about 100 m). The staff export is :mod:`data.exports`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from data.case_filter import CaseFilter
from data.categories import Taxonomy, load_taxonomy
from data.schema import ComplaintCase

PUBLIC_GRID_DEGREES = 0.001


def public_cases(engine: Engine, filters: CaseFilter | None = None, taxonomy: Taxonomy | None = None) -> pd.DataFrame:
    """Cases for public pages: category, ward, status, counts, dates, location as its 0.001° cell centre.

    No reporter data and no free text (title, description, address) are selected.
    """
    filters = filters or CaseFilter()
    taxonomy = taxonomy or load_taxonomy()
    case = ComplaintCase.__table__
    columns = [
        case.c.id,
        case.c.category_code,
        case.c.ward_code,
        case.c.ward_name,
        case.c.district,
        case.c.status,
        case.c.opened_at,
        case.c.resolved_at,
        case.c.report_count,
        case.c.lat,
        case.c.lon,
    ]
    query = filters.apply(select(*columns).where(case.c.is_public.is_(True)))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(case.c.id)).all()
    frame = pd.DataFrame(rows, columns=[column.name for column in columns])
    frame["category"] = frame["category_code"].map(taxonomy.name)
    for column in ("lat", "lon"):
        cell = np.floor(frame[column].astype(float) / PUBLIC_GRID_DEGREES)
        frame[column] = ((cell + 0.5) * PUBLIC_GRID_DEGREES).round(4)
    return frame.reset_index(drop=True)
