"""The page every letter shares: letterhead, title, number and date, addressee, a table of
fields, paragraphs, the signature block and the verification line. Every value is escaped here,
so a template cannot forget it: templates hand over plain text, never markup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from bot.i18n import t
from bot.letters.letterhead import (
    LETTERHEAD_STYLE,
    Signatory,
    format_plain_date,
    letterhead_html,
    signature_html,
)
from bot.letters.pdf import PRINT_STYLE
from bot.settings import Settings

LETTER_STYLE = """
h1 { font-size: 13pt; text-align: center; margin: 0.6em 0 0 0; text-transform: uppercase; }
.subtitle { text-align: center; font-style: italic; margin: 0; }
.number { text-align: center; margin: 0.2em 0 1em 0; }
.to { margin-bottom: 0.8em; }
table.fields { border-collapse: collapse; width: 100%; margin: 0.6em 0; }
table.fields td { vertical-align: top; padding: 0.15em 0.3em; border: none; white-space: pre-line; }
table.fields td.label { width: 38%; }
table.fields td.colon { width: 1em; }
p { margin: 0.5em 0; text-align: justify; white-space: pre-line; }
.verify { margin-top: 2em; font-size: 8.5pt; border-top: 1px solid #000; padding-top: 0.3em; }
"""


@dataclass(frozen=True)
class Heading:
    """Which document this is, its number, date and verification code."""

    title_key: str
    number: str
    issued_on: dt.date
    code: str


@dataclass
class LetterBody:
    """What a template fills in: addressee lines, fields (label, value), paragraphs, signer."""

    signatory: Signatory
    to: Sequence[str] = ()
    intro: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)


def _text(value: str | None) -> str:
    return escape(value.strip()) if value and value.strip() else "-"


def letter_html(heading: Heading, body: LetterBody, settings: Settings, language: str) -> str:
    """The whole letter as one self-contained HTML page."""
    title = escape(t(heading.title_key, "id"))
    # The Indonesian title is the legal one; an English reader gets a translation under it.
    subtitle = (
        f'<p class="subtitle">{escape(t(heading.title_key, "en"))}</p>' if language == "en" else ""
    )
    number = escape(t("letters.number", language, number=heading.number))
    to = "".join(f"<div>{escape(line)}</div>" for line in body.to if line and line.strip())
    rows = "".join(
        f'<tr><td class="label">{escape(label)}</td><td class="colon">:</td>'
        f"<td>{_text(value)}</td></tr>"
        for label, value in body.fields
    )
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in body.paragraphs if p.strip())
    verify = escape(t("letters.verify", language, code=heading.code, body=settings.body_name))
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{title} {escape(heading.number)}</title>"
        f"<style>{PRINT_STYLE}{LETTERHEAD_STYLE}{LETTER_STYLE}</style></head><body>"
        f"{letterhead_html(settings)}<h1>{title}</h1>{subtitle}"
        f'<div class="number">{number}</div>'
        f'<div class="to">{to}</div>'
        f"<p>{escape(body.intro)}</p>"
        f'<table class="fields">{rows}</table>{paragraphs}'
        f"{signature_html(body.signatory, settings, heading.issued_on, language)}"
        f'<div class="verify">{verify}</div></body></html>'
    )


def plain_date(day: dt.date | None, language: str) -> str:
    """A date as letters write it, `-` when there is none."""
    return format_plain_date(day, language) if day else "-"
