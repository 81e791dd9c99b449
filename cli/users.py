"""``envmon users``: add dashboard users, list them, reset a password."""

from __future__ import annotations

import argparse
import getpass
import sys

from cli import _common


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``users add|list|passwd``."""
    parser = subparsers.add_parser("users", help="manage dashboard users (roles: leader, analyst, operator)")
    commands = parser.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    add = commands.add_parser("add", help="create a user; the password is read from a prompt or stdin")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["leader", "analyst", "operator"])
    add.set_defaults(handler=_add)

    listing = commands.add_parser("list", help="list users and roles as JSON")
    listing.set_defaults(handler=_list)

    passwd = commands.add_parser("passwd", help="set a new password (prompt or stdin)")
    passwd.add_argument("name")
    passwd.set_defaults(handler=_passwd)


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


def _add(args: argparse.Namespace) -> int:
    from data.users import create_user

    user = create_user(_common.engine(), args.name, read_password(), args.role)
    _common.emit_json({"created": user.username, "role": user.role})
    return 0


def _list(_args: argparse.Namespace) -> int:
    from data.users import list_users

    _common.emit_json(
        [{"username": u.username, "role": u.role, "active": u.active} for u in list_users(_common.engine())]
    )
    return 0


def _passwd(args: argparse.Namespace) -> int:
    from data.users import set_password

    set_password(_common.engine(), args.name, read_password())
    _common.emit_json({"password_changed": args.name})
    return 0
