"""The message catalogue: both languages have every key, and every key the code uses exists."""

from __future__ import annotations

import datetime as dt
import json
import re
import string
from pathlib import Path

import pytest

from bot.cases.opening import REQUIRED_REQUEST_FIELDS
from bot.i18n import LOCALES_DIR, bilingual, catalogue, format_date, normalise_language, t
from store.enums import CaseKind

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    p for folder in ("bot", "channels", "scheduler", "app") for p in (ROOT / folder).rglob("*.py")
]
# A catalogue lookup with a literal key: t("..."), say("..."), DomainError("...") and friends.
KEY_USE = re.compile(
    r"\b(?:t|bilingual|say|DomainError|NotFoundError|PermissionDenied|LoketError)\(\s*"
    r"\"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)\""
)


def _areas(language: str) -> dict[str, dict[str, str]]:
    return {
        p.name: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((LOCALES_DIR / language).glob("*.json"))
    }


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_area_files_and_keys() -> None:
    indonesian, english = _areas("id"), _areas("en")
    assert set(indonesian) == set(english)
    for area, keys in indonesian.items():
        assert set(keys) == set(english[area]), area
    assert set(catalogue("id")) == set(catalogue("en"))


def test_translations_take_the_same_placeholders() -> None:
    english = catalogue("en")
    for key, text in catalogue("id").items():
        assert _fields(text) == _fields(english[key]), key


def test_every_literal_key_in_the_code_exists() -> None:
    known = set(catalogue("id"))
    missing = {
        f"{path.relative_to(ROOT)}: {key}"
        for path in SOURCES
        for key in KEY_USE.findall(path.read_text(encoding="utf-8"))
        if key not in known
    }
    assert not missing, sorted(missing)


def test_the_scan_sees_the_code() -> None:
    found = {k for p in SOURCES for k in KEY_USE.findall(p.read_text(encoding="utf-8"))}
    assert {"workflow.extend_once", "cases.not_found", "cli.unit_added"} <= found


def test_keys_built_at_run_time_exist() -> None:
    known = set(catalogue("id"))
    built = (
        [f"ack.body.{kind}" for kind in CaseKind]
        + [f"field.{name}" for name in REQUIRED_REQUEST_FIELDS]
        + [f"cli.col_{c}" for c in ("reference", "kind", "status", "channel", "due")]
    )
    assert not [k for k in built if k not in known]


def test_lookup_falls_back_and_fills_parameters() -> None:
    assert t("cases.not_found", "en-GB", reference="X/1") == "Case X/1 was not found."
    assert t("cases.not_found", "fr", reference="X/1") == "Kasus X/1 tidak ditemukan."
    assert normalise_language("id_ID") == "id"
    assert bilingual("cases.not_found", reference="X") == (
        "Kasus X tidak ditemukan.\n\n---\n\nCase X was not found."
    )
    with pytest.raises(KeyError):
        t("no.such.key")


def test_dates_for_citizens_are_written_out_with_the_weekday() -> None:
    assert format_date(dt.date(2025, 4, 22), "id") == "Selasa, 22 April 2025"
    assert format_date(dt.date(2025, 4, 22), "en") == "Tuesday, 22 April 2025"
    assert format_date(dt.date(2026, 2, 1), "id") == "Minggu, 1 Februari 2026"
    assert format_date(None, "id") == "-"
