"""The officers' commands: /kasus, /balas, /putus, /daftar, /catat and /bantuan."""

from __future__ import annotations

import pytest_asyncio
from sqlmodel import select

from bot.services import Services
from store.enums import Channel, Direction
from store.models import Case, Event, Message
from tests.channels.telegram.conftest import DESK_CHAT, UNIT_CHAT, TelegramHarness
from tests.channels.telegram.helpers import Desk, fetch, make_desk, telegram_case
from tests.support.builders import COMPLETE_REQUEST, VALID_NIK
from tests.support.pdf import pdf_text


@pytest_asyncio.fixture
async def desk(tg_services: Services) -> Desk:
    """The body's staff."""
    return await make_desk(tg_services)


async def test_kasus_shows_the_card_for_this_chat(tg: TelegramHarness, desk: Desk) -> None:
    case = await telegram_case(tg.services, 42)
    admin = tg.officer(801, DESK_CHAT)
    card = await admin.send(f"/kasus {case.reference.lower()}")
    assert case.reference in card["text"] and "S. A." in card["text"]
    usage = await admin.send("/kasus")
    assert "Cara pakai" in usage["text"]
    missing = await admin.send("/kasus PPID/2026/999999")
    assert "tidak ditemukan" in missing["text"]
    stranger = tg.officer(999, DESK_CHAT)
    assert "hanya untuk petugas" in (await stranger.send(f"/kasus {case.reference}"))["text"]
    # ... and cannot even probe which references exist
    assert "hanya untuk petugas" in (await stranger.send("/kasus PPID/2026/999999"))["text"]
    # Every look is in the audit log (domain.md §7): who, when, from which chat.
    async with tg.services.db.session() as session:
        stmt = select(Event).where(Event.case_id == case.id, Event.action == "case_viewed")
        viewed = (await session.exec(stmt)).all()
    assert [e.data["chat_id"] for e in viewed] == [DESK_CHAT]
    assert viewed[0].actor.startswith("officer:")


async def test_balas_answers_the_requester_and_logs_it(tg: TelegramHarness, desk: Desk) -> None:
    case = await telegram_case(tg.services, 42)
    admin = tg.officer(801, DESK_CHAT)
    usage = await admin.send("/balas")
    assert "Cara pakai" in usage["text"]
    preview = await admin.send(f"/balas {case.reference} Dokumen sedang kami siapkan.")
    assert case.reference in preview["text"] and "Pratinjau" in preview["text"]
    await tg.dispatch()
    assert not [m for m in tg.api.messages(42) if "Balasan petugas" in m.get("text", "")]
    await admin.press("Kirim ke pemohon", preview)
    assert "dikirim ke pemohon" in await admin.alert()
    await tg.dispatch()
    answer = [m for m in tg.api.messages(42) if "Balasan petugas" in m.get("text", "")]
    assert answer and "Dokumen sedang kami siapkan." in answer[0]["text"]
    async with tg.services.db.session() as session:
        logged = (
            await session.exec(select(Message).where(Message.direction == Direction.OUTBOUND))
        ).one()
    assert logged.case_id == case.id and logged.officer_id is not None
    assert logged.text == "Dokumen sedang kami siapkan."


async def test_putus_with_and_without_details(tg: TelegramHarness, desk: Desk) -> None:
    first = await telegram_case(tg.services, 42, tag="a")
    second = await telegram_case(
        tg.services, 43, tag="b", fields={**COMPLETE_REQUEST, "phone": "0813 2222 3333"}
    )
    third = await telegram_case(
        tg.services, 44, tag="c", fields={**COMPLETE_REQUEST, "phone": "0813 4444 5555"}
    )
    utama = tg.officer(601, DESK_CHAT)
    done = await utama.send(f"/putus {first.reference} diberikan 3 hari kerja")
    assert "Sudah diputuskan" in done["text"]
    stored = await fetch(tg.services, first)
    assert (stored.decision, stored.time_to_provide) == ("granted_full", "3 hari kerja")

    refused = await utama.send(f"/putus {second.reference} ditolak z tidak jelas")
    assert "Pasal 17" in refused["text"]
    await utama.send(f"/putus {second.reference} ditolak c Membahayakan pertahanan negara")
    stored = await fetch(tg.services, second)
    assert (stored.decision, stored.refusal_ground) == ("refused", "c")

    choices = await utama.send(f"/putus {third.reference}")
    assert "Putusan apa" in choices["text"]
    await utama.press("Diberikan sebagian", choices)
    prompt = await utama.reply()
    terms = await utama.send("Lampiran identitas pegawai dihitamkan", reply_to=prompt)
    await utama.send("terlampir", reply_to=terms)
    assert (await fetch(tg.services, third)).decision == "granted_partial"
    bad = await utama.send(f"/putus {third.reference} entahlah")
    assert "Cara pakai" in bad["text"]


