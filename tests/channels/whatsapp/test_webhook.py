"""The WhatsApp webhook through the real HTTP stack: handshake, signatures, durability, and a
citizen's messages reaching the one door."""

from __future__ import annotations

import aiohttp
from sqlmodel import select

from bot.services import Services
from sandbox.whatsapp_api.emulator import CloudApiEmulator
from store.models import Attachment, Case, Contact, InboundUpdate, Message
from tests.channels.whatsapp.conftest import WhatsAppHarness

WA_ID = "6281234567890"
PHOTO = b"\xff\xd8\xff\xe0" + b"photo-of-the-broken-road" * 50


async def stored(services: Services) -> tuple[list[Message], list[InboundUpdate]]:
    """Every inbound message and every inbox row."""
    async with services.db.session() as session:
        messages = (await session.exec(select(Message).where(Message.direction == "in"))).all()
        rows = (await session.exec(select(InboundUpdate))).all()
    return list(messages), list(rows)


async def cases(services: Services) -> list[Case]:
    async with services.db.session() as session:
        return list((await session.exec(select(Case))).all())


async def test_the_verification_handshake_echoes_the_challenge_for_the_right_token(
    wa: WhatsAppHarness,
) -> None:
    url = wa.api.webhook_url
    async with aiohttp.ClientSession() as http:
        query = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"}
        async with http.get(url, params=query) as answer:
            assert (answer.status, await answer.text()) == (200, "42")
        async with http.get(url, params={**query, "hub.verify_token": "guess"}) as answer:
            assert answer.status == 403


async def test_a_forged_webhook_creates_nothing(wa: WhatsAppHarness) -> None:
    citizen = wa.api.citizen(WA_ID)
    payload = citizen.message("text", {"body": "Saya minta data anggaran"})
    assert await wa.api.post(payload, secret="not-the-app-secret") == 403
    assert await wa.api.post(payload, secret="") == 401  # no signature at all
    assert await stored(wa.services) == ([], [])
    assert await cases(wa.services) == []


async def test_a_citizens_text_opens_a_case_and_is_acknowledged(wa: WhatsAppHarness) -> None:
    citizen = wa.api.citizen(WA_ID, name="Siti Aminah")
    assert await citizen.text("Saya minta salinan laporan keuangan dinas tahun 2025.") == 200
    await wa.handled()
    (case,) = await cases(wa.services)
    assert case.channel == "whatsapp"
    assert (case.information_requested or "").startswith("Saya minta salinan")
    async with wa.services.db.session() as session:
        contact = (await session.exec(select(Contact))).one()
    assert (contact.kind, contact.value) == ("phone", "+6281234567890")
    summary = await wa.dispatch()
    assert summary.sent == 2
    ack, receipt = wa.api.sent_to(WA_ID)  # the number, then the proof of request as a PDF
    assert ack.type == "text" and case.reference in ack.text
    assert receipt.type == "document" and case.reference in receipt.body["document"]["caption"]


async def test_a_replayed_webhook_creates_nothing_twice(wa: WhatsAppHarness) -> None:
    citizen = wa.api.citizen(WA_ID)
    await citizen.text("Mohon informasi jadwal pelayanan.")
    await wa.handled()
    assert await citizen.again() == 200  # Meta delivers at least once
    await wa.handled()
    messages, rows = await stored(wa.services)
    assert len(messages) == 1 and len(rows) == 1
    assert len(await cases(wa.services)) == 1


async def test_a_photo_is_appended_to_the_open_case_with_its_file(wa: WhatsAppHarness) -> None:
    citizen = wa.api.citizen(WA_ID)
    await citizen.text("Jalan di depan kantor kelurahan rusak parah.")
    await wa.handled()
    assert await citizen.media("image", PHOTO, "image/jpeg", caption="Ini fotonya") == 200
    await wa.handled()
    (case,) = await cases(wa.services)
    async with wa.services.db.session() as session:
        photo = (await session.exec(select(Message).where(Message.text == "Ini fotonya"))).one()
        (attachment,) = (await session.exec(select(Attachment))).all()
    assert photo.case_id == case.id
    assert (attachment.case_id, attachment.content_type) == (case.id, "image/jpeg")
    assert wa.services.blobs.get(attachment.sha256) == PHOTO
    await wa.dispatch()
    texts = [s.text for s in wa.api.sent_to(WA_ID)]
    assert any(f"sudah kami catat pada {case.reference}" in t for t in texts)


async def test_location_contacts_and_documents_are_read(wa: WhatsAppHarness) -> None:
    citizen = wa.api.citizen(WA_ID)
    await citizen.text("Pengaduan lampu jalan mati.")
    await citizen.location(-6.2, 106.816666, name="Jl. Merdeka")
    await citizen.send(citizen.message("contacts", [
        {"name": {"formatted_name": "Pak RT"}, "phones": [{"phone": "+62 811 111 111"}]}
    ]))  # fmt: skip
    await citizen.media("document", b"%PDF-1.4 surat", "application/pdf", filename="surat.pdf")
    await citizen.media("audio", b"OggS voice", "audio/ogg; codecs=opus")
    await wa.handled()
    async with wa.services.db.session() as session:
        texts = [m.text for m in (await session.exec(select(Message))).all()]
        names = sorted(a.filename for a in (await session.exec(select(Attachment))).all())
    assert any("-6.20000, 106.81667" in t and "Jl. Merdeka" in t for t in texts)
    assert any("Pak RT: +62 811 111 111" in t for t in texts)
    assert names[0] == "surat.pdf"
    assert names[1].startswith("whatsapp-audio-") and names[1].endswith((".oga", ".ogg"))


async def test_an_unsupported_message_is_kept_and_answered(wa: WhatsAppHarness) -> None:
    citizen = wa.api.citizen(WA_ID)
    await citizen.send(citizen.message("sticker", {"id": "1", "mime_type": "image/webp"}))
    await wa.handled()
    messages, _ = await stored(wa.services)
    assert [(m.case_id, m.meta["whatsapp_type"]) for m in messages] == [(None, "sticker")]
    assert await cases(wa.services) == []
    await wa.dispatch()
    (answer,) = wa.api.sent_to(WA_ID)
    assert "belum dapat kami baca" in answer.text


async def test_a_stored_but_unhandled_update_is_handled_after_a_restart(
    wa: WhatsAppHarness, whatsapp_api: CloudApiEmulator
) -> None:
    assert wa.parts is not None
    await wa.parts.runner.receiver.stop()  # type: ignore[attr-defined]  # the worker is gone
    citizen = whatsapp_api.citizen(WA_ID)
    assert await citizen.text("Permohonan informasi daftar aset.") == 200  # committed
    _, (row,) = await stored(wa.services)
    assert row.state == "pending"
    await wa.stop()
    assert await cases(wa.services) == []
    await wa.start()  # a new process on the same store
    await wa.handled()
    assert len(await cases(wa.services)) == 1


async def test_a_media_file_whatsapp_no_longer_has_is_named_and_the_message_kept(
    wa: WhatsAppHarness,
) -> None:
    citizen = wa.api.citizen(WA_ID)
    gone = {"id": "404404", "mime_type": "image/jpeg", "caption": "Foto jalan"}
    assert await citizen.send(citizen.message("image", gone)) == 200
    (row,) = await wa.handled()
    assert row.state == "done"
    messages, _ = await stored(wa.services)
    (message,) = messages
    assert message.text.startswith("Foto jalan\n(lampiran whatsapp-image-404404")
    assert len(await cases(wa.services)) == 1
