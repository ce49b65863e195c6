"""Each letter renders to a PDF whose text carries every field the notice must carry
(domain.md §2-3), in the citizen's language, with letterhead, number, signature and code."""

from __future__ import annotations

from typing import Any

import pytest

from app.settings import Settings
from bot.cases.opening import open_objection
from bot.errors import DomainError
from bot.letters.codes import parse_code
from bot.letters.render import issue_letter, letter_pdf
from bot.services import Services
from bot.workflow import objections, requests
from store.models import Case
from tests.bot.workflow.helpers import open_complaint, open_request, step, wib
from tests.support.pdf import pdf_text

LETTERHEAD = {
    "body_parent": "Pemerintah Kota Contoh",
    "body_name": "PPID Kota Contoh",
    "body_address": "Jl. Veteran No. 2, Kota Contoh",
    "body_city": "Kota Contoh",
    "ppid_signatory_name": "Siti Rahmawati, S.Sos.",
    "ppid_signatory_nip": "198001012005012001",
    "atasan_signatory_name": "Drs. Budi Santoso",
    "atasan_signatory_position": "Sekretaris Daerah",
    "atasan_signatory_nip": "196805051990031002",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings with a full letterhead and both signatories."""
    return settings.model_copy(update=LETTERHEAD)


async def _text(services: Services, case: Case, kind: str) -> tuple[str, str]:
    async with services.db.session() as session:
        fresh = await session.get(Case, case.id)
        assert fresh is not None
        letter = await issue_letter(session, fresh, kind, services.settings)
    pdf = await letter_pdf(letter)
    assert pdf.startswith(b"%PDF")
    return pdf_text(pdf), letter.code


def _assert_common(text: str, code: str, signer: str = "Siti Rahmawati, S.Sos.") -> None:
    for expected in ("PEMERINTAH KOTA CONTOH", "PPID KOTA CONTOH", "Jl. Veteran No. 2", signer):
        assert expected in text
    assert code in text
    assert parse_code(code) is not None


async def _decided(services: Services, **kwargs: Any) -> Case:
    case = await open_request(services, "2026-01-05")
    async with step(services, case, wib("2026-01-09")) as (s, c, rules, now):
        await requests.decide(s, c, rules=rules, actor="t", now=now, **kwargs)
    return case


async def test_proof_of_request_carries_the_request_and_the_due_date(services: Services) -> None:
    case = await open_request(services, "2026-01-05", address="Jl. Kenanga <b>5</b>")
    text, code = await _text(services, case, "request_receipt")
    _assert_common(text, code, "NIP. 198001012005012001")
    for expected in (
        "TANDA BUKTI PERMOHONAN INFORMASI PUBLIK",
        f"Nomor: {case.reference}/TBP",
        case.reference,
        "5 Januari 2026",
        "Siti Aminah",
        "Jl. Kenanga <b>5</b>",  # escaped, so shown as typed
        "Laporan realisasi anggaran 2025",
        "Penelitian skripsi",
        "Mendapatkan salinan informasi (softcopy)",
        "Email",
        "20 Januari 2026",  # 10 working days after 5 January (16 January is a holiday)
        "Kota Contoh, 5 Januari 2026",
    ):
        assert expected in text, expected


async def test_written_notice_of_a_grant_names_form_fee_time_and_delivery(
    services: Services,
) -> None:
    case = await _decided(
        services,
        decision="granted_partial",
        redaction_note="Nomor rekening pihak ketiga dihitamkan (Pasal 17 huruf h)",
        information_form="softcopy",
        fee_amount=0,
        time_to_provide="3 hari kerja",
    )
    text, code = await _text(services, case, "notice")
    _assert_common(text, code)
    for expected in (
        "PEMBERITAHUAN TERTULIS",
        case.reference,
        "Siti Aminah",
        "Informasi dapat diberikan sebagian",
        "Softcopy (salinan elektronik)",
        "Rp0",
        "3 hari kerja",
        "Email",
        "Nomor rekening pihak ketiga dihitamkan",
        "Salinan elektronik (softcopy) tidak dikenakan biaya.",
        "Atasan PPID",
        "Kota Contoh, 9 Januari 2026",
    ):
        assert expected in text, expected


async def test_written_notice_of_a_refusal_explains_the_ground_and_the_consequence_test(
    services: Services,
) -> None:
    case = await _decided(
        services,
        decision="refused",
        refusal_ground="h",
        consequence_test="Data kesehatan pasien; membukanya merugikan pasien lebih besar.",
    )
    text, code = await _text(services, case, "notice")
    _assert_common(text, code)
    for expected in (
        "ditolak",
        "Pasal 17 huruf h",
        "rahasia pribadi",
        "Data kesehatan pasien; membukanya merugikan pasien lebih besar.",
        "PERMOHONAN INFORMASI DITOLAK",
        "keberatan",
    ):
        assert expected in text, expected


async def test_written_notice_of_not_held_names_the_holder(services: Services) -> None:
    case = await _decided(services, decision="not_held", holder_body="BPS Provinsi")
    text, _ = await _text(services, case, "notice")
    assert "belum dikuasai" in text and "BPS Provinsi" in text


async def test_written_notice_in_english_for_an_english_requester(services: Services) -> None:
    case = await open_request(services, "2026-01-05")
    async with step(services, case, wib("2026-01-09")) as (s, c, rules, now):
        c.language = "en"
        await requests.decide(
            s,
            c,
            decision="granted_full",
            rules=rules,
            actor="t",
            now=now,
            information_form="hardcopy",
            fee_amount=25000,
            time_to_provide="5 working days",
        )
    text, _ = await _text(services, case, "notice")
    for expected in (
        "PEMBERITAHUAN TERTULIS",
        "Written notice",
        "granted in full",
        "Hardcopy (printed copy)",
        "Rp25.000",
        "5 working days",
        "9 January 2026",
    ):
        assert expected in text, expected


async def test_extension_notice_gives_both_deadlines_and_the_reason(services: Services) -> None:
    case = await open_request(services, "2026-01-05")
    async with step(services, case, wib("2026-01-12")) as (s, c, rules, now):
        await requests.extend(
            s, c, reason="Dokumen berada di arsip dinas lain", rules=rules, actor="t", now=now
        )
    text, code = await _text(services, case, "extension")
    _assert_common(text, code)
    for expected in (
        "PEMBERITAHUAN PERPANJANGAN JANGKA WAKTU",
        case.reference,
        "20 Januari 2026",
        "7 hari kerja",
        "29 Januari 2026",
        "Dokumen berada di arsip dinas lain",
        "Kota Contoh, 12 Januari 2026",
    ):
        assert expected in text, expected


async def _objection(services: Services) -> tuple[Case, Case]:
    request = await _decided(
        services, decision="refused", refusal_ground="h", consequence_test="Data pribadi."
    )
    async with step(services, request, wib("2026-01-12")) as (s, c, rules, now):
        objection = await open_objection(
            s,
            c,
            ground="a",
            reason="Data itu sudah dipublikasikan di media",
            channel="surat",
            rules=rules,
            actor="t",
            now=now,
        )
    return request, objection


async def test_proof_of_objection_names_request_ground_and_answer_date(
    services: Services,
) -> None:
    request, objection = await _objection(services)
    text, code = await _text(services, objection, "objection_receipt")
    _assert_common(text, code)
    for expected in (
        "TANDA BUKTI PENERIMAAN KEBERATAN",
        objection.reference,
        request.reference,
        "Siti Aminah",
        "Laporan realisasi anggaran 2025",
        "Pasal 35 ayat (1) huruf a",
        "Data itu sudah dipublikasikan di media",
        "26 Februari 2026",  # 30 working days after 12 January
    ):
        assert expected in text, expected


async def test_atasan_answer_is_signed_by_the_atasan_and_gives_the_dispute_right(
    services: Services,
) -> None:
    request, objection = await _objection(services)
    async with step(services, objection, wib("2026-01-20")) as (s, c, rules, now):
        await objections.answer(
            s,
            c,
            decision="upheld",
            reasons="Data kesehatan tetap dikecualikan.",
            atasan_name="Drs. Budi Santoso",
            atasan_position="Sekretaris Daerah",
            rules=rules,
            actor="t",
            now=now,
        )
    text, code = await _text(services, objection, "objection_answer")
    _assert_common(text, code, "Drs. Budi Santoso")
    for expected in (
        "TANGGAPAN ATASAN PPID ATAS KEBERATAN",
        objection.reference,
        request.reference,
        "Menguatkan keputusan PPID",
        "Data kesehatan tetap dikecualikan.",
        "Sekretaris Daerah",
        "NIP. 196805051990031002",
        "Komisi Informasi",
        "Kota Contoh, 20 Januari 2026",
    ):
        assert expected in text, expected


async def test_complaint_receipt_names_the_complaint_and_the_verification_date(
    services: Services,
) -> None:
    case = await open_complaint(services, "2026-01-05")
    text, code = await _text(services, case, "complaint_receipt")
    _assert_common(text, code)
    for expected in (
        "TANDA TERIMA PENGADUAN",
        case.reference,
        "Jalan rusak di depan pasar",
        "Pengaduan",
        "8 Januari 2026",  # 3 working days
    ):
        assert expected in text, expected


async def test_a_letter_the_case_has_not_reached_is_refused(services: Services) -> None:
    case = await open_request(services, "2026-01-05")
    with pytest.raises(DomainError):
        await _text(services, case, "notice")
    with pytest.raises(DomainError):
        await _text(services, case, "complaint_receipt")
