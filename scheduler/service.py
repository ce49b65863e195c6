"""The scheduler inside `loket run`: APScheduler 3.11 fires one tick a minute that only
forwards to `run_jobs`, and the outbox dispatcher loops beside it.

APScheduler 3.x must not share a job store between processes (its user guide; verified in
tech-notes.md §1), so the jobs keep no state in APScheduler: everything that must happen once is
recorded in the database (sent_reminders, outbox dedup keys). A second `loket run`, or a cron
`loket scheduler tick`, is therefore harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.services import Services
from scheduler.dispatch import Dispatcher
from scheduler.tick import run_jobs

log = logging.getLogger(__name__)


class SchedulerService:
    """Starts and stops the tick job and the dispatcher loop together.

    APScheduler only fires: each tick runs as this service's own task, because APScheduler's
    shutdown cancels the tasks of its running jobs (AsyncIOExecutor.shutdown), which would cut
    a tick short and log an ERROR with a traceback on every stop.
    """

    def __init__(
        self, services: Services, dispatcher: Dispatcher | None, *, tick: bool = True
    ) -> None:
        """`dispatcher` None: tick only; `tick` False: dispatch only (`loket run` on several
        workers runs the tick as a singleton role and a dispatcher on every worker)."""
        self.services, self.dispatcher, self.ticking = services, dispatcher, tick
        self._scheduler: AsyncIOScheduler | None = None
        self._stop = asyncio.Event()
        self._dispatch_task: asyncio.Task[None] | None = None
        self._tick_task: asyncio.Task[None] | None = None
        self._tick_lock = asyncio.Lock()

    async def tick(self) -> dict[str, int]:
        """Run every job once at the clock's current instant (never two ticks at once)."""
        async with self._tick_lock:
            now = self.services.clock.now()
            return await run_jobs(self.services.db, self.services.settings, now)

    async def _fire(self) -> None:
        """APScheduler's job: start a tick as our own task unless one is still running."""
        if self._tick_task is not None and not self._tick_task.done():
            log.warning("the previous scheduler tick is still running; this one is skipped")
            return
        self._tick_task = asyncio.create_task(self._run_tick(), name="loket-scheduler-tick")

    async def _run_tick(self) -> None:
        try:
            await self.tick()
        except Exception:
            log.exception("scheduler tick failed; it runs again on the next tick")

    async def start(self) -> None:
        """Start the minute tick (the first one at once) and the dispatcher loop (each if
        enabled)."""
        self._stop.clear()
        if self.dispatcher is not None:
            self._dispatch_task = asyncio.create_task(self.dispatcher.run_forever(self._stop))
        if not self.ticking:
            return
        scheduler = AsyncIOScheduler(timezone=self.services.settings.tz)
        scheduler.add_job(
            self._fire,
            IntervalTrigger(seconds=self.services.settings.scheduler_tick_seconds),
            id="tick",
            max_instances=1,
            coalesce=True,  # after a pause, one tick, not one per missed minute
            misfire_grace_time=None,
            next_run_time=self.services.clock.now(),
        )
        scheduler.start()
        self._scheduler = scheduler

    async def stop(self) -> None:
        """Stop ticking; let a running tick and the dispatcher's current row finish within
        STOP_GRACE_SECONDS, then cancel what is left with a WARNING (a cancelled job rolls back
        and runs again on the next tick; an unfinished row is retried after its lease)."""
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.pause()
            await asyncio.sleep(0)  # a tick fired just now gets its task before shutdown
            self._scheduler.shutdown(wait=False)
        self._scheduler = None
        self._stop.set()
        grace = self.services.settings.stop_grace_seconds
        deadline = asyncio.get_running_loop().time() + grace
        if self._tick_task is not None and not self._tick_task.done():
            log.info("stopping: the running scheduler tick has %s s to finish", grace)
            await self._finish(self._tick_task, "the scheduler tick", grace, deadline)
        self._tick_task = None
        if self._dispatch_task is not None:
            await self._finish(self._dispatch_task, "the outbox dispatcher", grace, deadline)
            self._dispatch_task = None

    async def _finish(
        self, task: asyncio.Task[None], what: str, grace: float, deadline: float
    ) -> None:
        """Wait for `task` until `deadline`; then cancel it, with a WARNING, and wait for that."""
        remaining = max(0.0, deadline - asyncio.get_running_loop().time())
        done, _ = await asyncio.wait({task}, timeout=remaining)
        if done:
            await task  # its own failure (if any) is raised here, as before
            return
        log.warning("%s did not finish within STOP_GRACE_SECONDS=%s; cancelled", what, grace)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
