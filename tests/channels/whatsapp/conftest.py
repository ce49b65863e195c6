"""The WhatsApp channel as `loket run` starts it, on the real HTTP server, against the Cloud
API emulator (sandbox/whatsapp_api) on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from pydantic import SecretStr
from sqlmodel import select

from app.web import WebServer
from bot.ports import ChannelParts
from bot.services import Services
from bot.settings import Settings
from channels.whatsapp import build
from channels.whatsapp.templates import TEMPLATES
from sandbox.whatsapp_api.emulator import CloudApiEmulator
from sandbox.whatsapp_api.limits import ApprovedTemplate, Templates
from scheduler.dispatch import Dispatcher, DrainSummary
from scheduler.ratelimit import RateLimiter
from store.models import InboundUpdate
from tests.support.network import free_port

TEMPLATE = "loket_case_update"


def whatsapp_settings(services: Services, api: CloudApiEmulator, **extra: Any) -> Services:
    """Services whose settings point the channel at the emulator and serve on a free port."""
    settings = services.settings.model_copy(
        update={
            "whatsapp_token": SecretStr(api.token),
            "whatsapp_phone_number_id": api.phone_number_id,
            "whatsapp_app_secret": SecretStr(api.app_secret),
            "whatsapp_verify_token": SecretStr("verify-me"),
            "whatsapp_api_base_url": api.base_url,
            "http_port": free_port(),
            **extra,
        }
    )
    return Services(settings, services.db, services.clock, services.blobs)


class WhatsAppHarness:
    """The channel's runner and routes on a WebServer, plus a dispatcher to drain on demand."""

    def __init__(self, api: CloudApiEmulator, services: Services) -> None:
        self.api, self.services = api, services
        self.parts: ChannelParts | None = None
        self.server: WebServer | None = None

    async def start(self) -> None:
        """Build the channel and serve its webhook (a new process on the same store)."""
        self.parts = build(self.services)
        assert self.parts is not None
        settings = self.services.settings
        self.server = WebServer(settings, self.services.db, self.parts.routes, ["whatsapp"])
        await self.parts.runner.start()
        await self.server.start()
        self.api.webhook_url = (
            f"http://127.0.0.1:{settings.http_port}{settings.whatsapp_webhook_path}"
        )

    async def stop(self) -> None:
        """Stop serving and working."""
        if self.server is not None:
            await self.server.stop()
        if self.parts is not None:
            await self.parts.runner.stop()
        self.parts = self.server = None

    async def dispatch(self) -> DrainSummary:
        """Deliver every due outbox row of the channel now."""
        assert self.parts is not None and self.parts.sender is not None
        dispatcher = Dispatcher(
            self.services.db,
            {"whatsapp": self.parts.sender},
            self.services.clock,
            settings=self.services.settings,
            limiter=RateLimiter({}),
        )
        return await dispatcher.drain_once()

    async def handled(self) -> list[InboundUpdate]:
        """The inbox rows once none is pending any more."""
        for _ in range(200):
            async with self.services.db.session() as session:
                found = list(
                    (await session.exec(select(InboundUpdate).order_by(InboundUpdate.id))).all()
                )
            if found and all(r.state != "pending" for r in found):
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"inbox never settled: {[(r.state, r.last_error) for r in found]}")


def approved_templates(settings: Settings) -> Templates:
    """Every template of channels/whatsapp/templates.py as a body has them approved: under
    their configured names, in both languages, with their text and header."""
    return {
        (template.whatsapp_name(settings), code): ApprovedTemplate(
            len(template.params),
            "document" if template.document else None,
            template.approved_text(language),
        )
        for template in TEMPLATES
        for language, code in (
            ("id", settings.whatsapp_template_language_id),
            ("en", settings.whatsapp_template_language_en),
        )
    }


@pytest_asyncio.fixture
async def whatsapp_api(services: Services) -> AsyncIterator[CloudApiEmulator]:
    """The Cloud API emulator, with Loket's templates approved in both languages."""
    api = CloudApiEmulator(now=services.clock.now)
    api.templates = approved_templates(services.settings)
    await api.start()
    yield api
    await api.stop()


@pytest_asyncio.fixture
async def wa(services: Services, whatsapp_api: CloudApiEmulator) -> AsyncIterator[WhatsAppHarness]:
    """The started channel."""
    harness = WhatsAppHarness(whatsapp_api, whatsapp_settings(services, whatsapp_api))
    await harness.start()
    yield harness
    await harness.stop()
