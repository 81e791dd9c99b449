"""Open311 pulls go through the shared HTTP client: 429 waits Retry-After, failures are one line and exit 3 (#13.10)."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
import requests
import responses
from responses import matchers

from cli import main
from data.http_client import FeedRateLimitedError, FeedSchemaError, FeedUnavailableError
from data.importers.open311_client import Open311Error, fetch_requests

BASE = "https://311api.example.org/open311/v2"
URL = f"{BASE}/requests.json"
KEY = "Zq9open311key"
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
END = START + dt.timedelta(days=1)
REQUEST = {"service_request_id": "1", "status": "open", "service_name": "Noise", "lat": 21.03, "long": 105.85}


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@responses.activate
def test_429_waits_retry_after_then_continues() -> None:
    responses.get(URL, status=429, headers={"Retry-After": "7"}, json=[])
    responses.get(URL, json=[REQUEST], match=[matchers.query_param_matcher({"page": "1"}, strict_match=False)])
    responses.get(URL, json=[], match=[matchers.query_param_matcher({"page": "2"}, strict_match=False)])
    sleeps = Sleeps()
    with requests.Session() as session:
        items = fetch_requests(session, BASE, START, END, sleep=sleeps)
    assert items == [REQUEST] and sleeps == [7.0]


@responses.activate
def test_429_beyond_the_retries_is_a_rate_limit_error() -> None:
    responses.get(URL, status=429, headers={"Retry-After": "2"})
    sleeps = Sleeps()
    with requests.Session() as session, pytest.raises(FeedRateLimitedError) as caught:
        fetch_requests(session, BASE, START, END, sleep=sleeps)
    assert caught.value.retry_after == 2.0 and sleeps == [2.0, 2.0, 2.0]


@responses.activate
@pytest.mark.parametrize(
    ("answer", "error"),
    [({"status": 404, "body": "Not Found"}, FeedUnavailableError), ({"json": {"a": 1}}, Open311Error),
     ({"body": "<html>"}, FeedSchemaError), ({"status": 503, "body": "down"}, FeedUnavailableError)],
)  # fmt: skip
def test_errors_follow_the_shared_taxonomy_and_hide_the_key(answer: dict, error: type) -> None:
    responses.get(URL, **answer)
    with requests.Session() as session, pytest.raises(error) as caught:
        fetch_requests(session, f"{BASE}?api_key={KEY}", START, END, sleep=Sleeps())
    message = str(caught.value)
    assert "311api.example.org" in message and KEY not in message and "\n" not in message


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database after ``envmon init`` (the import needs the boundary set)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('open311') / 'envmon.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        assert main(["init"]) == 0
    return url


@pytest.fixture
def database(initialised: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.setenv("DATABASE_URL", initialised)
    capsys.readouterr()
    return initialised


@responses.activate
def test_cli_pull_answered_404_exits_3_with_one_line(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    responses.get(URL, status=404, body="<html><body>Not Found</body></html>")
    code = main(["complaints", "import", f"{BASE}?api_key={KEY}", "--since", "2025-01-01", "--until", "2025-01-02"])
    out, err = capsys.readouterr()
    assert code == 3 and out == ""
    assert err.startswith("envmon: error: HTTP 404 from https://311api.example.org/open311/v2/requests.json")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and KEY not in err


def test_cli_pull_from_a_closed_port_exits_3_with_one_line(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    base = f"http://127.0.0.1:{_closed_port()}/open311/v2"
    assert main(["complaints", "import", base, "--since", "2025-01-01"]) == 3
    err = capsys.readouterr().err
    assert err.strip() == f"envmon: error: cannot reach {base}/requests.json: [Errno 111] Connection refused"
