"""What the WhatsApp Cloud API refuses, with its real error shapes (Graph API error objects).

Codes and titles as Meta documents them (developers.facebook.com, "WhatsApp error codes"):
100 Invalid parameter, 131009 Parameter value is not valid, 131047 Re-engagement message
(more than 24 hours since the customer last wrote), 130429 Rate limit hit (throughput),
131056 (Business account, Consumer account) pair rate limit hit, 131026 Message undeliverable,
132000 Number of parameters does not match, 132001 Template does not exist, 190 expired token.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

WINDOW = dt.timedelta(hours=24)  # the customer-service window
TEXT_LIMIT = 4096  # characters of a text message body
INTERACTIVE_BODY_LIMIT = 1024
MAX_BUTTONS = 3
BUTTON_TITLE_LIMIT = 20
MAX_LIST_ROWS = 10
ROW_TITLE_LIMIT = 24

TITLES = {
    100: "Invalid parameter",
    131009: "Parameter value is not valid",
    131047: "Re-engagement message",
    130429: "Rate limit hit",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    131026: "Message undeliverable",
    132000: "Number of parameters does not match the expected number of params",
    132001: "Template name does not exist in the translation",
    132012: "Parameter format does not match format in the created template",
    132018: "There was an issue with the parameters in your template",
    131053: "Media upload error",
    190: "Access token has expired or is invalid",
}
HTTP_STATUS = {190: 401}  # every other Cloud API error is answered 400


@dataclass(frozen=True)
class ApprovedTemplate:
    """A template the business had approved: its body parameter count, its header kind
    ("document" or None), and its body text with `{{1}}` ... placeholders (to show what the
    citizen reads; may be empty)."""

    body_params: int
    header: str | None = None
    text: str = ""

    def filled(self, values: list[str]) -> str:
        """The body as the citizen reads it with `values`."""
        return re.sub(r"\{\{(\d+)\}\}", lambda m: values[int(m.group(1)) - 1], self.text)


Templates = dict[tuple[str, str], int | ApprovedTemplate]


def approved(templates: Templates, key: tuple[str, str]) -> ApprovedTemplate | None:
    """The approved template under (name, language code), if any."""
    found = templates.get(key)
    return ApprovedTemplate(found) if isinstance(found, int) else found


def body_values(template: dict[str, Any]) -> list[str]:
    """The text parameters of a template message's body."""
    return [
        str(p.get("text", ""))
        for c in template.get("components") or []
        if c.get("type") == "body"
        for p in c.get("parameters") or []
    ]


def media_ids(message: dict[str, Any]) -> list[str]:
    """The uploaded media a /messages body refers to (a document, a template's header)."""
    kind = message.get("type")
    if kind in ("image", "document", "audio", "video"):
        return [str(i) for i in [(message.get(kind) or {}).get("id")] if i]
    if kind == "template":
        return [
            str(p[p["type"]]["id"])
            for c in (message.get("template") or {}).get("components") or []
            if c.get("type") == "header"
            for p in c.get("parameters") or []
            if isinstance(p.get(p.get("type", "")), dict) and p[p["type"]].get("id")
        ]
    return []


class CloudApiError(Exception):
    """A refusal, answered with Graph's error object."""

    def __init__(self, code: int, details: str) -> None:
        super().__init__(f"{code}: {details}")
        self.code, self.details = code, details

    @property
    def status(self) -> int:
        """The HTTP status Graph answers this error with."""
        return HTTP_STATUS.get(self.code, 400)

    def body(self, trace: str) -> dict[str, Any]:
        """The JSON body Graph answers with."""
        return {
            "error": {
                "message": f"(#{self.code}) {TITLES.get(self.code, 'Error')}",
                "type": "OAuthException",
                "code": self.code,
                "error_data": {"messaging_product": "whatsapp", "details": self.details},
                "fbtrace_id": trace,
            }
        }

    def webhook_error(self) -> dict[str, Any]:
        """The error as a `failed` status callback carries it."""
        return {
            "code": self.code,
            "title": TITLES.get(self.code, "Error"),
            "message": TITLES.get(self.code, "Error"),
            "error_data": {"details": self.details},
        }


