"""Every channel Loket runs: adding one (WhatsApp, a web form) is one line in `CHANNELS`.

A channel is a package under `channels/` that exposes what `bot.ports.ChannelModule` lists:
`SETTINGS` (its keys, read together with the core's), `LIBRARY_LOGGERS` (loggers of its
libraries that log payloads) and `build(services)` (its runner and sender, or None when its
settings leave it off). Importing a channel package loads only its settings: every `loket`
command reads them, and only `build` needs the channel's libraries and the core's services.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from channels import email, telegram, whatsapp

if TYPE_CHECKING:
    from bot.ports import ChannelModule

CHANNELS: tuple[ChannelModule, ...] = (email, telegram, whatsapp)
