"""A mixed stream of emails and Telegram messages into a real `loket run` that is killed with
SIGKILL at random moments, then run to the end: what got lost, what was doubled.

Used by the reliability suite (tests/reliability) and by `python -m bench chaos`. The Bot API
emulator, Dovecot and the SMTP sink live in this process, `loket run` is a subprocess: what
Telegram holds (unconfirmed updates) and what the mail server holds survive every kill, as
they would in production. After each kill, every update Telegram was told we received (below
the last getUpdates offset) must be in the store: that is the moment a loss would happen.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select

from app.settings import Settings
from bot.clock import SystemClock
from bot.intake.door import InboundMessage
from bot.services import Services
from sandbox.telegram_api.server import BotApiEmulator
from store.blobs import BlobStore
from store.db import Database
from store.enums import CaseKind, Channel
from store.models import InboundUpdate, MailRecord, Message, OutboxMessage
from tests.support.builders import COMPLETE_REQUEST
from tests.support.dovecot import DovecotServer
from tests.support.emails import make_email
from tests.support.smtp import SmtpSink
from tests.support.telegram import TOKEN

MAIL_FROM = "ppid@pemda.test"
CITIZENS = 20  # Telegram citizens, each with one open case; their messages are appended to it
# The answer to each appended message: tg.inbox.added (relayed to officers) or
# tgsafe.inbox.stored (no officers' chat configured); both (id) begin with this.
ADDED = "Pesan Anda sudah kami "
# Seconds the last, unkilled run may take to work everything off, for each 200 emails (each
# acknowledgement carries its receipt PDF, rendered one at a time: the slowest of the work).
FINISH_WITHIN = 240.0
# Seconds before a kill within which a Telegram send may still lack its record (the row marked
# sent with the message's id): the send's own time and its group mark's (whole seconds, as the
# Bot API dates a message).
UNRECORDED_GRACE = 5


@dataclass
class Figures:
    """What one chaos run found (printed as JSON by `python -m bench chaos`)."""

    telegram_sent: int = 0
    emails_sent: int = 0
    rounds: int = 0
    kills: int = 0
    telegram_lost: int = 0  # never stored as a case message
    telegram_doubled: int = 0  # stored more than once
    telegram_confirmed_unstored: int = 0  # confirmed to Telegram while not in the store
    telegram_out_of_order: int = 0  # chats whose messages were stored out of order
    emails_lost: int = 0
    emails_doubled: int = 0
    dead_letters: int = 0
    acks_missing: int = 0  # email cases without an acknowledgement in the SMTP sink
    acks_doubled: int = 0  # acknowledgements delivered more than once (at-least-once)
    replies_missing: int = 0  # Telegram messages without their "added to your case" answer
    replies_doubled: int = 0
    # Answers delivered whose row does not record them as sent (its send repeated after a
    # kill): those sent in the seconds before a kill, and any other (a send doubled while the
    # process ran; the criterion is 0). The dispatcher sends to many chats at once, so a kill
    # may cut off the record of several sends (email: one at a time).
    replies_cut_by_kills: int = 0
    replies_unrecorded_while_running: int = 0
    seconds: float = 0.0
    finished: bool = False  # the last run worked everything off within FINISH_WITHIN
    kill_after: list[float] = field(default_factory=list)
    # For each acknowledgement missing: the outbox rows to its address (what a failure shows)
    ack_rows: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        """Every kind of loss together (the acceptance criterion is 0)."""
        return (
            self.telegram_lost
            + self.telegram_confirmed_unstored
            + self.emails_lost
            + self.acks_missing
            + self.replies_missing
        )


@dataclass
class ChaosWorld:
    """The servers the subprocess talks to, and where it keeps its data."""

    database_url: str
    workdir: Path
    dovecot: DovecotServer
    folder: str
    smtp: SmtpSink
    api: BotApiEmulator

    def env(self) -> dict[str, str]:
        """The environment of `loket run`: every channel on the loopback servers, no quiet
        hours (the acknowledgements go now), a short outbox lease (a send killed midway is
        retried after 10 s, not 10 min)."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("LOKET_CRASH")}
        return base | {
            "DATABASE_URL": self.database_url,
            "ATTACHMENT_DIR": str(self.workdir / "attachments"),
            "IMAP_HOST": "127.0.0.1",
            "IMAP_PORT": str(self.dovecot.port),
            "IMAP_SECURITY": "none",
            "IMAP_USER": self.dovecot.user,
            "IMAP_PASSWORD": self.dovecot.password,
            "IMAP_FOLDER": self.folder,
            "IMAP_POLL_SECONDS": "2",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp.port),
            "SMTP_SECURITY": "none",
            "MAIL_FROM": MAIL_FROM,
            "REPLY_SECRET": "chaos-secret",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": self.api.base_url,
            "TELEGRAM_FILE_BASE_URL": self.api.base_file_url,
            "QUIET_HOURS_START": "00:00",
            "QUIET_HOURS_END": "00:00",
            "OUTBOX_LEASE_SECONDS": "10",
            "OUTBOX_POLL_SECONDS": "0.5",
            "OUTBOX_EMAIL_PER_SECOND": "100",
        }

    def settings(self) -> Settings:
        """The same configuration for this process (seeding and checking)."""
        return Settings(_env_file=None, database_url=self.database_url,  # type: ignore[call-arg]
                        attachment_dir=self.workdir / "attachments",
                        reply_secret="chaos-secret")  # type: ignore[arg-type]  # fmt: skip


