"""Conversation drafts in the store: kept across restarts, a re-handled message recognised,
abandoned answers forgotten while the chosen language stays."""

from __future__ import annotations

import datetime as dt

from bot.intake.drafts import Drafts
from store.db import Database

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


async def test_a_saved_draft_is_read_back_and_its_message_recognised(db: Database) -> None:
    drafts = Drafts(db)
    draft = await drafts.load("whatsapp", "+6281", "id")
    assert (draft.flow, await drafts.stored("whatsapp", "+6281")) == (None, False)
    draft.start("request", "identity", name="Siti Aminah")
    draft.language = "en"
    await drafts.save(draft, NOW, "wamid.1")
    again = await Drafts(db).load("whatsapp", "+6281", "id")  # another process
    assert (again.language, again.flow, again.step) == ("en", "request", "identity")
    assert again.data["name"] == "Siti Aminah" and again.data["token"] == draft.data["token"]
    assert await drafts.applied("whatsapp", "+6281", "wamid.1")
    assert not await drafts.applied("whatsapp", "+6281", "wamid.2")
    assert (await drafts.load("telegram", "+6281", "id")).flow is None  # per channel


async def test_abandoned_answers_are_forgotten_and_the_language_kept(db: Database) -> None:
    drafts = Drafts(db)
    old = await drafts.load("whatsapp", "+6281", "en")
    old.start("request", "address", nik="3171014501900001")
    await drafts.save(old, NOW, "wamid.1")
    fresh = await drafts.load("whatsapp", "+6282", "id")
    fresh.start("complaint", "category")
    await drafts.save(fresh, NOW + dt.timedelta(days=40), "wamid.2")
    await drafts.forget(NOW + dt.timedelta(days=10))
    forgotten = await drafts.load("whatsapp", "+6281", "id")
    assert (forgotten.language, forgotten.flow, forgotten.data) == ("en", None, {})
    assert (await drafts.load("whatsapp", "+6282", "id")).flow == "complaint"
