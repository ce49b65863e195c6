"""Every button on the officers' case cards, through python-telegram-bot and the emulator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest_asyncio
from sqlmodel import col, select

from bot.services import Services
from store.enums import CaseKind
from store.models import Case, Event
from tests.channels.telegram.conftest import DESK_CHAT, UNIT_CHAT, Person, TelegramHarness
from tests.channels.telegram.helpers import Desk, fetch, make_desk, refuse, telegram_case
from tests.support.builders import COMPLETE_REQUEST


@pytest_asyncio.fixture
async def desk(tg_services: Services) -> Desk:
    """The body's staff."""
    return await make_desk(tg_services)


def labels(message: dict[str, Any]) -> list[str]:
    """Button labels of a message."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


async def until(tg: TelegramHarness, message: dict, check: Callable[[dict], bool]) -> dict:
    """Wait until the message (as edited) passes `check`; return it."""
    await tg.api.wait_until(lambda: check(tg.api.current(message)))
    return tg.api.current(message)


async def card_in(tg: TelegramHarness, person: Person, reference: str) -> dict:
    """Drain the outbox; the newest message in the person's chat naming `reference`."""
    await tg.dispatch()
    while True:
        message = await person.reply()
        if reference in message.get("text", ""):
            return message


async def test_request_claim_dispose_extend_decide_partial(tg: TelegramHarness, desk: Desk) -> None:
    case = await telegram_case(tg.services, 42)
    admin = tg.officer(801, DESK_CHAT)
    card = await card_in(tg, admin, case.reference)
    assert "Pemohon: S. A." in card["text"] and "3171" not in card["text"]
    assert labels(card) == ["🙋 Ambil", "➡️ Disposisi", "⏳ Perpanjang", "⚖️ Putuskan", "🔓 Detail"]

    await admin.press("Ambil", card)
    assert "Tersimpan" in await admin.alert()
    assert (await fetch(tg.services, case)).assigned_officer_id is not None
    await admin.press("Disposisi", card)
    card = await until(tg, card, lambda m: "Unit dinkes" in labels(m))
    await admin.press("Unit dinkes", card)
    card = await until(tg, card, lambda m: "Sedang diproses" in m["text"])
    assert "Unit: Unit dinkes" in card["text"]

    pelaksana = tg.officer(501, UNIT_CHAT)
    unit_card = await card_in(tg, pelaksana, case.reference)
    assert labels(unit_card) == ["🙋 Ambil", "⏳ Perpanjang", "⚖️ Putuskan", "🔓 Detail"]
    await pelaksana.press("Perpanjang", unit_card)
    prompt = await pelaksana.reply()
    assert "alasan" in prompt["text"]
    assert tg.api.calls_of("sendMessage")[-1].params["reply_markup"]["force_reply"]
    done = await pelaksana.send("Dokumen masih dikumpulkan dari bidang", reply_to=prompt)
    assert case.reference in done["text"]
    stored = await fetch(tg.services, case)
    assert stored.status == "extended" and stored.extension_reason.startswith("Dokumen")  # type: ignore[union-attr]
    await until(tg, unit_card, lambda m: "Diperpanjang" in m["text"])

    await pelaksana.press("Putuskan", unit_card)
    await until(tg, unit_card, lambda m: "Diberikan sebagian" in labels(m))
    await pelaksana.press("Diberikan sebagian", unit_card)
    prompt = await pelaksana.reply()
    terms = await pelaksana.send("Nomor rekening dihitamkan (Pasal 17 h)", reply_to=prompt)
    assert "Pemberitahuan tertulis" in terms["text"]  # the notice's terms come next
    assert (await fetch(tg.services, case)).decision is None
    await pelaksana.send(
        "5 hari kerja\nbentuk: hardcopy\nkirim: pos\nbiaya: 20.000", reply_to=terms
    )
    stored = await fetch(tg.services, case)
    assert (stored.decision, stored.redaction_note) == (
        "granted_partial",
        "Nomor rekening dihitamkan (Pasal 17 h)",
    )
    assert (stored.information_form, stored.delivery_method, stored.fee_amount) == (
        "hardcopy",
        "pos",
        20000,
    )
    assert stored.time_to_provide == "5 hari kerja"
    final = await until(tg, unit_card, lambda m: "Sudah diputuskan" in m["text"])
    assert labels(final) == ["🔓 Detail"]


