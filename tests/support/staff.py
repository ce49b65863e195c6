"""A body's staff for scheduler tests: a unit with a group chat, its officer, the PPID Utama,
the Atasan PPID and an admin, each reachable on Telegram.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services import Services
from store.enums import Role
from store.models import Unit
from tests.support.builders import make_officer, make_unit


@dataclass(frozen=True)
class Staff:
    """Ids of the unit and the assigned officer, and everyone's Telegram chat id."""

    unit_id: int
    officer_id: int
    unit_chat: int = -1001
    officer: int = 501
    utama: int = 601
    atasan: int = 701
    admin: int = 801


async def make_staff(services: Services) -> Staff:
    """Create the unit and the four officers."""
    staff = Staff(unit_id=0, officer_id=0)
    unit = await make_unit(services)
    async with services.db.transaction() as session:
        stored = await session.get(Unit, unit.id)
        assert stored is not None
        stored.telegram_chat_id = staff.unit_chat
    officer = await make_officer(services, Role.PPID_PELAKSANA, unit.id, staff.officer)
    await make_officer(services, Role.PPID_UTAMA, telegram_user_id=staff.utama)
    await make_officer(services, Role.ATASAN, telegram_user_id=staff.atasan)
    await make_officer(services, Role.ADMIN, telegram_user_id=staff.admin)
    assert unit.id is not None and officer.id is not None
    return Staff(unit_id=unit.id, officer_id=officer.id)
