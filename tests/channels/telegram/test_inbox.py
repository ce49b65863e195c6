"""The Telegram inbox: updates stored before they are confirmed, handled from the store, a failing
handler retried and then kept as a dead letter that officers list and retry, a restart that
finds stored updates handles them once, a saved conversation step is not applied twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlmodel import select
from telegram import Update
from typer.testing import CliRunner

from app.cli.main import app as cli
from bot.intake.inbox import Inbox
from bot.services import Services
from channels.telegram.handlers import menu
from channels.telegram.routing import CHANNEL, to_inbound
from channels.telegram.sender import TelegramSender
from sandbox.telegram_api.server import BotApiEmulator
from store.models import InboundUpdate, TelegramDraft
from tests.channels.telegram.conftest import TelegramHarness
from tests.support.network import free_port
from tests.support.telegram import telegram_settings

HELP = "Cara menggunakan layanan ini"
SORRY = "Maaf, terjadi gangguan"


async def rows(services: Services) -> list[InboundUpdate]:
    """Every stored update, in arrival order."""
    async with services.db.session() as session:
        return list((await session.exec(select(InboundUpdate).order_by(InboundUpdate.id))).all())


async def failure_recorded(tg: TelegramHarness) -> None:
    """Wait until the first update's failed attempt is recorded (the apology comes before)."""
    for _ in range(100):
        if (await rows(tg.services))[0].last_error:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no failure recorded")


async def settled(services: Services, *states: str) -> list[InboundUpdate]:
    """The stored updates once their states are `states` (the answer goes out before the
    update is marked done)."""
    for _ in range(100):
        found = await rows(services)
        if tuple(r.state for r in found) == states:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"states {[r.state for r in found]} never became {states}")


