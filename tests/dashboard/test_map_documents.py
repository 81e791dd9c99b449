"""The big map pages served by URL (dashboard.map_documents): a rerun sends a frame element, not the page; the
browser may keep each document for good (its URL is its content hash); only the roles that saw it may load it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from dashboard import loaders, map_documents, server
from data import sessions
from data.schema import User


@pytest.fixture
def client(seeded_db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("DATABASE_URL", seeded_db[0])
    loaders.settings.clear()
    loaders.engine.clear()
    with TestClient(Starlette(routes=server.ROUTES, middleware=server.MIDDLEWARE)) as test_client:
        yield test_client


def _cookie(engine: Engine, username: str) -> str:
    """The session cookie a browser holds after ``username`` logged in."""
    with engine.connect() as conn:
        user_id = conn.execute(select(User.id).where(User.username == username)).scalar_one()
    _, code = sessions.start(engine, user_id, sessions.SessionPolicy())
    redeemed = sessions.redeem_handoff(engine, code)
    assert redeemed is not None
    return redeemed[0]


def test_a_staff_map_is_served_to_staff_sessions_only_and_cached_by_its_hash(
    client: TestClient, seeded_db: tuple[str, Engine]
) -> None:
    document = map_documents.MapDocument.of("<html><body>ward map 1 &lt;b&gt;</body></html>")
    url = map_documents.publish(document, ("leader", "analyst"))
    assert url == f"/_envmon/map/{document.digest}.html" and map_documents.stored(url) == document.html

    assert client.get(url).status_code == 403  # no session
    client.cookies.set(server.COOKIE, "not-a-session")
    assert client.get(url).status_code == 403
    client.cookies.set(server.COOKIE, _cookie(seeded_db[1], "ops"))  # a live session of another role
    assert client.get(url).status_code == 403

    client.cookies.set(server.COOKIE, _cookie(seeded_db[1], "lead"))
    answer = client.get(url)
    assert answer.status_code == 200 and answer.text == document.html
    assert answer.headers["content-type"].startswith("text/html")
    assert "private" in answer.headers["cache-control"] and "immutable" in answer.headers["cache-control"]
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"  # the app frames it; other sites may not
    assert answer.headers["content-security-policy"] == "frame-ancestors 'self'"
    again = client.get(url, headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    gone = client.get(f"/_envmon/map/{'0' * 64}.html")  # e.g. after a restart: the frame asks for a reload
    assert gone.status_code == 404 and gone.headers["cache-control"] == "no-store"
    assert "Hãy tải lại trang" in gone.text and "Please reload the page" in gone.text


def test_a_browser_accepting_gzip_gets_the_document_compressed_under_its_own_tag() -> None:
    html_text = "<html><body>" + "<path d='M 105.8 21.0 L 105.9 21.1'/>" * 2000 + "</body></html>"
    document = map_documents.MapDocument.of(html_text)
    url = map_documents.publish(document, None)
    with TestClient(Starlette(routes=server.ROUTES)) as anonymous:
        packed = anonymous.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        plain = anonymous.get(url, headers={"Accept-Encoding": "identity"})
        again = anonymous.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["etag"]})
        other = anonymous.get(url, headers={"Accept-Encoding": "identity", "If-None-Match": packed.headers["etag"]})
    assert packed.headers["content-encoding"] == "gzip" and packed.text == html_text  # the client unpacks it
    assert int(packed.headers["content-length"]) < len(html_text) // 10
    assert "content-encoding" not in plain.headers and plain.text == html_text
    assert packed.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
    assert packed.headers["etag"] != plain.headers["etag"]
    assert again.status_code == 304 and other.status_code == 200  # a tag names one encoding


def test_a_map_also_shown_on_a_public_page_is_public() -> None:
    document = map_documents.MapDocument.of("<html>stations 2</html>")
    map_documents.publish(document, ("leader",))
    url = map_documents.publish(document, None)
    with TestClient(Starlette(routes=server.ROUTES)) as anonymous:
        answer = anonymous.get(url)
    assert answer.status_code == 200 and answer.headers["cache-control"].startswith("public")


def test_the_store_drops_the_least_recently_shown_maps_beyond_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(map_documents, "MAX_BYTES", 3000)
    first, second, third = (map_documents.MapDocument.of(f"<html>{n}{'x' * 1000}</html>") for n in range(3))
    for document in (first, second):
        map_documents.publish(document, None)
    map_documents.publish(first, None)  # shown again: now the most recent
    map_documents.publish(third, None)
    assert map_documents.stored(first.url) and map_documents.stored(third.url)
    assert map_documents.stored(second.url) is None


def test_a_refused_frame_asks_again_while_the_login_cookie_is_on_its_way_then_says_the_session_ended(
    client: TestClient, seeded_db: tuple[str, Engine]
) -> None:
    """Right after a login the frame may ask before the cookie is set: the refusal reloads it, bounded."""
    document = map_documents.MapDocument.of("<html>ward map 3</html>")
    url = map_documents.publish(document, ("leader",))

    first = client.get(url)
    assert first.status_code == 403 and first.headers["cache-control"] == "no-store"
    assert "searchParams.set('attempt','1')" in first.text and "ward map" not in first.text
    assert "Phiên đăng nhập" not in first.text  # no message while it retries
    middle = client.get(f"{url}?attempt=7")
    assert "searchParams.set('attempt','8')" in middle.text
    last = client.get(f"{url}?attempt={map_documents.RETRY_ATTEMPTS}")
    assert last.status_code == 403 and "location.replace" not in last.text
    assert "Phiên đăng nhập đã kết thúc" in last.text and "Your session has ended" in last.text
    assert client.get(f"{url}?attempt=<script>").status_code == 403  # not a number: counted from 0

    client.cookies.set(server.COOKIE, _cookie(seeded_db[1], "lead"))  # the cookie arrived: the retry gets the map
    assert client.get(f"{url}?attempt=3").text == document.html
