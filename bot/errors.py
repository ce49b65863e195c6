"""Errors the core raises, each carrying a catalogue key so every channel can say it clearly."""

from __future__ import annotations

from typing import Any

from bot.i18n import t


class LoketError(Exception):
    """Base of Loket's own errors: a catalogue key plus the values its sentence needs."""

    def __init__(self, key: str, /, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(t(key, "id", **params))

    def message(self, language: str | None = None) -> str:
        """The error as a sentence in `language` (Indonesian by default)."""
        return t(self.key, language, **self.params)


class DomainError(LoketError):
    """A rule of the domain forbids what was asked (the sender's fault); nothing was changed."""


class NotFoundError(LoketError):
    """The case, unit or officer asked for does not exist."""


class PermissionDenied(LoketError):
    """The acting officer's role or unit does not allow this action."""
