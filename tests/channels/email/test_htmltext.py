"""HTML-only mail turned into readable text."""

from __future__ import annotations

from channels.email.htmltext import html_to_text


def test_structure_survives() -> None:
    html = (
        "<html><head><title>x</title><style>p{color:red}</style></head><body>"
        "<p>Yth.&nbsp;PPID,</p><div>Saya meminta:<ul><li>APBD 2025</li><li>LKPJ 2025</li></ul>"
        "</div><p>Baris satu<br>baris dua</p><script>alert(1)</script></body></html>"
    )
    assert html_to_text(html) == (
        "Yth. PPID,\n\nSaya meminta:\n\n- APBD 2025\n- LKPJ 2025\n\nBaris satu\nbaris dua"
    )


def test_links_keep_their_address_when_the_text_hides_it() -> None:
    text = html_to_text('Lihat <a href="https://pemda.test/apbd">di sini</a> atau '
                        '<a href="https://pemda.test/x">https://pemda.test/x</a>')  # fmt: skip
    assert text == "Lihat di sini <https://pemda.test/apbd> atau https://pemda.test/x"


def test_blockquote_becomes_quoted_lines() -> None:
    text = html_to_text("<p>Baik.</p><blockquote><p>Mohon lengkapi</p>NIK:</blockquote>")
    assert text.splitlines() == ["Baik.", "", "> Mohon lengkapi", "> NIK:"]


def test_broken_markup_never_raises() -> None:
    assert html_to_text("<p>Halo <b>PPID</p></div></table><<<").startswith("Halo PPID")
