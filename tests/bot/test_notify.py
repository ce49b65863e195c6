"""The one outbound call: `notify` stores a channel-neutral message in the caller's
transaction; purposes are declared once; the case cards import nothing that notifies back."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import grimp

from bot.i18n import t
from bot.notify.message import FORMAT, is_neutral, read_message
from bot.notify.outbox import notify
from bot.notify.purposes import Purpose
from bot.notify.recipients import Recipient
from bot.services import Services
from tests.support.builders import make_case
from tests.support.timeline import outbox_rows

ROOT = Path(__file__).resolve().parents[2]


async def test_notify_queues_the_neutral_message_once(services: Services) -> None:
    case = await make_case(services)
    siti = Recipient("email", "siti@example.test", "en", "contact1")
    now = services.clock.now()
    for _ in range(2):
        async with services.db.transaction() as session:
            queued = await notify(
                session, purpose=Purpose.PROGRESS_UPDATE, recipient=siti,
                key="sched.requester.progress",
                params={"reference": case.reference, "what": "request", "due": case.due_date},
                subject="[ref] update", case=case, actions=["claim"], files=["ab" * 32],
                letters=["notice"], in_reply_to="req-1@warga.test",
                dedup_key=f"progress:{case.id}", now=now,
            )  # fmt: skip
        assert queued is (_ == 0)  # the second call finds the first row
    (row,) = await outbox_rows(services, "progress_update")
    assert (row.channel, row.recipient, row.case_id) == ("email", "siti@example.test", case.id)
    assert row.body == t(
        "sched.requester.progress", "en", reference=case.reference, what="request",
        due=case.due_date,
    )  # fmt: skip
    assert is_neutral(row) and row.payload["format"] == FORMAT
    message = read_message(row)
    assert (message.key, message.language, message.subject) == (
        "sched.requester.progress", "en", "[ref] update")  # fmt: skip
    assert message.params["due"] == case.due_date.isoformat()  # type: ignore[union-attr]
    assert (message.case_id, message.reply_case) == (case.id, case.reference)
    assert (message.actions, message.attachments, message.letters) == (
        ("claim",), ("ab" * 32,), ("notice",))  # fmt: skip
    assert message.in_reply_to == "req-1@warga.test" and message.automatic


def _sources() -> list[Path]:
    return [
        p
        for top in ("bot", "scheduler", "channels", "app", "sandbox")
        for p in (ROOT / top).rglob("*.py")
    ]


def test_no_purpose_string_is_declared_outside_the_enum() -> None:
    declared = re.compile(r"""(?i)\bpurpose\s*[:=]=?\s*["']|_PURPOSE\w*\s*=\s*["']""")
    values = "|".join(re.escape(p.value) for p in Purpose)
    compared = re.compile(rf"""purpose\s*==\s*["']({values})["']""")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in _sources()
        if path.name != "purposes.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if declared.search(line) or compared.search(line)
    ]
    assert found == []


def test_case_cards_reach_no_module_that_notifies_back() -> None:
    graph = grimp.build_graph("bot", "store")
    for module in ("bot.notify.officer_cards", "bot.notify.outbox", "bot.notify.message"):
        assert graph.find_shortest_chain(module, "bot.notify.case_events") is None, module


OWN_PACKAGES = {"bot", "store", "channels", "scheduler", "app", "sandbox"}


def imported_roots(node: ast.Import | ast.ImportFrom) -> set[str]:
    """The top-level package names an import statement loads ("" for a relative import)."""
    if isinstance(node, ast.ImportFrom):
        return {"" if node.level else (node.module or "").split(".")[0]}
    return {alias.name.split(".")[0] for alias in node.names}


def test_no_deferred_import_in_the_core() -> None:
    # A deferred import of our own code hides an import cycle. A heavy third-party library
    # loaded on first use (WeasyPrint, in bot/letters/pdf.py) hides nothing and is allowed.
    for path in (ROOT / "bot").rglob("*.py"):
        tree = ast.parse(path.read_text())
        top = {id(node) for node in tree.body}
        nested = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))
            and id(node) not in top
            and imported_roots(node) & (OWN_PACKAGES | {""})
        ]
        assert nested == [], path.relative_to(ROOT)


def test_the_deferred_import_check_sees_our_own_packages() -> None:
    tree = ast.parse(
        "def f():\n    from bot.cases import x\n    from . import y\n    import weasyprint\n"
    )
    nested = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [bool(imported_roots(n) & (OWN_PACKAGES | {""})) for n in nested] == [True, True, False]