async def test_refusal_needs_a_pasal_17_letter_and_a_consequence_test(
    tg: TelegramHarness, desk: Desk
) -> None:
    case = await telegram_case(tg.services, 42)
    utama = tg.officer(601, DESK_CHAT)
    card = await card_in(tg, utama, case.reference)
    await utama.press("Putuskan", card)
    await until(tg, card, lambda m: "Ditolak (Pasal 17)" in labels(m))
    await utama.press("Ditolak", card)
    card = await until(tg, card, lambda m: "17 j" in labels(m))
    await utama.press("Kembali", card)
    card = await until(tg, card, lambda m: "⚖️ Putuskan" in labels(m))
    await utama.press("Putuskan", card)
    await until(tg, card, lambda m: "Ditolak (Pasal 17)" in labels(m))
    await utama.press("Ditolak", card)
    card = await until(tg, card, lambda m: "17 b" in labels(m))
    await utama.press("17 b", card)
    prompt = await utama.reply()
    assert "uji konsekuensi" in prompt["text"]
    await utama.send("Membuka informasi akan menghambat penyidikan", reply_to=prompt)
    stored = await fetch(tg.services, case)
    assert (stored.decision, stored.refusal_ground) == ("refused", "b")


async def test_not_held_and_not_documented(tg: TelegramHarness, desk: Desk) -> None:
    first = await telegram_case(tg.services, 42, tag="a")
    admin = tg.officer(801, DESK_CHAT)
    card = await card_in(tg, admin, first.reference)
    await admin.press("Putuskan", card)
    await until(tg, card, lambda m: "Tidak dikuasai" in labels(m))
    await admin.press("Tidak dikuasai", card)
    prompt = await admin.reply()
    await admin.send("-", reply_to=prompt)
    stored = await fetch(tg.services, first)
    assert (stored.decision, stored.holder_body) == ("not_held", None)

    other_phone = {**COMPLETE_REQUEST, "phone": "0813-1111-2222"}
    second = await telegram_case(tg.services, 43, tag="b", fields=other_phone)
    card = await card_in(tg, admin, second.reference)
    await admin.press("Putuskan", card)
    await until(tg, card, lambda m: "Belum didokumentasikan" in labels(m))
    await admin.press("Belum didokumentasikan", card)
    prompt = await admin.reply()
    past = await admin.send("2025-12-01", reply_to=prompt)
    assert "sudah lewat" in past["text"]
    await admin.send("31-03-2026", reply_to=prompt)
    stored = await fetch(tg.services, second)
    assert (stored.decision, stored.available_on) == ("not_documented", dt.date(2026, 3, 31))


async def test_granted_in_full_asks_when_it_is_provided_and_keeps_what_was_asked(
    tg: TelegramHarness, desk: Desk
) -> None:
    case = await telegram_case(tg.services, 42)
    admin = tg.officer(801, DESK_CHAT)
    card = await card_in(tg, admin, case.reference)
    await admin.press("Putuskan", card)
    await until(tg, card, lambda m: "Diberikan seluruhnya" in labels(m))
    await admin.press("Diberikan seluruhnya", card)
    prompt = await admin.reply()
    assert case.reference in prompt["text"] and "bentuk: hardcopy" in prompt["text"]
    refused = await admin.send("-", reply_to=prompt)
    assert "Waktu penyediaan wajib" in refused["text"]
    await admin.send("Terlampir bersama pemberitahuan ini", reply_to=prompt)
    await until(tg, card, lambda m: "Sudah diputuskan" in m["text"])
    stored = await fetch(tg.services, case)
    assert stored.decision == "granted_full"
    # The form and delivery the citizen asked for (COMPLETE_REQUEST: softcopy by email), free.
    assert (stored.information_form, stored.delivery_method, stored.fee_amount) == (
        "softcopy",
        "email",
        0,
    )
    assert stored.time_to_provide == "Terlampir bersama pemberitahuan ini"


