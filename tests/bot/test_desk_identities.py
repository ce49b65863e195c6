"""The desk is identity-neutral: an officer is found by (channel, external id), so a WhatsApp or
web identity acts through the same steps and the same authorization as a Telegram one."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from app.cli.identities import channel_identity
from bot.cases.audit import officer_actor
from bot.desk.actions import Desk
from bot.desk.identities import (
    ChannelIdentity,
    identities_of,
    officer_by_identity,
    set_identity,
)
from bot.errors import DomainError, PermissionDenied
from bot.services import Services
from store.enums import CaseKind, Channel, Role
from store.models import Event, Officer, OfficerIdentity
from tests.support.builders import COMPLETE_REQUEST, make_case, make_officer

WA_RINA = ChannelIdentity("whatsapp", "6281234567890")
TG_RINA = ChannelIdentity("telegram", "111")


@pytest.mark.parametrize(
    ("channel", "raw", "expected"),
    [
        ("telegram", " 0042 ", "42"),
        ("Telegram", "9223372036854775807", "9223372036854775807"),
        # The Cloud API's wa_id: international digits, whatever way the operator types it.
        ("whatsapp", "0812-3456-7890", "6281234567890"),
        ("whatsapp", "+62 812 3456 7890", "6281234567890"),
        ("email", "Rina@Pemda.GO.id", "rina@pemda.go.id"),
        ("web", "rina.wati", "rina.wati"),
    ],
)
def test_an_identity_is_stored_as_its_channel_reports_it(
    channel: str, raw: str, expected: str
) -> None:
    assert channel_identity(channel, raw) == ChannelIdentity(channel.lower(), expected)


@pytest.mark.parametrize(
    ("channel", "raw", "key"),
    [
        ("telegram", "-100123", "cli.bad_telegram_id"),  # a group chat, not a person
        ("telegram", "9223372036854775808", "cli.bad_telegram_id"),
        ("whatsapp", "12", "validation.phone"),
        ("email", "not-an-email", "validation.email"),
        ("web", "rina wati", "desk_identity.bad_web_id"),
        ("surat", "1", "desk_identity.unknown_channel"),  # a letter names no one
    ],
)
def test_a_malformed_identity_is_refused(channel: str, raw: str, key: str) -> None:
    with pytest.raises(DomainError) as refused:
        channel_identity(channel, raw)
    assert refused.value.key == key


async def _officer_on(services: Services, role: Role, *who: ChannelIdentity) -> Officer:
    officer = await make_officer(services, role)
    async with services.db.transaction() as session:
        stored = await session.get(Officer, officer.id)
        assert stored is not None
        for identity in who:
            assert await set_identity(session, stored, identity.channel, identity)
        return stored


async def test_one_officer_acts_from_whatsapp_and_telegram_alike(services: Services) -> None:
    rina = await _officer_on(services, Role.PPID_UTAMA, WA_RINA, TG_RINA)
    desk = Desk(services)
    case = await desk.register(
        WA_RINA, CaseKind.INFORMATION_REQUEST, Channel.BUKU_TAMU, dict(COMPLETE_REQUEST), []
    )
    assert [c.reference for c in await desk.open_cases(TG_RINA)] == [case.reference]
    # Her WhatsApp chat is her private chat: the card speaks her language and offers her steps.
    card = await desk.card(WA_RINA, case.reference, int(WA_RINA.external_id))
    assert card.reference == case.reference and "dispose" in card.actions
    assert (await desk.officer(WA_RINA), await desk.officer(TG_RINA)) == (rina, rina)
    async with services.db.session() as session:
        stmt = select(Event).where(col(Event.case_id) == case.id).order_by(col(Event.id))
        events = list((await session.exec(stmt)).all())
    assert {e.actor for e in events if e.action in ("registered", "case_viewed")} == {
        officer_actor(rina)
    }
    (viewed,) = [e for e in events if e.action == "case_viewed"]
    assert viewed.data["via"] == "whatsapp"


async def test_the_same_authorization_holds_on_every_channel(services: Services) -> None:
    unit_officer = ChannelIdentity("web", "budi")
    await _officer_on(services, Role.UNIT_OFFICER, unit_officer)
    stranger = ChannelIdentity("whatsapp", "6289999999999")
    case = await make_case(services)
    desk = Desk(services)
    with pytest.raises(PermissionDenied) as not_theirs:
        await desk.act(unit_officer, case.id, "dispose", 0, unit_id=1)
    assert not_theirs.value.key == "desk.not_permitted"
    with pytest.raises(PermissionDenied) as unknown:
        await desk.card(stranger, case.reference, 0)
    assert unknown.value.key == "desk.not_an_officer"
    # The same Telegram id is no one on WhatsApp: an identity is the pair, not the number.
    await _officer_on(services, Role.ADMIN, ChannelIdentity("telegram", "6289999999999"))
    with pytest.raises(PermissionDenied):
        await desk.open_cases(stranger)
    async with services.db.session() as session:
        stmt = select(Event).where(Event.action == "permission_denied").order_by(col(Event.id))
        actors = [e.actor for e in (await session.exec(stmt)).all()]
    assert actors[0].startswith("officer:")  # the unit officer, on the web
    assert actors[1:] == ["whatsapp:6289999999999", "whatsapp:6289999999999"]


async def test_an_identity_belongs_to_one_officer_and_mirrors_telegram(services: Services) -> None:
    rina = await _officer_on(services, Role.ADMIN, TG_RINA, WA_RINA)
    assert rina.telegram_user_id == 111  # read by the outbound recipient lookup
    async with services.db.transaction() as session:
        stored = await session.get(Officer, rina.id)
        assert stored is not None
        new_id = ChannelIdentity("telegram", "222")
        assert await set_identity(session, stored, "telegram", new_id)
        assert not await set_identity(session, stored, "telegram", new_id)  # nothing to change
        assert stored.telegram_user_id == 222
        assert await officer_by_identity(session, TG_RINA) is None
        assert await identities_of(session, stored.id) == [WA_RINA, new_id]
        assert await set_identity(session, stored, "telegram", None)
        assert stored.telegram_user_id is None
        rows = (await session.exec(select(OfficerIdentity))).all()
        assert [(r.channel, r.external_id) for r in rows] == [("whatsapp", "6281234567890")]
