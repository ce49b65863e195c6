"""HTML-only mail turned into readable plain text, in time and memory linear in its size.

Paragraphs and line breaks survive, lists get dashes, links keep their address when the link
text does not show it, and <blockquote> becomes "> " lines so quote detection works the same
as for plain-text replies.

libxml2's HTML parser (lxml, as a SAX-style target: no tree is built) reads the markup; the
standard library's html.parser is quadratic on crafted input (a run of "<!--" or "<a", CPython
gh-135462), which one hostile mail must not be able to use to stall intake (issue #9). Lines
are built from fragments, never by appending to a growing string, and a quote is marked by at
most MAX_QUOTE_MARKS "> ", so deeply nested <blockquote> cannot grow the text quadratically.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

_SKIP = frozenset({"script", "style", "head", "title"})
_BREAK = frozenset({"br"})
_BLOCK = frozenset(
    {"p", "div", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre"}
)
_CELL = frozenset({"td", "th"})
MAX_QUOTE_MARKS = 8
_SPACE_RE = re.compile(r"\s+")


class _TextBuilder:
    """The parser target: collects lines of text fragments from start/end/data events."""

    def __init__(self) -> None:
        self.lines: list[list[str]] = [[]]
        self.skip_depth = 0
        self.quote_depth = 0
        self.pre_depth = 0
        # For each open <a>: its href and where its text starts (line, fragment index).
        self.links: list[tuple[str, int, int]] = []

    def _newline(self) -> None:
        self.lines.append(["> " * min(self.quote_depth, MAX_QUOTE_MARKS)])

    def start(self, tag: Any, attrib: Any) -> None:
        """An opening tag."""
        tag = str(tag).lower()
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _BREAK:
            self._newline()
        elif tag in _BLOCK or tag == "blockquote":
            self.quote_depth += tag == "blockquote"
            self.pre_depth += tag == "pre"
            self._newline()
        elif tag == "li":
            self._newline()
            self.lines[-1].append("- ")
        elif tag in _CELL:
            self.lines[-1].append(" ")
        elif tag == "a":
            href = str(attrib.get("href") or "")
            self.links.append((href, len(self.lines) - 1, len(self.lines[-1])))

    def end(self, tag: Any) -> None:
        """A closing tag (libxml2 closes what the markup left open)."""
        tag = str(tag).lower()
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK or tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - (tag == "blockquote"))
            self.pre_depth = max(0, self.pre_depth - (tag == "pre"))
            self._newline()
        elif tag in _BREAK or tag == "hr":
            pass
        elif tag == "a" and self.links:
            href, line, start = self.links.pop()
            label = "".join(self.lines[line][start:]) if line == len(self.lines) - 1 else ""
            if href.startswith(("http://", "https://")) and href not in label:
                self.lines[-1].append(f" <{href}>")

    def data(self, data: str) -> None:
        """Text between tags."""
        if self.skip_depth:
            return
        if self.pre_depth:
            first, *rest = data.split("\n")
            self.lines[-1].append(first)
            for line in rest:
                self._newline()
                self.lines[-1].append(line)
            return
        self.lines[-1].append(_SPACE_RE.sub(" ", data))

    def comment(self, text: Any) -> None:
        """Comments are not text."""

    def close(self) -> str:
        """The collected text, one line per list entry."""
        return "\n".join("".join(fragments) for fragments in self.lines)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body; never raises on broken markup."""
    builder = _TextBuilder()
    try:
        parser = etree.HTMLParser(target=builder, recover=True, no_network=True)
        parser.feed(html.replace("\x00", ""))
        text = parser.close()
    except Exception:  # libxml2 is lenient, but a body must never stop the intake
        text = re.sub(r"<[^>]*>", " ", html)
    lines = [line.strip() for line in str(text or "").split("\n")]
    lines = ["" if set(line) <= {">", " "} else line for line in lines]  # empty quoted lines
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
