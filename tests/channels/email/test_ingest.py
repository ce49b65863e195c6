"""The core rules of email intake, fed parsed mail directly (the IMAP path is in test_poller):
acknowledgements, threading, details by reply, the per-sender cap, and machine-written mail."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlmodel import col, select

from bot.i18n import format_date
from bot.services import Services
from channels.email.ingest import MailDisposition
from channels.email.mailboxes import MailboxConfig, env_mailbox
from channels.email.sender import message_id_for
from channels.email.threads import reply_address
from store.enums import CaseKind, OutboxStatus, RequestStatus, Role
from store.models import Case, Contact, Event, MailRecord, Message, OutboxMessage
from tests.channels.email.conftest import MAIL_FROM, Deliver, with_settings
from tests.support.builders import make_officer, make_unit
from tests.support.emails import CORPUS, corpus_expectations, make_email
from tests.support.timeline import outbox_rows

SITI = "Siti Aminah <siti.aminah@warga.test>"


def env_config(services: Services) -> MailboxConfig:
    """The mailbox of the IMAP_* settings."""
    config = env_mailbox(services.settings)
    assert config is not None
    return config


async def rows(services: Services, model: Any, *where: Any) -> list[Any]:
    """Every row of `model` matching `where`, in id order."""
    async with services.db.session() as session:
        stmt = select(model).where(*where).order_by(col(model.id))
        return list((await session.exec(stmt)).all())


async def mark_sent(services: Services, row: OutboxMessage) -> str:
    """Pretend the dispatcher sent `row`; return the Message-ID it went out with."""
    message_id = message_id_for(row, services.settings)
    async with services.db.transaction() as session:
        stored = await session.get(OutboxMessage, row.id)
        assert stored is not None
        stored.status, stored.external_id = OutboxStatus.SENT.value, message_id
    return message_id


async def request(deliver: Deliver, **fields: Any) -> tuple[Case, OutboxMessage]:
    """Deliver one new request from Siti; return its case and its acknowledgement."""
    outcome = await deliver(make_email(**{"sender": SITI, **fields}))
    assert outcome.disposition == MailDisposition.NEW_CASE, outcome
    (case,) = await rows(deliver.services, Case, Case.reference == outcome.case_reference)
    (ack,) = await rows(deliver.services, OutboxMessage, OutboxMessage.case_id == case.id)
    return case, ack


async def test_new_request_is_registered_and_acknowledged(deliver: Deliver) -> None:
    case, ack = await request(deliver)
    assert (case.kind, case.status, case.channel) == ("information_request", "incomplete", "email")
    assert case.information_requested.startswith("Permohonan informasi\n\nYth. PPID")
    assert (ack.recipient, ack.purpose) == ("siti.aminah@warga.test", "acknowledgement")
    assert ack.payload == {"in_reply_to": "req-1@warga.test", "reply_token_case": case.reference,
                           "auto_submitted": True, "letters": ["request_receipt"]}  # fmt: skip
    indonesian, english = ack.body.split("\n\n---\n\n")
    assert case.reference in indonesian and format_date(case.due_date, "id") in indonesian
    assert english.startswith("We have received your information request")
    assert "NIK atau nomor SK badan hukum / NIK or legal entity SK number: " in english
    assert "Nama lengkap" not in ack.body  # the From display name gave the name
    (record,) = await rows(deliver.services, MailRecord)
    assert (record.classification, record.disposition, record.case_id) == (
        "human", "new_case", case.id)  # fmt: skip


async def test_a_complete_request_is_registered_at_once(deliver: Deliver) -> None:
    body = ("NIK: 3171014501900001\nAlamat: Jl. Merdeka 1\nRincian informasi: APBD 2025\n"
            "Tujuan: penelitian\nCara memperoleh: softcopy\nCara mengirim: email")  # fmt: skip
    case, ack = await request(deliver, body=body)
    assert case.status == RequestStatus.REGISTERED and case.obtain_method == "salinan_softcopy"
    assert case.information_requested == "APBD 2025"
    assert "mohon balas" not in ack.body


async def test_same_message_id_twice_is_one_case(deliver: Deliver) -> None:
    first = await deliver(make_email(), uid=1)
    again = await deliver(make_email(), uid=2)
    assert (again.duplicate, again.case_reference) == (True, first.case_reference)
    assert len(await rows(deliver.services, Case)) == 1
    assert len(await outbox_rows(deliver.services)) == 1
    assert len(await rows(deliver.services, MailRecord)) == 1


async def test_same_mail_without_message_id_is_recognised_by_content(deliver: Deliver) -> None:
    raw = make_email(message_id=None)
    await deliver(raw, uid=1)
    assert (await deliver(raw, uid=2)).duplicate
    (record,) = await rows(deliver.services, MailRecord)
    assert record.message_key.startswith("sha256:")


async def test_concurrent_ingestion_of_one_mail_records_it_once(deliver: Deliver) -> None:
    outcomes = await asyncio.gather(deliver(make_email(), uid=5), deliver(make_email(), uid=5))
    assert sorted(o.duplicate for o in outcomes) == [False, True]
    assert len(await rows(deliver.services, Case)) == 1


async def test_concurrent_first_mails_of_one_new_sender(deliver: Deliver) -> None:
    outcomes = await asyncio.gather(
        *(deliver(make_email(sender=SITI, subject=f"Permohonan {i}", message_id=f"<n{i}@w>"))
          for i in range(3))
    )  # fmt: skip
    assert [o.disposition for o in outcomes] == ["new_case"] * 3
    assert len(await rows(deliver.services, Contact, Contact.kind == "email")) == 1


async def test_reply_to_the_signed_address_from_anyone(deliver: Deliver) -> None:
    case, _ = await request(deliver)
    secret = deliver.services.settings.reply_secret.get_secret_value()
    reply = make_email(sender="Kuasa Hukum <kuasa@firma.test>", subject="Tambahan",
                       to=reply_address(MAIL_FROM, case.reference, secret),
                       message_id="<r1@firma.test>", body="Surat kuasa menyusul.")  # fmt: skip
    outcome = await deliver(reply)
    assert (outcome.disposition, outcome.reason) == ("appended", "reply_address")
    assert outcome.case_reference == case.reference


async def test_forged_reply_address_goes_to_review(deliver: Deliver) -> None:
    case, _ = await request(deliver)
    forged = reply_address(MAIL_FROM, case.reference, "not-our-secret")
    outcome = await deliver(make_email(sender="x@y.test", to=forged, message_id="<f@y>"))
    assert (outcome.disposition, outcome.reason) == ("review", "unmatched_reply")


async def test_reply_by_in_reply_to_our_message(deliver: Deliver) -> None:
    case, ack = await request(deliver)
    sent_id = await mark_sent(deliver.services, ack)
    outcome = await deliver(
        make_email(sender="Siti <siti.lain@warga.test>", subject="Re: x",
                   in_reply_to=f"<{sent_id}>", message_id="<r2@w>")
    )  # fmt: skip
    assert (outcome.disposition, outcome.reason) == ("appended", "message_id")
    assert outcome.case_reference == case.reference


async def test_reply_by_references_to_the_original_request(deliver: Deliver) -> None:
    await request(deliver)
    outcome = await deliver(make_email(sender=SITI, subject="Tambahan", message_id="<r3@w>",
                                       references="<other@x> <req-1@warga.test>"))  # fmt: skip
    # her own Message-ID counts only because she is a contact on the case (issue #9)
    assert (outcome.disposition, outcome.reason) == ("appended", "contact_message_id")


async def test_subject_reference_only_from_a_contact_on_the_case(deliver: Deliver) -> None:
    case, _ = await request(deliver)
    subject = f"Pertanyaan tentang {case.reference}"
    from_contact = await deliver(make_email(sender=SITI, subject=subject, message_id="<s1@w>"))
    assert (from_contact.disposition, from_contact.reason) == ("appended", "subject_reference")
    stranger = await deliver(make_email(sender="Orang Lain <lain@warga.test>", subject=subject,
                                        message_id="<s2@w>"))  # fmt: skip
    assert (stranger.disposition, stranger.reason) == ("review", "unmatched_reply")
    assert len(await rows(deliver.services, Case)) == 1
    assert len(await outbox_rows(deliver.services)) == 1  # nothing sent to the stranger


async def test_reply_looking_mail_matching_nothing_goes_to_review(deliver: Deliver) -> None:
    outcome = await deliver(make_email(subject="Re: Permohonan informasi",
                                       in_reply_to="<unknown@elsewhere>"))  # fmt: skip
    assert (outcome.disposition, outcome.reason) == ("review", "unmatched_reply")
    assert await rows(deliver.services, Case) == [] and await outbox_rows(deliver.services) == []


async def test_a_reply_fills_in_the_missing_fields(deliver: Deliver) -> None:
    case, ack = await request(deliver)
    sent_id = await mark_sent(deliver.services, ack)
    body = (
        "NIK atau nomor SK badan hukum / NIK or legal entity SK number: 3171014501900001\n"
        "Alamat / Address: Jl. Merdeka No. 1\nJakarta Pusat\n\n"
        "Tujuan penggunaan / Purpose of use: Penelitian\n"
        "Cara memperoleh / How to obtain: salinan softcopy\n"
        "Cara mengirim / How to send: Email\n\n"
        f"Pada Sen, 5 Jan 2026 PPID <{MAIL_FROM}> menulis:\n> Nama lengkap / Full name: \n"
    )
    outcome = await deliver(make_email(sender=SITI, subject=f"Re: [{case.reference}]",
                                       body=body, in_reply_to=f"<{sent_id}>",
                                       message_id="<fill@w>"))  # fmt: skip
    assert outcome.disposition == "appended"
    (case,) = await rows(deliver.services, Case, Case.id == case.id)
    assert case.status == RequestStatus.REGISTERED and case.delivery_method == "email"
    (details,) = await outbox_rows(deliver.services, "mail_details_received")
    assert "Alamat" in details.body and "sudah lengkap" in details.body
    assert details.payload["in_reply_to"] == "fill@w"


async def test_invalid_values_are_reported_not_stored(deliver: Deliver) -> None:
    _, ack = await request(deliver)
    sent_id = await mark_sent(deliver.services, ack)
    await deliver(make_email(sender=SITI, subject="Re: data", body="NIK: 1234\nAlamat: Jl. A 1",
                             in_reply_to=f"<{sent_id}>", message_id="<bad@w>"))  # fmt: skip
    (details,) = await outbox_rows(deliver.services, "mail_details_received")
    assert "NIK harus 16 angka" in details.body and "A NIK has exactly 16 digits" in details.body
    assert "Alamat" in details.body.split("---")[0]


async def test_attachments_over_the_limit_are_named_to_the_sender(
    core_services: Services,
) -> None:
    services = with_settings(core_services, attachment_max_bytes=1024 * 1024)
    deliver = Deliver(services, env_config(services))
    big, small = b"x" * (1024 * 1024 + 1), b"%PDF-1.4"
    case, ack = await request(deliver, attachments=[("scan KTP.jpg", big), ("surat.pdf", small)])
    indonesian, english = ack.body.split("\n\n---\n\n")
    assert "lebih besar dari 1 MB: scan KTP.jpg" in indonesian
    assert "larger than 1 MB: scan KTP.jpg" in english and "surat.pdf" not in ack.body
    reply = make_email(sender=SITI, subject=f"Re: [{case.reference}]", message_id="<big@w>",
                       body="Scan ulang.", attachments=[("scan KTP 2.jpg", big)])  # fmt: skip
    assert (await deliver(reply)).disposition == "appended"
    (note,) = await outbox_rows(services, "mail_details_received")
    assert "scan KTP 2.jpg" in note.body and "sudah lengkap" not in note.body


async def test_acknowledgements_are_capped_per_sender_per_day(core_services: Services) -> None:
    services = with_settings(core_services, mail_ack_per_sender_per_day=2)
    deliver = Deliver(services, env_config(services))
    outcomes = [await deliver(make_email(sender=SITI, subject=f"Permohonan {i}",
                                         message_id=f"<cap{i}@w>")) for i in range(3)]  # fmt: skip
    assert [o.disposition for o in outcomes] == ["new_case"] * 3  # every request is registered
    assert [o.reason for o in outcomes] == [None, None, "reply_capped"]
    assert len(await outbox_rows(services, "acknowledgement")) == 2
    services.clock.advance(dt.timedelta(days=1))  # type: ignore[attr-defined]
    assert (await deliver(make_email(sender=SITI, message_id="<cap9@w>"))).reason is None
    assert len(await outbox_rows(services, "acknowledgement")) == 3


@pytest.mark.parametrize(
    "name", sorted(n for n, kind in corpus_expectations().items() if kind != "human")
)
async def test_machine_mail_never_opens_a_case_nor_is_answered(deliver: Deliver, name: str) -> None:
    outcome = await deliver((CORPUS / name).read_bytes())
    assert outcome.disposition == MailDisposition.IGNORED
    assert await rows(deliver.services, Case) == [] and await outbox_rows(deliver.services) == []


async def test_bounce_marks_the_address_failing_and_tells_officers(deliver: Deliver) -> None:
    await make_officer(deliver.services, Role.PPID_UTAMA, telegram_user_id=601)
    await make_officer(deliver.services, Role.ADMIN, telegram_user_id=801)
    await make_officer(deliver.services, Role.ADMIN)  # no Telegram: never mailed about bounces
    case, ack = await request(deliver)
    sent_id = await mark_sent(deliver.services, ack)
    bounce = make_email(
        sender="Mail Delivery System <MAILER-DAEMON@mx.warga.test>",
        subject="Undeliverable: [PPID/2026/000001] Tanda terima",
        message_id="<dsn1@mx>",
        headers={"Return-Path": "<>", "X-Failed-Recipients": "siti.aminah@warga.test"},
        body=f"Delivery failed: mailbox full\n\nMessage-ID: <{sent_id}>\n",
    )
    outcome = await deliver(bounce)
    assert (outcome.classification, outcome.disposition) == ("bounce", "ignored")
    assert outcome.case_reference == case.reference
    (contact,) = await rows(deliver.services, Contact, Contact.kind == "email")
    assert contact.failing and contact.failing_since is not None
    notices = await outbox_rows(deliver.services, "mail_bounce_notice")
    assert sorted(n.recipient for n in notices) == ["601", "801"]
    assert "s***@warga.test" in notices[0].body and "siti.aminah" not in notices[0].body


async def test_backscatter_bounce_pages_nobody(deliver: Deliver) -> None:
    await make_officer(deliver.services, Role.PPID_UTAMA, telegram_user_id=601)
    outcome = await deliver((CORPUS / "flanker__bounce-dsn-postfix-aol-mailbox-full.eml")
                            .read_bytes())  # fmt: skip
    assert outcome.classification == "bounce" and outcome.case_reference is None
    assert await outbox_rows(deliver.services) == []


async def test_auto_reply_to_our_message_is_logged_on_the_case(deliver: Deliver) -> None:
    case, ack = await request(deliver)
    sent_id = await mark_sent(deliver.services, ack)
    auto = make_email(sender=SITI, subject="Balasan Otomatis: Tanda terima",
                      in_reply_to=f"<{sent_id}>", message_id="<ooo@w>",
                      headers={"Auto-Submitted": "auto-replied"})  # fmt: skip
    outcome = await deliver(auto)
    assert (outcome.classification, outcome.disposition) == ("auto_reply", "ignored")
    events = await rows(deliver.services, Event, Event.case_id == case.id)
    assert events[-1].action == "mail_auto_reply_received"
    assert len(await outbox_rows(deliver.services)) == 1  # only the acknowledgement
    messages = await rows(deliver.services, Message, Message.case_id == case.id)
    assert len(messages) == 1  # an auto-reply is not a message from the requester


async def test_list_mail_opens_a_case_but_is_not_answered(deliver: Deliver) -> None:
    outcome = await deliver(make_email(headers={"Precedence": "bulk", "List-Id": "<l.test>"}))
    assert (outcome.disposition, outcome.reason) == ("new_case", "no_reply_requested")
    assert await outbox_rows(deliver.services) == []


async def test_mail_from_our_own_address_is_ignored(deliver: Deliver) -> None:
    outcome = await deliver(make_email(sender=f"PPID <ppid+x@{MAIL_FROM.split('@')[1]}>"))
    assert (outcome.disposition, outcome.reason) == ("ignored", "own_address")


async def test_mail_without_a_usable_sender_goes_to_review(deliver: Deliver) -> None:
    outcome = await deliver(make_email(sender="EMAIL_FROM"))
    assert (outcome.disposition, outcome.reason) == ("review", "no_sender")


async def test_a_mailbox_maps_to_a_kind_and_unit(core_services: Services) -> None:
    unit = await make_unit(core_services, "dishub")
    config = env_config(core_services)
    config = dataclasses.replace(
        config, name="pengaduan", case_kind=CaseKind.COMPLAINT, unit_id=unit.id
    )
    deliver = Deliver(core_services, config)
    outcome = await deliver(make_email(subject="Jalan rusak", body="Jalan di depan pasar rusak."))
    (case,) = await rows(core_services, Case)
    assert (case.kind, case.unit_id, outcome.case_reference) == ("complaint", unit.id,
                                                                 case.reference)  # fmt: skip
    assert case.description == "Jalan rusak\n\nJalan di depan pasar rusak."


async def test_unreadable_mail_is_kept_for_review(
    deliver: Deliver, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(raw: bytes) -> None:
        raise ValueError("boom")

    monkeypatch.setattr("channels.email.poller.read_mail", explode)
    outcome = await deliver(make_email())
    assert (outcome.disposition, outcome.reason) == ("review", "quarantined_reader_failed")
    (record,) = await rows(deliver.services, MailRecord)
    assert record.raw_stored and record.raw_size > 0
    # what could be read without the parser is shown in the review queue (issue #9)
    assert (record.sender, record.subject) == ("budi.santoso@warga.test", "Permohonan informasi")
