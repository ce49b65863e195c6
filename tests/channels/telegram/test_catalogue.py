"""Every catalogue key the channel builds at run time exists, in both languages."""

from __future__ import annotations

import pytest

from bot.i18n import catalogue
from bot.intake.forms import FORMS
from bot.notify.officer_cards import BUTTON_ORDER
from bot.workflow.objections import PASAL_35_GROUNDS
from channels.telegram import handlers, keyboards
from channels.telegram.handlers import desk_cards
from store.enums import CaseKind, ComplaintStatus, ObjectionStatus, RequestStatus


def built_keys() -> set[str]:
    keys = {f"tg.menu.{item}" for item in keyboards.MENU_ITEMS}
    for form in FORMS.values():
        keys |= {
            f"tg.intro.{form.name}",
            f"tg.summary.{form.name}",
            f"tg.err.file_not_now.{form.name}",
            f"tg.resume.{form.name}",
        }
        for f in form.fields:
            keys.add(f"form.ask.{f.key}")
            if f.in_summary:
                keys.add(f"form.field.{f.key}")
            keys |= {f"form.choice.{f.key}.{c}" for c in f.choices}
    keys |= {keyboards.BUTTON_LABELS.get(a, f"tg.desk.btn.{a}") for a in (*BUTTON_ORDER, "back")}
    keys |= {f"tg.desk.decision.{d}" for d in keyboards.DECISIONS}
    keys |= {f"tg.desk.answer.{d}" for d in keyboards.ATASAN_DECISIONS}
    keys |= {f"tg.desk.choose.{a}" for a in ("dispose", "decide", "answer")}
    keys |= {f"tg.desk.usage.{c}" for c in ("kasus", "balas", "putus")}
    keys |= {f"tg.channel.{c}" for c in keyboards.DESK_INTAKE_CHANNELS}
    keys |= {f"tg.cmd.{c}" for c in (*handlers.CITIZEN_COMMANDS, *handlers.OFFICER_COMMANDS)}
    keys |= {f"form.ground.{g}" for g in PASAL_35_GROUNDS}
    keys |= {f"form.ground.short.{g}" for g in PASAL_35_GROUNDS}
    keys |= {f"tg.status.from_{d}" for d in ("in", "out")}
    needs = {
        *desk_cards.NEEDS_TEXT.values(),
        *(need for chain in desk_cards.DECISION_NEEDS.values() for need in chain),
        "consequence_test",
        "reasons",
    }
    keys |= {desk_cards.ASK_KEYS.get(n, f"tg.desk.ask.{n}") for n in needs}
    keys |= {f"desk.kind.{k}" for k in CaseKind}
    for kind, statuses in (
        (CaseKind.INFORMATION_REQUEST, RequestStatus),
        (CaseKind.COMPLAINT, ComplaintStatus),
        (CaseKind.OBJECTION, ObjectionStatus),
    ):
        keys |= {f"desk.status.{kind}.{s}" for s in statuses}
    return keys


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_built_key_exists(language: str) -> None:
    missing = sorted(built_keys() - set(catalogue(language)))
    assert missing == []
