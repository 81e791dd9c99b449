"""Hide secrets before a URL or an error message reaches a user, a log line or a stored row.

Masked with ``***``: URL credentials (``user:password@``, also when the password holds an unencoded ``@``,
``:`` or ``/``), query and fragment parameters named like a secret (``password``, ``api_key``, ``token``,
``signature``, ``X-Amz-Credential`` …), keyword/value connection strings (``host=… password=…``), and any
known secret value handed in. Everything else is kept, so a masked URL still says which server was meant.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import quote, unquote

MASK: Final = "***"

SECRET_NAME_WORDS: Final = frozenset(
    {"password", "passwd", "pwd", "pass", "apikey", "key", "token", "secret", "signature", "sig", "auth",
     "authorization", "credential", "credentials", "session", "sessionid", "jwt", "otp"}
)  # fmt: skip
"""Name parts (split at ``_``, ``-``, ``.`` and case changes) that mark a parameter as secret."""

SECRET_NAME_FRAGMENTS: Final = ("password", "passwd", "secret", "token", "apikey", "api_key", "signature")
"""Substrings that mark a parameter name as secret wherever they occur (``accesstoken``, ``client_secret``)."""

_URL: Final = re.compile(r"""[A-Za-z][A-Za-z0-9+.\-]*://[^\s'"<>`]+""")
_PARAMETER: Final = re.compile(r"(?P<lead>[?&;#])(?P<name>[^=&;#?\s]+)=(?P<value>[^&;#\s'\"<>`]*)")
_DSN_PASSWORD: Final = re.compile(
    r"""(?P<name>\b(?:password|passwd|pwd)\s*=\s*)(?P<value>'(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?|[^\s&;,]+)""",
    re.IGNORECASE,
)
_CAMEL: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def is_secret_name(name: str) -> bool:
    """True when a query/form parameter called ``name`` probably carries a secret."""
    plain = unquote(name).strip()
    lowered = plain.lower()
    if any(fragment in lowered for fragment in SECRET_NAME_FRAGMENTS):
        return True
    parts = re.split(r"[^a-z0-9]+", _CAMEL.sub("_", plain).lower())
    return any(part in SECRET_NAME_WORDS for part in parts if part)


def _authority_end(rest: str) -> int:
    """Where the authority of ``rest`` (the URL after ``scheme://``) ends: the first ``/``, ``?`` or ``#``."""
    match = re.search(r"[/?#]", rest)
    return match.start() if match else len(rest)


def _userinfo_end(rest: str) -> int | None:
    """Position of the ``@`` closing the credentials of ``rest``, or None when it has none.

    The usual reading is the last ``@`` of the authority (so ``user:p@ss@host`` keeps ``p@ss`` together).
    A password holding an unencoded ``/``, ``?`` or ``#`` cuts the authority short (``user:pa`` of
    ``user:pa/ss@host``): when the authority has a ``:`` and an ``@`` follows before any ``=``, the
    credentials run to the last such ``@``.
    """
    end = _authority_end(rest)
    authority = rest[:end]
    if "@" in authority:
        return authority.rindex("@")
    if ":" not in authority:
        return None
    tail = rest[end:]
    equals = tail.find("=")
    before_query = tail if equals < 0 else tail[:equals]
    if "@" in before_query:
        return end + before_query.rindex("@")
    return None


def _mask_userinfo(userinfo: str) -> str:
    user, colon, _password = userinfo.partition(":")
    return f"{user}:{MASK}" if colon else MASK if _looks_like_token(user) else user


def _looks_like_token(user: str) -> bool:
    """A user part with no password that is itself a credential (``https://<token>@github.com``)."""
    return len(user) >= 20 and not re.search(r"[\s.]", user)


