"""Reading real-world MIME without ever raising: headers, addresses, Message-IDs, parts.

`email` with `policy.default` decodes RFC 2047 encoded-words, but turns raw 8-bit bytes (which
RFC 5322 forbids and Outlook Express sends anyway) into U+FFFD. We read the raw value instead,
decode its bytes as UTF-8 or else Windows-1252, and only then let the policy parse it.

The policy's header parser raises on hostile values (RecursionError on deeply nested comments,
ValueError on a NUL in a parameter), also inside the MIME parser and every `get_content_type`;
`LENIENT` falls back on the raw text of such a header, as compat32 would give it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses
from typing import Any

_MSGID_RE = re.compile(r"<([^<>\s]+)>")
# A header value longer than this is not worth parsing structurally (issue #9: a 91 KB RFC 2231
# header took 20 s); its raw text is used instead.
MAX_PARSED_HEADER_CHARS = 8_000
# Deeper than this, parts are not looked into (the parser itself stops far earlier).
MAX_PART_DEPTH = 60
MAX_PARTS = 2_000
MAX_CONTAINERS = 200


class _LenientPolicy(EmailPolicy):
    """policy.default, except that a header it cannot parse comes back as its raw text."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        """The parsed header, or its unfolded raw text when parsing fails or is too costly."""
        if len(value) <= MAX_PARSED_HEADER_CHARS:
            try:
                return super().header_fetch_parse(name, value)
            except Exception:  # RecursionError, ValueError, IndexError ...
                pass
        return _FOLD_RE.sub("", str(value)).replace("\x00", "")


LENIENT = _LenientPolicy()  # policy.default is EmailPolicy() with these same defaults
_FOLD_RE = re.compile(r"\r?\n")
_ADDRESS_RE = re.compile(r"[^\s<>()\[\]\\,;:\"@]{1,64}@[A-Za-z0-9.-]{1,253}")


def decode_bytes(data: bytes) -> str:
    """Text of bytes with no declared charset: UTF-8 if valid, else Windows-1252, else Latin-1."""
    for codec in ("utf-8", "cp1252"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def unsurrogate(value: str) -> str:
    """Undo surrogate escapes (raw 8-bit bytes kept by the parser) by decoding the bytes."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"))


def raw_values(msg: Message, name: str) -> list[str]:
    """Every value of header `name`, unfolded, with raw 8-bit bytes decoded and NULs dropped
    (no database takes a NUL in text)."""
    wanted = name.lower()
    return [
        unsurrogate(_FOLD_RE.sub("", str(value))).replace("\x00", "")
        for key, value in msg.raw_items()
        if key.lower() == wanted
    ]


def header_text(msg: Message, name: str) -> str:
    """The first value of header `name` as text (encoded-words decoded); '' when absent."""
    values = raw_values(msg, name)
    if not values:
        return ""
    try:
        return " ".join(str(policy.default.header_factory(name, values[0])).split())
    except Exception:  # a header the parser cannot make sense of is still worth its raw text
        return " ".join(values[0].split())


def addresses(msg: Message, *names: str) -> list[tuple[str, str]]:
    """(display name, address) pairs from the given address headers, in order; never raises."""
    found: list[tuple[str, str]] = []
    for name in names:
        for value in raw_values(msg, name):
            pairs: list[tuple[str, str]] = []
            if len(value) <= MAX_PARSED_HEADER_CHARS:
                try:
                    header = policy.default.header_factory(name, value)
                    pairs = [
                        (a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())
                    ]
                except Exception:  # fall back on the lenient compat32 splitter
                    pairs = _compat_addresses(value)
            if not any("@" in addr for _, addr in pairs):
                # unbalanced comments or quotes hide the address from both parsers
                pairs = [("", addr) for addr in _ADDRESS_RE.findall(value)]
            found.extend(pairs)
    return [(display, addr.strip()) for display, addr in found if "@" in addr]


def _compat_addresses(value: str) -> list[tuple[str, str]]:
    try:
        return getaddresses([value])
    except Exception:  # RecursionError on deeply nested comments
        return []


def message_ids(value: str) -> list[str]:
    """The Message-IDs in a Message-ID, In-Reply-To or References value, without brackets."""
    ids = _MSGID_RE.findall(value or "")
    if not ids and value and value.strip() and " " not in value.strip():
        ids = [value.strip().strip("<>")]  # a bare id without brackets
    return ids


def parse(raw: bytes) -> EmailMessage:
    """Parse raw bytes (never decoded to text first) with the lenient modern policy; never
    raises (see `read_message`)."""
    return read_message(raw)[0]


def read_message(raw: bytes) -> tuple[EmailMessage, bool]:
    """`parse`, and False when only the headers could be read (a structure nested too deep or
    too wide to parse)."""
    lowered = raw.lower()
    # The parser checks every open boundary on every line (time grows with depth x lines) and
    # recurses per level: far more containers than any mail client writes are not parsed.
    if (
        lowered.count(b"boundary") <= MAX_CONTAINERS
        and lowered.count(b"message/rfc822") <= MAX_CONTAINERS
    ):
        try:
            return message_from_bytes(raw, policy=LENIENT), True  # type: ignore[return-value]
        except Exception:  # RecursionError in the parser on deep nesting
            pass
    try:
        headers = BytesParser(policy=LENIENT).parsebytes(raw, headersonly=True)
    except Exception:  # the headers too: the mail is read as having none
        headers = EmailMessage(policy=LENIENT)
    return headers, False  # type: ignore[return-value]


def leaf_parts(msg: Message, parent: str = "") -> Iterator[tuple[Message, str]]:
    """Every non-multipart part with the subtype of its multipart parent, depth first (at most
    MAX_PARTS, no deeper than MAX_PART_DEPTH; iterative, so no nesting can exhaust the stack).

    A message/rfc822 part is one leaf (a forwarded mail is an attachment, not our content).
    """
    stack: list[tuple[Message, str, int]] = [(msg, parent, 0)]
    yielded = 0
    while stack and yielded < MAX_PARTS:
        part, parent_subtype, depth = stack.pop()
        # is_multipart() first: get_payload() of a leaf decodes it with its declared charset
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            if depth < MAX_PART_DEPTH:
                subtype = part.get_content_subtype()
                children = part.get_payload()
                stack.extend((child, subtype, depth + 1) for child in reversed(children))
            continue
        yielded += 1
        yield part, parent_subtype
