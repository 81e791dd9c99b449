"""Station registry: the shipped file, limit profiles, ward join, feed metadata never overriding the registry."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from data.config import PACKAGE_CONFIG_DIR
from data.schema import Station
from data.station_registry import register_unknown
from monitoring.stations import WardLocator, load_station_file, read_station_file, upsert_stations

SHIPPED = PACKAGE_CONFIG_DIR / "stations.csv"


def _stations(engine: Engine) -> dict[str, Station]:
    with engine.connect() as conn:
        return {row.id: row for row in conn.execute(select(Station))}


def test_shipped_registry_reads_with_limit_profiles() -> None:
    stations = read_station_file(SHIPPED).set_index("id")
    assert len(stations) == 11
    assert set(stations["kind"]) == {"air", "wastewater"}
    phu_nghia = stations.loc["HN_KCNPHUNGHIA_NT01"]
    assert phu_nghia["limit_profile"] == {
        "standard": "QCVN 40:2011", "column": "B", "kq": 0.9, "kf": 1.0, "overrides": {"cod": 100.0},
    }  # fmt: skip
    assert phu_nghia["synthetic"] and phu_nghia["parameters"] == ["temp", "ph", "color", "cod", "tss", "nh4", "flow"]
    assert stations.loc["openaq-2161296", "limit_profile"] == {}
    assert pd.isna(stations.loc["openaq-2161320", "lat"])


def test_registry_is_joined_to_wards(loaded_engine: Engine) -> None:
    load_station_file(loaded_engine, SHIPPED)
    stations = _stations(loaded_engine)
    dao_duy_tu = stations["openaq-2161296"]
    assert dao_duy_tu.located and dao_duy_tu.set_name == "hanoi-2025"
    assert dao_duy_tu.ward_code is not None and dao_duy_tu.district is not None
    assert not stations["openaq-2161320"].located and stations["openaq-2161320"].ward_code is None
    assert all(stations[sid].ward_code for sid in stations if stations[sid].kind == "wastewater")


def test_hoan_kiem_point_lands_in_ward_00070(loaded_engine: Engine) -> None:
    wards = WardLocator(loaded_engine).assign([105.8523, 0.0], [21.0288, 0.0])
    assert wards["ward_code"].tolist() == ["00070", None]


def test_feed_metadata_completes_unlocated_stations_but_never_overrides_the_registry(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn:
        register_unknown(conn, ["NEW1"], kind="wastewater", source="dropbox")
        upsert_stations(
            conn,
            pd.DataFrame(
                [
                    {"id": "NEW1", "name": "Feed name", "kind": "wastewater", "lat": 21.0, "lon": 105.8},
                ]
            ),
            None,
            overwrite=False,
        )
    new1 = _stations(sqlite_engine)["NEW1"]
    assert new1.located and new1.lat == 21.0 and new1.name == "NEW1"
    load_station_file(sqlite_engine, SHIPPED)
    with sqlite_engine.begin() as conn:
        upsert_stations(
            conn,
            pd.DataFrame([{"id": "openaq-2161296", "name": "Renamed by feed", "kind": "air", "lat": 1.0, "lon": 1.0}]),
            None,
            overwrite=False,
        )
    assert _stations(sqlite_engine)["openaq-2161296"].name == "Đào Duy Từ"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("X1,Trạm,water,,,,,,,,,,,,", "field 'kind' must be air or wastewater"),
        ("X1,Trạm,air,,21.0,,,,,,,,,,", "'lat'/'lon' must both be valid coordinates"),
        ("X1,Trạm,air,,,,,Lead,,,,,,,", "unknown parameter 'Lead'"),
        ("X1,Trạm,wastewater,,,,,,,,,,cod:100,,", "field 'overrides'"),
    ],
)
def test_invalid_registry_rows_name_the_row_and_field(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "stations.csv"
    header = "id,name,kind,operator,lat,lon,grade,parameters,standard,column,kq,kf,overrides,source,synthetic"
    path.write_text(f"{header}\n{line}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message) as caught:
        read_station_file(path)
    assert "station row 1" in str(caught.value)
