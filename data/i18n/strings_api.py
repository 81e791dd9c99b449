"""The HTTP API's texts for people (the API's own error messages are English, for developers): key ->
(Vietnamese, English)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "serve.service.api": ("API dữ liệu (tài liệu OpenAPI)", "data API (OpenAPI docs)"),
}
