"""The letterhead and signature block render into a real PDF, and documents fetch nothing remote."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import pytest

from app.settings import load_settings
from bot.letters.letterhead import (
    LETTERHEAD_STYLE,
    letterhead_html,
    ppid_signatory,
    signature_html,
)
from bot.letters.pdf import PRINT_STYLE, html_to_pdf
from tests.support.pdf import pdf_text

PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


def _page(body: str) -> str:
    style = f"<style>{PRINT_STYLE}{LETTERHEAD_STYLE}</style>"
    return f"<html><head>{style}</head><body>{body}</body></html>"


def test_letterhead_and_signature_in_the_pdf_text(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG_1x1)
    settings = load_settings(
        body_parent="Pemerintah Kota Contoh",
        body_name="PPID Kota Contoh",
        body_address="Jl. Merdeka No. 1, Kota Contoh 12345",
        body_contact="Telp. (021) 123456 - ppid@contoh.go.id",
        body_city="Kota Contoh",
        body_logo_path=logo,
        ppid_signatory_name="Siti Rahmawati, S.Sos.",
        ppid_signatory_nip="198001012005012001",
    )
    html = letterhead_html(settings) + signature_html(
        ppid_signatory(settings), settings, dt.date(2026, 3, 2)
    )
    assert "data:image/png;base64," in html
    text = pdf_text(html_to_pdf(_page(html)))
    for expected in (
        "PEMERINTAH KOTA CONTOH",
        "PPID KOTA CONTOH",
        "Jl. Merdeka No. 1",
        "ppid@contoh.go.id",
        "Kota Contoh, 2 Maret 2026",
        "Pejabat Pengelola Informasi dan Dokumentasi",
        "Siti Rahmawati, S.Sos.",
        "NIP. 198001012005012001",
    ):
        assert expected in text


def test_citizen_text_is_escaped() -> None:
    settings = load_settings(body_name="<b>PPID</b> & co", ppid_signatory_name="<script>x</script>")
    html = letterhead_html(settings) + signature_html(
        ppid_signatory(settings), settings, dt.date(2026, 1, 5), "en"
    )
    assert "<script>" not in html and "&lt;b&gt;PPID&lt;/b&gt; &amp; co" in html
    assert "5 January 2026" in html


def test_a_document_never_fetches_a_remote_resource() -> None:
    # Text a citizen typed may reach a document: an <img> pointing at a server is not loaded.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        pdf = html_to_pdf(_page(f'<p>Surat</p><img src="http://127.0.0.1:{port}/x.png">'))
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert pdf_text(pdf) == "Surat"
