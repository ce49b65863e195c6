"""Case cards for the officers' chats, and relays of requester messages to them: what a card
says (its facts and the steps it offers), never how a channel shows it (the officers' chat
channel renders a card with its buttons, in its own renderer).

A producer (bot/notify/case_events.py) queues a card when a case is registered or disposed: to the
unit's officer chat when the case has a unit with a chat, otherwise to the desk chat
(`Settings.desk_chat_id`, the PPID/admin group); objections always go to the desk, where the
Atasan PPID is. A card shows the reference, kind, status, due date, a masked requester and a
short summary with personal data masked, and offers as buttons the next steps the state
machine allows and the chat's officers may take. A requester's new message on a case is
relayed to the same chat (its files only privately, through "show details"), so an officer
can answer it by replying.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.desk.authz import (
    ASK_COMPLETE,
    DESK_ROLES,
    DISPUTE,
    REVEAL,
    UNIT_ROLES,
    permitted_for_audience,
)
from bot.i18n import format_date, t
from bot.intake.identity_requests import pending_identity_changes
from bot.notify.outbox import notify
from bot.notify.purposes import Purpose
from bot.notify.recipients import Recipient, chat_recipient
from bot.notify.send_windows import next_office_time
from bot.privacy.masking import clean_relay_text, mask_name
from bot.settings import Settings
from bot.workflow.rules import Rules
from bot.workflow.transitions import allowed_actions
from store.enums import CaseKind, Direction, RequestStatus, Role
from store.models import Attachment, Case, Message, Requester, Unit

CARD_TRIGGERS = frozenset({"registered", "dispose", "redispose", "verify_and_dispose"})
RELAY_TRIGGER = "message_received"
CITIZEN_TRIGGERS = frozenset({"registered", RELAY_TRIGGER})
SUMMARY_CHARS = 300
RELAY_CHARS = 3000  # a relay quotes this much at most; the whole message stays on the case

# The button a transition is offered under (dispose covers every way of handing a case over).
BUTTON_OF_TRANSITION = {
    "claim": "claim",
    "dispose": "dispose",
    "redispose": "dispose",
    "verify_and_dispose": "dispose",
    "extend": "extend",
    "decide": "decide",
    "start_processing": "start_processing",
    "post_followup": "post_followup",
    "hold": "hold",
    "resume": "resume",
    "close": "close",
    "archive": "archive",
    "not_our_authority": "not_our_authority",
    "answer": "answer",
    "file_dispute": DISPUTE,
    "record_dispute_outcome": DISPUTE,
    "file_court_case": DISPUTE,
    "record_court_decision": DISPUTE,
}
BUTTON_ORDER = (
    "claim",
    "dispose",
    ASK_COMPLETE,
    "extend",
    "decide",
    "start_processing",
    "post_followup",
    "hold",
    "resume",
    "close",
    "archive",
    "not_our_authority",
    "answer",
    DISPUTE,
    REVEAL,
)
DESK_AUDIENCE = DESK_ROLES | {Role.ATASAN}


@dataclass(frozen=True)
class OfficerChat:
    """Where a case's officers read: a chat id and the roles of the people in it."""

    chat_id: int
    roles: frozenset[Role]
    unit_id: int | None

    def recipient(self, language: str) -> Recipient:
        """The chat as an outbox recipient, writing in `language`."""
        return chat_recipient(self.chat_id, language)


async def officer_chat(session: AsyncSession, case: Case, settings: Settings) -> OfficerChat | None:
    """The unit's chat for a disposed case, else the desk chat; None if neither is set."""
    if case.kind != CaseKind.OBJECTION and case.unit_id is not None:
        unit = await session.get(Unit, case.unit_id)
        if unit is not None and unit.officers_chat_id is not None:
            return OfficerChat(unit.officers_chat_id, UNIT_ROLES, unit.id)
    if settings.desk_chat_id is not None:
        return OfficerChat(settings.desk_chat_id, DESK_AUDIENCE, None)
    return None


def card_actions(case: Case, may: Callable[[str], bool]) -> list[str]:
    """The buttons for `case` now: steps legal in its status that `may(action)` allows."""
    offered = {BUTTON_OF_TRANSITION[a] for a in allowed_actions(case) if a in BUTTON_OF_TRANSITION}
    if case.kind == CaseKind.INFORMATION_REQUEST and case.status == RequestStatus.INCOMPLETE:
        offered.add(ASK_COMPLETE)
    offered.add(REVEAL)
    return [a for a in BUTTON_ORDER if a in offered and may(a)]


