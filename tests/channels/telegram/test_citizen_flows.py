"""Complaints with evidence, /status, messages outside a flow, and objections, in chat."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from store.enums import CaseKind
from store.models import Attachment, Case, Message
from tests.channels.telegram.conftest import DESK_CHAT, TelegramHarness
from tests.channels.telegram.helpers import refuse, telegram_case


async def test_complaint_with_location_evidence_and_flags(tg: TelegramHarness) -> None:
    rudi = tg.citizen(61, first_name="Rudi")
    await rudi.send("/start")
    await rudi.tap("Pengaduan")
    short = await rudi.send("Jalan rusak")
    assert "terlalu singkat" in short["text"]
    await rudi.send("Jalan berlubang besar di depan pasar, sudah tiga bulan tidak diperbaiki")
    not_a_choice = await rudi.send("keluhan berat")
    assert "pilih salah satu tombol" in not_a_choice["text"]
    await rudi.tap("Pengaduan")
    too_short = await rudi.send("ab")
    assert "terlalu singkat" in too_short["text"]
    await rudi.send("Jalan")
    too_short = await rudi.send("Sini")
    assert "Lokasi terlalu singkat" in too_short["text"]
    await rudi.send_location(-6.1754, 106.8272)
    future = await rudi.send("31-12-2026")
    assert "belum terjadi" in future["text"]
    wrong = await rudi.send("kemarin lusa")
    assert "Tanggal tidak dikenali" in wrong["text"]
    evidence = await rudi.tap("Kemarin")
    assert "bukti" in evidence["text"]
    not_text = await rudi.send("ada fotonya")
    assert "Kirim foto atau dokumen" in not_text["text"]
    await rudi.send_photo(b"\xff\xd8jpeg-bytes")
    big = await rudi.send_file(b"x", filename="video.mp4", size=30 * 1024 * 1024)
    assert "terlalu besar" in big["text"]
    received = await rudi.send_file(b"%PDF bukti", filename="bukti.pdf")
    assert "Berkas diterima (2)" in received["text"]
    await rudi.tap("Selesai")
    unsure = await rudi.send("mungkin")
    assert "pilih salah satu tombol" in unsure["text"]
    await rudi.tap("Ya, anonim")
    summary = await rudi.send("tidak")  # typed answers to yes/no questions count too
    assert "2 berkas" in summary["text"] and "Minggu, 4 Januari 2026" in summary["text"]
    receipt = await rudi.tap("Kirim")
    assert "ADU/2026/000001" in receipt["text"]

    async with tg.services.db.session() as session:
        case = (await session.exec(select(Case))).one()
        files = (await session.exec(select(Attachment))).all()
    assert case.kind == CaseKind.COMPLAINT and case.anonymous and not case.confidential
    assert case.incident_date == dt.date(2026, 1, 4) and "-6.17540, 106.82720" in (
        case.location or ""
    )
    assert sorted(f.filename[:5] for f in files) == ["bukti", "foto-"]

    await tg.dispatch()
    card = await tg.officer(601, DESK_CHAT).reply()
    assert "ADU/2026/000001" in card["text"] and "Anonim" in card["text"]
    assert "Rudi" not in card["text"]


async def test_status_lists_only_own_cases(tg: TelegramHarness) -> None:
    mine = await telegram_case(tg.services, 42)
    await telegram_case(tg.services, 43, tag="other")
    siti = tg.citizen(42)
    status = await siti.send("/status")
    assert mine.reference in status["text"] and "PPID/2026/000002" not in status["text"]
    assert "Terdaftar" in status["text"] and "Pesan terakhir (dari Anda" in status["text"]
    nobody = await tg.citizen(44).send("/status")
    assert "Belum ada" in nobody["text"]


async def test_free_message_goes_to_the_open_case_and_its_officers(tg: TelegramHarness) -> None:
    case = await telegram_case(tg.services, 42)
    siti = tg.citizen(42)
    added = await siti.send("Mohon dipercepat, NIK saya 3171014501900001")
    assert case.reference in added["text"]
    await tg.dispatch()
    relay = None
    for message in tg.api.messages(DESK_CHAT):
        if "Pesan baru" in message["text"]:
            relay = message
    assert relay is not None and "3171********0001" in relay["text"]
    assert "3171014501900001" not in relay["text"]


async def test_free_message_with_several_cases_asks_which(tg: TelegramHarness) -> None:
    await telegram_case(tg.services, 42, tag="a")
    second = await telegram_case(tg.services, 42, kind=CaseKind.COMPLAINT, tag="b")
    siti = tg.citizen(42)
    which = await siti.send_file(b"%PDF tambahan", filename="tambahan.pdf", caption="Tambahan")
    assert "yang mana" in which["text"]
    added = await siti.tap(second.reference)
    assert second.reference in added["text"]
    async with tg.services.db.session() as session:
        message = (await session.exec(select(Message).where(Message.external_id == "42:1"))).one()
        (attachment,) = (await session.exec(select(Attachment))).all()
    assert message.case_id == second.id and message.text == "Tambahan"
    assert attachment.case_id == second.id
    await tg.dispatch()
    (relay,) = [m for m in tg.api.messages(DESK_CHAT) if "Pesan baru" in m.get("text", "")]
    assert "1 lampiran" in relay["text"] and "Detail" in str(relay["reply_markup"])
    assert all("document" not in m for m in tg.api.messages(DESK_CHAT))  # files stay private


async def test_no_open_case_offers_the_menu(tg: TelegramHarness) -> None:
    answer = await tg.citizen(42).send("halo")
    assert "belum punya permohonan" in answer["text"]


async def test_objection_on_a_refused_request(tg: TelegramHarness) -> None:
    case = await refuse(tg.services, await telegram_case(tg.services, 42))
    siti = tg.citizen(42)
    status = await siti.send("/status")
    assert "Ajukan keberatan" in status["text"] or "keberatan" in str(status["reply_markup"])
    await siti.send("/start")
    await siti.tap("Keberatan")
    grounds = await siti.tap(case.reference)
    assert "a. Permohonan ditolak" in grounds["text"] and "c. " not in grounds["text"]
    await siti.tap("Ditolak")
    short = await siti.send("tidak")
    assert "terlalu singkat" in short["text"]
    summary = await siti.send("Informasi anggaran seharusnya terbuka untuk publik")
    assert case.reference in summary["text"]
    receipt = await siti.tap("Kirim")
    assert "KEB/2026/000001" in receipt["text"] and "Atasan PPID" in receipt["text"]
    async with tg.services.db.session() as session:
        objection = (await session.exec(select(Case).where(Case.kind == CaseKind.OBJECTION))).one()
    assert objection.parent_case_id == case.id and objection.objection_ground == "a"


async def test_no_objection_without_a_ground(tg: TelegramHarness) -> None:
    await telegram_case(tg.services, 42)
    siti = tg.citizen(42)
    await siti.send("/start")
    answer = await siti.tap("Keberatan")
    assert "belum ada permohonan Anda yang dapat diajukan keberatan" in answer["text"]
