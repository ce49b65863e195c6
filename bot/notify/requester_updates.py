"""Status updates to the requester: one outbox row per status change, in their language, on
their channel, never in the quiet hours. A producer of `bot.notify.case_events`.

Registration is acknowledged by intake (the proof of request), so it is not repeated here. The
texts name the case and the step only, never the requester's data, so a forwarded or misrouted
message reveals nothing about an anonymous or confidential case.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import format_date, t
from bot.letters.outbox import LETTER_OF_ACTION, letter_subject
from bot.notify.outbox import notify
from bot.notify.purposes import Purpose
from bot.notify.recipients import requester_recipient
from bot.notify.send_windows import next_requester_time
from bot.workflow.deadlines import objection_filing_deadline
from bot.workflow.rules import Rules
from store.enums import Channel, Decision, Direction
from store.models import Case, Message, Unit

# action -> catalogue key of its first paragraph (the transition names of bot/workflow/machine)
_HEADLINES = {
    "complete": "sched.update.registered",
    "dispose": "sched.update.request_disposed",
    "verify_and_dispose": "sched.update.complaint_disposed",
    "extend": "sched.update.extended",
    "decide": "sched.update.decided",
    "post_followup": "sched.update.followup",
    "close": "sched.update.closed",
    "auto_close": "sched.update.auto_closed",
    "hold": "sched.update.on_hold",
    "archive": "sched.update.archived",
    "not_our_authority": "sched.update.not_our_authority",
    "answer": "sched.update.objection_answered",
}


async def _unit_name(session: AsyncSession, case: Case) -> str:
    unit = await session.get(Unit, case.unit_id) if case.unit_id else None
    return unit.name if unit else "-"


def _decision_paragraphs(case: Case, rules: Rules, lang: str) -> list[str]:
    """The outcome, what it entails, and the right to object with its last day (Pasal 35-36)."""
    parts = [
        t(
            f"sched.update.decision.{case.decision}",
            lang,
            ground=case.refusal_ground or "-",
            redaction=case.redaction_note or "-",
            holder=case.holder_body or "-",
            available=format_date(case.available_on, case.language),
        )
    ]
    if case.decision == Decision.REFUSED and case.refusal_ground:
        # The ground in plain words and the consequence test, not only "Pasal 17 huruf h".
        parts.append(t(f"letters.pasal17.{case.refusal_ground}", lang))
        parts.append(t("letters.update.consequence", lang, test=case.consequence_test or "-"))
    if case.decision in (Decision.GRANTED_FULL, Decision.GRANTED_PARTIAL):
        form = case.information_form
        parts.append(
            t(
                "sched.update.delivery_terms",
                lang,
                form=t(f"letters.form.{form}", lang) if form else "-",
                fee=f"{case.fee_amount:,}".replace(",", "."),
                time=case.time_to_provide or "-",
            )
        )
        if case.delivery_method:
            method = t(f"letters.delivery.{case.delivery_method}", lang)
            parts.append(t("letters.update.delivery", lang, method=method))
    if case.decision_note:
        parts.append(t("sched.update.note", lang, note=case.decision_note))
    decided_on = rules.local_date(case.decided_at or case.updated_at)
    parts.append(
        t(
            "sched.update.objection_right",
            lang,
            reference=case.reference,
            deadline=format_date(objection_filing_deadline(decided_on, rules), case.language),
            days=rules.settings.objection_filing_days,
        )
    )
    return parts


async def update_text(session: AsyncSession, case: Case, action: str, rules: Rules) -> str | None:
    """The update for `action` on `case` in the case's language, or None if it needs none."""
    key = _HEADLINES.get(action)
    if key is None:
        return None
    lang = case.language
    parts = [
        t(
            key,
            lang,
            reference=case.reference,
            due=format_date(case.due_date, case.language),
            unit=await _unit_name(session, case),
            reason=case.extension_reason or case.status_reason or "-",
            destination=case.forwarded_to or "-",
            followup=case.followup_text or "-",
            days=rules.settings.complaint_autoclose_days,
        )
    ]
    if action == "decide":
        parts += _decision_paragraphs(case, rules, lang)
    elif action == "answer":
        parts.append(t(f"sched.update.atasan.{case.atasan_decision}", lang))
        if case.atasan_reasons:
            parts.append(t("sched.update.note", lang, note=case.atasan_reasons))
        parts.append(
            t(
                "sched.update.dispute_right",
                lang,
                deadline=format_date(case.due_date, case.language),
                days=rules.settings.dispute_filing_days,
            )
        )
    return "\n\n".join(parts)


async def _first_email_id(session: AsyncSession, case: Case) -> str | None:
    stmt = (
        select(Message.external_id)
        .where(
            Message.case_id == case.id,
            Message.direction == Direction.INBOUND.value,
            Message.channel == Channel.EMAIL.value,
        )
        .order_by(col(Message.id))
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def queue_requester_update(
    session: AsyncSession, case: Case, action: str, rules: Rules, now: dt.datetime
) -> None:
    """Queue the update `action` calls for, to the requester's working contact (case channel
    first), not before the quiet hours end. Idempotent for the same (case, action, instant).
    """
    body = await update_text(session, case, action, rules)
    key = _HEADLINES.get(action)
    if body is None or key is None:
        return
    recipient = await requester_recipient(session, case)
    if recipient is None:
        return
    letter = LETTER_OF_ACTION.get(action)
    subject = t("sched.update.subject", case.language, reference=case.reference)
    if letter is not None:
        # The written notice (and the extension notice, the Atasan's answer) is the letter
        # itself, attached as a PDF, and the subject names it (issue 14).
        subject = letter_subject(letter, case)
    in_reply_to = None
    if recipient.channel == Channel.EMAIL:
        first = await _first_email_id(session, case)
        # Intake keys mails without a Message-ID by a hash; only a real one can be threaded on.
        in_reply_to = first if first and "@" in first else None
    await notify(
        session,
        purpose=Purpose.STATUS_UPDATE,
        recipient=recipient,
        key=key,
        params={
            "reference": case.reference,
            "status": case.status,
            "due": format_date(case.due_date, case.language),
        },
        text=body,
        subject=subject,
        case=case,
        letters=[letter] if letter else [],
        in_reply_to=in_reply_to,
        dedup_key=f"update:{case.id}:{action}:{now.isoformat()}",
        now=now,
        not_before=next_requester_time(now, rules),
    )
