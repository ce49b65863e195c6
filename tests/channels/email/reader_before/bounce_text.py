"""Failed addresses from bounces written only in prose, without an RFC 3464 report.

Two mail servers still send such bounces in a fixed layout: qmail-send lists each failed
address as a `<address>:` line after "I'm afraid I wasn't able to deliver your message to the
following addresses.", and Exim lists them indented under "The following address(es) failed:".
Both end the list where the copy of the returned message begins (a line of dashes). Only lines
that hold nothing but an address count, so the reasons and the returned copy never do.
Exim's "have not yet been delivered" delay warnings are not failures and are not read.
"""

from __future__ import annotations

import re

_LIST_START_RE = re.compile(
    r"wasn't able to deliver your message to the following addresses"  # qmail-send
    r"|following address\(es\) failed:",  # Exim
    re.IGNORECASE,
)
_LIST_END_RE = re.compile(r"^\s*-{3,}", re.MULTILINE)
_ADDRESS_LINE_RE = re.compile(r"^ {0,4}<?([^\s<>@\"]+@[^\s<>@:\"]+?)>?:?[ \t]*$", re.MULTILINE)
MAX_ADDRESSES = 50


def failed_addresses(text: str) -> list[str]:
    """The addresses a qmail or Exim plain-text bounce says failed, in order; [] for any
    other text."""
    start = _LIST_START_RE.search(text)
    if start is None:
        return []
    listing = text[start.end() :]
    end = _LIST_END_RE.search(listing)
    listing = listing[: end.start()] if end else listing
    found = [m.group(1) for m in _ADDRESS_LINE_RE.finditer(listing)]
    return list(dict.fromkeys(found))[:MAX_ADDRESSES]
