"""Each kind of outbox row on WhatsApp, through the renderer, the sender and the Cloud API
emulator (which refuses what WhatsApp refuses): its template outside the window, its buttons,
lists and pieces inside it, paced by the dispatcher's rate limiter."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.notify.outbox import enqueue, notify
from bot.notify.purposes import Purpose
from bot.notify.recipients import Recipient
from bot.notify.requester_updates import _HEADLINES
from channels.whatsapp.settings import WhatsAppSettings
from channels.whatsapp.templates import STEPS, TEMPLATES
from scheduler.dispatch import Dispatcher
from scheduler.rate_limits import channel_buckets
from scheduler.ratelimit import RateLimiter
from store.models import Case, OutboxMessage
from tests.channels.whatsapp.conftest import WhatsAppHarness

WA_ID = "6281234567890"
ADDRESS = f"+{WA_ID}"
ROOT = Path(__file__).parents[3]
DUE = "Jumat, 16 Januari 2026"


async def filed(wa: WhatsAppHarness) -> Case:
    """A citizen's request on WhatsApp, acknowledged (number and receipt sent)."""
    await wa.api.citizen(WA_ID).text("Saya minta salinan laporan keuangan 2025.")
    await wa.handled()
    await wa.dispatch()
    async with wa.services.db.session() as session:
        return (await session.exec(select(Case))).one()


async def queue(
    wa: WhatsAppHarness,
    case: Case,
    purpose: Purpose,
    key: str,
    text: str = "Kabar tentang permohonan Anda.",
    language: str = "id",
    **kw: object,
) -> None:
    async with wa.services.db.transaction() as session:
        await notify(
            session, purpose=purpose, recipient=Recipient("whatsapp", ADDRESS, language, "c"),
            key=key, text=text, case=case, dedup_key=f"{purpose}:{key}",
            now=wa.services.clock.now(),
            params={"reference": case.reference, "status": case.status, "due": DUE},
            **kw,  # type: ignore[arg-type]
        )  # fmt: skip


def advance(wa: WhatsAppHarness, delta: dt.timedelta) -> None:
    clock = wa.services.clock
    assert isinstance(clock, FixedClock)
    clock.advance(delta)


# purpose, catalogue key, template name, a fragment of what the citizen reads
OUTSIDE = [
    (Purpose.STATUS_UPDATE, "sched.update.extended", "loket_status_update",
     "waktu penyelesaian diperpanjang. Batas waktu penyelesaian: Jumat, 16 Januari 2026"),
    (Purpose.PROGRESS_UPDATE, "sched.requester.progress", "loket_still_in_process",
     "masih kami proses. Jatuh tempo: Jumat, 16 Januari 2026"),
    (Purpose.SURVEY_INVITATION, "sched.requester.survey", "loket_survey_invitation",
     "untuk memulai survei singkat"),
    (Purpose.RATING_REQUEST, "annual.rating.ask", "loket_rating_request", "nilai 1 sampai 5"),
    (Purpose.OFFICER_REPLY, "desk.reply_body", "loket_officer_reply", "membalas pesan Anda"),
    (Purpose.IDENTITY_CHANGE_DECIDED, "identity.citizen.confirmed", "loket_identity_change",
     "telah dikonfirmasi"),
    (Purpose.MAIL_DETAILS_RECEIVED, "ack.subject", "loket_case_update", "Ada kabar baru"),
]  # fmt: skip


@pytest.mark.parametrize(("purpose", "key", "name", "reads"), OUTSIDE)
async def test_outside_the_window_each_update_goes_as_its_template(
    wa: WhatsAppHarness, purpose: Purpose, key: str, name: str, reads: str
) -> None:
    case = await filed(wa)
    advance(wa, dt.timedelta(hours=25))
    await queue(wa, case, purpose, key)
    assert (await wa.dispatch()).sent == 1
    sent = wa.api.sent_to(WA_ID)[-1]
    assert (sent.type, sent.body["template"]["name"]) == ("template", name)
    assert reads in sent.reads and case.reference in sent.reads and "{" not in sent.reads
    assert not wa.api.refused


