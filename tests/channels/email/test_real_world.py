"""Mail from the real world: auto-replies, bounces, receipts and people's mail as Gmail,
Outlook, Yahoo, Zimbra, iPhone, Postfix, qmail and Exchange Online send them, classified and
parsed without an exception; then through the core and through a real Dovecot."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.services import Services
from channels.email.classify import classify
from channels.email.ingest import MailDisposition
from channels.email.parse import parse_mail
from channels.email.poller import MailboxWatcher
from store.models import Case, Contact, MailRecord, OutboxMessage
from tests.channels.email.conftest import Deliver
from tests.support import real_world_emails as machines
from tests.support import real_world_people as people
from tests.support.dovecot import DovecotServer
from tests.support.emails import corpus_files, make_email
from tests.support.real_world_emails import Sample, postfix_dsn, with_encoded_report, zimbra_ooo

SAMPLES: dict[str, Sample] = {
    name: value
    for module in (machines, people)
    for name, value in vars(module).items()
    if isinstance(value, Sample)
} | {
    f"zimbra {subject!r}{' headers' if headers else ''}": zimbra_ooo(subject, headers)
    for subject in ("Pesan Otomatis", "Sedang di luar kantor", "Cuti", "Auto: Permohonan")
    for headers in (True, False)
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_is_classified_and_parsed(name: str) -> None:
    sample = SAMPLES[name]
    parsed = parse_mail(sample.raw)
    verdict = classify(parsed.message)
    assert verdict.kind.value == sample.kind, verdict.signals
    assert verdict.no_reply == (sample.kind != "human" or sample.no_reply)
    if sample.subject:
        assert parsed.subject == sample.subject
    if sample.text:
        assert parsed.text == sample.text
    if sample.kind == "human":
        assert tuple(a.filename for a in parsed.attachments) == sample.attachments


def test_quote_attribution_and_mobile_signature_are_set_apart() -> None:
    gmail = parse_mail(people.GMAIL_REPLY_ID.raw)
    assert gmail.quoted.startswith("Pada tanggal Sen, 5 Jan 2026") and "PPID-2026-0001" in (
        gmail.quoted
    )
    iphone = parse_mail(people.IPHONE_REPLY.raw)
    assert iphone.signature == "Dikirim dari iPhone saya" and "menulis:" in iphone.quoted
    outlook = parse_mail(people.OUTLOOK_REPLY_ID.raw)
    assert outlook.quoted.splitlines()[1].startswith("Dari: PPID Pemda")


def test_signed_mail_keeps_no_signature_file_but_tnef_is_kept() -> None:
    assert parse_mail(people.SMIME_SIGNED.raw).attachments == ()
    (tnef,) = parse_mail(people.WINMAIL_DAT.raw).attachments
    assert tnef.content_type == "application/ms-tnef" and tnef.data.startswith(b'x\x9f>"')


def test_nul_bytes_never_reach_the_text() -> None:
    parsed = parse_mail(people.NUL_AND_BAD_BASE64.raw)
    assert "\x00" not in parsed.subject + parsed.text + (parsed.sender_name or "")
    assert parsed.sender_name == "Lina"


def test_an_endless_line_is_cut_not_choked_on() -> None:
    parsed = parse_mail(people.LONG_LINE.raw)
    assert 0 < len(parsed.text) <= 200_000 and parsed.text.startswith("Mohon data anggaran")


@pytest.mark.parametrize("encode", [False, True], ids=["7bit", "base64"])
def test_delivery_reports_tell_failures_from_delays(encode: bool) -> None:
    def report(action: str, status: str) -> object:
        raw = postfix_dsn(action, status, "Returned mail: see transcript for details", "x")
        return parse_mail(with_encoded_report(raw) if encode else raw).report

    failed, delayed = report("failed", "5.1.1"), report("delayed", "4.4.1")
    assert (failed.failed, failed.permanent) == (("citizen@rusak.test",), True)  # type: ignore[attr-defined]
    assert (delayed.failed, delayed.permanent) == ((), False)  # type: ignore[attr-defined]


def test_gmail_and_exchange_bounces_name_the_failed_address_and_our_mail() -> None:
    for sample in (machines.GMAIL_BOUNCE_PLAIN, machines.M365_NDR, machines.POSTFIX_BOUNCE_ID):
        report = parse_mail(sample.raw).report
        assert report.failed == ("citizen@rusak.test",) and report.permanent
        assert report.message_ids == (machines.OUR_ID,)
    qmail = parse_mail(machines.QMAIL_BOUNCE.raw).report
    assert qmail.failed == ("citizen@rusak.test",) and qmail.permanent
    assert qmail.message_ids == (machines.OUR_ID,)


def test_qmail_lists_every_failed_address_but_no_reason_or_copy() -> None:
    raw = machines.QMAIL_BOUNCE.raw.replace(
        b"<citizen@rusak.test>:\r\n",
        b"<citizen@rusak.test>:\r\n192.0.2.7 does not like recipient.\r\n"
        b"Remote host said: 550 <citizen@rusak.test>: unknown\r\n\r\n<warga@lain.test>:\r\n",
    )
    assert parse_mail(raw).report.failed == ("citizen@rusak.test", "warga@lain.test")


def without_copy(raw: bytes) -> bytes:
    """A prose bounce cut before the copy of the returned mail (so no Message-ID of ours)."""
    return raw.split(b"--- Below this line", 1)[0].split(b"------ This is a copy", 1)[0]


async def contact_failing(services: Services) -> bool:
    async with services.db.session() as session:
        stmt = select(Contact).where(Contact.value == "citizen@rusak.test")
        return (await session.exec(stmt)).one().failing


async def test_a_delay_never_marks_the_address_failing_but_a_failure_does(
    deliver: Deliver,
) -> None:
    opened = await deliver(make_email(sender="Warga <citizen@rusak.test>", message_id="<c@r>"))
    assert opened.disposition == MailDisposition.NEW_CASE
    delay = await deliver(machines.POSTFIX_DELAY.raw)
    assert (delay.classification, delay.reason) == ("bounce", "bounce_delayed")
    assert not await contact_failing(deliver.services)
    bounce = await deliver(machines.POSTFIX_BOUNCE_ID.raw)
    assert (bounce.classification, bounce.disposition) == ("bounce", "ignored")
    assert await contact_failing(deliver.services)


def exim_prose_bounce() -> bytes:
    """Exim's plain-text bounce (Alaveteli's fixture) for citizen@rusak.test, without the
    X-Failed-Recipients header."""
    (path,) = [p for p in corpus_files() if p.name.endswith("bounce-exim-plaintext.eml")]
    raw = path.read_bytes().replace(b"X-Failed-Recipients: user@example.com\n", b"")
    return raw.replace(b"user@example.com", b"citizen@rusak.test")


@pytest.mark.parametrize("mta", ["qmail", "exim"])
async def test_a_prose_bounce_without_our_message_id_still_marks_the_address_failing(
    deliver: Deliver, mta: str
) -> None:
    await deliver(make_email(sender="Warga <citizen@rusak.test>", message_id="<c@r>"))
    raw = machines.QMAIL_BOUNCE.raw if mta == "qmail" else exim_prose_bounce()
    bounce = await deliver(without_copy(raw))
    assert (bounce.classification, bounce.disposition) == ("bounce", "ignored")
    assert await contact_failing(deliver.services)


@pytest.mark.parametrize(
    ("name", "disposition", "reason"),
    [
        ("NUL_AND_BAD_BASE64", "new_case", None),
        ("IMAGE_ONLY", "new_case", None),
        ("LONG_LINE", "new_case", None),
        ("MAILING_LIST", "new_case", "no_reply_requested"),
        ("NAME_ONLY_FROM", "review", "no_sender"),
        ("OUTLOOK_READ_TEXT", "ignored", "report"),
    ],
)
async def test_odd_mail_goes_through_the_core(
    deliver: Deliver, name: str, disposition: str, reason: str | None
) -> None:
    outcome = await deliver(SAMPLES[name].raw)
    assert (outcome.disposition.value, outcome.reason) == (disposition, reason)
    async with deliver.services.db.session() as session:
        acks = (await session.exec(select(OutboxMessage))).all()
    assert len(acks) == (disposition == "new_case" and reason is None)


# Appended to Dovecot: people's mail and every kind of machine mail (NUL bytes cannot travel
# in an IMAP literal, so that sample is tried through the core only).
MAILBOX = ("GMAIL_VACATION", "OUTLOOK_AUTO_REPLY_ID", "YAHOO_AUTO_RESPONSE", "POSTFIX_BOUNCE_ID",
           "POSTFIX_DELAY", "QMAIL_BOUNCE", "GMAIL_BOUNCE_PLAIN", "M365_NDR", "OUTLOOK_MDN",
           "OUTLOOK_READ_TEXT", "CALENDAR_INVITE", "PDF_RFC2231", "SMIME_SIGNED", "WINMAIL_DAT",
           "MAILING_LIST", "IMAGE_ONLY", "zimbra 'Pesan Otomatis'")  # fmt: skip


async def test_a_real_world_mailbox_through_dovecot(
    mail_services: Services, watcher: MailboxWatcher, dovecot: DovecotServer, folder: str
) -> None:
    for name in MAILBOX:
        dovecot.append(folder, SAMPLES[name].raw)
    summary = await watcher.poll_now()
    assert summary.fetched == len(MAILBOX) and not summary.failed
    async with mail_services.db.session() as session:
        records = (await session.exec(select(MailRecord))).all()
        cases = (await session.exec(select(Case))).all()
        outbox = (await session.exec(select(OutboxMessage))).all()
    by_subject = {r.subject: r for r in records}
    for name in MAILBOX:
        assert by_subject[parse_mail(SAMPLES[name].raw).subject].classification == (
            SAMPLES[name].kind
        ), name
    humans = [n for n in MAILBOX if SAMPLES[n].kind == "human"]
    assert len(cases) == len(humans)
    assert {r.classification for r in records if r.case_id in {c.id for c in cases}} == {"human"}
    automatic = {r.sender for r in records if r.classification != "human"}
    answered = [n for n in humans if not SAMPLES[n].no_reply]
    assert sorted(m.recipient for m in outbox) == sorted(
        parse_mail(SAMPLES[n].raw).sender for n in answered
    )
    assert not {m.recipient for m in outbox} & automatic
    assert (await watcher.poll_now()).fetched == 0
