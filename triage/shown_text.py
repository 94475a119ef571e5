"""Text from outside made safe to show and to send on: no direction tricks, no controls.

A subject like "Faktura \u202efdp.exe" displays as "Faktura exe.pdf": bidirectional
overrides, embeddings and isolates reorder what a reader sees, and C0/C1 control
characters can forge line breaks in a header or hide text on a terminal. The stored
ticket keeps what the sender wrote (the raw payload is evidence); what the desk *shows*
(every template value, ``web.ui``) and what it *sends* (the vendor forward, SMS pages)
passes through ``neutralise``. Pure: no I/O.
"""

from __future__ import annotations

import re

#: Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the Arabic
#: letter mark: they change the order in which the rest is displayed. The plain marks
#: LRM/RLM (U+200E, U+200F) only nudge neutral characters and are left alone, since
#: right-to-left names legitimately carry them.
BIDI_FORMATTING = re.compile("[\u202a-\u202e\u2066-\u2069\u061c]")
#: C0 and C1 controls and DEL, except tab and line breaks (bodies keep their lines), plus
#: the Unicode line and paragraph separators.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_LINE_BREAKS = re.compile("[\t\r\n]+")
#: Shown where a control character was: the reader sees that something was there.
REPLACEMENT = "\ufffd"


def neutralise(text: str) -> str:
    """``text`` without bidirectional formatting, its other controls made visible."""
    if text.isprintable():  # the common case, and no formatting character is printable
        return text
    return _CONTROLS.sub(REPLACEMENT, BIDI_FORMATTING.sub("", text))


def neutralise_line(text: str) -> str:
    """One line (a subject, a name, a header value): ``neutralise`` with tabs and line
    breaks folded to single spaces."""
    return " ".join(_LINE_BREAKS.sub(" ", neutralise(text)).split())
