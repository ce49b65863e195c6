"""Transport: re-delivered updates, 429 and flood limits, 403, network errors, webhook mode."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlmodel import select

from bot.notify.outbox import enqueue
from bot.services import Services
from bot.settings import SettingsError
from channels.telegram import build
from sandbox.telegram_api.server import BotApiEmulator, ManualClock, RateLimits
from store.enums import OutboxStatus
from store.models import Contact, Message, OutboxMessage
from tests.channels.telegram.conftest import DESK_CHAT, TelegramHarness
from tests.channels.telegram.helpers import make_desk, telegram_case
from tests.support.builders import COMPLETE_REQUEST
from tests.support.network import free_port
from tests.support.telegram import TOKEN, telegram_settings


async def inbound_count(services: Services) -> int:
    """Messages stored from Telegram users."""
    async with services.db.session() as session:
        rows = (await session.exec(select(Message).where(Message.direction == "in"))).all()
    return len(rows)


def test_no_token_no_channel(services: Services) -> None:
    assert build(services) is None


def test_webhook_needs_a_secret(tg_services: Services) -> None:
    settings = tg_services.settings.model_copy(update={"telegram_webhook_url": "https://x/hook"})
    with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET"):
        build(Services(settings, tg_services.db, tg_services.clock, tg_services.blobs))


async def test_a_redelivered_update_does_nothing_twice(tg: TelegramHarness) -> None:
    await telegram_case(tg.services, 42)
    siti = tg.citizen(42)
    update = await siti.say("Apakah sudah diproses?")
    assert "sudah kami catat" in (await siti.reply())["text"]
    before = await inbound_count(tg.services)

    await tg.api.redeliver(update)  # same update id
    await tg.api.push_update({"message": update["message"]})  # same chat message, new id
    status = await siti.send("/status")  # answered in order: nothing came before it
    assert "Status permohonan" in status["text"]
    await tg.restart()
    await tg.api.redeliver(update)  # after a crash, before the offset was confirmed
    assert "Status permohonan" in (await siti.send("/status"))["text"]
    assert await inbound_count(tg.services) == before
    assert tg.api.unread(42) == []


async def test_a_429_on_a_direct_answer_is_waited_out(tg: TelegramHarness) -> None:
    tg.api.fail_next("sendMessage", code=429, retry_after=1, chat_id=42)
    menu = await tg.citizen(42).send("/start")
    assert "Selamat datang" in menu["text"]
    to_42 = [c for c in tg.api.calls_of("sendMessage") if c.params["chat_id"] == 42]
    assert len(to_42) == 2


async def test_a_429_on_an_outbox_row_waits_for_retry_after(tg: TelegramHarness) -> None:
    case = await telegram_case(tg.services, 42)
    tg.api.fail_next("sendMessage", code=429, retry_after=9, chat_id=DESK_CHAT)
    summary = await tg.dispatch()
    # The acknowledgement and the proof-of-request PDF after it went, the card waits.
    assert (summary.sent, summary.retried) == (2, 1)
    async with tg.services.db.session() as session:
        card = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.purpose == "officer_card"))
        ).one()
    assert card.status == OutboxStatus.PENDING
    assert card.not_before == tg.services.clock.now() + dt.timedelta(seconds=9)
    tg.services.clock.advance(dt.timedelta(seconds=9))  # type: ignore[attr-defined]
    assert (await tg.dispatch()).sent == 1
    assert case.reference in tg.api.messages(DESK_CHAT)[0]["text"]


async def test_network_errors_are_retried(tg: TelegramHarness) -> None:
    await telegram_case(tg.services, 42)
    tg.api.fail_next("sendMessage", network=True, chat_id=DESK_CHAT)
    assert (await tg.dispatch()).retried == 1


@pytest_asyncio.fixture
async def limited(services: Services) -> AsyncIterator[tuple[TelegramHarness, ManualClock]]:
    """The channel against an emulator enforcing Telegram's limits on a manual clock."""
    clock = ManualClock()
    api = await BotApiEmulator(TOKEN, limits=RateLimits(), clock=clock).start()
    settings = telegram_settings(services.settings, api, telegram_desk_chat_id=DESK_CHAT)
    harness = TelegramHarness(api, Services(settings, services.db, services.clock, services.blobs))
    await harness.start()
    yield harness, clock
    await harness.stop()
    await api.stop()


