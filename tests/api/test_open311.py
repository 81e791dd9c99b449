"""Open311 GeoReport v2 server on both back ends: services, posting (a token at once, the intake worker imports
through the pipeline to a stored case, the token then gives its id), public requests (coarsened, no personal data,
status and notes from the case workflow), filters, errors in the spec's format; posts shaped like public Open311
client libraries' (form-encoded, extra spec fields); nothing lost or taken twice when a process stops between
accepting and importing."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api.app import create_app
from api.open311 import drain
from data.api_keys import add_key, revoke_key
from data.case_actions import Actor, perform
from data.case_review import set_public
from data.categories import load_taxonomy
from data.config import load_settings
from data.intake_queue import pending_count
from data.schema import ComplaintCase, ComplaintReport, Open311Queued

NOW = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
HOAN_KIEM = {"lat": "21.02881", "long": "105.85236"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def api(loaded_engine: Engine) -> tuple[TestClient, str, Engine]:
    """A client, an active key and the database (boundaries loaded, no cases yet)."""
    key = add_key(loaded_engine, "ward-app")
    app = create_app(loaded_engine, load_settings(boundary_set="hanoi-2025"), clock=lambda: NOW)
    return TestClient(app), key, loaded_engine


def _post(client: TestClient, fields: dict[str, str]):
    return client.post("/open311/v2/requests.json", content=urlencode(fields), headers=FORM)


def _case_of(client: TestClient, response) -> int:
    """The case a post became: its token answered at once, the queue drained, the token's service_request_id."""
    assert response.status_code == 200, response.text
    [answer] = response.json()
    assert set(answer) == {"token", "service_notice", "account_id"}
    assert client.get(f"/open311/v2/tokens/{answer['token']}.json").json() == [
        {"service_request_id": None, "token": answer["token"]}
    ]  # accepted, not imported yet
    drain(client.app.state.context)
    [state] = client.get(f"/open311/v2/tokens/{answer['token']}.json").json()
    assert state["token"] == answer["token"]
    return int(state["service_request_id"])


def test_services_are_the_categories(api) -> None:
    client, _, _ = api
    body = client.get("/open311/v2/services.json").json()
    assert {s["service_code"] for s in body} == set(load_taxonomy().categories)
    assert all(s["type"] == "realtime" and s["metadata"] is False for s in body)


def test_every_service_code_classifies_to_itself() -> None:
    """A posted service_code reaches the pipeline as its Vietnamese name: the taxonomy must map it back."""
    taxonomy = load_taxonomy()
    for code, category in taxonomy.categories.items():
        assert taxonomy.classify_one("open311", category.name_vi, None) == code


def test_post_reaches_a_case_and_publishes_no_personal_data(api) -> None:
    client, key, engine = api
    fields = {"api_key": key, "service_code": "burning_smoke", **HOAN_KIEM, "description": "Đốt rác sau chợ, khói",
              "first_name": "Nguyễn", "last_name": "An",
              "phone": "0912345678", "email": "an@example.org"}  # fmt: skip
    case_id = _case_of(client, _post(client, fields))
    with engine.connect() as conn:
        case = conn.execute(select(ComplaintCase).where(ComplaintCase.id == case_id)).one()
        report = conn.execute(select(ComplaintReport).where(ComplaintReport.case_id == case_id)).one()
    assert case.category_code == "burning_smoke" and case.ward_code is not None  # routed to a ward by its point
    assert report.channel == "Open311 API" and report.source == "open311-api:ward-app"
    assert report.reporter_name == "Nguyễn An" and report.reporter_phone == "0912345678"  # kept, privately
    public = client.get(f"/open311/v2/requests/{case_id}.json").json()
    assert len(public) == 1 and public[0]["status"] == "open" and public[0]["service_code"] == "burning_smoke"
    for secret in ("0912345678", "Nguyễn", "an@example.org", "Đốt rác sau chợ", key):
        assert secret not in str(public), secret
    assert public[0]["lat"] == 21.029 and public[0]["long"] == 105.852  # the ~100 m cell centre, not the point
    assert public[0]["requested_datetime"] == "2026-12-04T09:00:00Z"
    with engine.connect() as conn:
        queued = conn.execute(select(Open311Queued)).one()
    assert queued.contact_name is None and queued.contact_phone is None  # on the report only, once imported


def test_second_post_nearby_joins_the_case(api) -> None:
    client, key, engine = api
    first = _case_of(client, _post(client, {"api_key": key, "service_code": "odour", **HOAN_KIEM,
                                            "description": "Mùi hôi"}))  # fmt: skip
    again = _case_of(client, _post(client, {"api_key": key, "service_code": "odour", "lat": "21.02890",
                                            "long": "105.85240", "description": "Mùi hôi nồng"}))  # fmt: skip
    assert first == again
    with engine.connect() as conn:
        assert conn.execute(select(ComplaintReport.id)).all().__len__() == 2


