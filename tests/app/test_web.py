"""The one HTTP server: routes of every channel on one port, and /healthz."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from app.web import WebServer
from bot.intake.door import InboundMessage
from bot.services import Services
from bot.settings import SettingsError
from store.db import Database
from store.enums import CaseKind, Channel
from tests.support.network import free_port


async def _get(port: int, path: str) -> tuple[int, dict | str]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as r:
        body = await r.json() if r.content_type == "application/json" else await r.text()
        return r.status, body


async def test_routes_and_health_share_one_port(services: Services) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    port = free_port()
    settings = services.settings.model_copy(update={"http_port": port})
    server = WebServer(settings, services.db, [web.get("/hook", hello)], ["telegram"])
    await server.start()
    try:
        assert await _get(port, "/hook") == (200, "hi")
        status, report = await _get(port, "/healthz")
    finally:
        await server.stop()
    assert status == 200
    assert report == {
        "ok": True,
        "database": True,
        "migrations_current": True,
        "channels": {"telegram": {"last_received": None, "last_sent": None}},
    }


async def test_health_is_503_when_the_schema_is_not_migrated(
    services: Services, tmp_path: Path
) -> None:
    empty = Database.from_url(f"sqlite:///{tmp_path / 'empty.db'}")
    port = free_port()
    server = WebServer(services.settings.model_copy(update={"http_port": port}), empty, [], [])
    await server.start()
    try:
        status, report = await _get(port, "/healthz")
    finally:
        await server.stop()
        await empty.dispose()
    assert status == 503
    assert report["ok"] is False


async def test_webhooks_without_a_port_are_a_settings_error(services: Services) -> None:
    async def hook(request: web.Request) -> web.Response:
        return web.Response()

    server = WebServer(services.settings, services.db, [web.post("/wa", hook)], [])
    with pytest.raises(SettingsError, match="HTTP_PORT"):
        await server.start()


async def test_a_taken_port_is_a_settings_error_naming_it(services: Services) -> None:
    port = free_port()
    holder = WebServer(services.settings.model_copy(update={"http_port": port}), services.db,
                       [], [])  # fmt: skip
    await holder.start()
    try:
        second = WebServer(holder.settings, services.db, [], [])
        with pytest.raises(SettingsError, match=f"cannot listen on 127.0.0.1:{port}"):
            await second.start()
    finally:
        await holder.stop()


async def test_metrics_are_served_in_the_prometheus_format_and_move(services: Services) -> None:
    port = free_port()
    settings = services.settings.model_copy(update={"http_port": port})
    server = WebServer(settings, services.db, [], ["telegram"], clock=services.clock)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/metrics") as r:
                before, content_type = await r.text(), r.headers["Content-Type"]
            await services.intake.handle_inbound(
                InboundMessage(
                    channel=Channel.TELEGRAM,
                    external_id="7:1",
                    sender="7",
                    text="Saya minta salinan anggaran 2025",
                    received_at=services.clock.now(),
                    new_case_kind=CaseKind.INFORMATION_REQUEST,
                )
            )
            async with http.get(f"http://127.0.0.1:{port}/metrics") as r:
                after = await r.text()
    finally:
        await server.stop()
    assert content_type.startswith("text/plain; version=0.0.4")
    assert 'loket_messages_received_total{channel="telegram"}' not in before
    assert 'loket_messages_received_total{channel="telegram"} 1.0' in after
    assert "loket_outbox_oldest_pending_age_seconds" in after
    assert "anggaran" not in after