async def test_flood_limits_are_respected_through_the_outbox(
    limited: tuple[TelegramHarness, ManualClock],
) -> None:
    tg, flood_clock = limited
    await telegram_case(tg.services, 42, tag="a")
    await telegram_case(
        tg.services, 43, tag="b", fields={**COMPLETE_REQUEST, "phone": "0813 9999 1111"}
    )
    # Two acks, two cards to the same group in the same second, and each citizen's PDF right
    # after their ack (one message a second per chat): the second card and both PDFs wait.
    summary = await tg.dispatch()
    assert (summary.sent, summary.retried) == (3, 3)
    assert len(tg.api.messages(DESK_CHAT)) == 1
    flood_clock.advance(1)
    tg.services.clock.advance(dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    assert (await tg.dispatch()).sent == 3
    assert len(tg.api.messages(DESK_CHAT)) == 2
    for chat in (42, 43):
        ack, pdf = tg.api.messages(chat)
        assert "text" in ack and pdf["document"]["file_name"].endswith(".pdf")


async def test_a_blocked_bot_marks_the_contact_failing_and_tells_officers(
    tg: TelegramHarness,
) -> None:
    await make_desk(tg.services)
    case = await telegram_case(tg.services, 42)
    tg.api.blocked.add(42)
    await tg.dispatch()
    admin = tg.officer(801, DESK_CHAT)
    card = next(m for m in tg.api.messages(DESK_CHAT) if case.reference in m["text"])
    tg.api.unread(DESK_CHAT)
    async with tg.services.db.session() as session:
        contact = (await session.exec(select(Contact).where(Contact.kind == "telegram"))).one()
        failed = (
            await session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.status == "failed", OutboxMessage.purpose != "letter"
                )
            )
        ).one()
        letter = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.purpose == "letter"))
        ).one()
    assert contact.failing and "403" in (contact.failing_reason or "")
    assert failed.purpose == "acknowledgement"
    assert letter.status == "failed"  # the PDF after it: not sent either
    await tg.dispatch()
    told = [m for m in tg.api.messages(801) if case.reference in m.get("text", "")]
    assert told, "the PPID Utama and admins are told in their private chats"
    answer = await admin.send("Dokumen siap diambil.", reply_to=card)
    assert "tidak punya kontak Telegram atau email yang berfungsi" in answer["text"]


async def test_webhook_mode_checks_the_secret(
    services: Services, telegram_api: BotApiEmulator
) -> None:
    port = free_port()
    settings = telegram_settings(
        services.settings,
        telegram_api,
        telegram_webhook_url=f"http://127.0.0.1:{port}/tg/hook",
        telegram_webhook_secret=SecretStr("s3cret-token"),
        http_port=port,
    )
    harness = TelegramHarness(
        telegram_api, Services(settings, services.db, services.clock, services.blobs)
    )
    await harness.start()
    try:
        (hook,) = telegram_api.calls_of("setWebhook")
        assert hook.params["secret_token"] == "s3cret-token"
        assert "deleteWebhook" not in [c.method for c in telegram_api.calls]
        menu = await harness.citizen(42).send("/start")
        assert "Selamat datang" in menu["text"]
        forged = {
            "update_id": 999,
            "message": {
                **menu,
                "text": "/start",
                "from": {"id": 7, "is_bot": False, "first_name": "X"},
            },
        }
        assert await telegram_api.post_webhook(forged, "wrong") == 403
        assert await telegram_api.post_webhook(forged, None) == 403
    finally:
        await harness.stop()
    assert telegram_api.messages(7) == []


async def test_a_long_message_is_split_with_the_buttons_last(tg: TelegramHarness) -> None:
    case = await telegram_case(tg.services, 42)
    async with tg.services.db.transaction() as session:
        await enqueue(
            session,
            dedup_key="long",
            channel="telegram",
            recipient="-1005",
            purpose="officer_relay",
            body="baris panjang sekali\n" * 300,
            case_id=case.id,
            now=tg.services.clock.now(),
            payload={"actions": ["claim"], "case_id": case.id, "reply_to": None, "attachments": []},
        )
    await tg.dispatch()
    first, second = tg.api.messages(-1005)
    assert len(first["text"]) <= 4096 and "reply_markup" not in first
    assert second["reply_markup"]["inline_keyboard"][0][0]["text"] == "🙋 Ambil"
