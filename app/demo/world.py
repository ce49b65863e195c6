"""The world `loket demo` runs in: a temporary SQLite store, the Bot API emulator, the Cloud
API emulator, an SMTP sink on loopback, a fixed clock, and the real service
(`app.runner.serve`) started on them, with its one HTTP server (the WhatsApp webhook,
/metrics and /healthz) on a loopback port, so `curl` can watch /metrics move."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from app.runner import serve
from app.settings import Settings
from app.web import METRICS_PATH
from app.wiring import build_services
from bot.clock import FixedClock
from bot.services import Services
from bot.workflow.report_columns import migration_steps
from sandbox.mail_sink import SmtpSink
from sandbox.telegram_api.server import BotApiEmulator
from sandbox.whatsapp_api.emulator import CloudApiEmulator
from store.migrate import upgrade

TOKEN = "777000:DEMO-TOKEN"
WIB = dt.timezone(dt.timedelta(hours=7))
START = dt.datetime(2026, 2, 2, 9, 0, tzinfo=WIB)  # Monday, a working day
TEMPLATE = "loket_case_update"  # the update template, "approved" in the emulator


@dataclass
class DemoWorld:
    """Everything the scenario talks to; `close()` stops the service and removes the files."""

    services: Services
    clock: FixedClock
    api: BotApiEmulator
    mail: SmtpSink
    wa: CloudApiEmulator
    folder: tempfile.TemporaryDirectory[str]
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    @property
    def metrics_url(self) -> str:
        """Where the running service answers `curl` with its Prometheus metrics."""
        settings = self.services.settings
        return f"http://{settings.http_host}:{settings.http_port}{METRICS_PATH}"

    async def close(self) -> None:
        """Stop the service, the emulator and the sink; delete the temporary store."""
        self.stop_event.set()
        if self.task is not None:
            await self.task
        await self.services.close()
        await self.api.stop()
        await self.wa.stop()
        self.mail.stop()
        self.folder.cleanup()


def free_port() -> int:
    """A TCP port free on loopback now (for the demo's HTTP server: /metrics, /healthz)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def demo_settings(
    folder: Path,
    api: BotApiEmulator,
    mail: SmtpSink,
    wa: CloudApiEmulator,
    desk_chat: int,
    http_port: int | None = None,
) -> Settings:
    """Settings for the demo only: nothing is read from the environment or a .env file that
    could point it at a real database, bot or mail server. The HTTP server listens on
    loopback only (`http_port`, a free one by default)."""
    return Settings.model_construct(  # defaults for every other key; no environment is read
        **{
            "database_url": f"sqlite:///{folder / 'demo.db'}",
            "attachment_dir": folder / "attachments",
            "body_name": "PPID Kota Contoh",
            "timezone": "Asia/Jakarta",
            "language": "id",
            "telegram_bot_token": SecretStr(TOKEN),
            "telegram_api_base_url": api.base_url,
            "telegram_file_base_url": api.base_file_url,
            "telegram_webhook_url": "",
            "telegram_desk_chat_id": desk_chat,
            "imap_host": "",
            "smtp_host": "127.0.0.1",
            "smtp_port": mail.port,
            "smtp_security": "none",
            "smtp_user": "",
            "mail_from": "ppid@kota-contoh.go.id",
            "reply_secret": SecretStr("demo-secret"),
            "whatsapp_token": SecretStr(wa.token),
            "whatsapp_phone_number_id": wa.phone_number_id,
            "whatsapp_app_secret": SecretStr(wa.app_secret),
            "whatsapp_verify_token": SecretStr("demo-verify"),
            "whatsapp_api_base_url": wa.base_url,
            "outbox_poll_seconds": 0.05,
            "scheduler_tick_seconds": 3600,
            "http_host": "127.0.0.1",
            "http_port": http_port or free_port(),
        }
    )


async def open_world(desk_chat: int, http_port: int | None = None) -> DemoWorld:
    """Create the store, start the emulator and the sink, and start the real service."""
    folder = tempfile.TemporaryDirectory(prefix="loket-demo-")
    api = await BotApiEmulator(TOKEN, username="loket_demo_bot").start()
    mail = SmtpSink().start()
    clock = FixedClock(START)
    wa = CloudApiEmulator(now=clock.now, templates={(TEMPLATE, "id"): 3, (TEMPLATE, "en"): 3})
    await wa.start()
    settings = demo_settings(Path(folder.name), api, mail, wa, desk_chat, http_port)
    wa.webhook_url = f"http://127.0.0.1:{settings.http_port}{settings.whatsapp_webhook_path}"
    services = build_services(settings, clock)
    await upgrade(services.db, migration_steps(services.settings))
    return DemoWorld(services, clock, api, mail, wa, folder)


def start_service(world: DemoWorld) -> None:
    """Run `loket run`'s service (channels, dispatcher, scheduler) in the background."""
    world.task = asyncio.create_task(serve(world.services, world.stop_event))
