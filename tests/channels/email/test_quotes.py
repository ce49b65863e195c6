"""New text, quoted earlier mail and signature, as Indonesian and international clients write."""

from __future__ import annotations

import pytest

from channels.email.quotes import split_reply

NEW = "Berikut data yang diminta.\nNama lengkap: Siti Aminah"


@pytest.mark.parametrize(
    "quote",
    [
        "Pada tanggal Sen, 5 Jan 2026 pukul 09.00 PPID <ppid@pemda.test> menulis:\n> Mohon",
        "Pada Sen, 5 Jan 2026 09.00, PPID <ppid+ppid_2026_000001.x@pemda.test>\nmenulis:\n> Isi",
        "On Mon, Jan 5, 2026 at 9:00 AM PPID <ppid@pemda.test> wrote:\n> Please complete",
        "-----Pesan Asli-----\nDari: PPID\nTerkirim: Senin\nKepada: Siti\nPerihal: Tanda terima",
        "-----Original Message-----\nFrom: PPID\nSent: Monday\nTo: Siti\nSubject: Receipt",
        "Dari: PPID <ppid@pemda.test>\nDikirim: Senin, 5 Januari 2026 09.00\nKepada: Siti\n"
        "Perihal: [PPID/2026/000001] Tanda terima",
        "________________________________\nFrom: PPID <ppid@pemda.test>\nSent: Monday\n",
        "> Permohonan informasi Anda telah kami terima\n> nomor PPID/2026/000001",
    ],
)
def test_reply_styles(quote: str) -> None:
    parts = split_reply(f"{NEW}\n\n{quote}\n")
    assert parts.new == NEW
    assert parts.quoted.startswith(quote.split("\n")[0].strip())


def test_answers_between_quoted_lines_are_kept() -> None:
    parts = split_reply("> Nama lengkap:\nSiti Aminah\n> Alamat:\nJl. Merdeka 1\n")
    assert parts.new == "Siti Aminah\nJl. Merdeka 1"
    assert parts.quoted == "> Nama lengkap:\n> Alamat:"


@pytest.mark.parametrize(
    ("footer", "signature"),
    [
        ("-- \nSiti Aminah\n0812-3456-7890", "-- \nSiti Aminah\n0812-3456-7890"),
        ("Dikirim dari iPhone saya", "Dikirim dari iPhone saya"),
        ("Sent from my Android phone", "Sent from my Android phone"),
    ],
)
def test_signatures(footer: str, signature: str) -> None:
    parts = split_reply(f"{NEW}\n\n{footer}")
    assert (parts.new, parts.signature) == (NEW, signature.strip())


def test_forwarded_mail_is_content_not_quote() -> None:
    text = f"{NEW}\n\n-----Original Message-----\nFrom: Dinas\nSubject: Data\n\nIsi data"
    assert split_reply(text, subject="Fwd: Data anggaran").new == text


def test_plain_request_is_untouched() -> None:
    assert split_reply("Saya meminta data anggaran.\n") == split_reply(
        "Saya meminta data anggaran."
    )
    assert split_reply("Saya meminta data anggaran.").quoted == ""
