"""Several real `loket run` workers in tests: each a subprocess with its own log, talking to the
loopback servers through proxies of its own, so a test sees what each one does and can hold
its outbound traffic before killing it.

- `CountingProxy`: HTTP to the Bot API emulator; counts the methods called, and `hold()` parks
  new requests (never forwarded) while `settled()` waits for the ones already forwarded.
- `TcpProxy`: bytes to the SMTP sink; `hold()` stops forwarding what the worker sends, so a
  mail not yet handed over whole is never accepted.
- `RoundRobin`: the reverse proxy in front of several workers' webhooks.
- `Worker`: one `loket run` subprocess and its log.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web


class CountingProxy:
    """Forwards every request to `upstream` and counts the (last path segment) methods."""

    def __init__(self, upstream: str) -> None:
        self.upstream, self.calls = upstream, Counter[str]()
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._open = asyncio.Event()
        self._open.set()
        self.in_flight = 0
        self.port = 0

    async def start(self) -> CountingProxy:
        """Listen on a free loopback port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    def hold(self) -> None:
        """Forward nothing new from now on (requests wait here, and are never delivered)."""
        self._open.clear()

    async def settled(self, within: float = 30.0) -> None:
        """Wait until no forwarded request is still waiting for its answer."""
        for _ in range(int(within * 50)):
            if not self.in_flight:
                return
            await asyncio.sleep(0.02)

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        await self._open.wait()
        self.calls[request.path.rsplit("/", 1)[-1]] += 1
        assert self._client is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host",)}
        self.in_flight += 1
        try:
            async with self._client.request(
                request.method, self.upstream + request.path_qs, headers=headers, data=body
            ) as answer:
                data = await answer.read()
                return web.Response(status=answer.status, body=data,
                                    content_type=answer.content_type)  # fmt: skip
        finally:
            self.in_flight -= 1

    async def stop(self) -> None:
        """Release parked requests, close the listener and the upstream client."""
        self._open.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()


class TcpProxy:
    """Forwards TCP connections to 127.0.0.1:`upstream_port`, until `hold()`."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._server: asyncio.Server | None = None
        self._held = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> TcpProxy:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def hold(self) -> None:
        """Stop forwarding what clients send (answers already on their way still arrive)."""
        self._held = True

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer, outbound=True)),
            asyncio.create_task(self._pump(up_reader, writer, outbound=False)),
        ]
        self._tasks.update(pumps)
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for task in pumps:
            task.cancel()
        for w in (writer, up_writer):
            with contextlib.suppress(Exception):
                w.close()
        self._tasks.difference_update(pumps)

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, outbound: bool
    ) -> None:
        while data := await source.read(65536):
            if outbound and self._held:
                continue  # dropped: the sink never sees the rest of this mail
            sink.write(data)
            await sink.drain()

    async def stop(self) -> None:
        """Close the listener and every connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()


class RoundRobin:
    """The reverse proxy in front of the workers' webhooks: each call to the next worker that
    answers (a dead one refuses the connection and the next is tried)."""

    def __init__(self, ports: list[int], path: str, keep_headers: tuple[str, ...] = ()) -> None:
        """Forward POSTs to `path` with Content-Type and `keep_headers` (e.g. a secret)."""
        self.ports, self.path, self.answered = ports, path, Counter[int]()
        self.keep = {h.lower() for h in ("Content-Type", *keep_headers)}
        self._next = 0
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.port = 0

    async def start(self) -> RoundRobin:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_post(self.path, self._forward)
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        assert self._client is not None
        for _ in range(len(self.ports)):
            port = self.ports[self._next % len(self.ports)]
            self._next += 1
            try:
                headers = {k: v for k, v in request.headers.items() if k.lower() in self.keep}
                async with self._client.post(
                    f"http://127.0.0.1:{port}{self.path}", data=body, headers=headers
                ) as answer:
                    if answer.status == 200:
                        self.answered[port] += 1
                    return web.Response(status=answer.status)
            except aiohttp.ClientError:
                continue
        return web.Response(status=502)

    async def stop(self) -> None:
        """Close the listener and the client."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()


class Worker:
    """One `loket run` subprocess with its environment and log file."""

    def __init__(
        self, name: str, workdir: Path, env: dict[str, str], proxy: CountingProxy | None = None
    ) -> None:
        """`proxy`: this worker's way to the Bot API (its URLs are set in the environment)."""
        self.name, self.workdir, self.env, self.proxy = name, workdir, dict(env), proxy
        if proxy is not None:
            self.env["TELEGRAM_API_BASE_URL"] = f"http://127.0.0.1:{proxy.port}/bot"
            self.env["TELEGRAM_FILE_BASE_URL"] = f"http://127.0.0.1:{proxy.port}/file/bot"
        self.log = workdir / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> Worker:
        """Start `loket run`."""
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-c", "from app.cli.main import main; main()", "run",
                env=self.env, cwd=self.workdir, stdout=out, stderr=out,
            )  # fmt: skip
        return self

    @property
    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc is not None and self.proc.returncode is None

    def text(self) -> str:
        """Everything the worker logged so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def wait_log(self, needle: str, within: float = 60.0) -> None:
        """Wait until the log contains `needle` (fail with the log if it never does)."""
        deadline = time.monotonic() + within
        while True:
            if needle in self.text():
                return
            if not self.alive or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        pytest.fail(f"{self.name} never logged {needle!r}:\n{self.text()[-3000:]}")

    async def end(self, signum: int = signal.SIGTERM) -> None:
        """Send `signum` and wait for the process."""
        if not self.alive:
            return
        assert self.proc is not None
        self.proc.send_signal(signum)
        try:
            await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
