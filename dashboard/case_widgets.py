"""The read-only sections of the case page: facts and SLA clock, location map, reports, files, record, urges,
station evidence and nearby cases. Every data string is escaped where Markdown or HTML renders it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import folium
import pandas as pd
import streamlit as st

from dashboard import casework, components, loaders, maps
from dashboard.i18n import current_language, label, t
from dashboard.markup import escape_markdown, markdown_text
from data import unit_queue
from data.case_detail import Attachment, CaseDetail, HistoryEntry
from data.i18n import formats
from data.media import MediaStore, media_file, thumbnail_file

MAP_HEIGHT = 300
CASE_ZOOM = 16
THUMBS_PER_ROW = 4


def _time(moment: object) -> str:
    return components.local_time_text(moment)


def clock_words(detail: CaseDetail, now: dt.datetime) -> str:
    """The SLA clock of the case in words: ``còn 3 giờ làm việc`` / ``quá hạn 2 ngày`` while open; once resolved,
    whether on time (``xử lý xong đúng hạn``) or by how much late."""
    clock = detail.clock
    if not clock.open:
        if detail.status != "resolved" or clock.resolved_at is None or clock.due_at is None:
            return t("casepage.clock_closed")
        if clock.resolved_at <= clock.due_at:
            return t("casepage.resolved_on_time")
        return t("casepage.resolved_late", late=casework.clock(clock.due_at, -1.0, clock.resolved_at))
    deadline = clock.accept_due_at if clock.deadline == "accept" else clock.due_at
    return casework.clock(deadline, clock.working_hours_left, now)


def status_line(detail: CaseDetail, now: dt.datetime) -> None:
    """The status and SLA clock in a coloured line: red when overdue, blue while open, green once closed."""
    clock = detail.clock
    line = markdown_text("casepage.status_clock", status=label("status", detail.status), clock=clock_words(detail, now))
    if clock.overdue:
        st.error(line, icon=":material/timer_off:")
    elif clock.open:
        st.info(line, icon=":material/timer:")
    else:
        st.success(line, icon=":material/task_alt:")


def facts(detail: CaseDetail) -> None:
    """Deadlines, category, place, unit, how it was routed, when it was received, accepted and resolved."""
    clock = detail.clock
    names = loaders.category_names(current_language())
    lines = [
        markdown_text("casepage.deadlines_line", accept=_time(clock.accept_due_at), due=_time(clock.due_at)),
        markdown_text("casepage.category_line", category=names[detail.category_code],
                      priority=label("casepage.priority", detail.priority)),
        markdown_text("casepage.place_line", ward=detail.ward_name or t("casepage.no_ward"),
                      district=detail.district or "—"),
        markdown_text("casepage.unit_line", unit=detail.unit.name if detail.unit else t("casepage.no_unit")),
        markdown_text("casepage.routed_line", how=routing_words(detail)),
        markdown_text("casepage.opened_line", opened=_time(detail.opened_at), accepted=_time(clock.accepted_at),
                      resolved=_time(clock.resolved_at)),
    ]  # fmt: skip
    if detail.assignee:
        lines.append(markdown_text("casepage.assignee_line", assignee=detail.assignee))
    if detail.result_note:
        public = t("casepage.result_is_public") if detail.result_public else t("casepage.result_not_public")
        lines.append(markdown_text("casepage.result_line", note=detail.result_note, public=public))
    if detail.reopen_count:
        lines.append(markdown_text("casepage.reopened_line", n=detail.reopen_count))
    st.markdown("  \n".join(lines))
    if detail.merged_into_id is not None:
        st.info(t("casepage.merged_into", id=detail.merged_into_id))
        st.page_link(casework.CASE_PAGE, label=t("casepage.open_case", id=detail.merged_into_id),
                     query_params={"id": str(detail.merged_into_id)})  # fmt: skip


def routing_words(detail: CaseDetail) -> str:
    """How the case reached its unit: the last transfer with its reason, else the routing rule that matched."""
    last = detail.last_transfer
    if last is not None:
        return t("casepage.routed_transfer", who=last.actor, at=_time(last.at), note=last.note or "—")
    basis = unit_queue.routing_basis(
        loaders.engine(), detail.ward_code, detail.category_code, detail.unit.id if detail.unit else None
    )
    return t(f"casepage.routed_{basis}")


def location_map(detail: CaseDetail) -> None:
    """A small map of the case's point inside its ward outline (vendored assets, no tile server needed)."""
    if detail.lat is None or detail.lon is None:
        st.caption(t("casepage.no_location"))
        return
    settings = loaders.settings()
    fmap = maps.base_map(
        tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution,
        center=(detail.lat, detail.lon),
        zoom=CASE_ZOOM,
    )
    if detail.set_name and detail.ward_code:
        wards = loaders.wards(detail.set_name)
        ward = wards[wards["code"] == detail.ward_code]
        if len(ward):
            folium.GeoJson(
                ward[["geometry"]].to_json(),
                style_function=lambda _f: {"color": "#08519c", "weight": 2, "fillOpacity": 0.05},
            ).add_to(fmap)
    names = loaders.category_names(current_language())
    rows = [(t("common.category"), names[detail.category_code]),
            (t("common.ward"), detail.ward_name), (t("common.district"), detail.district)]  # fmt: skip
    folium.CircleMarker(
        location=(detail.lat, detail.lon),
        radius=9,
        color="#08519c",
        fill=True,
        fill_opacity=0.9,
        popup=folium.Popup(maps.popup_html(t("casepage.heading_short", id=detail.id), rows), max_width=300),
    ).add_to(fmap)
    components.show_map(fmap, key=f"case_map_{detail.id}", height=MAP_HEIGHT)
    if any(report.location_from_photo for report in detail.reports):
        st.caption(t("casepage.location_from_photo"))


