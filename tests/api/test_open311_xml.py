"""Open311 GeoReport v2 in XML, replayed from a public client library's own tests (tests/fixtures/open311_client:
the Ruby ``open311`` gem's recorded requests and the answers it parses): every route answers ``.xml`` with the
spec's content type and the same root, item and field elements as those answers; errors as ``<errors><error>``."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.open311 import drain
from data.api_keys import add_key
from data.config import load_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "open311_client"
RECORDED = {r["name"]: r for r in json.loads((FIXTURES / "client_requests.json").read_text())["requests"]}
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def api(loaded_engine: Engine, tmp_path: Path) -> tuple[TestClient, str]:
    key = add_key(loaded_engine, "ruby-client")
    settings = load_settings(boundary_set="hanoi-2025", media_dir=tmp_path / "media")  # the post has a media_url
    return TestClient(create_app(loaded_engine, settings)), key


def _shape(xml: bytes) -> tuple[str, str | None, set[str]]:
    """Root tag, the item tag and the item's field names of an Open311 XML document."""
    root = ElementTree.fromstring(xml)
    items = list(root)
    return root.tag, items[0].tag if items else None, {field.tag for field in items[0]} if items else set()


def _fixture_shape(name: str) -> tuple[str, str | None, set[str]]:
    return _shape((FIXTURES / name).read_bytes())


def _replay(client: TestClient, name: str, **fill: str):
    recorded = RECORDED[name]
    path = "/open311/v2/" + recorded["path"].format(**fill)
    if recorded["method"] == "POST":
        form = {k: v.format(**fill) for k, v in recorded["form"].items()}
        return client.post(path, content=urlencode(form), headers=FORM)
    return client.get(path, params=recorded["query"])


def _xml(response) -> bytes:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return response.content


def test_client_library_session_in_xml(api) -> None:
    client, key = api
    services = _xml(_replay(client, "service_list"))
    assert _shape(services) == _fixture_shape("services.xml")
    code = ElementTree.fromstring(services).find("service/service_code").text
    assert ElementTree.fromstring(services).find("service/metadata").text == "false"

    posted = _xml(_replay(client, "post_service_request", api_key=key, service_code=code))
    root, item, fields = _shape(posted)
    fixture_root, fixture_item, fixture_fields = _fixture_shape("post_service_request.xml")
    assert (root, item) == (fixture_root, fixture_item)
    assert fields == fixture_fields - {"service_request_id"} | {"token"}  # the spec's token variant
    token = ElementTree.fromstring(posted).find("request/token").text

    waiting = ElementTree.fromstring(_xml(_replay(client, "request_id_from_token", token=token)))
    assert waiting.find("request/service_request_id").text is None  # <service_request_id/>: not imported yet
    drain(client.app.state.context)
    answered = _xml(_replay(client, "request_id_from_token", token=token))
    assert _shape(answered) == _fixture_shape("request_id_from_token.xml")
    request_id = ElementTree.fromstring(answered).find("request/service_request_id").text
    assert request_id and request_id.isdigit()
    assert ElementTree.fromstring(answered).find("request/token").text == token

    one = _xml(_replay(client, "get_service_request", id=request_id))
    assert _shape(one) == _fixture_shape("service_requests.xml")
    request = ElementTree.fromstring(one).find("request")
    assert request.find("service_request_id").text == request_id and request.find("status").text == "open"
    for private in ("smit222@sfgov.edu", "john", "111111111", "sinkhole", key):
        assert private not in one.decode(), private
    listed = _xml(_replay(client, "service_requests"))
    assert _shape(listed) == _fixture_shape("service_requests.xml")
    assert [r.find("service_request_id").text for r in ElementTree.fromstring(listed)] == [request_id]


def test_json_and_xml_carry_the_same_services(api) -> None:
    client, _ = api
    as_json = client.get("/open311/v2/services.json").json()
    as_xml = ElementTree.fromstring(client.get("/open311/v2/services.xml").content)
    assert [s["service_code"] for s in as_json] == [s.find("service_code").text for s in as_xml]
    assert [s["service_name"] for s in as_json] == [s.find("service_name").text for s in as_xml]


@pytest.mark.parametrize(
    ("method", "path", "fields", "status"),
    [
        ("POST", "/open311/v2/requests.xml", {"api_key": "wrong", "service_code": "noise"}, 403),
        ("GET", "/open311/v2/requests/999999.xml", None, 404),
        ("GET", "/open311/v2/tokens/unknown.xml", None, 404),
        ("GET", "/open311/v2/requests.xml?status=pending", None, 400),
    ],
)
def test_errors_in_the_spec_xml(api, method: str, path: str, fields, status: int) -> None:
    client, _ = api
    response = client.post(path, content=urlencode(fields), headers=FORM) if method == "POST" else client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)
    assert root.tag == "errors" and root.find("error/code").text == str(status)
    assert root.find("error/description").text


def test_unknown_format_is_refused(api) -> None:
    client, _ = api
    response = client.get("/open311/v2/services.csv")
    assert response.status_code == 400 and response.json()[0]["code"] == 400


def test_xml_escapes_markup_and_drops_characters_xml_cannot_carry() -> None:
    from api.open311_format import xml_document

    document = xml_document("service_requests", "request", [{"status_notes": "<b>Đã xử lý</b> & \x01ok", "lat": None}])
    note = ElementTree.fromstring(document).find("request/status_notes").text
    assert note == "<b>Đã xử lý</b> & ok" and b"&lt;b&gt;" in document