async def test_complaint_buttons_from_verification_to_close(
    tg: TelegramHarness, desk: Desk
) -> None:
    case = await telegram_case(tg.services, 42, kind=CaseKind.COMPLAINT)
    admin = tg.officer(801, DESK_CHAT)
    card = await card_in(tg, admin, case.reference)
    assert labels(card) == [
        "🙋 Ambil",
        "➡️ Disposisi",
        "⏸ Tunda",
        "🗄 Arsipkan",
        "↪️ Bukan wewenang",
        "🔓 Detail",
    ]
    await admin.press("Disposisi", card)
    await until(tg, card, lambda m: "Unit dinkes" in labels(m))
    await admin.press("Unit dinkes", card)
    await until(tg, card, lambda m: "Terdisposisi" in m["text"])
    stored = await fetch(tg.services, case)
    assert stored.status == "disposed" and stored.verified_at is not None

    officer = tg.officer(502, UNIT_CHAT)
    unit_card = await card_in(tg, officer, case.reference)
    await officer.press("Proses", unit_card)
    await until(tg, unit_card, lambda m: "Status: Diproses" in m["text"])
    await officer.press("Tunda", unit_card)
    prompt = await officer.reply()
    await officer.send("Menunggu anggaran perbaikan", reply_to=prompt)
    await until(tg, unit_card, lambda m: "Ditunda" in m["text"])
    await officer.press("Lanjutkan", unit_card)
    await until(tg, unit_card, lambda m: "Status: Diproses" in m["text"])
    await officer.press("Tindak lanjut", unit_card)
    prompt = await officer.reply()
    await officer.send("Perbaikan dijadwalkan minggu depan", reply_to=prompt)
    await until(tg, unit_card, lambda m: "✅ Selesai" in labels(m))
    await officer.press("Selesai", unit_card)
    await until(tg, unit_card, lambda m: "Status: Selesai" in m["text"])
    stored = await fetch(tg.services, case)
    assert stored.status == "done" and stored.followup_text == "Perbaikan dijadwalkan minggu depan"


async def test_archive_and_not_our_authority(tg: TelegramHarness, desk: Desk) -> None:
    first = await telegram_case(tg.services, 42, kind=CaseKind.COMPLAINT, tag="a")
    admin = tg.officer(801, DESK_CHAT)
    card = await card_in(tg, admin, first.reference)
    await admin.press("Arsipkan", card)
    await admin.send("Laporan ganda", reply_to=await admin.reply())
    second = await telegram_case(tg.services, 43, kind=CaseKind.COMPLAINT, tag="b")
    card = await card_in(tg, admin, second.reference)
    await admin.press("Bukan wewenang", card)
    await admin.send("Balai Besar Pelaksanaan Jalan Nasional", reply_to=await admin.reply())
    assert (await fetch(tg.services, first)).status == "archived"
    stored = await fetch(tg.services, second)
    assert (stored.status, stored.forwarded_to) == (
        "not_our_authority",
        "Balai Besar Pelaksanaan Jalan Nasional",
    )


async def test_objection_answered_only_by_the_atasan(tg: TelegramHarness, desk: Desk) -> None:
    request = await refuse(tg.services, await telegram_case(tg.services, 42))
    siti = tg.citizen(42)
    await siti.send("/start")
    await siti.tap("Keberatan")
    await siti.tap(request.reference)
    await siti.tap("Ditolak")
    await siti.send("Anggaran adalah informasi terbuka")
    receipt = await siti.tap("Kirim")
    objection_ref = receipt["text"].split("nomor ")[1].split(".")[0]

    admin = tg.officer(801, DESK_CHAT)
    card = await card_in(tg, admin, objection_ref)
    assert "🏛 Tanggapi keberatan" in labels(card)
    await admin.press("Tanggapi keberatan", card)
    assert "Atasan PPID" in await admin.alert()
    atasan = tg.officer(701, DESK_CHAT)
    await atasan.press("Tanggapi keberatan", card)
    await until(tg, card, lambda m: "Menguatkan putusan PPID" in labels(m))
    await atasan.press("Menguatkan", card)
    prompt = await atasan.reply()
    await atasan.send("Pengecualian sudah diuji sesuai Pasal 17 huruf b", reply_to=prompt)
    async with tg.services.db.session() as session:
        objection = (await session.exec(select(Case).where(Case.kind == "objection"))).one()
        refused = (
            await session.exec(
                select(Event).where(Event.action == "permission_denied").order_by(col(Event.id))
            )
        ).all()
    assert (objection.status, objection.atasan_decision) == ("answered", "upheld")
    assert objection.atasan_name == "Petugas atasan"
    assert [e.data["attempted"] for e in refused] == ["answer"]


