"""WhatsApp in `loket run`: one HTTP server with the webhook and /healthz, the dispatcher
sending through the channel, and later updates reaching the citizen on WhatsApp."""

from __future__ import annotations

import asyncio

import aiohttp
from sqlmodel import select

from app.runner import serve
from bot.notify.recipients import requester_recipient
from bot.services import Services
from channels import whatsapp
from sandbox.whatsapp_api.emulator import CloudApiEmulator
from store.enums import CaseKind, Channel, ContactKind
from store.models import Case
from tests.channels.whatsapp.conftest import whatsapp_settings

WA_ID = "6281234567890"


async def test_loket_run_serves_the_webhook_and_health_and_sends_the_acknowledgement(
    services: Services, whatsapp_api: CloudApiEmulator
) -> None:
    svc = whatsapp_settings(services, whatsapp_api, outbox_poll_seconds=0.05)
    port = svc.settings.http_port
    whatsapp_api.webhook_url = f"http://127.0.0.1:{port}/whatsapp/webhook"
    stop = asyncio.Event()
    task = asyncio.create_task(serve(svc, stop, [whatsapp.build]))
    try:
        for _ in range(200):  # until the server listens
            try:
                async with (
                    aiohttp.ClientSession() as http,
                    http.get(f"http://127.0.0.1:{port}/healthz") as answer,
                ):
                    health = (answer.status, await answer.json())
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        assert health[0] == 200 and health[1]["ok"] is True
        assert set(health[1]["channels"]) == {"whatsapp"}
        assert await whatsapp_api.citizen(WA_ID).text("Minta data jumlah penduduk 2025.") == 200
        for _ in range(200):
            if whatsapp_api.sent_to(WA_ID):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    async with svc.db.session() as session:
        case = (await session.exec(select(Case))).one()
        recipient = await requester_recipient(session, case)
    ack = whatsapp_api.sent_to(WA_ID)[0]  # the number first (the receipt PDF follows)
    assert ack.type == "text" and case.reference in ack.text
    # Later updates (an officer's reply, the decision) go to the citizen on WhatsApp too.
    assert recipient is not None
    assert (recipient.channel, recipient.address) == ("whatsapp", "+6281234567890")


async def test_a_phone_number_given_at_the_desk_gets_no_whatsapp(services: Services) -> None:
    from bot.cases.opening import open_case
    from bot.intake.requesters import find_or_create_requester
    from bot.workflow.rules import load_rules

    now = services.clock.now()
    async with services.db.transaction() as session:
        requester = await find_or_create_requester(session, ContactKind.PHONE, "0812-3456-7890")
        rules = await load_rules(session, services.settings)
        case = await open_case(
            session, kind=CaseKind.INFORMATION_REQUEST, channel=Channel.WHATSAPP,
            requester=requester, received_at=now, rules=rules, actor="test", now=now,
            details={"information_requested": "Data"},
        )  # fmt: skip
        assert await requester_recipient(session, case) is None
