"""``envmon apikeys add NAME | list | revoke NAME``: keys of the HTTP API's clients (stored hashed)."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``envmon apikeys``."""
    parser = subparsers.add_parser("apikeys", help="make, list and revoke API keys (needed to POST reports)")
    commands = parser.add_subparsers(dest="apikeys_command", required=True, metavar="ACTION")
    add = commands.add_parser("add", help="make a key for a client and print it once")
    add.add_argument("name", help="client name, e.g. 'zalo-bridge' or 'ward-app'")
    add.set_defaults(handler=_add)
    listing = commands.add_parser("list", help="list keys (names, first characters, created, revoked)")
    listing.set_defaults(handler=_list)
    revoke = commands.add_parser("revoke", help="revoke a client's key")
    revoke.add_argument("name")
    revoke.set_defaults(handler=_revoke)


def _add(args: argparse.Namespace) -> int:
    from cli._common import engine
    from data.api_keys import ApiKeyError, add_key

    try:
        key = add_key(engine(), args.name)
    except ApiKeyError as err:
        print(f"envmon: {err}", file=sys.stderr)
        return 2
    print(key)
    print("Store this key now: it is not shown again.", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    from cli._common import engine
    from data.api_keys import list_keys

    for info in list_keys(engine()):
        state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "active"
        print(f"{info.name}\t{info.prefix}…\tcreated {info.created_at:%Y-%m-%d %H:%M}\t{state}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from cli._common import engine
    from data.api_keys import ApiKeyError, revoke_key

    try:
        revoke_key(engine(), args.name)
    except ApiKeyError as err:
        print(f"envmon: {err}", file=sys.stderr)
        return 2
    print(f"revoked {args.name}")
    return 0
