"""``envmon complaints show|status|urge``: JSON and text output, accounts' scope, and bad input as one line in the
user's language with exit code 2 (README)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import Engine

from cli import main
from data.users import create_user

from .conftest import jpeg

PASSWORD = "Trâu-vàng-đứng-gốc-đa-42"


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """The CLI runs against a database URL: SQLite here (the engine itself is tested on both in the other files)."""
    return sqlite_engine


@pytest.fixture
def cli_world(world, monkeypatch, server):
    monkeypatch.setenv("DATABASE_URL", world.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ENVMON_CONFIG", "/nonexistent/envmon.toml")
    monkeypatch.setenv("ENVMON_MEDIA_DIR", str(world.media_dir))
    monkeypatch.setenv("ENVMON_WEBHOOK_URLS", json.dumps([f"{server}/hook"]))
    monkeypatch.setenv("ENVMON_LANGUAGE", "vi")
    create_user(world.engine, "vanhanh", PASSWORD, "operator")
    create_user(world.engine, "lanhdao", PASSWORD, "leader")
    create_user(world.engine, "ubnd-a", PASSWORD, "unit", units=["UBND-A"])
    create_user(world.engine, "urenco", PASSWORD, "unit", units=["URENCO"])
    return world


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["complaints", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_status_then_show_as_json_and_text(cli_world, capsys):
    case = str(cli_world.noise_case)
    code, out, _ = run(capsys, "status", case, "--to", "accepted", "--by", "urenco", "--note", "đã nhận")
    assert code == 0
    done = json.loads(out)
    assert (done["action"], done["from"], done["to"], done["label"], done["by"]) == (
        "accept", "received", "accepted", "Đã nhận xử lý", "urenco"
    )  # fmt: skip
    code, out, _ = run(capsys, "status", case, "--to", "assign", "--assignee", "Tổ 2", "--by", "urenco")
    assert code == 0 and json.loads(out)["version"] == 2
    code, out, _ = run(capsys, "show", case, "--json")
    shown = json.loads(out)
    assert (shown["status"], shown["assignee"], shown["version"], shown["unit"]["code"]) == (
        "assigned", "Tổ 2", 2, "URENCO"
    )  # fmt: skip
    assert [h["to_status"] for h in shown["history"]] == ["received", "accepted", "assigned"]
    assert shown["reports"][0]["reporter_phone"] is None  # personal data only with --include-personal
    assert run(capsys, "show", case, "--json", "--include-personal")[1].count("0900000000") == 1
    code, out, _ = run(capsys, "show", case)
    assert code == 0
    assert out.splitlines()[0] == f"Vụ việc #{case} — Karaoke"
    assert "Trạng thái: Đã giao · Nhóm: Tiếng ồn · Phường: Hoàn Kiếm (Quận Hoàn Kiếm)" in out
    assert "urenco: Đã giao — → Tổ 2" in out and "None" not in out and "nan" not in out
    assert re.search(r"^Đồng hồ xử lý \(hạn xử lý\): quá hạn \d+ ngày$", out, re.MULTILINE)  # as the unit queue says


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("status", "{noise}", "--to", "resolved", "--by", "urenco"), "Hoàn thành cần ghi kết quả xử lý."),
        (("status", "{noise}", "--to", "done", "--by", "urenco"), "Không có thao tác “done”"),
        (("status", "{noise}", "--to", "accepted", "--by", "nobody"), "Không có tài khoản đang hoạt động tên “nobody”"),
        (("status", "{waste}", "--to", "accepted", "--by", "urenco"), "Không tìm thấy vụ việc #{waste}."),
        (("status", "424242", "--to", "accepted", "--by", "urenco"), "Không tìm thấy vụ việc #424242."),
        (("status", "{noise}", "--to", "reopen", "--by", "lanhdao", "--note", "x"), "Vai trò “Lãnh đạo” không được"),
        (("status", "{noise}", "--to", "transfer", "--by", "urenco", "--note", "x", "--unit", "NOPE"), "“NOPE”"),
        (
            ("status", "{noise}", "--to", "resolve", "--by", "urenco", "--photo", "/nonexistent/a.jpg"),
            "/nonexistent/a.jpg",
        ),
        (("show", "{waste}", "--by", "urenco"), "Không tìm thấy vụ việc #{waste}."),
        (("urge", "{noise}", "--by", "urenco"), "Vai trò “Đơn vị xử lý” không được thực hiện “Đôn đốc”."),
        (("urge", "--unit", "SONNMT", "--by", "lanhdao"), "Đơn vị “SONNMT” không có vụ việc quá hạn."),
        (("urge", "--unit", "NOPE", "--by", "lanhdao"), "Không có đơn vị mã “NOPE”."),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(cli_world, capsys, argv, message):
    ids = {"noise": cli_world.noise_case, "waste": cli_world.waste_case}
    code, out, err = run(capsys, *(arg.format(**ids) for arg in argv))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("envmon: error: ") and message.format(**ids) in err
    assert "Traceback" not in err


def test_urge_records_and_delivers(cli_world, capsys):
    from .conftest import Recorder

    code, out, _ = run(capsys, "urge", str(cli_world.noise_case), "--by", "lanhdao", "--note", "gấp")
    assert code == 0
    urged = json.loads(out)
    assert (urged["case"], urged["unit"], urged["kind"], urged["by"]) == (
        cli_world.noise_case,
        "URENCO",
        "urge",
        "lanhdao",
    )
    assert urged["delivered_via"] == "webhook"
    ((path, _, body),) = Recorder.calls
    assert (path, body["kind"], body["note"]) == ("/hook", "urge", "gấp")
    code, out, _ = run(capsys, "show", str(cli_world.noise_case))
    assert "Đôn đốc (1):" in out and "lanhdao (đôn đốc, webhook) — gấp" in out


def test_urge_with_a_failing_receiver_is_recorded_and_left_pending(cli_world, capsys):
    """The receiver answers 500: the urge is recorded, the command does not fail, the poll round retries it."""
    from .conftest import Recorder

    Recorder.status = 500
    code, out, err = run(capsys, "urge", str(cli_world.noise_case), "--by", "lanhdao")
    assert code == 0 and "Traceback" not in err
    assert json.loads(out)["delivered_via"] is None
    code, out, _ = run(capsys, "show", str(cli_world.noise_case))
    assert "Đôn đốc (1):" in out


def test_resolve_with_photo(cli_world, tmp_path, capsys):
    photo = tmp_path / "sau xu ly.jpg"
    photo.write_bytes(jpeg())
    case = str(cli_world.waste_case)
    assert run(capsys, "status", case, "--to", "accept", "--by", "ubnd-a")[0] == 0
    argv = ("status", case, "--to", "resolved", "--by", "ubnd-a", "--note", "đã thu gom")
    code, _, err = run(capsys, *argv)
    assert code == 2 and "ảnh “sau xử lý”" in err
    code, out, _ = run(capsys, *argv, "--photo", str(photo))
    assert code == 0 and len(json.loads(out)["attachments"]) == 1
    code, out, _ = run(capsys, "show", case)
    assert "📎 sau xử lý: sau xu ly.jpg (photo, " in out
