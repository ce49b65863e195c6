"""Outbound on WhatsApp: free-form inside the 24-hour window, the approved template outside,
never dropped; status callbacks on the outbox row; rate limits back off."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from bot.clock import FixedClock
from bot.notify.outbox import enqueue
from sandbox.whatsapp_api.limits import CloudApiError
from store.enums import OutboxStatus
from store.models import Case, Contact, OutboxMessage
from tests.channels.whatsapp.conftest import TEMPLATE, WhatsAppHarness

WA_ID = "6281234567890"
ADDRESS = "+6281234567890"
DECISION = "Permohonan Anda dikabulkan. Salinan dokumen dapat diambil di kantor PPID."


async def filed(wa: WhatsAppHarness) -> Case:
    """A citizen's request on WhatsApp, acknowledged."""
    await wa.api.citizen(WA_ID).text("Saya minta salinan laporan keuangan 2025.")
    await wa.handled()
    await wa.dispatch()
    async with wa.services.db.session() as session:
        return (await session.exec(select(Case))).one()


async def queue_update(
    wa: WhatsAppHarness, case: Case, key: str = "decision", body: str = DECISION
) -> None:
    async with wa.services.db.transaction() as session:
        await enqueue(
            session, dedup_key=f"{key}:{case.id}", channel="whatsapp", recipient=ADDRESS,
            purpose="requester_update", subject=f"Keputusan atas {case.reference}", body=body,
            case_id=case.id, now=wa.services.clock.now(),
        )  # fmt: skip


async def row_of(wa: WhatsAppHarness, key: str) -> OutboxMessage:
    async with wa.services.db.session() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.dedup_key == key)
        return (await session.exec(stmt)).one()


def clock_of(wa: WhatsAppHarness) -> FixedClock:
    clock = wa.services.clock
    assert isinstance(clock, FixedClock)
    return clock


async def test_inside_the_window_an_update_goes_as_text(wa: WhatsAppHarness) -> None:
    case = await filed(wa)
    clock_of(wa).advance(dt.timedelta(hours=20))
    await queue_update(wa, case)
    assert (await wa.dispatch()).sent == 1
    last = wa.api.sent_to(WA_ID)[-1]
    assert (last.type, last.text) == ("text", DECISION)
    assert (await row_of(wa, f"decision:{case.id}")).external_id == last.wamid


async def test_after_24_hours_the_template_goes_and_the_full_text_follows_a_reply(
    wa: WhatsAppHarness,
) -> None:
    case = await filed(wa)
    clock_of(wa).advance(dt.timedelta(hours=25))
    await queue_update(wa, case)
    assert (await wa.dispatch()).sent == 1
    template = wa.api.sent_to(WA_ID)[-1]
    assert template.type == "template"
    assert template.body["template"]["name"] == TEMPLATE
    assert (
        template.text == f"{TEMPLATE} | PPID | {case.reference} | Keputusan atas {case.reference}"
    )
    assert not [code for _, code in wa.api.refused]  # the window was known: no refusal

    await wa.api.citizen(WA_ID).text("Baik, terima kasih")  # the window opens again
    await wa.handled()
    await wa.dispatch()
    texts = [s.text for s in wa.api.sent_to(WA_ID) if s.type == "text"]
    assert DECISION in texts


async def test_a_message_refused_for_the_closed_window_is_sent_as_its_template(
    wa: WhatsAppHarness,
) -> None:
    case = await filed(wa)
    # WhatsApp's clock says the window closed although ours says it is open.
    wa.api.last_inbound[WA_ID] = wa.services.clock.now() - dt.timedelta(hours=25)
    await queue_update(wa, case)
    assert (await wa.dispatch()).sent == 1
    assert [code for _, code in wa.api.refused] == [131047]
    assert wa.api.sent_to(WA_ID)[-1].type == "template"
    assert (await row_of(wa, f"decision:{case.id}")).status == OutboxStatus.SENT


