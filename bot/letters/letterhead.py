"""The body's letterhead (kop surat) and signature blocks, shared by every letter and report."""

from __future__ import annotations

import base64
import datetime as dt
import mimetypes
from dataclasses import dataclass
from html import escape

from bot.i18n import t
from bot.settings import Settings

LETTERHEAD_STYLE = """
.kop { width: 100%; border-collapse: collapse; border-bottom: 3px double #000; margin-bottom: 1em; }
.kop td { border: none; vertical-align: middle; padding: 0 0 0.4em 0; }
.kop .logo { width: 2.2cm; }
.kop .logo img { max-width: 2cm; max-height: 2.4cm; }
.kop .text { text-align: center; }
.kop .parent { font-size: 12pt; font-weight: bold; text-transform: uppercase; }
.kop .name { font-size: 14pt; font-weight: bold; text-transform: uppercase; }
.kop .address, .kop .contact { font-size: 9.5pt; }
.signature { width: 8cm; margin-left: auto; margin-top: 2em; text-align: left;
             page-break-inside: avoid; break-inside: avoid; }
.signature .space { height: 2.2cm; }
.signature .who { font-weight: bold; text-decoration: underline; }
"""


@dataclass(frozen=True)
class Signatory:
    """Who signs a document: name, position and NIP (Nomor Induk Pegawai)."""

    name: str
    position: str
    nip: str = ""


def ppid_signatory(settings: Settings) -> Signatory:
    """The PPID as configured: signs the proof of request and the notices."""
    return Signatory(
        settings.ppid_signatory_name, settings.ppid_signatory_position, settings.ppid_signatory_nip
    )


def atasan_signatory(settings: Settings) -> Signatory:
    """The Atasan PPID as configured: signs the answer to an objection (UU KIP Pasal 36)."""
    return Signatory(
        settings.atasan_signatory_name,
        settings.atasan_signatory_position,
        settings.atasan_signatory_nip,
    )


def _logo_data_uri(settings: Settings) -> str | None:
    path = settings.body_logo_path
    if path is None or not path.is_file():
        return None
    mime = mimetypes.guess_type(path.name)[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def letterhead_html(settings: Settings) -> str:
    """The kop surat: logo, parent body, body name, address and contact line, double rule."""
    logo = _logo_data_uri(settings)
    lines = [
        ("parent", settings.body_parent),
        ("name", settings.body_name),
        ("address", settings.body_address),
        ("contact", settings.body_contact),
    ]
    text = "".join(f'<div class="{css}">{escape(v)}</div>' for css, v in lines if v.strip())
    logo_cell = f'<td class="logo"><img src="{logo}" alt=""></td>' if logo else ""
    return f'<table class="kop"><tr>{logo_cell}<td class="text">{text}</td></tr></table>'


def signature_html(
    signatory: Signatory, settings: Settings, day: dt.date, language: str | None = None
) -> str:
    """Place and date, position, room for the signature, name and NIP, at the right."""
    place = f"{escape(settings.body_city)}, " if settings.body_city.strip() else ""
    date_line = f"{place}{escape(format_plain_date(day, language))}"
    name = escape(signatory.name) if signatory.name.strip() else "&nbsp;" * 40
    nip = (
        f"<div>{escape(t('letterhead.nip', language))} {escape(signatory.nip)}</div>"
        if signatory.nip.strip()
        else ""
    )
    return (
        f'<div class="signature"><div>{date_line}</div><div>{escape(signatory.position)}</div>'
        f'<div class="space"></div><div class="who">{name}</div>{nip}</div>'
    )


def format_plain_date(day: dt.date, language: str | None = None) -> str:
    """A date as letters write it, without the weekday: `18 Februari 2026`."""
    month = t("date.months", language).split(",")[day.month - 1]
    return f"{day.day} {month} {day.year}"
