"""`loket cases show` as text: labelled fields in the body's local time, then the history."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import t

# The fields an officer looks for first; every other non-empty field follows in stored order.
FIRST_FIELDS = (
    "kind",
    "status",
    "channel",
    "received_at",
    "due_date",
    "unit",
    "request_reference",
    "information_requested",
    "purpose",
    "description",
)
HIDDEN_FIELDS = frozenset({"reference", "requester", "events", "messages", "language"})


def _value(value: Any, tz: ZoneInfo) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def case_text_lines(view: dict[str, Any], tz: ZoneInfo, language: str) -> list[str]:
    """The case view (bot.case_view) as plain lines; personal data is as masked as the view."""
    lines = [t("cli.show.title", language, reference=view.get("reference", "-"))]
    ordered = [k for k in FIRST_FIELDS if k in view] + [
        k for k in view if k not in FIRST_FIELDS and k not in HIDDEN_FIELDS
    ]
    lines += [f"  {key}: {_value(view[key], tz)}" for key in ordered if view[key] is not None]
    requester = view.get("requester") or {}
    lines.append(t("cli.show.requester", language))
    for key, value in requester.items():
        if key == "contacts":
            lines += [
                f"  {c['kind']}: {c['value']}" + (" (!)" if c.get("failing") else "") for c in value
            ]
        elif value not in (None, ""):
            lines.append(f"  {key}: {value}")
    lines.append(t("cli.show.events", language))
    for e in view.get("events", []):
        moved = f" {e['from'] or '-'} → {e['to']}" if e.get("to") and e["to"] != e["from"] else ""
        lines.append(f"  {_value(e['at'], tz)}  {e['actor']}  {e['action']}{moved}")
    lines.append(t("cli.show.messages", language))
    for m in view.get("messages", []):
        lines.append(f"  {_value(m['at'], tz)}  [{m['direction']}/{m['channel']}]  {m['text']}")
    return lines
