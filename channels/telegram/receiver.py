"""How Telegram updates get in without ever being lost: stored raw in the inbox
(bot/intake/inbox.py) before Telegram is told they arrived, then handled from the store, once,
in each chat's order.

Polling is our own `getUpdates` loop, not PTB's Updater: the Updater confirms fetched updates
(the next offset) while they are still only in memory. Here a batch is committed first, and only
then is the next offset, which confirms it, asked for. A webhook call is answered 200 only after
its commit (an error answers 500, and Telegram sends the update again).

A lane worker (bot/intake/lanes.py) takes the earliest pending update of each chat and runs it
through the Application's handlers: chats side by side, each chat in order. Every `loket run`
worker runs one (lanes are claimed in the store, never held by two workers) and serves the
webhook; only the getUpdates loop is one worker's (a singleton role, app/runner.py). A handler that
raises leaves the update pending for a retry (after a doubling delay, at most
INBOX_MAX_ATTEMPTS times, then `dead`: `loket telegram dead-letters` lists and retries it).
A process killed mid-update leaves it pending too: the next process handles it again.
Handlers are idempotent for that (inbound messages are keyed by chat and message id, a form by
its token). What a handler writes of its own (the conversation's state, its answers) is
committed in one transaction with the update's `done` (channels/telegram/writes.py): a killed
handler leaves none of it, and the update is handled again whole. A step committed earlier,
before a direct send that had to follow its answers (Turn.delivered), is not applied a second
time (telegram_drafts.last_update_id, see ChannelState.applied).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot.crash_points import crash_point
from bot.intake.inbox import DEAD, Held, Inbox
from bot.intake.lanes import LaneWorker
from bot.privacy.masking import redact
from bot.services import Services
from channels.telegram.commits import UpdateCommits
from channels.telegram.routing import CHANNEL, person_of, to_inbound
from channels.telegram.sender import TelegramSender
from channels.telegram.state import HANDLING, ChannelState
from channels.telegram.writes import UPDATE_WRITES, UpdateWrites
from store.db import with_priority

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
REMEMBER_UPDATES = dt.timedelta(days=2)  # Telegram re-delivers unconfirmed updates for 24 hours
FORGET_DEAD = dt.timedelta(days=30)  # a dead letter's payload is personal data
PRUNE_EVERY = 3600.0  # seconds between prunes in a long-running process
IDLE_WAIT = 1.0  # seconds the worker sleeps when nothing is due (a retry may come due)
POLL_ERROR_WAIT = 5.0  # seconds before polling again after a network error
REHEARSAL = "telegram-rehearsal"  # a channel name no update has: the claim takes nothing


@dataclass
class _Attempt:
    """The update a worker task is running: its attempt number and the handler's error."""

    number: int
    error: BaseException | None = None


_ATTEMPT: ContextVar[_Attempt | None] = ContextVar("telegram_attempt", default=None)


class InboxApplication(Application):  # type: ignore[type-arg]
    """The Application, told by the worker which update attempt it runs: a handler's error
    stops the update there (it will be tried again whole), and the person hears the apology
    (the error handlers) on the first failed attempt only."""

    async def process_error(
        self, update: object | None, error: Exception, job: Any = None, coroutine: Any = None
    ) -> bool:
        """Record the error for the worker; run the error handlers once per update."""
        attempt = _ATTEMPT.get()
        if attempt is None or job is not None or coroutine is not None:
            return await super().process_error(update, error, job, coroutine)
        attempt.error = error
        if attempt.number == 1:
            await super().process_error(update, error, job, coroutine)
        else:
            log.error("handling update failed again (attempt %d)", attempt.number, exc_info=error)
        return True  # no lower handler group: the update is tried again from the start


def _describe(error: BaseException) -> str:
    """The error as officers see it in the dead letters (personal data masked)."""
    return redact(f"{type(error).__name__}: {error}")


