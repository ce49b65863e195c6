"""A citizen filing on Telegram gets the registration number at once as text, then the proof of
request (or complaint receipt) as a PDF document from the outbox."""

from __future__ import annotations

from sqlmodel import select

from store.enums import CaseKind
from store.models import OutboxMessage
from tests.channels.telegram.conftest import TelegramHarness
from tests.channels.telegram.helpers import fill_request_form, telegram_case
from tests.support.pdf import pdf_text


async def test_a_filed_request_gets_the_number_at_once_then_the_proof_as_pdf(
    tg: TelegramHarness,
) -> None:
    siti = tg.citizen()
    await fill_request_form(siti)
    # At once, in this order: the number with the proof-of-request notice, then the answer
    # that points to it. Both are outbox rows of this chat, sent one at a time in the order
    # they were queued (scheduler/queue.py), so the order holds under any load.
    receipt = await siti.tap("Kirim")
    assert "PPID/2026/000001" in receipt["text"] and "tanda bukti" in receipt["text"]
    assert "Simpan nomor" in (await siti.reply())["text"]
    # The PDF waits in the outbox for the dispatcher's round, never rendered inline.
    assert not [m for m in tg.api.messages(42) if "document" in m]
    async with tg.services.db.session() as session:
        (row,) = (await session.exec(select(OutboxMessage).where(
            OutboxMessage.purpose == "letter"))).all()  # fmt: skip
    assert (row.status, row.recipient, row.payload["letters"]) == (
        "pending", "42", ["request_receipt"])  # fmt: skip
    await tg.dispatch()
    await tg.api.wait_until(lambda: any("document" in m for m in tg.api.messages(42)))
    (document,) = [m for m in tg.api.messages(42) if "document" in m]
    assert tg.api.messages(42).index(document) > tg.api.messages(42).index(receipt)
    assert "PPID/2026/000001" in document["caption"]
    assert document["document"]["file_name"] == "TBP-PPID-2026-000001.pdf"
    text = pdf_text(tg.api.file_bytes(document["document"]["file_id"]))
    for expected in ("TANDA BUKTI PERMOHONAN INFORMASI PUBLIK", "PPID/2026/000001",
                     "Siti Aminah", "Jl. Merdeka No. 1", "siti@example.id",
                     "Laporan realisasi anggaran dinas tahun 2025", "Penelitian skripsi",
                     "20 Januari 2026"):  # fmt: skip
        assert expected in text, expected
    await tg.dispatch()
    assert [m for m in tg.api.messages(42) if "document" in m] == [document]  # once


async def test_a_complaint_filed_on_telegram_gets_its_receipt_document(
    tg: TelegramHarness,
) -> None:
    case = await telegram_case(tg.services, 77, kind=CaseKind.COMPLAINT)
    await tg.dispatch()
    ack, document = tg.api.messages(77)
    assert case.reference in ack["text"]
    assert document["document"]["file_name"] == f"TBA-{case.reference.replace('/', '-')}.pdf"
    text = pdf_text(tg.api.file_bytes(document["document"]["file_id"]))
    assert "TANDA TERIMA PENGADUAN" in text and case.reference in text
    assert "Jalan berlubang di depan pasar" in text
