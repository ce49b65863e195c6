"""Modified UTF-7 for IMAP folder names: RFC 3501's own example, round trips, strict decoding,
and configured names that are already encoded."""

from __future__ import annotations

import pytest

from channels.email.imap_utf7 import decode, encode, to_wire


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),  # RFC 3501 §5.1.3
        ("Архив", "&BBAEQARFBDgEMg-"),
        ("Sudah Diproses/Pengaduan Warga é", "Sudah Diproses/Pengaduan Warga &AOk-"),
        ("Q&A", "Q&-A"),
        ("INBOX", "INBOX"),
        ("😀", "&2D3eAA-"),  # outside the BMP: a UTF-16 surrogate pair
        ("tab\there", "tab&AAk-here"),  # control characters are shifted too
    ],
)
def test_encode_and_decode(name: str, wire: str) -> None:
    assert encode(name) == wire and decode(wire) == name


@pytest.mark.parametrize(
    "wire",
    [
        "Q&A",  # a bare "&"
        "&BBA",  # unterminated shift
        "&BB/A-",  # "/" is "," in modified base64
        "&AGE-",  # printable ASCII must not be shifted
        "&AOl-",  # leftover bits that are not zero
        "&AOkA-",  # an odd number of bytes
        "Архив",  # raw non-ASCII
    ],
)
def test_decode_rejects_what_is_not_modified_utf7(wire: str) -> None:
    with pytest.raises(ValueError):
        decode(wire)


def test_to_wire_encodes_names_once() -> None:
    assert to_wire("Архив") == "&BBAEQARFBDgEMg-"
    assert to_wire("&BBAEQARFBDgEMg-") == "&BBAEQARFBDgEMg-"  # configured in encoded form
    assert to_wire("R&D") == "R&-D"
    assert to_wire("Selesai") == "Selesai"
