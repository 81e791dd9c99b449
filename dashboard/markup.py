"""Data text made inert before it reaches anything Streamlit renders as Markdown.

``st.markdown``, ``st.caption``, ``st.write`` of a string, headings, alerts (``st.info``…), widget labels and
``st.radio`` option labels all parse Markdown: a station name such as ``![t](http://x/p.png)`` would make every
visitor's browser fetch that URL, ``[text](url)`` would become a link, ``:red[…]``/``:material/…:`` a directive and
``$…$`` LaTeX. Every data string (names from feeds, wards, operators) goes through :func:`escape_markdown` first;
catalogue texts with data values go through :func:`markdown_text`.
"""

from __future__ import annotations

import re

import pandas as pd

from dashboard.i18n import t

# Every ASCII punctuation character may be backslash-escaped in CommonMark, and an escaped one is literal text:
# it can start no link, image, emphasis, code span, heading, list, HTML tag, autolink, directive or formula.
_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
# GitHub-flavoured autolinks (``http://…``, ``www.…``, ``a@b.c``) are found in the text *after* escapes are
# resolved, so escaping cannot stop them: an invisible word joiner after ``:``, before ``@`` and after ``www``
# breaks every autolink pattern without changing what a reader sees.
_WORD_JOINER = "\u2060"
_AUTOLINK_ANCHORS = re.compile(r"(?i)(?<=:)|(?=@)|(?<=www)(?=\.)")


def escape_markdown(value: object) -> str:
    """``value`` as literal Markdown text: punctuation escaped, autolinks broken, line breaks folded to spaces.

    None, NaN and NA become an empty string. Use it only where Markdown is rendered (not in ``st.selectbox``
    options or data-grid cells, which show text as it is).
    """
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    text = _AUTOLINK_ANCHORS.sub(_WORD_JOINER, _LINE_BREAKS.sub(" ", str(value)))
    return _PUNCTUATION.sub(r"\\\1", text)


def markdown_text(key: str, **values: object) -> str:
    """The catalogue string ``key`` in the session's language with every value escaped by :func:`escape_markdown`."""
    return t(key, **{name: escape_markdown(value) for name, value in values.items()})
