"""HTML bodies: sanitised with nh3 (no script, no foreign schemes) for showing, and
turned into plain text for classifying and for bodies that have no text part.

Part of the e-mail parser (``triage.intake.email_message``); pure.
"""

from __future__ import annotations

import re
from html import unescape as _unescape_html
from html.parser import HTMLParser

import nh3

from triage.intake.email_limits import MAX_BODY_CHARS
from triage.intake.email_text import _Warnings

_HTML_DROP_CONTENT = {"script", "style", "title", "template"}


# cid: lets the UI map inline images to their attachments; javascript: and data: stay out.
_HTML_URL_SCHEMES = set(nh3.ALLOWED_URL_SCHEMES) | {"cid"}


def _sanitize_html(source: str) -> str | None:
    """nh3 (ammonia) allow-list cleaning: no script/style, no on* handlers, no javascript:."""
    try:
        return str(
            nh3.clean(
                source,
                clean_content_tags=_HTML_DROP_CONTENT,
                url_schemes=_HTML_URL_SCHEMES,
            )
        )
    except BaseException as exc:  # a Rust panic surfaces as pyo3's PanicException
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return None


def _cap_html(safe: str, warnings: _Warnings) -> str:
    if len(safe) <= MAX_BODY_CHARS:
        return safe
    warnings.add(f"HTML body is longer than {MAX_BODY_CHARS:,} characters; truncated")
    cut = safe[: MAX_BODY_CHARS - 10_000]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    again = _sanitize_html(cut)  # re-closes the tags the cut left open
    return (again if again is not None else "")[:MAX_BODY_CHARS]


_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "caption", "center", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "header", "hr", "li", "main",
        "nav", "section", "tr",
    }
)  # fmt: skip


_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


_PARAGRAPH_TAGS = frozenset(
    {"blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "p", "pre", "table", "ul"}
)


class _TextExtractor(HTMLParser):
    """HTML to readable plain text: blocks become lines, quotes get "> " prefixes.

    Used when a mail has no text/plain part, so agents, search and notifications still get
    text, including the quoted history Gmail puts in <blockquote>.  It is fed nh3's output,
    which is well-formed, so only the tags nh3 allows matter here.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self.current: list[str] = []
        self.line_depth = 0
        self.quote_depth = 0
        self.pre_depth = 0
        self.skip_depth = 0
        self.pending = 0  # 1: a line break is due before the next text, 2: a blank line
        self.chars = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_DROP_CONTENT:
            self.skip_depth += 1
        elif tag == "br":
            self._flush_pending()
            self._end_line()
        elif tag in ("td", "th"):
            if self.current and not self.current[-1].endswith(" "):
                self.current.append(" ")
        elif tag in _PARAGRAPH_TAGS or tag in _BLOCK_TAGS:
            self.pending = max(self.pending, 2 if tag in _PARAGRAPH_TAGS else 1)
            if tag == "blockquote":
                self.quote_depth += 1
            elif tag == "pre":
                self.pre_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_DROP_CONTENT:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _PARAGRAPH_TAGS or tag in _BLOCK_TAGS:
            self.pending = max(self.pending, 2 if tag in _PARAGRAPH_TAGS else 1)
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            elif tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:  # preformatted: keep spaces and line breaks as they are
            for index, line in enumerate(data.split("\n")):
                if index:
                    self._flush_pending()
                    self._end_line()
                if line:
                    self._append(line)
            return
        text = _HTML_SPACE.sub(" ", data)
        if not text.strip(" "):
            # whitespace between inline elements separates words; at a line start it is nothing
            if self.current and not self.pending and not self.current[-1].endswith(" "):
                self.current.append(" ")
            return
        if self.pending or not self.current or self.current[-1].endswith(" "):
            text = text.lstrip(" ")
        self._append(text)

    def _flush_pending(self) -> None:
        if self.pending and (self.lines or self.current):
            previous_depth = self.line_depth
            self._end_line()
            if self.pending == 2:
                self.lines.append((min(previous_depth, self.quote_depth), ""))
        self.pending = 0

    def _append(self, text: str) -> None:
        self._flush_pending()
        if not self.current:
            self.line_depth = self.quote_depth
        self.current.append(text)
        self.chars += len(text)

    def _end_line(self) -> None:
        self.lines.append((self.line_depth, "".join(self.current)))
        self.current = []
        self.line_depth = self.quote_depth

    def text(self) -> str:
        if self.current:
            self._end_line()
        out: list[str] = []
        for depth, line in self.lines:
            rendered = ("> " * depth + line.replace("\xa0", " ")).rstrip()
            if not line.strip() and out and out[-1] == rendered:
                continue  # collapse runs of blank lines
            out.append(rendered)
        return "\n".join(out).strip("\n")


def _html_to_text(html: str) -> str:
    """Text of sanitised HTML; stops reading once there is more text than will be kept."""
    extractor = _TextExtractor()
    try:
        for offset in range(0, len(html), 64 * 1024):
            extractor.feed(html[offset : offset + 64 * 1024])
            if extractor.chars > MAX_BODY_CHARS:
                break
        else:
            extractor.close()
    except Exception:  # html.parser has had assertion failures on odd markup
        return _strip_tags(html)
    return extractor.text()


def _strip_tags(html: str) -> str:
    """Last-resort text from HTML that neither nh3 nor html.parser could handle."""
    text = re.sub(r"(?is)<(script|style|title)\b.*?</\1\s*>", " ", html)
    text = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h[1-6])\s*>", "\n", text)
    text = _unescape_html(re.sub(r"<[^>]*>", " ", text))
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
