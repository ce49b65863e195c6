"""Who wrote an email: a person, an auto-responder, a mail server (bounce) or a reporting agent.

One pure function over the parsed message. Automatic mail must never open a case or get an
answer (every helpdesk that skipped this shipped a mail loop), so several independent signals
are read: RFC 3834 Auto-Submitted, the vendor headers (X-Autoreply, X-POST-MessageClass,
Precedence: auto_reply), the null reverse-path automatic mail is sent with (RFC 5321 §4.5.5),
multipart/report (RFC 6522) and subject patterns in English and Indonesian. A bounce must also
come from a mail server (null or MAILER-DAEMON reverse-path): a "delivery failed" text from an
ordinary address is only an auto-reply, so it can never mark a citizen's address as failing.

List mail and senders that ask for no automatic answer (List-*, Precedence bulk/list/junk,
X-Auto-Response-Suppress) are still written by people: they are `human` with `no_reply` set,
because RFC 3834 §2 says not to answer them automatically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from channels.email.message import MailKind
from tests.channels.email.reader_before.mime import addresses, header_text, leaf_parts, raw_values

_AUTO_SUBJECT_RE = re.compile(
    r"""^\s*(
        auto(matic|matische)?[\s_-]*(reply|response|antwort|answer)
      | auto[\s-]?respon
      | auto:
      | out\s+of\s+(the\s+)?office
      | away\s+from\s+(the\s+|my\s+)?office
      | vacation\s+(reply|response)
      | abwesenheitsnotiz
      | r[ée]ponse\s+automatique
      | respuesta\s+autom[aá]tica
      | (balasan|jawaban|balas|respon|pesan)\s+otomatis
      | (sedang\s+)?(tidak\s+di|di\s+luar)\s+kantor
      | sedang\s+cuti
      | cuti\s*[.!]?\s*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_BOUNCE_SUBJECT_RE = re.compile(
    r"""(
        undeliver(able|ed)
      | delivery\s+status\s+notification
      | (mail\s+)?delivery\s+(has\s+)?fail(ed|ure)
      | failure\s+notice
      | returned\s+mail
      | non[\s-]?delivery
      | could\s+not\s+(send|deliver)
      | delivery\s+(delayed|delay|problem)
      | message\s+not\s+delivered
      | (pesan|surat|email)\s+(anda\s+)?tidak\s+terkirim
      | tidak\s+terkirim
      | tidak\s+dapat\s+dikirim
      | gagal\s+(terkirim|dikirim|mengirim)
      | pengiriman\s+(gagal|tertunda)
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Read receipts some clients (Outlook among them) send as plain text rather than RFC 8098 MDNs.
_RECEIPT_SUBJECT_RE = re.compile(
    r"^\s*(read|not\s+read|dibaca|tidak\s+dibaca|gelesen|lu|le[ií]do)\s*:", re.IGNORECASE
)
_DAEMONS = frozenset({"mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster"})
_NO_REPLY_PRECEDENCE = frozenset({"bulk", "list", "junk"})


@dataclass(frozen=True)
class Classification:
    """The verdict, whether answering automatically is allowed, and the signals behind it."""

    kind: MailKind
    no_reply: bool = False
    signals: tuple[str, ...] = ()


def _local_part(address: str) -> str:
    return address.strip().strip("<>").rpartition("@")[0].lower()


def _from_mail_server(msg: Message) -> bool:
    """True when the reverse-path is null or a mail server's (RFC 3464 §2: DSNs use <>)."""
    return_paths = raw_values(msg, "Return-Path")
    if return_paths:
        path = return_paths[0].strip()
        return path in ("<>", "") or _local_part(path) in _DAEMONS
    senders = addresses(msg, "From")
    return bool(senders) and _local_part(senders[0][1]) in _DAEMONS


def _report_type(msg: Message) -> str | None:
    """`delivery-status`, `disposition-notification`, ... for a report, else None."""
    if msg.get_content_type() == "multipart/report":
        return str(msg.get_param("report-type", "") or "unknown").lower()
    for part, _ in leaf_parts(msg):
        if part.get_content_type() in (
            "message/delivery-status",
            "message/disposition-notification",
        ):
            return part.get_content_subtype()
    return None


def _auto_signals(msg: Message, subject: str) -> list[str]:
    signals = []
    auto_submitted = header_text(msg, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        signals.append("auto-submitted")
    if any(raw_values(msg, h) for h in ("X-Autoreply", "X-Autorespond", "X-Autoresponder")):
        signals.append("x-autoreply")
    if header_text(msg, "Precedence").lower() == "auto_reply":
        signals.append("precedence")
    if "autoresponder" in header_text(msg, "X-POST-MessageClass").lower():
        signals.append("x-post-messageclass")
    if [p.strip() for p in raw_values(msg, "Return-Path")][:1] == ["<>"]:
        signals.append("null-return-path")
    if raw_values(msg, "X-Failed-Recipients"):
        signals.append("x-failed-recipients")
    if _AUTO_SUBJECT_RE.search(subject):
        signals.append("subject")
    if _BOUNCE_SUBJECT_RE.search(subject):
        signals.append("bounce-subject")
    return signals


def _no_reply_signals(msg: Message) -> list[str]:
    signals = []
    if header_text(msg, "Precedence").lower() in _NO_REPLY_PRECEDENCE:
        signals.append("precedence")
    if any(key.lower().startswith("list-") for key, _ in msg.raw_items()):
        signals.append("list")
    if raw_values(msg, "X-Auto-Response-Suppress"):
        signals.append("x-auto-response-suppress")
    return signals


def classify(msg: Message) -> Classification:
    """Decide who wrote `msg`; reads headers and structure only, never raises (a mail whose
    structure cannot be read is taken as written by a person, so that one looks at it)."""
    try:
        return _classify(msg)
    except Exception:  # hostile structure: RecursionError, an undecodable part ...
        return Classification(MailKind.HUMAN, True, ("unreadable",))


def _classify(msg: Message) -> Classification:
    subject = header_text(msg, "Subject")
    report = _report_type(msg)
    if report == "delivery-status":
        return Classification(MailKind.BOUNCE, True, ("multipart/report",))
    if report is not None:
        return Classification(MailKind.REPORT, True, (f"report:{report}",))
    if _RECEIPT_SUBJECT_RE.match(subject):
        return Classification(MailKind.REPORT, True, ("receipt-subject",))
    bounce_hint = bool(_BOUNCE_SUBJECT_RE.search(subject)) or bool(
        raw_values(msg, "X-Failed-Recipients")
    )
    if bounce_hint and _from_mail_server(msg):
        return Classification(MailKind.BOUNCE, True, ("mail-server",))
    auto = _auto_signals(msg, subject)
    if auto:
        return Classification(MailKind.AUTO_REPLY, True, tuple(auto))
    no_reply = _no_reply_signals(msg)
    return Classification(MailKind.HUMAN, bool(no_reply), tuple(no_reply))
