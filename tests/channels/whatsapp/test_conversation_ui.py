"""What the conversation sends stays within WhatsApp's interactive limits, whatever it offers,
and every catalogue key the journeys build at run time exists in both languages."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.i18n import catalogue
from bot.intake.forms import FORMS, SUMMARY
from channels.whatsapp.conversation import MENU_ITEMS
from channels.whatsapp.conversation_ui import Option, fit, interactive, page_of
from sandbox.whatsapp_api.limits import check_message

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def accepted(message: dict) -> bool:
    """True when the emulator's copy of the Cloud API rules takes `message`."""
    body = {"messaging_product": "whatsapp", **message}
    check_message(body, last_inbound=NOW, now=NOW, templates={})
    return True


def test_three_short_choices_are_buttons_and_more_are_a_list() -> None:
    three = [Option(f"f:x:{i}", f"Pilihan {i}") for i in range(3)]
    four = [*three, Option("f:x:3", "Pilihan 3")]
    assert interactive("62811", "Tanya?", three, "id")["interactive"]["type"] == "button"
    assert interactive("62811", "Tanya?", four, "id")["interactive"]["type"] == "list"
    long_title = [Option("a", "Judul yang jauh lebih panjang dari dua puluh")]
    message = interactive("62811", "Tanya?", long_title, "id")
    assert message["interactive"]["type"] == "list" and accepted(message)
    (row,) = message["interactive"]["action"]["sections"][0]["rows"]
    assert len(row["title"]) <= 24 and row["description"].startswith("Judul yang jauh")


def test_a_long_choice_set_is_paged_within_ten_rows_and_comes_round() -> None:
    many = [Option(f"st:{i}", f"PMI/2026/{i:06d}", "x" * 100) for i in range(1, 24)]
    seen: list[str] = []
    for number in range(3):
        rows = page_of(many, "st", number, "id")
        assert len(rows) <= 10 and accepted(interactive("62811", "Pilih", rows, "id"))
        seen += [r.id for r in rows if ":page:" not in r.id]
        assert rows[-1].id == f"st:page:{(number + 1) % 3}"
    assert seen == [o.id for o in many]
    assert fit("a  b" + "c" * 30, 10) == "a bcccccc…"  # 10 characters with the ellipsis


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_key_the_journeys_build_exists(language: str) -> None:
    keys = {f"tg.menu.{item}" for item in MENU_ITEMS if item != "survey"}
    for form in FORMS.values():
        keys |= {f"whatsapp.intro.{form.name}", f"whatsapp.summary.{form.name}"}
        keys |= {f"tg.resume.{form.name}", f"tg.err.file_not_now.{form.name}"}
        keys |= {f"form.ask.{f.key}" for f in form.fields if f.key != SUMMARY}
        keys |= {f"form.field.{f.key}" for f in form.fields if f.in_summary}
    assert sorted(keys - set(catalogue(language))) == []
