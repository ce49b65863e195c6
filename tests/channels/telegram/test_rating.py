"""Issue 14: a done complaint's complainant rates the follow-up in chat, 1-5 and a comment."""

from __future__ import annotations

import pytest_asyncio

from bot.services import Services
from bot.workflow import complaints
from bot.workflow.rules import load_rules
from scheduler.jobs.ratings import rating_requests
from store.enums import CaseKind
from store.models import Case
from tests.channels.telegram.conftest import TelegramHarness
from tests.channels.telegram.helpers import Desk, fetch, make_desk, telegram_case
from tests.channels.telegram.test_desk_cards import labels


@pytest_asyncio.fixture
async def desk(tg_services: Services) -> Desk:
    """The body's staff."""
    return await make_desk(tg_services)


async def _done(services: Services, case: Case, unit_id: int) -> None:
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        stored = await session.get(Case, case.id)
        assert stored is not None
        now = services.clock.now()
        await complaints.verify_and_dispose(
            session, stored, unit_id=unit_id, rules=rules, actor="t", now=now
        )
        await complaints.post_followup(
            session, stored, text="Jalan sudah ditambal.", rules=rules, actor="t", now=now
        )
        await complaints.close(session, stored, rules=rules, actor="t", now=now)


async def test_rating_by_tap_then_a_comment(tg: TelegramHarness, desk: Desk) -> None:
    case = await telegram_case(tg.services, 42, kind=CaseKind.COMPLAINT)
    await _done(tg.services, case, desk.staff.unit_id)
    async with tg.services.db.transaction() as session:
        rules = await load_rules(session, tg.services.settings)
        assert await rating_requests(session, rules, tg.services.clock.now()) == 1
        assert await rating_requests(session, rules, tg.services.clock.now()) == 0
    await tg.dispatch()
    await tg.api.wait_until(
        lambda: any("Seberapa puas" in m.get("text", "") for m in tg.api.messages(42))
    )
    asked = next(m for m in tg.api.messages(42) if "Seberapa puas" in m.get("text", ""))
    siti = tg.citizen(42)
    tg.api.unread(42)
    await siti.press("Sangat puas", asked)
    assert await siti.alert() == "Penilaian disimpan."
    await tg.api.wait_until(lambda: "komentar" in tg.api.current(asked)["text"].lower())
    assert "reply_markup" not in tg.api.current(asked) or not labels(tg.api.current(asked))
    thanks = await siti.send("Cepat dan rapi, terima kasih")
    assert "penilaian 5" in thanks["text"]
    rated = await fetch(tg.services, case)
    assert (rated.rating, rated.rating_comment, rated.status) == (
        5,
        "Cepat dan rapi, terima kasih",
        "done",
    )
