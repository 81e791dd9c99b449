"""Nhập dữ liệu (import, operators only): upload a complaint or readings file, see the summary and quarantine."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import auth, components, loaders, state
from dashboard.i18n import current_language, label, t
from data.i18n import formats
from data.importers.readers import ExplainedError
from data.uploads import (
    DEFAULT_MAX_BYTES,
    UploadRejected,
    check_upload,
    import_complaint_upload,
    quarantine_view,
)

LOGGER = logging.getLogger(__name__)

COMPLAINT_TYPES = ("csv", "xlsx", "json", "geojson")
READING_TYPES = ("csv", "txt")


def _run_import(kind: str, name: str, stored_name: str, content: bytes) -> dict[str, object]:
    engine, settings = loaders.engine(), loaders.settings()
    now = dt.datetime.now(dt.UTC)
    if kind == "complaints":
        return import_complaint_upload(engine, settings, name, content, now)
    from monitoring.readings_import import import_readings
    from monitoring.stations import WardLocator

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / stored_name
        path.write_bytes(content)
        readings = import_readings(engine, path, now=now, locator=WardLocator(engine, settings.boundary_set))
    return readings.as_dict()


def _upload() -> None:
    kind = st.radio(
        t("import.kind"), ["complaints", "readings"], horizontal=True, format_func=lambda k: t(f"import.kind_{k}")
    )
    allowed = COMPLAINT_TYPES if kind == "complaints" else READING_TYPES
    uploaded = st.file_uploader(t("import.file", types=", ".join(allowed)), type=list(allowed))
    st.caption(t("import.limits", mb=DEFAULT_MAX_BYTES // (1024 * 1024)))
    if uploaded is None or not st.button(t("import.run"), type="primary"):
        return
    content = uploaded.getvalue()
    if Path(uploaded.name).suffix.lower().lstrip(".") not in allowed:
        st.error(t("import.bad_type", types=", ".join(allowed)))
        return
    try:
        checked = check_upload(uploaded.name, content)
    except UploadRejected as err:
        st.error(err.vietnamese if current_language() == "vi" else err.english)
        return
    try:
        summary = _run_import(kind, uploaded.name, checked.stored_name, content)
    except ExplainedError as err:  # unreadable file, database locked or full: one sentence in the language
        st.error(err.sentence(current_language()))
        return
    except (ValueError, LookupError) as err:
        st.error(t("import.failed", error=str(err)))
        return
    except Exception:  # never a traceback on the page: the operator reads one sentence, the log keeps the rest
        LOGGER.exception("import of an uploaded file failed")
        st.error(t("import.error.unexpected", file=Path(uploaded.name).name))
        return
    loaders.clear_live_caches()
    st.session_state[state.IMPORT_RESULT] = summary


def _batches() -> None:
    result = st.session_state.get(state.IMPORT_RESULT)
    language = current_language()
    if result:
        if int(result.get("accepted", 1)) == 0 and int(result.get("duplicates", 0)) > 0:
            st.info(t("import.nothing_new", n=formats.number(result["duplicates"], language)))
        else:
            st.success(t("import.done"))
        counts = [key for key in ("rows", "accepted", "duplicates", "quarantined", "unassigned") if key in result]
        components.kpi_row([(t(f"col.{key}"), formats.number(result[key], language), None) for key in counts])
    st.subheader(t("import.batches"))
    batches = loaders.import_batches()
    if batches.empty:
        st.caption(t("import.no_batches"))
        return
    view = batches.assign(
        started_at=[components.local_time_text(v) for v in batches["started_at"]],
        status=[label("batch_status", s) for s in batches["status"]],
        kind=[label("batch_kind", k) for k in batches["kind"]],
    )
    summaries = pd.json_normalize(list(view.pop("summary"))).reindex(
        columns=["rows", "accepted", "duplicates", "quarantined", "unassigned"]
    )
    summaries = summaries.map(lambda count: "" if pd.isna(count) else formats.number(count, language))
    st.dataframe(
        pd.concat([view.reset_index(drop=True), summaries], axis=1).rename(columns=lambda c: t(f"col.{c}")),
        hide_index=True,
        width="stretch",
    )
    default = str(result["batch"]) if result and "batch" in result else None
    ids = list(batches["id"])
    batch_id = st.selectbox(t("import.quarantine_of"), ids, index=ids.index(default) if default in ids else 0)
    rows = loaders.quarantine_rows(batch_id)
    st.subheader(t("import.quarantine", n=len(rows)))
    if rows.empty:
        st.caption(t("import.no_quarantine"))
    else:
        view = quarantine_view(rows, language)  # reasons in the page language, name and phone masked
        st.dataframe(view.rename(columns=lambda c: t(f"col.{c}")), hide_index=True, width="stretch")


def render() -> None:
    """Draw the import page."""
    auth.require_role(auth.OPERATOR_ONLY)
    st.title(t("import.title"))
    _upload()
    _batches()


render()
