"""Files a citizen sends on the way: kept with an objection they come with (a voice note, a
photo, a captioned document), and removable from a request or complaint before submitting
(a KTP photo sent instead of the NIK)."""

from __future__ import annotations

from sqlmodel import select

from store.enums import CaseKind
from store.models import Attachment, Case
from tests.channels.telegram.conftest import Person, TelegramHarness
from tests.channels.telegram.helpers import refuse, telegram_case
from tests.channels.telegram.test_newcomer_journeys import (
    check,
    draft_of,
    labels,
    push_voice,
)
from tests.support.builders import VALID_NIK


async def _files_of(tg: TelegramHarness, case_id: int | None = None) -> list[Attachment]:
    async with tg.services.db.session() as session:
        stmt = select(Attachment)
        if case_id is not None:
            stmt = stmt.where(Attachment.case_id == case_id)
        return list((await session.exec(stmt.order_by(Attachment.id))).all())  # type: ignore[arg-type]


async def _objection(tg: TelegramHarness, case_id: int) -> Case:
    async with tg.services.db.session() as session:
        stmt = select(Case).where(Case.parent_case_id == case_id)
        return (await session.exec(stmt)).one()


async def _to_reason(tg: TelegramHarness, person: Person, ground: str) -> Case:
    """A refused request of `person`, and the objection flow up to the reason question."""
    case = await refuse(tg.services, await telegram_case(tg.services, person.chat_id))
    await person.send("/start")
    await person.tap("⚖️")
    await person.tap(case.reference)
    await person.tap(ground)
    return case


async def test_objection_keeps_a_voice_note_and_a_captioned_document(tg: TelegramHarness) -> None:
    siti = tg.citizen(81)
    case = await _to_reason(tg, siti, "Ditolak")
    # a voice note alone: kept, and the written reason still asked for
    kept = check(await push_voice(tg, siti), "id", "kami simpan", "1 berkas", "Jelaskan alasan")
    assert "paling sedikit 10 huruf" in kept
    # a document whose caption is the reason: kept, and the caption counts as the reason
    summary = check(
        await siti.send_file(
            b"%PDF-1.4 surat", filename="surat.pdf", caption="Data anggaran wajib terbuka"
        ),
        "id",
        "Mohon periksa keberatan",
        "Data anggaran wajib terbuka",
        "Lampiran: 2 berkas",
    )
    assert "Kirim" in summary
    check(await siti.tap("Kirim"), "id", "KEB/2026/000001")
    objection = await _objection(tg, case.id)  # type: ignore[arg-type]
    files = await _files_of(tg, objection.id)
    assert [f.content_type for f in files] == ["audio/ogg", "application/pdf"]
    assert files[1].filename == "surat.pdf"
    assert tg.services.blobs.get(files[1].sha256) == b"%PDF-1.4 surat"
    assert objection.objection_reason == "Data anggaran wajib terbuka"
    assert len(await _files_of(tg)) == 2 and (await draft_of(tg, 81)).flow is None  # type: ignore[union-attr]


async def test_objection_keeps_photos_sent_with_a_short_caption_or_on_the_summary(
    tg: TelegramHarness,
) -> None:
    john = tg.citizen(82, first_name="John", language_code="en")
    case = await _to_reason(tg, john, "Refused")
    kept = check(await john.send_photo(b"\xff\xd8 letter", caption="see"), "en", "kept your file")
    assert "at least 10 characters" in kept and "Explain your objection" in kept
    summary = check(await john.send("The budget must be public under UU KIP"), "en")
    assert "Attachments: 1 file(s)" in summary
    # one more photo on the summary: kept too, and the summary shown again
    again = check(await john.send_photo(b"\xff\xd8 page 2"), "en", "kept your file")
    assert "Please check your objection" in again and "Attachments: 2 file(s)" in again
    check(await john.tap("Submit"), "en", "KEB/2026/000001")
    objection = await _objection(tg, case.id)  # type: ignore[arg-type]
    files = await _files_of(tg, objection.id)
    assert [tg.services.blobs.get(f.sha256) for f in files] == [
        b"\xff\xd8 letter",
        b"\xff\xd8 page 2",
    ]


async def test_a_ktp_photo_sent_by_mistake_is_removed_before_submitting(
    tg: TelegramHarness,
) -> None:
    ani = tg.citizen(83, first_name="Ani")
    await ani.send("/start")
    await ani.tap("Permohonan Informasi")
    await ani.send("Ani Rahmawati")
    check(await ani.send_photo(b"\xff\xd8 ktp"), "id", "kami simpan", "✏️ Lampiran", "NIK")
    await ani.send(VALID_NIK)
    await ani.send("Jl. Melati 3, Cempaka Putih, Jakarta")
    await ani.send("0812 3456 789")
    await ani.send("Daftar penerima bantuan sosial 2025 di kelurahan")
    await ani.send("Pengawasan warga")
    await ani.tap("Melihat")
    check(await ani.tap("Ambil langsung"), "id", "Mohon periksa", "Lampiran: 1 berkas")
    listing = check(await ani.tap("✏️ Lampiran"), "id", "sudah terlampir", "foto-")
    assert "🗑 Hapus semua lampiran" in labels(ani.last or {})
    removed = check(await ani.tap("Hapus semua"), "id", "sudah dihapus", "dokumen pendukung")
    assert "🗑 Hapus semua lampiran" not in labels(ani.last or {}) and "foto-" not in removed
    assert listing != removed
    check(await ani.tap("Selesai"), "id", "Mohon periksa", "Lampiran: 0 berkas")
    check(await ani.tap("Kirim"), "id", "PPID/2026/000001")
    assert await _files_of(tg) == []


async def test_complaint_evidence_can_be_removed_and_sent_again(tg: TelegramHarness) -> None:
    mary = tg.citizen(84, first_name="Mary", language_code="en")
    await mary.send("/start")
    await mary.tap("Complaint")
    await mary.send("The street light has been broken for a month in our alley")
    await mary.tap("Complaint")
    await mary.send("Street lighting")
    await mary.send("Gang Mawar 3, Jakarta Pusat")
    check(await mary.tap("Today"), "en", "evidence", "Skip")
    check(await mary.send_photo(b"\xff\xd8 selfie"), "en", "File received (1)")
    assert "🗑 Remove all attachments" in labels(mary.last or {})
    check(await mary.tap("Remove all"), "en", "have been removed", "evidence", "Skip")
    check(await mary.send_photo(b"\xff\xd8 lamp"), "en", "File received (1)")
    await mary.tap("Done")
    await mary.tap("No")
    check(await mary.tap("No"), "en", "Please check your complaint", "1 file(s)")
    await mary.tap("Submit")
    files = await _files_of(tg)
    assert [tg.services.blobs.get(f.sha256) for f in files] == [b"\xff\xd8 lamp"]
    assert files[0].case_id is not None
    async with tg.services.db.session() as session:
        case = await session.get(Case, files[0].case_id)
    assert case is not None and case.kind == CaseKind.COMPLAINT
