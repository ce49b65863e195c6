"""The core's services as one object: what a command, a channel or the scheduler works with.

The composition root (`app/wiring.py`) builds it from the settings; channels and the scheduler
receive it, so none of them imports the composition root.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.cases.audit import remember_timezone
from bot.clock import Clock
from bot.intake.door import Intake
from bot.settings import Settings
from store.blobs import BlobStore
from store.db import Database


@dataclass
class Services:
    """Everything a command or a channel needs, built once from the settings."""

    settings: Settings
    db: Database
    clock: Clock
    blobs: BlobStore
    intake: Intake = field(init=False)

    def __post_init__(self) -> None:
        remember_timezone(self.db, self.settings)
        self.intake = Intake(self.db, self.settings, self.clock, self.blobs)

    async def close(self) -> None:
        """Release the database connections."""
        await self.db.dispose()
