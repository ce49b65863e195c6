"""The bot's aiohttp client (channels/telegram/http.py) against the Bot API emulator and
misbehaving servers: what PTB's httpx client did, the same way."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from io import BytesIO

import pytest
import pytest_asyncio
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut

from bot.services import Services
from channels.telegram.app import build_application
from channels.telegram.http import AiohttpRequest
from sandbox.telegram_api.server import BotApiEmulator
from tests.support.network import free_port
from tests.support.telegram import TOKEN


@pytest_asyncio.fixture
async def api() -> AsyncIterator[BotApiEmulator]:
    emulator = await BotApiEmulator(TOKEN).start()
    yield emulator
    await emulator.stop()


def make_bot(base_url: str, base_file_url: str | None = None, **timeouts: float) -> Bot:
    """A Bot on our request class (and its getUpdates on one of its own)."""
    return Bot(
        TOKEN,
        base_url=base_url,
        base_file_url=base_file_url or base_url.replace("/bot", "/file/bot"),
        request=AiohttpRequest(**timeouts),
        get_updates_request=AiohttpRequest(pool_size=1),
    )


def content_length(head: bytes) -> int:
    """The Content-Length of a raw HTTP request head (0 without one)."""
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


async def test_messages_documents_and_downloads_go_through(api: BotApiEmulator) -> None:
    async with make_bot(api.base_url, api.base_file_url) as bot:
        sent = await bot.send_message(42, "Permohonan Anda sudah kami catat: 1 & 2 = ½ ✓")
        pdf = b"%PDF-1.7\n" + bytes(range(256)) * 64  # every byte value, 16 KiB
        doc = await bot.send_document(
            42, InputFile(BytesIO(pdf), filename="tanda-terima.pdf"), caption="Tanda terima"
        )
        assert doc.document is not None
        got = await (await bot.get_file(doc.document.file_id)).download_as_bytearray()
        await bot.edit_message_text("diubah", chat_id=42, message_id=sent.message_id)

    texts = [m.get("text") for m in api.messages(42)]
    assert texts[0] == "diubah"  # the edit reached the message it named
    assert api.calls_of("sendMessage")[0].params["text"].endswith("1 & 2 = ½ ✓")
    stored = api.messages(42)[1]["document"]
    assert stored["file_name"] == "tanda-terima.pdf"
    assert api.file_bytes(stored["file_id"]) == pdf
    assert bytes(got) == pdf
    assert api.messages(42)[1]["caption"] == "Tanda terima"


async def test_telegram_refusals_become_ptb_errors(api: BotApiEmulator) -> None:
    api.blocked.add(7)
    async with make_bot(api.base_url) as bot:
        with pytest.raises(Forbidden):
            await bot.send_message(7, "halo")
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("x", chat_id=42, message_id=999)


async def test_no_answer_in_time_is_timed_out() -> None:
    released = asyncio.Event()

    async def silent(_request: web.Request) -> web.Response:
        await released.wait()  # no answer until the test is over
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", silent)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{port}/bot{TOKEN}/getMe"
    try:
        async with AiohttpRequest(read_timeout=0.2) as request:  # the default
            with pytest.raises(TimedOut):
                await request.post(url)
        async with AiohttpRequest(read_timeout=30) as request:  # a call's own wins
            with pytest.raises(TimedOut):
                await asyncio.wait_for(request.post(url, read_timeout=0.2), 3)
    finally:
        released.set()
        await runner.cleanup()


async def test_nothing_listening_is_a_network_error() -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{free_port()}/bot{TOKEN}/getMe")
        assert not isinstance(caught.value, TimedOut)
        assert "aiohttp." in caught.value.message
    finally:
        await request.shutdown()


async def test_used_before_initialize_or_after_shutdown_is_refused() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:1/", "GET")
    await request.initialize()
    await request.initialize()  # twice: still the one session
    await request.shutdown()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:1/", "GET")


def test_the_channel_sends_and_polls_with_it(tg_services: Services) -> None:
    bot = build_application(tg_services).bot
    assert isinstance(bot.request, AiohttpRequest)
    assert isinstance(bot._request[0], AiohttpRequest)  # getUpdates: its own connection
    assert bot._request[0].pool_size == 1


async def test_an_office_proxy_in_the_environment_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HTTPS_PROXY/HTTP_PROXY are honoured as PTB's httpx client honoured them: a body whose
    network reaches Telegram only through its proxy keeps its bot."""
    seen: list[str] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head.split(b"\r\n", 1)[0].decode())
        await reader.readexactly(content_length(head))
        body = b'{"ok": true, "result": true}'
        status = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        writer.write(status.encode() + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy"):  # the lower-case one wins where both are set
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    try:
        async with AiohttpRequest() as request:
            assert await request.post(f"http://api.telegram.test/bot{TOKEN}/close") is True
    finally:
        server.close()
        await server.wait_closed()
    assert seen == [f"POST http://api.telegram.test/bot{TOKEN}/close HTTP/1.1"]


async def test_each_call_is_logged_at_debug_without_the_token(
    api: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="channels.telegram.http"):
        async with make_bot(api.base_url) as bot:
            await bot.send_message(42, "halo")
    lines = [r.getMessage() for r in caplog.records if r.name == "channels.telegram.http"]
    assert f"HTTP POST 127.0.0.1:{api.port}/.../sendMessage: 200" in lines
    assert not any(TOKEN.split(":", 1)[1] in line for line in lines)


async def test_a_slow_upload_is_not_cut_off_by_the_read_timeout() -> None:
    """aiohttp's read timeout runs while the body still goes up: a PDF on a slow uplink gets
    its write timeout on top (HTTPXRequest's media write timeout), an upload past that ends."""

    async def slow_reader(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length, got = content_length(head), 0
            while got < length:  # ~640 KB/s: a 1 MB document takes ~1.6 s
                got += len(await reader.read(64 * 1024))
                await asyncio.sleep(0.1)
            result = {"message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"}}
            if b"/getMe " in head.split(b"\r\n", 1)[0]:
                result = {"id": 1, "is_bot": True, "first_name": "Loket", "username": "loket_bot"}
            body = json.dumps({"ok": True, "result": result}).encode()
            writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client gave up
        finally:
            writer.close()

    server = await asyncio.start_server(slow_reader, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/bot"
    document = b"%PDF-1.7\n" + b"x" * 1_000_000
    try:
        async with make_bot(base, read_timeout=0.5) as bot:
            sent = await bot.send_document(42, InputFile(BytesIO(document), filename="a.pdf"))
            assert sent.message_id == 1
            with pytest.raises(TimedOut):
                await bot.send_document(
                    42, InputFile(BytesIO(document), filename="a.pdf"), write_timeout=0.2
                )
    finally:
        server.close()
        await server.wait_closed()
