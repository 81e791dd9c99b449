"""What the case page shows beyond the record: station evidence for smoke/odour cases, how the case was routed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, update

from data.case_actions import perform
from data.case_detail import load_case
from data.schema import AqiValue, ComplaintCase, Station

from .conftest import OPENED


def test_a_smoke_case_shows_the_nearest_stations_poor_aqi_hour(world):
    with world.engine.begin() as conn:
        conn.execute(
            update(ComplaintCase).where(ComplaintCase.id == world.noise_case).values(category_code="burning_smoke")
        )
        conn.execute(
            insert(Station).values(id="hk", name="Hoàn Kiếm", kind="air", lat=21.03, lon=105.853, located=True)
        )
        conn.execute(insert(Station).values(id="far", name="Sóc Sơn", kind="air", lat=21.25, lon=105.85, located=True))
        for station, hours, aqi, category in (("hk", 1, 162, 4), ("hk", 6, 170, 4), ("far", 1, 250, 5)):
            conn.execute(insert(AqiValue).values(
                station_id=station, scale="vn", period="hourly", period_end=OPENED + dt.timedelta(hours=hours),
                aqi=aqi, category=category, dominant="pm25"))  # fmt: skip
    evidence = load_case(world.engine, world.noise_case, actor=world.leader).corroboration
    assert (evidence.station_id, evidence.corroborated, evidence.parameter, evidence.value) == ("hk", True, "aqi", 162)
    assert evidence.aqi_category == 4 and evidence.observed_at == OPENED + dt.timedelta(hours=1)
    assert 100 < evidence.distance_m < 200
    assert load_case(world.engine, world.waste_case, actor=world.leader).corroboration is None  # not corroborable


def test_routing_shows_the_last_transfer_with_its_reason(world):
    assert load_case(world.engine, world.waste_case, actor=world.leader).last_transfer is None
    perform(world.engine, world.waste_case, "transfer", actor=world.officer_a, expected_version=0, to_unit="URENCO",
            note="Rác thải sinh hoạt: URENCO thu gom", media_dir=world.media_dir, at=OPENED)  # fmt: skip
    moved = load_case(world.engine, world.waste_case, actor=world.officer_b).last_transfer
    assert (moved.actor, moved.unit.code, moved.note) == ("ubnd-a", "UBND-A", "Rác thải sinh hoạt: URENCO thu gom")