async def test_daftar_lists_my_units_open_cases_by_due_date(
    tg: TelegramHarness, desk: Desk
) -> None:
    mine = await telegram_case(tg.services, 42, tag="a")
    other = await telegram_case(tg.services, 43, tag="b")
    async with tg.services.db.transaction() as session:
        for case, unit in ((mine, desk.staff.unit_id), (other, desk.other_unit_id)):
            stored = await session.get(Case, case.id)
            assert stored is not None
            stored.unit_id = unit
    listing = await tg.officer(501, UNIT_CHAT).send("/daftar")
    assert mine.reference in listing["text"] and other.reference not in listing["text"]
    everything = await tg.officer(801, DESK_CHAT).send("/daftar")
    assert mine.reference in everything["text"] and other.reference in everything["text"]


async def test_catat_registers_a_phone_request_for_a_citizen(
    tg: TelegramHarness, desk: Desk
) -> None:
    in_group = await tg.officer(801, DESK_CHAT).send("/catat")
    assert "chat pribadi" in in_group["text"]
    refused = await tg.officer(502).send("/catat")
    assert "tidak mengizinkan" in refused["text"]

    admin = tg.officer(801)
    question = await admin.send("/catat")
    await admin.press("Permohonan informasi", question)
    await tg.api.wait_until(lambda: "Telepon" in str(tg.api.current(question)["reply_markup"]))
    await admin.tap("Telepon", question)
    for text in (
        "Pak Darmo",
        VALID_NIK,
        "Dusun Krajan RT 01, Desa Sukamaju",
        "0812 7777 8888",
        "Daftar penerima bantuan sosial desa 2025",
        "Pengawasan warga",
    ):
        await admin.send(text)
    await admin.tap("Melihat")
    await admin.tap("Ambil langsung")
    registered = await admin.tap("Kirim")
    assert "PPID/2026/000001" in registered["text"] and "Terdaftar" in registered["text"]
    async with tg.services.db.session() as session:
        case = (await session.exec(select(Case))).one()
    assert case.channel == Channel.TELEPON and case.status == "registered"
    # A phone-only citizen: the officer gets the proof of request to print and hand over.
    receipt = await admin.reply()
    assert receipt["document"]["file_name"] == "TBP-PPID-2026-000001.pdf"
    assert "PPID/2026/000001" in receipt["caption"]
    text = pdf_text(tg.api.file_bytes(receipt["document"]["file_id"]))
    assert "TANDA BUKTI PERMOHONAN INFORMASI PUBLIK" in text and "Pak Darmo" in text
    assert "Dusun Krajan RT 01" in text and "Mengambil langsung" in text


async def test_bantuan_lists_the_commands_for_officers_only(
    tg: TelegramHarness, desk: Desk
) -> None:
    officer_help = await tg.officer(501, UNIT_CHAT).send("/bantuan")
    assert "/kasus" in officer_help["text"] and "/catat" in officer_help["text"]
    citizen_help = await tg.citizen(42).send("/bantuan")
    assert "/kasus" not in citizen_help["text"] and "Cek Status" in citizen_help["text"]
    commands = {
        c.params["scope"]["type"]: c.params["commands"] for c in tg.api.calls_of("setMyCommands")
    }
    assert [c["command"] for c in commands["all_group_chats"]][:2] == ["kasus", "balas"]
    assert commands["all_private_chats"][0]["command"] == "start"


async def test_id_tells_the_chat_and_user_ids_for_setup(tg: TelegramHarness) -> None:
    answer = await tg.officer(777, DESK_CHAT).send("/id")
    assert f"Chat ini: {DESK_CHAT}" in answer["text"] and "777" in answer["text"]