class TelegramReceiver:
    """Polls (or serves the webhook), stores, and works off the inbox through `app`."""

    def __init__(
        self,
        app: Application,  # type: ignore[type-arg]
        services: Services,
        state: ChannelState,
        sender: TelegramSender,
        *,
        poll_timeout: int,
        concurrency: int | None = None,
    ) -> None:
        self.app, self.services, self.state, self.sender = app, services, state, sender
        self.poll_timeout = poll_timeout
        settings = services.settings
        self.inbox = Inbox(
            services.db,
            max_attempts=settings.inbox_max_attempts,
            retry_base=dt.timedelta(seconds=settings.inbox_retry_base_seconds),
            claim_for=dt.timedelta(seconds=settings.inbox_claim_seconds),
        )
        # Chats are handled side by side (INBOX_CONCURRENCY at once), each chat in order.
        self.lanes = LaneWorker(
            self.inbox,
            CHANNEL,
            self.handle,
            services.clock.now,
            concurrency=concurrency or settings.inbox_concurrency,
            idle_wait=IDLE_WAIT,
            before_round=self._maybe_prune,
            counting=True,  # the claim counts the attempt: one round trip less per update
            prepare=self._read_drafts,  # and reads the drafts: one more less
        )
        self._known: dict[int, dict[tuple[int, int], dict[str, Any] | None]] = {}
        self.commits = UpdateCommits(services.db, self.inbox, state, sender, services.clock)
        self._stopping = self._polling = False
        self._poller: asyncio.Task[None] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._last_prune = 0.0

    # --- intake: store first ------------------------------------------------------------------

    async def store(self, raw: list[dict[str, Any]]) -> int:
        """Commit raw updates to the inbox (re-deliveries are ignored); wake the worker."""
        items = [to_inbound(data) for data in raw]  # messages and taps routed without PTB
        stored = await self.inbox.store(items, self.services.clock.now())
        crash_point("telegram_stored")
        self.lanes.wake()
        return stored

    async def start_polling(self) -> None:
        """Start the getUpdates loop (after removing any webhook, as getUpdates requires)."""
        await self.app.bot.delete_webhook()
        self._polling = True
        # Urgent on SQLite's writer (store/db.py): storing and handling updates goes before
        # the outbox's claims and marks, so handling is never held up by sending.
        self._poller = asyncio.create_task(
            self._poll(), name="telegram-poll", context=with_priority()
        )

    async def stop_polling(self) -> None:
        """Stop the getUpdates loop (a batch fetched but not stored is fetched again)."""
        self._polling = False
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None

    async def _poll(self) -> None:
        offset: int | None = None  # None: Telegram sends every update not yet confirmed
        while self._polling and not self._stopping:
            try:
                # `offset` confirms (Telegram deletes) every update below it: only ever one
                # past a batch that is committed.
                updates = await self._fetch(offset)
            except InvalidToken:
                log.error("Telegram refused the bot token; polling stopped")
                return
            except (NetworkError, TelegramError) as exc:
                log.warning("getUpdates failed (%s); trying again", exc.message)
                await asyncio.sleep(POLL_ERROR_WAIT)
                continue
            if not updates:
                continue
            try:
                await self.store(updates)
            except Exception:
                # Not stored, so not confirmed: the same batch comes again.
                log.exception("storing Telegram updates failed; fetching them again")
                await asyncio.sleep(POLL_ERROR_WAIT)
                continue
            offset = max(int(u["update_id"]) for u in updates) + 1

    async def _fetch(self, offset: int | None) -> list[dict[str, Any]]:
        """The next getUpdates batch exactly as Telegram sent it (JSON objects).

        Not `Bot.get_updates`: it parses every update into PTB's objects, which the store then
        had to turn back into JSON (`to_dict`, which also adds PTB's defaults and drops empty
        lists) and `store` parses once more for the lane; three passes over a batch of up to
        100 updates in one go on the event loop, ~1.5 ms an update, while the handlers in flight
        waited (docs/benchmarks.md, branch `tgfast`). The same request and errors (PTB's
        `_post`, behind `get_updates` and `do_api_request`, which would warn here)."""
        data: dict[str, Any] = {"offset": offset, "timeout": self.poll_timeout}
        got = await self.app.bot._post("getUpdates", data, read_timeout=self.poll_timeout + 10)
        if not isinstance(got, list):  # not what getUpdates answers: nothing to store
            return []
        return [u for u in got if isinstance(u, dict) and "update_id" in u]

    async def webhook(self, request: web.Request) -> web.Response:
        """One webhook call: the secret is checked, the update committed, then 200."""
        secret = self.services.settings.telegram_webhook_secret.get_secret_value()
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("webhook call without the right secret token refused")
            return web.Response(status=403)
        try:
            data = await request.json()
            if not isinstance(data, dict) or "update_id" not in data:
                raise ValueError("not an update")
            Update.de_json(data, self.app.bot)
        except ValueError:
            return web.Response(status=400)
        try:
            await self.store([data])
        except Exception:
            log.exception("storing a webhook update failed; Telegram will send it again")
            return web.Response(status=500)
        return web.Response()

    # --- processing: from the store -----------------------------------------------------------

    def start_worker(self) -> None:
        """Start working off the inbox (updates left by an earlier process come first)."""
        self._worker = asyncio.create_task(
            self._work(), name="telegram-inbox", context=with_priority()
        )

    async def _work(self) -> None:
        await self._rehearse()
        await self.lanes.run()

    async def _rehearse(self) -> None:
        """Run, before the first update, the statements handling one runs (the claim, the
        drafts' read, a group commit) in a transaction rolled back: SQLAlchemy compiles each
        at its first execution, ~2-10 ms on the event loop, which the first updates after a
        start paid for side by side (docs/benchmarks.md, `tgfast`). Nothing is kept."""
        try:
            await self.inbox.claim(REHEARSAL, self.services.clock.now(), counting=True)
            async with self.services.db.session() as session:  # closed without a commit
                await self.state.read_drafts(session, [(0, 0)])
                await self.commits.rehearse(session)
        except Exception:
            log.exception("rehearsing the Telegram inbox's statements failed")

    async def stop(self) -> None:
        """Stop fetching, let the updates in hand finish, stop the worker."""
        self._stopping = True
        await self.stop_polling()
        await self.lanes.stop()
        if self._worker is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        self._poller = self._worker = None

    async def handle(self, item: Held) -> None:
        """Run one stored update through the handlers and record the outcome."""
        now = self.services.clock.now
        try:
            known = self._known.pop(item.id, {})
            number = item.number or await self.inbox.begin(item.id)
            try:
                update = Update.de_json(item.payload, self.app.bot)
            except Exception as exc:  # a payload PTB cannot read: it will not get better
                await self.inbox.failed(item.id, _describe(exc), now(), final=True)
                log.error("update %s cannot be read; kept as a dead letter", item.external_id)
                return
            if item.interrupted and await self._applied(update):
                log.info("update %s was applied before the process stopped", item.external_id)
                await self.inbox.done(item.id, now())
                return
            # A retried attempt reads afresh: the failed one may have committed a step.
            finish_in = partial(self.commits.write_finished, done=item.id)
            writes = UpdateWrites(known=known if number == 1 else {}, finish_in=finish_in)
            attempt = _Attempt(number)
            tokens = (
                _ATTEMPT.set(attempt),
                HANDLING.set(update.update_id),
                UPDATE_WRITES.set(writes),
            )
            try:
                crash_point("telegram_handling")
                await self.app.process_update(update)
            except Exception as exc:  # process_update hands handler errors to process_error
                attempt.error = exc
            finally:
                _ATTEMPT.reset(tokens[0])
                HANDLING.reset(tokens[1])
                UPDATE_WRITES.reset(tokens[2])
            crash_point("telegram_handled")
            if attempt.error is None or writes.finished:  # finished: done in the core's commit
                if attempt.error is not None:
                    log.error("update %s failed after it was finished: %s", item.external_id,
                              _describe(attempt.error))  # fmt: skip
                await self._commit(writes, done=None if writes.finished else item.id)
                return
            # What the failed attempt wrote is kept, as it was before it failed (a retry
            # queues the same answer keys, so none is doubled).
            await self._commit(writes)
            if await self.inbox.failed(item.id, _describe(attempt.error), now()) == DEAD:
                log.error("update %s failed %d times; kept as a dead letter", item.external_id,
                          number)  # fmt: skip
        except Exception:
            log.exception("the Telegram inbox could not record update %s", item.external_id)
            await asyncio.sleep(IDLE_WAIT)

    async def _read_drafts(self, session: AsyncSession, items: list[Held]) -> None:
        """In the claim's transaction: the drafts of the people of the claimed messages and
        taps, kept for their handlers (`UpdateWrites.known`; None: no draft stored)."""
        people = {item.id: person for item in items if (person := person_of(item.payload))}
        found = await self.state.read_drafts(session, list(people.values()))
        for row_id, person in people.items():
            self._known[row_id] = {person: found.get(person)}

    async def _commit(self, writes: UpdateWrites, *, done: int | None = None) -> None:
        """Commit the update's draft rows and answers (and, given `done`, the inbox row marked
        done) as one unit, with other updates' finishing meanwhile (channels/telegram/
        commits.py), then have the answers sent."""
        await self.commits.commit(writes, done)
        self.sender.wake(writes.answers)

    async def _applied(self, update: Update) -> bool:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None:
            return False
        return await self.state.applied(chat.id, user.id, update.update_id)

    async def _maybe_prune(self) -> None:
        if time.monotonic() - self._last_prune < PRUNE_EVERY and self._last_prune:
            return
        self._last_prune = time.monotonic()
        now = self.services.clock.now()
        try:
            await self.inbox.prune(
                done_before=now - REMEMBER_UPDATES, dead_before=now - FORGET_DEAD
            )
        except Exception:
            log.exception("pruning the Telegram inbox failed")
