"""`loket cases show` as text: labelled fields in the body's local time, then the history."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import catalogue, normalise_language, t
from bot.labels import channel_label, kind_label, status_label, yes_no

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
HIDDEN_FIELDS = frozenset(
    {"reference", "requester", "events", "messages", "language", "identity_requests"}
)


def _value(value: Any, tz: ZoneInfo, language: str) -> str:
    if isinstance(value, bool):
        return yes_no(value, language)
    if isinstance(value, dt.datetime):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _field(view: dict[str, Any], key: str, tz: ZoneInfo, language: str) -> str:
    """One `Label: value` line; codes (kind, status, channel) in words."""
    value, kind = view[key], str(view.get("kind", ""))
    if key == "kind":
        text = kind_label(value, language)
    elif key in ("status", "held_from_status"):
        text = status_label(kind, value, language)
    elif key == "channel":
        text = channel_label(value, language)
    else:
        text = _value(value, tz, language)
    return f"  {_label(key, language)}: {text}"


def _label(key: str, language: str) -> str:
    return catalogue(normalise_language(language)).get(f"cli.field.{key}", key)


def case_text_lines(view: dict[str, Any], tz: ZoneInfo, language: str) -> list[str]:
    """The case view (bot.cases.view) as plain lines; personal data is as masked as the view."""
    lines = [t("cli.show.title", language, reference=view.get("reference", "-"))]
    ordered = [k for k in FIRST_FIELDS if k in view] + [
        k for k in view if k not in FIRST_FIELDS and k not in HIDDEN_FIELDS
    ]
    lines += [_field(view, key, tz, language) for key in ordered if view[key] is not None]
    requester = view.get("requester") or {}
    lines.append(t("cli.show.requester", language))
    failing = t("cli.show.failing", language)
    for key, value in requester.items():
        if key == "contacts":
            for c in value:
                how = t("cli.contact_kind." + c["kind"], language)
                lines.append(f"  {how}: {c['value']}" + (f" {failing}" if c.get("failing") else ""))
        elif value not in (None, ""):
            lines.append(f"  {_label(key, language)}: {_value(value, tz, language)}")
    if view.get("identity_requests"):
        from app.cli.identity import identity_lines  # the one wording of a pending request

        lines.append(t("identity.cli.title", language))
        lines += identity_lines(view["identity_requests"], language)
    kind = str(view.get("kind", ""))
    lines.append(t("cli.show.events", language))
    for e in view.get("events", []):
        moved = ""
        if e.get("to") and e["to"] != e["from"]:
            before = status_label(kind, e["from"], language) if e["from"] else "-"
            moved = f" {before} → {status_label(kind, e['to'], language)}"
        lines.append(f"  {_value(e['at'], tz, language)}  {e['actor']}  {e['action']}{moved}")
    lines.append(t("cli.show.messages", language))
    for m in view.get("messages", []):
        at, channel = _value(m["at"], tz, language), channel_label(m["channel"], language)
        lines.append(f"  {at}  [{m['direction']}/{channel}]  {m['text']}")
    return lines