def test_post_like_a_client_library(api) -> None:
    """Form fields as GeoReport client libraries send them: jurisdiction_id, attribute[...], device_id,
    address_string instead of a point, charset in the content type, '+' for spaces."""
    client, key, _ = api
    body = ("jurisdiction_id=hanoi.gov.vn&api_key=" + key + "&service_code=waste&address_string=Ph%C6%B0%E1%BB%9Dng"
            "+Ho%C3%A0n+Ki%E1%BA%BFm%2C+H%C3%A0+N%E1%BB%99i&description=Trash+bin+is+full.&attribute%5BWHISPR%5D=1"
            "&device_id=abc123&account_id=42")  # fmt: skip
    response = client.post(
        "/open311/v2/requests.json", content=body,
        headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
    )  # fmt: skip
    assert _case_of(client, response) > 0


def test_status_and_notes_follow_the_workflow(api, tmp_path) -> None:
    client, key, engine = api
    case_id = _case_of(client, _post(client, {"api_key": key, "service_code": "noise", **HOAN_KIEM}))
    perform(engine, case_id, "reject", actor=Actor("officer", "operator", None), expected_version=0,
            note="Đã kiểm tra: không vi phạm", media_dir=tmp_path, at=NOW)  # fmt: skip
    one = {"service_request_id": str(case_id)}
    row = client.get("/open311/v2/requests.json", params=one).json()[0]
    assert row["status"] == "closed" and row["status_notes"] is None  # not reviewed for the public yet
    set_public(engine, case_id, actor=Actor("officer", "operator", None), expected_version=1, result_public=True,
               photos={})  # fmt: skip
    row = client.get("/open311/v2/requests.json", params=one).json()[0]
    assert row["status_notes"] == "Đã kiểm tra: không vi phạm"
    assert client.get("/open311/v2/requests.json", params={"status": "open"}).json() == []
    assert [r["service_request_id"] for r in client.get("/open311/v2/requests.json",
            params={"status": "closed", "service_code": "noise"}).json()] == [str(case_id)]  # fmt: skip
    old = {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-02-01T00:00:00Z"}
    assert client.get("/open311/v2/requests.json", params=old).json() == []


@pytest.mark.parametrize(
    ("fields", "status", "word"),
    [
        ({"service_code": "noise", **HOAN_KIEM}, 403, "api_key"),
        ({"api_key": "em_wrong", "service_code": "noise", **HOAN_KIEM}, 403, "api_key"),
        ({"api_key": "KEY", **HOAN_KIEM}, 400, "service_code"),
        ({"api_key": "KEY", "service_code": "potholes", **HOAN_KIEM}, 400, "service_code"),
        ({"api_key": "KEY", "service_code": "noise"}, 400, "location"),
        ({"api_key": "KEY", "service_code": "noise", "lat": "21.0"}, 400, "long"),
        ({"api_key": "KEY", "service_code": "noise", "lat": "north", "long": "105.8"}, 400, "lat"),
        ({"api_key": "KEY", "service_code": "noise", "lat": "95", "long": "105.8"}, 400, "lat"),
        ({"api_key": "KEY", "service_code": "noise", **HOAN_KIEM, "media_url": "javascript:x"}, 400, "media_url"),
    ],
)
def test_post_errors_in_spec_format(api, fields: dict[str, str], status: int, word: str) -> None:
    client, key, engine = api
    fields = {k: (key if v == "KEY" else v) for k, v in fields.items()}
    response = _post(client, fields)
    assert response.status_code == status
    [error] = response.json()
    assert error["code"] == status and word in error["description"]
    drain(client.app.state.context)
    with engine.connect() as conn:
        assert conn.execute(select(ComplaintReport.id)).first() is None  # nothing stored
    assert pending_count(engine) == 0


def test_revoked_key_refused(api) -> None:
    client, key, engine = api
    revoke_key(engine, "ward-app")
    assert _post(client, {"api_key": key, "service_code": "noise", **HOAN_KIEM}).status_code == 403


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-12-01T00:00:00Z"}, "90 days"),
        ({"start_date": "last week"}, "start_date"),
        ({"status": "pending"}, "status"),
        ({"service_code": "potholes"}, "service_code"),
        ({"service_request_id": "12,abc"}, "service_request_id"),
    ],
)
def test_get_errors_in_spec_format(api, params: dict[str, str], word: str) -> None:
    client, _, _ = api
    response = client.get("/open311/v2/requests.json", params=params)
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400 and word in response.json()[0]["description"]


