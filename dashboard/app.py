"""The envmon dashboard entry point.

Run from the repository root: ``python -m streamlit run dashboard/app.py`` (``-m`` puts the repository on
``sys.path`` so ``data``, ``geo`` and ``monitoring`` import).

This file has two roles. ``streamlit run`` first *imports* it (``__name__ != "__main__"``) and finds ``app``,
an ``st.App`` that adds the session-cookie route and the security headers of :mod:`dashboard.server`; that app
then *runs* this file as the page script (``__name__ == "__main__"``) on every interaction, which calls
:func:`dashboard.navigation.main` (page config, session, sidebar, the pages). Kept this small on purpose: what
this file does, every page run of every session does again.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

REPO_ROOT = Path(__file__).absolute().parent.parent  # not .resolve(): this runs on every page run (syscalls)
if str(REPO_ROOT) not in sys.path:  # `streamlit run dashboard/app.py` without -m only adds dashboard/
    sys.path.insert(0, str(REPO_ROOT))


if __name__ != "__main__":  # imported by `streamlit run` / uvicorn: the ASGI app around this script
    from dashboard import server

    app = st.App(__file__, routes=server.ROUTES, middleware=server.MIDDLEWARE)
else:
    from dashboard import navigation

    navigation.main()
