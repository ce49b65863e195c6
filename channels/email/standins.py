"""Long runs of base64 lines handed to the MIME parser as one short line each, and put back.

The parser reads a mail line by line in Python, and then searches each leaf body for its last
line end with a regex run over the whole body: most of a 100 KB attachment's cost. A line of
only base64 characters is nothing to the parser (no header: no ":", no leading blank; no
boundary: no "-"; not empty), it is only gathered into a body, a preamble or an epilogue, and
so is the stand-in, also [A-Za-z0-9]: the parser builds the same tree, and putting the runs
back into those texts gives the same strings. A run is whole lines, none empty, each ended by
CRLF or LF (a lone CR is a line end to the parser: no run holds one), and the line end after
its last line stays in the mail (the parser may strip it at a boundary, as before). A mail
that holds the stand-ins' prefix itself is parsed as it is.
"""

from __future__ import annotations

import re
from email.message import Message

_BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
# Each byte as its class: "a" a base64 character, CR and LF themselves, "#" anything else.
_CLASSES = bytes(
    ord("a") if byte in _BASE64 else byte if byte in b"\r\n" else ord("#") for byte in range(256)
)
_RUN_START = b"\n" + b"a" * 40  # only runs whose first line is this long are looked at
_STAND_IN_PREFIX = "LoketRunStandIn"
_STAND_IN_RE = re.compile(_STAND_IN_PREFIX + "[0-9]{6}Z")
MIN_RUN_BYTES = 2_048


class _Ahead:
    """The next place of each of a few byte strings at or after a position that only grows: a
    place found once is kept until the position passes it, so that no part of the mail is
    searched twice for the same string (linear time, however many runs and blank lines)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.places: dict[bytes, int] = {}

    def find(self, needle: bytes, position: int) -> int:
        """The first place of `needle` at or after `position`, len(data) when there is none."""
        place = self.places.get(needle, -1)
        if place < position:
            place = self.data.find(needle, position)
            place = self.places[needle] = len(self.data) if place < 0 else place
        return place


def runs_stood_in(raw: bytes) -> tuple[bytes, dict[str, str]]:
    """`raw` with each long run of base64 lines replaced by a stand-in, and the runs by it."""
    if len(raw) < MIN_RUN_BYTES or _STAND_IN_PREFIX.encode() in raw:
        return raw, {}
    classes = raw.translate(_CLASSES)
    ahead = _Ahead(classes)
    runs: dict[str, str] = {}
    pieces: list[bytes] = []
    done = 0
    start = ahead.find(_RUN_START, 0)
    while start < len(classes):
        first = start + 1  # the run's first line starts after a line end
        end = ahead.find(b"#", first)
        blank = min(ahead.find(b"\n\n", first), ahead.find(b"\n\r\n", first))
        end = min(end, blank + 1)  # up to the line end before a blank line, if one comes first
        last_eol = classes.rfind(b"\n", first, end)  # the run ends before this line end
        stop = last_eol - 1 if last_eol > first and classes[last_eol - 1] == 13 else last_eol
        if stop - first >= MIN_RUN_BYTES and classes.count(b"\r", first, stop) == classes.count(
            b"\r\n", first, stop
        ):
            name = f"{_STAND_IN_PREFIX}{len(runs):06d}Z"
            runs[name] = raw[first:stop].decode("ascii")
            pieces += (raw[done:first], name.encode("ascii"))
            done = stop
        start = ahead.find(_RUN_START, max(end - 1, first))
    if not runs:
        return raw, {}
    pieces.append(raw[done:])
    return b"".join(pieces), runs


def put_back(msg: Message, runs: dict[str, str]) -> None:
    """Put the runs back where the parser put their stand-ins: bodies, preambles, epilogues."""

    def back(text: str) -> str:
        return _STAND_IN_RE.sub(lambda m: runs.get(m.group(0), m.group(0)), text)

    stack = [msg]
    while stack:
        part = stack.pop()
        payload = part._payload  # as stored: get_payload() would decode it
        if isinstance(payload, list):
            stack.extend(child for child in payload if isinstance(child, Message))
        elif isinstance(payload, str) and _STAND_IN_PREFIX in payload:
            part._payload = back(payload)
        for name in ("preamble", "epilogue"):
            text = getattr(part, name)
            if isinstance(text, str) and _STAND_IN_PREFIX in text:
                setattr(part, name, back(text))
