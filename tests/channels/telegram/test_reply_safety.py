"""Issue 14: an officer's reply reaches the citizen only after a confirming tap on a preview
that shows the message as the citizen will read it; a reply marked internal, or made in the
discussion under a card, stays an internal note on the case."""

from __future__ import annotations

import datetime as dt

import pytest_asyncio
from sqlmodel import select

from bot.services import Services
from channels.telegram.state import ChannelState
from store.enums import Direction
from store.models import Attachment, Event, Message, OutboxMessage
from tests.channels.telegram.conftest import DESK_CHAT, TelegramHarness
from tests.channels.telegram.helpers import Desk, make_desk, telegram_case


@pytest_asyncio.fixture
async def desk(tg_services: Services) -> Desk:
    """The body's staff."""
    return await make_desk(tg_services)


async def _card(tg: TelegramHarness, reference: str) -> dict:
    await tg.dispatch()
    await tg.api.wait_until(
        lambda: any("📋 " + reference in m.get("text", "") for m in tg.api.messages(DESK_CHAT))
    )
    card = next(m for m in tg.api.messages(DESK_CHAT) if "📋 " + reference in m.get("text", ""))
    tg.api.unread(DESK_CHAT)
    return card


async def _to_citizen(tg: TelegramHarness, chat_id: int = 42) -> list[str]:
    await tg.dispatch()
    return [m.get("text", m.get("caption", "")) for m in tg.api.messages(chat_id)]


async def _outbound(tg: TelegramHarness) -> list[Message]:
    async with tg.services.db.session() as session:
        stmt = select(Message).where(Message.direction == Direction.OUTBOUND)
        return list((await session.exec(stmt)).all())


async def _notes(tg: TelegramHarness) -> list[Event]:
    async with tg.services.db.session() as session:
        stmt = select(Event).where(Event.action == "internal_note").order_by(Event.id)
        return list((await session.exec(stmt)).all())


async def test_nothing_leaves_before_the_officer_confirms(tg: TelegramHarness, desk: Desk) -> None:
    case = await telegram_case(tg.services, 42)
    card = await _card(tg, case.reference)
    before = await _to_citizen(tg)
    admin = tg.officer(801, DESK_CHAT)
    preview = await admin.send("Sudah saya cek, berkasnya lengkap.", reply_to=card)
    # The preview is the citizen's message, word for word, in the citizen's language.
    assert f"Balasan petugas untuk {case.reference}:\n\nSudah saya cek" in preview["text"]
    assert await _to_citizen(tg) == before and await _outbound(tg) == []
    async with tg.services.db.session() as session:
        queued = (await session.exec(select(OutboxMessage.purpose))).all()
    assert "officer_reply" not in queued

    # Another officer cannot send a colleague's words.
    utama = tg.officer(601, DESK_CHAT)
    await utama.press("Kirim ke pemohon", preview)
    assert "Hanya petugas yang menulis" in await utama.alert()
    assert await _outbound(tg) == []

    # "Catatan internal" keeps it on the case instead; a second tap does nothing.
    await admin.press("Catatan internal", preview)
    assert "catatan internal" in await admin.alert()
    await admin.press("Kirim ke pemohon", preview)
    assert "sudah ditangani" in await admin.alert()
    assert await _to_citizen(tg) == before and await _outbound(tg) == []
    notes = await _notes(tg)
    assert [(n.case_id, n.data["text"]) for n in notes] == [
        (case.id, "Sudah saya cek, berkasnya lengkap.")
    ]

    # Cancel: nothing at all is recorded or sent.
    second = await admin.send("salah ketik", reply_to=card)
    await admin.press("Batal", second)
    assert "Tidak dikirim" in await admin.alert()
    assert len(await _notes(tg)) == 1 and await _outbound(tg) == []

    # Send: only now does the citizen get it, once.
    third = await admin.send("Dokumen kami kirim besok.", reply_to=card)
    await admin.press("Kirim ke pemohon", third)
    assert "dikirim ke pemohon" in await admin.alert()
    await admin.press("Kirim ke pemohon", third)
    got = await _to_citizen(tg)
    assert len([m for m in got if "Dokumen kami kirim besok." in m]) == 1
    assert not [m for m in got if "berkasnya lengkap" in m or "salah ketik" in m]
    assert [m.text for m in await _outbound(tg)] == ["Dokumen kami kirim besok."]


async def test_the_internal_marker_and_threads_stay_internal(
    tg: TelegramHarness, desk: Desk
) -> None:
    case = await telegram_case(tg.services, 42)
    card = await _card(tg, case.reference)
    before = await _to_citizen(tg)
    admin = tg.officer(801, DESK_CHAT)
    noted = await admin.send("#Catatan pemohon ini pernah minta data serupa", reply_to=card)
    assert "catatan internal" in noted["text"] and "Kirim" not in str(noted.get("reply_markup"))

    # Officers discussing under the card: a reply to a colleague's message in the card's
    # thread is their conversation, not an answer to the citizen.
    utama = tg.officer(601, DESK_CHAT)
    await tg.api.push_message(
        user_id=601,
        chat_id=DESK_CHAT,
        first_name="Petugas601",
        text="Setuju, cek arsip 2025 dulu",
        reply_to=noted,
        message_thread_id=card["message_id"],
    )
    assert "catatan internal" in (await utama.reply())["text"]
    # A file sent with the marker is kept on the case, not sent.
    await tg.api.push_document(
        b"%PDF memo",
        filename="memo-internal.pdf",
        caption="#catatan memo bidang",
        user_id=801,
        chat_id=DESK_CHAT,
        reply_to=card,
    )
    assert "catatan internal" in (await admin.reply())["text"]

    assert await _to_citizen(tg) == before and await _outbound(tg) == []
    notes = await _notes(tg)
    assert [n.data["text"] for n in notes] == [
        "pemohon ini pernah minta data serupa",
        "Setuju, cek arsip 2025 dulu",
        "memo bidang",
    ]
    assert notes[1].actor.startswith("officer:") and notes[1].actor != notes[0].actor
    async with tg.services.db.session() as session:
        files = (await session.exec(select(Attachment))).all()
    assert [(f.filename, f.case_id, f.message_id) for f in files] == [
        ("memo-internal.pdf", case.id, None)
    ]


async def test_a_held_reply_survives_a_restart(tg: TelegramHarness, desk: Desk) -> None:
    case = await telegram_case(tg.services, 42)
    card = await _card(tg, case.reference)
    admin = tg.officer(801, DESK_CHAT)
    preview = await admin.send("Informasi sudah siap diambil.", reply_to=card)
    await tg.restart()
    await admin.press("Kirim ke pemohon", preview)
    assert "dikirim ke pemohon" in await admin.alert()
    assert [m.text for m in await _outbound(tg)] == ["Informasi sudah siap diambil."]


async def test_an_unconfirmed_reply_is_forgotten_with_old_conversations(
    tg: TelegramHarness, desk: Desk
) -> None:
    case = await telegram_case(tg.services, 42)
    card = await _card(tg, case.reference)
    admin = tg.officer(801, DESK_CHAT)
    preview = await admin.send("NIK pemohon 3171014501900001 perlu dicek", reply_to=card)
    later = tg.services.clock.now() + dt.timedelta(days=31)
    await ChannelState(tg.services.db).forget_drafts(later)
    await admin.press("Kirim ke pemohon", preview)
    assert "sudah ditangani" in await admin.alert()
    assert await _outbound(tg) == []