def reports(detail: CaseDetail, *, personal: bool) -> None:
    """Every linked report: channel, time, address, text; the reporter only for a role allowed to see it."""
    st.subheader(t("casepage.reports", n=len(detail.reports)))
    language = current_language()
    view = pd.DataFrame({
        t("common.channel"): [formats.safe_text(r.channel, language) for r in detail.reports],
        t("casepage.reported_at"): [_time(r.reported_at) for r in detail.reports],
        t("casepage.address"): [formats.safe_text(r.address or None, language) for r in detail.reports],
        t("casepage.description"): [formats.safe_text(r.description or None, language) for r in detail.reports],
    })  # fmt: skip
    if personal:
        view[t("casepage.reporter")] = [formats.safe_text(r.reporter_name, language) for r in detail.reports]
        view[t("casepage.phone")] = [formats.safe_text(r.reporter_phone, language) for r in detail.reports]
    st.dataframe(view, hide_index=True, width="stretch")
    if not personal:
        st.caption(t("casepage.reporter_hidden"))


def _media_dir() -> MediaStore:
    return casework.media_dir()


def _full_image(path: str, caption: str) -> None:
    """The full-size image in a dialog (opened for this run only; titled in the page's language)."""

    def body() -> None:
        st.image(path, caption=caption, width="stretch")

    st.dialog(t("casepage.full_image"), width="large")(body)()


def _show_file(attachment: Attachment, caption: str, place: str) -> None:
    """One file: an image's thumbnail with its full size behind a button, a video or audio player. Files are
    served as stored: stripped of EXIF and other metadata by ``data.media``."""
    folder = casework.media_dir()
    full = media_file(folder, attachment.sha256, attachment.mime)
    if not full.exists():
        st.caption(t("casepage.file_missing", name=escape_markdown(attachment.original_name)))
        return
    if attachment.kind == "photo":
        thumb = thumbnail_file(folder, attachment.sha256) if attachment.has_thumbnail else full
        st.image(str(thumb), caption=caption, width="stretch")
        # the full image only when asked for: it is sent (and held by the server) on demand, not with every view
        if st.button(t("casepage.full_image"), key=f"full_{place}_{attachment.id}", width="stretch"):
            _full_image(str(full), caption)
    elif attachment.kind == "video":
        st.video(str(full))
        st.caption(caption)
    else:
        st.audio(str(full))
        st.caption(caption)


