"""``envmon users``: add, list, change and audit dashboard accounts.

Deactivation, a role change and a new password end the user's dashboard sessions everywhere; every change is
written to the audit log with the actor ``cli:<operating-system user>``.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from cli import _common

ROLE_CHOICES = ["leader", "analyst", "operator", "unit"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``users add|list|passwd|deactivate|activate|role|units|audit``."""
    parser = subparsers.add_parser("users", help="manage dashboard users (roles: leader, analyst, operator, unit)")
    commands = parser.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    add = commands.add_parser("add", help="create a user; the password is read from a prompt or stdin")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLE_CHOICES)
    add.add_argument("--unit", action="append", default=[], metavar="CODE", help="responsible unit (unit role)")
    add.set_defaults(handler=_add)

    listing = commands.add_parser("list", help="list users, roles, state and units as JSON")
    listing.set_defaults(handler=_list)

    passwd = commands.add_parser("passwd", help="set a new password (prompt or stdin); ends the user's sessions")
    passwd.add_argument("name")
    passwd.set_defaults(handler=_passwd)

    deactivate = commands.add_parser("deactivate", help="lock an account and end its sessions")
    deactivate.add_argument("name")
    deactivate.set_defaults(handler=_deactivate)

    activate = commands.add_parser("activate", help="reopen a deactivated account")
    activate.add_argument("name")
    activate.set_defaults(handler=_activate)

    role = commands.add_parser("role", help="change a user's role; ends the user's sessions")
    role.add_argument("name")
    role.add_argument("role", choices=ROLE_CHOICES)
    role.add_argument("--unit", action="append", default=[], metavar="CODE", help="responsible unit (unit role)")
    role.set_defaults(handler=_role)

    units = commands.add_parser("units", help="re-bind a unit account to responsible units")
    units.add_argument("name")
    units.add_argument("--unit", action="append", required=True, metavar="CODE")
    units.set_defaults(handler=_units)

    log = commands.add_parser("audit", help="the newest account changes as JSON")
    log.add_argument("--limit", type=int, default=50)
    log.add_argument("--user", help="only changes to this account")
    log.set_defaults(handler=_audit)


def read_password() -> str:
    """A password from an interactive prompt (asked twice) or the first line of stdin when not a TTY."""
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            msg = "no password given on stdin"
            raise ValueError(msg)
        return password
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        msg = "the two passwords differ"
        raise ValueError(msg)
    return first


def _name(args: argparse.Namespace) -> str:
    """The account name as stored (NFKC, case-folded), so the JSON output names the account the change hit."""
    from data.users import normalize_username

    return normalize_username(args.name)


def actor() -> str:
    """Who the audit log names for a command-line change."""
    return f"cli:{getpass.getuser()}"


def _add(args: argparse.Namespace) -> int:
    from data.users import create_user

    user = create_user(_common.engine(), args.name, read_password(), args.role, units=args.unit, actor=actor())
    payload: dict[str, object] = {"created": user.username, "role": user.role}
    if user.units:
        payload["units"] = list(user.units)
    _common.emit_json(payload)
    return 0


def _list(_args: argparse.Namespace) -> int:
    from data.users import list_users

    _common.emit_json(
        [
            {"username": u.username, "role": u.role, "active": u.active, "units": list(u.units)}
            for u in list_users(_common.engine())
        ]
    )
    return 0


def _passwd(args: argparse.Namespace) -> int:
    from data.users import set_password

    name = _name(args)
    ended = set_password(_common.engine(), name, read_password(), actor=actor())
    _common.emit_json({"password_changed": name, "sessions_ended": ended})
    return 0


def _deactivate(args: argparse.Namespace) -> int:
    from data.users import set_active

    name = _name(args)
    ended = set_active(_common.engine(), name, False, actor=actor())
    _common.emit_json({"deactivated": name, "sessions_ended": ended})
    return 0


def _activate(args: argparse.Namespace) -> int:
    from data.users import set_active

    set_active(_common.engine(), _name(args), True, actor=actor())
    _common.emit_json({"activated": _name(args)})
    return 0


def _role(args: argparse.Namespace) -> int:
    from data.users import set_role

    name = _name(args)
    ended = set_role(_common.engine(), name, args.role, units=args.unit, actor=actor())
    _common.emit_json({"user": name, "role": args.role, "units": sorted(set(args.unit)), "sessions_ended": ended})
    return 0


def _units(args: argparse.Namespace) -> int:
    from data.users import set_units

    name = _name(args)
    set_units(_common.engine(), name, args.unit, actor=actor())
    _common.emit_json({"user": name, "units": sorted(set(args.unit))})
    return 0


def _audit(args: argparse.Namespace) -> int:
    from data.audit import recent

    _common.emit_json(
        [
            {"at": entry.at, "actor": entry.actor, "action": entry.action, "target": entry.target, **entry.detail}
            for entry in recent(_common.engine(), args.limit, target=args.user)
        ]
    )
    return 0
