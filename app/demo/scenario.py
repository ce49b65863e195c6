"""The scripted story `loket demo` plays against the real service, step by step.

People act only through the channels' real entry points: citizens and officers type and tap
in the Telegram emulator, a WhatsApp citizen sends signed webhooks from the Cloud API emulator,
an email arrives as raw bytes through the email channel's intake path (no IMAP server is
assumed), time moves on a fixed clock and the scheduler's jobs run as
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

from app.demo.world import WIB, DemoWorld
from bot.desk.identities import ChannelIdentity, set_identity
from bot.i18n import t
from bot.reports.survey import survey_document
from bot.workflow.rules import load_rules
from bot.workflow.survey import SURVEY_ELEMENTS
from channels.email.imap import FetchedMail
from channels.email.mailboxes import MailboxConfig
from channels.email.message import MailLocation
from channels.email.poller import build_incoming
from channels.email.runner import ingestor_for
from sandbox.telegram_api.server import buttons_of
from scheduler.tick import run_jobs
from store.enums import CaseKind, Channel, OutboxStatus, Role
from store.models import Officer, OutboxMessage, Unit

DESK_CHAT, UNIT_CHAT = -1001, -2001
SITI, DEWI, RINA, BUDI = 42, 44, 501, 601
ANDI_MAIL = "andi.wijaya@example.id"
UNIT_NAME = "Dinas Pekerjaan Umum"
# The references the story's cases get, in the order they are opened.
SITI_REQUEST, ANDI_REQUEST, COMPLAINT = "PPID/2026/000001", "PPID/2026/000002", "ADU/2026/000001"
RUDI_WA, RUDI_REQUEST = "6281355500001", "PPID/2026/000003"  # WhatsApp, the last step
WAIT = 10.0  # seconds to wait for the bot before the demo reports it stuck

Say = Callable[[str, str], None]


def tx(key: str, **params: Any) -> str:
    """A catalogue text in Indonesian: the language the demo's people speak."""
    return t(key, "id", **params)


