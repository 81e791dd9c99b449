"""The case page's actions: one form per allowed action (``data.case_actions.perform``), the urge button and
the public-results review. Each form remembers the case version it was drawn with, so a concurrent action
gets the conflict message instead of overwriting; refusals show the error's one line, never a traceback."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import casework, loaders
from dashboard.components import local_time_text
from dashboard.i18n import current_language, label, t
from dashboard.markup import escape_markdown, markdown_text
from data import urges
from data.case_actions import ActionResult, Actor, CaseActionError, perform
from data.case_detail import CaseDetail
from data.case_review import REVIEW_ROLES, set_public
from data.categories import load_taxonomy
from data.media import MediaError, Upload
from data.media.kinds import EXTENSIONS
from data.urges import URGE_ROLES
from data.users import unit_names
from monitoring.case_notify import deliver_now

FILE_ACTIONS = ("accept", "in_progress", "resolve")
# the uploader's first filter by name (data.media checks every file by its content)
UPLOAD_TYPES = sorted({*EXTENSIONS.values(), "jpeg"})
NOTE_KEYS = {
    "resolve": "casepage.note_resolve",
    "reject": "casepage.note_reject",
    "transfer": "casepage.note_transfer",
    "reopen": "casepage.note_reopen",
}
FLASH = "envmon_case_flash"  # (case id, Markdown-safe message) shown once after an action's rerun
RENDERED = "envmon_case_rendered_version"  # case id -> the version the page last showed


def rendered_version(case_id: int, current: int) -> int:
    """The version the visitor saw when they filled in the form (the previous run's), else ``current``."""
    return int(st.session_state.get(RENDERED, {}).get(case_id, current))


def remember_version(detail: CaseDetail) -> None:
    """Called once the page is drawn: the next submit is checked against this version."""
    seen = dict(st.session_state.get(RENDERED, {}))
    seen[detail.id] = detail.version
    st.session_state[RENDERED] = seen


def show_flash(case_id: int) -> None:
    """The message of the action just done on this case (once)."""
    flash = st.session_state.pop(FLASH, None)
    if flash and flash[0] == case_id:
        st.success(flash[1])


def _uploads(files: list[Any] | None) -> tuple[Upload, ...]:
    return tuple(Upload(name=f.name, content=f.getvalue()) for f in files or [])


def _after_photo_required(category_code: str) -> bool:
    category = load_taxonomy().categories.get(category_code)
    return bool(category and category.after_photo_required)


def _run(detail: CaseDetail, actor: Actor, action: str, **inputs: Any) -> ActionResult | None:
    """Perform ``action``; on success remember a message for the rerun, on refusal show its one line."""
    language = current_language()
    try:
        result = perform(
            loaders.engine(),
            detail.id,
            action,
            actor=actor,
            expected_version=rendered_version(detail.id, detail.version),
            media_dir=casework.media_dir(),
            policy=casework.sla_policy(),
            **inputs,
        )
    except (CaseActionError, MediaError) as err:  # a refusal, or a refused file named in the user's language
        st.error(escape_markdown(err.text(language)))
        return None
    st.session_state[FLASH] = (detail.id, t("casepage.done", action=label("action", action)))
    return result


def _action_form(detail: CaseDetail, actor: Actor, action: str) -> None:
    note_label = t(NOTE_KEYS.get(action, "casepage.note"))
    inputs: dict[str, Any] = {}
    with st.form(f"case_{detail.id}_{action}", clear_on_submit=False):
        if action == "assign":
            inputs["assignee"] = st.text_input(t("casepage.assignee"), max_chars=100)
        if action == "transfer":
            units = {code: name for code, name in unit_names(loaders.engine()).items()
                     if not detail.unit or code != detail.unit.code}  # fmt: skip
            inputs["to_unit"] = st.selectbox(
                t("casepage.to_unit"), list(units), format_func=lambda c: units[c], index=None,
                placeholder=t("common.choose"),
            )  # fmt: skip
        if action == "merge":
            inputs["into_case"] = st.number_input(t("casepage.into_case"), min_value=1, step=1, value=None)
        if action == "split":
            choices = {
                r.id: f"{label('channel', r.channel)} · {local_time_text(r.reported_at)}" for r in detail.reports
            }
            inputs["report_id"] = st.selectbox(t("casepage.split_report"), list(choices),
                                               format_func=lambda r: choices[r])  # fmt: skip
        note = st.text_area(note_label, max_chars=4000)
        files = None
        if action in FILE_ACTIONS:
            required = action == "resolve" and _after_photo_required(detail.category_code)
            files = st.file_uploader(
                t("casepage.after_photos" if action == "resolve" else "casepage.before_photos"),
                type=UPLOAD_TYPES,
                accept_multiple_files=True,
                help=t("casepage.after_required") if required else None,
            )
            if required:
                st.caption(t("casepage.after_required"))
        publish = False
        if action == "resolve":
            publish = st.checkbox(t("casepage.publish_on_resolve"))
        submitted = st.form_submit_button(label("action", action), type="primary")
    if not submitted:
        return
    result = _run(detail, actor, action, note=note, files=_uploads(files), **inputs)
    if result is None:
        return
    if publish:  # the unit publishes what it just sent: the result note and the "after" photos
        photos = dict.fromkeys(result.attachment_ids, True)
        try:
            set_public(loaders.engine(), detail.id, actor=actor, expected_version=result.version,
                       result_public=True, photos=photos)  # fmt: skip
        except CaseActionError as err:  # resolved, but someone acted since: publishing is left to the review form
            done = st.session_state[FLASH][1]
            st.session_state[FLASH] = (detail.id, f"{done} {escape_markdown(err.text(current_language()))}")
    st.rerun()


def actions(detail: CaseDetail, actor: Actor) -> None:
    """The actions ``actor`` may take on the case now (``detail.allowed_actions``), one form at a time."""
    allowed = [a for a in detail.allowed_actions if a != "split" or len(detail.reports) > 1]
    if not allowed:
        return
    st.subheader(t("casepage.actions"))
    chosen = st.pills(  # pills wrap to a second line in a narrow column or on a phone
        t("casepage.choose_action"),
        allowed,
        format_func=lambda a: label("action", a),
        key=f"case_action_{detail.id}_{detail.status}",
        default=allowed[0],
    )
    if chosen:
        _action_form(detail, actor, chosen)


def send_urge_now(urge_id: int) -> str:
    """Send a just-recorded urge through the unit's route at once (``monitoring.case_notify.deliver_now``, which
    never raises); one Markdown-safe line saying where it went, or that the next poll round sends it."""
    via = deliver_now(loaders.engine(), loaders.settings(), urge_id)
    return markdown_text("urgesend.sent", via=via) if via else t("urgesend.pending")


def urge(detail: CaseDetail, actor: Actor) -> None:
    """ "Đôn đốc": a leader or an operator urges the unit on an open case (sent through the unit's route)."""
    if actor.role not in URGE_ROLES or not detail.clock.open or detail.unit is None:
        return
    with st.form(f"urge_{detail.id}"):
        st.markdown(f"**{t('casepage.urge_title')}**")
        note = st.text_input(t("casepage.urge_note"), max_chars=500)
        sent = st.form_submit_button(t("casepage.urge_button"))
    if sent:
        try:
            recorded = urges.urge(loaders.engine(), actor=actor, case_id=detail.id, note=note)
        except CaseActionError as err:
            st.error(escape_markdown(err.text(current_language())))
            return
        sent_line = send_urge_now(recorded.id)
        st.session_state[FLASH] = (detail.id, f"{markdown_text('casepage.urged', unit=detail.unit.name)} {sent_line}")
        st.rerun()


def review(detail: CaseDetail, actor: Actor) -> None:
    """Operators and the unit mark what the public results page may show: the result note and "after" photos."""
    if actor.role not in REVIEW_ROLES or detail.status != "resolved":
        return
    after = [a for a in detail.attachments if a.purpose == "after" and a.kind == "photo"]
    with st.form(f"review_{detail.id}"):
        st.markdown(f"**{t('casepage.review_title')}**")
        st.caption(t("casepage.review_help"))
        result_public = st.checkbox(t("casepage.result_public"), value=detail.result_public)
        chosen = {
            a.id: st.checkbox(
                t("casepage.photo_public", name=escape_markdown(a.original_name)), value=a.is_public, key=f"pub_{a.id}"
            )
            for a in after
        }
        saved = st.form_submit_button(t("casepage.review_save"))
    if saved:
        try:
            seen = rendered_version(detail.id, detail.version)
            set_public(loaders.engine(), detail.id, actor=actor, expected_version=seen, result_public=result_public,
                       photos=chosen)  # fmt: skip
        except CaseActionError as err:
            st.error(escape_markdown(err.text(current_language())))
            return
        st.session_state[FLASH] = (detail.id, t("casepage.review_saved"))
        st.rerun()
