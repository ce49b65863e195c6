"""Registering a case for a citizen who comes to the desk, writes a letter or phones: the one
path for `loket cases new` and the officers' desk (/catat), so both treat a citizen alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.attachments import FileData, attach_every_file
from bot.cases.opening import open_case
from bot.intake.requesters import requester_at_desk
from bot.workflow.rules import Rules
from store.blobs import BlobStore
from store.enums import CaseKind, Channel
from store.models import Case


async def register_walk_in(
    session: AsyncSession,
    blobs: BlobStore,
    *,
    kind: CaseKind | str,
    channel: Channel | str,
    details: dict[str, Any],
    received_at: dt.datetime,
    rules: Rules,
    actor: str,
    now: dt.datetime,
    unit_id: int | None = None,
    files: Sequence[FileData] = (),
) -> Case:
    """Open the case (reference and due date at once, see `open_case`) with the files that came
    with it. A citizen who already owns the phone number or email given keeps their one
    requester record, which gains the contacts given; a malformed phone or email is refused
    (DomainError) before anything is written."""
    requester = await requester_at_desk(
        session, details.get("phone"), details.get("email"), details.get("name")
    )
    case = await open_case(
        session,
        kind=kind,
        channel=channel,
        requester=requester,
        received_at=received_at,
        rules=rules,
        actor=actor,
        now=now,
        details=details,
        unit_id=unit_id,
    )
    attach_every_file(session, blobs, files, case_id=case.id)
    return case
