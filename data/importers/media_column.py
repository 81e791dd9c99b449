"""The media column of a complaint import: photos, videos or audio named by URL or path, per report.

Before the batch transaction, each row's references are fetched (:mod:`data.media.fetch`) and cleaned
(:func:`data.media.prepare`); a row with any reference that cannot be fetched or is refused goes to quarantine
whole, with the file named in the reason — or, for chat and Open311 reports (``MediaSource.refuse_rows``
false), the medium is skipped and the report's text notes the file and the reason. A report without coordinates
takes the GPS position recorded in its first photo (``location_from_photo``). Inside the transaction
:meth:`ReportMedia.attach` stores the media and links them to the reports and their cases; if the batch fails,
nothing is kept.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import requests
from sqlalchemy import Connection, insert, select

from data.i18n import translate
from data.importers.normalise import Quarantine
from data.media import MediaError, PreparedMedia, save
from data.media.fetch import MediaSource, fetch, split_references
from data.media.storage import prepare
from data.schema import CaseAttachment, ComplaintReport

_CHUNK = 500
logger = logging.getLogger(__name__)


@dataclass
class ReportMedia:
    """Cleaned media waiting for the transaction, by report id: ``[(original name, prepared), …]``."""

    by_report: dict[str, list[tuple[str, PreparedMedia]]] = field(default_factory=dict)

    def attach(self, conn: Connection, source: str, now: dt.datetime) -> int:
        """Store the media of the reports inserted in this transaction and attach them; return how many."""
        wanted = list(self.by_report)
        attached = 0
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            query = select(ComplaintReport.id, ComplaintReport.external_id, ComplaintReport.case_id).where(
                ComplaintReport.source == source, ComplaintReport.external_id.in_(chunk)
            )
            rows = []
            for report_id, external_id, case_id in conn.execute(query):
                seen: set[str] = set()
                for name, prepared in self.by_report[external_id]:
                    stored = save(conn, prepared, now=now)
                    if stored.sha256 in seen:
                        continue
                    seen.add(stored.sha256)
                    rows.append(
                        {"case_id": case_id, "report_id": report_id, "sha256": stored.sha256,
                         "original_name": name[:255], "purpose": "report", "uploaded_by": source[:100],
                         "uploaded_at": now}
                    )  # fmt: skip
            if rows:
                conn.execute(insert(CaseAttachment), rows)
                attached += len(rows)
        return attached

    def discard(self) -> None:
        """Delete the files of media never saved (their report was a duplicate, or the batch failed)."""
        for items in self.by_report.values():
            for _name, prepared in items:
                prepared.discard()


def fetch_report_media(
    clean: pd.DataFrame,
    quarantine: Quarantine,
    header: str,
    source: MediaSource | None,
    known: Callable[[list[str]], set[str]],
) -> tuple[pd.DataFrame, ReportMedia]:
    """Fetch and clean every row's media; refuse rows whose media fail; place reports from photo GPS.

    ``clean`` has ``external_id`` (unique), ``media``, ``lat`` and ``lon``; ``known`` gives the report ids
    already stored (their media are not fetched again). Without a ``source`` the column is ignored. Returns
    the rows kept, with ``location_from_photo``, and their media.
    """
    frame = clean.copy()
    frame["location_from_photo"] = False
    media = ReportMedia()
    if source is None or "media" not in frame or frame["media"].isna().all():
        return frame, media
    with_media = frame[frame["media"].notna()]
    skip = known(with_media["external_id"].tolist())
    refused: dict[object, tuple[str, dict[str, object]]] = {}
    with requests.Session() as session:
        for index, external_id, cell in zip(
            with_media.index, with_media["external_id"], with_media["media"], strict=True
        ):
            if external_id in skip:
                continue
            items: list[tuple[str, PreparedMedia]] = []
            for reference in split_references(str(cell)):
                try:
                    upload = fetch(reference, source, session)
                    items.append((upload.name, prepare(source.store, upload, source.limits)))
                except MediaError as err:
                    if not source.refuse_rows:
                        logger.info("report %s: medium skipped: %s", external_id, err)
                        _note_skipped(frame, index, err)
                        continue
                    refused[index] = err.quarantine_params(reference)
                    break
            if index in refused:
                for _name, prepared in items:
                    prepared.discard()
                continue
            media.by_report[external_id] = items
            _place_from_photo(frame, index, items)
    if refused:
        frame["_refused"] = False
        for code in sorted({code for code, _params in refused.values()}):
            params = {index: values for index, (found, values) in refused.items() if found == code}
            mask = pd.Series(frame.index.isin(list(params)), index=frame.index)
            quarantine.add(frame, mask, header, code, pd.Series(params, dtype=object))
        frame = frame[~frame["_refused"]].drop(columns=["_refused"])
    return frame, media


def _note_skipped(frame: pd.DataFrame, index: object, error: MediaError) -> None:
    """Add to the report's text why a medium was not stored (for the operator; the report's language)."""
    note = translate("media.skipped_note", "vi", reason=error.text("vi"))
    text = frame.at[index, "description"] if "description" in frame else None
    frame.at[index, "description"] = f"{text}\n{note}" if isinstance(text, str) and text else note


def _place_from_photo(frame: pd.DataFrame, index: object, items: list[tuple[str, PreparedMedia]]) -> None:
    """Coordinates from the first medium carrying GPS, for a report that has none."""
    if pd.notna(frame.at[index, "lat"]) or pd.notna(frame.at[index, "lon"]):
        return
    for _name, prepared in items:
        gps = prepared.stored.info.gps
        if gps is not None:
            frame.at[index, "lat"], frame.at[index, "lon"] = gps
            frame.at[index, "location_from_photo"] = True
            return
