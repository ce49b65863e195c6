"""A handler's answers are outbox rows keyed by the update: committed, sent in order by the
dispatcher at once, and never doubled when the update is handled again."""

from __future__ import annotations

from sqlmodel import col, select

from bot.notify.purposes import Purpose
from store.models import OutboxMessage
from tests.channels.telegram.conftest import TelegramHarness


async def answers(tg: TelegramHarness) -> list[OutboxMessage]:
    """The handlers' answer rows, oldest first."""
    async with tg.services.db.session() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.purpose == Purpose.CHAT_REPLY.value)
        return list((await session.exec(stmt.order_by(col(OutboxMessage.id)))).all())


async def test_an_answer_is_a_sent_outbox_row_keyed_by_its_update(tg: TelegramHarness) -> None:
    siti = tg.citizen(42)
    update = await siti.say("/start")
    menu = await siti.reply()
    assert "Selamat datang" in menu["text"]
    await tg.settle()
    (row,) = await answers(tg)
    assert (row.status, row.recipient) == ("sent", "42")
    assert row.dedup_key == f"tg-reply:{update['update_id']}:1"
    assert row.external_id == str(menu["message_id"])


async def test_an_answer_queued_again_under_its_key_is_sent_once(tg: TelegramHarness) -> None:
    assert tg.parts is not None
    sender = tg.parts.sender
    for _ in range(2):  # the handler of one update run twice (killed before it was marked done)
        delivery = await sender.reply("tg-reply:77:1", 42, "Halo")  # type: ignore[attr-defined]
        assert delivery is not None
        await delivery
    assert [m["text"] for m in tg.api.messages(42)] == ["Halo"]
    assert len(await answers(tg)) == 1
