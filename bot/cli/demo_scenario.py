"""The scripted story `loket demo` plays against the real service, step by step.

People act only through the channels' real entry points: citizens and officers type and tap
in the Telegram emulator, an email arrives as raw bytes through the email channel's intake
path (no IMAP server is assumed), time moves on a fixed clock and the scheduler's jobs run as
a tick would run them; the service's own dispatcher delivers every outbox row.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from bot.cli.demo_world import WIB, DemoWorld
from bot.mail_message import MailLocation
from bot.mailboxes import MailboxConfig
from bot.reports.survey import survey_document
from bot.workflow.rules import load_rules
from channels.email import ingestor_for
from channels.email.imap import FetchedMail
from channels.email.poller import build_incoming
from channels.telegram.emulator import buttons_of
from scheduler.tick import run_jobs
from store.enums import CaseKind, OutboxStatus, Role
from store.models import Officer, OutboxMessage, Unit

DESK_CHAT, UNIT_CHAT = -1001, -2001
SITI, DEWI, RINA, BUDI = 42, 44, 501, 601
ANDI_MAIL = "andi.wijaya@example.id"
WAIT = 10.0  # seconds to wait for the bot before the demo reports it stuck

Say = Callable[[str, str], None]


def shows(message: dict[str, Any], fragment: str) -> bool:
    """True when the message's text or one of its buttons contains `fragment`."""
    labels = " ".join(b["text"] for row in buttons_of(message) for b in row)
    return fragment in message.get("text", "") or fragment in labels


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant in February 2026, Jakarta time."""
    return dt.datetime(2026, 2, day, hour, minute, tzinfo=WIB)


@dataclass
class Story:
    """The world plus a transcript: what each person did and every message the bot sent."""

    world: DemoWorld
    say: Say
    names: dict[int, str] = field(default_factory=dict)
    _sent: int = 0
    _mails: int = 0
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)
    heading: str | None = None  # printed before the next message, if one comes

    @property
    def api(self) -> Any:
        """The Telegram Bot API emulator."""
        return self.world.api

    def flush(self) -> None:
        """Print every bot message and email sent since the last flush."""
        messages = self.api.messages()
        if self.heading and (len(messages) > self._sent or len(self.world.mail.messages) > self._mails):
            self.say("⏰", self.heading)
        self.heading = None
        for message in messages[self._sent :]:
            who = self.names.get(message["chat"]["id"], str(message["chat"]["id"]))
            buttons = [b["text"] for row in buttons_of(message) for b in row]
            text = message["text"] + (f"\n[{' | '.join(buttons)}]" if buttons else "")
            self.say(f"🤖 → {who}", text)
        self._sent = len(messages)
        mails = self.world.mail.messages
        for mail in mails[self._mails :]:
            body = mail.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            self.say(f"📧 → {mail['To']}", f"{mail['Subject']}\n{text.split(chr(10) + '---')[0]}")
        self._mails = len(mails)

    async def wait_text(self, chat: int, fragment: str, since: int) -> dict[str, Any]:
        """The first message to `chat` from index `since` on that contains `fragment`."""

        def found() -> dict[str, Any] | None:
            return next(
                (m for m in self.api.messages(chat)[since:] if fragment in m.get("text", "")),
                None,
            )

        await self.api.wait_until(lambda: found() is not None, WAIT)
        self.flush()
        return found()  # type: ignore[return-value]

    async def type(self, user: int, text: str, *, chat: int | None = None, expect: str) -> Any:
        """`user` types `text` (in `chat`, default their private chat); wait for `expect`."""
        chat = chat or user
        since = len(self.api.messages(chat))
        self.say(f"👤 {self.names[user]}", text)
        extra = {"chat_id": chat} if chat != user else {}
        await self.api.push_text(text, user_id=user, first_name=self.names[user], **extra)
        reply = await self.wait_text(chat, expect, since)
        self.flush()
        return reply

    async def tap(self, user: int, message: dict[str, Any], label: str, *, expect: str) -> Any:
        """`user` taps the button `label` under `message`; wait for `expect` (new or edited)."""
        chat = message["chat"]["id"]
        since = len(self.api.messages(chat))
        self.say(f"👆 {self.names[user]}", f"[{label}]")
        await self.api.tap(self.current(message), label, user_id=user)
        await self.api.wait_until(
            lambda: any(shows(m, expect) for m in self.api.messages(chat)[since:])
            or shows(self.current(message), expect),
            WAIT,
        )
        self.flush()
        fresh = [m for m in self.api.messages(chat)[since:] if shows(m, expect)]
        if fresh:
            return fresh[0]
        edited = self.current(message)
        status = next((ln for ln in edited["text"].splitlines() if ln.startswith("Status")), "")
        self.say(f"🗂 kartu di {self.names.get(chat, chat)}", status or edited["text"][:80])
        return edited

    def current(self, message: dict[str, Any]) -> dict[str, Any]:
        """A bot message as it is now (cards are edited in place)."""
        return next(
            m
            for m in self.api.messages(message["chat"]["id"])
            if m["message_id"] == message["message_id"]
        )

    async def settle(self) -> None:
        """Wait until the dispatcher has delivered every outbox row that is due now."""
        db, now = self.world.services.db, self.world.clock.now()
        due = (col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING])) & (
            col(OutboxMessage.not_before) <= now
        )
        for _ in range(int(WAIT / 0.05)):
            async with db.session() as session:
                if not await session.scalar(select(func.count()).where(due)):
                    self.flush()
                    return
            await asyncio.sleep(0.05)
        raise TimeoutError("the outbox dispatcher did not deliver in time")

    async def move_to(self, instant: dt.datetime, *, tick: bool = True) -> None:
        """Set the clock; run the scheduler's jobs as a tick at that instant would."""
        self.world.clock.set(instant)
        if tick:
            services = self.world.services
            await run_jobs(services.db, services.settings, instant)
        await self.settle()