async def test_ask_to_complete_reaches_the_requester(tg: TelegramHarness, desk: Desk) -> None:
    fields = {"name": "Siti Aminah", "information_requested": "Laporan keuangan 2025"}
    case = await telegram_case(tg.services, 42, fields=fields)
    admin = tg.officer(801, DESK_CHAT)
    card = await card_in(tg, admin, case.reference)
    assert "Perlu dilengkapi" in card["text"] and "📝 Minta lengkapi" in labels(card)
    await admin.press("Minta lengkapi", card)
    assert "dikirim ke pemohon" in await admin.alert()
    await tg.dispatch()
    siti = tg.citizen(42)
    asked = [m for m in tg.api.messages(42) if "belum lengkap" in m.get("text", "")]
    assert asked and "Alamat" in asked[0]["text"] and "NIK" in asked[0]["text"]
    assert siti.chat_id == 42


async def test_show_details_privately_and_audited(tg: TelegramHarness, desk: Desk) -> None:
    case = await telegram_case(tg.services, 42)
    admin = tg.officer(801, DESK_CHAT)
    card = await card_in(tg, admin, case.reference)
    await admin.press("Detail", card)
    assert "chat pribadi" in await admin.alert()
    (private,) = await tg.api.wait_sent(1, chat_id=801)
    assert COMPLETE_REQUEST["nik"] in private["text"] and "Jl. Merdeka" in private["text"]
    assert all(COMPLETE_REQUEST["nik"] not in m.get("text", "") for m in tg.api.messages(DESK_CHAT))

    tg.api.blocked.add(601)
    utama = tg.officer(601, DESK_CHAT)
    await utama.press("Detail", card)
    assert "Start" in await utama.alert()
    async with tg.services.db.session() as session:
        events = (
            await session.exec(select(Event).where(Event.action == "personal_data_revealed"))
        ).all()
    assert len(events) == 2 and {e.data["via"] for e in events} == {"telegram"}


async def test_strangers_and_other_units_are_refused_politely(
    tg: TelegramHarness, desk: Desk
) -> None:
    case = await telegram_case(tg.services, 42)
    admin = tg.officer(801, DESK_CHAT)
    card = await card_in(tg, admin, case.reference)
    await admin.press("Disposisi", card)
    await until(tg, card, lambda m: "Unit dinkes" in labels(m))
    await admin.press("Unit dinkes", card)
    await until(tg, card, lambda m: "Sedang diproses" in m["text"])
    pelaksana = tg.officer(501, UNIT_CHAT)
    unit_card = await card_in(tg, pelaksana, case.reference)

    stranger = tg.officer(999, UNIT_CHAT)
    await stranger.press("Ambil", unit_card)
    assert "hanya untuk petugas yang terdaftar" in await stranger.alert()
    other_unit = tg.officer(desk.other_pelaksana, UNIT_CHAT)
    await other_unit.press("Putuskan", unit_card)
    assert "tidak mengizinkan" in await other_unit.alert()
    await other_unit.press("Detail", unit_card)
    assert "tidak mengizinkan" in await other_unit.alert()
    assert (await fetch(tg.services, case)).status == "in_progress"
    async with tg.services.db.session() as session:
        events = (
            await session.exec(
                select(Event).where(Event.action == "permission_denied").order_by(col(Event.id))
            )
        ).all()
    assert [(e.actor.split(":")[0], e.data["attempted"]) for e in events] == [
        ("telegram", "claim"),
        ("officer", "decide"),
        ("officer", "reveal"),
    ]
    assert tg.api.messages(desk.other_pelaksana) == []


async def test_a_pending_step_survives_a_restart(tg: TelegramHarness, desk: Desk) -> None:
    case = await telegram_case(tg.services, 42, kind=CaseKind.COMPLAINT)
    admin = tg.officer(801, DESK_CHAT)
    card = await card_in(tg, admin, case.reference)
    await admin.press("Tunda", card)
    prompt = await admin.reply()
    await tg.restart()
    done = await admin.send("Menunggu klarifikasi pelapor", reply_to=prompt)
    assert case.reference in done["text"]
    stored = await fetch(tg.services, case)
    assert (stored.status, stored.status_reason) == ("on_hold", "Menunggu klarifikasi pelapor")
