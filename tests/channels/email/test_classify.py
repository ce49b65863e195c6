"""Classification of every corpus mail against its README, and of each signal on its own."""

from __future__ import annotations

import pytest

from channels.email.classify import classify
from channels.email.message import MailKind
from channels.email.mime import parse
from tests.support.emails import CORPUS, corpus_expectations, corpus_files, make_email

EXPECTED = corpus_expectations()


def test_the_readme_table_covers_every_corpus_file() -> None:
    assert sorted(EXPECTED) == [p.name for p in corpus_files()]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_is_classified_as_its_readme_says(name: str) -> None:
    verdict = classify(parse((CORPUS / name).read_bytes()))
    assert verdict.kind.value == EXPECTED[name], verdict.signals
    assert verdict.kind == MailKind.HUMAN or verdict.no_reply  # machines are never answered


DAEMON = {"Return-Path": "<>"}


@pytest.mark.parametrize(
    ("subject", "headers", "expected"),
    [
        # subject patterns, English and Indonesian
        ("Balasan Otomatis: Permohonan informasi", {}, MailKind.AUTO_REPLY),
        ("Automatic reply: Permohonan informasi", {}, MailKind.AUTO_REPLY),
        ("Out of Office: back Monday", {}, MailKind.AUTO_REPLY),
        ("AUTO: Budi is on leave", {}, MailKind.AUTO_REPLY),
        ("Sedang tidak di kantor", {}, MailKind.AUTO_REPLY),
        ("Pesan tidak terkirim: Permohonan", DAEMON, MailKind.BOUNCE),
        ("Undeliverable: Permohonan", DAEMON, MailKind.BOUNCE),
        ("Delivery Status Notification (Failure)", DAEMON, MailKind.BOUNCE),
        ("Mail delivery failed: returning message to sender", DAEMON, MailKind.BOUNCE),
        # a "bounce" from an ordinary address is only an auto-reply: it marks nothing failing
        ("Undeliverable: Permohonan", {"Return-Path": "<orang@warga.test>"}, MailKind.AUTO_REPLY),
        # headers, each on its own
        ("Re: Permohonan", {"Auto-Submitted": "auto-replied"}, MailKind.AUTO_REPLY),
        ("Re: Permohonan", {"Auto-Submitted": "auto-generated (vacation)"}, MailKind.AUTO_REPLY),
        ("Re: Permohonan", {"Auto-Submitted": "no"}, MailKind.HUMAN),
        ("Re: Permohonan", {"X-Autoreply": "yes"}, MailKind.AUTO_REPLY),
        ("Re: Permohonan", {"X-POST-MessageClass": "9; Autoresponder"}, MailKind.AUTO_REPLY),
        ("Re: Permohonan", {"Precedence": "auto_reply"}, MailKind.AUTO_REPLY),
        ("Re: Permohonan", DAEMON, MailKind.AUTO_REPLY),
        # people writing normally, including about delivery and acknowledgements
        ("Permohonan data pengiriman bantuan", {}, MailKind.HUMAN),
        ("Acknowledgement of request", {}, MailKind.HUMAN),
    ],
)
def test_signals(subject: str, headers: dict[str, str], expected: MailKind) -> None:
    assert classify(parse(make_email(subject=subject, headers=headers))).kind == expected


@pytest.mark.parametrize(
    "headers",
    [
        {"Precedence": "bulk"},
        {"Precedence": "list"},
        {"List-Id": "<warga.lists.test>"},
        {"List-Unsubscribe": "<mailto:leave@lists.test>"},
        {"X-Auto-Response-Suppress": "All"},
    ],
)
def test_list_mail_is_human_but_never_answered(headers: dict[str, str]) -> None:
    verdict = classify(parse(make_email(headers=headers)))
    assert (verdict.kind, verdict.no_reply) == (MailKind.HUMAN, True)


def test_plain_request_may_be_answered() -> None:
    verdict = classify(parse(make_email()))
    assert (verdict.kind, verdict.no_reply) == (MailKind.HUMAN, False)
