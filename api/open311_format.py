"""Open311 GeoReport v2 answers as JSON or XML: every route exists as ``….json`` and ``….xml``.

XML follows the spec's element names: ``<services><service>…</service></services>`` for the service list,
``<service_requests><request>…</request></service_requests>`` for requests, a posted request's token and a token's
request id, and ``<errors><error><code>…</code><description>…</description></error></errors>`` for errors.
A missing value is an empty element (``<status_notes/>``); booleans are ``true``/``false``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from xml.etree import ElementTree

from fastapi import Response
from fastapi.responses import JSONResponse

Format = Literal["json", "xml"]
XML_TYPE = "text/xml; charset=utf-8"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot carry
ROOTS = {"service": "services", "request": "service_requests"}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def xml_document(root: str, item: str, rows: Sequence[Mapping[str, Any]]) -> bytes:
    """``rows`` as ``<root><item><field>value</field>…</item>…</root>`` with an XML declaration (UTF-8)."""
    top = ElementTree.Element(root)
    for row in rows:
        element = ElementTree.SubElement(top, item)
        for name, value in row.items():
            ElementTree.SubElement(element, name).text = _text(value)
    return ElementTree.tostring(top, encoding="utf-8", xml_declaration=True)


def answer(rows: Sequence[Mapping[str, Any]], fmt: Format, item: str = "request", status: int = 200) -> Response:
    """A list answer in ``fmt``: a JSON array, or the spec's XML document of ``item`` elements."""
    if fmt == "xml":
        return Response(xml_document(ROOTS[item], item, rows), status_code=status, media_type=XML_TYPE)
    return JSONResponse(list(rows), status_code=status)


def error(path: str, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """An Open311 error, ``[{"code", "description"}]``, as XML when the path asks for ``.xml``."""
    rows = [{"code": status, "description": message}]
    if path.endswith(".xml"):
        body = xml_document("errors", "error", rows)
        return Response(body, status_code=status, media_type=XML_TYPE, headers=dict(headers or {}))
    return JSONResponse(rows, status_code=status, headers=dict(headers or {}))
