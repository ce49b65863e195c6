"""The one error of backup and restore: a catalogue key (area `ops`) plus its values.

`store` imports nothing of ours, so the sentence itself is looked up by the caller (the CLI).
"""

from __future__ import annotations

from typing import Any


class ArchiveError(Exception):
    """Backup or restore refused or failed; nothing was changed (or what was, was undone).

    `usage` is True when the operator's input is the cause (a non-empty target, a corrupt or
    foreign archive, a file that exists): the CLI exits 2 then, otherwise 1.
    """

    def __init__(self, key: str, /, *, usage: bool = True, **params: Any) -> None:
        super().__init__(f"{key} {params}")
        self.key, self.params, self.usage = key, params, usage
