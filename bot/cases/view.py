"""A case as people see it: one dict with personal data masked unless revealing is asked for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import format_date
from bot.intake.requesters import contacts_of
from bot.labels import kind_label, status_label
from bot.privacy.masking import mask_email, mask_name, mask_nik, mask_phone, redact, redact_data
from store.enums import ContactKind
from store.models import Case, Event, Message, Requester, Unit


@dataclass(frozen=True)
class CaseHeadline:
    """A case in one line, as every list shows it (officers' /daftar, a citizen's /status,
    `loket cases list`, a registration's confirmation): reference, kind, status and due date,
    in words."""

    reference: str
    kind: str
    status: str
    due: str

    def params(self) -> dict[str, str]:
        """The four as catalogue parameters (`{reference}`, `{kind}`, `{status}`, `{due}`)."""
        return {"reference": self.reference, "kind": self.kind, "status": self.status,
                "due": self.due}  # fmt: skip


def case_headline(case: Case, language: str) -> CaseHeadline:
    """The case's one-line summary in `language`; no personal data, so any chat may see it."""
    return CaseHeadline(
        reference=case.reference,
        kind=kind_label(case.kind, language),
        status=status_label(case.kind, case.status, language),
        due=format_date(case.due_date, language),
    )


_MASKERS = {ContactKind.PHONE: mask_phone, ContactKind.EMAIL: mask_email}


def _mask_contact(kind: str, value: str) -> str:
    """A contact as staff may see it: phone and email by their own rules, a chat account id as
    its kind and last three characters."""
    masker = _MASKERS.get(ContactKind(kind))
    return masker(value) if masker else f"{kind}:" + "*" * max(len(value) - 3, 0) + value[-3:]


async def requester_view(
    session: AsyncSession, requester_id: int | None, *, reveal: bool
) -> dict[str, Any]:
    """The requester's data; masked (NIK, phone, email, address) unless `reveal`."""
    if requester_id is None:
        return {}
    requester = await session.get(Requester, requester_id)
    if requester is None:
        return {}
    contacts = await contacts_of(session, requester_id)
    return {
        "name": requester.name if reveal else mask_name(requester.name),
        "nik": requester.nik if reveal else mask_nik(requester.nik),
        "entity_sk_number": requester.entity_sk_number,
        "address": requester.address if reveal else ("***" if requester.address else ""),
        "occupation": requester.occupation,
        "contacts": [
            {
                "kind": c.kind,
                "value": c.value if reveal else _mask_contact(c.kind, c.value),
                "failing": c.failing,
            }
            for c in contacts
        ],
    }


async def case_view(session: AsyncSession, case: Case, *, reveal: bool) -> dict[str, Any]:
    """Everything about a case (fields, requester, events, messages) for display or JSON."""
    unit = await session.get(Unit, case.unit_id) if case.unit_id else None
    parent = await session.get(Case, case.parent_case_id) if case.parent_case_id else None
    fields = case.model_dump(exclude={"id", "requester_id", "unit_id", "parent_case_id"})
    hide_requester = case.anonymous and not reveal
    events = (
        await session.exec(
            select(Event).where(Event.case_id == case.id).order_by(col(Event.at), col(Event.id))
        )
    ).all()
    messages = (
        await session.exec(
            select(Message)
            .where(Message.case_id == case.id)
            .order_by(col(Message.created_at), col(Message.id))
        )
    ).all()
    return {
        **{
            k: redact(v) if isinstance(v, str) and not reveal else v
            for k, v in fields.items()
            if v is not None
        },
        "unit": unit.name if unit else None,
        "request_reference": parent.reference if parent else None,
        "requester": (
            {"anonymous": True}
            if hide_requester
            else await requester_view(session, case.requester_id, reveal=reveal)
        ),
        "events": [
            {
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "from": e.from_status,
                "to": e.to_status,
                # Reasons and follow-ups are free text that may quote a NIK or phone number.
                "data": e.data if reveal else redact_data(e.data),
            }
            for e in events
        ],
        "messages": [
            {
                "at": m.created_at,
                "direction": m.direction,
                "channel": m.channel,
                "sender": m.sender if reveal else redact(m.sender or ""),
                "text": m.text if reveal else redact(m.text),
            }
            for m in messages
        ],
    }
