"""The dispatcher through the real channel senders: SMTP down then up on a real aiosmtpd
server, a mailbox that does not exist, and Telegram 429 then success / 403 on the Bot API
emulator.
"""

from __future__ import annotations

import datetime as dt

from telegram import Bot

from bot.notify.outbox import enqueue
from bot.services import Services
from channels.email.sender import EmailSender
from channels.telegram.sender import TelegramSender
from channels.telegram.state import ChannelState
from sandbox.telegram_api.server import BotApiEmulator
from scheduler.dispatch import Dispatcher
from scheduler.ratelimit import RateLimiter
from store.enums import OutboxStatus
from tests.support.smtp import SmtpSink, smtp_server  # noqa: F401  (fixture)
from tests.support.telegram import TOKEN, telegram_api  # noqa: F401  (fixture)
from tests.support.timeline import outbox_rows


def email_dispatcher(services: Services, sink: SmtpSink) -> Dispatcher:
    """A dispatcher whose email sender talks to `sink`."""
    settings = services.settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": sink.port,
            "smtp_security": "none",
            "mail_from": "ppid@pemda.example",
        }
    )
    sender = EmailSender(settings, services.clock, services.db, services.blobs)  # as `loket run`
    return Dispatcher(
        services.db, {"email": sender}, services.clock, settings=settings, limiter=RateLimiter({})
    )


async def queue_mail(services: Services, recipient: str) -> None:
    """One status update by email."""
    async with services.db.transaction() as session:
        await enqueue(
            session, dedup_key=f"mail:{recipient}", channel="email", recipient=recipient,
            purpose="status_update", subject="[PPID/2026/000001] Perkembangan",
            body="Masih diproses.", now=services.clock.now(),
            payload={"in_reply_to": None, "reply_token_case": None, "auto_submitted": True},
        )  # fmt: skip


async def test_smtp_down_then_up(services: Services, smtp_server: SmtpSink) -> None:  # noqa: F811
    await queue_mail(services, "siti@example.test")
    dispatcher = email_dispatcher(services, smtp_server)
    smtp_server.stop()
    summary = await dispatcher.drain_once()
    assert (summary.sent, summary.retried) == (0, 1)
    (row,) = await outbox_rows(services)
    assert row.status == OutboxStatus.PENDING and "unreachable" in (row.last_error or "")
    assert row.not_before == services.clock.now() + dt.timedelta(seconds=30)

    smtp_server.start()
    assert (await dispatcher.drain_once()).sent == 0  # still backing off
    services.clock.advance(dt.timedelta(seconds=30))  # type: ignore[attr-defined]
    assert (await dispatcher.drain_once()).sent == 1
    (mail,) = smtp_server.messages
    (row,) = await outbox_rows(services)
    assert row.status == OutboxStatus.SENT and mail["Message-ID"] == f"<{row.external_id}>"
    assert mail["To"] == "siti@example.test" and mail["Auto-Submitted"] == "auto-generated"
    assert (await dispatcher.drain_once()).sent == 0 and len(smtp_server.messages) == 1


async def test_smtp_550_fails_the_row_at_once(services: Services, smtp_server: SmtpSink) -> None:  # noqa: F811
    smtp_server.refused.add("nobody@example.test")
    await queue_mail(services, "nobody@example.test")
    summary = await email_dispatcher(services, smtp_server).drain_once()
    assert summary.failed == 1
    (row,) = await outbox_rows(services)
    assert row.status == OutboxStatus.FAILED and row.attempts == 1
    assert smtp_server.messages == []


async def telegram_dispatcher(services: Services, api: BotApiEmulator) -> tuple[Dispatcher, Bot]:
    """A dispatcher whose Telegram sender talks to the Bot API emulator."""
    bot = Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url)
    await bot.initialize()
    sender = TelegramSender(bot, services, ChannelState(services.db))
    dispatcher = Dispatcher(
        services.db, {"telegram": sender}, services.clock, settings=services.settings,
        limiter=RateLimiter({}),
    )  # fmt: skip
    return dispatcher, bot


async def queue_chat(services: Services, chat_id: int) -> None:
    """One reminder to a Telegram chat."""
    async with services.db.transaction() as session:
        await enqueue(
            session, dedup_key=f"tg:{chat_id}", channel="telegram", recipient=str(chat_id),
            purpose="reminder", body="Pengingat: jatuh tempo besok.", now=services.clock.now(),
            payload={"actions": [], "case_id": None, "reply_to": None, "attachments": []},
        )  # fmt: skip


async def test_telegram_429_then_success(
    services: Services,
    telegram_api: BotApiEmulator,  # noqa: F811
) -> None:
    await queue_chat(services, 4242)
    dispatcher, bot = await telegram_dispatcher(services, telegram_api)
    try:
        telegram_api.fail_next("sendMessage", code=429, retry_after=7)
        assert (await dispatcher.drain_once()).retried == 1
        (row,) = await outbox_rows(services)
        assert row.not_before == services.clock.now() + dt.timedelta(seconds=7)
        services.clock.advance(dt.timedelta(seconds=7))  # type: ignore[attr-defined]
        assert (await dispatcher.drain_once()).sent == 1
    finally:
        await bot.shutdown()
    (message,) = telegram_api.messages(4242)
    assert message["text"] == "Pengingat: jatuh tempo besok."
    (row,) = await outbox_rows(services)
    assert (row.status, row.attempts, row.external_id) == ("sent", 2, str(message["message_id"]))


async def test_telegram_403_fails_for_good(
    services: Services,
    telegram_api: BotApiEmulator,  # noqa: F811
) -> None:
    await queue_chat(services, 4343)
    telegram_api.blocked.add(4343)
    dispatcher, bot = await telegram_dispatcher(services, telegram_api)
    try:
        assert (await dispatcher.drain_once()).failed == 1
    finally:
        await bot.shutdown()
    (row,) = await outbox_rows(services)
    assert row.status == OutboxStatus.FAILED and "403" in (row.last_error or "")
