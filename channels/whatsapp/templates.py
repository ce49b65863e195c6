"""The approved WhatsApp templates: one per kind of requester update, chosen by the outbox
row's purpose, filled from its neutral message (bot/notify/message.py).

Outside the 24-hour window the Cloud API takes only a template a body had approved in
WhatsApp Manager beforehand, with its text fixed and its `{{n}}` body parameters filled in.
Each template here names the setting holding its name (WHATSAPP_TEMPLATE_*), what each of its
parameters is (`{{1}}` is always the body's name, `{{2}}` the case reference), and whether it
has a DOCUMENT header (the decision letter, the extension notice ...: the PDF reaches the
citizen even outside the window). The approved text of each, in Indonesian and English, is in
the catalogue (`whatsapp.template.<name>`, its parameters written `{p1}`, `{p2}` ...) and in
docs/whatsapp.md, which a test keeps equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.i18n import t
from bot.notify.message import OutboundMessage
from bot.notify.purposes import Purpose
from bot.settings import Settings


@dataclass(frozen=True)
class Template:
    """One approved template: its catalogue name, the setting with its WhatsApp name, what its
    body parameters are, and whether a document header carries the row's first file."""

    name: str
    params: tuple[str, ...]
    document: bool = False

    @property
    def setting(self) -> str:
        """The settings attribute holding the template's name in WhatsApp Manager."""
        return f"whatsapp_template_{self.name}"

    def whatsapp_name(self, settings: Settings) -> str:
        """The name the body approved it under (a setting)."""
        return str(getattr(settings, self.setting))

    def approved_text(self, language: str) -> str:
        """The body text exactly as submitted to Meta, with `{{1}}` ... placeholders."""
        slots = {f"p{i}": f"{{{{{i}}}}}" for i in range(1, len(self.params) + 1)}
        return t(f"whatsapp.template.{self.name}", language, **slots)

    def filled_text(self, language: str, values: list[str]) -> str:
        """The text the citizen reads with `values` for the parameters."""
        return t(f"whatsapp.template.{self.name}", language,
                 **{f"p{i}": v for i, v in enumerate(values, 1)})  # fmt: skip


UPDATE = Template("update", ("body", "reference", "subject"))  # any other update
STATUS = Template("status", ("body", "reference", "step", "due"))
LETTER = Template("letter", ("body", "reference", "title"), document=True)
PROGRESS = Template("progress", ("body", "reference", "due"))
SURVEY = Template("survey", ("body", "reference"))
RATING = Template("rating", ("body", "reference"))
REPLY = Template("reply", ("body", "reference"))
IDENTITY = Template("identity", ("body", "reference", "outcome"))
TEMPLATES = (UPDATE, STATUS, LETTER, PROGRESS, SURVEY, RATING, REPLY, IDENTITY)

BY_PURPOSE: Mapping[str, Template] = {
    Purpose.STATUS_UPDATE: STATUS,
    Purpose.LETTER: LETTER,
    Purpose.PROGRESS_UPDATE: PROGRESS,
    Purpose.SURVEY_INVITATION: SURVEY,
    Purpose.RATING_REQUEST: RATING,
    Purpose.OFFICER_REPLY: REPLY,
    Purpose.IDENTITY_CHANGE_DECIDED: IDENTITY,
}
# The step a status update reports, by the last part of its catalogue key (sched.update.*).
STEPS = ("registered", "request_disposed", "complaint_disposed", "extended", "decided",
         "followup", "closed", "auto_closed", "on_hold", "archived", "not_our_authority",
         "objection_answered")  # fmt: skip


def template_for(purpose: str, message: OutboundMessage, has_file: bool) -> Template:
    """The template a row of `purpose` goes as outside the window: a status update carrying a
    letter goes as the letter (its PDF in the header); a template with a document header needs
    a file, else the generic update goes."""
    chosen = BY_PURPOSE.get(purpose, UPDATE)
    if chosen is STATUS and message.letters:
        chosen = LETTER
    if chosen.document and not has_file:
        return UPDATE
    return chosen


def parameter_values(
    template: Template,
    message: OutboundMessage,
    *,
    reference: str | None,
    subject: str | None,
    settings: Settings,
) -> list[str]:
    """The values of `template`'s parameters for `message`, in the message's language."""
    lang = message.language
    key_tail = (message.key or "").rpartition(".")[2]
    params = message.params
    values = {
        "body": settings.body_name,
        "reference": reference or str(params.get("reference") or "-"),
        "subject": subject or message.text.split("\n", 1)[0],
        "due": str(params.get("due") or "-"),
        "step": t(f"whatsapp.step.{key_tail}", lang) if key_tail in STEPS else subject or "-",
        "title": (
            t(f"letters.title.{message.letters[0]}", lang) if message.letters else subject or "-"
        ),
        "outcome": t(
            f"whatsapp.identity.{'confirmed' if key_tail == 'confirmed' else 'rejected'}", lang
        ),
    }
    return [values[name] for name in template.params]
