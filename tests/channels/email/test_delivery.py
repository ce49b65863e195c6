"""From a request in the mailbox to the acknowledgement in the requester's inbox and back:
through the outbox dispatcher and a real SMTP server that is down at first."""

from __future__ import annotations

import datetime as dt

from bot.clock import FixedClock
from bot.services import Services
from channels.email.poller import MailboxWatcher
from channels.email.sender import EmailSender
from channels.email.threads import reference_from_address
from scheduler.dispatch import Dispatcher
from scheduler.ratelimit import RateLimiter
from tests.channels.email.conftest import revalidated
from tests.support.dovecot import DovecotServer
from tests.support.emails import make_email
from tests.support.smtp import SmtpSink


async def test_smtp_down_then_up_the_acknowledgement_arrives_exactly_once(
    mail_services: Services,
    watcher: MailboxWatcher,
    dovecot: DovecotServer,
    folder: str,
    smtp_server: SmtpSink,
) -> None:
    dovecot.append(folder, make_email(sender="Siti <siti@warga.test>"))
    assert (await watcher.poll_now()).counts == {"new_case": 1}
    settings = revalidated(mail_services.settings, smtp_host="127.0.0.1",
                           smtp_port=smtp_server.port, smtp_security="none")  # fmt: skip
    clock = mail_services.clock
    assert isinstance(clock, FixedClock)
    sender = EmailSender(settings, clock, mail_services.db, mail_services.blobs)  # as `loket run`
    dispatcher = Dispatcher(mail_services.db, {"email": sender}, clock,
                            settings=settings, limiter=RateLimiter({}))  # fmt: skip

    smtp_server.stop()
    down = await dispatcher.drain_once()
    assert (down.sent, down.retried) == (0, 1)
    smtp_server.start()
    clock.advance(dt.timedelta(hours=2))  # past the retry back-off
    assert (await dispatcher.drain_once()).sent == 1
    clock.advance(dt.timedelta(days=1))
    assert (await dispatcher.drain_once()).sent == 0
    (ack,) = smtp_server.messages
    assert ack["To"] == "siti@warga.test" and ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == "<req-1@warga.test>"
    reference = reference_from_address(
        str(ack["Reply-To"]), settings.reply_secret.get_secret_value()
    )
    assert reference and reference in str(ack["Subject"])

    # The requester answers the acknowledgement: the reply lands on the same case.
    dovecot.append(folder, make_email(sender="Siti <siti@warga.test>", to=str(ack["Reply-To"]),
                                      subject=f"Re: {ack['Subject']}", message_id="<r@warga.test>",
                                      in_reply_to=str(ack["Message-ID"]),
                                      body="Alamat: Jl. Merdeka 1"))  # fmt: skip
    summary = await watcher.poll_now()
    assert summary.counts == {"appended": 1}