def check_message(
    message: dict[str, Any],
    *,
    last_inbound: dt.datetime | None,
    now: dt.datetime,
    templates: Templates,
) -> None:
    """Raise CloudApiError when the Cloud API would refuse `message` (a /messages body)."""
    if message.get("messaging_product") != "whatsapp":
        raise CloudApiError(100, "messaging_product must be whatsapp")
    if not str(message.get("to", "")).isdigit():
        raise CloudApiError(100, "Param to must be a phone number")
    kind = message.get("type", "text")
    if kind == "template":
        _check_template(message.get("template") or {}, templates)
        return
    if last_inbound is None or now - last_inbound > WINDOW:
        raise CloudApiError(
            131047,
            "Message failed to send because more than 24 hours have passed since the "
            "customer last replied to this number.",
        )
    if kind == "text":
        body = (message.get("text") or {}).get("body", "")
        if not body:
            raise CloudApiError(100, "Param text['body'] is required")
        if len(body) > TEXT_LIMIT:
            raise CloudApiError(
                100, f"Param text['body'] must be at most {TEXT_LIMIT} characters long."
            )
    elif kind == "interactive":
        _check_interactive(message.get("interactive") or {})
    elif kind not in ("image", "document", "audio", "video", "location", "reaction"):
        raise CloudApiError(100, f"Unsupported message type {kind}")


def _check_interactive(interactive: dict[str, Any]) -> None:
    body = (interactive.get("body") or {}).get("text", "")
    if not body or len(body) > INTERACTIVE_BODY_LIMIT:
        raise CloudApiError(131009, f"body text must be 1-{INTERACTIVE_BODY_LIMIT} characters")
    action = interactive.get("action") or {}
    if interactive.get("type") == "button":
        buttons = action.get("buttons") or []
        if not 1 <= len(buttons) <= MAX_BUTTONS:
            raise CloudApiError(131009, f"buttons: between 1 and {MAX_BUTTONS} are allowed")
        titles = [(b.get("reply") or {}).get("title", "") for b in buttons]
        if any(not t or len(t) > BUTTON_TITLE_LIMIT for t in titles):
            raise CloudApiError(
                131009, f"button title length must be 1-{BUTTON_TITLE_LIMIT} characters"
            )
    elif interactive.get("type") == "list":
        rows = [r for s in action.get("sections") or [] for r in s.get("rows") or []]
        if not 1 <= len(rows) <= MAX_LIST_ROWS:
            raise CloudApiError(131009, f"rows: between 1 and {MAX_LIST_ROWS} are allowed")
        if any(not r.get("title") or len(r["title"]) > ROW_TITLE_LIMIT for r in rows):
            raise CloudApiError(131009, f"row title must be 1-{ROW_TITLE_LIMIT} characters")
    else:
        raise CloudApiError(100, "interactive type must be button or list")


def _check_template(template: dict[str, Any], templates: Templates) -> None:
    key = (template.get("name", ""), (template.get("language") or {}).get("code", ""))
    found = approved(templates, key)
    if found is None:
        raise CloudApiError(132001, f"template name ({key[0]}) does not exist in {key[1]}")
    given = body_values(template)
    if len(given) != found.body_params:
        raise CloudApiError(
            132000, f"expected {found.body_params} body parameters, got {len(given)}"
        )
    if any(not v or "\n" in v or "\t" in v or "    " in v for v in given):
        raise CloudApiError(132018, "Param text cannot have new-line/tab characters or more "
                                    "than 4 consecutive spaces")  # fmt: skip
    headers = [
        p.get("type")
        for c in template.get("components") or []
        if c.get("type") == "header"
        for p in c.get("parameters") or []
    ]
    if headers != ([found.header] if found.header else []):
        raise CloudApiError(132012, f"header expected: {found.header or 'none'}, got {headers}")
