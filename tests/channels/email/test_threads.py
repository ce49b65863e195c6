"""Signed reply addresses and what counts as a reply (the database rules are exercised in
tests/channels/email/test_ingest.py)."""

from __future__ import annotations

import pytest

from channels.email.threads import (
    SIGNATURE_LENGTH,
    looks_like_reply,
    reference_from_address,
    reply_address,
    reply_token,
    thread_ids,
)

SECRET = "rahasia-panjang"


def test_round_trip() -> None:
    address = reply_address("ppid@pemda.go.id", "PPID/2026/000123", SECRET)
    local, token = address.split("@")[0].split("+")
    assert local == "ppid" and token.startswith("ppid_2026_000123.")
    assert len(token.rsplit(".", 1)[1]) == SIGNATURE_LENGTH
    assert reference_from_address(address, SECRET) == "PPID/2026/000123"
    # mail servers may fold the case of the local part, display names may surround it
    assert reference_from_address(f"PPID <{address.upper()}>", SECRET) == "PPID/2026/000123"


def test_prefixes_with_hyphens_and_an_existing_tag() -> None:
    address = reply_address("ppid+loket@pemda.go.id", "KEB-DKI/2026/000007", SECRET)
    assert address.startswith("ppid+keb-dki_2026_000007.")
    assert reference_from_address(address, SECRET) == "KEB-DKI/2026/000007"


@pytest.mark.parametrize(
    "address",
    [
        reply_address("ppid@pemda.go.id", "PPID/2026/000123", "other-secret"),
        reply_address("ppid@pemda.go.id", "PPID/2026/000123", SECRET).replace("000123", "000124"),
        "ppid@pemda.go.id",
        "ppid+hello@pemda.go.id",
        "",
    ],
)
def test_forged_or_unsigned_addresses_name_no_case(address: str) -> None:
    assert reference_from_address(address, SECRET) is None


def test_no_secret_no_reply_addresses() -> None:
    address = reply_address("ppid@pemda.go.id", "PPID/2026/000123", SECRET)
    assert reference_from_address(address, "") is None


def test_token_is_stable() -> None:
    assert reply_token("PPID/2026/000001", SECRET) == reply_token("ppid/2026/000001", SECRET)


@pytest.mark.parametrize(
    ("subject", "in_reply_to", "references", "recipients", "expected"),
    [
        ("Permohonan data APBD", None, (), ("ppid@pemda.go.id",), False),
        ("Fwd: data APBD", None, (), (), False),
        ("Re: Permohonan", None, (), (), True),
        ("Balas: Permohonan", None, (), (), True),
        ("RE[2]: Permohonan", None, (), (), True),
        ("Tanya PPID/2026/000001", None, (), (), True),
        ("Permohonan", "x@y", (), (), True),
        ("Permohonan", None, ("x@y",), (), True),
        ("Permohonan", None, (), ("ppid+ppid_2026_000001.aaaaaaaaaaaa@pemda.go.id",), True),
    ],
)
def test_what_looks_like_a_reply(
    subject: str,
    in_reply_to: str | None,
    references: tuple[str, ...],
    recipients: tuple[str, ...],
    expected: bool,
) -> None:
    ids = thread_ids(in_reply_to, references)
    assert looks_like_reply(subject, ids, recipients) is expected


def test_thread_ids_prefer_in_reply_to_then_the_newest_reference() -> None:
    assert thread_ids("c@x", ("a@x", "b@x")) == ["c@x", "b@x", "a@x"]
