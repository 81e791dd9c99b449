"""Every action on a case, checked on the server and written to the case's record in one transaction.

:func:`perform` is the one write path of the case workflow (pages, CLI and API call it). Each call

1. claims the case with ``UPDATE … SET version = version + 1 WHERE id = :id AND version = :expected`` as its
   first statement: of two people acting on the same version at once exactly one wins, the other gets
   :class:`CaseConflictError` naming who acted first, and nothing of theirs is written;
2. checks the actor's unit scope (a unit account acting on another unit's case gets :class:`CaseNotFoundError`,
   the same answer as for an id that does not exist, so ids cannot be probed), role and the case's status
   (:data:`data.workflow.ACTIONS`), and the action's inputs (a note, a target unit, an assignee…);
3. changes the case, writes the entry of ``case_status_history`` (actor, time, note, unit) and links each
   attached file (stored through :mod:`data.media` in the same transaction) to that entry.

Resolving a case whose category requires it (``after_photo_required`` in ``categories.toml``) needs at least
one "after" photo. Transfers and reopenings restart the accept clock with :mod:`data.sla`; merge and split
(:mod:`data.case_regroup`) move reports between cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import OperationalError

from data.categories import Taxonomy, load_taxonomy
from data.config import load_settings
from data.i18n import label_in, translate
from data.media import MediaLimits, MediaLocation, PreparedMedia, Upload, prepare, save
from data.schema import CaseAttachment, CaseStatusChange, ComplaintCase, ResponsibleUnit, User, UserUnit
from data.sla import SlaPolicy, add_working_hours, load_sla_policy
from data.users import UNIT_ROLE, normalize_username
from data.workflow import ACTIONS, CLOSED_STATUSES, NOT_ACCEPTED, TRANSFERRED

CASES = ComplaintCase.__table__
HISTORY = CaseStatusChange.__table__
MAX_ASSIGNEE = 100
#: PostgreSQL's deadlock, serialization failure and lock-not-available: another action held the case
LOCK_SQLSTATES = frozenset({"40P01", "40001", "55P03"})
#: the purpose of files attached to each action (an "after" photo proves a resolution)
FILE_PURPOSE = {"resolve": "after", "accept": "before", "in_progress": "before"}
_LABEL_GROUPS = {"status": "status", "action": "action", "role": "role"}


class CaseActionError(ValueError):
    """A refused action; ``text(language)`` is the one-line message for the user (``casework.error.<code>``)."""

    def __init__(self, code: str, /, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(self.text("en"))

    def text(self, language: str) -> str:
        """The message in ``language`` (statuses, actions and roles in that language's words)."""
        values = {
            key: label_in(_LABEL_GROUPS[key], value, language) if key in _LABEL_GROUPS else value
            for key, value in self.params.items()
        }
        return translate(f"casework.error.{self.code}", language, **values)


class CaseNotFoundError(CaseActionError):
    """No such case, or one outside the actor's units (the same answer, so ids cannot be probed)."""

    def __init__(self, case_id: int) -> None:
        super().__init__("not_found", case_id=case_id)


class CaseConflictError(CaseActionError):
    """Someone acted on the case since the actor loaded it: nothing was written; reload and try again."""


class ActionNotAllowedError(CaseActionError):
    """The actor's role may not take this action, or not in the case's current status."""


class EvidenceRequiredError(CaseActionError):
    """The category requires an "after" photo to resolve a case and none was attached."""


class CaseInputError(CaseActionError):
    """A missing or wrong input of the action: no note, no or an unknown target unit, no assignee…"""


@dataclass(frozen=True)
class Actor:
    """Who acts: the account name, its role and the responsible units it may see (None: every unit)."""

    username: str
    role: str
    unit_ids: frozenset[int] | None

    def sees(self, unit_id: int | None) -> bool:
        """Whether a case of ``unit_id`` is in this actor's scope."""
        return self.unit_ids is None or (unit_id is not None and unit_id in self.unit_ids)


def actor_for_user(engine: Engine, username: str) -> Actor:
    """The :class:`Actor` of an active account (its role and units, as :func:`data.users.unit_scope` sees them)."""
    try:
        name = normalize_username(username)
    except ValueError:
        name = ""
    with engine.connect() as conn:
        user = conn.execute(select(User.id, User.role).where(User.username == name, User.active.is_(True))).first()
        if user is None:
            raise CaseInputError("unknown_user", name=username)
        units = None
        if user.role == UNIT_ROLE:
            units = frozenset(conn.execute(select(UserUnit.unit_id).where(UserUnit.user_id == user.id)).scalars())
    return Actor(name, user.role, units)


@dataclass(frozen=True)
class ActionResult:
    """What an action did: the case's status before and after, its new version, the record entry written."""

    case_id: int
    action: str
    from_status: str
    to_status: str
    version: int
    at: dt.datetime
    history_id: int
    attachment_ids: tuple[int, ...] = ()
    new_case_id: int | None = None  # split: the case the report moved to


@dataclass(frozen=True)
class ActionContext:
    """What every action step needs: the claimed case row, the actor, the time and the configuration."""

    conn: Connection
    case: Any  # the case row as claimed: its status before the action, its version already moved on
    actor: Actor
    at: dt.datetime
    note: str
    policy: SlaPolicy
    taxonomy: Taxonomy

    def record(self, case_id: int, from_status: str | None, to_status: str, unit_id: int | None, note: str) -> int:
        """Write one entry of ``case_status_history``; its id."""
        values = {
            "case_id": case_id,
            "from_status": from_status,
            "to_status": to_status,
            "at": self.at,
            "actor": self.actor.username,
            "note": note,
            "unit_id": unit_id,
        }
        return int(self.conn.execute(insert(HISTORY).values(**values)).inserted_primary_key[0])

    def accept_due(self, priority: str) -> dt.datetime:
        """The accept-by time of a clock (re)started now."""
        return add_working_hours(self.at, self.policy.terms(priority).accept_hours, self.policy)


def current_version(engine: Engine, case_id: int) -> int:
    """The case's version now (-1 when there is no such case), for callers acting on the current state (CLI)."""
    with engine.connect() as conn:
        version = conn.execute(select(CASES.c.version).where(CASES.c.id == case_id)).scalar()
    return -1 if version is None else int(version)


def default_policy() -> SlaPolicy:
    """The configured SLA policy (``ENVMON_SLA_FILE`` or the shipped ``sla.toml``, in the settings' time zone)."""
    settings = load_settings()
    return load_sla_policy(settings.config_path("sla"), settings.timezone)


def perform(
    engine: Engine,
    case_id: int,
    action: str,
    *,
    actor: Actor,
    expected_version: int,
    note: str = "",
    files: Sequence[Upload] = (),
    to_unit: str | None = None,
    assignee: str | None = None,
    into_case: int | None = None,
    report_id: int | None = None,
    media_dir: MediaLocation,
    at: dt.datetime | None = None,
    policy: SlaPolicy | None = None,
    taxonomy: Taxonomy | None = None,
    limits: MediaLimits | None = None,
) -> ActionResult:
    """Take ``action`` on case ``case_id`` as ``actor``, who saw it at ``expected_version``.

    ``to_unit`` (a responsible-unit code) is the target of ``transfer``; ``assignee`` (a person or team) of
    ``assign``; ``into_case`` the surviving case of ``merge``; ``report_id`` the report ``split`` moves out.
    ``files`` are checked and cleaned before the case is claimed (``limits``: the settings' size limits), then
    stored in ``media_dir`` (a media store or folder) in the action's transaction and linked to the entry
    written; their files appear only if it commits. Raises a :class:`CaseActionError` subclass or
    :class:`data.media.MediaError` for a bad file or a failed upload, with nothing written and no file left.
    """
    rule = ACTIONS.get(action)
    if rule is None:
        raise CaseInputError("unknown_action", action=action, known=", ".join(ACTIONS))
    if actor.role not in rule.roles:
        raise ActionNotAllowedError("role", role=actor.role, action=action)
    at = at or dt.datetime.now(dt.UTC)
    if at.tzinfo is None:
        msg = f"time {at!r} has no time zone"
        raise ValueError(msg)
    note = note.strip()
    if rule.needs_note and not note:
        raise CaseInputError(f"note_required_{action}")
    media = _PreparedFiles.of(files, media_dir, limits)
    try:
        with engine.begin() as conn:
            result = _act(conn, case_id, rule.name, actor, expected_version, note, at, media, policy, taxonomy,
                          to_unit=to_unit, assignee=assignee, into_case=into_case, report_id=report_id)  # fmt: skip
    except OperationalError as err:
        if _lock_contention(err):  # waited too long for another writer, or a deadlock (two opposite merges)
            raise CaseConflictError("busy", case_id=case_id) from err
        raise
    finally:
        media.discard()  # what a commit did not publish (refused, rolled back) is deleted
    return result


def _act(
    conn: Connection,
    case_id: int,
    action: str,
    actor: Actor,
    expected_version: int,
    note: str,
    at: dt.datetime,
    media: _PreparedFiles,
    policy: SlaPolicy | None,
    taxonomy: Taxonomy | None,
    **inputs: Any,
) -> ActionResult:
    """The checks and steps of :func:`perform` inside its transaction."""
    rule = ACTIONS[action]
    case = _claim(conn, case_id, expected_version, actor)
    if case.status not in rule.from_statuses:
        raise ActionNotAllowedError("status", action=action, status=case.status)
    taxonomy = taxonomy or load_taxonomy()
    if action == "resolve" and _needs_after_photo(taxonomy, case.category_code) and not media.photos:
        raise EvidenceRequiredError("after_photo", category=case.category_code)
    context = ActionContext(conn, case, actor, at, note, policy or default_policy(), taxonomy)
    to_status, history_id, new_case_id = _STEPS[action](context, **inputs)
    attachments = media.attach(conn, case_id, history_id, FILE_PURPOSE.get(action, "evidence"), actor, at)
    return ActionResult(case_id, action, case.status, to_status, case.version, at, history_id, attachments, new_case_id)


def _lock_contention(err: OperationalError) -> bool:
    """Whether the database refused the action because others held the rows (nothing was written)."""
    if getattr(err.orig, "sqlstate", None) in LOCK_SQLSTATES:
        return True
    return any(words in str(err.orig).lower() for words in ("database is locked", "deadlock detected"))


def _needs_after_photo(taxonomy: Taxonomy, category_code: str) -> bool:
    category = taxonomy.categories.get(category_code)
    return bool(category and category.after_photo_required)


def _claim(conn: Connection, case_id: int, expected_version: int, actor: Actor) -> Any:
    """Bump the case's version if it is still ``expected_version``; the case row (new version, old status).

    The conditional UPDATE runs first, so a concurrent second action waits for the first to commit (row lock on
    PostgreSQL, the write lock on SQLite) and then finds the version moved on.
    """
    claimed = conn.execute(
        update(CASES)
        .where(CASES.c.id == case_id, CASES.c.version == expected_version)
        .values(version=CASES.c.version + 1)
    ).rowcount
    case = conn.execute(select(CASES).where(CASES.c.id == case_id)).first()
    if case is None or not actor.sees(case.unit_id):
        raise CaseNotFoundError(case_id)
    if claimed != 1:
        last = conn.execute(
            select(HISTORY.c.actor, HISTORY.c.to_status)
            .where(HISTORY.c.case_id == case_id)
            .order_by(HISTORY.c.at.desc(), HISTORY.c.id.desc())
            .limit(1)
        ).first()
        by, status = (last.actor, last.to_status) if last is not None else ("?", case.status)
        raise CaseConflictError("conflict", case_id=case_id, by=by, status=status)
    return case


def _set(context: ActionContext, **values: object) -> None:
    context.conn.execute(update(CASES).where(CASES.c.id == context.case.id).values(**values))


def _status_step(context: ActionContext, to_status: str, **values: object) -> tuple[str, int, None]:
    case = context.case
    if case.status == NOT_ACCEPTED and case.accepted_at is None:
        values["accepted_at"] = context.at
    if to_status in CLOSED_STATUSES:
        values["resolved_at"] = context.at
    _set(context, status=to_status, **values)
    return to_status, context.record(case.id, case.status, to_status, case.unit_id, context.note), None


def _accept(context: ActionContext, **_: object) -> tuple[str, int, None]:
    return _status_step(context, "accepted")


def _assign(context: ActionContext, *, assignee: str | None, **_: object) -> tuple[str, int, None]:
    name = (assignee or "").strip()
    if not name or len(name) > MAX_ASSIGNEE:
        raise CaseInputError("assignee_required", max=MAX_ASSIGNEE)
    note = f"→ {name} — {context.note}" if context.note else f"→ {name}"
    return _status_step(replace(context, note=note), "assigned", assignee=name)


def _in_progress(context: ActionContext, **_: object) -> tuple[str, int, None]:
    return _status_step(context, "in_progress")


def _resolve(context: ActionContext, **_: object) -> tuple[str, int, None]:
    return _status_step(context, "resolved", result_note=context.note, result_public=False)


def _reject(context: ActionContext, **_: object) -> tuple[str, int, None]:
    return _status_step(context, "rejected", result_note=context.note, result_public=False)


def _transfer(context: ActionContext, *, to_unit: str | None, **_: object) -> tuple[str, int, None]:
    """Re-route to ``to_unit``: the case returns to ``received`` there and its accept clock starts again.

    Two entries record it: ``… → transferred`` under the old unit and ``transferred → received`` under the new.
    """
    case = context.case
    code = (to_unit or "").strip()
    if not code:
        raise CaseInputError("unit_required")
    unit_id = context.conn.execute(select(ResponsibleUnit.id).where(ResponsibleUnit.code == code)).scalar()
    if unit_id is None:
        raise CaseInputError("unknown_unit", code=code)
    if unit_id == case.unit_id:
        raise CaseInputError("same_unit", code=code)
    first = context.record(case.id, case.status, TRANSFERRED, case.unit_id, context.note)
    context.record(case.id, TRANSFERRED, NOT_ACCEPTED, unit_id, context.note)
    _set(
        context,
        status=NOT_ACCEPTED,
        unit_id=unit_id,
        accepted_at=None,
        assignee=None,
        accept_due_at=context.accept_due(case.priority),
    )
    return NOT_ACCEPTED, first, None


def _reopen(context: ActionContext, **_: object) -> tuple[str, int, None]:
    """Back to ``received`` on the citizen's feedback: counted against the unit, the accept clock restarted."""
    case = context.case
    _set(
        context,
        status=NOT_ACCEPTED,
        resolved_at=None,
        reopen_count=case.reopen_count + 1,
        result_public=False,
        accept_due_at=context.accept_due(case.priority),
    )
    return NOT_ACCEPTED, context.record(case.id, case.status, NOT_ACCEPTED, case.unit_id, context.note), None


def _merge(context: ActionContext, *, into_case: int | None, **_: object) -> tuple[str, int, None]:
    from data.case_regroup import merge_into

    return merge_into(context, into_case)


def _split(context: ActionContext, *, report_id: int | None, **_: object) -> tuple[str, int, int]:
    from data.case_regroup import split_report

    return split_report(context, report_id)


_STEPS = {
    "accept": _accept,
    "assign": _assign,
    "in_progress": _in_progress,
    "resolve": _resolve,
    "reject": _reject,
    "transfer": _transfer,
    "reopen": _reopen,
    "merge": _merge,
    "split": _split,
}


@dataclass(frozen=True)
class _PreparedFiles:
    """Uploads checked by content and cleaned before the transaction; recorded and linked inside it."""

    prepared: tuple[PreparedMedia, ...] = ()
    names: tuple[str, ...] = ()

    @classmethod
    def of(cls, files: Sequence[Upload], media_dir: MediaLocation, limits: MediaLimits | None) -> _PreparedFiles:
        """Prepare every file (MediaError names a bad one; the ones already prepared are deleted)."""
        if not files:
            return cls()
        limits = limits or MediaLimits.from_settings(load_settings())
        prepared: list[PreparedMedia] = []
        try:
            for upload in files:
                prepared.append(prepare(media_dir, upload, limits))
        except BaseException:
            for item in prepared:
                item.discard()
            raise
        return cls(tuple(prepared), tuple(upload.name for upload in files))

    @property
    def photos(self) -> int:
        return sum(item.stored.info.kind == "photo" for item in self.prepared)

    def attach(
        self, conn: Connection, case_id: int, history_id: int, purpose: str, actor: Actor, at: dt.datetime
    ) -> tuple[int, ...]:
        """Record each file (published when ``conn`` commits) and link it to record entry ``history_id``."""
        ids = []
        for item, name in zip(self.prepared, self.names, strict=True):
            stored = save(conn, item, now=at)
            values = {"case_id": case_id, "history_id": history_id, "sha256": stored.sha256,
                      "original_name": name[:255], "purpose": purpose, "uploaded_by": actor.username,
                      "uploaded_at": at, "is_public": False}  # fmt: skip
            ids.append(int(conn.execute(insert(CaseAttachment).values(**values)).inserted_primary_key[0]))
        return tuple(ids)

    def discard(self) -> None:
        """Delete the prepared files not published (after a refusal or a rollback; a no-op after a commit)."""
        for item in self.prepared:
            item.discard()
