"""The public results page (``/results``) in AppTest, signed out: the reviewed result and photo are shown, none of
the personal data planted in every field reaches any element (tables, texts, the map's HTML)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import loaders, state
from data.db import make_engine, migrate
from tests.cases.public_seed import PUBLIC_NOTE, SECRETS, PublicWorld, seed_public

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture(scope="module")
def public_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, PublicWorld]]:
    folder = tmp_path_factory.mktemp("results")
    url = f"sqlite:///{folder / 'results.db'}"
    engine = make_engine(url)
    migrate(engine)
    world = seed_public(engine, folder / "media")
    yield url, world
    engine.dispose()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_signed_out_visitor_sees_reviewed_results_only(public_db, monkeypatch, language) -> None:
    url, world = public_db
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ENVMON_MEDIA_DIR", str(world.media_dir))
    monkeypatch.delenv("ENVMON_TILE_URL", raising=False)
    loaders.settings.clear()
    loaders.engine.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.session_state[state.LANGUAGE] = language
    at.switch_page("views/results.py")
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(table) == 2
    assert PUBLIC_NOTE in set(table.iloc[:, 5])
    photos = [value for value in table.iloc[:, 6] if value]
    assert len(photos) == 1 and photos[0].startswith("data:image/jpeg;base64,")
    assert ("17/03/2025" if language == "vi" else "17 Mar 2025") in set(table.iloc[:, 2])
    maps = at.get("iframe")
    assert len(maps) == 1 and "circleMarker" in maps[0].proto.srcdoc and "21.029" in maps[0].proto.srcdoc
    everything = " ".join([str(at.main), maps[0].proto.srcdoc])  # every element, the map's HTML too
    for secret in SECRETS:
        assert secret not in everything, secret
        assert secret not in table.to_string()
