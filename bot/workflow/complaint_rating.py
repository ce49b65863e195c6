"""The complainant's rating of the follow-up (1-5 and a comment): the RHP of SP4N-LAPOR!.

When a complaint is done (closed by the unit, or by itself 10 working days after the
follow-up) the complainant is asked once, on their own channel, how they rate the follow-up:
LAPOR! offers the rating once the report is finished, and Loket's workflow records a rating
on a done complaint only. A chat channel shows buttons 1-5, then asks for a comment; by mail
the complainant replies with the number first ("4 cepat ditangani"), which is recorded as the
rating instead of reopening the complaint.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.workflow.complaints import rate
from bot.workflow.rules import Rules
from store.enums import CaseKind, ComplaintStatus
from store.models import Case

MIN_RATING, MAX_RATING = 1, 5
_RATING = re.compile(r"^\s*([1-5])(?!\d)(?:\s*/\s*5)?\s*[.,:;)\-]?\s*(.*)$", re.DOTALL)
_QUOTE_HEADER = re.compile(
    r"^\s*(?:On .+ wrote:|Pada .+ menulis:|-{2,}\s*Original Message\s*-{2,}|-{2,}\s*Pesan Asli)",
    re.IGNORECASE,
)


def awaiting_rating(case: Case) -> bool:
    """True while a done complaint's rating was asked for and not given yet."""
    return (
        case.kind == CaseKind.COMPLAINT
        and case.status == ComplaintStatus.DONE
        and case.rating_asked_at is not None
        and case.rating is None
    )


def parse_rating_reply(text: str) -> tuple[int, str] | None:
    """(rating, comment) when a reply starts with a number 1-5, else None.

    Quoted lines and everything after a reply header are left out of the comment.
    """
    own: list[str] = []
    for line in text.splitlines():
        if _QUOTE_HEADER.match(line):
            break
        if not line.lstrip().startswith(">"):
            own.append(line)
    match = _RATING.match("\n".join(own).strip())
    if match is None:
        return None
    return int(match.group(1)), " ".join(match.group(2).split())


async def rating_from_reply(
    session: AsyncSession, case: Case, text: str, *, rules: Rules, actor: str, now: dt.datetime
) -> bool:
    """Record a reply as the rating when one is awaited and the reply gives one; True if so."""
    if not awaiting_rating(case):
        return False
    parsed = parse_rating_reply(text)
    if parsed is None:
        return False
    score, comment = parsed
    await rate(session, case, rating=score, comment=comment, rules=rules, actor=actor, now=now)
    case.rated_at = now
    session.add(case)
    return True
