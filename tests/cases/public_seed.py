"""Cases with personal data planted in every field the public must never see, for every public surface's test.

Ward 00070 (Hoàn Kiếm):
  ``reviewed``: resolved, result note marked public, one "after" photo marked public, one "after" photo NOT
  reviewed, a "report" photo (public flag set by mistake: still never published, it is not an "after" photo);
  ``unreviewed``: resolved, result note not marked public, its "after" photo not reviewed;
  ``hidden``: ``is_public`` false (never listed); ``merged``: merged into ``reviewed`` (never listed).
Every report carries a reporter name, phone, description and address; every case a title and history notes; all
of them contain one of :data:`SECRETS`.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from sqlalchemy import Engine, insert

from data.media import Upload, store
from data.schema import (
    CaseAttachment,
    CaseStatusChange,
    ComplaintCase,
    ComplaintReport,
    ImportBatch,
    ResponsibleUnit,
)

OPENED = dt.datetime(2025, 3, 17, 2, 0, tzinfo=dt.UTC)
RESOLVED = dt.datetime(2025, 3, 18, 4, 0, tzinfo=dt.UTC)
PUBLIC_NOTE = "Đã thu gom rác, vệ sinh khu vực"
SECRETS = (
    "Trần Bí Mật",  # reporter name
    "0912999888",  # reporter phone
    "MÔ-TẢ-RIÊNG",  # report description
    "SỐ-NHÀ-RIÊNG",  # report address
    "TIÊU-ĐỀ-RIÊNG",  # case title (written from the citizen's text)
    "GHI-CHÚ-RIÊNG",  # history notes
    "KẾT-QUẢ-CHƯA-DUYỆT",  # a result note not marked public
    "21.028812",  # the precise latitude
    "105.852345",  # the precise longitude
)


@dataclass(frozen=True)
class PublicWorld:
    reviewed: int
    unreviewed: int
    hidden: int
    merged: int
    public_photo: str
    private_photos: tuple[str, ...]
    media_dir: Path


def _jpeg(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (shade, 120, 60)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _case(conn, unit: int, **values) -> int:
    row = {
        "category_code": "waste", "lat": 21.028812, "lon": 105.852345, "set_name": "hanoi-2025",
        "ward_code": "00070", "ward_name": "Hoàn Kiếm", "district": "Quận Hoàn Kiếm", "unit_id": unit,
        "status": "resolved", "priority": "normal", "title": f"{SECRETS[4]} rác", "opened_at": OPENED,
        "last_report_at": OPENED, "accepted_at": OPENED, "resolved_at": RESOLVED,
        "due_at": OPENED + dt.timedelta(days=7), "result_note": f"{SECRETS[6]} gọi {SECRETS[1]}",
    }  # fmt: skip
    row.update(values)
    case_id = int(conn.execute(insert(ComplaintCase).values(**row)).inserted_primary_key[0])
    conn.execute(
        insert(ComplaintReport).values(
            case_id=case_id, batch_id="seed", source="test", external_id=f"R{case_id}", channel="zalo",
            category_raw="rác", category_code="waste", description=f"{SECRETS[2]} của {SECRETS[0]}",
            address=SECRETS[3], reported_at=OPENED, lat=21.028812, lon=105.852345, set_name="hanoi-2025",
            ward_code="00070", reporter_name=SECRETS[0], reporter_phone=SECRETS[1],
        )
    )  # fmt: skip
    conn.execute(
        insert(CaseStatusChange).values(
            case_id=case_id, from_status="in_progress", to_status=row["status"], at=RESOLVED, actor="ubnd",
            note=f"{SECRETS[5]} {SECRETS[0]}", unit_id=unit,
        )
    )  # fmt: skip
    return case_id


def _attach(conn, media_dir: Path, case_id: int, shade: int, purpose: str, public: bool) -> str:
    stored = store(conn, media_dir, Upload(f"{SECRETS[0]}.jpg", _jpeg(shade)))
    conn.execute(
        insert(CaseAttachment).values(
            case_id=case_id, sha256=stored.sha256, original_name=f"{SECRETS[0]}.jpg", purpose=purpose,
            is_public=public, uploaded_by="ubnd", uploaded_at=RESOLVED,
        )
    )  # fmt: skip
    return stored.sha256


def seed_public(engine: Engine, media_dir: Path) -> PublicWorld:
    """Seed the cases of the module docstring; photos stored for real (thumbnails in ``media_dir``)."""
    with engine.begin() as conn:
        conn.execute(insert(ImportBatch).values(id="seed", kind="test", started_at=OPENED))
        unit = int(
            conn.execute(
                insert(ResponsibleUnit).values(code="UBND-HK", name="UBND phường Hoàn Kiếm")
            ).inserted_primary_key[0]
        )
        reviewed = _case(conn, unit, result_note=PUBLIC_NOTE, result_public=True)
        unreviewed = _case(conn, unit)
        hidden = _case(conn, unit, is_public=False, result_public=True)
        merged = _case(conn, unit, status="merged", merged_into_id=reviewed, result_public=True)
        public_photo = _attach(conn, media_dir, reviewed, 10, "after", True)
        private = (
            _attach(conn, media_dir, reviewed, 60, "after", False),
            _attach(conn, media_dir, reviewed, 110, "report", True),
            _attach(conn, media_dir, unreviewed, 160, "after", False),
            _attach(conn, media_dir, hidden, 210, "after", True),
        )
    return PublicWorld(reviewed, unreviewed, hidden, merged, public_photo, private, media_dir)