async def test_an_english_speaker_gets_the_english_template(wa: WhatsAppHarness) -> None:
    case = await filed(wa)
    advance(wa, dt.timedelta(hours=30))
    await queue(wa, case, Purpose.STATUS_UPDATE, "sched.update.decided", language="en")
    await wa.dispatch()
    sent = wa.api.sent_to(WA_ID)[-1]
    assert sent.body["template"]["language"]["code"] == "en"
    assert sent.reads.startswith(f"News from PPID about {case.reference}: a decision was made.")


async def test_a_rating_request_offers_the_five_scores_as_a_list(wa: WhatsAppHarness) -> None:
    case = await filed(wa)
    await queue(wa, case, Purpose.RATING_REQUEST, "annual.rating.ask", text="Seberapa puas?")
    await wa.dispatch()
    sent = wa.api.sent_to(WA_ID)[-1]
    interactive = sent.body["interactive"]
    assert interactive["type"] == "list"
    assert interactive["body"]["text"].startswith("Seberapa puas?")
    rows = interactive["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [f"rt:{case.id}:{n}" for n in range(1, 6)]
    assert rows[0]["title"].startswith("1 · ")


async def test_a_survey_invitation_is_followed_by_its_first_question(wa: WhatsAppHarness) -> None:
    case = await filed(wa)
    await queue(wa, case, Purpose.SURVEY_INVITATION, "sched.requester.survey", text="Selesai.")
    await wa.dispatch()
    invitation, question = wa.api.sent_to(WA_ID)[-2:]
    assert invitation.type == "text" and "Survei Kepuasan Masyarakat" in invitation.text
    rows = question.body["interactive"]["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [f"sv:{case.id}:1:{s}" for s in range(1, 5)]


async def test_offered_steps_are_buttons_up_to_three_and_a_list_beyond(
    wa: WhatsAppHarness,
) -> None:
    case = await filed(wa)
    await queue(wa, case, Purpose.CASE_CARD, "k3", actions=["claim", "dispose", "extend"])
    steps = ["claim", "dispose", "extend", "decide", "hold", "close"]
    await queue(wa, case, Purpose.CASE_CARD, "k6", actions=steps)
    await wa.dispatch()
    three, six = (s.body["interactive"] for s in wa.api.sent_to(WA_ID)[-2:])
    assert three["type"] == "button" and len(three["action"]["buttons"]) == 3
    assert all(len(b["reply"]["title"]) <= 20 for b in three["action"]["buttons"])
    assert six["type"] == "list"
    assert [r["id"] for r in six["action"]["sections"][0]["rows"]] == [
        f"a:{s}:{case.id}" for s in steps
    ]
    assert not wa.api.refused


async def test_a_long_text_with_choices_goes_in_pieces_then_the_choices(
    wa: WhatsAppHarness,
) -> None:
    case = await filed(wa)
    long = "\n".join(f"Baris {i}: " + "x" * 90 for i in range(50))
    await queue(wa, case, Purpose.RATING_REQUEST, "annual.rating.ask", text=long)
    await wa.dispatch()
    *pieces, choices = wa.api.sent_to(WA_ID)[2:]
    assert [p.type for p in pieces] == ["text", "text"]
    assert choices.type == "interactive" and len(choices.body["interactive"]["body"]["text"]) < 100


async def test_a_row_from_before_the_neutral_format_quotes_the_message_it_answers(
    wa: WhatsAppHarness,
) -> None:
    case = await filed(wa)
    async with wa.services.db.transaction() as session:
        await enqueue(
            session, dedup_key="old", channel="whatsapp", recipient=ADDRESS,
            purpose=Purpose.CHAT_REPLY, body="Pesan Anda sudah kami catat.", case_id=case.id,
            now=wa.services.clock.now(), payload={"reply_to": "wamid.IN000042"},
        )  # fmt: skip
    await wa.dispatch()
    sent = wa.api.sent_to(WA_ID)[-1]
    assert sent.text == "Pesan Anda sudah kami catat."
    assert sent.body["context"] == {"message_id": "wamid.IN000042"}


async def test_a_row_of_many_messages_waits_for_the_pair_rate_limit(wa: WhatsAppHarness) -> None:
    case = await filed(wa)
    twelve = "\n".join("y" * 4000 for _ in range(12))  # twelve messages to one citizen
    await queue(wa, case, Purpose.OFFICER_REPLY, "desk.reply_body", text=twelve)
    slept: list[float] = []
    moment = [0.0]

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        moment[0] += seconds

    limiter = RateLimiter(channel_buckets(1.0), monotonic=lambda: moment[0], sleep=sleep)
    assert wa.parts is not None and wa.parts.sender is not None
    dispatcher = Dispatcher(
        wa.services.db, {"whatsapp": wa.parts.sender}, wa.services.clock,
        settings=wa.services.settings, limiter=limiter,
    )  # fmt: skip
    assert (await dispatcher.drain_once()).sent == 1
    assert len(wa.api.sent_to(WA_ID)) == 2 + 12
    # 10 a minute to one user (scheduler/ratelimit.py): the 11th waits out the minute; any
    # other wait is short (the business number's window: 80 a second, with a margin)
    (minute,) = [s for s in slept if s >= 1]
    assert 60 <= minute < 63 and all(s < 0.1 for s in slept if s < 1)
    # every message the sender paced itself was settled: none is left counting as in flight
    assert limiter.in_flight("whatsapp") == 0


async def test_a_row_refused_half_way_goes_on_where_it_stopped(wa: WhatsAppHarness) -> None:
    case = await filed(wa)
    three = "\n".join(f"{i}" * 4000 for i in range(3))
    await queue(wa, case, Purpose.OFFICER_REPLY, "desk.reply_body", text=three)
    wa.api.fail_next(131056, skip=1)  # the pair rate limit, on the row's second message
    summary = await wa.dispatch()
    assert (summary.sent, summary.retried) == (0, 1)
    advance(wa, dt.timedelta(minutes=5))
    assert (await wa.dispatch()).sent == 1
    pieces = [s for s in wa.api.sent_to(WA_ID)[2:]]
    assert [p.text[0] for p in pieces] == ["0", "1", "2"]  # each once, in order
    async with wa.services.db.session() as session:
        row = (await session.exec(select(OutboxMessage).where(
            OutboxMessage.purpose == Purpose.OFFICER_REPLY))).one()  # fmt: skip
    assert row.external_id == pieces[0].wamid  # status callbacks find the row
    assert not [k for k in row.payload if k.startswith("whatsapp_parts")]


def test_docs_give_every_templates_exact_text_and_every_key_is_documented() -> None:
    doc = (ROOT / "docs" / "whatsapp.md").read_text(encoding="utf-8")
    defaults = WhatsAppSettings()
    for template in TEMPLATES:
        assert f"`{template.whatsapp_name(defaults)}`" in doc, template.name
        for language in ("id", "en"):
            assert f"`{template.approved_text(language)}`" in doc, (template.name, language)
    env = (ROOT / ".env.example").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for key in WhatsAppSettings.model_fields:
        assert re.search(rf"^#? ?{key.upper()}=", env, re.M), key
        assert key.upper() in readme, key


def test_every_step_a_status_update_reports_has_a_template_wording() -> None:
    assert {key.rpartition(".")[2] for key in _HEADLINES.values()} == set(STEPS)


async def test_a_tap_or_menu_word_opens_the_window_though_it_is_no_case_message(
    wa: WhatsAppHarness,
) -> None:
    case = await filed(wa)
    advance(wa, dt.timedelta(hours=20))
    await wa.api.citizen(WA_ID).text("MENU")  # answered by the menu: no case message stored
    await wa.handled()
    await wa.dispatch()
    advance(wa, dt.timedelta(hours=5))  # 25 h after the request, 5 h after the menu
    await queue(wa, case, Purpose.STATUS_UPDATE, "sched.update.extended")
    assert (await wa.dispatch()).sent == 1
    sent = wa.api.sent_to(WA_ID)[-1]
    assert (sent.type, sent.text) == ("text", "Kabar tentang permohonan Anda.")
    assert not wa.api.refused
