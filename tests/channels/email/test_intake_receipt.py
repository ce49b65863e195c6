"""An email requester's acknowledgement carries the proof of request as a PDF attachment, also
while fields are missing (UU KIP Pasal 22: the number is the proof); machine-written mail and a
sender over the daily cap get nothing. Through IMAP (Dovecot), the outbox and a real SMTP sink."""

from __future__ import annotations

from bot.services import Services
from channels.email.poller import MailboxWatcher
from channels.email.sender import EmailSender
from scheduler.dispatch import Dispatcher
from scheduler.ratelimit import RateLimiter
from tests.channels.email.conftest import revalidated
from tests.support.dovecot import DovecotServer
from tests.support.emails import make_email
from tests.support.pdf import pdf_text
from tests.support.smtp import SmtpSink
from tests.support.timeline import outbox_rows


async def _send_all(services: Services, sink: SmtpSink) -> None:
    settings = revalidated(services.settings, smtp_host="127.0.0.1", smtp_port=sink.port,
                           smtp_security="none")  # fmt: skip
    sender = EmailSender(settings, services.clock, services.db, services.blobs)  # as `loket run`
    dispatcher = Dispatcher(services.db, {"email": sender}, services.clock, settings=settings,
                            limiter=RateLimiter({}))  # fmt: skip
    await dispatcher.drain_once()


async def test_the_acknowledgement_carries_the_proof_of_request_pdf(
    mail_services: Services,
    watcher: MailboxWatcher,
    dovecot: DovecotServer,
    folder: str,
    smtp_server: SmtpSink,
) -> None:
    dovecot.append(folder, make_email(sender="Siti Aminah <siti@warga.test>"))
    assert (await watcher.poll_now()).counts == {"new_case": 1}
    await _send_all(mail_services, smtp_server)
    (ack,) = smtp_server.messages
    (reference,) = {r.payload["reply_token_case"] for r in await outbox_rows(mail_services)}
    assert ack["Auto-Submitted"] == "auto-replied"
    assert reference in ack.get_body(preferencelist=("plain",)).get_content()
    (pdf,) = [p for p in ack.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == f"TBP-{reference.replace('/', '-')}.pdf"
    text = pdf_text(pdf.get_content())
    for expected in ("TANDA BUKTI PERMOHONAN INFORMASI PUBLIK", reference, "Siti Aminah",
                     "siti@warga.test", "laporan realisasi anggaran 2025"):  # fmt: skip
        assert expected in text, expected
    # The request still lacks NIK, address, purpose...: the proof says what is missing.
    assert "Data berikut masih perlu dilengkapi" in text and "Alamat" in text


async def test_machine_written_mail_gets_no_acknowledgement_and_no_pdf(
    mail_services: Services,
    watcher: MailboxWatcher,
    dovecot: DovecotServer,
    folder: str,
    smtp_server: SmtpSink,
) -> None:
    dovecot.append(folder, make_email(headers={"Auto-Submitted": "auto-generated"}))
    bulk = {"Precedence": "bulk", "List-Id": "<l.test>"}
    dovecot.append(folder, make_email(message_id="<bulk-1@l.test>", headers=bulk))
    await watcher.poll_now()
    assert await outbox_rows(mail_services) == []
    await _send_all(mail_services, smtp_server)
    assert smtp_server.messages == []
