"""Closed vocabularies stored in the database as their string values."""

from __future__ import annotations

from enum import StrEnum


class CaseKind(StrEnum):
    """What a case is."""

    INFORMATION_REQUEST = "information_request"
    COMPLAINT = "complaint"
    OBJECTION = "objection"


class Channel(StrEnum):
    """Where a case or message came from or goes to."""

    TELEGRAM = "telegram"
    EMAIL = "email"
    WHATSAPP = "whatsapp"
    BUKU_TAMU = "buku_tamu"
    SURAT = "surat"
    TELEPON = "telepon"
    WEB = "web"


class Role(StrEnum):
    """An officer's role (domain.md §5)."""

    ADMIN = "admin"
    PPID_UTAMA = "ppid_utama"
    PPID_PELAKSANA = "ppid_pelaksana"
    ATASAN = "atasan"
    UNIT_OFFICER = "unit_officer"


class RequestStatus(StrEnum):
    """Information request statuses (domain.md §2)."""

    INCOMPLETE = "incomplete"
    REGISTERED = "registered"
    IN_PROGRESS = "in_progress"
    EXTENDED = "extended"
    DECIDED = "decided"


class ComplaintStatus(StrEnum):
    """Complaint statuses, SP4N-LAPOR! style (domain.md §4)."""

    UNVERIFIED = "unverified"
    DISPOSED = "disposed"
    IN_PROCESS = "in_process"
    DONE = "done"
    ON_HOLD = "on_hold"
    ARCHIVED = "archived"
    NOT_OUR_AUTHORITY = "not_our_authority"


class ObjectionStatus(StrEnum):
    """Objection statuses. domain.md §3 names no statuses; these follow UU KIP Pasal 35-38."""

    REGISTERED = "registered"
    ANSWERED = "answered"
    DISPUTED = "disputed"
    CLOSED = "closed"


class Decision(StrEnum):
    """The one decision an information request ends with (UU KIP Pasal 22(7))."""

    GRANTED_FULL = "granted_full"
    GRANTED_PARTIAL = "granted_partial"
    REFUSED = "refused"
    NOT_HELD = "not_held"
    NOT_DOCUMENTED = "not_documented"


class AtasanDecision(StrEnum):
    """The Atasan PPID's answer to an objection (UU KIP Pasal 36)."""

    UPHELD = "upheld"  # menguatkan putusan PPID; needs written reasons
    OVERTURNED = "overturned"  # objection accepted; PPID must give the information


class DisputeOutcome(StrEnum):
    """How a dispute before the Komisi Informasi ended (UU KIP Pasal 37-50)."""

    MEDIATION = "mediation"
    ADJUDICATION = "adjudication"
    COURT = "court"
    WITHDRAWN = "withdrawn"


class Direction(StrEnum):
    """Whether a message came in from or went out to a person."""

    INBOUND = "in"
    OUTBOUND = "out"


class ContactKind(StrEnum):
    """How a requester can be reached."""

    TELEGRAM = "telegram"
    EMAIL = "email"
    PHONE = "phone"


class OutboxStatus(StrEnum):
    """Delivery state of an outbox row."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OverrideKind(StrEnum):
    """A calendar override either closes a date or opens one."""

    CLOSED = "closed"
    OPEN = "open"


# Statuses in which the body owes no more work, so no deadline runs. An answered objection
# can still go to the Komisi Informasi, but that clock is the requester's, not the body's.
CLOSED_STATUSES: frozenset[str] = frozenset(
    {
        RequestStatus.DECIDED,
        ComplaintStatus.DONE,
        ComplaintStatus.ARCHIVED,
        ComplaintStatus.NOT_OUR_AUTHORITY,
        ObjectionStatus.ANSWERED,
        ObjectionStatus.DISPUTED,
        ObjectionStatus.CLOSED,
    }
)


# Which channel delivers to each kind of contact (a sender exists for these) ...
CHANNEL_OF_CONTACT: dict[ContactKind, Channel] = {
    ContactKind.TELEGRAM: Channel.TELEGRAM,
    ContactKind.EMAIL: Channel.EMAIL,
}
# ... and what kind of contact a message's sender is, by the channel it came on.
CONTACT_OF_CHANNEL: dict[Channel, ContactKind] = {
    Channel.TELEGRAM: ContactKind.TELEGRAM,
    Channel.EMAIL: ContactKind.EMAIL,
    Channel.WHATSAPP: ContactKind.PHONE,  # a WhatsApp id is the citizen's phone number
    Channel.TELEPON: ContactKind.PHONE,
}
# The channel officers' chats are on: a unit's group (`units.telegram_chat_id`), the desk's
# group, an officer's private chat (`officers.telegram_user_id`).
OFFICERS_CHAT_CHANNEL = Channel.TELEGRAM
# Channels a citizen files on by themselves: their intake sends the proof of request at once.
SELF_FILED_CHANNELS = frozenset(
    {Channel.TELEGRAM.value, Channel.EMAIL.value, Channel.WHATSAPP.value}
)
# Channels whose sender sends a row's letters before its text: the proof of request a case
# filed there gets goes in a row of its own, after the acknowledgement.
LETTERS_APART_CHANNELS = frozenset({Channel.TELEGRAM.value, Channel.WHATSAPP.value})