async def setup_body(story: Story) -> None:
    """Two units with officer chats, the PPID Utama at the desk, a unit officer."""
    async with story.world.services.db.transaction() as session:
        pu = Unit(code="dpupr", name="Dinas Pekerjaan Umum", telegram_chat_id=UNIT_CHAT)
        session.add(pu)
        session.add(Unit(code="dinkes", name="Dinas Kesehatan"))
        await session.flush()
        session.add(Officer(name="Rina", role=Role.PPID_UTAMA, telegram_user_id=RINA))
        session.add(Officer(name="Budi", role=Role.UNIT_OFFICER, telegram_user_id=BUDI, unit_id=pu.id))
    story.names.update(
        {SITI: "Siti", DEWI: "Dewi", RINA: "Rina (PPID)", BUDI: "Budi (Dinas PU)",
         DESK_CHAT: "grup PPID", UNIT_CHAT: "grup Dinas PU"}
    )  # fmt: skip
    story.say("🏛", "PPID Kota Contoh: unit Dinas PU dan Dinas Kesehatan; Rina (PPID Utama) di "
              "grup PPID, Budi di grup Dinas PU. Jam: Senin 2 Februari 2026, 09.00 WIB.")  # fmt: skip


async def telegram_request(story: Story) -> None:
    """Siti files an information request in the Telegram chat, step by step."""
    menu = await story.type(SITI, "/start", expect="Silakan pilih layanan")
    step = await story.tap(SITI, menu, "Permohonan Informasi", expect="Langkah 1")
    for text, next_step in (
        ("Siti Aminah", "Langkah 2"),
        ("3171014501900001", "Langkah 3"),
        ("Jl. Merdeka No. 1, Gambir, Jakarta Pusat", "Langkah 4"),
        ("siti@example.id", "Langkah 5"),
        ("Laporan realisasi anggaran dinas tahun 2025", "Langkah 6"),
        ("Penelitian skripsi", "Langkah 7"),
    ):
        step = await story.type(SITI, text, expect=next_step)
    step = await story.tap(SITI, step, "softcopy", expect="Langkah 8")
    summary = await story.tap(SITI, step, "Email", expect="Mohon periksa")
    await story.tap(SITI, summary, "Kirim", expect="PPID/2026/000001")
    await story.settle()
    story.cards["PPID/2026/000001"] = await story.wait_text(DESK_CHAT, "PPID/2026/000001", 0)


