"""data.redact: no credential survives in a URL, an error message or a log line, whatever its form."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.redact import MASK, RedactingFilter, is_secret_name, redact_text, redact_url, url_secrets

# Secrets are drawn from characters that never occur in the surrounding host, user and database names
# (lower-case letters only), so "the secret is not in the output" cannot pass or fail by coincidence.
SECRET_CHARACTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789!$%^*()_+~[]{}|,<>@:"
HOSTS = st.sampled_from(["db", "localhost", "pg.example.vn", "10.0.0.5", "[::1]"])
PORTS = st.sampled_from(["", ":5432", ":6543"])
SCHEMES = st.sampled_from(["postgresql", "postgresql+psycopg", "postgres", "https", "ftp"])
secrets = st.text(alphabet=SECRET_CHARACTERS, min_size=6, max_size=24).filter(lambda s: s.strip("@:") == s)


@settings(max_examples=300, deadline=None)
@given(scheme=SCHEMES, secret=secrets, host=HOSTS, port=PORTS)
def test_a_raw_password_never_survives_even_with_at_signs_and_colons(scheme, secret, host, port):
    url = f"{scheme}://envmon:{secret}@{host}{port}/envmon"
    masked = redact_url(url)
    assert secret not in masked
    assert masked == f"{scheme}://envmon:{MASK}@{host}{port}/envmon"


@settings(max_examples=200, deadline=None)
@given(scheme=SCHEMES, secret=st.text(min_size=6, max_size=24), host=HOSTS)
def test_a_percent_encoded_password_never_survives(scheme, secret, host):
    encoded = quote(secret, safe="")
    masked = redact_url(f"{scheme}://envmon:{encoded}@{host}/envmon?sslmode=require")
    assert masked == f"{scheme}://envmon:{MASK}@{host}/envmon?sslmode=require"


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(["password", "PASSWORD", "passwd", "pwd", "api_key", "apiKey", "APIKEY", "key", "token",
                          "access_token", "secret", "client_secret", "signature", "sig", "auth", "X-Amz-Signature"]),
    secret=st.text(alphabet=SECRET_CHARACTERS.replace("@", "").replace(",", ""), min_size=6, max_size=24),
    lead=st.sampled_from(["?", "?sslmode=require&", "?a=1;"]),
)  # fmt: skip
def test_secret_query_parameters_are_masked_whatever_their_case(name, secret, lead):
    url = f"https://portal.example.vn/api/v1/readings{lead}{name}={quote(secret, safe='')}&limit=5"
    masked = redact_url(url)
    assert quote(secret, safe="") not in masked
    assert masked.endswith(f"{name}={MASK}&limit=5")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://user:p@ss@host/db", f"postgresql://user:{MASK}@host/db"),
        ("postgresql+psycopg://u@h:5432/db?password=Zq9x&sslmode=require",
         f"postgresql+psycopg://u@h:5432/db?password={MASK}&sslmode=require"),
        ("postgresql://user:pa/ss?w#rd@host:5432/db", f"postgresql://user:{MASK}@host:5432/db"),
        ("host=db port=5432 password='se cret' dbname=envmon", f"host=db port=5432 password={MASK} dbname=envmon"),
        ("host=db password=Zq9x dbname=envmon", f"host=db password={MASK} dbname=envmon"),
        ("https://hooks.example.vn/alert?token=Zq9x#access_token=Yw8", f"https://hooks.example.vn/alert?token={MASK}"
         f"#access_token={MASK}"),
        ("https://abcdefghijklmnopqrstuvwx@git.example.vn/r", f"https://{MASK}@git.example.vn/r"),
        # Nothing secret: unchanged.
        ("sqlite:///var/envmon.db", "sqlite:///var/envmon.db"),
        ("https://medium.com/@envmon/post", "https://medium.com/@envmon/post"),
        ("https://h.vn:8080/q?email=a@b.vn&page=2", "https://h.vn:8080/q?email=a@b.vn&page=2"),
        ("https://api.openaq.org/v3/locations/2161292?limit=5", "https://api.openaq.org/v3/locations/2161292?limit=5"),
    ],
)  # fmt: skip
def test_known_forms(url, expected):
    assert redact_url(url) == expected


def test_secret_names():
    assert all(map(is_secret_name, ["password", "Api-Key", "accessToken", "X-Amz-Credential", "sig", "AUTH"]))
    assert not any(map(is_secret_name, ["page", "limit", "station", "datetime_from", "monkey_business"]))


def test_error_text_with_embedded_urls_and_misparsed_hosts():
    url = "postgresql+psycopg://envmon:Hn@2025pw@db.internal:5432/envmon"
    # SQLAlchemy splits at the first "@": it reports host "2025pw@db.internal", quoting part of the password.
    error = f'could not translate host name "2025pw@db.internal" to address; url {url}'
    masked = redact_text(error, [url])
    assert "2025pw" not in masked and "Hn@" not in masked
    assert masked == f'could not translate host name "{MASK}@db.internal" to address; url ' + redact_url(url)
    assert "Zq9x" not in redact_text("GET https://x.vn/a?api_key=Zq9x failed: 401", [])
    assert redact_text("key K-123456 rejected", ["K-123456"]) == f"key {MASK} rejected"
    assert redact_text("encoded K%2F123456", ["K/123456"]) == f"encoded {MASK}"


def test_url_secrets_lists_password_parameters_and_dsn_values():
    assert url_secrets("postgresql://u:p%40ss@h/db?password=Zq9x") == ["p%40ss", "Zq9x", "p@ss"]
    assert url_secrets("host=h password='a b'") == ["a b"]
    assert url_secrets("sqlite:///var/envmon.db") == []


def test_logging_filter_masks_messages_arguments_and_tracebacks(caplog):
    logger = logging.getLogger("test_redact")
    handler = caplog.handler
    handler.addFilter(RedactingFilter(["Zq9-configured"]))
    try:
        logger.error("webhook %s failed", "https://hooks.vn/x?token=Zq9-token")
        logger.error("key is Zq9-configured")
        try:
            raise RuntimeError("cannot reach https://u:Zq9-pw@h.vn/")
        except RuntimeError:
            logger.exception("poll failed")
    finally:
        handler.removeFilter(handler.filters[-1])
    text = caplog.text
    assert "Zq9" not in text
    assert text.count(MASK) >= 3 and "RuntimeError" in text
