"""Edited messages are never dropped silently, and a citizen is told the truth about where
their message went (no officers' chat: it waits on the case, it is not "forwarded")."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from sqlmodel import select

from bot.services import Services
from sandbox.telegram_api.server import BotApiEmulator
from store.blobs import BlobStore
from store.models import Message, Requester
from tests.channels.telegram.conftest import DESK_CHAT, UNIT_CHAT, TelegramHarness
from tests.channels.telegram.helpers import make_desk, telegram_case
from tests.support.builders import VALID_NIK
from tests.support.telegram import telegram_settings

NOT_READ = "tidak kami baca"


async def test_an_edited_form_answer_is_taken_as_the_new_answer(tg: TelegramHarness) -> None:
    siti = tg.citizen()
    await siti.send("/start")
    await siti.tap("Permohonan Informasi")
    answered = await siti.say("Siti Aminah")
    assert "NIK" in (await siti.reply())["text"]
    await siti.send(VALID_NIK)  # now at the address step

    await tg.api.push_edit(answered["message"], text="Siti Aminah Rahmawati")
    taken = await siti.reply()
    assert "Perubahan diterima: Nama sekarang “Siti Aminah Rahmawati”" in taken["text"]
    assert "alamat" in taken["text"].lower()  # the current question again

    await tg.api.push_edit(answered["message"], text="S1t1")  # not a name: the old one stays
    refused = await siti.reply()
    assert "tidak bisa dipakai untuk Nama" in refused["text"]
    assert "Nama belum sesuai" in refused["text"] and "alamat" in refused["text"].lower()

    for text in (
        "Jl. Merdeka No. 1, Gambir, Jakarta Pusat",
        "siti@example.id",
        "Laporan realisasi anggaran dinas tahun 2025",
        "Penelitian skripsi",
    ):
        await siti.send(text)
    await siti.tap("softcopy")
    summary = await siti.tap("Email")
    assert "Nama: Siti Aminah Rahmawati" in summary["text"]
    await siti.tap("Kirim")
    async with tg.services.db.session() as session:
        requester = (await session.exec(select(Requester))).one()
    assert requester.name == "Siti Aminah Rahmawati"


async def test_an_edit_the_bot_cannot_take_is_answered(tg: TelegramHarness) -> None:
    case = await telegram_case(tg.services, 42)
    siti = tg.citizen()
    sent = await siti.say("Mohon dilengkapi dengan data tahun 2024")
    assert case.reference in (await siti.reply())["text"]
    await tg.api.push_edit(sent["message"], text="Mohon dilengkapi dengan data tahun 2023")
    told = await siti.reply()
    assert NOT_READ in told["text"] and "pesan baru" in told["text"]
    async with tg.services.db.session() as session:
        texts = [m.text for m in (await session.exec(select(Message))).all()]
    assert "Mohon dilengkapi dengan data tahun 2024" in texts  # the original, as received
    assert "Mohon dilengkapi dengan data tahun 2023" not in texts

    # In a form, an edit of a message that answered nothing says how to change answers.
    await siti.send("/start")
    await siti.tap("Pengaduan")
    await tg.api.push_edit(sent["message"], text="lain")
    assert "✏️" in (await siti.reply())["text"]


async def test_a_live_location_updating_itself_is_left_alone(tg: TelegramHarness) -> None:
    siti = tg.citizen()
    await siti.send("/start")
    shared = await tg.api.push_location(-6.2, 106.8, user_id=42)
    await siti.reply()
    await tg.api.push_edit(shared["message"], location={"latitude": -6.21, "longitude": 106.81})
    await siti.send("/status")  # the next answer is the status, nothing about the edit
    assert all(NOT_READ not in m["text"] for m in tg.api.messages(42))


async def test_an_officers_edited_reply_is_not_sent_and_they_are_told(
    tg: TelegramHarness,
) -> None:
    desk = await make_desk(tg.services)
    case = await telegram_case(tg.services, 42)
    admin = tg.officer(desk.staff.admin, DESK_CHAT)
    await tg.dispatch()
    card = next(m for m in tg.api.unread(DESK_CHAT) if case.reference in m["text"])
    reply = await admin.say("Dokumen sedang kami siapkan", reply_to=card)
    preview = await admin.reply()  # replies wait for the officer's tap (reply safety)
    await admin.press("Kirim ke pemohon", preview)
    assert "dikirim ke pemohon" in await admin.alert()
    await tg.api.push_edit(reply["message"], text="Dokumen sudah siap")
    told = await admin.reply()
    assert "tidak dikirim" in told["text"]
    # a group's own chatter, edited, is none of the bot's business
    chatter = await tg.officer(desk.staff.officer, UNIT_CHAT).say("rapat jam 10")
    await tg.api.push_edit(chatter["message"], text="rapat jam 11")
    await tg.officer(desk.staff.officer, UNIT_CHAT).send("/daftar")
    assert all("tidak dikirim" not in m["text"] for m in tg.api.messages(UNIT_CHAT))


@pytest_asyncio.fixture
async def tg_no_officer_chat(
    services: Services, telegram_api: BotApiEmulator
) -> AsyncIterator[TelegramHarness]:
    """The channel of a body that has set no desk chat and no unit chat yet."""
    settings = telegram_settings(services.settings, telegram_api, telegram_desk_chat_id=None)
    harness = TelegramHarness(
        telegram_api,
        Services(
            settings=settings,
            db=services.db,
            clock=services.clock,
            blobs=BlobStore(settings.attachment_dir, settings.attachment_max_bytes),
        ),
    )
    await harness.start()
    yield harness
    await harness.stop()


async def test_without_an_officers_chat_the_citizen_is_not_told_forwarded(
    tg_no_officer_chat: TelegramHarness,
) -> None:
    tg = tg_no_officer_chat
    case = await telegram_case(tg.services, 42)
    answer = await tg.citizen().send("Ini tambahan keterangan untuk permohonan saya")
    assert "diteruskan" not in answer["text"]
    assert f"sudah kami simpan pada {case.reference}" in answer["text"]
    assert "Petugas akan membacanya" in answer["text"]


async def test_with_an_officers_chat_the_message_is_forwarded_and_says_so(
    tg: TelegramHarness,
) -> None:
    case = await telegram_case(tg.services, 42)
    answer = await tg.citizen().send("Ini tambahan keterangan untuk permohonan saya")
    assert f"{case.reference} dan diteruskan ke petugas" in answer["text"]
