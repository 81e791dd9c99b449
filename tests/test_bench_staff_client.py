"""bench.streamlit_client against a real ``streamlit run dashboard/app.py``: a tab logs in through the session
cookie route and runs the leaders' overview over the WebSocket to ``script_finished``; what a browser would show
wrong (the login form instead of the page, an unknown page) is a failed run with its reason, never a pass. Like a
browser, the tab keeps the map document its Cache-Control allows, so a rerun does not fetch or carry it again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.bench_load import prepare_database, streamlit_server
from bench.bench_staff_load import Leader, listening_pid, process_cpu
from bench.streamlit_client import Tab


async def _runs(base: str, leader: Leader) -> tuple[list, list, str]:
    tab = Tab(base)
    await tab.log_in(await asyncio.to_thread(leader.handoff_code))
    runs = [await tab.run("overview", "Tổng quan") for _ in range(2)]
    await tab.close()
    stranger = Tab(base)  # no session cookie: the overview asks for a login instead
    refused = [await stranger.run("overview", "Tổng quan"), await stranger.run("no-such-page", "x")]
    await stranger.close()
    try:
        await Tab(base).log_in("not-a-handoff-code")
    except RuntimeError as err:
        return runs, refused, str(err)
    return runs, refused, ""


@pytest.mark.slow
def test_tab_runs_the_overview_and_reports_what_went_wrong(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    url = prepare_database(tmp_path, 300)
    with streamlit_server(url, tmp_path / "streamlit.log") as base:
        pid = listening_pid(int(base.rsplit(":", 1)[1]))
        cpu_before = process_cpu(pid)
        runs, refused, login_error = asyncio.run(_runs(base, Leader(url)))
        assert process_cpu(pid) > cpu_before  # the server did the page runs' work
    assert all(run.ok for run in runs), [run.error for run in runs]
    assert all(run.deltas > 10 and len(run.frames) == 1 for run in runs)  # KPIs, the map's frame, tables
    first, second = runs
    assert first.frames_fetched == 1 and first.bytes_received > 100_000  # the map document, fetched once
    assert second.frames == first.frames and second.frames_fetched == 0  # the same map, from the tab's cache
    assert second.bytes_received < first.bytes_received / 5  # a rerun no longer carries the map
    assert runs[0].headings[0] == "Tổng quan"
    logged_out, unknown = refused
    assert not logged_out.ok and "title 'Tổng quan' not among the headings" in logged_out.error
    assert not unknown.ok and unknown.error
    assert "login refused" in login_error and "400" in login_error
