"""Who an officer is on each channel: the desk finds the officer acting by (channel, external id).

A channel adapter names the person writing as a `ChannelIdentity` (its channel and the id the
transport gives them: a chat user id, a WhatsApp number, a web login) and the desk looks the
officer up by it, so every channel acts through the same steps and the same authorization.
An officer has at most one identity per channel, and an identity belongs to one officer. The
adapter (or the operator's command, app.cli.identities) gives the id in its channel's form.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import MIRRORED_IDENTITIES, Officer, OfficerIdentity


@dataclass(frozen=True)
class ChannelIdentity:
    """One person on one channel, as that channel's adapter names them."""

    channel: str
    external_id: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"


async def officer_by_identity(session: AsyncSession, who: ChannelIdentity) -> Officer | None:
    """The officer registered with this identity, if any (active or not: the caller decides)."""
    stmt = (
        select(Officer)
        .join(OfficerIdentity, col(OfficerIdentity.officer_id) == col(Officer.id))
        .where(OfficerIdentity.channel == who.channel)
        .where(OfficerIdentity.external_id == who.external_id)
    )
    return (await session.exec(stmt)).first()


async def identities_of(session: AsyncSession, officer_id: int | None) -> list[ChannelIdentity]:
    """Every identity of an officer, oldest first."""
    if officer_id is None:
        return []
    stmt = (
        select(OfficerIdentity)
        .where(OfficerIdentity.officer_id == officer_id)
        .order_by(col(OfficerIdentity.id))
    )
    return [ChannelIdentity(r.channel, r.external_id) for r in (await session.exec(stmt)).all()]


async def set_identity(
    session: AsyncSession, officer: Officer, channel: str, who: ChannelIdentity | None
) -> bool:
    """Make `who` the officer's one identity on `channel` (None: they have none there any
    more); True when that changed anything. The officer must be flushed (have an id)."""
    assert officer.id is not None, "flush the officer first"
    stmt = select(OfficerIdentity).where(
        OfficerIdentity.officer_id == officer.id, OfficerIdentity.channel == channel
    )
    current = (await session.exec(stmt)).first()
    if who is not None and current is not None and current.external_id == who.external_id:
        return False
    if who is None and current is None:
        return False
    if current is not None:
        await session.delete(current)
        await session.flush()  # the old row goes before a new one takes its place
    if who is not None:
        row = OfficerIdentity(officer_id=officer.id, channel=channel, external_id=who.external_id)
        session.add(row)
    if channel in MIRRORED_IDENTITIES:  # a copy on the officer, for the code still reading it
        setattr(officer, MIRRORED_IDENTITIES[channel], int(who.external_id) if who else None)
        session.add(officer)
    await session.flush()
    return True


async def drop_identities(session: AsyncSession, officer: Officer) -> None:
    """Free every identity of a deactivated officer: the person may be registered again."""
    for who in await identities_of(session, officer.id):
        await set_identity(session, officer, who.channel, None)
