"""Newcomers who only read the bot's prompts: an English speaker from request to objection, an
Indonesian citizen making every usual mistake, people asking for help, an anonymous complaint
with a shared location, a stranger trying officers' commands and an officer's slips.

Every answer must be a polite prompt in the person's language that says what to do next, and
nothing the person sent may be lost.
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import select

from bot.services import Services
from channels.telegram.handlers import status
from sandbox.telegram_api.server import buttons_of
from store.enums import CaseKind, Direction
from store.models import Attachment, Case, Message, TelegramDraft
from tests.channels.telegram.conftest import DESK_CHAT, Person, TelegramHarness
from tests.channels.telegram.helpers import Desk, fetch, make_desk, refuse, telegram_case
from tests.support.builders import VALID_NIK

# Words that give away the other language in a sentence meant for this one.
FOREIGN = {
    "id": ("Please", "Sorry", " your ", " the ", "Thank you"),
    "en": ("Mohon", "Silakan", "Anda", "Maaf", "Terima kasih", " dan ", " yang "),
}
FAILURE = ("Traceback", "gangguan di sistem", "something went wrong", "Error", "{")


def check(message: dict[str, Any], lang: str, *fragments: str) -> str:
    """The message's text, after asserting it is a clean prompt in `lang` with `fragments`."""
    text = message.get("text") or message.get("caption") or ""
    assert text.strip(), message
    for bad in (*FAILURE, *FOREIGN[lang]):
        assert bad not in text, f"{bad!r} in {text!r}"
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    return text


async def push_voice(tg: TelegramHarness, person: Person) -> dict[str, Any]:
    """The person records a voice note; return the bot's answer."""
    f = tg.api.world.add_file(b"OggS voice", kind="voice", ext=".ogg")
    voice = {"file_id": f.file_id, "file_unique_id": f.unique_id, "duration": 3,
             "mime_type": "audio/ogg", "file_size": f.size}  # fmt: skip
    person.actions += 1
    await tg.api.push_message(voice=voice, **person._who())
    return await person.reply()


async def push_sticker(tg: TelegramHarness, person: Person) -> dict[str, Any]:
    """The person sends a sticker; return the bot's answer."""
    sticker = {"file_id": "sticker-1", "file_unique_id": "s1", "type": "regular",
               "width": 512, "height": 512, "is_animated": False, "is_video": False}  # fmt: skip
    person.actions += 1
    await tg.api.push_message(sticker=sticker, **person._who())
    return await person.reply()


async def draft_of(tg: TelegramHarness, chat_id: int) -> TelegramDraft | None:
    async with tg.services.db.session() as session:
        stmt = select(TelegramDraft).where(TelegramDraft.chat_id == chat_id)
        return (await session.exec(stmt)).first()


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in buttons_of(message) for b in row]


@pytest_asyncio.fixture
async def desk(tg_services: Services) -> Desk:
    """The body's staff."""
    return await make_desk(tg_services)


async def test_english_request_status_and_objection(tg: TelegramHarness) -> None:
    john = tg.citizen(71, first_name="John", language_code="en")
    check(await john.send("/start"), "en", "Welcome", "choose a service")
    assert "📄 Information request" in labels(john.last or {})
    check(await john.tap("Information request"), "en", "one at a time", "full name")
    check(await john.send("J"), "en", "name does not look right", "full name")
    check(await john.send("John Smith"), "en", "NIK")
    check(await john.send("12345"), "en", "16 digits", "NIK")
    check(await john.send(VALID_NIK), "en", "address")
    check(await john.send("Jl. Kemang Raya 10, Jakarta Selatan"), "en", "mobile number or email")
    check(await john.send("john@"), "en", "email address is not valid", "mobile number or email")
    check(await john.send("john@example.org"), "en", "What information")
    check(await john.send("Budget realisation report 2025"), "en", "use this information")
    check(await john.send("Research"), "en", "obtain")
    check(await john.send("by pigeon"), "en", "choose one of the buttons", "obtain")
    check(await john.tap("Soft copy"), "en", "reach you")
    summary = check(await john.tap("Email"), "en", "Please check your request", "Submit")
    assert "john@example.org" in summary and "Soft copy" in summary
    receipt = check(await john.tap("Submit"), "en", "PPID/2026/000001", "Tuesday, 20 January 2026")
    assert "proof" in receipt
    check(await john.reply(), "en", "/status")

    status = check(await john.send("/status"), "en", "PPID/2026/000001", "Registered")
    assert "Tuesday, 20 January 2026" in status and "from you, Monday, 5 January 2026" in status
    assert "Object" not in str(labels(john.last or {}))

    case = await refuse(tg.services, await fetch(tg.services, await _only_case(tg)))
    await tg.dispatch()
    for notice in tg.api.unread(71):
        check(notice, "en")
    status = check(await john.send("/status"), "en", "Decided")
    grounds = check(await john.tap("Object"), "en", "ground of your objection", case.reference)
    assert "a. The request was refused" in grounds
    check(await john.tap("Refused"), "en", "Explain your objection")
    check(await john.send("no"), "en", "too short", "Explain your objection")
    check(await john.send("Budget data must be public under UU KIP"), "en", "Please check")
    registered = check(await john.tap("Submit"), "en", "KEB/2026/000001", "proof")
    assert "2026" in registered and any(d in registered for d in ("day,", "Monday", "Friday"))


