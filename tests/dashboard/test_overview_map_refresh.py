"""The leaders' map when only the clock moved: the page shows the last map at once and this minute's is drawn on
the background thread (a folium render takes seconds of CPU; under load every session arriving in a new minute
used to wait for it)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import components, loaders, map_documents


def _map_documents(at: AppTest) -> list[str]:
    return [map_documents.frame_html(el.proto) for el in at.get("iframe")]


def test_a_new_minute_shows_the_last_map_and_draws_the_next_in_the_background(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    minute = [dt.datetime(2030, 1, 1, 10, 0, tzinfo=dt.UTC)]  # later than any map another test left behind
    monkeypatch.setattr(loaders, "now_minute", lambda: minute[0])
    release, drawn = threading.Event(), []
    try:
        at = app(page="overview", user="lead")
        (first,) = _map_documents(at)
        loaders.prefetch(lambda: None).result(60)  # earlier tests' background renders done: only ours is counted
        draw = components.complaint_map

        def slow_draw(*args: object, **kwargs: object) -> object:
            release.wait(30)
            drawn.append((args[2], minute[0]))
            return draw(*args, **kwargs)

        monkeypatch.setattr(components, "complaint_map", slow_draw)
        minute[0] += dt.timedelta(minutes=1)
        started = time.monotonic()
        at.run()
        assert time.monotonic() - started < 20 and not at.exception  # not held by the blocked render
        assert _map_documents(at) == [first] and drawn == []  # the last map, shown at once
        release.set()
        deadline = time.monotonic() + 30
        while len(drawn) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        # this minute's map of the shown metric, and of the other one the page readies for a switch
        assert sorted(drawn) == [("count", minute[0]), ("rate", minute[0])]
    finally:
        release.set()
        components._last_maps.clear()  # no 2030 map left for other tests
