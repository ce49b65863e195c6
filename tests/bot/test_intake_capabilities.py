"""What intake offers every channel (issue #10): a reply from the requester that carries fields
completes the case, a thread the adapter proved lets another sender append (never fill in), the
channel words the answers, and the adapter's own record is committed with the case."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import DomainError
from bot.intake.answers import Acknowledged, DetailsTaken, Reply
from bot.intake.door import DETAILS_NOT_FROM_REQUESTER, Disposition, IntakeResult
from bot.intake.identity_requests import IDENTITY_CHANGE_EVENT
from bot.services import Services
from store.enums import RequestStatus
from store.models import Case, Event, Message, OutboxMessage, Requester
from tests.bot.test_intake import inbound

# Everything an information request needs but the name (from sender_name) and the text.
REST = {
    "nik": "3171014501900001",
    "address": "Jl. Merdeka No. 1, Jakarta",
    "purpose": "Penelitian",
    "obtain_method": "salinan_softcopy",
    "delivery_method": "email",
    "email": "siti@warga.test",
}


async def _rows(services: Services, model: type, *where: Any) -> list[Any]:
    async with services.db.session() as session:
        return list((await session.exec(select(model).where(*where))).all())


class Worded:
    """A channel's own answers: its words, and what intake told it."""

    def __init__(self, *, acknowledge: bool = True) -> None:
        self.acknowledge = acknowledge
        self.seen: list[Acknowledged | DetailsTaken] = []

    async def acknowledgement(self, session: AsyncSession, facts: Acknowledged) -> Reply | None:
        self.seen.append(facts)
        if not self.acknowledge:
            return None
        return Reply(
            "acknowledgement",
            f"ack:{facts.case.reference}",
            f"Nomor {facts.case.reference}",
            payload={"style": "ours"},
        )

    async def details_taken(self, session: AsyncSession, facts: DetailsTaken) -> Reply | None:
        self.seen.append(facts)
        return Reply("details", f"details:{facts.external_id}", f"Diterima: {facts.changed}")


async def _opened(services: Services) -> IntakeResult:
    result = await services.intake.handle_inbound(inbound())
    assert result.disposition == Disposition.NEW_CASE and result.missing
    return result


async def test_a_reply_from_the_requester_with_the_missing_fields_completes_the_case(
    services: Services,
) -> None:
    opened = await _opened(services)
    answers = Worded()
    reply = await services.intake.handle_inbound(
        inbound(
            external_id="wamid.2",
            case_reference=opened.case_reference,
            new_case_kind=None,
            fields=REST,
            text="Ini datanya",
        ),
        answers=answers,
    )
    assert (reply.disposition, reply.missing) == (Disposition.APPENDED, ())
    [case] = await _rows(services, Case)
    assert (case.status, case.obtain_method) == (RequestStatus.REGISTERED, "salinan_softcopy")
    [facts] = answers.seen
    assert isinstance(facts, DetailsTaken) and facts.missing == () and "address" in facts.changed
    [details] = await _rows(services, OutboxMessage, OutboxMessage.purpose == "details")
    assert details.recipient == "+6281234567890" and "address" in details.body


async def test_plain_answers_say_nothing_of_their_own_about_details(services: Services) -> None:
    opened = await _opened(services)
    await services.intake.handle_inbound(
        inbound(
            external_id="wamid.2",
            case_reference=opened.case_reference,
            new_case_kind=None,
            fields=REST,
        )
    )
    [case] = await _rows(services, Case)
    assert case.status == RequestStatus.REGISTERED
    assert [
        m.purpose
        for m in await _rows(services, OutboxMessage)
        if m.purpose in ("acknowledgement", "details")
    ] == ["acknowledgement"]


