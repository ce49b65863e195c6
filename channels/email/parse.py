"""Raw bytes to a parsed email, for any mail the world sends.

Parsing starts from the bytes (`policy.default`), never from text decoded beforehand. Bodies
are decoded with fallbacks for empty, unknown and mislabelled charsets: labels that the WHATWG
Encoding Standard maps to windows-1252 (us-ascii, iso-8859-1) are read as windows-1252, and
undeclared or Latin-labelled bytes that are valid UTF-8 are read as UTF-8. HTML-only mail is
turned into text, the quoted earlier mail and the signature are separated from the new text,
attachment names are decoded (RFC 2231, RFC 2047, raw 8-bit, %-escapes), and delivery reports
(RFC 3464) yield the failed addresses and the Message-IDs of the mail that failed; without
such a report, the prose of qmail and Exim bounces names the failed addresses (bounce_text).
"""

from __future__ import annotations

import codecs
import hashlib
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from typing import Any, TypeVar
from urllib.parse import unquote
from weakref import WeakKeyDictionary

from bot.cases.file_data import FileData
from channels.email.bounce_text import failed_addresses
from channels.email.htmltext import html_to_text
from channels.email.mime import (
    addresses,
    header_text,
    kept_per_headers,
    leaf_parts,
    message_ids,
    raw_values,
    read_message,
    unsurrogate,
)
from channels.email.quotes import ReplyParts, split_reply

