"""The scheduler inside `loket run`: APScheduler 3.11 fires one tick a minute that only
forwards to `run_jobs`, and the outbox dispatcher loops beside it.

APScheduler 3.x must not share a job store between processes (its user guide; verified in
tech-notes.md §1), so the jobs keep no state in APScheduler: everything that must happen once is
recorded in the database (sent_reminders, outbox dedup keys). A second `loket run`, or a cron
`loket scheduler tick`, is therefore harmless.
"""

from __future__ import annotations

import asyncio
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import Services
from scheduler.dispatch import Dispatcher
from scheduler.tick import run_jobs

log = logging.getLogger(__name__)


class SchedulerService:
    """Starts and stops the tick job and the dispatcher loop together."""

    def __init__(self, services: Services, dispatcher: Dispatcher) -> None:
        self.services, self.dispatcher = services, dispatcher
        self._scheduler: AsyncIOScheduler | None = None
        self._stop = asyncio.Event()
        self._dispatch_task: asyncio.Task[None] | None = None
        self._tick_lock = asyncio.Lock()

    async def tick(self) -> dict[str, int]:
        """Run every job once at the clock's current instant (never two ticks at once)."""
        async with self._tick_lock:
            now = self.services.clock.now()
            return await run_jobs(self.services.db, self.services.settings, now)

    async def start(self) -> None:
        """Start the minute tick (the first one at once) and the dispatcher loop."""
        self._stop.clear()
        scheduler = AsyncIOScheduler(timezone=self.services.settings.tz)
        scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=self.services.settings.scheduler_tick_seconds),
            id="tick",
            max_instances=1,
            coalesce=True,  # after a pause, one tick, not one per missed minute
            misfire_grace_time=None,
            next_run_time=self.services.clock.now(),
        )
        scheduler.start()
        self._scheduler = scheduler
        self._dispatch_task = asyncio.create_task(self.dispatcher.run_forever(self._stop))

    async def stop(self) -> None:
        """Stop ticking, let a running tick finish, and stop the dispatcher after its row."""
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None
        self._stop.set()
        async with self._tick_lock:
            pass
        if self._dispatch_task is not None:
            await self._dispatch_task
            self._dispatch_task = None
