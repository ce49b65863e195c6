"""Letters reach the citizen: a desk-registered case's receipt on the requester's own channel
(email attachment, Telegram document), and the written notice attached to the decision."""

from __future__ import annotations

from telegram import Bot

from bot.cases.opening import open_case
from bot.desk.actions import Desk
from bot.desk.identities import ChannelIdentity
from bot.intake.requesters import add_contact
from bot.services import Services
from bot.workflow import requests
from bot.workflow.rules import load_rules
from channels.email.sender import EmailSender
from channels.telegram.sender import TelegramSender
from channels.telegram.state import ChannelState
from sandbox.telegram_api.server import BotApiEmulator
from scheduler.dispatch import Dispatcher
from scheduler.ratelimit import RateLimiter
from store.enums import CaseKind, Channel, ContactKind, Role
from store.models import Requester
from tests.bot.workflow.helpers import step, wib
from tests.support.builders import COMPLETE_REQUEST, make_case, make_officer
from tests.support.pdf import pdf_text
from tests.support.smtp import SmtpSink, smtp_server  # noqa: F401  (fixture)
from tests.support.telegram import TOKEN, telegram_api  # noqa: F401  (fixture)
from tests.support.timeline import outbox_rows

DESK_OFFICER = 901
AT_DESK = ChannelIdentity("telegram", str(DESK_OFFICER))


def _email_dispatcher(services: Services, sink: SmtpSink) -> Dispatcher:
    settings = services.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": sink.port, "smtp_security": "none",
                "mail_from": "ppid@pemda.example"}
    )  # fmt: skip
    sender = EmailSender(settings, services.clock, services.db, services.blobs)
    return Dispatcher(
        services.db, {"email": sender}, services.clock, settings=settings, limiter=RateLimiter({})
    )


def _pdf_of(mail) -> str:  # type: ignore[no-untyped-def]
    (part,) = [p for p in mail.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert part.get_filename().endswith(".pdf")
    return pdf_text(part.get_content())


async def test_desk_registered_request_sends_the_proof_of_request_by_email(
    services: Services,
    smtp_server: SmtpSink,  # noqa: F811
) -> None:
    await make_officer(services, Role.ADMIN, telegram_user_id=DESK_OFFICER)
    details = {**COMPLETE_REQUEST, "email": "siti@example.test"}
    case = await Desk(services).register(AT_DESK, CaseKind.INFORMATION_REQUEST,
                                         Channel.BUKU_TAMU, details, [])  # fmt: skip
    (row,) = [r for r in await outbox_rows(services) if r.recipient == "siti@example.test"]
    assert row.purpose == "letter" and row.payload["letters"] == ["request_receipt"]
    assert (await _email_dispatcher(services, smtp_server).drain_once()).sent >= 1
    (mail,) = [m for m in smtp_server.messages if m["To"] == "siti@example.test"]
    assert mail["Subject"] == f"[{case.reference}] Tanda Bukti Permohonan Informasi Publik"
    assert case.reference in mail.get_body(preferencelist=("plain",)).get_content()
    text = _pdf_of(mail)
    for expected in ("TANDA BUKTI PERMOHONAN INFORMASI PUBLIK", case.reference, "Siti Aminah",
                     "Laporan realisasi anggaran 2025", "siti@example.test"):  # fmt: skip
        assert expected in text, expected


async def test_desk_registered_complaint_sends_the_receipt_as_a_telegram_document(
    services: Services,
    telegram_api: BotApiEmulator,  # noqa: F811
) -> None:
    now = services.clock.now()
    async with services.db.transaction() as session:
        requester = Requester(name="Budi")
        session.add(requester)
        await session.flush()
        await add_contact(session, requester, ContactKind.TELEGRAM, "4711")
        case = await open_case(
            session, kind=CaseKind.COMPLAINT, channel=Channel.TELEPON, requester=requester,
            received_at=now, rules=await load_rules(session, services.settings), actor="t",
            now=now, details={"description": "Lampu jalan mati", "classification": "pengaduan"},
        )  # fmt: skip
    bot = Bot(TOKEN, base_url=telegram_api.base_url, base_file_url=telegram_api.base_file_url)
    await bot.initialize()
    try:
        sender = TelegramSender(bot, services, ChannelState(services.db))
        dispatcher = Dispatcher(services.db, {"telegram": sender}, services.clock,
                                settings=services.settings, limiter=RateLimiter({}))  # fmt: skip
        assert (await dispatcher.drain_once()).sent >= 1
    finally:
        await bot.shutdown()
    (message,) = telegram_api.messages(4711)
    assert case.reference in message["caption"]
    document = message["document"]
    assert document["file_name"] == f"TBA-{case.reference.replace('/', '-')}.pdf"
    text = pdf_text(telegram_api.file_bytes(document["file_id"]))
    assert "TANDA TERIMA PENGADUAN" in text and "Lampu jalan mati" in text


async def test_a_phone_only_desk_requester_gets_no_message_and_electronic_intake_no_letter(
    services: Services,
) -> None:
    await make_case(services)  # phone only: the receipt is printed at the desk
    await make_case(services, channel=Channel.EMAIL,
                    details={**COMPLETE_REQUEST, "email": "a@example.test"})  # fmt: skip
    assert [r for r in await outbox_rows(services) if r.purpose == "letter"] == []


async def test_the_decision_goes_out_as_the_written_notice_attached(
    services: Services,
    smtp_server: SmtpSink,  # noqa: F811
) -> None:
    case = await make_case(services, details={**COMPLETE_REQUEST, "email": "ani@example.test"})
    async with step(services, case, wib("2026-01-07", 10)) as (s, c, rules, now):
        await requests.decide(
            s, c, decision="granted_full", rules=rules, actor="t", now=now,
            information_form="softcopy", time_to_provide="Terlampir",
        )  # fmt: skip
    await _email_dispatcher(services, smtp_server).drain_once()
    mails = [m for m in smtp_server.messages if "Pemberitahuan Tertulis" in m["Subject"]]
    (mail,) = mails
    assert mail["Subject"] == f"[{case.reference}] Pemberitahuan Tertulis"
    text = _pdf_of(mail)
    for expected in ("PEMBERITAHUAN TERTULIS", case.reference, "Informasi dapat diberikan "
                     "seluruhnya", "Softcopy", "Rp0", "Terlampir"):  # fmt: skip
        assert expected in text, expected


async def test_a_returning_citizen_at_the_desk_gets_the_receipt_on_their_telegram(
    services: Services,
) -> None:
    await make_officer(services, Role.ADMIN, telegram_user_id=DESK_OFFICER)
    async with services.db.transaction() as session:
        known = Requester(name="Siti Aminah")
        session.add(known)
        await session.flush()
        await add_contact(session, known, ContactKind.TELEGRAM, "5151")
        await add_contact(session, known, ContactKind.EMAIL, "siti@example.test")
    details = {**COMPLETE_REQUEST, "email": "Siti@Example.test"}
    case = await Desk(services).register(
        AT_DESK, CaseKind.INFORMATION_REQUEST, Channel.SURAT, details, []
    )
    assert case.requester_id == known.id  # one record per citizen, not a new one per visit
    (row,) = [r for r in await outbox_rows(services) if r.purpose == "letter"]
    assert (row.channel, row.recipient) == ("telegram", "5151")