async def loket(args: list[str]) -> Any:
    """`loket *args` (in a thread: the CLI runs its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, cli, args)


class Flaky:
    """/bantuan that raises the first `failures` times, then answers as usual."""

    def __init__(self, failures: int) -> None:
        self.failures, self.calls = failures, 0
        self.original: Callable[..., Awaitable[None]] = menu.help_command

    async def __call__(self, update: Any, context: Any) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError("database went away")
        await self.original(update, context)


@pytest_asyncio.fixture
async def flaky_tg(
    tg_services: Services, telegram_api: BotApiEmulator, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[TelegramHarness, Flaky]]:
    """The channel with a /bantuan that fails `request.param` times; two attempts allowed."""
    flaky = Flaky(request.param)
    patch = pytest.MonkeyPatch()
    patch.setattr(menu, "help_command", flaky)
    settings = tg_services.settings.model_copy(update={"inbox_max_attempts": 2})
    harness = TelegramHarness(
        telegram_api, Services(settings, tg_services.db, tg_services.clock, tg_services.blobs)
    )
    await harness.start()
    yield harness, flaky
    await harness.stop()
    patch.undo()


@pytest.mark.parametrize("flaky_tg", [1], indirect=True)
async def test_a_failed_handler_is_retried_and_the_person_hears_one_apology(
    flaky_tg: tuple[TelegramHarness, Flaky],
) -> None:
    tg, flaky = flaky_tg
    siti = tg.citizen(42)
    await siti.say("/bantuan")
    assert SORRY in (await siti.reply())["text"]
    await failure_recorded(tg)
    (row,) = await rows(tg.services)
    assert (row.state, row.attempts) == ("pending", 1) and "database went away" in row.last_error
    tg.services.clock.advance(dt.timedelta(seconds=10))  # type: ignore[attr-defined]
    assert HELP in (await siti.reply())["text"]
    (row,) = await settled(tg.services, "done")
    assert (row.payload, flaky.calls) == (None, 2)  # payload dropped
    assert tg.api.unread(42) == []


@pytest.mark.parametrize("flaky_tg", [99], indirect=True)
async def test_an_update_that_keeps_failing_becomes_a_dead_letter_officers_can_retry(
    flaky_tg: tuple[TelegramHarness, Flaky],
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tg, flaky = flaky_tg
    siti = tg.citizen(42)
    sent = await siti.say("/bantuan")
    later = await siti.say("/start")  # the same chat: waits behind the failing update
    assert SORRY in (await siti.reply())["text"]
    await failure_recorded(tg)
    tg.services.clock.advance(dt.timedelta(seconds=10))  # type: ignore[attr-defined]
    assert "Selamat datang" in (await siti.reply())["text"]  # handled once the first is dead
    dead, done = await settled(tg.services, "dead", "done")
    assert (dead.attempts, dead.payload) == (2, sent)  # kept exactly as Telegram sent it
    assert done.external_id == str(later["update_id"])

    await tg.settle()  # the answers sent in the background are marked (and logged) by now
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    listed = await loket(["telegram", "dead-letters", "--json"])
    assert listed.exit_code == 0, listed.output
    (letter,) = json.loads(listed.output)
    assert (letter["id"], letter["kind"], letter["chat"]) == (dead.id, "message", "42")
    assert "RuntimeError: database went away" in letter["last_error"]
    assert "bantuan" not in listed.output  # what the person wrote is not shown

    flaky.failures = 0  # the cause is fixed
    retried = await loket(["telegram", "dead-letters", "--retry", str(dead.id)])
    assert retried.exit_code == 0, retried.output
    assert HELP in (await siti.reply())["text"]
    await settled(tg.services, "done", "done")
    again = await loket(["telegram", "dead-letters", "--retry", str(dead.id)])
    assert again.exit_code == 2  # no such dead letter any more: bad input, like every command


async def test_updates_stored_by_a_killed_process_are_handled_once_after_restart(
    tg_services: Services, telegram_api: BotApiEmulator
) -> None:
    # What a process killed right after its commit leaves: stored, confirmed, not handled.
    update = {"update_id": 500, "message": {
        "message_id": 1, "date": 0, "chat": telegram_api.chat(42),
        "from": {"id": 42, "is_bot": False, "first_name": "Siti", "language_code": "id"},
        "text": "/bantuan", "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
    }}  # fmt: skip
    inbox = Inbox(tg_services.db)
    await inbox.store([to_inbound(update, Update.de_json(update, None))], tg_services.clock.now())
    assert telegram_api.unconfirmed == []
    harness = TelegramHarness(telegram_api, tg_services)
    await harness.start()
    try:
        assert HELP in (await harness.citizen(42).reply())["text"]
        await telegram_api.redeliver(update)  # Telegram sends it again: stored already
        assert "Selamat datang" in (await harness.citizen(42).send("/start"))["text"]
        await settled(tg_services, "done", "done")
    finally:
        await harness.stop()
    assert await inbox.counts(CHANNEL) == {"done": 2}


async def test_an_update_ptb_cannot_read_is_a_dead_letter_and_polling_goes_on(
    tg: TelegramHarness,
) -> None:
    # A message without its date: PTB's get_updates raised on the whole batch, which ended
    # the polling task (nothing stored, nothing confirmed, no later update ever fetched).
    broken = {"message_id": 999, "chat": tg.api.chat(42), "from": {"id": 42, "is_bot": False,
              "first_name": "Siti"}, "text": "halo"}  # fmt: skip
    await tg.api.push_update({"message": broken})
    assert "Selamat datang" in (await tg.citizen(42).send("/start"))["text"]
    dead, _ = await settled(tg.services, "dead", "done")
    assert dead.payload == {"update_id": int(dead.external_id), "message": broken}
    assert tg.api.unconfirmed == []


async def test_a_step_saved_before_the_kill_is_not_applied_again(tg: TelegramHarness) -> None:
    siti = tg.citizen(42)
    await siti.send("/start")
    update = await siti.say("/batal")
    await siti.reply()
    await tg.stop()
    # As if the process died after /batal saved the conversation, before marking it done:
    async with tg.services.db.transaction() as session:
        row = (await session.exec(select(InboundUpdate).where(
            InboundUpdate.external_id == str(update["update_id"])))).one()  # fmt: skip
        row.state, row.payload, row.finished_at = "pending", update, None
        session.add(row)
        draft = (await session.exec(select(TelegramDraft))).one()
        assert draft.last_update_id == update["update_id"]
    await tg.start()
    assert "Selamat datang" in (await siti.send("/start"))["text"]  # handled after /batal
    assert tg.api.unread(42) == []  # /batal was not answered a second time
    await settled(tg.services, "done", "done", "done")


async def test_an_update_killed_after_saving_its_step_still_answers_when_handled_again(
    tg: TelegramHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /start saves the conversation, then queues its answer. The handler dies in between (as
    # a killed process would: nothing after that point runs or reports back). Handled again,
    # the update must still be answered, not taken as applied with its answer lost.
    queue_answer, died = TelegramSender.reply, asyncio.Event()

    async def dying(self: TelegramSender, *args: Any, **kwargs: Any) -> Any:
        if not died.is_set():
            died.set()
            raise asyncio.CancelledError
        return await queue_answer(self, *args, **kwargs)

    monkeypatch.setattr(TelegramSender, "reply", dying)
    siti = tg.citizen(42)
    update = await siti.say("/start")
    await asyncio.wait_for(died.wait(), 5)
    await tg.stop()
    async with tg.services.db.transaction() as session:  # the dead process's claim ran out
        row = (await session.exec(select(InboundUpdate).where(
            InboundUpdate.external_id == str(update["update_id"])))).one()  # fmt: skip
        assert (row.state, row.attempts, row.last_error) == ("pending", 1, None)
        row.claimed_until = None
        session.add(row)
    await tg.start()
    assert "Selamat datang" in (await siti.reply())["text"]
    await settled(tg.services, "done")
    assert tg.api.unread(42) == []  # answered once


async def test_a_webhook_update_is_answered_200_only_once_stored(
    services: Services, telegram_api: BotApiEmulator
) -> None:
    port = free_port()
    settings = telegram_settings(
        services.settings, telegram_api,
        telegram_webhook_url=f"http://127.0.0.1:{port}/tg/hook",
        telegram_webhook_secret=SecretStr("s3cret-token"), http_port=port,
    )  # fmt: skip
    hooked = Services(settings, services.db, services.clock, services.blobs)
    harness = TelegramHarness(telegram_api, hooked)
    await harness.start()
    try:
        update = await telegram_api.push_text("/bantuan", user_id=42)
        assert HELP in (await harness.citizen(42).reply())["text"]
        await telegram_api.wait_until(lambda: bool(telegram_api.webhook.deliveries))  # type: ignore[union-attr]
        assert telegram_api.webhook.deliveries == [(update["update_id"], 200)]  # type: ignore[union-attr]
        # Telegram sends it again (it did not see our 200): stored once, answered once.
        assert await telegram_api.post_webhook(update, "s3cret-token") == 200
        assert await telegram_api.post_webhook({"nonsense": 1}, "s3cret-token") == 400
        await settled(hooked, "done")
    finally:
        await harness.stop()
    assert [(r.external_id, r.state) for r in await rows(hooked)] == [
        (str(update["update_id"]), "done")
    ]
    assert telegram_api.unread(42) == []
