"""The one HTTP server of `loket run`: one port, one place where every route is mounted.

Channels contribute their routes (`ChannelParts.routes`: the Telegram webhook, the WhatsApp
webhook; later the web portal); the server adds `/healthz` (readiness) and `/metrics`
(Prometheus). aiohttp.web, because aiohttp is
already a dependency (the Telegram webhook and the emulators run on it) and it runs inside our
own event loop beside the channels and the scheduler: no second web framework, no uvicorn
owning the loop.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from sqlalchemy import func, text
from sqlmodel import col, select

from app.settings import Settings
from bot.clock import Clock, SystemClock
from bot.metrics import CONTENT_TYPE, read_figures, render
from bot.settings import SettingsError
from bot.workflow.rules import load_rules
from store.db import Database
from store.migrate import pending
from store.models import Message, OutboxMessage

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def health(db: Database, channels: Sequence[str]) -> tuple[bool, dict[str, Any]]:
    """Whether the service can work (database reachable, migrations current) and, per
    channel, when it last received a message and last delivered one (from the store)."""
    report: dict[str, Any] = {"database": False, "migrations_current": False, "channels": {}}
    try:
        async with db.session() as session:
            await session.exec(select(text("1")))  # type: ignore[call-overload]
            report["database"] = True
            received = dict(
                (
                    await session.exec(
                        select(Message.channel, func.max(Message.created_at))
                        .where(Message.direction == "in", col(Message.channel).in_(channels))
                        .group_by(Message.channel)
                    )
                ).all()
            )
            sent = dict(
                (
                    await session.exec(
                        select(OutboxMessage.channel, func.max(OutboxMessage.sent_at))
                        .where(col(OutboxMessage.channel).in_(channels))
                        .group_by(OutboxMessage.channel)
                    )
                ).all()
            )
        report["migrations_current"] = not await pending(db)
    except Exception as exc:  # the answer is "unhealthy", with the kind of trouble
        log.warning("health check failed: %s", type(exc).__name__)
        report["error"] = type(exc).__name__
        return False, report
    report["channels"] = {
        name: {"last_received": _iso(received.get(name)), "last_sent": _iso(sent.get(name))}
        for name in channels
    }
    return bool(report["database"] and report["migrations_current"]), report


class WebServer:
    """Serves the routes handed in, plus `/healthz`, on HTTP_HOST:HTTP_PORT."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        routes: Sequence[web.RouteDef],
        channels: Sequence[str],
        clock: Clock | None = None,
    ) -> None:
        self.settings, self.db, self.routes = settings, db, list(routes)
        self.clock = clock or SystemClock()
        self.channels = sorted(set(channels))
        self._runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        """The aiohttp application with every route mounted."""
        app = web.Application(client_max_size=4 * 1024 * 1024)  # webhook bodies are small
        app.router.add_get(HEALTH_PATH, self._healthz)
        app.router.add_get(METRICS_PATH, self._metrics)
        app.router.add_routes(self.routes)
        return app

    async def start(self) -> None:
        """Listen on HTTP_HOST:HTTP_PORT; SettingsError when HTTP_PORT is unset or taken."""
        port = self.settings.http_port
        if port is None:
            paths = ", ".join(r.path for r in self.routes if isinstance(r, web.RouteDef))
            raise SettingsError(f"HTTP_PORT: required to serve the webhooks ({paths})")
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.settings.http_host, port).start()
        except OSError as exc:  # port taken, address not on this machine
            await self.stop()
            raise SettingsError(
                f"HTTP_HOST/HTTP_PORT: cannot listen on {self.settings.http_host}:{port} "
                f"({exc.strerror or exc})"
            ) from None
        log.info("HTTP server listening on %s:%d", self.settings.http_host, port)

    async def stop(self) -> None:
        """Stop listening; requests in flight are finished first (aiohttp's shutdown)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        ok, report = await health(self.db, self.channels)
        report["ok"] = ok
        return web.json_response(report, status=200 if ok else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        """The Prometheus text exposition (bot/metrics.py), read from the store now."""
        async with self.db.session() as session:
            rules = await load_rules(session, self.settings)
            figures = await read_figures(session, rules, self.clock.now())
        return web.Response(body=render(figures), headers={"Content-Type": CONTENT_TYPE})


def needs_server(settings: Settings, routes: Sequence[web.RouteDef]) -> bool:
    """True when `loket run` must start the HTTP server: a channel has routes or a port is set."""
    return bool(routes) or settings.http_port is not None
