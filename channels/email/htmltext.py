"""HTML-only mail turned into readable plain text (stdlib parser; no dependency, no network).

Paragraphs and line breaks survive, lists get dashes, links keep their address when the link
text does not show it, and <blockquote> becomes "> " lines so quote detection works the same
as for plain-text replies.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "head", "title"})
_BREAK = frozenset({"br"})
_BLOCK = frozenset(
    {"p", "div", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre"}
)
_CELL = frozenset({"td", "th"})


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.skip_depth = 0
        self.quote_depth = 0
        self.pre_depth = 0
        self.links: list[str] = []

    def _newline(self) -> None:
        self.lines.append("> " * self.quote_depth)

    def _write(self, text: str) -> None:
        self.lines[-1] += text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
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
            self._write("- ")
        elif tag in _CELL:
            self._write(" ")
        elif tag == "a":
            self.links.append(dict(attrs).get("href") or "")
            self.lines[-1] += "\x00"  # marks where the link text starts

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK or tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - (tag == "blockquote"))
            self.pre_depth = max(0, self.pre_depth - (tag == "pre"))
            self._newline()
        elif tag == "a" and self.links:
            href = self.links.pop()
            line = self.lines[-1]
            start = line.rfind("\x00")
            label = line[start + 1 :] if start >= 0 else ""
            self.lines[-1] = line[: max(start, 0)] + label
            if href.startswith(("http://", "https://")) and href not in label:
                self._write(f" <{href}>")

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:
            first, *rest = data.split("\n")
            self._write(first)
            for line in rest:
                self._newline()
                self._write(line)
            return
        self._write(re.sub(r"\s+", " ", data))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAK or tag == "hr":
            self._newline()

    def text(self) -> str:
        return "\n".join(self.lines)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body; never raises on broken markup."""
    builder = _TextBuilder()
    try:
        builder.feed(html)
        builder.close()
    except Exception:  # HTMLParser is lenient, but a body must never stop the intake
        return re.sub(r"<[^>]*>", " ", html)
    lines = [line.replace("\x00", "").strip() for line in builder.text().split("\n")]
    lines = ["" if set(line) <= {">", " "} else line for line in lines]  # empty quoted lines
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
