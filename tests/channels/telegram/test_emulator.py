"""The Bot API emulator against python-telegram-bot's real HTTP stack."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from channels.telegram.errors import retry_after_seconds
from sandbox.telegram_api.server import BotApiEmulator, ManualClock, RateLimits
from tests.support.telegram import TOKEN, limited_telegram_api, telegram_api  # noqa: F401


@pytest_asyncio.fixture
async def bot(telegram_api: BotApiEmulator) -> AsyncIterator[Bot]:  # noqa: F811
    b = Bot(TOKEN, base_url=telegram_api.base_url, base_file_url=telegram_api.base_file_url)
    async with b:
        yield b


async def test_polling_roundtrip_with_buttons(telegram_api: BotApiEmulator) -> None:  # noqa: F811
    async def echo(update, context):  # type: ignore[no-untyped-def]
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ya", callback_data="yes")]])
        await update.message.reply_text(f"echo: {update.message.text}", reply_markup=keyboard)

    async def pressed(update, context):  # type: ignore[no-untyped-def]
        await update.callback_query.answer("ok")
        await update.callback_query.edit_message_text("done")

    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(telegram_api.base_url)
        .base_file_url(telegram_api.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=1, poll_interval=0)
        await telegram_api.push_text("123")
        reply = await telegram_api.next_message(42)
        await telegram_api.tap(reply, "Ya")
        await telegram_api.wait_until(lambda: bool(telegram_api.callback_answers))
        await telegram_api.wait_until(lambda: telegram_api.messages(42)[0]["text"] == "done")
        await app.updater.stop()
        await app.stop()
    assert reply["text"] == "echo: 123"  # a numeric text stays a string
    assert "reply_markup" not in telegram_api.messages(42)[0]
    assert [c.method for c in telegram_api.calls][:2] == ["getMe", "deleteWebhook"]


async def test_files_roundtrip(telegram_api: BotApiEmulator, bot: Bot) -> None:  # noqa: F811
    update = await telegram_api.push_document(b"%PDF-1.4 data", filename="ktp.pdf")
    file = await bot.get_file(update["message"]["document"]["file_id"])
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 data"
    sent = await bot.send_document(42, InputFile(b"hello", filename="a.txt"), caption="c")
    assert telegram_api.file_bytes(sent.document.file_id) == b"hello"
    big = await telegram_api.push_document(b"x", size=25 * 1024 * 1024)
    with pytest.raises(Exception, match="too big"):
        await bot.get_file(big["message"]["document"]["file_id"])


async def test_primed_failures(telegram_api: BotApiEmulator, bot: Bot) -> None:  # noqa: F811
    telegram_api.fail_next("sendMessage", code=429, retry_after=7)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(42, "a")
    assert retry_after_seconds(info.value) == 7
    telegram_api.fail_next("sendMessage", code=403, chat_id=43)
    await bot.send_message(42, "not the primed chat")
    with pytest.raises(Forbidden):
        await bot.send_message(43, "b")
    telegram_api.fail_next("sendMessage", network=True)
    with pytest.raises(NetworkError):
        await bot.send_message(42, "c")
    assert (await bot.send_message(42, "d")).text == "d"


async def test_flood_limits_on_manual_clock(
    limited_telegram_api: tuple[BotApiEmulator, ManualClock],  # noqa: F811
) -> None:
    api, clock = limited_telegram_api
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        await bot.send_message(42, "first")
        with pytest.raises(RetryAfter):
            await bot.send_message(42, "second, same second")
        await bot.send_message(43, "another chat is fine")
        clock.advance(1)
        await bot.send_message(42, "a second later")
        for i in range(19):
            await bot.send_message(-100, f"group {i}")
            clock.advance(1)
        await bot.send_message(-100, "20th in the minute")
        clock.advance(1)
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(-100, "21st in the minute")
        assert retry_after_seconds(info.value) > 30


async def test_overall_limit() -> None:
    clock = ManualClock()
    api = await BotApiEmulator(TOKEN, limits=RateLimits(), clock=clock).start()
    try:
        async with Bot(TOKEN, base_url=api.base_url) as bot:
            for chat in range(1, 31):
                await bot.send_message(chat, "hi")
            with pytest.raises(RetryAfter):
                await bot.send_message(31, "31st this second")
    finally:
        await api.stop()


async def test_redelivery_and_webhook(telegram_api: BotApiEmulator, bot: Bot) -> None:  # noqa: F811
    first = await telegram_api.push_text("hello")
    updates = await bot.get_updates(timeout=0)
    await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert telegram_api.confirmed_below == updates[-1].update_id + 1
    assert telegram_api.unconfirmed == []
    await telegram_api.redeliver(first)
    again = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert [u.update_id for u in again] == [first["update_id"]]
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()

    received: list[tuple[dict, str | None]] = []
    from aiohttp import web

    async def hook(req: web.Request) -> web.Response:
        received.append((await req.json(), req.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return web.Response(status=500 if len(received) == 1 else 200)  # the first one fails

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        await telegram_api.push_text("via webhook")
        await telegram_api.wait_until(lambda: len(received) == 2)  # sent again after the 500
        assert received[0] == received[1]
        assert received[0][0]["message"]["text"] == "via webhook"
        assert received[0][1] == "s3cret"
        assert telegram_api.webhook is not None
        await telegram_api.wait_until(lambda: len(telegram_api.webhook.deliveries) == 2)  # type: ignore[union-attr]
        assert [d[1] for d in telegram_api.webhook.deliveries] == [500, 200]
        await bot.delete_webhook()
    finally:
        await runner.cleanup()
    await asyncio.sleep(0)
