"""No file tracked by git holds something that looks like a real secret (passwords, API keys, private keys).

Secrets come from the environment or the git-ignored ``envmon.toml`` / ``.streamlit/secrets.toml``. Tests and
benchmarks may set throwaway credentials for the local servers they start; only the documented placeholders
below may appear anywhere else.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEY_FORMATS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "OpenAI-style key": re.compile(r"\bsk-[A-Za-z0-9]{32,}\b"),
}
ASSIGNMENT = re.compile(
    r"""(?ix)\b(password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|token)\b["']?
    \s*[:=]\s*["']([^"'\s]+)["']"""
)
CREDENTIAL_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@\"']+:([^/\s@\"']+)@")
PLACEHOLDERS = {"password", "pw", "secret", "***", "changeme", "..."}
"""Values documented as placeholders (README: ``postgresql+psycopg://user:password@host:5432/envmon``)."""
THROWAWAY_AREAS = ("tests/", "bench/")
"""Tests and benchmarks start their own throwaway servers and users, with made-up credentials."""
IGNORED_FILES = {"envmon.toml", ".env", "secrets.toml"}


def _tracked_text_files() -> list[tuple[str, str]]:
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    files = []
    for name in filter(None, listing.decode().split("\0")):
        path = ROOT / name
        if not path.is_file():  # deleted in the working tree
            continue
        content = path.read_bytes()
        if b"\0" in content[:8192]:
            continue
        files.append((name, content.decode("utf-8", errors="replace")))
    return files


def _is_placeholder(value: str) -> bool:
    return value in PLACEHOLDERS or value.startswith(("$", "<", "{", "%")) or set(value) <= {"*", "x", "X", "."}


def find_secrets(files: list[tuple[str, str]]) -> list[str]:
    """``file:line: what`` for everything that looks like a real secret."""
    findings = []
    for name, text in files:
        throwaway = name.startswith(THROWAWAY_AREAS)
        for number, line in enumerate(text.splitlines(), start=1):
            findings += [f"{name}:{number}: {kind}" for kind, pattern in KEY_FORMATS.items() if pattern.search(line)]
            if throwaway or name.startswith("dashboard/static/vendor/"):
                continue
            for match in ASSIGNMENT.finditer(line):
                if not _is_placeholder(match[2]):
                    findings.append(f"{name}:{number}: {match[1]} set to a literal value")
            for match in CREDENTIAL_URL.finditer(line):
                if not _is_placeholder(match[1]):
                    findings.append(f"{name}:{number}: URL with an embedded password")
    return findings


@pytest.fixture(scope="module")
def tracked() -> list[tuple[str, str]]:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    return _tracked_text_files()


def test_no_tracked_file_holds_a_secret(tracked: list[tuple[str, str]]) -> None:
    assert len(tracked) > 50
    assert find_secrets(tracked) == []


def test_secret_files_are_not_tracked(tracked: list[tuple[str, str]]) -> None:
    assert not [name for name, _text in tracked if Path(name).name in IGNORED_FILES]


def test_the_scanner_finds_planted_secrets() -> None:
    planted = [
        ("data/config/feeds.toml", 'api_key = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"\n'),
        ("envmon.example", "DATABASE_URL=postgresql+psycopg://envmon:Hn2025!real@db:5432/envmon\n"),
        ("deploy/id_rsa", "-----BEGIN OPENSSH " + "PRIVATE KEY-----\n"),  # split, so this file stays clean
        ("tests/fixtures/x.txt", "token: ghp_" + "a1" * 18 + "\n"),
        ("README.md", "postgresql+psycopg://user:password@host:5432/envmon and password = '$ENVMON_PW'\n"),
    ]
    assert find_secrets(planted) == [
        "data/config/feeds.toml:1: api_key set to a literal value",
        "envmon.example:1: URL with an embedded password",
        "deploy/id_rsa:1: private key",
        "tests/fixtures/x.txt:1: GitHub token",
    ]