async def test_a_reply_never_changes_who_the_requester_is(services: Services) -> None:
    opened = await _opened(services)
    await services.intake.handle_inbound(
        inbound(
            external_id="wamid.2",
            case_reference=opened.case_reference,
            new_case_kind=None,
            fields={"name": "Orang Lain", "address": "Jl. Baru 2"},
        )
    )
    [requester] = await _rows(services, Requester)
    assert (requester.name, requester.address) == ("Siti", "Jl. Baru 2")
    [pending] = await _rows(services, Event, Event.action == IDENTITY_CHANGE_EVENT)
    assert pending.data == {"fields": {"name": "Orang Lain"}, "channel": "whatsapp"}


async def test_a_proven_thread_lets_another_sender_append_but_not_fill_in(
    services: Services,
) -> None:
    opened = await _opened(services)
    ref = opened.case_reference
    proven = await services.intake.handle_inbound(
        inbound(
            external_id="wamid.2",
            sender="+6281399990000",
            case_reference=ref,
            new_case_kind=None,
            proven_case=ref,
            text="Surat kuasa menyusul",
        )
    )
    assert (proven.disposition, proven.case_reference) == (Disposition.APPENDED, ref)
    unproven = await services.intake.handle_inbound(
        inbound(
            external_id="wamid.3",
            sender="+6281399990000",
            case_reference=ref,
            new_case_kind=None,
            proven_case="PPID/2026/999999",
        )
    )
    assert unproven.disposition == Disposition.REVIEW and unproven.reason is None
    filling = await services.intake.handle_inbound(
        inbound(
            external_id="wamid.4",
            sender="+6281399990000",
            case_reference=ref,
            new_case_kind=None,
            proven_case=ref,
            fields=REST,
        )
    )
    assert (filling.disposition, filling.reason) == (Disposition.REVIEW, DETAILS_NOT_FROM_REQUESTER)
    errors_only = await services.intake.handle_inbound(
        inbound(
            external_id="wamid.5",
            sender="+6281399990000",
            case_reference=ref,
            new_case_kind=None,
            proven_case=ref,
            field_errors=(DomainError("fields.date_invalid"),),
        )
    )
    assert errors_only.reason == DETAILS_NOT_FROM_REQUESTER
    [case] = await _rows(services, Case)
    assert case.status == RequestStatus.INCOMPLETE
    messages = {m.external_id: m.case_id for m in await _rows(services, Message)}
    assert messages == {
        "wamid.1": case.id,
        "wamid.2": case.id,
        "wamid.3": None,
        "wamid.4": None,
        "wamid.5": None,
    }


async def test_the_channel_words_the_acknowledgement_or_withholds_it(services: Services) -> None:
    answers = Worded()
    opened = await services.intake.handle_inbound(
        inbound(field_errors=(DomainError("fields.date_invalid"),)), answers=answers
    )
    [ack] = await _rows(services, OutboxMessage, OutboxMessage.purpose == "acknowledgement")
    assert (ack.body, ack.payload) == (f"Nomor {opened.case_reference}", {"style": "ours"})
    [facts] = answers.seen
    assert isinstance(facts, Acknowledged) and facts.missing == opened.missing
    assert [e.key for e in facts.field_errors] == ["fields.date_invalid"]
    silent = await services.intake.handle_inbound(
        inbound(external_id="wamid.2", sender="+6281300000002"), answers=Worded(acknowledge=False)
    )
    assert silent.disposition == Disposition.NEW_CASE
    assert (
        len(await _rows(services, OutboxMessage, OutboxMessage.purpose == "acknowledgement")) == 1
    )


async def test_the_adapters_record_is_committed_with_the_case_or_not_at_all(
    services: Services,
) -> None:
    seen: list[IntakeResult] = []

    async def record(session: AsyncSession, result: IntakeResult) -> None:
        seen.append(result)
        raise RuntimeError("the adapter's record failed")

    with pytest.raises(RuntimeError):
        await services.intake.handle_inbound(inbound(), record=record)
    assert [r.disposition for r in seen] == [Disposition.NEW_CASE]
    for model in (Message, Case, OutboxMessage, Event):
        assert await _rows(services, model) == [], model