def _mask_parameters(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        if not is_secret_name(match["name"]) or not match["value"]:
            return match[0]
        return f"{match['lead']}{match['name']}={MASK}"

    return _PARAMETER.sub(replace, text)


def redact_url(url: str) -> str:
    """``url`` with its credentials and secret-named query/fragment parameters replaced by ``***``.

    Handles SQLAlchemy and libpq forms (a password with an unencoded ``@``, ``?password=…``),
    keyword/value DSNs (``host=db password=…``) and plain HTTP URLs; text that is not a URL passes through
    with only ``password=`` style pairs masked.
    """
    scheme, separator, rest = url.partition("://")
    if not separator or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.\-]*", scheme):
        return _DSN_PASSWORD.sub(lambda m: f"{m['name']}{MASK}", _mask_parameters(url))
    at = _userinfo_end(rest)
    if at is not None:
        rest = f"{_mask_userinfo(rest[:at])}{rest[at:]}"
    return f"{scheme}://{_mask_parameters(rest)}"


def url_secrets(url: str) -> list[str]:
    """The secret values inside ``url`` (password, secret parameters), raw and percent-decoded.

    Also the pieces of a password after each unencoded ``@``: a parser that splits at the first ``@``
    (SQLAlchemy does) takes them for the host name and may quote them in its error messages.
    """
    values: list[str] = []
    scheme, separator, rest = url.partition("://")
    if separator:
        at = _userinfo_end(rest)
        if at is not None:
            user, colon, password = rest[:at].partition(":")
            if colon and password:
                values.append(password)
                values.extend(f"{piece}@" for piece in password.split("@")[1:] if piece)
            elif _looks_like_token(user):
                values.append(user)
    values.extend(m["value"] for m in _PARAMETER.finditer(url) if m["value"] and is_secret_name(m["name"]))
    values.extend(m["value"].strip("'\"") for m in _DSN_PASSWORD.finditer(url))
    decoded = [unquote(value) for value in values]
    return [value for value in dict.fromkeys([*values, *decoded]) if value]


def endpoint_label(url: str) -> str:
    """Scheme and host of ``url`` with its path and query hidden (``https://hooks.slack.com/***``).

    For URLs that are secrets as a whole, e.g. webhooks whose path carries the token (Slack, Discord, Teams).
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        return MASK
    at = _userinfo_end(rest)
    host = rest[at + 1 :] if at is not None else rest
    authority = host[: _authority_end(host)]
    return f"{scheme}://{authority}/{MASK}" if host[len(authority) :].strip("/") else f"{scheme}://{authority}"


def endpoint_secrets(url: str) -> list[str]:
    """What to hide of a secret URL in an error message: its path with query, its path, its token-like path
    segments (six characters or more with a digit, or sixteen or more) and its credentials."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return [url]
    at = _userinfo_end(rest)
    host = rest[at + 1 :] if at is not None else rest
    path = host[_authority_end(host) :]
    bare = path.split("?")[0].split("#")[0]
    pieces = [path, bare] if path.strip("/") else []
    tokens = [part for part in bare.split("/") if len(part) >= 6 and (len(part) >= 16 or re.search(r"\d", part))]
    return [*[piece for piece in pieces if piece.strip("/")], *tokens, *url_secrets(url)]


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` (an error message, a log line) with every URL redacted and every known secret masked.

    ``secrets`` are values to hide wherever they appear (a configured API key, a database URL: the secrets
    inside a URL are hidden, not the URL itself); each is also hidden percent-encoded.
    """
    values: list[str] = []
    for secret in secrets:
        if not secret:
            continue
        is_connection_string = "://" in secret or _DSN_PASSWORD.search(secret) is not None
        values.extend(url_secrets(secret) if is_connection_string else [secret])
    expanded = {form for value in values for form in (value, quote(value, safe=""), quote(value)) if form}
    for value in sorted(expanded, key=len, reverse=True):
        text = text.replace(value, f"{MASK}@" if value.endswith("@") else MASK)
    text = _URL.sub(lambda match: redact_url(match[0]), text)
    return _DSN_PASSWORD.sub(lambda m: f"{m['name']}{MASK}", _mask_parameters(text))


class RedactingFilter(logging.Filter):
    """A logging filter that masks URLs, ``password=`` pairs and the given secrets in every record.

    Install it on a handler (``handler.addFilter(RedactingFilter(secrets))``) so that no log line, not even
    one from a third-party library or a traceback, carries a credential.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(record.getMessage(), self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, self.secrets)
        return True
