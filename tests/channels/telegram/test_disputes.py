"""Issue 14: the Atasan PPID (or the desk) records a dispute's filing at the Komisi Informasi,
its mediation or adjudication result, a lawsuit and the court's decision from the objection
card, each with its date; the annual report counts them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest_asyncio
from sqlmodel import col, select

from bot.clock import FixedClock
from bot.reports.annual import annual_figures
from bot.services import Services
from bot.workflow.rules import load_rules
from store.models import Case, Event
from tests.channels.telegram.conftest import DESK_CHAT, Person, TelegramHarness
from tests.channels.telegram.helpers import Desk, make_desk, refuse, telegram_case
from tests.channels.telegram.test_desk_cards import card_in, labels, until
from tests.conftest import JAKARTA


@pytest_asyncio.fixture
async def desk(tg_services: Services) -> Desk:
    """The body's staff."""
    return await make_desk(tg_services)


async def _objection(tg: TelegramHarness) -> tuple[dict, Person]:
    """A refused request, the citizen's objection, and the Atasan's answer; the card."""
    request = await refuse(tg.services, await telegram_case(tg.services, 42))
    siti = tg.citizen(42)
    await siti.send("/start")
    await siti.tap("Keberatan")
    await siti.tap(request.reference)
    await siti.tap("Ditolak")
    await siti.send("Anggaran adalah informasi terbuka")
    receipt = await siti.tap("Kirim")
    reference = receipt["text"].split("nomor ")[1].split(".")[0]
    atasan = tg.officer(701, DESK_CHAT)
    card = await card_in(tg, atasan, reference)
    await atasan.press("Tanggapi keberatan", card)
    await until(tg, card, lambda m: "Menguatkan putusan PPID" in labels(m))
    await atasan.press("Menguatkan", card)
    prompt = await atasan.reply()
    await atasan.send("Pengecualian sudah diuji sesuai Pasal 17 huruf b", reply_to=prompt)
    return await until(tg, card, lambda m: "🏛 Sengketa KI" in labels(m)), atasan


async def _until(tg: TelegramHarness, message: dict, check: Callable[[dict], bool]) -> None:
    # This story posts many messages in one group: the flood limiter (20 a minute per group,
    # channels/telegram/app.py) makes the later edits wait.
    await tg.api.wait_until(lambda: check(tg.api.current(message)), within=90)


async def _card_buttons(tg: TelegramHarness, who: Person, card: dict) -> None:
    if "🏛 Sengketa KI" not in labels(tg.api.current(card)):  # still on the menu: go back
        await who.press("Kembali", card)
        await _until(tg, card, lambda m: "🏛 Sengketa KI" in labels(m))


async def _step(tg: TelegramHarness, who: Person, card: dict, button: str, words: str) -> dict:
    await _card_buttons(tg, who, card)
    await who.press("Sengketa KI", card)
    await _until(tg, card, lambda m: any(button in label for label in labels(m)))
    await who.press(button, card)
    prompt = await who.reply(within=90)
    await who.say(words, reply_to=prompt)
    return await who.reply(within=90)


async def _objection_row(tg: TelegramHarness) -> Case:
    async with tg.services.db.session() as session:
        return (await session.exec(select(Case).where(Case.kind == "objection"))).one()


async def test_a_dispute_from_filing_to_the_court(
    tg: TelegramHarness, desk: Desk, clock: FixedClock
) -> None:
    card, atasan = await _objection(tg)
    # A unit officer in the chat cannot record it (and the refusal is audited).
    pelaksana = tg.officer(desk.staff.officer, DESK_CHAT)
    await pelaksana.press("Sengketa KI", card)
    assert "tidak" in (await pelaksana.alert()).lower()

    done = await _step(tg, atasan, card, "Diajukan ke Komisi Informasi", "hari ini")
    assert "✓" in done["text"] or "dicatat" in done["text"].lower()
    filed = await _objection_row(tg)
    assert filed.status == "disputed" and filed.dispute_filed_at is not None

    # A result dated in the future is refused, in words the officer can act on.
    later = await _step(tg, atasan, card, "Putusan ajudikasi", "2026-06-01 Dikabulkan")
    assert "belum terjadi" in later["text"]
    clock.set(dt.datetime(2026, 3, 10, 10, tzinfo=JAKARTA))
    await _step(tg, atasan, card, "Putusan ajudikasi", "02-03-2026 Dikabulkan sebagian")
    adjudicated = await _objection_row(tg)
    assert (adjudicated.status, adjudicated.dispute_outcome) == ("closed", "adjudication")
    assert adjudicated.dispute_result == "Dikabulkan sebagian"
    assert adjudicated.dispute_decided_at is not None
    assert adjudicated.dispute_decided_at.astimezone(JAKARTA).date() == dt.date(2026, 3, 2)

    # The PPID Utama records the lawsuit and, later, the court's decision.
    utama = tg.officer(601, DESK_CHAT)
    await _step(tg, utama, card, "Gugatan ke pengadilan", "2026-03-09 PTUN Jakarta")
    clock.set(dt.datetime(2026, 7, 1, 10, tzinfo=JAKARTA))
    await _step(tg, utama, card, "Putusan pengadilan", "2026-06-30 Gugatan ditolak")
    final = await _objection_row(tg)
    assert final.court_result == "Gugatan ditolak"
    assert final.court_filed_at is not None and final.court_decided_at is not None
    await _card_buttons(tg, utama, card)
    await utama.press("Sengketa KI", card)
    assert "Tidak ada lagi" in await utama.alert()

    async with tg.services.db.session() as session:
        by_id = select(Event).where(Event.case_id == final.id).order_by(col(Event.id))
        events = (await session.exec(by_id)).all()
        rules = await load_rules(session, tg.services.settings)
        figures = await annual_figures(session, rules, 2026)
    assert [e.action for e in events if "court" in e.action or "dispute" in e.action] == [
        "file_dispute",
        "record_dispute_outcome",
        "file_court_case",
        "record_court_decision",
    ]
    assert next(e for e in events if e.action == "file_court_case").data["court"] == "PTUN Jakarta"
    assert figures.disputes_total == 1 and figures.disputes_by_outcome["adjudication"] == 1
    assert figures.dispute_results["adjudication"] == 1
    assert (figures.court_filed, figures.court_decided) == (1, 1)
