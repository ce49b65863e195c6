"""Acceptance (issue 12): a WhatsApp citizen, through the Cloud API emulator and the real HTTP
server, files a complete information request through the guided form (tapping and typing
only what the bot offers), gets the registration number and the proof PDF at once, later the
officer's reply sent from the Telegram desk card, and the decision more than 24 hours after
their last message as its approved template (the letter in its header); the full text follows
their next message."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlmodel import select

from bot.clock import FixedClock
from bot.services import Services
from sandbox.telegram_api.server import BotApiEmulator
from sandbox.whatsapp_api.emulator import CloudApiEmulator
from store.models import Case
from tests.channels.telegram.conftest import DESK_CHAT, TelegramHarness, tg_services  # noqa: F401
from tests.channels.telegram.helpers import make_desk, refuse
from tests.channels.whatsapp.citizen import WA_ID, Person, file_request
from tests.channels.whatsapp.conftest import WhatsAppHarness, whatsapp_settings
from tests.support.telegram import telegram_api  # noqa: F401


class Both:
    """The WhatsApp channel and the Telegram desk on one store, one dispatcher over both."""

    def __init__(self, wa: WhatsAppHarness, tg: TelegramHarness) -> None:
        self.wa, self.tg = wa, tg

    async def drain(self) -> None:
        """Hand every inbox item to its handler, then deliver every due outbox row."""
        await self.wa.handled()
        await self.tg.dispatch()


@pytest_asyncio.fixture
async def both(
    tg_services: Services,  # noqa: F811
    telegram_api: BotApiEmulator,  # noqa: F811
    whatsapp_api: CloudApiEmulator,
) -> AsyncIterator[Both]:
    """Both channels started as `loket run` starts them, with the body's staff."""
    svc = whatsapp_settings(tg_services, whatsapp_api)
    await make_desk(svc)
    wa = WhatsAppHarness(whatsapp_api, svc)
    await wa.start()
    tg = TelegramHarness(telegram_api, svc)
    assert wa.parts is not None
    tg.extra_senders["whatsapp"] = wa.parts.sender
    await tg.start()
    yield Both(wa, tg)
    await tg.stop()
    await wa.stop()


async def test_number_reply_from_the_desk_and_decision_as_template(both: Both) -> None:
    api, tg = both.wa.api, both.tg
    await tg.dispatch()  # the process's dispatcher is up: it sends a form's number at once
    siti = Person(both.wa, WA_ID)

    # the whole request form, tapped and typed; at once: the number, then the proof as a PDF
    await file_request(siti)
    async with tg.services.db.session() as session:
        case = (await session.exec(select(Case))).one()
    assert case.status == "registered" and case.channel == "whatsapp"
    assert any(s.type == "text" and case.reference in s.text for s in siti.last)  # at once
    await both.drain()
    receipt = next(s for s in api.sent_to(WA_ID) if s.type == "document")
    pdf, mime = api.media[receipt.body["document"]["id"]]
    assert pdf.startswith(b"%PDF") and mime == "application/pdf"
    assert case.reference in receipt.body["document"]["caption"]
    assert not api.refused

    # the officer answers from the case card in the Telegram desk chat
    admin = tg.officer(801, DESK_CHAT)
    while case.reference not in (card := await admin.reply()).get("text", ""):
        pass
    tg.api.unread(DESK_CHAT)  # the relay of the details, too, has been read
    preview = await admin.send("Dokumen sedang kami siapkan, mohon ditunggu.", reply_to=card)
    await admin.press("Kirim ke pemohon", preview)
    assert "dikirim ke pemohon" in await admin.alert()
    await both.drain()
    answer = api.sent_to(WA_ID)[-1]
    assert answer.type == "text"
    assert "Dokumen sedang kami siapkan" in answer.text and case.reference in answer.text

    # two days after Siti last wrote, the decision: only a template may go
    clock = tg.services.clock
    assert isinstance(clock, FixedClock)
    clock.advance(dt.timedelta(days=2))
    await refuse(tg.services, case)
    await both.drain()
    decision = api.sent_to(WA_ID)[-1]
    assert decision.type == "template" and decision.body["template"]["name"] == "loket_letter"
    assert not api.refused  # the window was known: no refused free form
    assert decision.reads == (
        f"Surat dari PPID tentang {case.reference}: Pemberitahuan Tertulis (terlampir). "
        "Balas pesan ini untuk menerima penjelasan lengkapnya."
    )
    header = decision.body["template"]["components"][0]["parameters"][0]
    letter, mime = api.media[header["document"]["id"]]
    assert letter.startswith(b"%PDF") and mime == "application/pdf"

    # Siti answers: the window opens and the decision's full text follows, the PDF not again
    await siti.citizen.text("Baik, mohon penjelasannya.")
    await both.drain()
    follow = [s for s in api.sent_to(WA_ID) if s.wamid > decision.wamid]
    texts = [s.text for s in follow if s.type == "text"]
    assert any(case.reference in t and "17" in t for t in texts), texts
    assert not [s for s in follow if s.type == "template"]
    # (today her message opens a new case, whose own receipt is the only document)
    documents = [json.dumps(s.body["document"]) for s in follow if s.type == "document"]
    assert documents and not [d for d in documents if case.reference.replace("/", "-") in d]
