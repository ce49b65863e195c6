"""What a kind of letter is: its name, short code, title, the cases it exists for, its date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from bot.letters.facts import LetterFacts
from bot.letters.layout import LetterBody


@dataclass(frozen=True)
class LetterKind:
    """One document: `issued_on` is None while the case has not reached it (no notice before
    the decision); `build` fills the shared page in the case's language."""

    name: str
    abbreviation: str
    title_key: str
    case_kind: str
    issued_on: Callable[[LetterFacts], dt.date | None]
    build: Callable[[LetterFacts, str], LetterBody]
