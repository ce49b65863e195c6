"""Email test data: a `make_email` builder, Indonesian requests, and the shared corpus.

The corpus lives in ../shared/corpora/emails/ and is read in place (its licences forbid copying
it into the project); its README's table gives the expected classification of every file.
"""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "emails"
_ROW_RE = re.compile(r"^\| `([^`]+\.eml)` \| (\w+) \|")


def corpus_expectations() -> dict[str, str]:
    """File name -> expected classification, read from the corpus README at test time."""
    rows = {}
    for line in (CORPUS / "README.md").read_text(encoding="utf-8").splitlines():
        match = _ROW_RE.match(line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def corpus_files() -> list[Path]:
    """Every .eml file of the corpus, sorted by name."""
    return sorted(CORPUS.glob("*.eml"))


def make_email(
    *,
    sender: str = "Budi Santoso <budi.santoso@warga.test>",
    to: str = "ppid@pemda.test",
    subject: str = "Permohonan informasi",
    body: str = "Yth. PPID, saya memohon salinan laporan realisasi anggaran 2025.",
    message_id: str | None = "<req-1@warga.test>",
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, bytes]] | None = None,
) -> bytes:
    """The raw bytes of one email as a mail client would send it."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC))
    if message_id:
        mail["Message-ID"] = message_id
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    if references:
        mail["References"] = references
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    for filename, data in attachments or []:
        mail.add_attachment(data, maintype="application", subtype="octet-stream", filename=filename)
    return bytes(mail)


# Requests as Indonesian citizens write them: one complete (with the "Field: value" lines the
# acknowledgement asks for), one bare, one complaint, one with an attachment and an NIK typo.
INDONESIAN_REQUESTS: dict[str, bytes] = {
    "lengkap": make_email(
        sender="Siti Aminah <siti.aminah@warga.test>",
        subject="Permohonan data realisasi APBD 2025",
        message_id="<id-lengkap@warga.test>",
        body=(
            "Dengan hormat,\n\n"
            "Nama lengkap: Siti Aminah\n"
            "NIK: 3171014501900001\n"
            "Alamat: Jl. Merdeka No. 1, Jakarta Pusat\n"
            "Nomor telepon: 0812-3456-7890\n"
            "Rincian informasi: Laporan realisasi APBD tahun 2025 per OPD\n"
            "Tujuan penggunaan: Penelitian skripsi\n"
            "Cara memperoleh: salinan softcopy\n"
            "Cara mengirim: email\n\n"
            "Terima kasih.\n-- \nSiti"
        ),
    ),
    "singkat": make_email(
        sender="Budi Santoso <budi.santoso@warga.test>",
        subject="Minta data jumlah guru honorer",
        message_id="<id-singkat@warga.test>",
        body="Selamat siang, saya ingin meminta data jumlah guru honorer per kecamatan tahun 2025.",
    ),
    "lampiran": make_email(
        sender="Rina Wulandari <rina@lsm.test>",
        subject="Permohonan salinan kontrak pengadaan",
        message_id="<id-lampiran@lsm.test>",
        body="Terlampir surat permohonan kami.\n\nNIK: 12345\n\nSalam,\nRina",
        attachments=[("Surat Permohonan.pdf", b"%PDF-1.4 surat")],
    ),
    "ponsel": make_email(
        sender="Agus <agus.p@warga.test>",
        subject="Informasi anggaran jalan desa",
        message_id="<id-ponsel@warga.test>",
        body=(
            "Mohon informasi anggaran perbaikan jalan desa Sukamaju tahun 2026.\n\n"
            "Dikirim dari iPhone saya"
        ),
    ),
}