async def _only_case(tg: TelegramHarness) -> Case:
    async with tg.services.db.session() as session:
        return (await session.exec(select(Case))).one()


async def test_indonesian_citizen_making_the_usual_mistakes(tg: TelegramHarness) -> None:
    ani = tg.citizen(72, first_name="Ani")
    welcome = check(await ani.send("/start"), "id", "Selamat datang") and ani.last
    check(await ani.tap("Permohonan Informasi"), "id", "nama lengkap")
    check(await ani.send("Ani Rahmawati"), "id", "NIK")
    # a photo of the KTP instead of the number: kept, and the number is asked for again
    kept = check(await ani.send_photo(b"\xff\xd8 ktp"), "id", "NIK", "kami simpan")
    assert "16 angka" in kept
    check(await ani.send("317101450190000"), "id", "NIK harus 16 angka")
    check(await ani.send("3171 0145 0190 0001"), "id", "Alamat")
    check(await ani.send("Jl. Melati 3, Cempaka Putih, Jakarta"), "id", "Nomor HP atau")
    check(await ani.send("ani@"), "id", "Alamat email tidak valid")
    check(await ani.send("ani.gmail.com"), "id", "Alamat email tidak valid")
    check(await ani.send("0812 3456 789"), "id", "Informasi apa")
    # voice notes and stickers: kept or answered, never silence
    check(await push_voice(tg, ani), "id", "tulisan", "Informasi apa")
    check(await push_sticker(tg, ani), "id", "tulisan", "Informasi apa")
    check(await ani.send("Daftar penerima bantuan sosial 2025 di kelurahan"), "id", "Untuk apa")
    check(await ani.send("Pengawasan warga"), "id", "memperoleh")
    old = ani.last
    check(await ani.send("mau lihat saja dong"), "id", "pilih salah satu tombol", "memperoleh")
    check(await ani.send("softcopy"), "id", "dikirim")  # a word of a button counts
    await ani.press("Melihat", old)  # an old question's button
    check({"text": await ani.alert()}, "id", "tidak berlaku", "pesan terakhir")
    # /start in the middle: nothing is lost, the question comes back
    resumed = check(await ani.send("/start"), "id", "masih tersimpan", "dikirim")
    assert "/batal" in resumed
    # ... and so does an old menu's button
    check(await ani.tap("Pengaduan", welcome), "id", "permohonan informasi", "masih tersimpan")
    # idle, then the bot restarts; the citizen comes back and goes on
    await tg.restart()
    summary = check(await ani.tap("Email"), "id", "Ke alamat email")
    summary = check(await ani.send("ani@contoh.id"), "id", "Mohon periksa", "2 berkas")
    assert "+628123456789" in summary and "ani@contoh.id" in summary
    assert "3171014501900001" in summary and "Salinan softcopy" in summary
    check(await ani.send("sudah benar"), "id", "tekan salah satu tombol")
    receipt = check(await ani.tap("Kirim"), "id", "PPID/2026/000001")
    assert "Selasa, 20 Januari 2026" in receipt
    check(await ani.reply(), "id", "/status")
    async with tg.services.db.session() as session:
        kept = (await session.exec(select(Attachment))).all()
    assert sorted(f.content_type for f in kept) == ["audio/ogg", "image/jpeg"]

    # after submitting: a voice note is kept on the case, a sticker is answered
    check(await push_voice(tg, ani), "id", "PPID/2026/000001", "kami catat")
    check(await push_sticker(tg, ani), "id", "stiker", "Tulis pesan Anda")
    async with tg.services.db.session() as session:
        files = (await session.exec(select(Attachment))).all()
        messages = (await session.exec(select(Message))).all()
    assert len(files) == 3  # the KTP photo, the voice note in the form, the one after
    assert len([m for m in messages if m.direction == Direction.INBOUND]) == 2  # no sticker message


