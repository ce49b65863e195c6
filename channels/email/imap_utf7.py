"""IMAP's modified UTF-7 for mailbox names (RFC 3501 §5.1.3).

Printable US-ASCII stands for itself except "&", which is written "&-"; every other run of
characters is written as "&" + the UTF-16BE bytes in base64 (with "," for "/", no padding) +
"-". Servers without UTF8=ACCEPT (RFC 6855) only understand names in this form. No maintained
PyPI package provides just this codec (the IMAP clients that carry one are whole libraries),
so it lives here.
"""

from __future__ import annotations

import base64
import binascii
import re

_SHIFTED_RE = re.compile(r"&([^-]*)-")
_BASE64_RE = re.compile(r"[A-Za-z0-9+,]*")


def _printable(char: str) -> bool:
    return 0x20 <= ord(char) <= 0x7E


def _shift(run: str) -> str:
    encoded = base64.b64encode(run.encode("utf-16-be")).decode("ascii")
    return "&" + encoded.rstrip("=").replace("/", ",") + "-"


def encode(name: str) -> str:
    """`name` in modified UTF-7; pure printable ASCII without "&" comes back unchanged."""
    out: list[str] = []
    run = ""
    for char in name:
        if _printable(char):
            if run:
                out.append(_shift(run))
                run = ""
            out.append("&-" if char == "&" else char)
        else:
            run += char
    if run:
        out.append(_shift(run))
    return "".join(out)


def _unshift(body: str) -> str:
    if not body:
        return "&"
    if not _BASE64_RE.fullmatch(body) or len(body) % 4 == 1:
        raise ValueError("bad base64 in modified UTF-7")
    padded = body.replace(",", "/") + "=" * (-len(body) % 4)
    try:
        data = base64.b64decode(padded, validate=True)
        text = data.decode("utf-16-be")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("bad UTF-16 in modified UTF-7") from None
    if base64.b64encode(data).decode("ascii") != padded or all(_printable(c) for c in text):
        raise ValueError("non-canonical modified UTF-7")  # stray bits, or ASCII shifted
    return text


def decode(wire: str) -> str:
    """The mailbox name that `wire` (modified UTF-7) spells; ValueError when it is not valid
    modified UTF-7 (characters outside printable ASCII, a bare "&", bad base64 or UTF-16)."""
    if not all(_printable(c) for c in wire):
        raise ValueError("modified UTF-7 is printable ASCII only")
    out: list[str] = []
    position = 0
    for shifted in _SHIFTED_RE.finditer(wire):
        out.append(wire[position : shifted.start()])
        out.append(_unshift(shifted.group(1)))
        position = shifted.end()
    rest = wire[position:]
    if "&" in rest:
        raise ValueError("unterminated shift in modified UTF-7")
    return "".join(out) + rest


def to_wire(name: str) -> str:
    """The form to send for a configured folder name: a name already written in modified
    UTF-7 (as admins had to before Loket encoded names) is kept, anything else is encoded."""
    try:
        if "&" in name and encode(decode(name)) == name:
            return name
    except ValueError:
        pass
    return encode(name)
