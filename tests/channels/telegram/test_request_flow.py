"""A citizen files a complete information request in chat: invalid input at every step, the
summary, editing, cancelling, the 12-step acceptance count, and a restart mid-flow."""

from __future__ import annotations

from sqlmodel import select

from bot.services import Services
from store.enums import CaseKind, Channel, ContactKind
from store.models import Case, Contact, Requester
from tests.channels.telegram.conftest import Person, TelegramHarness
from tests.support.builders import VALID_NIK


async def test_request_in_at_most_12_messages_or_taps(tg: TelegramHarness) -> None:
    siti = tg.citizen()
    menu = await siti.send("/start")
    assert "Selamat datang" in menu["text"]
    await siti.tap("Permohonan Informasi")
    await siti.send("Siti Aminah")
    await siti.send(VALID_NIK)
    await siti.send("Jl. Merdeka No. 1, Gambir, Jakarta Pusat")
    await siti.send("siti@example.id")
    await siti.send("Laporan realisasi anggaran dinas tahun 2025")
    await siti.send("Penelitian skripsi")
    await siti.tap("softcopy")
    summary = await siti.tap("Email")
    assert "Mohon periksa permohonan Anda" in summary["text"]
    receipt = await siti.tap("Kirim")
    assert siti.actions == 11  # /start, menu, 6 typed answers, 2 taps, submit: within 12
    assert "PPID/2026/000001" in receipt["text"]
    assert "tanda bukti" in receipt["text"]
    assert "Selasa, 20 Januari 2026" in receipt["text"]  # 10 working days (16 Jan is Isra Mi'raj)
    follow = await siti.reply()
    assert "/status" in follow["text"]

    async with tg.services.db.session() as session:
        case = (await session.exec(select(Case))).one()
        requester = await session.get(Requester, case.requester_id)
        contacts = (await session.exec(select(Contact))).all()
    assert (case.kind, case.channel, case.status) == (
        CaseKind.INFORMATION_REQUEST,
        Channel.TELEGRAM,
        "registered",
    )
    assert case.obtain_method == "salinan_softcopy" and case.delivery_method == "email"
    assert requester is not None and requester.nik == VALID_NIK
    assert {(c.kind, c.value) for c in contacts} == {
        (ContactKind.TELEGRAM, "42"),
        (ContactKind.EMAIL, "siti@example.id"),
    }


async def expect_error(person: Person, text: str, fragment: str) -> None:
    answer = await person.send(text)
    assert fragment in answer["text"], answer["text"]


async def test_invalid_input_at_every_step_then_edit_and_submit(tg: TelegramHarness) -> None:
    budi = tg.citizen(77, first_name="Budi")
    await budi.send("/start")
    await budi.tap("Permohonan Informasi")
    await expect_error(budi, "B2", "Nama belum sesuai")
    await budi.send("Budi Santoso")
    await expect_error(budi, "12345", "NIK harus 16 angka")
    await expect_error(budi, "9971014501900001", "kode provinsi")
    await expect_error(budi, "3171019901900001", "tanggal lahir")
    await budi.send("3171011201900001")
    await expect_error(budi, "Jl. A", "terlalu singkat")
    await budi.send("Jl. Sudirman 5, Jakarta Selatan")
    await expect_error(budi, "12", "Nomor telepon tidak dikenali")
    await expect_error(budi, "budi@", "Alamat email tidak valid")
    prompt = await budi.send("0812-3456-7890")
    assert "Langkah 5 dari 8" in prompt["text"]
    await expect_error(budi, "data", "terlalu singkat")
    await budi.send("Data jumlah puskesmas per kecamatan 2025")
    await budi.send("Tugas kuliah")
    await expect_error(budi, "lewat pos merpati", "pilih salah satu tombol")
    await budi.tap("Mencatat")
    await expect_error(budi, "drone", "pilih salah satu tombol")
    summary = await budi.send("2")  # typed choice number: kurir
    assert "Kurir" in summary["text"] and "+6281234567890" in summary["text"]

    await expect_error(budi, "kirim dong", "tekan salah satu tombol")
    await budi.tap("✏️ Cara pengiriman")
    ask_email = await budi.tap("Email")  # email delivery needs an address first
    assert "Ke alamat email mana" in ask_email["text"]
    summary = await budi.send("budi@example.id")
    assert "budi@example.id" in summary["text"]
    await budi.tap("✏️ Mewakili")
    summary = await budi.send("PT Maju Jaya")
    assert "PT Maju Jaya" in summary["text"]
    await budi.tap("✏️ Lampiran")
    received = await budi.send_file(b"%PDF kuasa", filename="kuasa.pdf")
    assert "Berkas diterima (1)" in received["text"]
    summary = await budi.tap("Selesai")
    assert "1 berkas" in summary["text"]
    receipt = await budi.tap("Kirim")
    assert "PPID/2026/000001" in receipt["text"]

    async with tg.services.db.session() as session:
        case = (await session.exec(select(Case))).one()
    assert case.acting_for == "PT Maju Jaya" and case.delivery_method == "email"


async def test_cancel_and_stale_buttons(tg: TelegramHarness) -> None:
    siti = tg.citizen()
    await siti.send("/start")
    await siti.tap("Permohonan Informasi")
    for text in (
        "Siti Aminah",
        VALID_NIK,
        "Jl. Merdeka No. 1, Jakarta",
        "0812 3456 7890",
        "Laporan realisasi anggaran 2025",
    ):
        await siti.send(text)
    obtain_question = await siti.send("Penelitian")
    delivery_question = await siti.send("1")  # typed instead of tapped: its buttons stay
    await siti.press("Mencatat", obtain_question)
    assert "tidak berlaku" in await siti.alert()
    cancelled = await siti.tap("Batal", delivery_question)
    assert "dibatalkan" in cancelled["text"].lower()
    async with tg.services.db.session() as session:
        assert (await session.exec(select(Case))).all() == []


async def test_restart_mid_flow_continues(tg: TelegramHarness) -> None:
    siti = tg.citizen()
    await siti.send("/start")
    await siti.tap("Permohonan Informasi")
    await siti.send("Siti Aminah")
    await siti.send(VALID_NIK)
    await tg.restart()
    prompt = await siti.send("Jl. Merdeka No. 1, Gambir, Jakarta Pusat")
    assert "Langkah 4 dari 8" in prompt["text"]
    for text in ("0812 3456 7890", "Laporan realisasi anggaran 2025", "Penelitian"):
        await siti.send(text)
    await siti.tap("Melihat")
    await tg.restart()
    summary = await siti.tap("Ambil langsung")
    assert "Siti Aminah" in summary["text"] and VALID_NIK in summary["text"]
    receipt = await siti.tap("Kirim")
    assert "PPID/2026/000001" in receipt["text"]


async def test_english_from_telegram_language(tg: TelegramHarness, tg_services: Services) -> None:
    john = tg.citizen(55, first_name="John", language_code="en-GB")
    menu = await john.send("/start")
    assert "Welcome" in menu["text"]
    await john.press("Bahasa Indonesia")
    await tg.api.wait_until(lambda: tg.api.messages(55)[0]["text"].startswith("Selamat datang"))