def step(n: int, total: int = 8) -> str:
    """The "Langkah n dari 8" line of the channel's guided forms."""
    return tx("tg.step", n=n, total=total)


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
    _wa_sent: int = 0
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)
    heading: str | None = None  # printed before the next message, if one comes

    @property
    def api(self) -> Any:
        """The Telegram Bot API emulator."""
        return self.world.api

    def flush(self) -> None:
        """Print every bot message and email sent since the last flush."""
        messages = self.api.messages()
        if self.heading and (
            len(messages) > self._sent or len(self.world.mail.messages) > self._mails
        ):
            self.say("⏰", self.heading)
        self.heading = None
        for message in messages[self._sent :]:
            who = self.names.get(message["chat"]["id"], str(message["chat"]["id"]))
            buttons = [b["text"] for row in buttons_of(message) for b in row]
            text = message.get("text") or message.get("caption", "")
            if "document" in message:  # a letter or a file, sent with its caption
                text += f"\n📎 {message['document'].get('file_name', '')}"
            text += f"\n[{' | '.join(buttons)}]" if buttons else ""
            self.say(f"🤖 → {who}", text)
        self._sent = len(messages)
        mails = self.world.mail.messages
        for mail in mails[self._mails :]:
            body = mail.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            self.say(f"📧 → {mail['To']}", f"{mail['Subject']}\n{text.split(chr(10) + '---')[0]}")
        self._mails = len(mails)
        for sent in self.world.wa.sent[self._wa_sent :]:
            titles = list(wa_options(sent).values())
            text = sent.text + (f"\n[{' | '.join(titles)}]" if titles else "")
            self.say(f"🤖 → {self.names.get(int(sent.to), sent.to)} (WhatsApp)", text)
        self._wa_sent = len(self.world.wa.sent)

    async def whatsapp(self, wa_id: str, shown: str, send: Awaitable[int], *, expect: str) -> Any:
        """A WhatsApp citizen sends something (printed as `shown`); wait for `expect`."""
        since = len(self.world.wa.sent_to(wa_id))
        self.say(f"👤 {self.names[int(wa_id)]} (WhatsApp)", shown)
        await send
        for _ in range(int(WAIT / 0.05)):
            fresh = [m for m in self.world.wa.sent_to(wa_id)[since:] if expect in m.text]
            if fresh:
                self.flush()
                return fresh[0]
            await asyncio.sleep(0.05)
        raise TimeoutError(f"WhatsApp: no answer with {expect!r}")

    async def wa_tap(self, wa_id: str, message: Any, reply: str, *, expect: str) -> Any:
        """Tap the option of `message` whose reply id ends with `reply`; wait for `expect`."""
        offered = wa_options(message)
        rid = next(i for i in offered if i.endswith(reply))
        kind = "button_reply" if message.body["interactive"]["type"] == "button" else "list_reply"
        citizen = self.world.wa.citizen(wa_id, name=self.names[int(wa_id)])
        sent = citizen.tap(rid, offered[rid], kind=kind)
        return await self.whatsapp(wa_id, f"[{offered[rid]}]", sent, expect=expect)

    async def wait_text(self, chat: int, fragment: str, since: int) -> dict[str, Any]:
        """The first message to `chat` from index `since` on that contains `fragment`."""

        def found() -> dict[str, Any] | None:
            return next(
                (
                    m
                    for m in self.api.messages(chat)[since:]
                    if fragment in (m.get("text") or m.get("caption", ""))
                ),
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
        return await self.wait_text(chat, expect, since)

    async def tap(self, user: int, message: dict[str, Any], label: str, *, expect: str) -> Any:
        """`user` taps the button `label` under `message`; wait for `expect` (new or edited)."""
        chat = message["chat"]["id"]
        since = len(self.api.messages(chat))
        shown = self.current(message)
        full = next(
            (
                b["text"]
                for row in buttons_of(shown)
                for b in row
                if label.lower() in b["text"].lower()
            ),
            label,
        )
        self.say(f"👆 {self.names[user]}", f"[{full}]")
        await self.api.tap(self.current(message), label, user_id=user)
        await self.api.wait_until(
            lambda: (
                any(shows(m, expect) for m in self.api.messages(chat)[since:])
                or shows(self.current(message), expect)
            ),
            WAIT,
        )
        self.flush()
        fresh = [m for m in self.api.messages(chat)[since:] if shows(m, expect)]
        if fresh:
            return fresh[0]
        edited = self.current(message)
        lines = edited["text"].splitlines()
        status = next((ln for ln in lines if ln.startswith("Status")), lines[0] if lines else "")
        self.say(tx("report.demo.edited", chat=self.names.get(chat, str(chat))), status)
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
        # A row being sent carries its lease end in not_before, so it counts whatever that is.
        due = (col(OutboxMessage.status) == OutboxStatus.SENDING) | (
            (col(OutboxMessage.status) == OutboxStatus.PENDING)
            & (col(OutboxMessage.not_before) <= now)
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
        pu = Unit(code="dpupr", name=UNIT_NAME, telegram_chat_id=UNIT_CHAT)
        session.add(pu)
        session.add(Unit(code="dinkes", name="Dinas Kesehatan"))
        await session.flush()
        rina = Officer(name="Rina", role=Role.PPID_UTAMA)
        budi = Officer(name="Budi", role=Role.UNIT_OFFICER, unit_id=pu.id)
        session.add_all([rina, budi])
        await session.flush()
        for officer, user_id in ((rina, RINA), (budi, BUDI)):
            who = ChannelIdentity(Channel.TELEGRAM.value, str(user_id))
            await set_identity(session, officer, who.channel, who)
    story.names.update(
        {
            SITI: "Siti",
            DEWI: "Dewi",
            RINA: "Rina (PPID)",
            BUDI: "Budi (Dinas PU)",
            DESK_CHAT: tx("report.demo.desk_chat"),
            UNIT_CHAT: tx("report.demo.unit_chat"),
        }
    )
    story.say("🏛", tx("report.demo.setting"))


async def telegram_request(story: Story) -> None:
    """Siti files an information request in the Telegram chat, step by step."""
    menu = await story.type(SITI, "/start", expect=tx("tg.menu.prompt"))
    form = await story.tap(SITI, menu, tx("tg.menu.request"), expect=step(1))
    for n, text in enumerate(
        (
            "Siti Aminah",
            "3171014501900001",
            "Jl. Merdeka No. 1, Gambir, Jakarta Pusat",
            "siti@example.id",
            "Laporan realisasi anggaran dinas tahun 2025",
            "Penelitian skripsi",
        ),
        2,
    ):
        form = await story.type(SITI, text, expect=step(n))
    softcopy = tx("form.choice.obtain_method.salinan_softcopy")
    form = await story.tap(SITI, form, softcopy, expect=step(8))
    summary_start = tx("tg.summary.request", lines="").splitlines()[0]
    by_email = tx("form.choice.delivery_method.email")
    summary = await story.tap(SITI, form, by_email, expect=summary_start)
    await story.tap(SITI, summary, tx("tg.btn.submit"), expect=SITI_REQUEST)
    await story.settle()
    story.cards[SITI_REQUEST] = await story.wait_text(DESK_CHAT, SITI_REQUEST, 0)


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
        name="demo",
        host="",
        port=0,
        security="none",
        username="",
        password="",
        folder="INBOX",
        processed_folder="",
        case_kind=CaseKind.INFORMATION_REQUEST,
    )
    raw = request_email()
    story.say(f"📨 {ANDI_MAIL}", tx("report.demo.mail_in", size=len(raw)))
    fetched = FetchedMail(uid=1, raw=raw, internaldate=world.clock.now())
    incoming = build_incoming(fetched, MailLocation("demo", 1, 1), config, world.clock.now())
    outcome = await ingestor_for(world.services).ingest(incoming)
    story.say("📥 intake", f"{outcome.disposition.value}: {outcome.case_reference or '-'}")
    await story.settle()
    story.cards[ANDI_REQUEST] = await story.wait_text(DESK_CHAT, ANDI_REQUEST, 0)


async def officer_reply(story: Story) -> None:
    """Rina answers Siti from the PPID group chat."""
    await story.move_to(at(2, 10), tick=False)
    text = f"/balas {SITI_REQUEST} Terima kasih Bu Siti, dokumen sedang kami himpun."
    await story.type(RINA, text, chat=DESK_CHAT, expect=SITI_REQUEST)
    await story.settle()


async def complaint(story: Story) -> None:
    """Dewi files a complaint; Rina disposes it to Dinas PU, where Budi follows it up."""
    await story.move_to(at(2, 11), tick=False)
    menu = await story.type(DEWI, "/start", expect=tx("tg.menu.prompt"))
    form = await story.tap(DEWI, menu, tx("tg.menu.complaint"), expect=step(1))
    what = "Jalan berlubang besar di depan Pasar Inpres, membahayakan pengendara motor."
    form = await story.type(DEWI, what, expect=step(2))
    kind = tx("form.choice.classification.pengaduan")
    form = await story.tap(DEWI, form, kind, expect=step(3))
    form = await story.type(DEWI, "Jalan", expect=step(4))
    form = await story.type(DEWI, "Jl. Pasar Inpres, Kecamatan Kota Lama", expect=step(5))
    form = await story.tap(DEWI, form, tx("form.choice.incident_date.today"), expect=step(6))
    form = await story.tap(DEWI, form, tx("tg.btn.skip"), expect=step(7))
    form = await story.tap(DEWI, form, tx("form.choice.anonymous.no"), expect=step(8))
    summary_start = tx("tg.summary.complaint", lines="").splitlines()[0]
    no = tx("form.choice.confidential.no")
    summary = await story.tap(DEWI, form, no, expect=summary_start)
    await story.tap(DEWI, summary, tx("tg.btn.submit"), expect=COMPLAINT)
    await story.settle()
    card = await story.wait_text(DESK_CHAT, COMPLAINT, 0)
    units = await story.tap(RINA, card, tx("tg.desk.btn.dispose"), expect=UNIT_NAME)
    disposed = tx("desk.status.complaint.disposed")
    await story.tap(RINA, units, UNIT_NAME, expect=disposed)
    await story.settle()
    story.cards[COMPLAINT] = await story.wait_text(UNIT_CHAT, COMPLAINT, 0)


async def followup(story: Story) -> None:
    """Two days later Budi posts the unit's follow-up from the Dinas PU group."""
    await story.move_to(at(4, 14))
    ask = tx("tg.desk.ask.text", reference=COMPLAINT)
    await story.tap(BUDI, story.cards[COMPLAINT], tx("tg.desk.btn.post_followup"), expect=ask)
    text = "Lubang sudah ditambal tim UPT Jalan pada 4 Februari 2026. Terima kasih laporannya."
    await story.type(BUDI, text, chat=UNIT_CHAT, expect=COMPLAINT)
    await story.settle()


async def extension(story: Story) -> None:
    """Rina extends Siti's request once, with a written reason (UU KIP Pasal 22(8))."""
    await story.move_to(at(4, 15))
    ask = tx("tg.desk.ask.reason", reference=SITI_REQUEST)
    await story.tap(RINA, story.cards[SITI_REQUEST], tx("tg.desk.btn.extend"), expect=ask)
    reason = "Dokumen perlu dihimpun dari tiga bidang."
    await story.type(RINA, reason, chat=DESK_CHAT, expect=SITI_REQUEST)
    await story.settle()


async def days_pass(story: Story) -> None:
    """The days pass: reminders before the deadline, Andi's decision, the auto-close."""
    day = dt.date(2026, 2, 5)
    while day <= dt.date(2026, 2, 20):
        story.heading = tx("report.demo.tick", day=day.isoformat())
        await story.move_to(dt.datetime.combine(day, dt.time(9), tzinfo=WIB))
        if day == dt.date(2026, 2, 13):
            await story.move_to(at(13, 10), tick=False)
            text = f"/putus {ANDI_REQUEST} diberikan terlampir"
            await story.type(RINA, text, chat=DESK_CHAT, expect=ANDI_REQUEST)
            await story.settle()
        day += dt.timedelta(days=1)


async def decision(story: Story) -> None:
    """Rina decides Siti's request: granted in full."""
    await story.move_to(at(23, 10))
    granted = tx("tg.desk.decision.granted_full")
    card = story.cards[SITI_REQUEST]
    choices = await story.tap(RINA, card, tx("tg.desk.btn.decide"), expect=granted)
    ask = tx("letters.ask.terms", reference=SITI_REQUEST)
    await story.tap(RINA, choices, granted, expect=ask)
    # The written notice says when the information is provided; form, delivery and fee stay
    # as Siti asked (issue 14).
    done = tx("tg.desk.done_step", reference=SITI_REQUEST)
    await story.type(RINA, "Terlampir bersama pemberitahuan ini.", chat=DESK_CHAT, expect=done)
    await story.settle()


async def survey(story: Story) -> None:
    """Dewi answers the satisfaction survey the closure brought, one tap per element."""
    question = await story.wait_text(DEWI, f"· 1/{len(SURVEY_ELEMENTS)}", 0)
    scores = (4, 4, 3, 4, 3, 4, 4, 3, 4)
    thanks = tx("tg.survey.thanks", reference=COMPLAINT)
    for n, score in enumerate(scores, 1):
        following = f"· {n + 1}/{len(scores)}" if n < len(scores) else thanks
        question = await story.tap(DEWI, question, f"{score} · ", expect=following)
    async with story.world.services.db.session() as session:
        rules = await load_rules(session, story.world.services.settings)
        ikm = (await survey_document(session, rules, 2026)).data
    story.say(
        "📊 IKM", tx("report.demo.ikm", ikm=ikm["ikm"], grade=ikm["grade"], n=ikm["respondents"])
    )


def wa_options(sent: Any) -> dict[str, str]:
    """The reply ids and titles of a WhatsApp message's buttons or list rows."""
    if sent.type != "interactive":
        return {}
    action = sent.body["interactive"]["action"]
    if "buttons" in action:
        return {b["reply"]["id"]: b["reply"]["title"] for b in action["buttons"]}
    return {r["id"]: r["title"] for sec in action["sections"] for r in sec["rows"]}


async def whatsapp_request(story: Story) -> None:
    """Rudi files a complete request on WhatsApp, tapping the bot's buttons and lists, and has
    its number at once."""
    story.names[int(RUDI_WA)] = "Rudi"
    rudi = story.world.wa.citizen(RUDI_WA, name="Rudi")
    menu = await story.whatsapp(RUDI_WA, "Halo", rudi.text("Halo"), expect=tx("tg.menu.prompt"))
    await story.wa_tap(RUDI_WA, menu, "m:request", expect=tx("form.ask.name"))
    answers = (
        ("Rudi Hartono", "identity"),
        ("3273012304880002", "address"),
        ("Jl. Asia Afrika No. 8, Bandung", "contact"),
        ("0813 5550 0001", "information_requested"),
        ("Daftar penerima bantuan sosial Kelurahan Braga tahun 2025", "purpose"),
        ("Pengawasan warga", "obtain_method"),
    )
    for text, following in answers:
        q = await story.whatsapp(RUDI_WA, text, rudi.text(text), expect=tx(f"form.ask.{following}"))
    q = await story.wa_tap(RUDI_WA, q, ":salinan_softcopy", expect=tx("form.ask.delivery_method"))
    summary_start = tx("whatsapp.summary.request", lines="").splitlines()[0]
    summary = await story.wa_tap(RUDI_WA, q, ":ambil_langsung", expect=summary_start)
    await story.wa_tap(RUDI_WA, summary, "ok", expect=RUDI_REQUEST)
    await story.settle()


Step = tuple[str, Callable[[Story], Awaitable[None]]]
# (catalogue key of the title, step), in the order they are played
STEPS: tuple[Step, ...] = (
    ("report.demo.step.setup", setup_body),
    ("report.demo.step.telegram", telegram_request),
    ("report.demo.step.email", email_request),
    ("report.demo.step.reply", officer_reply),
    ("report.demo.step.complaint", complaint),
    ("report.demo.step.followup", followup),
    ("report.demo.step.extension", extension),
    ("report.demo.step.days", days_pass),
    ("report.demo.step.decision", decision),
    ("report.demo.step.survey", survey),
    ("report.demo.step.whatsapp", whatsapp_request),
)