def audience_actions(case: Case, chat: OfficerChat) -> list[str]:
    """The buttons a card shows in `chat`: what some reader of that chat may do."""
    return card_actions(
        case, lambda action: permitted_for_audience(chat.roles, chat.unit_id, action, case)
    )


async def requester_label(session: AsyncSession, case: Case, language: str) -> str:
    """The requester as a group chat may see them: initials, or "anonymous"."""
    if case.anonymous:
        return t("desk.anonymous", language)
    requester = await session.get(Requester, case.requester_id) if case.requester_id else None
    return mask_name(requester.name if requester else None) or "-"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def case_summary(case: Case) -> str:
    """What the case is about, personal data masked, cut to a card's length."""
    text = case.information_requested or case.description or case.objection_reason or ""
    return _cut(clean_relay_text(text), SUMMARY_CHARS)


async def card_facts(session: AsyncSession, case: Case, language: str) -> dict[str, str]:
    """What a card says, in `language`: reference, kind, status, due date, unit, the masked
    requester, the masked summary and its flags (anonymous, confidential, identity change)."""
    unit = await session.get(Unit, case.unit_id) if case.unit_id else None
    flags = [
        t(f"desk.flag.{f}", language) for f in ("anonymous", "confidential") if getattr(case, f)
    ]
    if await pending_identity_changes(session, case):  # the fact only, never the values
        flags.append(t("identity.card.pending", language))
    return {
        "reference": case.reference,
        "kind": t(f"desk.kind.{case.kind}", language),
        "status": t(f"desk.status.{case.kind}.{case.status}", language),
        "due": format_date(case.due_date, language),
        "unit": unit.name if unit else t("desk.no_unit", language),
        "requester": await requester_label(session, case, language),
        "summary": case_summary(case) or "-",
        "flags": (" · ".join(flags) + "\n") if flags else "",
    }


async def card_text(session: AsyncSession, case: Case, language: str) -> str:
    """The card's text: reference, kind, status, due date, unit, masked requester, summary."""
    return t("desk.card", language, **await card_facts(session, case, language))


async def queue_officer_cards(
    session: AsyncSession, case: Case, action: str, rules: Rules, now: dt.datetime
) -> None:
    """Producer: a card on registration and disposal; a relay when the requester writes."""
    if action not in CARD_TRIGGERS and action != RELAY_TRIGGER:
        return
    chat = await officer_chat(session, case, rules.settings)
    if chat is None:
        return
    language = rules.settings.language
    # What a citizen sends pings officers only in office hours (domain.md §1); cards that follow
    # an officer's own action (disposal) answer that action and go at once.
    not_before = next_office_time(now, rules) if action in CITIZEN_TRIGGERS else now
    if action == RELAY_TRIGGER:
        await _queue_relay(session, case, chat, language, now, not_before)
        return
    await notify(
        session,
        purpose=Purpose.CASE_CARD,
        recipient=chat.recipient(language),
        key="desk.card",
        params=await card_facts(session, case, language),
        case=case,
        actions=audience_actions(case, chat),
        dedup_key=f"card:{case.id}:{action}:{chat.chat_id}:{now.timestamp():.6f}",
        now=now,
        not_before=not_before,
    )


async def _queue_relay(
    session: AsyncSession,
    case: Case,
    chat: OfficerChat,
    language: str,
    now: dt.datetime,
    not_before: dt.datetime,
) -> None:
    stmt = (
        select(Message)
        .where(Message.case_id == case.id, Message.direction == Direction.INBOUND.value)
        .order_by(col(Message.id).desc())
        .limit(1)
    )
    message = (await session.exec(stmt)).first()
    if message is None:
        return
    # Files stay out of group chats (they may be ID scans); "show details" sends them privately.
    files = (
        await session.exec(select(Attachment).where(Attachment.message_id == message.id))
    ).all()
    offered = (
        [REVEAL] if files and permitted_for_audience(chat.roles, chat.unit_id, REVEAL, case) else []
    )
    note = ""
    if files:
        note = t(
            "desk.relay_files" if offered else "desk.relay_files_kept", language, count=len(files)
        )
    await notify(
        session,
        purpose=Purpose.OFFICER_RELAY,
        recipient=chat.recipient(language),
        key="desk.relay",
        params={
            "reference": case.reference,
            "requester": await requester_label(session, case, language),
            "text": _cut(clean_relay_text(message.text), RELAY_CHARS) or "-",
            "files": note,
        },
        case=case,
        actions=offered,
        dedup_key=f"relay:{message.id}:{chat.chat_id}",
        now=now,
        not_before=not_before,
    )