# Labels the WHATWG Encoding Standard decodes as windows-1252 (browsers do; so do we).
_WINDOWS_1252 = frozenset(
    {"us-ascii", "ascii", "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1"}
    | {"windows-1252", "cp1252", "x-cp1252"}
)
_ALIASES = {
    "unicode-1-1-utf-7": "utf-7",
    "utf7": "utf-7",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "iso-8859-8-i": "iso-8859-8",
}
_UNKNOWN = frozenset({"", "unknown", "unknown-8bit", "x-unknown", "default", "x-user-defined"})
_MESSAGE_ID_LINE_RE = re.compile(r"^\s*message-id:\s*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)
_DELAY_SUBJECT_RE = re.compile(r"warning|delay|tertunda", re.IGNORECASE)
_REPORT_PARTS = frozenset(
    {"message/delivery-status", "message/disposition-notification", "text/rfc822-headers"}
)
# The detached signature of multipart/signed (RFC 1847): proof of the sender, not a document.
_SIGNATURES = frozenset(
    {"application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature"}
)
_THREAD_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
_ENCODED = frozenset({"base64", "quoted-printable"})
MAX_TEXT_CHARS = 200_000
MAX_SUBJECT_CHARS = 2_000
MAX_ADDRESS_CHARS = 320
MAX_ID_CHARS = 998  # RFC 5322 §2.1.1: the longest line
MAX_REFERENCES = 100
# Each part's file name, with the header list it was read from (see _safe_filename).
_FILENAMES: WeakKeyDictionary[Message, tuple[list[Any], str | None]] = WeakKeyDictionary()
T = TypeVar("T")


@dataclass(frozen=True)
class DeliveryReport:
    """What a bounce says: failed addresses, failed for good or only delayed, the reason, and
    the Message-IDs of the mail that failed."""

    failed: tuple[str, ...] = ()
    permanent: bool = False
    reason: str = ""
    message_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedMail:
    """Everything Loket reads from one email."""

    message: EmailMessage = field(repr=False)
    message_id: str | None
    sender: str | None
    sender_name: str | None
    recipients: tuple[str, ...]
    subject: str
    text: str
    quoted: str
    signature: str
    in_reply_to: str | None
    references: tuple[str, ...]
    attachments: tuple[FileData, ...]
    report: DeliveryReport
    # The parts of the reading that failed ("structure", "body", ...): what they would have
    # given is missing, so a person should look at the mail.
    problems: tuple[str, ...] = ()


def decode_text(data: bytes, charset: str | None) -> str:
    """Decode a body with its declared charset, falling back as the module docstring says."""
    label = (charset or "").strip().strip('"').lower()
    codec: str | None = _ALIASES.get(label, label)
    if codec in _UNKNOWN:
        codec = None
    elif codec in _WINDOWS_1252:
        codec = "cp1252"
    candidates = ["utf-8"] if codec in (None, "cp1252") and not data.isascii() else []
    candidates += [c for c in (codec, "utf-8", "cp1252") if c]
    for candidate in candidates:
        try:
            if not codecs.lookup(candidate)._is_text_encoding:
                continue  # base64, rot13, zlib ...: not a charset, whatever the label says
            return data.decode(candidate)
        except (LookupError, UnicodeError, ValueError, TypeError):  # NUL in a label, no BOM ...
            continue
    return data.decode("latin-1")


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # broken transfer encoding: keep what is there
        data = None
    if isinstance(data, bytes):
        return data
    raw = part._payload  # as stored: get_payload() would decode it with the declared charset
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _text_of(part: Message) -> str:
    text = decode_text(_payload(part), part.get_content_charset()).replace("\x00", "")
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_inline_text(part: Message) -> bool:
    return (
        part.get_content_type() in ("text/plain", "text/html")
        and part.get_content_disposition() != "attachment"
        and not _safe_filename(part)
    )


def _body(msg: EmailMessage) -> tuple[Message | None, str]:
    for preference in (("plain",), ("html",)):
        try:
            part = msg.get_body(preferencelist=preference)
        except Exception:
            part = None
        if part is not None and _is_inline_text(part):
            text = _text_of(part)
            if text.strip():
                return part, text
    return None, ""


def _safe_filename(part: Message) -> str | None:
    """The part's file name (`_read_filename`), read once per part: `_is_inline_text` asks for
    it of each part two or three times, and each time parses its Content-Disposition and
    Content-Type parameters anew."""
    return kept_per_headers(_FILENAMES, part, _read_filename)


def _read_filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # undecodable RFC 2231 / 2047 parameters
        name = None
    if not name:
        values = raw_values(part, "Content-Type") + raw_values(part, "Content-Disposition")
        found = re.search(r'(?:file)?name\s*=\s*"?([^";]+)', " ".join(values), re.IGNORECASE)
        name = found.group(1) if found else None
    return unsurrogate(str(name)) if name else None


def _filename(part: Message, index: int) -> str:
    name = _safe_filename(part) or ""
    if re.search(r"%[0-9A-Fa-f]{2}", name):  # Exchange %-escapes bytes outside RFC 2231
        try:
            name = unquote(name, errors="strict")
        except UnicodeDecodeError:
            name = unquote(name, encoding="latin-1")
    name = re.sub(r"[\x00-\x1f\x7f]", "", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if name in ("", ".", ".."):
        ext = mimetypes.guess_extension(part.get_content_type()) or ".bin"
        name = f"attachment-{index}{ext}"
    return name[:200]


def _attachment_bytes(part: Message) -> bytes:
    if part.get_content_type() != "message/rfc822":
        return _payload(part)
    inner = part.get_payload() if part.is_multipart() else None
    inner = inner[0] if isinstance(inner, list) and inner else inner
    if not isinstance(inner, Message):
        return _payload(part)
    try:
        return inner.as_bytes(policy=policy.compat32.clone(linesep="\r\n"))
    except Exception:
        return str(inner).encode("utf-8", "surrogateescape")


def _content(msg: EmailMessage) -> tuple[str, tuple[FileData, ...]]:
    body, text = _body(msg)
    texts, attachments = [text], []
    for part, parent in leaf_parts(msg):
        if part is body:
            continue
        if _is_inline_text(part):
            if part.get_content_subtype() == "plain" and parent not in ("alternative", "related"):
                texts.append(_text_of(part))
            continue
        if part.get_content_maintype() == "multipart" or part.get_content_type() in _REPORT_PARTS:
            continue  # an unparsable multipart, or the machine-readable half of a report
        if parent == "signed" and part.get_content_type() in _SIGNATURES:
            continue
        data = _attachment_bytes(part)
        attachments.append(
            FileData(
                filename=_filename(part, len(attachments) + 1),
                content_type=part.get_content_type()[:255],
                data=data,
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )
    joined = "\n\n".join(t.strip("\n") for t in texts if t.strip())
    return joined[:MAX_TEXT_CHARS], tuple(attachments)


def _reported_ids(part: Message) -> list[str]:
    if part.get_content_type() == "text/rfc822-headers":
        return message_ids(header_text(message_from_bytes(_payload(part)), "Message-ID"))
    inner = part.get_payload() if part.is_multipart() else None
    inner = inner[0] if isinstance(inner, list) and inner else None
    return message_ids(header_text(inner, "Message-ID")) if isinstance(inner, Message) else []


def _dsn_blocks(part: Message) -> list[Message]:
    """The field blocks of a message/delivery-status part, also when a server encoded them in
    base64 or quoted-printable (RFC 3464 wants 7bit; some send them encoded anyway)."""
    payload = part.get_payload() if part.is_multipart() else None
    blocks = [b for b in payload if isinstance(b, Message)] if isinstance(payload, list) else []
    if str(part.get("Content-Transfer-Encoding", "")).strip().lower() not in _ENCODED:
        return blocks
    encoded = "\n".join(str(b.get_payload()) for b in blocks if not b.keys())
    carrier = Message()
    carrier["Content-Transfer-Encoding"] = str(part["Content-Transfer-Encoding"])
    carrier.set_payload(encoded)
    decoded = decode_text(_payload(carrier), "utf-8").replace("\r\n", "\n")
    return [message_from_bytes(b.encode()) for b in re.split(r"\n\s*\n", decoded) if b.strip()]


def _delivery_report(msg: EmailMessage, subject: str, text: str) -> DeliveryReport:
    failed: list[str] = []
    reasons: list[str] = []
    ids: list[str] = []
    dsn = delayed = False
    for part, _ in leaf_parts(msg):
        ctype = part.get_content_type()
        if ctype == "message/delivery-status" and part.is_multipart():
            dsn = True
            for block in _dsn_blocks(part):
                action = header_text(block, "Action").lower()
                recipient = header_text(block, "Final-Recipient") or header_text(
                    block, "Original-Recipient"
                )
                address = recipient.split(";", 1)[-1].strip().strip("<>")
                reason = header_text(block, "Diagnostic-Code") or header_text(block, "Status")
                if action.startswith("failed") and "@" in address:
                    failed.append(address)
                    reasons.append(reason)
                elif action.startswith("delayed"):
                    delayed = True
                    reasons.append(reason)
        elif ctype in ("text/rfc822-headers", "message/rfc822"):
            ids += _reported_ids(part)
    for value in raw_values(msg, "X-Failed-Recipients"):  # Exim: permanent failures only
        failed += [a.strip() for a in value.split(",") if "@" in a]
    if not dsn:  # qmail and Exim may say it in prose only
        failed += failed_addresses(text)
    if not ids:
        ids = [m.strip("<>") for m in _MESSAGE_ID_LINE_RE.findall(text)]
    permanent = bool(failed) or not (dsn or delayed or _DELAY_SUBJECT_RE.search(subject))
    reason = next((r for r in reasons if r), " ".join(text.split())[:200])
    return DeliveryReport(tuple(dict.fromkeys(failed)), permanent, reason, tuple(ids))


def _safely(problems: list[str], step: str, read: Callable[[], T], default: T) -> T:
    """`read()`, or `default` with `step` noted in `problems` when it raises."""
    try:
        return read()
    except Exception:  # RecursionError, ValueError, LookupError ... on hostile mail
        problems.append(step)
        return default


def _first_sender(msg: EmailMessage) -> tuple[str, str | None]:
    senders = addresses(msg, "From") or addresses(msg, "Sender")
    name, address = senders[0] if senders else ("", None)
    if address and len(address) > MAX_ADDRESS_CHARS:  # RFC 5321 §4.5.3.1.3: at most 254
        return "", None
    return name, address


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse one email from its raw bytes; never raises on malformed mail.

    Each part of the reading (headers, body, attachments, report) stands alone: one that fails
    is left empty and named in `problems`, so the rest (sender, subject) is still there."""
    problems: list[str] = []
    msg, complete = read_message(raw)
    if not complete:
        problems.append("structure")
    subject = _safely(problems, "subject", lambda: header_text(msg, "Subject"), "")
    sender_name, sender = _safely(problems, "sender", lambda: _first_sender(msg), ("", None))
    text, attachments = (
        _safely(problems, "body", lambda: _content(msg), ("", ())) if complete else ("", ())
    )
    parts = _safely(problems, "body", lambda: split_reply(text, subject), ReplyParts(text))
    ids = _safely(problems, "ids", lambda: message_ids(header_text(msg, "Message-ID")), [])
    in_reply_to = _safely(problems, "ids", lambda: message_ids(header_text(msg, "In-Reply-To")), [])
    references = _safely(
        problems, "ids", lambda: message_ids(" ".join(raw_values(msg, "References"))), []
    )
    recipients = _safely(
        problems, "recipients", lambda: [a for _, a in addresses(msg, *_THREAD_HEADERS)], []
    )
    report = _safely(
        problems, "report", lambda: _delivery_report(msg, subject, text), DeliveryReport()
    )
    return ParsedMail(
        message=msg,
        message_id=ids[0][:MAX_ID_CHARS] if ids else None,
        sender=sender,
        sender_name=unsurrogate(sender_name).strip()[:255] or None,
        recipients=tuple(dict.fromkeys(a for a in recipients if len(a) <= MAX_ADDRESS_CHARS)),
        subject=subject[:MAX_SUBJECT_CHARS],
        text=parts.new,
        quoted=parts.quoted,
        signature=parts.signature,
        in_reply_to=in_reply_to[0][:MAX_ID_CHARS] if in_reply_to else None,
        references=tuple(r[:MAX_ID_CHARS] for r in references[-MAX_REFERENCES:]),
        attachments=attachments,
        report=report,
        problems=tuple(dict.fromkeys(problems)),
    )
