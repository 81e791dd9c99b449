"""Load: concurrent browser sessions on the leaders' and public pages while the poller ingests, without errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import ui_server as ui  # tests/hardening/_server.py, registered by conftest.py


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(900)
def test_five_concurrent_sessions_while_the_poller_ingests() -> None:
    if not Path(ui.CHROMIUM).exists():
        pytest.skip(f"the load test needs {ui.CHROMIUM}")
    from bench import bench_load

    result = bench_load.main(quick=True)
    assert result["page_loads"] == bench_load.QUICK["sessions"] * bench_load.QUICK["rounds"]
    assert result["errors"] == 0, result["error_details"]
    assert result["server_tracebacks"] == 0
    assert result["poll_failures"] == 0
    assert result["air"]["p50"] is not None and result["overview"]["p50"] is not None  # both pages were measured
