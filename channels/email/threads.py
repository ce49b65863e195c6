"""Which case an email belongs to.

Outgoing mail carries a signed per-case reply address (`local+<token>.<hmac>@domain`, as
Alaveteli and Zulip do) and Message-IDs we generate. Inbound mail is matched by the signed
address first, then by In-Reply-To/References against the Message-IDs we sent out; only these
two are proofs we issued, so only they make a thread trusted. A Message-ID of an earlier
inbound mail (the citizen's own) or a reference number in the subject ties mail to a case only
when the sender is already a contact on it: everyone on the citizen's To/Cc knows her
Message-ID, and anyone can type a reference number (issue #9). Mail that looks like a reply but
matches nothing goes to the review queue, never silently to a new case.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.references import find_references
from bot.intake.requesters import normalise_contact
from store.enums import Channel, ContactKind
from store.models import Case, Contact, Message, OutboxMessage

# Message-IDs per IN (...) list of one query.
IN_CHUNK = 500

# 12 base32 characters = 60 bits of HMAC: far beyond guessing, short enough for an address.
SIGNATURE_LENGTH = 12
_TOKEN_RE = re.compile(r"\+([a-z0-9_-]+)\.([a-z2-7]+)@", re.IGNORECASE)
# "Re:", "AW:", "Balas:", "Bls:", "RE[2]:" ... at the start of a subject.
_REPLY_PREFIX_RE = re.compile(r"^\s*(re|aw|sv|antw|balas|bls|rif|odp|ynt)\s*(\[\d+\])?\s*:", re.I)


class ThreadRule(StrEnum):
    """How a message was tied to a case, or why it was not."""

    REPLY_ADDRESS = "reply_address"
    MESSAGE_ID = "message_id"
    CONTACT_MESSAGE_ID = "contact_message_id"
    SUBJECT_REFERENCE = "subject_reference"
    # An earlier inbound Message-ID of a case, but from a sender who is no contact on it.
    UNPROVEN_REPLY = "unproven_reply"
    UNMATCHED_REPLY = "unmatched_reply"
    NONE = "none"


@dataclass(frozen=True)
class ThreadMatch:
    """The case a message belongs to (if any) and the rule that decided it."""

    case: Case | None
    rule: ThreadRule

    @property
    def trusted(self) -> bool:
        """True when the thread was proven by something a stranger cannot forge or guess."""
        return self.rule in (ThreadRule.REPLY_ADDRESS, ThreadRule.MESSAGE_ID)


def _signature(reference: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), reference.upper().encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode().lower()[:SIGNATURE_LENGTH]


def reply_token(reference: str, secret: str) -> str:
    """`PPID/2026/000123` -> `ppid_2026_000123.<hmac>`: lower case, because MTAs may fold case."""
    return f"{reference.lower().replace('/', '_')}.{_signature(reference, secret)}"


def reply_address(mail_from: str, reference: str, secret: str) -> str:
    """The signed address replies about `reference` should go to (plus-addressing on MAIL_FROM)."""
    local, _, domain = mail_from.strip().rpartition("@")
    return f"{local.split('+', 1)[0]}+{reply_token(reference, secret)}@{domain}"


def reference_from_address(address: str, secret: str) -> str | None:
    """The case reference a signed reply address stands for; None if unsigned or forged."""
    match = _TOKEN_RE.search(address or "")
    if match is None or not secret:
        return None
    reference = match.group(1).upper().replace("_", "/")
    expected = _signature(reference, secret)
    return reference if hmac.compare_digest(expected, match.group(2).lower()) else None


def thread_ids(in_reply_to: str | None, references: Sequence[str]) -> list[str]:
    """The Message-IDs a mail answers, most specific first: In-Reply-To names the message
    answered, References runs oldest first (RFC 5322 §3.6.4), so it is read backwards."""
    return [*([in_reply_to] if in_reply_to else []), *reversed(references)]


def looks_like_reply(subject: str, message_ids: Sequence[str], recipients: Iterable[str]) -> bool:
    """True for mail written as an answer: reply headers, a "Re:" subject, a reference number
    in the subject, or a reply address of ours (even one whose signature does not check out)."""
    return bool(
        message_ids
        or _REPLY_PREFIX_RE.match(subject or "")
        or find_references((subject or "").upper())
        or any(_TOKEN_RE.search(r or "") for r in recipients)
    )


async def _case_by_reference(session: AsyncSession, reference: str) -> Case | None:
    return (await session.exec(select(Case).where(Case.reference == reference))).first()


async def _first_case(session: AsyncSession, ids: list[str], stmt: Any) -> Case | None:
    found: dict[str, int] = {}
    for external_id, case_id in (await session.exec(stmt)).all():
        found.setdefault(external_id, case_id)
    return await _case_of_first(session, ids, found)


async def _case_of_first(
    session: AsyncSession, ids: list[str], found: dict[str, int]
) -> Case | None:
    """The case of the first of `ids` (in order) that `found` maps to one."""
    for message_id in ids:
        if message_id in found:
            return await session.get(Case, found[message_id])
    return None


def _our_messages_stmt(ids: Sequence[str]) -> Any:
    return select(OutboxMessage.external_id, OutboxMessage.case_id).where(
        OutboxMessage.channel == Channel.EMAIL.value,
        col(OutboxMessage.external_id).in_(ids),
        col(OutboxMessage.case_id).is_not(None),
    )


def _stored_messages_stmt(ids: Sequence[str]) -> Any:
    return select(Message.external_id, Message.case_id).where(
        Message.channel == Channel.EMAIL.value,
        col(Message.external_id).in_(ids),
        col(Message.case_id).is_not(None),
    )


@dataclass(frozen=True)
class KnownThreads:
    """The cases of the Message-IDs a batch of mails refers to, looked up once for the batch
    (`known_threads`) instead of twice a mail.

    What the batch writes itself is not in it: a mail whose Message-IDs include one of the
    batch's own mails (`own_keys`: a citizen's follow-up to her own mail, both in the backlog)
    is looked up in the database as outside a batch, where it sees the batch's writes. An
    answer cannot go stale otherwise: ingestion never moves a stored message or a sent one to
    another case, and the Message-ID of a mail of ours is known to nobody before it is sent,
    which is before the batch began (on SQLite the batch holds the one writer; on PostgreSQL
    a mail another worker sends while the batch runs can only be answered after it)."""

    ours: dict[str, int]
    stored: dict[str, int]
    own_keys: frozenset[str]

    def covers(self, ids: Sequence[str]) -> bool:
        """Whether the answers for `ids` are all in here (none is one of the batch's own)."""
        return self.own_keys.isdisjoint(ids)


async def known_threads(
    session: AsyncSession, referred: Iterable[str], own_keys: Iterable[str]
) -> KnownThreads:
    """The cases of our sent mails and of the stored inbound mails among `referred`, each with
    one query (per IN_CHUNK ids), and the cases themselves loaded into `session` with one
    more (taking one then costs no statement)."""
    ids = sorted({i for i in referred if i})
    ours: dict[str, int] = {}
    stored: dict[str, int] = {}
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        for found, stmt in (
            (ours, _our_messages_stmt(chunk)),
            (stored, _stored_messages_stmt(chunk)),
        ):
            for external_id, case_id in (await session.exec(stmt)).all():
                found.setdefault(external_id, case_id)
    case_ids = sorted({*ours.values(), *stored.values()})
    for start in range(0, len(case_ids), IN_CHUNK):
        stmt = select(Case).where(col(Case.id).in_(case_ids[start : start + IN_CHUNK]))
        (await session.exec(stmt)).all()  # kept in the session's identity map
    return KnownThreads(ours, stored, frozenset(own_keys))


async def case_of_our_message(
    session: AsyncSession, message_ids: Sequence[str], known: KnownThreads | None = None
) -> Case | None:
    """The case of the first Message-ID (in the order given) of a mail we sent out: a proof we
    issued (our Message-IDs are keyed with REPLY_SECRET, channels/email/sender.py)."""
    ids = [m for m in message_ids if m]
    if not ids:
        return None
    if known is not None and known.covers(ids):
        return await _case_of_first(session, ids, known.ours)
    return await _first_case(session, ids, _our_messages_stmt(ids))


async def case_of_stored_message(
    session: AsyncSession, message_ids: Sequence[str], known: KnownThreads | None = None
) -> Case | None:
    """The case of the first Message-ID (in the order given) of an inbound mail we stored: no
    proof of anything, since every recipient of that mail knows its Message-ID."""
    ids = [m for m in message_ids if m]
    if not ids:
        return None
    if known is not None and known.covers(ids):
        return await _case_of_first(session, ids, known.stored)
    return await _first_case(session, ids, _stored_messages_stmt(ids))


async def sender_is_contact(session: AsyncSession, case: Case, sender: str) -> bool:
    """True when `sender` is an email contact of the case's requester."""
    if case.requester_id is None or not sender:
        return False
    stmt = select(Contact.id).where(
        Contact.requester_id == case.requester_id,
        Contact.kind == ContactKind.EMAIL.value,
        Contact.value == normalise_contact(ContactKind.EMAIL, sender),
    )
    return (await session.exec(stmt)).first() is not None


async def resolve_thread(
    session: AsyncSession,
    *,
    sender: str | None,
    recipients: Sequence[str],
    subject: str,
    message_ids: Sequence[str],
    secret: str,
    known: KnownThreads | None = None,
) -> ThreadMatch:
    """Find the case an email answers, applying the rules in the module docstring in order;
    `message_ids` are the Message-IDs it refers to, in order of preference (`thread_ids`);
    `known`: its batch's answers for those (the same answers, fewer statements)."""
    for address in recipients:
        reference = reference_from_address(address, secret)
        if reference and (case := await _case_by_reference(session, reference)):
            return ThreadMatch(case, ThreadRule.REPLY_ADDRESS)
    if case := await case_of_our_message(session, message_ids, known):
        return ThreadMatch(case, ThreadRule.MESSAGE_ID)
    if case := await case_of_stored_message(session, message_ids, known):
        if sender and await sender_is_contact(session, case, sender):
            return ThreadMatch(case, ThreadRule.CONTACT_MESSAGE_ID)
        return ThreadMatch(None, ThreadRule.UNPROVEN_REPLY)
    for reference in find_references((subject or "").upper()):
        case = await _case_by_reference(session, reference)
        if case is not None and sender and await sender_is_contact(session, case, sender):
            return ThreadMatch(case, ThreadRule.SUBJECT_REFERENCE)
    if looks_like_reply(subject, message_ids, recipients):
        return ThreadMatch(None, ThreadRule.UNMATCHED_REPLY)
    return ThreadMatch(None, ThreadRule.NONE)