def _email(i: int) -> bytes:
    return make_email(
        sender=f"Warga {i} <warga{i}@warga.test>",
        subject=f"Permohonan data nomor {i}",
        message_id=f"<chaos-{i}@warga.test>",
        body=f"Yth. PPID, saya memohon salinan data anggaran kegiatan nomor {i} tahun 2025.",
    )


class Chaos:
    """One chaos run: seed, stream with kills, finish, count."""

    def __init__(
        self, world: ChaosWorld, *, telegram: int, emails: int, rounds: int, seed: int
    ) -> None:
        self.world, self.rounds, self.rng = world, rounds, random.Random(seed)
        self.telegram, self.emails = telegram, emails
        self.figures = Figures(telegram_sent=telegram, emails_sent=emails, rounds=rounds)
        self.pushed: list[dict[str, Any]] = []  # every Telegram update pushed
        self.killed_at: list[float] = []  # the wall-clock time of each SIGKILL
        self.logs = world.workdir / "loket-run.log"

    async def run(self) -> Figures:
        """Seed, run `rounds` killed rounds and one to the end; return the figures."""
        started = time.monotonic()
        settings = self.world.settings()
        db = Database.from_url(settings.database_url)
        try:
            await self._seed(db, settings)
            stream = self._stream()
            chunk = -(-len(stream) // (self.rounds + 1))
            for n in range(self.rounds):
                await self._round(stream[n * chunk : (n + 1) * chunk], kill=True)
                await self._check_confirmed(db)
            await self._round(stream[self.rounds * chunk :], kill=False, db=db)
            await self._count(db)
        finally:
            await db.dispose()
        self.figures.seconds = round(time.monotonic() - started, 1)
        return self.figures

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the subprocesses' logs (for a failure message)."""
        return self.logs.read_text(errors="replace")[-chars:] if self.logs.exists() else ""

    async def _seed(self, db: Database, settings: Settings) -> None:
        services = Services(
            settings,
            db,
            SystemClock(),
            BlobStore(settings.attachment_dir, settings.attachment_max_bytes),
        )
        for chat in self._chats():
            await services.intake.handle_inbound(
                InboundMessage(
                    channel=Channel.TELEGRAM,
                    external_id=f"seed:{chat}",
                    sender=str(chat),
                    sender_name=f"Warga {chat}",
                    text=COMPLETE_REQUEST["information_requested"],
                    received_at=services.clock.now(),
                    new_case_kind=CaseKind.INFORMATION_REQUEST,
                    fields={**COMPLETE_REQUEST, "name": f"Warga {chat}",
                            "phone": f"0812 7000 {chat:04d}"},
                )
            )  # fmt: skip

    def _chats(self) -> list[int]:
        return [7000 + n for n in range(CITIZENS)]

    def _stream(self) -> list[tuple[str, Any]]:
        chats = self._chats()
        items: list[tuple[str, Any]] = [
            ("telegram", (chats[i % len(chats)], f"Tambahan keterangan nomor {i}"))
            for i in range(self.telegram)
        ]
        items += [("email", _email(i)) for i in range(self.emails)]
        self.rng.shuffle(items)
        return items

    async def _feed(self, items: list[tuple[str, Any]]) -> None:
        for kind, item in items:
            if kind == "telegram":
                chat, text = item
                self.pushed.append(await self.world.api.push_text(text, user_id=chat))
            else:
                await asyncio.to_thread(self.world.dovecot.append, self.world.folder, item)
            await asyncio.sleep(self.rng.uniform(0, 0.03))

    async def _round(
        self, items: list[tuple[str, Any]], *, kill: bool, db: Database | None = None
    ) -> None:
        with self.logs.open("ab") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-c", "from app.cli.main import main; main()", "run",
                env=self.world.env(), cwd=self.world.workdir, stdout=log, stderr=log,
            )  # fmt: skip
        feed = asyncio.create_task(self._feed(items))
        try:
            if kill:
                after = round(self.rng.uniform(1.0, 6.0), 2)
                self.figures.kill_after.append(after)
                await asyncio.sleep(after)
                proc.send_signal(signal.SIGKILL)
                self.killed_at.append(time.time())
                self.figures.kills += 1
            else:
                await feed
                assert db is not None
                await self._wait_finished(db)
                proc.send_signal(signal.SIGTERM)
            await feed
        finally:
            if proc.returncode is None:
                try:
                    await asyncio.wait_for(proc.wait(), 30)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()

    async def _stored_update_ids(self, db: Database) -> set[int]:
        async with db.session() as session:
            stmt = select(InboundUpdate.external_id).where(InboundUpdate.channel == "telegram")
            return {int(x) for x in (await session.exec(stmt)).all()}

    async def _check_confirmed(self, db: Database) -> None:
        stored = await self._stored_update_ids(db)
        confirmed = {
            u["update_id"] for u in self.pushed if u["update_id"] < self.world.api.confirmed_below
        }
        self.figures.telegram_confirmed_unstored += len(confirmed - stored)

    async def _wait_finished(self, db: Database) -> None:
        deadline = time.monotonic() + FINISH_WITHIN * max(self.emails / 200, 1)
        while time.monotonic() < deadline:
            if await self._finished(db):
                self.figures.finished = True
                return
            await asyncio.sleep(0.5)

    async def _finished(self, db: Database) -> bool:
        async with db.session() as session:
            todo = InboundUpdate.state == "pending"
            pending = (await session.exec(
                select(func.count()).select_from(InboundUpdate).where(todo)
            )).one()  # fmt: skip
            mails = (await session.exec(select(func.count()).select_from(MailRecord))).one()
            unsent = (await session.exec(
                select(func.count()).select_from(OutboxMessage)
                .where(col(OutboxMessage.status).in_(("pending", "sending")))
            )).one()  # fmt: skip
            tg = (await session.exec(
                select(func.count()).select_from(Message)
                .where(Message.channel == "telegram", Message.direction == "in")
            )).one()  # fmt: skip
        replies = sum(ADDED in (m.get("text") or "") for m in self.world.api.messages())
        return (
            pending == 0
            and not self.world.api.unconfirmed
            and mails >= self.emails
            and unsent == 0
            and tg >= self.telegram + CITIZENS
            and replies >= self.telegram
        )

    async def _count(self, db: Database) -> None:
        f = self.figures
        async with db.session() as session:
            tg_rows = (await session.exec(
                select(Message.external_id).where(
                    Message.channel == "telegram", Message.direction == "in",
                    ~col(Message.external_id).startswith("seed:"),
                ).order_by(col(Message.id))
            )).all()  # fmt: skip
            mail_keys = (await session.exec(select(MailRecord.message_key))).all()
            mail_messages = (await session.exec(
                select(func.count()).select_from(Message).where(Message.channel == "email")
            )).one()  # fmt: skip
            dead = (await session.exec(
                select(func.count()).select_from(InboundUpdate).where(InboundUpdate.state == "dead")
            )).one()  # fmt: skip
        expected = {
            f"{u['message']['chat']['id']}:{u['message']['message_id']}" for u in self.pushed
        }
        stored = Counter(tg_rows)
        f.telegram_lost = len(expected - set(stored))
        f.telegram_doubled = sum(n - 1 for n in stored.values())
        per_chat: dict[str, list[int]] = {}
        for ext in tg_rows:
            chat, _, message_id = ext.partition(":")
            per_chat.setdefault(chat, []).append(int(message_id))
        f.telegram_out_of_order = sum(ids != sorted(ids) for ids in per_chat.values())
        keys = Counter(mail_keys)
        f.emails_lost = self.emails - len(keys)
        f.emails_doubled = sum(n - 1 for n in keys.values()) + max(mail_messages - len(keys), 0)
        f.dead_letters = dead
        acks = Counter(rcpt for env in self.world.smtp.envelopes for rcpt in env.rcpt_tos)
        wanted = [f"warga{i}@warga.test" for i in range(self.emails)]
        missing = [a for a in wanted if acks[a] == 0]
        f.acks_missing = len(missing)
        f.ack_rows = await self._outbox_rows_to(db, missing[:5])
        f.acks_doubled = sum(max(acks[a] - 1, 0) for a in wanted)
        sent_per_chat = Counter(u["message"]["chat"]["id"] for u in self.pushed)
        for chat, sent in sent_per_chat.items():
            got = sum(ADDED in (m.get("text") or "") for m in self.world.api.messages(chat))
            f.replies_missing += max(sent - got, 0)
            f.replies_doubled += max(got - sent, 0)
        await self._count_unrecorded(db)

    async def _count_unrecorded(self, db: Database) -> None:
        """Split the answers delivered without a record of their send into those a kill cut
        off (sent within UNRECORDED_GRACE seconds before one) and the others."""
        async with db.session() as session:
            recorded = set((await session.exec(
                select(OutboxMessage.recipient, OutboxMessage.external_id).where(
                    OutboxMessage.channel == "telegram", OutboxMessage.status == "sent"
                )
            )).all())  # fmt: skip
        for m in self.world.api.messages():
            if ADDED not in (m.get("text") or ""):
                continue
            if (str(m["chat"]["id"]), str(m["message_id"])) in recorded:
                continue
            if any(k - UNRECORDED_GRACE <= m["date"] <= k + 1 for k in self.killed_at):
                self.figures.replies_cut_by_kills += 1
            else:
                self.figures.replies_unrecorded_while_running += 1

    async def _outbox_rows_to(self, db: Database, addresses: list[str]) -> list[str]:
        """The outbox rows and mail records of each address, one line each (what a missing
        acknowledgement shows in a failure)."""
        if not addresses:
            return []
        t = OutboxMessage
        async with db.session() as session:
            rows = (await session.exec(
                select(t).where(col(t.recipient).in_(addresses)).order_by(col(t.id))
            )).all()  # fmt: skip
            found = [
                f"{r.recipient}: row {r.id} case {r.case_id} {r.purpose} {r.status} "
                f"attempts={r.attempts} not_before={r.not_before} sent_at={r.sent_at} "
                f"error={r.last_error!r}"
                for r in rows
            ]
            records = (await session.exec(
                select(MailRecord).where(col(MailRecord.sender).in_(addresses))
            )).all()  # fmt: skip
        found += [
            f"{m.sender}: mail record {m.id} {m.classification} {m.disposition} "
            f"reason={m.reason} case {m.case_id}"
            for m in records
        ]
        with_rows = {r.recipient for r in rows}
        return found + [f"{a}: no outbox row" for a in addresses if a not in with_rows]
