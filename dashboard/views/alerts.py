"""Cảnh báo (alerts): open and recent alerts grouped by rule family and place, in words; filters, search;
acknowledge and silence for operators. Each row links to the alert's own page (``/alert?id=N``). The filters
live in the URL (``?a_family=sla&a_q=urenco``), so a reload or a shared link shows the same selection."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import auth, components, loaders
from dashboard.i18n import current_language, label, t
from dashboard.markup import escape_markdown, markdown_text
from data import alert_queries
from data.alert_states import OPEN_STATES, SEVERITY_RANK, AlertState
from data.alert_text import SEVERITY_COLOUR, SEVERITY_ICON, SUBJECT_KIND, describe_frame, unit_queue_path
from data.i18n.formats import local_time, number

RECENT_DAYS = 7
ACK_HOURS = (4, 8, 24, 72)
REFRESH = dt.timedelta(seconds=loaders.SHORT_TTL)
FAMILIES = ("threshold", "device", "silence", "aqi", "sla", "hotspot")
PLACE_KEYS = {"station": "station_id", "ward": "ward_code", "unit": "unit_code"}


def alert_rows(frame: pd.DataFrame, language: str, now: dt.datetime, silences: list[dict]) -> pd.DataFrame:
    """The alerts as display rows: words, place, family, severity and search text (no rule id, no subject)."""
    text = describe_frame(frame, language, now=now, timezone=loaders.settings().timezone)
    labels = [labels or {} for labels in frame["labels"]]
    handled = []
    for alert in frame[["ack_by", "ack_at", "rule_id", "subject", "kind", "severity", "labels"]].to_dict("records"):
        silence = alert_queries.silenced_by(alert, silences) if silences else None
        if alert["ack_by"] and not pd.isna(alert["ack_at"]):
            handled.append(t("alerts.ack_short", who=alert["ack_by"], at=local_time(alert["ack_at"], language)))
        elif silence is not None:
            until = local_time(silence["ends_at"], language)
            handled.append(t("alerts.silenced_short", who=silence["created_by"], until=until))
        else:
            handled.append(t("alerts.not_handled"))
    places = {kind: label("alert_place", kind) for kind in set(SUBJECT_KIND.values())}
    return pd.DataFrame(
        {
            "id": frame["id"].astype(int).to_numpy(),
            "family": frame["kind"].astype(str).to_numpy(),
            "severity_code": frame["severity"].to_numpy(),
            "state_code": frame["state"].to_numpy(),
            "severity": text["severity"].to_numpy(),
            "state": text["state"].to_numpy(),
            "place_kind": text["place_kind"].map(places).to_numpy(),
            "place": text["place"].to_numpy(),
            "what": text["what"].to_numpy(),
            "since": text["since"].to_numpy(),
            "last_data": text["data_age"].to_numpy(),
            "handled": handled,
            "link": [f"alert?id={int(i)}" for i in frame["id"]],
            "queue": [unit_queue_path(alert) for alert in frame[["kind", "labels"]].to_dict("records")],
            "district": [str(item.get("district", "")) for item in labels],
            "ward": [str(item.get("ward_code", "")) for item in labels],
            "station": [str(item.get("station_id", "")) for item in labels],
            "unit": [str(item.get("unit_code", "")) for item in labels],
            "search": (text["place"] + " " + text["what"]).str.casefold().to_numpy(),
        }
    )


def _choices(rows: pd.DataFrame, column: str, names: pd.Series) -> dict[str, str]:
    present = rows[rows[column] != ""]
    return dict(sorted(zip(present[column], names[present.index], strict=True), key=lambda item: item[1]))


URL_PREFIX = "a_"  # ?a_state=firing&a_family=sla&a_ward=00070&a_q=urenco (apart from the shared case filter's names)
ALL = "all"  # ?a_state=all: every state (no parameter: the open states)


def _url_list(name: str, allowed: list[str], default: list[str]) -> list[str]:
    """A multi-valued filter from the URL, kept to ``allowed`` values; ``default`` when the URL has none."""
    values = st.query_params.get_all(URL_PREFIX + name)
    if values == [ALL]:
        return []
    return [v for v in values if v in allowed] or default


def _url_one(name: str, allowed: dict[str, str] | list[str]) -> str:
    value = st.query_params.get(URL_PREFIX + name, "")
    return value if value in allowed else ""


def _keep_in_url(values: dict[str, str | list[str]], defaults: dict[str, list[str]]) -> None:
    """Write the filters into the URL (a reload or a shared link shows the same selection); defaults are left out."""
    for name, value in values.items():
        key = URL_PREFIX + name
        if isinstance(value, list) and value == defaults.get(name, []):
            value = ""
        elif isinstance(value, list) and not value:
            value = ALL
        if not value:
            if key in st.query_params:
                del st.query_params[key]
        elif (st.query_params.get_all(key) if isinstance(value, list) else st.query_params.get(key)) != value:
            st.query_params[key] = value


def _widget_key(name: str) -> str:
    return f"alerts_filter_{name}"


def _start(name: str, value: object) -> str:
    """The widget's session key, set from the URL on the session's first run (a reload, a link)."""
    key = _widget_key(name)
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def _kept_choice(name: str, options: dict[str, str] | list[str]) -> str:
    """:func:`_start` for a one-value filter whose options come from the alerts (a choice that left is cleared)."""
    key = _start(name, _url_one(name, options))
    if st.session_state[key] and st.session_state[key] not in options:
        st.session_state[key] = ""
    return key


def _filters(rows: pd.DataFrame) -> pd.DataFrame:
    state_options = [s.value for s in AlertState if s != AlertState.INACTIVE]
    default_states = [s.value for s in OPEN_STATES]
    filtered = any(name.startswith(URL_PREFIX) for name in st.query_params)  # open when a filter is set: visible
    with st.expander(t("alerts.filters"), expanded=filtered):
        left, middle, right = st.columns(3)
        states = left.multiselect(
            t("alerts.filter_state"),
            state_options,
            key=_start("state", _url_list("state", state_options, default_states)),
            format_func=lambda s: label("alert_state", s),
            placeholder=t("alerts.filter_all"),
        )
        families = middle.multiselect(t("alerts.filter_family"), FAMILIES, format_func=lambda f: t(f"alert_family.{f}"),
                                      key=_start("family", _url_list("family", list(FAMILIES), [])),
                                      placeholder=t("alerts.filter_all"))  # fmt: skip
        severity_key = _start("severity", _url_list("severity", list(SEVERITY_RANK), []))
        severities = right.multiselect(t("alerts.filter_severity"), list(SEVERITY_RANK), key=severity_key,
                                       format_func=lambda s: f"{SEVERITY_ICON[s]} {label('severity', s)}",
                                       placeholder=t("alerts.filter_all"))  # fmt: skip
        left, middle, right, far = st.columns(4)
        districts = sorted(d for d in rows["district"].unique() if d)
        everything = t("alerts.filter_all")
        district = left.selectbox(t("alerts.filter_district"), ["", *districts], format_func=lambda d: d or everything,
                                  key=_kept_choice("district", districts))  # fmt: skip
        picks = {}
        for column, box in (("ward", middle), ("station", right), ("unit", far)):
            options = _choices(rows, column, rows["place"])
            key = _kept_choice(column, options)
            picks[column] = box.selectbox(t(f"alerts.filter_{column}"), ["", *options], key=key,
                                          format_func=lambda c, o=options: o.get(c, everything))  # fmt: skip
        query = st.text_input(t("alerts.search"), placeholder=t("alerts.search_hint"),
                              key=_start("q", st.query_params.get(URL_PREFIX + "q", "")[:200]))  # fmt: skip
    _keep_in_url({"state": states, "family": families, "severity": severities, "district": district or "",
                  **picks, "q": query.strip()}, {"state": default_states})  # fmt: skip
    keep = rows["state_code"].isin(states) if states else pd.Series(True, index=rows.index)
    if families:
        keep &= rows["family"].isin(families)
    if severities:
        keep &= rows["severity_code"].isin(severities)
    if district:
        keep &= rows["district"] == district
    for column, value in picks.items():
        if value:
            keep &= rows[column] == value
    if query.strip():
        keep &= rows["search"].str.contains(query.strip().casefold(), regex=False)
    return rows[keep]


def _summary(rows: pd.DataFrame) -> None:
    """Open alerts per severity and the stale ones, as metric cards (two to a line on a phone)."""
    active = rows[rows["state_code"].isin([s.value for s in OPEN_STATES])]
    language = current_language()
    cards: list[tuple[str, object, str | None]] = [
        (f":{SEVERITY_COLOUR[severity]}[{SEVERITY_ICON[severity]}] {label('severity', severity)}",
         number(int((active["severity_code"] == severity).sum()), language), None)
        for severity in SEVERITY_RANK
    ]  # fmt: skip
    stale = int((active["state_code"] == AlertState.STALE).sum())
    cards.append((label("alert_state", AlertState.STALE), number(stale, language), None))
    components.kpi_row(cards)


def _groups(rows: pd.DataFrame) -> None:
    if rows.empty:
        st.success(t("alerts.none_match"))
        return
    ranked = rows.assign(rank=rows["severity_code"].map(SEVERITY_RANK).fillna(3))
    order = ranked.groupby("family")["rank"].min().sort_values().index
    for family in order:
        group = ranked[ranked["family"] == family].sort_values(["rank", "place"])
        severity = str(group.iloc[0]["severity_code"])
        icon = f":{SEVERITY_COLOUR.get(severity, 'gray')}[{SEVERITY_ICON.get(severity, '')}]"
        st.subheader(f"{icon} {t(f'alert_family.{family}')} · {number(len(group), current_language())}")
        per_place = group.groupby("place").size().sort_values(ascending=False)
        language = current_language()
        shown = [f"{escape_markdown(place)} ({number(n, language)})" for place, n in per_place.head(12).items()]
        more = len(per_place) - len(shown)
        st.caption(f"{group.iloc[0]['place_kind']}: " + " · ".join(shown) + (f" · +{more}" if more > 0 else ""))
        # where and what first, the place pinned: on a phone the grid scrolls sideways under it
        columns = ["place", "what", "severity", "state", "since", "handled", "link"]
        if group["last_data"].ne("").any():  # stations without data: when their last data came
            columns.insert(columns.index("since") + 1, "last_data")
        if group["queue"].ne("").any():  # overdue reminders: the unit's queue, where its cases are handled
            columns.append("queue")
        st.dataframe(
            group[columns].rename(columns=lambda c: t(f"alerts.col_{c}")),
            hide_index=True,
            width="stretch",
            column_config={
                t("alerts.col_place"): components.pinned_name_column(),
                t("alerts.col_what"): st.column_config.Column(width="large"),
                t("alerts.col_link"): st.column_config.LinkColumn(display_text=t("alerts.open_detail")),
                t("alerts.col_queue"): st.column_config.LinkColumn(display_text=t("alerts.open_detail")),
            },
        )


def _handle(rows: pd.DataFrame, username: str) -> None:
    """Acknowledge (who, note, until) or silence (until, what it covers) one open alert."""
    open_rows = rows[rows["state_code"].isin([s.value for s in OPEN_STATES])]
    if open_rows.empty:
        return
    choices = dict(zip(open_rows["id"], open_rows["place"] + ": " + open_rows["what"], strict=True))
    st.subheader(t("alerts.handle_title"))
    ack_tab, silence_tab = st.tabs([t("alerts.ack_title"), t("alerts.silence_title")])
    with ack_tab, st.form("ack"):
        alert_id = st.selectbox(t("alerts.ack_which"), list(choices), format_func=lambda i: choices[i])
        note = st.text_area(t("alerts.ack_note"), max_chars=1000)
        hours = st.selectbox(t("alerts.ack_until"), ACK_HOURS, index=2, format_func=lambda h: t("kpi.hours", n=h))
        if st.form_submit_button(t("alerts.ack_submit"), type="primary"):
            if not note.strip():
                st.error(t("alerts.ack_note_required"))
            else:
                acknowledge_alert(int(alert_id), username, note.strip(), hours)
                st.success(markdown_text("alerts.ack_done", what=choices[alert_id]))
    with silence_tab, st.form("silence"):
        alert_id = st.selectbox(t("alerts.ack_which"), list(choices), format_func=lambda i: choices[i], key="sil_id")
        scope = st.radio(
            t("alerts.silence_scope"), ["alert", "place", "family"], format_func=lambda s: t(f"alerts.scope_{s}")
        )
        hours = st.selectbox(t("alerts.ack_until"), ACK_HOURS, index=1, format_func=lambda h: t("kpi.hours", n=h),
                             key="sil_hours")  # fmt: skip
        note = st.text_input(t("alerts.silence_note"), max_chars=500)
        if st.form_submit_button(t("alerts.silence_submit"), type="primary"):
            silence_alerts(int(alert_id), scope, username, note.strip(), hours)
            st.success(t("alerts.silence_done"))


def acknowledge_alert(alert_id: int, username: str, note: str, hours: int) -> None:
    """Record the acknowledgement and forget cached frames."""
    from monitoring import alert_store

    now = dt.datetime.now(dt.UTC)
    alert_store.acknowledge(loaders.engine(), alert_id, by=username, note=note, until=now + dt.timedelta(hours=hours),
                            now=now)  # fmt: skip
    loaders.clear_live_caches()


def silence_alerts(alert_id: int, scope: str, username: str, note: str, hours: int) -> None:
    """Silence this alert, every alert of its family at its place, or its whole family, for ``hours``."""
    from monitoring import alert_store

    (alert,) = alert_queries.alert_frame(loaders.engine(), alert_id=alert_id).to_dict("records")
    matchers = {"rule_id": alert["rule_id"], "subject": alert["subject"]}
    if scope != "alert":
        matchers = {"kind": alert["kind"]}
        key = PLACE_KEYS[SUBJECT_KIND.get(alert["kind"], "station")]
        if scope == "place" and alert["labels"].get(key):
            matchers[key] = alert["labels"][key]
    now = dt.datetime.now(dt.UTC)
    alert_store.add_silence(loaders.engine(), matchers, until=now + dt.timedelta(hours=hours), by=username, now=now,
                            comment=note)  # fmt: skip
    loaders.clear_live_caches()


@st.fragment(run_every=REFRESH)
def _panel() -> None:
    user = auth.recheck(auth.ALL_ROLES)  # a fragment rerun skips app.py: the session and role are re-read here
    username = user["username"] if user["role"] in auth.OPERATOR_ONLY else None
    now = loaders.now_minute()
    language = current_language()
    frame = loaders.alerts(tuple(OPEN_STATES), now - dt.timedelta(days=RECENT_DAYS))
    silences = alert_queries.active_silences(loaders.engine(), now)
    rows = alert_rows(frame, language, now, silences)
    _summary(rows)
    shown = _filters(rows)
    _groups(shown)
    if username is not None:
        _handle(shown, username)


def render() -> None:
    """Draw the alerts page."""
    auth.require_role(auth.ALL_ROLES)
    st.title(t("alerts.title"))
    operator = auth.has_role(auth.OPERATOR_ONLY)
    _panel()
    if not operator:
        st.caption(t("alerts.ack_operator_only"))
    st.caption(t("alerts.footnote"))


render()
