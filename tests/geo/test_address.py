"""Ward from address text: normalisation of diacritics and abbreviations, 2025 names, pre-2025 names."""

from __future__ import annotations

import pytest

from data.config import REFERENCE_DIR
from geo.address import WardNameResolver, fold, normalise_address


@pytest.fixture(scope="module")
def resolver() -> WardNameResolver:
    return WardNameResolver.from_reference_dir(REFERENCE_DIR)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Số 5, P.Hàng Bạc, Q.Hoàn Kiếm, TP Hà Nội", "so 5 phuong hang bac quan hoan kiem thanh pho ha noi"),
        ("Tp. Hà Nội", "thanh pho ha noi"),
        ("Thôn 3, X. Tân Minh, H. Sóc Sơn", "thon 3 xa tan minh huyen soc son"),
        ("ĐƯỜNG LÁNG, Phường Đống Đa", "duong lang phuong dong da"),
    ],
)
def test_normalise_address(text: str, expected: str):
    assert normalise_address(text) == expected


def test_fold_removes_diacritics_and_d_stroke():
    assert fold("Đống Đa – Hà Nội") == "dong da ha noi"


@pytest.mark.parametrize(
    ("address", "code", "era"),
    [
        ("ngõ 12 Trần Thái Tông, phường Cầu Giấy, Hà Nội", "00166", "2025"),
        ("12 phố Huế, PHƯỜNG HAI BÀ TRƯNG", "00256", "2025"),
        ("Số 5 Hàng Bạc, P.Hàng Bạc, Q.Hoàn Kiếm", "00070", "pre2025"),  # Hàng Bạc merged into Hoàn Kiếm
        ("p.Trúc Bạch, q.Ba Đình", "00004", "pre2025"),
        ("Phường Minh Khai, Quận Bắc Từ Liêm", "00613", "pre2025"),  # name shared by two districts: disambiguated
    ],
)
def test_resolve_ward(resolver: WardNameResolver, address: str, code: str, era: str):
    hit = resolver.resolve_one(address)
    assert hit is not None
    assert (hit.code, hit.era) == (code, era)


@pytest.mark.parametrize(
    "address",
    [
        "Phường Minh Khai",  # two former districts had one; without the district it is ambiguous
        "Đường Láng",  # a street, not a ward
        "Phố Kim Mã",  # street named like a former ward: needs the unit word
        "",
    ],
)
def test_unresolved(resolver: WardNameResolver, address: str):
    assert resolver.resolve_one(address) is None


def test_resolve_many_keeps_order(resolver: WardNameResolver):
    frame = resolver.resolve(["phường Cầu Giấy", None, "p. Trúc Bạch"])
    assert frame["ward_code"].tolist()[0] == "00166"
    assert frame["ward_code"].isna().tolist() == [False, True, False]
    assert frame["ward_name"].tolist()[2] == "Phường Ba Đình"
