"""An officer's Telegram reply reaches the requester on their own channel: Telegram, or email
through a real SMTP server (aiosmtpd); the requester's answer comes back to the officers."""

from __future__ import annotations

import pytest_asyncio
from sqlmodel import select

from bot.intake.door import InboundMessage
from bot.services import Services
from channels.email.sender import EmailSender
from store.enums import CaseKind, Channel, Direction
from store.models import Attachment, Message
from tests.channels.telegram.conftest import DESK_CHAT, TelegramHarness
from tests.channels.telegram.helpers import Desk, make_desk, telegram_case
from tests.support.smtp import SmtpSink, smtp_server  # noqa: F401


@pytest_asyncio.fixture
async def desk(tg_services: Services) -> Desk:
    """The body's staff."""
    return await make_desk(tg_services)


async def first_with(tg: TelegramHarness, chat_id: int, fragment: str) -> dict:
    """Drain the outbox, then the first message in `chat_id` containing `fragment` (every
    message there so far counts as read)."""

    def found() -> list[dict]:
        texts = ((m, m.get("text", m.get("caption", ""))) for m in tg.api.messages(chat_id))
        return [m for m, text in texts if fragment in text]

    await tg.dispatch()
    await tg.api.wait_until(lambda: bool(found()))
    tg.api.unread(chat_id)
    return found()[0]


async def test_reply_to_a_card_and_to_a_relayed_message(tg: TelegramHarness, desk: Desk) -> None:
    case = await telegram_case(tg.services, 42)
    card = await first_with(tg, DESK_CHAT, "📋 " + case.reference)
    admin = tg.officer(801, DESK_CHAT)
    preview = await admin.send("Mohon tunggu, dokumen sedang disiapkan.", reply_to=card)
    assert "Pemohon akan menerima persis ini" in preview["text"]
    assert "Balasan petugas untuk " + case.reference in preview["text"]
    await admin.press("Kirim ke pemohon", preview)
    assert "dikirim ke pemohon" in await admin.alert()
    answer = await first_with(tg, 42, "Mohon tunggu")
    assert case.reference in answer["text"]

    siti = tg.citizen(42)
    await siti.send("Terima kasih, kapan kira-kira selesai?", reply_to=answer)
    relay = await first_with(tg, DESK_CHAT, "kapan kira-kira")
    assert "Pesan baru dari pemohon S. A." in relay["text"]

    await tg.api.push_document(
        b"%PDF jadwal",
        filename="jadwal.pdf",
        caption="Jadwal terlampir",
        user_id=801,
        chat_id=DESK_CHAT,
        reply_to=relay,
    )
    preview = await admin.reply()
    assert "📎 jadwal.pdf" in preview["text"] and "Jadwal terlampir" in preview["text"]
    await admin.press("Kirim ke pemohon", preview)
    assert "dikirim ke pemohon" in await admin.alert()
    document = await first_with(tg, 42, "Jadwal terlampir")
    assert tg.api.file_bytes(document["document"]["file_id"]) == b"%PDF jadwal"
    async with tg.services.db.session() as session:
        outbound = (
            await session.exec(select(Message).where(Message.direction == Direction.OUTBOUND))
        ).all()
        files = (await session.exec(select(Attachment))).all()
    assert [m.text for m in outbound] == [
        "Mohon tunggu, dokumen sedang disiapkan.",
        "Jadwal terlampir",
    ]
    assert [f.filename for f in files] == ["jadwal.pdf"] and files[0].case_id == case.id


async def test_reply_reaches_an_email_requester(
    tg: TelegramHarness,
    desk: Desk,
    smtp_server: SmtpSink,  # noqa: F811
) -> None:
    settings = tg.services.settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server.port,
            "smtp_security": "none",
            "mail_from": "ppid@pemda.example",
        }
    )
    tg.extra_senders["email"] = EmailSender(
        settings, tg.services.clock, tg.services.db, tg.services.blobs
    )
    result = await tg.services.intake.handle_inbound(
        InboundMessage(
            channel=Channel.EMAIL,
            external_id="<m1@warga.example>",
            sender="warga@warga.example",
            sender_name="Dewi Lestari",
            text="Mohon salinan Perda RTRW",
            received_at=tg.services.clock.now(),
            new_case_kind=CaseKind.INFORMATION_REQUEST,
        )
    )
    reference = result.case_reference
    assert reference is not None
    card = await first_with(tg, DESK_CHAT, "📋 " + reference)
    assert "D. L." in card["text"] and "warga@" not in card["text"]
    admin = tg.officer(801, DESK_CHAT)
    preview = await admin.send("Salinan Perda akan kami kirim minggu ini.", reply_to=card)
    assert "lewat E-mail" in preview["text"]
    await admin.press("Kirim ke pemohon", preview)
    assert "dikirim ke pemohon" in await admin.alert()
    await tg.dispatch()
    answers = [m for m in smtp_server.messages if "Salinan Perda" in m.get_body().get_content()]
    assert len(answers) == 1
    mail = answers[0]
    assert mail["To"] == "warga@warga.example" and reference in mail["Subject"]
    assert mail["Reply-To"] and "ppid+" in mail["Reply-To"]

    # A file the officer sends as a reply reaches the email requester as an attachment.
    await tg.api.push_document(
        b"%PDF perda",
        filename="perda-rtrw.pdf",
        caption="Perda terlampir",
        user_id=801,
        chat_id=DESK_CHAT,
        reply_to=card,
    )
    await admin.press("Kirim ke pemohon", await admin.reply())
    assert "dikirim ke pemohon" in await admin.alert()
    await tg.dispatch()
    with_file = [m for m in smtp_server.messages if "Perda terlampir" in m.get_body().get_content()]
    assert len(with_file) == 1
    attached = list(with_file[0].iter_attachments())
    assert [a.get_filename() for a in attached] == ["perda-rtrw.pdf"]
    assert attached[0].get_content() == b"%PDF perda"


async def test_a_citizen_reply_in_a_group_is_refused(tg: TelegramHarness, desk: Desk) -> None:
    case = await telegram_case(tg.services, 42)
    card = await first_with(tg, DESK_CHAT, "📋 " + case.reference)
    refused = await tg.officer(999, DESK_CHAT).send("saya juga mau tahu", reply_to=card)
    assert "hanya untuk petugas" in refused["text"]
    assert [m for m in tg.api.messages(42) if "saya juga" in m.get("text", "")] == []
