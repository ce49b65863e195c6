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
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.headerregistry import AddressHeader, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from channels.email.standins import put_back, runs_stood_in

_MSGID_RE = re.compile(r"<([^<>\s]+)>")
# A header value longer than this is not worth parsing structurally (issue #9: a 91 KB RFC 2231
# header took 20 s); its raw text is used instead.
MAX_PARSED_HEADER_CHARS = 8_000
# Deeper than this, parts are not looked into (the parser itself stops far earlier).
MAX_PART_DEPTH = 60
MAX_PARTS = 2_000
MAX_CONTAINERS = 200


# Parsed headers are kept (`_KeptHeaders`) up to this many characters of values in all ...
MAX_KEPT_HEADER_CHARS = 32_000
# ... and only for values with at most this many "(": a comment nested deeper could reach the
# recursion limit at one call depth and not at another, so its parse is never reused.
MAX_KEPT_HEADER_PARENS = 20


class _HeaderParseFailed(ValueError):
    """The header was parsed before and the parser raised (every caller catches Exception)."""


class _KeptHeaders(HeaderRegistry):
    """policy.default's header factory, keeping what it made: a mail asks for its Content-Type
    a dozen times (the parser, get_content_type, get_param ...) and the stdlib parses it anew
    each time, in a header class it makes anew each time. Header objects are immutable and
    their parse depends on (name, value) only, so a kept one is the same as a new one."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}
        self._kept: dict[tuple[str, str], BaseHeader | None] = {}
        self._kept_chars = 0

    def __getitem__(self, name: str) -> type[BaseHeader]:
        """The header class for `name`, made once per lower-cased name."""
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls

    def __call__(self, name: str, value: str) -> BaseHeader:
        """The parsed header, as `HeaderRegistry` makes it (raises as it raises)."""
        key = (name, value)
        kept = self._kept.get(key, key)
        if kept is None:
            raise _HeaderParseFailed(name)
        if kept is not key:
            return kept  # type: ignore[return-value]
        keep = value.count("(") <= MAX_KEPT_HEADER_PARENS
        try:
            header = self[name](name, value)
        except Exception:
            if keep:
                self._keep(key, None)
            raise
        if keep:
            self._keep(key, header)
        return header

    def _keep(self, key: tuple[str, str], header: BaseHeader | None) -> None:
        if self._kept_chars + len(key[1]) > MAX_KEPT_HEADER_CHARS:
            self._kept.clear()
            self._kept_chars = 0
        self._kept[key] = header
        self._kept_chars += len(key[1])


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


# policy.default is EmailPolicy() with these same defaults (and a header factory like this one)
LENIENT = _LenientPolicy(header_factory=_KeptHeaders())
_FOLD_RE = re.compile(r"\r?\n")
# Each message's headers as raw_values gives them, by lower-cased name (a mail's are asked
# for some 25 times), with the header list they were read from.
_RAW_VALUES: WeakKeyDictionary[Message, tuple[list[Any], dict[str, list[str]]]] = (
    WeakKeyDictionary()
)
T = TypeVar("T")
_ESCAPED_RE = re.compile("[\udc80-\udcff]")  # raw 8-bit bytes, as the parser keeps them
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
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
    if value.isascii() or not _ESCAPED_RE.search(value):
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"))


def kept_per_headers(
    kept: WeakKeyDictionary[Message, tuple[list[Any], T]],
    msg: Message,
    read: Callable[[Message], T],
) -> T:
    """`read(msg)`, computed once and kept in `kept` until `msg`'s headers change."""
    headers = msg._headers
    known = kept.get(msg)
    if known is None or known[0] != headers:  # new, or its headers changed since
        known = kept[msg] = (list(headers), read(msg))
    return known[1]


def _raw_index(msg: Message) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for key, value in msg._headers:
        clean = unsurrogate(_FOLD_RE.sub("", str(value))).replace("\x00", "")
        index.setdefault(key.lower(), []).append(clean)
    return index


def raw_values(msg: Message, name: str) -> list[str]:
    """Every value of header `name`, unfolded, with raw 8-bit bytes decoded and NULs dropped
    (no database takes a NUL in text)."""
    return list(kept_per_headers(_RAW_VALUES, msg, _raw_index).get(name.lower(), ()))


def _plain_unstructured(name: str, value: str) -> bool:
    """True when the header parser would give `value` back as it is: an unstructured header
    (Subject, Precedence ...) with no encoded-word ("=?") and no surrogate. Its parse is a run
    of text and blank tokens whose str() is the value (or it raises, and the raw text is used:
    the same again), so the parse is not needed."""
    return (
        "=?" not in value
        and (value.isascii() or not _SURROGATE_RE.search(value))
        and issubclass(LENIENT.header_factory[name], UnstructuredHeader)
    )


def header_text(msg: Message, name: str) -> str:
    """The first value of header `name` as text (encoded-words decoded); '' when absent."""
    values = raw_values(msg, name)
    if not values:
        return ""
    if _plain_unstructured(name, values[0]):
        return " ".join(values[0].split())
    try:
        return " ".join(str(LENIENT.header_factory(name, values[0])).split())
    except Exception:  # a header the parser cannot make sense of is still worth its raw text
        return " ".join(values[0].split())


def addresses(msg: Message, *names: str) -> list[tuple[str, str]]:
    """(display name, address) pairs from the given address headers, in order; never raises."""
    found: list[tuple[str, str]] = []
    for name in names:
        for value in raw_values(msg, name):
            pairs: list[tuple[str, str]] = []
            if len(value) > MAX_PARSED_HEADER_CHARS or _plain_unstructured(name, value):
                pass  # too long to parse; or Delivered-To ...: the parser gives no addresses
            elif (simple := _simple_addresses(name, value)) is not None:
                pairs = simple
            else:
                try:
                    header = LENIENT.header_factory(name, value)
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


# The address lists most mail carries ("Name Name <local@domain>", "<local@domain>",
# "local@domain", separated by "," or ", "), read by a regex as the header parser reads them:
# the display name is its words joined by single spaces, the address is the text as written
# (only atext and dots: nothing the parser would quote). Anything else goes to the parser.
_WORD = r"[A-Za-z0-9_-]+"
_ADDR_SPEC = r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_SIMPLE_MAILBOX_RE = re.compile(
    rf"(?:({_WORD}(?: {_WORD})*) )?<({_ADDR_SPEC})>|<({_ADDR_SPEC})>|({_ADDR_SPEC})"
)


def _simple_addresses(name: str, value: str) -> list[tuple[str, str]] | None:
    """The (display name, address) pairs of a plain address list, as the parser gives them;
    None when `value` is not one (or `name` is no address header)."""
    if not value.isascii() or not issubclass(LENIENT.header_factory[name], AddressHeader):
        return None
    pairs = []
    for i, piece in enumerate(value.split(",")):
        found = _SIMPLE_MAILBOX_RE.fullmatch(piece[1:] if i and piece[:1] == " " else piece)
        if found is None:
            return None
        display, angled, bracketed, bare = found.groups()
        pairs.append((display or "", angled or bracketed or bare))
    return pairs


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
            stood_in, runs = runs_stood_in(raw)
            msg = message_from_bytes(stood_in, policy=LENIENT)
            if runs:
                put_back(msg, runs)
            return msg, True  # type: ignore[return-value]
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
