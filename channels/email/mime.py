"""Reading real-world MIME without ever raising: headers, addresses, Message-IDs, parts.

`email` with `policy.default` decodes RFC 2047 encoded-words, but turns raw 8-bit bytes (which
RFC 5322 forbids and Outlook Express sends anyway) into U+FFFD. We read the raw value instead,
decode its bytes as UTF-8 or else Windows-1252, and only then let the policy parse it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses

_MSGID_RE = re.compile(r"<([^<>\s]+)>")
_FOLD_RE = re.compile(r"\r?\n")


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
            try:
                header = policy.default.header_factory(name, value)
                found.extend(
                    (a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())
                )
            except Exception:  # fall back on the lenient compat32 splitter
                found.extend(getaddresses([value]))
    return [(display, addr.strip()) for display, addr in found if "@" in addr]


def message_ids(value: str) -> list[str]:
    """The Message-IDs in a Message-ID, In-Reply-To or References value, without brackets."""
    ids = _MSGID_RE.findall(value or "")
    if not ids and value and value.strip() and " " not in value.strip():
        ids = [value.strip().strip("<>")]  # a bare id without brackets
    return ids


def parse(raw: bytes) -> EmailMessage:
    """Parse raw bytes (never decoded to text first) with the modern policy."""
    return message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def leaf_parts(msg: Message, parent: str = "") -> Iterator[tuple[Message, str]]:
    """Every non-multipart part with the subtype of its multipart parent, depth first.

    A message/rfc822 part is one leaf (a forwarded mail is an attachment, not our content).
    """
    if msg.get_content_maintype() == "multipart" and isinstance(msg.get_payload(), list):
        for part in msg.get_payload():  # type: ignore[union-attr]
            yield from leaf_parts(part, msg.get_content_subtype())
    else:
        yield msg, parent