def request_email() -> bytes:
    """Andi's email, as raw RFC 5322 bytes."""
    mail = EmailMessage()
    mail["From"] = f"Andi Wijaya <{ANDI_MAIL}>"
    mail["To"] = "PPID Kota Contoh <ppid@kota-contoh.go.id>"
    mail["Subject"] = "Permohonan informasi: paket pengadaan jalan 2025"
    mail["Date"] = format_datetime(at(2, 9, 30))
    mail["Message-ID"] = make_msgid(domain="example.id")
    mail.set_content(
        "Yth. PPID Kota Contoh,\n\nDengan hormat, saya mengajukan permohonan informasi.\n\n"
        "Nama: Andi Wijaya\nNIK: 3273011203850002\nAlamat: Jl. Asia Afrika No. 8, Bandung\n"
        "Telepon: 0813-2222-3333\n"
        "Informasi yang diminta: Daftar paket pengadaan jalan 2025 dan nilai kontraknya\n"
        "Tujuan: Pemantauan anggaran oleh LSM\nCara memperoleh informasi: softcopy\n"
        "Cara mengirim informasi: email\n\nTerima kasih.\nAndi Wijaya\n"
    )
    return mail.as_bytes()


async def email_request(story: Story) -> None:
    """An email request arrives; its raw bytes go through the email channel's intake path."""
    await story.move_to(at(2, 9, 30), tick=False)
    world = story.world
    config = MailboxConfig(
        name="demo", host="", port=0, security="none", username="", password="",
        folder="INBOX", processed_folder="", case_kind=CaseKind.INFORMATION_REQUEST,
    )  # fmt: skip
    raw = request_email()
    story.say(f"📨 {ANDI_MAIL} → ppid@kota-contoh.go.id", f"({len(raw)} bytes, surat permohonan)")
    fetched = FetchedMail(uid=1, raw=raw, internaldate=world.clock.now())
    incoming = build_incoming(fetched, MailLocation("demo", 1, 1), config, world.clock.now())
    outcome = await ingestor_for(world.services).ingest(incoming)
    story.say("📥 intake", f"{outcome.disposition.value}: {outcome.case_reference or '-'}")
    await story.settle()
    story.cards["PPID/2026/000002"] = await story.wait_text(DESK_CHAT, "PPID/2026/000002", 0)


async def officer_reply(story: Story) -> None:
    """Rina answers Siti from the PPID group chat."""
    await story.move_to(at(2, 10), tick=False)
    await story.type(
        RINA, "/balas PPID/2026/000001 Terima kasih Bu Siti, dokumen sedang kami himpun.",
        chat=DESK_CHAT, expect="PPID/2026/000001",
    )  # fmt: skip
    await story.settle()


async def complaint(story: Story) -> None:
    """Dewi files a complaint; Rina disposes it to Dinas PU, where Budi follows it up."""
    await story.move_to(at(2, 11), tick=False)
    menu = await story.type(DEWI, "/start", expect="Silakan pilih layanan")
    step = await story.tap(DEWI, menu, "Pengaduan", expect="Langkah 1")
    step = await story.type(
        DEWI, "Jalan berlubang besar di depan Pasar Inpres, membahayakan pengendara motor.",
        expect="Langkah 2",
    )  # fmt: skip
    step = await story.tap(DEWI, step, "Pengaduan", expect="Langkah 3")
    step = await story.type(DEWI, "Jalan", expect="Langkah 4")
    step = await story.type(DEWI, "Jl. Pasar Inpres, Kecamatan Kota Lama", expect="Langkah 5")
    step = await story.tap(DEWI, step, "Hari ini", expect="Langkah 6")
    step = await story.tap(DEWI, step, "Lewati", expect="Langkah 7")
    step = await story.tap(DEWI, step, "Tidak", expect="Langkah 8")
    summary = await story.tap(DEWI, step, "Tidak", expect="Mohon periksa")
    await story.tap(DEWI, summary, "Kirim", expect="ADU/2026/000001")
    await story.settle()
    card = await story.wait_text(DESK_CHAT, "ADU/2026/000001", 0)
    units = await story.tap(RINA, card, "Disposisi", expect="Dinas Pekerjaan Umum")
    await story.tap(RINA, units, "Dinas Pekerjaan Umum", expect="Terdisposisi")
    await story.settle()
    story.cards["ADU/2026/000001"] = await story.wait_text(UNIT_CHAT, "ADU/2026/000001", 0)


