"""`loket letters print` writes a case's letter as PDF at the desk; `loket letters verify`
confirms a genuine code and rejects a forged or mistyped one; `cases new --receipt` prints the
proof of request of a walk-in requester."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli.main import app
from tests.support.pdf import pdf_text

NIK = "3171014501900001"


@pytest.fixture
def loket(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """`loket ...` on this test's migrated database, from an empty working directory."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    env = {
        "DATABASE_URL": db_url,
        "ATTACHMENT_DIR": str(tmp_path / "files"),
        "REPLY_SECRET": "s3cret",
        "BODY_NAME": "PPID Kota Contoh",
    }
    return lambda *args: runner.invoke(app, list(args), env=env)


def _register(loket, *extra: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    result = loket(
        "cases",
        "new",
        "--kind",
        "information_request",
        "--channel",
        "buku_tamu",
        "--name",
        "Wayan Sudarma",
        "--nik",
        NIK,
        "--address",
        "Jl. Udayana 3, Denpasar",
        "--phone",
        "081234567890",
        "--information",
        "Daftar penerima beasiswa 2025",
        "--purpose",
        "Liputan",
        "--obtain",
        "salinan_hardcopy",
        "--delivery",
        "ambil_langsung",
        *extra,
    )
    assert result.exit_code == 0, result.output
    reference = re.search(r"[A-Z]+/\d{4}/\d{6}", result.output)
    assert reference is not None
    return reference.group(0), result.output


def test_cases_new_prints_the_proof_of_request(loket, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reference, output = _register(loket, "--receipt", "bukti.pdf")
    text = pdf_text((tmp_path / "bukti.pdf").read_bytes())
    for expected in (
        "TANDA BUKTI PERMOHONAN INFORMASI PUBLIK",
        reference,
        "Wayan Sudarma",
        "Daftar penerima beasiswa 2025",
        "Mengambil langsung",
    ):
        assert expected in text, expected
    assert f"{reference}-TBP-" in output


def test_print_and_verify_a_letter(loket, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reference, _ = _register(loket)
    printed = loket("letters", "print", reference, "request_receipt", "-o", "tbp.pdf")
    assert printed.exit_code == 0, printed.output
    code = re.search(rf"{re.escape(reference)}-TBP-[A-Z2-7]{{8}}", printed.output)
    assert code is not None
    assert code.group(0) in pdf_text((tmp_path / "tbp.pdf").read_bytes())

    genuine = loket("letters", "verify", code.group(0).lower())
    assert genuine.exit_code == 0 and "ASLI" in genuine.output
    assert "Wayan" not in genuine.output  # a third party learns the letter, not the person

    forged = code.group(0)[:-1] + ("A" if code.group(0)[-1] != "A" else "B")
    assert loket("letters", "verify", forged).exit_code == 1
    other_kind = code.group(0).replace("-TBP-", "-PT-")  # no notice yet
    assert loket("letters", "verify", other_kind).exit_code == 1
    malformed = loket("letters", "verify", "hello")
    assert malformed.exit_code == 1 and "tidak terbaca" in malformed.output


def test_print_refuses_a_letter_the_case_does_not_have(loket) -> None:  # type: ignore[no-untyped-def]
    reference, _ = _register(loket)
    notice = loket("letters", "print", reference, "notice")
    assert notice.exit_code == 2 and "tidak memiliki surat" in notice.output
    unknown = loket("letters", "print", reference, "memo")
    assert unknown.exit_code == 2 and "request_receipt" in unknown.output


def test_decide_from_the_cli_with_the_notice_terms(loket, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reference, _ = _register(loket)
    no_time = loket("cases", "decide", reference, "--decision", "granted_full")
    assert no_time.exit_code == 2 and "Waktu penyediaan wajib" in no_time.output
    done = loket(
        "cases",
        "decide",
        reference,
        "--decision",
        "granted_full",
        "--time",
        "3 hari kerja",
        "--fee",
        "20000",
        "--notice",
        "pt.pdf",
    )
    assert done.exit_code == 0, done.output
    text = pdf_text((tmp_path / "pt.pdf").read_bytes())
    for expected in (
        "PEMBERITAHUAN TERTULIS",
        reference,
        "Wayan Sudarma",
        "Informasi dapat diberikan seluruhnya",
        "Hardcopy (salinan cetak)",
        "Mengambil langsung",
        "Rp20.000",
        "3 hari kerja",
    ):
        assert expected in text, expected


def test_an_objection_registered_at_the_desk_gets_its_proof(loket, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reference, _ = _register(loket)
    refused = loket(
        "cases",
        "decide",
        reference,
        "--decision",
        "refused",
        "--ground",
        "h",
        "--consequence",
        "Data pribadi penerima beasiswa.",
    )
    assert refused.exit_code == 0, refused.output
    filed = loket(
        "cases",
        "objection",
        reference,
        "--ground",
        "a",
        "--reason",
        "Nama penerima beasiswa sudah diumumkan",
        "--channel",
        "surat",
        "--receipt",
        "tbk.pdf",
    )
    assert filed.exit_code == 0, filed.output
    objection = re.search(r"KEB[A-Z-]*/\d{4}/\d{6}|[A-Z]+/\d{4}/\d{6}", filed.output)
    assert objection is not None and objection.group(0) != reference
    text = pdf_text((tmp_path / "tbk.pdf").read_bytes())
    for expected in (
        "TANDA BUKTI PENERIMAAN KEBERATAN",
        objection.group(0),
        reference,
        "Pasal 35 ayat (1) huruf a",
        "Nama penerima beasiswa sudah diumumkan",
    ):
        assert expected in text, expected
    wrong = loket("cases", "objection", reference, "--ground", "z", "--reason", "x")
    assert wrong.exit_code == 2 and "Pasal 35" in wrong.output
