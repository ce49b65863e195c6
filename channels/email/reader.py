"""What the email channel reads from one mail's bytes, as a picklable value.

`read_mail` (parse and classify) is what the worker process runs (channels/email/worker.py);
its result carries no `EmailMessage`, only plain values. `salvage` is what the main process
can still say about a mail the worker could not read, without parsing it: the sender (From,
else Sender, else the Return-Path the delivering server wrote, else an mbox "From " line), the
subject and the Message-ID, from a bounded prefix of the header, in linear time.
"""

from __future__ import annotations

import hashlib
import re

from channels.email.classify import classify
from channels.email.message import MailKind, MailReading
from channels.email.mime import decode_bytes, message_ids
from channels.email.parse import MAX_ADDRESS_CHARS, parse_mail

# Only this much of a mail is looked at by `salvage` (headers are rarely a tenth of it).
SALVAGE_BYTES = 64 * 1024
_HEADER_RE = re.compile(rb"^([A-Za-z0-9-]{1,64})[ \t]*:(.*)$")
_ADDRESS_RE = re.compile(r"[^\s<>()\[\]\\,;:\"@]{1,64}@[A-Za-z0-9.-]{1,253}")


def read_mail(raw: bytes) -> MailReading:
    """Parse and classify one mail; never raises (parse_mail and classify never do)."""
    parsed = parse_mail(raw)
    verdict = classify(parsed.message)
    sender, problems = parsed.sender, parsed.problems
    if sender is None and verdict.kind == MailKind.HUMAN:
        # A From header broken beyond reading: the envelope (Return-Path, an mbox "From "
        # line) still names someone, for the review queue only, never for an answer.
        sender = salvage(raw).sender
        problems = (*problems, "sender") if sender else problems
    return MailReading(
        kind=verdict.kind,
        no_reply=verdict.no_reply,
        message_id=parsed.message_id,
        sender=sender,
        sender_name=parsed.sender_name,
        recipients=parsed.recipients,
        subject=parsed.subject,
        text=parsed.text,
        quoted=parsed.quoted,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        attachments=parsed.attachments,
        report=parsed.report,
        problems=problems,
        raw_digest=hashlib.sha256(raw).hexdigest(),
    )


def _headers(raw: bytes) -> dict[str, str]:
    """The first value of each header of the first block, unfolded, as text."""
    head = raw[:SALVAGE_BYTES].replace(b"\r\n", b"\n")
    head = head.split(b"\n\n", 1)[0]
    found: dict[str, str] = {}
    name = None
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and name:
            found[name] += " " + decode_bytes(line.strip())
            continue
        match = _HEADER_RE.match(line)
        name = match.group(1).decode("ascii").lower() if match else None
        if name and name not in found:
            found[name] = decode_bytes(match.group(2).strip())  # type: ignore[union-attr]
        elif name:
            name = None  # a second value of the same header is ignored
    return found


def _address(value: str) -> str | None:
    found = _ADDRESS_RE.search(value.replace("\x00", ""))
    return found.group(0) if found and len(found.group(0)) <= MAX_ADDRESS_CHARS else None


def salvage(raw: bytes) -> MailReading:
    """What can be read from a mail without parsing it (see the module docstring)."""
    headers = _headers(raw)
    mbox = raw[:1000].split(b"\n", 1)[0] if raw.startswith(b"From ") else b""
    candidates = [headers.get("from", ""), headers.get("sender", ""),
                  headers.get("return-path", ""), decode_bytes(mbox[5:])]  # fmt: skip
    sender = next((a for a in map(_address, candidates) if a), None)
    ids = message_ids(headers.get("message-id", "")[:1000])
    subject = " ".join(headers.get("subject", "").replace("\x00", "").split())[:500]
    return MailReading(
        kind=MailKind.HUMAN,
        no_reply=True,
        message_id=ids[0] if ids else None,
        sender=sender,
        subject=subject,
    )