def test_unknown_request_is_404(api) -> None:
    client, _, _ = api
    response = client.get("/open311/v2/requests/999999.json")
    assert response.status_code == 404 and response.json()[0]["code"] == 404


def test_reads_work_and_posts_explain_without_boundaries(sqlite_engine: Engine) -> None:
    """A database without the configured boundary set: services and requests still answer; a post gets a 503
    saying why instead of a traceback."""
    key = add_key(sqlite_engine, "early")
    client = TestClient(create_app(sqlite_engine, load_settings(), clock=lambda: NOW))
    assert client.get("/open311/v2/services.json").status_code == 200
    assert client.get("/open311/v2/requests.json").json() == []
    response = _post(client, {"api_key": key, "service_code": "noise", **HOAN_KIEM})
    assert response.status_code == 503 and "not set up" in response.json()[0]["description"]


def test_posts_are_imported_in_one_batch_per_round(api) -> None:
    client, key, engine = api
    tokens = [_post(client, {"api_key": key, "service_code": "noise", "lat": f"21.0{i}", "long": "105.85",
                             "description": f"tiếng ồn {i}"}).json()[0]["token"] for i in range(1, 6)]  # fmt: skip
    assert len(set(tokens)) == 5 and pending_count(engine) == 5
    assert drain(client.app.state.context) == 5
    with engine.connect() as conn:
        batches = {row.batch_id for row in conn.execute(select(ComplaintReport.batch_id))}
    assert len(batches) == 1  # one pipeline run for the five
    ids = [client.get(f"/open311/v2/tokens/{t}.json").json()[0]["service_request_id"] for t in tokens]
    assert all(i and i.isdigit() for i in ids)


def test_killed_between_accept_and_import_loses_nothing(loaded_engine: Engine) -> None:
    """App A accepts (committed) and stops before its worker ran; app B, started later, imports each once —
    including a request whose report A had stored but whose outcome A never recorded."""
    from data.intake_queue import process_queue
    from data.open311_server import external_id_of

    key = add_key(loaded_engine, "bridge")
    settings = load_settings(boundary_set="hanoi-2025")
    first = TestClient(create_app(loaded_engine, settings, clock=lambda: NOW))
    tokens = [_post(first, {"api_key": key, "service_code": "waste", "lat": f"21.0{i}", "long": "105.8"}).json()[0][
        "token"] for i in (2, 3)]  # fmt: skip
    context = first.app.state.context
    # A claimed both and stored the first's report, then died before recording outcomes: simulate with a claim
    # and an import of that one request outside the queue
    from data.open311_server import NewRequest, PostedRequest, import_requests

    with loaded_engine.begin() as conn:
        conn.execute(Open311Queued.__table__.update().values(claim="dead-worker", claimed_at=NOW))
    import_requests(loaded_engine, [PostedRequest(external_id_of(tokens[0]), NOW, NewRequest(
        "waste", 21.02, 105.8, None, "", None, None, None))], context.import_context(), client="bridge", now=NOW)
    del first
    later = NOW + dt.timedelta(minutes=1)
    second = TestClient(create_app(loaded_engine, settings, clock=lambda: later))
    assert process_queue(loaded_engine, second.app.state.context.import_context(), now=later) == 0  # claim held
    after_lease = NOW + dt.timedelta(minutes=6)
    assert process_queue(loaded_engine, second.app.state.context.import_context(), now=after_lease) == 2
    with loaded_engine.connect() as conn:
        reports = conn.execute(select(ComplaintReport.external_id)).all()
    assert sorted(r.external_id for r in reports) == sorted(external_id_of(t) for t in tokens)  # each once
    states = [second.get(f"/open311/v2/tokens/{t}.json").json()[0]["service_request_id"] for t in tokens]
    assert all(s and s.isdigit() for s in states) and pending_count(loaded_engine) == 0


def test_refused_request_and_unknown_token(api) -> None:
    """A request the pipeline quarantines: its token answers with the reason in the spec's error format."""
    from data.intake_queue import enqueue
    from data.open311_server import NewRequest

    client, _, engine = api
    future = NOW + dt.timedelta(days=2)  # a report time after the import's "now": the pipeline refuses it
    token = enqueue(engine, NewRequest("noise", 21.03, 105.85, None, "x", None, None, None), client="ward-app",
                    now=future)  # fmt: skip
    drain(client.app.state.context)
    response = client.get(f"/open311/v2/tokens/{token}.json")
    assert response.status_code == 400 and "refused" in response.json()[0]["description"]
    missing = client.get("/open311/v2/tokens/nope.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
