"""A small case world on both engines: a supervising body, two units, a sanitation case with two reports of
unit A and a noise case of unit B, both received on Monday 17 March 2025 at 09:00 Hà Nội time."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine, insert, select

from data.case_actions import Actor
from data.config import PACKAGE_CONFIG_DIR
from data.schema import CaseStatusChange, ComplaintCase, ComplaintReport, ImportBatch, ResponsibleUnit
from data.sla import SlaPolicy, add_working_hours, load_sla_policy

OPENED = dt.datetime(2025, 3, 17, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 in Hà Nội
POLICY = load_sla_policy(PACKAGE_CONFIG_DIR / "sla.toml")


@dataclass(frozen=True)
class World:
    """Ids of the seeded rows and an actor per role."""

    engine: Engine
    supervisor: int
    unit_a: int
    unit_b: int
    waste_case: int
    noise_case: int
    waste_reports: tuple[int, int]
    media_dir: Path
    policy: SlaPolicy

    @property
    def operator(self) -> Actor:
        return Actor("vanhanh", "operator", None)

    @property
    def leader(self) -> Actor:
        return Actor("lanhdao", "leader", None)

    @property
    def analyst(self) -> Actor:
        return Actor("phantich", "analyst", None)

    @property
    def officer_a(self) -> Actor:
        return Actor("ubnd-a", "unit", frozenset({self.unit_a}))

    @property
    def officer_b(self) -> Actor:
        return Actor("urenco", "unit", frozenset({self.unit_b}))

    def case(self, case_id: int) -> dict:
        with self.engine.connect() as conn:
            return dict(conn.execute(select(ComplaintCase.__table__).where(ComplaintCase.id == case_id)).one()._mapping)


def _unit(conn, code: str, name: str, supervisor: int | None = None) -> int:
    values = {"code": code, "name": name, "kind": "test", "supervisor_id": supervisor}
    return int(conn.execute(insert(ResponsibleUnit).values(**values)).inserted_primary_key[0])


def _case(conn, unit_id: int, category: str, priority: str, title: str) -> int:
    terms = POLICY.terms(priority)
    values = {
        "category_code": category, "lat": 21.0288, "lon": 105.8523, "set_name": "hanoi-2025", "ward_code": "00070",
        "ward_name": "Hoàn Kiếm", "district": "Quận Hoàn Kiếm", "unit_id": unit_id, "status": "received",
        "priority": priority, "title": title, "opened_at": OPENED, "last_report_at": OPENED,
        "accept_due_at": add_working_hours(OPENED, terms.accept_hours, POLICY),
        "due_at": add_working_hours(OPENED, terms.resolve_hours, POLICY), "report_count": 1,
    }  # fmt: skip
    case_id = int(conn.execute(insert(ComplaintCase).values(**values)).inserted_primary_key[0])
    conn.execute(
        insert(CaseStatusChange).values(
            case_id=case_id, from_status=None, to_status="received", at=OPENED, actor="import", note="", unit_id=unit_id
        )
    )
    return case_id


def _report(conn, case_id: int, external_id: str, minutes: int, phone: str) -> int:
    values = {
        "case_id": case_id, "batch_id": "seed", "source": "test", "external_id": external_id, "channel": "zalo",
        "category_raw": "rác", "category_code": "waste", "description": f"báo cáo {external_id}", "address": "",
        "reported_at": OPENED + dt.timedelta(minutes=minutes), "lat": 21.0288, "lon": 105.8523,
        "set_name": "hanoi-2025", "ward_code": "00070", "reporter_name": "Nguyễn Văn A", "reporter_phone": phone,
    }  # fmt: skip
    return int(conn.execute(insert(ComplaintReport).values(**values)).inserted_primary_key[0])


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    with engine.begin() as conn:
        conn.execute(insert(ImportBatch).values(id="seed", kind="test", started_at=OPENED))
        supervisor = _unit(conn, "SONNMT", "Sở Nông nghiệp và Môi trường")
        unit_a = _unit(conn, "UBND-A", "UBND phường A", supervisor)
        unit_b = _unit(conn, "URENCO", "URENCO", supervisor)
        waste = _case(conn, unit_a, "waste", "normal", "Rác tồn đọng")
        noise = _case(conn, unit_b, "noise", "normal", "Karaoke")
        reports = (_report(conn, waste, "R1", 0, "0912345678"), _report(conn, waste, "R2", 30, "0987654321"))
        _report(conn, noise, "R3", 0, "0900000000")
        conn.execute(ComplaintCase.__table__.update().where(ComplaintCase.id == waste).values(report_count=2))
    return World(engine, supervisor, unit_a, unit_b, waste, noise, reports, tmp_path / "media", POLICY)


class Recorder(BaseHTTPRequestHandler):
    """Keeps every POST (path, access_token header, JSON body); answers 200 ({"error": 0} like Zalo) or 500,
    after ``delay`` seconds (a slow receiver); paths in ``failing`` always answer 500."""

    calls: list[tuple[str, str, dict]] = []
    status = 200
    delay = 0.0
    failing: set[str] = set()

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Recorder.calls.append((self.path, self.headers.get("access_token", ""), body))
        time.sleep(Recorder.delay)
        reply = json.dumps({"error": 0, "message": "Success"}).encode()
        self.send_response(500 if self.path in Recorder.failing else Recorder.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    Recorder.calls, Recorder.status, Recorder.delay, Recorder.failing = [], 200, 0.0, set()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def jpeg(colour: tuple[int, int, int] = (30, 160, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()
