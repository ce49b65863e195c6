"""Files people send: checked against the size limit, downloaded with getFile, stored as blobs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Message

from bot.errors import DomainError
from bot.services import Services

# The cloud Bot API serves files up to 20 MB through getFile (core.telegram.org/bots/api#getfile).
BOT_API_DOWNLOAD_LIMIT = 20 * 1024 * 1024


@dataclass(frozen=True)
class Incoming:
    """The file a message carries, before download."""

    file_id: str
    filename: str
    content_type: str
    size: int | None


def incoming_file(message: Message) -> Incoming | None:
    """The document, (largest) photo, voice note, audio or video of a message, if any."""
    if message.document is not None:
        d = message.document
        return Incoming(
            d.file_id,
            d.file_name or "dokumen",
            d.mime_type or "application/octet-stream",
            d.file_size,
        )
    if message.photo:
        p = message.photo[-1]
        return Incoming(p.file_id, f"foto-{message.message_id}.jpg", "image/jpeg", p.file_size)
    # Voice notes, audio and videos are kept as they come: nothing a citizen sends is lost.
    for media, name, default_type in (
        (message.voice, "suara", "audio/ogg"),
        (message.audio, "audio", "audio/mpeg"),
        (message.video, "video", "video/mp4"),
        (message.video_note, "video", "video/mp4"),
    ):
        if media is not None:
            content_type = getattr(media, "mime_type", None) or default_type
            ext = content_type.rpartition("/")[2]
            filename = getattr(media, "file_name", None) or f"{name}-{message.message_id}.{ext}"
            return Incoming(media.file_id, filename, content_type, media.file_size)
    return None


def size_limit(services: Services) -> int:
    """The largest file accepted: the store's limit, capped by what the Bot API can serve."""
    return min(services.settings.attachment_max_bytes, BOT_API_DOWNLOAD_LIMIT)


async def download(message: Message, services: Services) -> tuple[Incoming, bytes] | None:
    """The message's file and its bytes; None if it carries none.

    Raises DomainError("tg.err.file_too_big") before downloading anything over the limit.
    """
    item = incoming_file(message)
    if item is None:
        return None
    limit = size_limit(services)
    too_big = DomainError("tg.err.file_too_big", limit_mb=limit // (1024 * 1024))
    if item.size is not None and item.size > limit:
        raise too_big
    tg_file = await message.get_bot().get_file(item.file_id)
    data = bytes(await tg_file.download_as_bytearray())
    if len(data) > limit:
        raise too_big
    return item, data


async def store(message: Message, services: Services) -> dict[str, Any] | None:
    """Download the message's file into the blob store; its record for a draft, or None."""
    got = await download(message, services)
    if got is None:
        return None
    item, data = got
    digest = services.blobs.put(data)
    return {
        "sha256": digest,
        "filename": item.filename[:255],
        "content_type": item.content_type,
        "size": len(data),
    }
