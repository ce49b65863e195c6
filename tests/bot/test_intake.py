"""The one entry point for inbound messages: idempotent, routes replies, refuses big files,
and queues the acknowledgement in the same transaction as the case."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlmodel import select

from bot.cases.attachments import FileData, store_files
from bot.intake.door import Disposition, InboundMessage, Intake
from bot.services import Services
from bot.workflow import complaints
from store.enums import CaseKind, Channel, ComplaintStatus, RequestStatus
from store.models import Attachment, Case, Event, Message, OutboxMessage, Unit
from tests.bot.workflow.helpers import reload, step, wib

RECEIVED = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)


def inbound(**overrides: Any) -> InboundMessage:
    """A WhatsApp message asking for information, from +62 812 3456 7890."""
    values: dict[str, Any] = {
        "channel": Channel.WHATSAPP,
        "external_id": "wamid.1",
        "sender": "+6281234567890",
        "sender_name": "Siti",
        "text": "Mohon salinan laporan realisasi anggaran 2025",
        "received_at": RECEIVED,
        "new_case_kind": CaseKind.INFORMATION_REQUEST,
    }
    return InboundMessage(**{**values, **overrides})


async def _all(services: Services, model: type) -> list[Any]:
    async with services.db.session() as session:
        return list((await session.exec(select(model))).all())


async def _acks(services: Services) -> list[OutboxMessage]:
    """Acknowledgements in the outbox (other producers may queue officer cards and such)."""
    return [m for m in await _all(services, OutboxMessage) if m.purpose == "acknowledgement"]


async def test_same_message_twice_is_one_message_and_one_case(services: Services) -> None:
    first = await services.intake.handle_inbound(inbound())
    again = await services.intake.handle_inbound(inbound(text="berbeda"))
    assert first.disposition == Disposition.NEW_CASE
    assert (again.disposition, again.case_reference, again.message_id) == (
        Disposition.DUPLICATE,
        first.case_reference,
        first.message_id,
    )
    assert len(await _all(services, Message)) == 1
    assert len(await _all(services, Case)) == 1
    assert len(await _acks(services)) == 1


async def test_same_message_delivered_concurrently_is_stored_once(services: Services) -> None:
    results = await asyncio.gather(*(services.intake.handle_inbound(inbound()) for _ in range(3)))
    assert sorted(r.disposition for r in results) == [
        Disposition.DUPLICATE,
        Disposition.DUPLICATE,
        Disposition.NEW_CASE,
    ]
    assert len({r.case_reference for r in results}) == 1
    assert len(await _all(services, Message)) == 1
    assert len(await _all(services, Case)) == 1


async def test_two_first_messages_of_a_new_sender_at_once(services: Services) -> None:
    first, second = await asyncio.gather(
        services.intake.handle_inbound(inbound(external_id="wamid.a")),
        services.intake.handle_inbound(inbound(external_id="wamid.b")),
    )
    assert {first.disposition, second.disposition} == {Disposition.NEW_CASE}
    assert first.case_reference != second.case_reference
    assert len({c.requester_id for c in await _all(services, Case)}) == 1


async def test_same_external_id_on_another_channel_is_another_message(services: Services) -> None:
    await services.intake.handle_inbound(inbound())
    other = await services.intake.handle_inbound(
        inbound(channel=Channel.TELEGRAM, sender="42", new_case_kind=CaseKind.COMPLAINT)
    )
    assert other.disposition == Disposition.NEW_CASE
    assert len(await _all(services, Message)) == 2


async def test_new_case_is_acknowledged_in_the_same_transaction(services: Services) -> None:
    result = await services.intake.handle_inbound(inbound())
    [case] = await _all(services, Case)
    [ack] = await _acks(services)
    assert (ack.case_id, ack.purpose, ack.channel, ack.recipient, ack.dedup_key) == (
        case.id,
        "acknowledgement",
        "whatsapp",
        "+6281234567890",
        f"ack:{case.reference}",
    )
    assert case.reference in ack.body and "Selasa, 20 Januari 2026" in ack.body
    assert case.status == RequestStatus.INCOMPLETE
    assert result.missing == (
        "identity", "address", "purpose", "obtain_method", "delivery_method",
    )  # fmt: skip
    assert "Alamat" in ack.body  # the missing fields are named


async def test_failure_after_the_acknowledgement_leaves_nothing_behind(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Intake._queue

    async def then_crash(self: Intake, *args: Any) -> None:
        await original(self, *args)
        raise RuntimeError("crash after queueing")

    monkeypatch.setattr(Intake, "_queue", then_crash)
    with pytest.raises(RuntimeError):
        await services.intake.handle_inbound(inbound())
    for model in (Message, Case, OutboxMessage, Event):
        assert await _all(services, model) == [], model


async def test_reply_to_someone_elses_case_goes_to_review(services: Services) -> None:
    mine = await services.intake.handle_inbound(inbound())
    stranger = await services.intake.handle_inbound(
        inbound(
            external_id="wamid.2",
            sender="+6281399990000",
            case_reference=mine.case_reference,
            new_case_kind=None,
            text="Tolong kirim ke saya juga",
        )
    )
    assert (stranger.disposition, stranger.case_reference) == (Disposition.REVIEW, None)
    messages = {m.external_id: m for m in await _all(services, Message)}
    assert messages["wamid.2"].case_id is None
    assert [e.action for e in await _all(services, Event)] == ["registered"]


async def test_reply_by_the_owner_is_appended(services: Services) -> None:
    mine = await services.intake.handle_inbound(inbound())
    reply = await services.intake.handle_inbound(
        inbound(external_id="wamid.2", case_reference=mine.case_reference, new_case_kind=None)
    )
    assert (reply.disposition, reply.case_reference) == (Disposition.APPENDED, mine.case_reference)
    [case] = await _all(services, Case)
    assert {m.case_id for m in await _all(services, Message)} == {case.id}
    assert len(await _acks(services)) == 1  # only the first is acknowledged


async def test_message_without_case_or_kind_goes_to_review(services: Services) -> None:
    result = await services.intake.handle_inbound(inbound(new_case_kind=None))
    assert result.disposition == Disposition.REVIEW
    assert await _all(services, Case) == []


async def test_complainant_reply_reopens_a_closed_complaint(services: Services) -> None:
    opened = await services.intake.handle_inbound(
        inbound(channel=Channel.TELEGRAM, sender="42", new_case_kind=CaseKind.COMPLAINT)
    )
    [case] = await _all(services, Case)
    async with services.db.transaction() as session:
        unit = Unit(code="pupr", name="Dinas PUPR")
        session.add(unit)
        await session.flush()
        unit_id = unit.id
    async with step(services, case, wib("2026-01-06")) as (s, c, rules, now):
        await complaints.verify_and_dispose(s, c, unit_id=unit_id, rules=rules, actor="t", now=now)  # type: ignore[arg-type]
    async with step(services, case, wib("2026-01-07")) as (s, c, rules, now):
        await complaints.post_followup(s, c, text="Sudah", rules=rules, actor="t", now=now)
    # Follow-up Wed 01-07; closes itself 10 working days later (01-16 is a holiday): 01-22.
    async with step(services, case, wib("2026-01-22")) as (s, c, rules, now):
        await complaints.close(s, c, rules=rules, actor="t", now=now, automatic=True)
    services.clock.set(wib("2026-01-23"))  # type: ignore[attr-defined]
    reply = await services.intake.handle_inbound(
        inbound(
            channel=Channel.TELEGRAM,
            sender="42",
            external_id="tg.2",
            case_reference=opened.case_reference,
            new_case_kind=None,
            text="Belum diperbaiki!",
            received_at=wib("2026-01-23"),
        )
    )
    assert reply.disposition == Disposition.APPENDED
    stored = await reload(services, case)
    assert (stored.status, stored.followed_up_at) == (ComplaintStatus.IN_PROCESS, None)
    actions = [e.action for e in await _all(services, Event)]
    assert actions[-2:] == ["message_received", "reopen"]


async def test_oversized_attachment_is_refused_and_named(services: Services) -> None:
    limit = services.settings.attachment_max_bytes
    stored, rejected = store_files(
        services.blobs,
        (
            FileData("ktp.jpg", "image/jpeg", b"x" * 100),
            FileData("video.mp4", "video/mp4", b"y" * (limit + 1)),
        ),
    )
    msg = inbound(attachments=stored, rejected_attachments=rejected)
    result = await services.intake.handle_inbound(msg)
    assert result.rejected_attachments == ("video.mp4",)
    [stored] = await _all(services, Attachment)
    assert (stored.filename, stored.size) == ("ktp.jpg", 100)
    assert services.blobs.get(stored.sha256) == b"x" * 100
    files = [p for p in services.settings.attachment_dir.rglob("*") if p.is_file()]
    assert len(files) == 1
    [ack] = await _acks(services)
    assert "video.mp4" in ack.body and "ktp.jpg" not in ack.body
    [message] = await _all(services, Message)
    assert message.meta["rejected_attachments"] == ["video.mp4"]


async def test_inbound_message_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        inbound().text = "changed"  # type: ignore[misc]