async def test_a_citizen_asking_for_help(
    tg: TelegramHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    dewi = tg.citizen(73, first_name="Dewi")
    check(await dewi.send("/bantuan"), "id", "Cara menggunakan", "/batal")
    assert "📄 Permohonan Informasi" in labels(dewi.last or {})
    check(await dewi.send("halo"), "id", "Silakan pilih layanan", "/bantuan")
    check(await dewi.send("?"), "id", "Silakan pilih layanan")
    check(await push_sticker(tg, dewi), "id", "Silakan pilih layanan")
    check(await dewi.tap("Bantuan"), "id", "Cara menggunakan")
    mary = tg.citizen(74, first_name="Mary", language_code="en")
    check(await mary.send("/help"), "en", "How to use", "/cancel")
    check(await mary.send("hello"), "en", "choose a service", "/help")
    # the language switch sticks for every later answer
    help_message = dewi.last or {}
    await dewi.press("English")
    await tg.api.wait_until(lambda: "Welcome" in tg.api.current(help_message)["text"])
    check(tg.api.current(help_message), "en", "Welcome")
    check(await dewi.send("?"), "en", "choose a service")

    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(status, "status_list", broken)
    sorry = await dewi.send("/status")  # an unexpected failure: an apology in her language
    assert "Sorry, something went wrong" in sorry["text"] and "Traceback" not in sorry["text"]


async def test_anonymous_complaint_with_a_shared_location(tg: TelegramHarness) -> None:
    eko = tg.citizen(75, first_name="Eko")
    await eko.send("/start")
    check(await eko.tap("Pengaduan"), "id", "Ceritakan")
    # a location shared before it is asked is kept as the answer to the location step
    check(await eko.send_location(-6.17541, 106.82719), "id", "Lokasi", "disimpan", "Ceritakan")
    check(await eko.send("Lampu jalan mati sebulan di gang kami, rawan kejahatan"), "id", "jenis")
    check(await eko.tap("Pengaduan"), "id", "bidang")
    check(await eko.send("Penerangan jalan"), "id", "Kapan")
    check(await eko.tap("Hari ini"), "id", "bukti", "Lewati")
    check(await eko.tap("Lewati"), "id", "Anonim")
    check(await eko.tap("Ya, anonim"), "id", "rahasia")
    summary = check(await eko.tap("Tidak"), "id", "Mohon periksa pengaduan")
    assert "Senin, 5 Januari 2026" in summary and "Anonim: Ya" in summary
    receipt = check(await eko.tap("Kirim"), "id", "ADU/2026/000001")
    assert "2026" in receipt
    case = await _only_case(tg)
    assert case.anonymous and "-6.17541, 106.82719" in (case.location or "")
    await tg.dispatch()
    card = tg.api.messages(DESK_CHAT)[-1]
    assert "Eko" not in card["text"] and "Anonim" in card["text"]


async def test_a_stranger_trying_officers_commands(tg: TelegramHarness, desk: Desk) -> None:
    case = await telegram_case(tg.services, 42)
    for chat in (None, DESK_CHAT):
        stranger = tg.officer(990, chat)
        for command in (
            f"/kasus {case.reference}",
            f"/balas {case.reference} halo",
            f"/putus {case.reference} diberikan",
            "/daftar",
            "/catat",
        ):
            check(await stranger.send(command), "id", "hanya untuk petugas")
    english = tg.officer(991, language_code="en")
    check(await english.send("/daftar"), "en", "only for registered officers")


async def test_an_officers_slips(tg: TelegramHarness, desk: Desk) -> None:
    case = await telegram_case(tg.services, 42)
    admin = tg.officer(801, DESK_CHAT)
    listing = check(await admin.send("/daftar"), "id", case.reference, "Kasus terbuka")
    assert "Selasa, 20 Januari 2026" in listing or "20 Jan" in listing
    check(await admin.send(f"/kasus {case.reference.lower()}"), "id", case.reference)
    check(await admin.send(f"/balas {case.reference}"), "id", "Cara pakai", "/balas")
    check(await admin.send(f"/balas {case.reference.lower()}"), "id", "Cara pakai")
    bad = check(await admin.send(f"/putus {case.reference} ditolak z uji"), "id", "Pasal 17")
    assert "a sampai j" in bad
    check(await admin.send(f"/putus {case.reference} ditolak"), "id", "Pasal 17")
    check(await admin.send(f"/putus {case.reference} entahlah"), "id", "Cara pakai")
    assert (await fetch(tg.services, case)).status == "registered"
    ok = check(await admin.send(f"/putus {case.reference} ditolak b Membahayakan penyidikan"), "id")
    assert case.reference in ok
    assert (await fetch(tg.services, case)).kind == CaseKind.INFORMATION_REQUEST