async def followup(story: Story) -> None:
    """Two days later Budi posts the unit's follow-up from the Dinas PU group."""
    await story.move_to(at(4, 14))
    card = story.cards["ADU/2026/000001"]
    since = len(story.api.messages(UNIT_CHAT))
    await story.tap(BUDI, card, "Tindak lanjut", expect="ADU/2026/000001")
    await story.wait_text(UNIT_CHAT, "ADU/2026/000001", since)
    await story.type(
        BUDI, "Lubang sudah ditambal tim UPT Jalan pada 4 Februari 2026. Terima kasih laporannya.",
        chat=UNIT_CHAT, expect="ADU/2026/000001",
    )  # fmt: skip
    await story.settle()


async def extension(story: Story) -> None:
    """Rina extends Siti's request once, with a written reason (UU KIP Pasal 22(8))."""
    await story.move_to(at(4, 15))
    card = story.cards["PPID/2026/000001"]
    since = len(story.api.messages(DESK_CHAT))
    await story.tap(RINA, card, "Perpanjang", expect="PPID/2026/000001")
    await story.wait_text(DESK_CHAT, "alasan", since)
    await story.type(
        RINA, "Dokumen perlu dihimpun dari tiga bidang.", chat=DESK_CHAT, expect="PPID/2026/000001"
    )
    await story.settle()


async def days_pass(story: Story) -> None:
    """The days pass: reminders before the deadline, Andi's decision, the auto-close."""
    day = dt.date(2026, 2, 5)
    while day <= dt.date(2026, 2, 20):
        story.heading = f"{day.isoformat()} 09.00 WIB: scheduler tick"
        await story.move_to(dt.datetime.combine(day, dt.time(9), tzinfo=WIB))
        if day == dt.date(2026, 2, 13):
            await story.move_to(at(13, 10), tick=False)
            await story.type(
                RINA, "/putus PPID/2026/000002 diberikan", chat=DESK_CHAT, expect="PPID/2026/000002"
            )
            await story.settle()
        day += dt.timedelta(days=1)


async def survey(story: Story) -> None:
    """Dewi answers the satisfaction survey the closure brought, one tap per element."""
    question = await story.wait_text(DEWI, "1/9", 0)
    scores = (4, 4, 3, 4, 3, 4, 4, 3, 4)
    for n, score in enumerate(scores, 1):
        done = f"{n + 1}/9" if n < len(scores) else "Terima kasih"
        question = await story.tap(DEWI, question, f"{score} ·", expect=done)
    async with story.world.services.db.session() as session:
        rules = await load_rules(session, story.world.services.settings)
        ikm = (await survey_document(session, rules, 2026)).data
    story.say("📊 IKM 2026", f"{ikm['ikm']} (mutu {ikm['grade']}), {ikm['respondents']} responden")


async def decision(story: Story) -> None:
    """Rina decides Siti's request: granted in full."""
    await story.move_to(at(23, 10))
    card = story.cards["PPID/2026/000001"]
    choices = await story.tap(RINA, card, "Putuskan", expect="Diberikan seluruhnya")
    await story.tap(RINA, choices, "Diberikan seluruhnya", expect="Sudah diputuskan")
    await story.settle()


Step = tuple[str, Callable[[Story], Awaitable[None]]]
STEPS: tuple[Step, ...] = (
    ("Menyiapkan instansi", setup_body),
    ("Permohonan lewat Telegram", telegram_request),
    ("Permohonan lewat email", email_request),
    ("Petugas membalas dari grup", officer_reply),
    ("Pengaduan dan disposisi", complaint),
    ("Tindak lanjut unit", followup),
    ("Perpanjangan waktu", extension),
    ("Hari-hari berlalu", days_pass),
    ("Putusan", decision),
    ("Survei kepuasan", survey),
)
