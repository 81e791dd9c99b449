"""A secret in an Open311 endpoint URL never reaches the import's output, log, stored batch or reports.

Every URL form: an ``api_key`` or ``token`` query parameter, user and password (also with an unencoded ``@`` in
the password), a token as the user name. ``envmon -v complaints import URL`` runs against a recorded endpoint
(success) and against a 404 and a closed port (exit 3); stdout, stderr, every log record and every stored text
of the import are scanned for the secret.
"""

from __future__ import annotations

import logging
import re
import socket

import pytest
import responses
from sqlalchemy import Engine, select

from cli import main
from data.schema import ComplaintReport, ImportBatch

SECRET = "Zq9s3cr3t"
HOST = "open311.example.vn"
FORMS = {
    "api-key-param": f"https://{HOST}/open311/v2?api_key={SECRET}",
    "token-param": f"https://{HOST}/open311/v2?jurisdiction_id=hn&token={SECRET}",
    "user-password": f"https://envmon:{SECRET}@{HOST}/open311/v2",
    "unencoded-at": f"https://envmon:p@{SECRET}@{HOST}/open311/v2",
    "token-as-user": f"https://{SECRET}abcdef0123456789@{HOST}/open311/v2",
}
REQUEST = (
    '[{"service_request_id": "R-1", "requested_datetime": "2025-03-02T08:00:00+07:00", "service_name": "Rác thải",'
    ' "description": "Rác", "lat": 21.0288, "long": 105.8523, "status": "open"}]'
)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def database(loaded_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    from data.routing import seed_routing

    seed_routing(loaded_engine)
    monkeypatch.setenv("DATABASE_URL", loaded_engine.url.render_as_string(hide_password=False))
    return loaded_engine


def _stored_text(engine: Engine) -> str:
    with engine.connect() as conn:
        batches = conn.execute(select(ImportBatch.filename, ImportBatch.source, ImportBatch.summary)).all()
        sources = conn.execute(select(ComplaintReport.source)).scalars().all()
    return repr(batches) + repr(sources)


def _import(url: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> tuple[int, str]:
    caplog.set_level(logging.DEBUG)
    code = main(["-v", "complaints", "import", url, "--since", "2025-03-01", "--until", "2025-03-03"])
    captured = capsys.readouterr()
    logged = "\n".join(f"{record.getMessage()} {record.args!r}" for record in caplog.records)
    return code, captured.out + captured.err + logged


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_pulled_import_keeps_the_endpoints_secret(
    form: str, database: Engine, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, re.compile(rf"https://([^/]*@)?{HOST}/open311/v2/requests\.json.*"), body=REQUEST)
        code, text = _import(FORMS[form], capsys, caplog)
    assert code == 0, text
    assert '"accepted": 1' in text
    assert SECRET not in text
    assert SECRET not in _stored_text(database)


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("failure", ["404", "closed-port"])
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_failed_pull_is_one_masked_line_and_exit_3(
    form: str,
    failure: str,
    database: Engine,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = FORMS[form]
    if failure == "closed-port":
        url = url.replace(HOST, f"127.0.0.1:{_closed_port()}")
        code, text = _import(url, capsys, caplog)
    else:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            mock.add(responses.GET, re.compile(rf"https://([^/]*@)?{HOST}/.*"), status=404, body="not found")
            code, text = _import(url, capsys, caplog)
    assert code == 3, text
    assert SECRET not in text and "Traceback" not in text
    assert SECRET not in _stored_text(database)
