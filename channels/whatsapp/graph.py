"""The few Graph API calls Loket makes (send a message, upload, look up and download a media
file, read the phone number), over aiohttp.

Why not pywa's client: pywa (and its async twin pywa_async) builds on httpx and its own
handler/server machinery; Loket already speaks HTTP with aiohttp (the one web server, the
Telegram webhook, both emulators), needs only four calls, and must map every Graph error
code onto the outbox contract itself (131047 -> resend as template, 130429 -> back off,
131026 -> the contact is failing). A second HTTP client library would buy nothing here.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from bot.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=60, connect=10)


class GraphError(Exception):
    """A Graph API error object (`error.code`, `error_data.details`), or a transport fault
    (`code` 0) when the server could not be reached or answered something else."""

    def __init__(self, code: int, message: str, http_status: int = 0) -> None:
        super().__init__(f"WhatsApp error {code}: {message}")
        self.code, self.message, self.http_status = code, message, http_status


class MediaTooLarge(Exception):
    """The media file is over ATTACHMENT_MAX_BYTES."""


class GraphClient:
    """Authenticated calls to the Cloud API of one business phone number."""

    def __init__(self, settings: Settings) -> None:
        self.base = settings.whatsapp_api_base_url.rstrip("/")
        self.version = settings.whatsapp_api_version
        self.number_id = settings.whatsapp_phone_number_id
        self._headers = {"Authorization": f"Bearer {settings.whatsapp_token.get_secret_value()}"}
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT, headers=self._headers)
        return self._session

    async def close(self) -> None:
        """Release the connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _json(self, method: str, url: str, **kw: Any) -> dict[str, Any]:
        try:
            async with self._http().request(method, url, **kw) as answer:
                try:
                    body = await answer.json(content_type=None)
                except ValueError:
                    body = None
                if answer.status == 200 and isinstance(body, dict):
                    return body
                error = (body or {}).get("error") if isinstance(body, dict) else None
                if isinstance(error, dict):
                    details = (error.get("error_data") or {}).get("details") or error.get(
                        "message", ""
                    )
                    raise GraphError(int(error.get("code", 0)), str(details), answer.status)
                raise GraphError(0, f"HTTP {answer.status}", answer.status)
        except aiohttp.ClientError as exc:
            raise GraphError(0, type(exc).__name__) from exc

    async def send(self, message: dict[str, Any]) -> str:
        """POST one /messages body; return the WhatsApp message id (wamid)."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **message}
        url = f"{self.base}/{self.version}/{self.number_id}/messages"
        answer = await self._json("POST", url, json=body)
        return str(answer["messages"][0]["id"])

    async def upload(self, data: bytes, filename: str, content_type: str) -> str:
        """Upload a file to send (POST /{phone_number_id}/media); return its media id."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", content_type)
        form.add_field("file", data, filename=filename, content_type=content_type)
        url = f"{self.base}/{self.version}/{self.number_id}/media"
        return str((await self._json("POST", url, data=form))["id"])

    async def phone_number(self) -> dict[str, Any]:
        """The business number's record (display number, verified name): checks the token."""
        return await self._json("GET", f"{self.base}/{self.version}/{self.number_id}")

    async def download(self, media_id: str, limit: int) -> tuple[bytes, str]:
        """The bytes and MIME type of an inbound media file; MediaTooLarge past `limit`."""
        meta = await self._json("GET", f"{self.base}/{self.version}/{media_id}")
        if int(meta.get("file_size") or 0) > limit:
            raise MediaTooLarge(media_id)
        try:
            async with self._http().get(meta["url"]) as answer:
                if answer.status != 200:
                    raise GraphError(0, f"media download HTTP {answer.status}", answer.status)
                data = bytearray()
                async for chunk in answer.content.iter_chunked(64 * 1024):
                    data += chunk
                    if len(data) > limit:
                        raise MediaTooLarge(media_id)
        except aiohttp.ClientError as exc:
            raise GraphError(0, type(exc).__name__) from exc
        return bytes(data), str(meta.get("mime_type") or "application/octet-stream")
