"""The officers' desk: every step an officer takes on a case, authorized, audited, one place.

A channel names the officer by their identity on it (`ChannelIdentity`: channel and external
id, see bot.desk.identities) and calls these methods. Each runs in one transaction: find the
officer and the case, check `bot.desk.authz` (a refusal is audited, committed, then raised as
PermissionDenied), apply the workflow step. Errors the officer can
fix are DomainErrors with a catalogue key; nothing changes when one is raised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.attachments import FileData, attach_every_file
from bot.cases.audit import officer_actor, record_event
from bot.cases.opening import get_case, missing_fields
from bot.cases.walk_in import register_walk_in
from bot.desk import authz
from bot.desk.identities import ChannelIdentity, officer_by_identity
from bot.desk.steps import DISPUTE_CODES, STEPS, dispute_codes
from bot.errors import DomainError, NotFoundError
from bot.i18n import t
from bot.intake.requesters import contacts_of
from bot.letters.render import IssuedLetter, issue_letter, letter_pdf
from bot.notify.officer_cards import OfficerChat, card_actions, card_text, officer_chat
from bot.notify.outbox import notify
from bot.notify.purposes import Purpose
from bot.notify.recipients import requester_recipient
from bot.notify.send_windows import next_requester_time
from bot.services import Services
from bot.workflow.rules import Rules, load_rules
from store.enums import CLOSED_STATUSES, CaseKind, Channel, Direction, Role
from store.models import Attachment, Case, Message, Officer, Requester, Unit

T = TypeVar("T")
Work = Callable[[AsyncSession, Officer, Case | None, Rules, dt.datetime], Awaitable[T]]
LIST_LIMIT = 30


@dataclass(frozen=True)
class Card:
    """A case as an officer sees it in one chat: masked text and the buttons they may press."""

    case_id: int
    reference: str
    text: str
    actions: list[str]
    language: str


@dataclass(frozen=True)
class ReplyPreview:
    """What a reply would look like to the requester, and where it would go."""

    case_id: int
    reference: str
    channel: str
    body: str


@dataclass(frozen=True)
class Revealed:
    """Unmasked requester data and the case's files, for one officer's private chat."""

    text: str
    files: list[Attachment]


class Desk:
    """Officer actions on cases, for any channel that can identify its officers."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def _guard(
        self, who: ChannelIdentity, action: str, case_ref: int | str | None, work: Work[T]
    ) -> T:
        now = self.services.clock.now()
        async with self.services.db.transaction() as session:
            officer = await officer_by_identity(session, who)
            # A stranger learns nothing, not even whether the case exists.
            known = officer is not None and officer.active
            case = await self._case(session, case_ref) if known else None
            denied = await authz.refusal(session, officer, action, case, now=now, who=str(who))
            if denied is None:
                assert officer is not None
                rules = await load_rules(session, self.services.settings)
                return await work(session, officer, case, rules, now)
        raise denied

    async def _case(self, session: AsyncSession, ref: int | str | None) -> Case | None:
        if ref is None:
            return None
        if isinstance(ref, int):
            case = await session.get(Case, ref)
            if case is None:
                raise NotFoundError("cases.not_found", reference=str(ref))
            return case
        return await get_case(session, ref)

    async def officer(self, who: ChannelIdentity) -> Officer | None:
        """The registered officer behind an identity (None for anyone else)."""
        async with self.services.db.session() as session:
            return await officer_by_identity(session, who)

    async def require(self, who: ChannelIdentity, action: str, case_ref: int | str | None) -> None:
        """Check (and audit a refusal of) `action` before asking the officer for its details."""

        async def work(*_: Any) -> None:
            return None

        await self._guard(who, action, case_ref, work)

    async def card(self, who: ChannelIdentity, case_ref: int | str, chat_id: int) -> Card:
        """The case's card for `chat_id`: a group shows what its readers may do, a private
        chat what this officer may do.
        """

        async def work(s: AsyncSession, officer: Officer, case: Case | None, rules: Rules, now):
            assert case is not None
            # domain.md §7: the audit log says who saw a case, not only who changed it.
            await record_event(
                s,
                case_id=case.id,
                actor=officer_actor(officer),
                action="case_viewed",
                at=now,
                data={"via": who.channel, "chat_id": chat_id},
            )
            return await self._card(s, case, officer, who, chat_id, rules)

        return await self._guard(who, authz.VIEW, case_ref, work)

    async def _card(
        self,
        session: AsyncSession,
        case: Case,
        officer: Officer,
        who: ChannelIdentity,
        chat_id: int,
        rules: Rules,
    ) -> Card:
        chat = await officer_chat(session, case, rules.settings)
        # A group reads the body's language; a private chat (the officer's own: its id is
        # theirs on the channel) the officer's.
        private = str(chat_id) == who.external_id
        language = officer.language if private else rules.settings.language
        if chat is not None and chat.chat_id == chat_id:
            actions = _audience_actions(case, chat, officer)
        else:
            actions = card_actions(case, lambda a: authz.permitted(officer, a, case))
        text = await card_text(session, case, language)
        return Card(case.id, case.reference, text, actions, language)  # type: ignore[arg-type]

    async def act(
        self, who: ChannelIdentity, case_id: int | str, action: str, chat_id: int, **params: Any
    ) -> Card:
        """Do one workflow step (claim, dispose, extend, decide, ...) and return the new card."""
        step = STEPS.get(action)
        if step is None:
            raise DomainError("desk.unknown_action", action=action)

        async def work(s: AsyncSession, officer: Officer, case: Case | None, rules: Rules, now):
            assert case is not None
            await step(s, case, officer, rules, now, params)
            return await self._card(s, case, officer, who, chat_id, rules)

        return await self._guard(who, action, case_id, work)

    async def dispute_steps(self, who: ChannelIdentity, case_id: int) -> list[str]:
        """The codes of the Komisi Informasi and court steps this officer can record now."""

        async def work(s: AsyncSession, officer: Officer, case: Case | None, rules: Rules, now):
            assert case is not None
            return [
                code
                for code in dispute_codes(case)
                if authz.permitted(officer, DISPUTE_CODES[code][0], case)
            ]

        return await self._guard(who, authz.DISPUTE, case_id, work)

    async def ask_to_complete(self, who: ChannelIdentity, case_id: int) -> list[str]:
        """Ask the requester for the missing fields of an incomplete request; return them."""

        async def work(s: AsyncSession, officer: Officer, case: Case | None, rules: Rules, now):
            assert case is not None
            missing = await missing_fields(s, case)
            if not missing:
                raise DomainError("desk.nothing_missing", reference=case.reference)
            lang = case.language
            fields = "\n".join(f"- {t(f'field.{m}', lang)}" for m in missing)
            body = t("desk.ask_complete", lang, reference=case.reference, fields=fields)
            await self._send_to_requester(
                s, case, officer, body, [], f"ask:{now.timestamp()}", rules, now
            )
            return missing

        return await self._guard(who, authz.ASK_COMPLETE, case_id, work)

    async def reply(
        self,
        who: ChannelIdentity,
        case_ref: int | str,
        text: str,
        files: list[FileData],
        external_id: str,
    ) -> str:
        """Send an officer's answer (text and files) to the requester on their channel.

        Logged as an outbound message on the case and queued in the outbox; `external_id`
        (the officer's chat message) makes a repeat of the same reply a no-op. Returns the
        case reference.
        """
        if not text.strip() and not files:
            raise DomainError("desk.reply_empty")

        async def work(s: AsyncSession, officer: Officer, case: Case | None, rules: Rules, now):
            assert case is not None
            await self._send_to_requester(
                s, case, officer, text.strip(), files, external_id, rules, now
            )
            return case.reference

        return await self._guard(who, authz.REPLY, case_ref, work)

    async def reply_preview(
        self, who: ChannelIdentity, case_ref: int | str, text: str, *, files: int = 0
    ) -> ReplyPreview:
        """The message the requester would receive for `text`, in their language, before the
        officer confirms it; nothing is sent or stored (issue 14: no reply leaves unseen)."""
        if not text.strip() and not files:
            raise DomainError("desk.reply_empty")

        async def work(s: AsyncSession, officer: Officer, case: Case | None, rules: Rules, now):
            assert case is not None
            recipient = await requester_recipient(s, case)
            if recipient is None:
                raise DomainError("desk.no_contact", reference=case.reference)
            lang = recipient.language
            body = t("desk.reply_body", lang, reference=case.reference, text=text.strip() or "-")
            return ReplyPreview(case.id, case.reference, recipient.channel, body.strip())

        return await self._guard(who, authz.REPLY, case_ref, work)

    async def note(
        self, who: ChannelIdentity, case_ref: int | str, text: str, files: list[FileData], via: str
    ) -> str:
        """Keep an officer's remark (and files) on the case as an internal note that never
        reaches the requester; returns the case reference."""
        if not text.strip() and not files:
            raise DomainError("desk.reply_empty")

        async def work(s: AsyncSession, officer: Officer, case: Case | None, rules: Rules, now):
            assert case is not None
            attach_every_file(s, self.services.blobs, files, case_id=case.id)
            await record_event(
                s,
                case_id=case.id,
                actor=officer_actor(officer),
                action="internal_note",
                at=now,
                data={"text": text.strip(), "files": len(files), "via": via},
            )
            return case.reference

        return await self._guard(who, authz.REPLY, case_ref, work)

    async def _send_to_requester(
        self,
        session: AsyncSession,
        case: Case,
        officer: Officer,
        text: str,
        files: list[FileData],
        external_id: str,
        rules: Rules,
        now: dt.datetime,
    ) -> None:
        recipient = await requester_recipient(session, case)
        if recipient is None:
            raise DomainError("desk.no_contact", reference=case.reference)
        ext = f"desk:{external_id}"
        seen = select(Message).where(
            Message.channel == recipient.channel, Message.external_id == ext
        )
        if (await session.exec(seen)).first() is not None:
            return
        message = Message(
            case_id=case.id,
            direction=Direction.OUTBOUND.value,
            channel=recipient.channel,
            external_id=ext,
            officer_id=officer.id,
            sender_name=officer.name,
            text=text,
            created_at=now,
        )
        session.add(message)
        await session.flush()
        digests = attach_every_file(
            session, self.services.blobs, files, case_id=case.id, message_id=message.id
        )
        lang = recipient.language
        await notify(
            session,
            purpose=Purpose.OFFICER_REPLY,
            recipient=recipient,
            key="desk.reply_body",
            params={"reference": case.reference, "text": text or "-"},
            subject=t("desk.reply_subject", lang, reference=case.reference),
            case=case,
            files=digests,
            automatic=False,  # an officer's own words (RFC 3834: not auto-submitted)
            dedup_key=f"reply:{recipient.channel}:{ext}",
            now=now,
            # An officer working late does not wake the citizen (domain.md §1 quiet hours).
            not_before=next_requester_time(now, rules),
        )
        await record_event(
            session,
            case_id=case.id,
            actor=officer_actor(officer),
            action="officer_replied",
            at=now,
            data={"channel": recipient.channel, "files": len(files)},
        )

    async def reveal(self, who: ChannelIdentity, case_id: int) -> Revealed:
        """The requester's personal data unmasked, and the case's files; audited."""

        async def work(s: AsyncSession, officer: Officer, case: Case | None, rules: Rules, now):
            assert case is not None
            requester = await s.get(Requester, case.requester_id) if case.requester_id else None
            contacts = await contacts_of(s, requester.id) if requester and requester.id else []
            files = (await s.exec(select(Attachment).where(Attachment.case_id == case.id))).all()
            await record_event(
                s,
                case_id=case.id,
                actor=officer_actor(officer),
                action="personal_data_revealed",
                at=now,
                data={"via": who.channel},
            )
            lang = officer.language
            text = t(
                "desk.reveal",
                lang,
                reference=case.reference,
                name=(requester.name if requester else None) or "-",
                identity=(requester.nik or requester.entity_sk_number if requester else None)
                or "-",
                address=(requester.address if requester else None) or "-",
                occupation=(requester.occupation if requester else None) or "-",
                contacts=", ".join(f"{c.kind}: {c.value}" for c in contacts) or "-",
                acting_for=case.acting_for or "-",
                location=case.location or "-",
            )
            return Revealed(text, list(files))

        return await self._guard(who, authz.REVEAL, case_id, work)

    async def letter(
        self, who: ChannelIdentity, case_id: int, kind: str
    ) -> tuple[IssuedLetter, bytes]:
        """A case's letter and its PDF, for the officer to print and hand over. A letter shows
        the requester's name, address and contact, so it needs the right to see those, and it
        is audited like a reveal."""

        async def work(s: AsyncSession, officer: Officer, case: Case | None, rules: Rules, now):
            assert case is not None
            letter = await issue_letter(s, case, kind, rules.settings)
            await record_event(
                s,
                case_id=case.id,
                actor=officer_actor(officer),
                action="letter_printed",
                at=now,
                data={"kind": letter.kind, "number": letter.number, "via": who.channel},
            )
            return letter

        letter = await self._guard(who, authz.REVEAL, case_id, work)
        return letter, await letter_pdf(letter)

    async def open_cases(self, who: ChannelIdentity) -> list[Case]:
        """Open cases an officer works, soonest due first: their unit's, or all for the desk."""

        async def work(s: AsyncSession, officer: Officer, _c: Case | None, rules: Rules, now):
            stmt = select(Case).where(col(Case.status).not_in(list(CLOSED_STATUSES)))
            if not officer.roles & (authz.DESK_ROLES | {Role.ATASAN}):
                stmt = stmt.where(Case.unit_id == officer.unit_id)
            stmt = stmt.order_by(col(Case.due_date), col(Case.id)).limit(LIST_LIMIT)
            return list((await s.exec(stmt)).all())

        return await self._guard(who, authz.VIEW, None, work)

    async def register(
        self,
        who: ChannelIdentity,
        kind: CaseKind,
        channel: Channel,
        details: dict[str, Any],
        files: list[FileData],
    ) -> Case:
        """Register a request or complaint received at the desk, by letter, phone or WhatsApp,
        with the files that came with it."""

        async def work(s: AsyncSession, officer: Officer, _c: Case | None, rules: Rules, now):
            return await register_walk_in(
                s,
                self.services.blobs,
                kind=kind,
                channel=channel,
                details=details,
                received_at=now,
                rules=rules,
                actor=officer_actor(officer),
                now=now,
                files=files,
            )

        return await self._guard(who, authz.REGISTER, None, work)

    async def units(self) -> list[Unit]:
        """Every unit, by name (the targets of a disposal)."""
        async with self.services.db.session() as session:
            return list((await session.exec(select(Unit).order_by(col(Unit.name)))).all())


def _audience_actions(case: Case, chat: OfficerChat, officer: Officer) -> list[str]:
    return card_actions(
        case,
        lambda a: (
            authz.permitted_for_audience(chat.roles, chat.unit_id, a, case)
            or authz.permitted(officer, a, case)
        ),
    )