async def test_statuses_are_recorded_and_an_async_window_failure_resends_as_template(
    wa: WhatsAppHarness,
) -> None:
    case = await filed(wa)
    await queue_update(wa, case)
    await wa.dispatch()
    sent = wa.api.sent_to(WA_ID)[-1]
    assert await wa.api.status(sent, "delivered") == 200
    await wa.handled()
    assert (await row_of(wa, f"decision:{case.id}")).payload["whatsapp_status"] == "delivered"

    case_ack = wa.api.sent_to(WA_ID)[0]
    window = CloudApiError(131047, "more than 24 hours")
    await wa.api.status(case_ack, "failed", error=window)
    await wa.handled()
    ack = await row_of(wa, f"ack:{case.reference}")
    assert ack.status == OutboxStatus.PENDING and ack.payload["whatsapp_template"]
    await wa.dispatch()
    assert wa.api.sent_to(WA_ID)[-1].type == "template"


async def test_an_undeliverable_number_marks_the_contact_failing(wa: WhatsAppHarness) -> None:
    case = await filed(wa)
    await queue_update(wa, case)
    await wa.dispatch()
    sent = wa.api.sent_to(WA_ID)[-1]
    await wa.api.status(sent, "failed", error=CloudApiError(131026, "Message undeliverable"))
    await wa.handled()
    assert (await row_of(wa, f"decision:{case.id}")).status == OutboxStatus.FAILED
    async with wa.services.db.session() as session:
        contact = (await session.exec(select(Contact))).one()
    assert contact.failing and "131026" in (contact.failing_reason or "")


async def test_a_rate_limit_backs_off_and_the_row_waits(wa: WhatsAppHarness) -> None:
    case = await filed(wa)
    await queue_update(wa, case)
    wa.api.fail_next(130429)
    summary = await wa.dispatch()
    assert (summary.sent, summary.retried) == (0, 1)
    row = await row_of(wa, f"decision:{case.id}")
    assert row.status == OutboxStatus.PENDING and "130429" in (row.last_error or "")
    assert row.not_before > wa.services.clock.now()
    clock_of(wa).advance(dt.timedelta(minutes=5))
    assert (await wa.dispatch()).sent == 1


async def test_a_long_text_is_cut_into_messages_of_at_most_4096_characters(
    wa: WhatsAppHarness,
) -> None:
    case = await filed(wa)
    body = "\n".join(f"Baris {i}: " + "x" * 90 for i in range(80))
    await queue_update(wa, case, body=body)
    await wa.dispatch()
    parts = [s.text for s in wa.api.sent_to(WA_ID)[2:]]  # after the number and the receipt
    assert len(parts) == 2 and all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == body


async def test_a_rows_files_are_uploaded_and_sent_as_documents(wa: WhatsAppHarness) -> None:
    case = await filed(wa)
    digest = wa.services.blobs.put(b"%PDF-1.4 salinan dokumen")
    async with wa.services.db.transaction() as session:
        await enqueue(
            session, dedup_key="files", channel="whatsapp", recipient=ADDRESS,
            purpose="requester_update", body="Dokumen terlampir.", case_id=case.id,
            now=wa.services.clock.now(), payload={"attachments": [digest]},
        )  # fmt: skip
    await wa.dispatch()
    document = wa.api.sent_to(WA_ID)[-1]  # a lone file carries the short text as its caption
    assert document.type == "document"
    assert document.body["document"]["caption"] == "Dokumen terlampir."
    media_id = document.body["document"]["id"]
    assert wa.api.media[media_id][0] == b"%PDF-1.4 salinan dokumen"


async def test_several_files_follow_the_text_as_documents(wa: WhatsAppHarness) -> None:
    case = await filed(wa)
    digests = [wa.services.blobs.put(b"%PDF-1.4 satu"), wa.services.blobs.put(b"%PDF-1.4 dua")]
    async with wa.services.db.transaction() as session:
        await enqueue(
            session, dedup_key="files", channel="whatsapp", recipient=ADDRESS,
            purpose="requester_update", body="Dua dokumen terlampir.", case_id=case.id,
            now=wa.services.clock.now(), payload={"attachments": digests},
        )  # fmt: skip
    await wa.dispatch()
    text, *documents = wa.api.sent_to(WA_ID)[-3:]
    assert (text.type, text.text) == ("text", "Dua dokumen terlampir.")
    sent = [wa.api.media[d.body["document"]["id"]][0] for d in documents]
    assert sent == [b"%PDF-1.4 satu", b"%PDF-1.4 dua"]
