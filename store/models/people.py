"""Units, officers, requesters and the ways to reach requesters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.enums import Role
from store.models._base import QuickInit, utcnow


class Unit(QuickInit, SQLModel, table=True):
    """A perangkat daerah / PPID Pelaksana that cases are disposed to."""

    __tablename__ = "units"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(unique=True, max_length=255)
    telegram_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    email: str | None = Field(default=None, max_length=255)
    is_inspectorate: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow)

    @property
    def officers_chat_id(self) -> int | None:
        """The unit's officers' group chat (on store.enums.OFFICERS_CHAT_CHANNEL), if set."""
        return self.telegram_chat_id


class Officer(QuickInit, SQLModel, table=True):
    """A civil servant who works cases; only registered officers may see or act on cases.

    One person may hold several roles (e.g. the PPID Pelaksana of a unit who is also the Atasan
    PPID): `role` is the first of them in `Role` order, `extra_roles` the others; `roles` is
    the whole set, which is what authorization and recipients by role read.

    Who the officer is on each channel is in `OfficerIdentity`; `telegram_user_id` is a copy
    of their Telegram identity (MIRRORED_IDENTITIES), kept by `bot.desk.identities` (its only
    writer) for the outbound recipient lookup, which still reads it.
    """

    __tablename__ = "officers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=255)
    role: str = Field(max_length=32, index=True)
    extra_roles: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, default=list, server_default="[]"),
    )
    telegram_user_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, unique=True, nullable=True)
    )
    email: str | None = Field(default=None, max_length=255)
    phone: str | None = Field(default=None, max_length=32)
    position: str | None = Field(default=None, max_length=255)
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    active: bool = True
    language: str = Field(default="id", max_length=8)
    created_at: dt.datetime = Field(default_factory=utcnow)

    @property
    def roles(self) -> frozenset[Role]:
        """Every role this officer holds."""
        return frozenset(Role(r) for r in (self.role, *(self.extra_roles or ())))

    def set_roles(self, roles: Iterable[Role]) -> None:
        """Hold exactly `roles` (at least one): the first in `Role` order becomes `role`."""
        ordered = [r for r in Role if r in set(roles)]
        if not ordered:
            raise ValueError("an officer holds at least one role")
        self.role, self.extra_roles = ordered[0].value, [r.value for r in ordered[1:]]

    @property
    def private_chat_id(self) -> int | None:
        """The officer's private chat (on store.enums.OFFICERS_CHAT_CHANNEL), if known."""
        return self.telegram_user_id


# Identities also copied onto an officer column (channel -> column of whole numbers), for the
# code that still reads the column: bot.notify.recipients reaches an officer at
# `telegram_user_id`. bot.desk.identities.set_identity keeps the copy.
MIRRORED_IDENTITIES = {"telegram": "telegram_user_id"}


class OfficerIdentity(QuickInit, SQLModel, table=True):
    """Who an officer is on one channel (a Telegram user id, a WhatsApp number, a web login):
    the desk finds the officer acting by (channel, external id). One per channel and officer.
    """

    __tablename__ = "officer_identities"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_officer_identity"),
        UniqueConstraint("officer_id", "channel", name="uq_officer_identity_channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    officer_id: int = Field(foreign_key="officers.id", index=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=320)
    created_at: dt.datetime = Field(default_factory=utcnow)


class Requester(QuickInit, SQLModel, table=True):
    """A citizen or legal entity (pemohon / pelapor); its personal data is masked in outputs."""

    __tablename__ = "requesters"

    id: int | None = Field(default=None, primary_key=True)
    name: str | None = Field(default=None, max_length=255)
    nik: str | None = Field(default=None, max_length=16)
    entity_sk_number: str | None = Field(default=None, max_length=128)
    address: str | None = None
    occupation: str | None = Field(default=None, max_length=255)
    language: str = Field(default="id", max_length=8)
    created_at: dt.datetime = Field(default_factory=utcnow)


class Contact(QuickInit, SQLModel, table=True):
    """One way to reach a requester: a Telegram chat, an email address or a phone number."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_contact_kind_value"),)

    id: int | None = Field(default=None, primary_key=True)
    requester_id: int = Field(foreign_key="requesters.id", index=True)
    kind: str = Field(max_length=16)
    value: str = Field(max_length=320)
    failing: bool = False
    failing_reason: str | None = None
    failing_since: dt.datetime | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)
