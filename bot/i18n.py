"""The message catalogue: every user-facing sentence, in Indonesian and English.

Texts live in `bot/locales/<lang>/<area>.json` (one file per area, so channels keep their own);
code holds keys only. Indonesian is the reference language and the fallback.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"


@cache
def catalogue(language: str) -> dict[str, str]:
    """Every key of one language, merged from all its area files."""
    merged: dict[str, str] = {}
    folder = LOCALES_DIR / language
    for path in sorted(folder.glob("*.json")):
        for key, text in json.loads(path.read_text(encoding="utf-8")).items():
            if key in merged:
                raise ValueError(f"duplicate message key {key!r} in {path.name}")
            merged[key] = text
    return merged


def normalise_language(code: str | None) -> str:
    """Map a client's language code (a chat app's, Accept-Language) such as `en-GB` to one we
    speak."""
    short = (code or "").split("-")[0].split("_")[0].lower()
    return short if short in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, language: str | None = None, /, **params: Any) -> str:
    """The text for `key` in `language` (falling back to Indonesian), with `params` filled in.

    Raises KeyError for an unknown key: a missing sentence is a bug, not something to show.
    """
    lang = normalise_language(language)
    text = catalogue(lang).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANGUAGE)[key]
    return text.format(**params) if params else text


def bilingual(key: str, /, **params: Any) -> str:
    """Indonesian text with the English below it, for channels where the reader is unknown."""
    return in_both_languages(lambda language: t(key, language, **params))


def in_both_languages(render: Callable[[str], str]) -> str:
    """`render("id")` with `render("en")` below it, for texts assembled from several keys."""
    return f"{render('id')}\n\n---\n\n{render('en')}"


def format_date(day: dt.date | None, language: str | None = None) -> str:
    """A date as people read it: `Rabu, 18 Februari 2026` / `Wednesday, 18 February 2026`.

    Citizens get deadlines in this form (never ISO), so the weekday is never in doubt.
    """
    if day is None:
        return "-"
    weekday = t("date.weekdays", language).split(",")[day.weekday()]
    month = t("date.months", language).split(",")[day.month - 1]
    return t("date.long", language, weekday=weekday, day=day.day, month=month, year=day.year)