def file_grid(attachments: Sequence[Attachment], place: str) -> None:
    """Files in rows of :data:`THUMBS_PER_ROW` (one under another on a phone, where columns stack); ``place``
    tells the grids of one page apart (a file shows in the gallery and at its record entry)."""
    for start in range(0, len(attachments), THUMBS_PER_ROW):
        cells = st.columns(THUMBS_PER_ROW)
        for cell, attachment in zip(cells, attachments[start : start + THUMBS_PER_ROW], strict=False):
            with cell:
                public = f" · {t('casepage.public_mark')}" if attachment.is_public else ""
                caption = (
                    f"{label('purpose', attachment.purpose)}{public} · {escape_markdown(attachment.original_name)}"
                )
                _show_file(attachment, caption, place)


def files(detail: CaseDetail) -> None:
    """Every photo, video and audio of the reports and the actions."""
    st.subheader(t("casepage.files", n=len(detail.attachments)))
    if not detail.attachments:
        st.caption(t("casepage.no_files"))
        return
    file_grid(detail.attachments, "gallery")


def _entry_text(entry: HistoryEntry) -> str:
    change = (
        label("status", entry.to_status)
        if entry.from_status == entry.to_status or not entry.from_status
        else f"{label('status', entry.from_status)} → {label('status', entry.to_status)}"
    )
    unit = f" · {escape_markdown(entry.unit.name)}" if entry.unit else ""
    return f"**{_time(entry.at)}** · {escape_markdown(entry.actor)} · {change}{unit}"


def timeline(detail: CaseDetail) -> None:
    """The written record, newest first: who, when, what, the note and the evidence files."""
    st.subheader(t("casepage.timeline"))
    if not detail.history:
        st.caption(t("casepage.no_history"))
        return
    for entry in reversed(detail.history):
        with st.container(border=True):
            st.markdown(_entry_text(entry))
            if entry.note:
                st.markdown(escape_markdown(entry.note))
            if entry.attachments:
                file_grid(entry.attachments, f"entry{entry.id}")


def urges(detail: CaseDetail) -> None:
    """Urges and escalations the case received."""
    if not detail.urges:
        return
    st.subheader(t("casepage.urges", n=len(detail.urges)))
    for urge in detail.urges:
        who = t("casepage.escalation") if urge.kind == "escalation" else escape_markdown(urge.actor)
        sent = t("casepage.urge_sent", via=urge.delivered_via) if urge.delivered_via else t("casepage.urge_not_sent")
        note = f" — {escape_markdown(urge.note)}" if urge.note else ""
        st.markdown(f"**{_time(urge.at)}** · {who}{note} ({escape_markdown(sent)})")


def corroboration(detail: CaseDetail) -> None:
    """For smoke, dust and odour: the nearest air station's exceedance around the report time, if any."""
    found = detail.corroboration
    if found is None:
        return
    st.subheader(t("casepage.corroboration"))
    if not found.corroborated:
        st.caption(t("casepage.no_corroboration"))
        return
    stations = loaders.stations("air", "vn", loaders.now_minute()).set_index("id")["name"].to_dict()
    st.success(escape_markdown(components.evidence_text(found, stations)))


def nearby(detail: CaseDetail) -> None:
    """Open cases close by (in the viewer's scope), each linked to its page."""
    if not detail.nearby:
        return
    st.subheader(t("casepage.nearby", n=len(detail.nearby)))
    names = loaders.category_names(current_language())
    view = pd.DataFrame({
        t("queue.col.case"): [casework.case_url(c.id) for c in detail.nearby],
        t("common.category"): [names[c.category_code] for c in detail.nearby],
        t("common.status"): [label("status", c.status) for c in detail.nearby],
        t("casepage.distance"): [f"{components.number_text(c.distance_m)} m" for c in detail.nearby],
    })  # fmt: skip
    st.dataframe(view, hide_index=True, width="stretch",
                 column_config={t("queue.col.case"): casework.case_link_column(t("queue.col.case"))})  # fmt: skip
