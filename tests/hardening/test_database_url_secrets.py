"""#13.6: the database password never reaches a user, in any URL form; a malformed URL exits 3 like an outage."""

from __future__ import annotations

import json
import os
import uuid
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, text

from cli import main
from data.db import DatabaseUnavailableError, check_connection, make_engine

PASSWORD = "Zq9pw"
"""Every URL below carries this password (or pieces of it); none of it may be printed."""

DOWN = {
    "userinfo": f"postgresql+psycopg://envmon:{PASSWORD}@127.0.0.1:1/envmon",
    "query-password": f"postgresql+psycopg://envmon@127.0.0.1:1/envmon?password={PASSWORD}",
    "unencoded-at": f"postgresql+psycopg://envmon:Hn@{PASSWORD}@127.0.0.1:1/envmon",
    "unencoded-at-unknown-host": f"postgresql://envmon:p@{PASSWORD}@nohost.invalid/envmon",
    "non-numeric-port": f"postgresql+psycopg://envmon:{PASSWORD}@127.0.0.1:abc/envmon",
    "keyword-dsn": f"host=127.0.0.1 port=1 password={PASSWORD} dbname=envmon",
}


@pytest.mark.parametrize("url", list(DOWN.values()), ids=list(DOWN))
@pytest.mark.parametrize("argv", [["feeds", "status"], ["init"], ["readings", "stations"]], ids=" ".join)
def test_cli_masks_every_url_form_and_exits_3(url, argv, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(argv) == 3
    out, err = capsys.readouterr()
    assert err.startswith("envmon: database") and "Traceback" not in err
    assert PASSWORD not in out + err
    assert "***" in err


@pytest.mark.parametrize("url", list(DOWN.values()), ids=list(DOWN))
def test_the_connection_error_shown_on_the_dashboard_is_masked(url):
    # dashboard/app.py shows str(DatabaseUnavailableError) as it is: the message must be safe at its source.
    with pytest.raises(DatabaseUnavailableError) as info:
        check_connection(make_engine(url))
    assert PASSWORD not in str(info.value)


def test_envmon_init_prints_the_database_url_masked(monkeypatch, capsys):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("needs TEST_DATABASE_URL (a PostgreSQL that accepts the test user without a password)")
    schema = f"t_init_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    # A password in the query (libpq ignores it under trust authentication) and the search path of the schema.
    query = urlencode({"password": PASSWORD, "options": f"-csearch_path={schema},public"})
    monkeypatch.setenv("DATABASE_URL", f"{base}?{query}")
    try:
        assert main(["init"]) == 0
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    out, err = capsys.readouterr()
    assert PASSWORD not in out + err
    assert "password=***" in json.loads(out)["database"]


@pytest.mark.parametrize("form", ["query-password", "unencoded-at", "non-numeric-port"])
def test_the_public_page_shows_the_connection_failure_masked(form, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from dashboard import loaders

    monkeypatch.setenv("DATABASE_URL", DOWN[form])
    loaders.engine.clear()
    loaders.settings.clear()
    try:
        app = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
        at = AppTest.from_file(str(app), default_timeout=60).run()
    finally:
        loaders.engine.clear()
        loaders.settings.clear()
    assert not at.exception
    [error] = [element.value for element in at.error]
    assert "***" in error and PASSWORD not in error


def test_cli_errors_hide_webhook_tokens_and_ftp_passwords(monkeypatch, capsys):
    monkeypatch.setenv("ENVMON_WEBHOOK_URLS", '["https://hooks.example.vn/services/T1/B2/Zq9hook"]')
    monkeypatch.setenv("ENVMON_FTP_PASSWORD", "Zq9ftp")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@127.0.0.1:1/db?application_name=Zq9hook-Zq9ftp")
    assert main(["feeds", "status"]) == 3
    err = capsys.readouterr().err
    assert "Zq9" not in err and "application_name=***-***" in err
