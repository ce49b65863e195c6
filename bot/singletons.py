"""Singleton roles of `loket run`: what exactly one worker at a time may do.

Polling a chat channel, watching the mailboxes and ticking the scheduler must happen once per
installation, however many workers run (two getUpdates loops would fight over the offset).
Webhooks, the inbox workers (lanes are claimed in the store) and the outbox dispatcher run on
every worker and are no roles. Each role runs where its lease (store/leadership.py) is
held. On PostgreSQL a standby tries the leases it lacks every ROLE_RETRY_SECONDS, so when a
worker dies its roles move to another within that time. On SQLite there is only one worker: a
second one refuses the roles, once, with one clear sentence, and never retries them.

A worker that LOSES a lease it held (its database connection broke) cannot know whether
another worker already took the role over, so it stops its roles at once and asks to end the
process (`lost` is set): the service manager starts it again as a standby. Two workers never
knowingly run one role.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.i18n import t
from store.leadership import Lease, Leases

log = logging.getLogger(__name__)


@dataclass
class SingletonRole:
    """A role's name and how to start and stop its work in this process."""

    name: str
    start: Callable[[], Awaitable[None]]
    stop: Callable[[], Awaitable[None]]


class RoleSupervisor:
    """Holds the leases of this worker's roles, starts a role when its lease is taken."""

    def __init__(
        self,
        leases: Leases,
        roles: list[SingletonRole],
        *,
        retry_seconds: float,
        language: str,
    ) -> None:
        self.leases, self.retry_seconds, self.language = leases, retry_seconds, language
        self.roles = roles
        self._lease: dict[str, Lease] = {r.name: leases.lease(r.name) for r in roles}
        self.running: set[str] = set()
        self.lost = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None
        self._refused: set[str] = set()
        self._standing_by: set[str] = set()

    @property
    def retries(self) -> bool:
        """Standbys try again on PostgreSQL; on SQLite a second worker never does."""
        return self.leases.dialect == "postgresql"

    async def start(self) -> None:
        """Try every role once now, then keep trying (PostgreSQL) and watching the held ones.

        A role that fails to start now stops the ones already started and its error is raised
        (as `loket run` always did: a bad token ends the start, clearly); one that fails when
        taken over later is logged and tried again.
        """
        try:
            await self._round(first=True)
        except BaseException:
            await self._stop_all()
            await self.leases.close()
            raise
        self._loop = asyncio.create_task(self._watch(), name="loket-roles")

    async def stop(self) -> None:
        """Stop the roles this worker runs (last started, first stopped); release the leases."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        await self._stop_all()
        await self.leases.close()

    async def _watch(self) -> None:
        while not self.lost.is_set():
            await asyncio.sleep(self.retry_seconds)
            try:
                await self._round()
            except Exception:
                log.exception("checking the singleton roles failed; trying again")

    async def _round(self, *, first: bool = False) -> None:
        for role in self.roles:
            if role.name in self.running:
                if not await self._lease[role.name].held():
                    log.error(
                        "lost the database lease of role %s (connection to the database "
                        "broken); stopping this worker so that it restarts as a standby",
                        role.name,
                    )
                    self.lost.set()
                    await self._stop_all()
                    return
                continue
            if role.name in self._refused:
                continue
            await self._try(role, first=first)

    async def _try(self, role: SingletonRole, *, first: bool = False) -> None:
        lease = self._lease[role.name]
        try:
            got = await lease.acquire()
        except Exception:
            log.exception("could not try the lease of role %s; trying again", role.name)
            return
        if not got:
            if not self.retries:
                self._refused.add(role.name)
                log.error(t("ops.roles.sqlite_taken", self.language, role=role.name,
                            pid=lease.holder() or "?"))  # fmt: skip
            elif role.name not in self._standing_by:
                self._standing_by.add(role.name)
                log.info("role %s is held by another worker; standing by", role.name)
            return
        try:
            await role.start()
        except Exception:
            if first:
                await lease.release()
                raise
            log.exception("role %s failed to start; its lease is released", role.name)
            await lease.release()
            return
        self.running.add(role.name)
        self._standing_by.discard(role.name)
        log.info("this worker now runs role %s", role.name)

    async def _stop_all(self) -> None:
        for role in reversed(self.roles):
            if role.name not in self.running:
                continue
            self.running.discard(role.name)
            try:
                await role.stop()
            except Exception:
                log.exception("role %s did not stop cleanly", role.name)
            await self._lease[role.name].release()
