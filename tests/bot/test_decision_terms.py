"""The terms of a grant as an officer types them: the time, and form, delivery and fee."""

from __future__ import annotations

import pytest

from bot.errors import DomainError
from bot.workflow.decision_terms import parse_terms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 hari kerja", {"time_to_provide": "3 hari kerja"}),
        (
            "5 hari kerja\nbentuk: hardcopy\nkirim: ambil langsung\nbiaya: Rp 50.000",
            {
                "time_to_provide": "5 hari kerja",
                "information_form": "hardcopy",
                "delivery_method": "ambil_langsung",
                "fee_amount": "50000",
            },
        ),
        (
            "time: attached\nform: soft\nfee: 0",
            {"time_to_provide": "attached", "information_form": "softcopy", "fee_amount": "0"},
        ),
        ("Waktu: 2 hari\nPos", {"time_to_provide": "2 hari"}),  # a stray line is not a key
    ],
)
def test_terms_are_read(text: str, expected: dict[str, str]) -> None:
    assert parse_terms(text) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("-", "letters.terms_need_time"),
        ("bentuk: hardcopy", "letters.terms_need_time"),
        ("3 hari\nbentuk: video", "letters.terms_form"),
        ("3 hari\nkirim: drone", "fields.delivery_method_invalid"),
        ("3 hari\nbiaya: gratis", "letters.terms_fee"),
    ],
)
def test_terms_not_understood_say_why(text: str, key: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_terms(text)
    assert caught.value.key == key
