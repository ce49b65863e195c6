"""PDF documents from one self-contained HTML page (WeasyPrint), with no network access.

Letters and reports are written as HTML (one template per document) and turned into PDF here.
Only `data:` and local `file:` resources are ever loaded: text a citizen typed can end up in a
document, and a document must never make the server fetch a URL.

WeasyPrint holds the GIL for most of a document (0.1-0.2 s for a letter on an idle core, 0.7 s
on a busy one), and every case filed by a citizen sends a receipt letter: rendered in a thread,
a burst of new cases would starve the event loop (the chat handlers, intake, the dispatcher).
So `render_pdf` renders in a child process of its own (bot/child_process.py), one document at
a time, each with a time limit; a child that stalls or dies is replaced.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool

from bot.child_process import ChildProcess

# A4 with the margins of an Indonesian official letter (Permendagri 1/2023 tata naskah dinas
# uses 2-3 cm); body text in DejaVu, which Debian installs and which covers every script a name
# may be written in.
PRINT_STYLE = """
@page { size: A4; margin: 2cm 2cm 2cm 2.5cm; }
body { font-family: "DejaVu Serif", serif; font-size: 11pt; line-height: 1.35; color: #000; }
"""


LOCAL_RESOURCES = frozenset({"data", "file"})
# A letter takes well under a second; this is for a document gone wrong (or a machine in
# trouble), after which its child is killed and the send is tried again later.
RENDER_TIMEOUT_SECONDS = 120.0
# The child's address space: WeasyPrint, Pango and the fonts take about 220 MB of it.
RENDER_MEMORY_MB = 1024
# The renderer's CPU priority below Loket's (nice +10): a burst of filings queues a receipt
# letter each, 0.1-0.2 s of one core a letter, while the same burst's later submits are being
# handled; on two cores the child competed at equal priority with the event loop and SQLite's
# thread (docs/benchmarks.md, "Bot API calls with aiohttp; receipts rendered below the
# handlers' priority": no gain visible in the filing p99). A letter is sent when rendered, and
# nobody waits for it the way a chat waits for its answer.
RENDER_NICENESS = 10


class PdfRenderFailed(RuntimeError):
    """A document could not be rendered in time, or its renderer process died twice."""


def html_to_pdf(html: str) -> bytes:
    """The PDF of `html`; remote resources are refused, so rendering never touches the network."""
    # Loaded with the first PDF, not with the module: WeasyPrint (Pango, fontTools) takes about
    # a second to import, and most `loket` commands never render a document.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(timeout=5, allowed_protocols=LOCAL_RESOURCES)
    document = HTML(string=html, url_fetcher=fetcher, base_url=".")
    return document.write_pdf()  # type: ignore[no-any-return]


class PdfRenderer:
    """Renders documents one at a time in a child process, so neither the GIL WeasyPrint holds
    nor a document that stalls or crashes it reaches the event loop."""

    def __init__(
        self,
        convert: Callable[[str], bytes] = html_to_pdf,
        timeout_seconds: float = RENDER_TIMEOUT_SECONDS,
    ) -> None:
        self.convert, self.timeout_seconds = convert, timeout_seconds
        self._child = ChildProcess(RENDER_MEMORY_MB, niceness=RENDER_NICENESS)
        # One document at a time in the one child, so each one's time limit is its own; the
        # lock of the running event loop (tests run several loops, one after the other).
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._guard:
            for closed in [known for known in self._locks if known.is_closed()]:
                del self._locks[closed]
            return self._locks.setdefault(loop, asyncio.Lock())

    async def render(self, html: str) -> bytes:
        """The PDF of `html` (`convert(html)`), made in the child; PdfRenderFailed when it took
        longer than the time limit or the child died on it twice."""
        async with self._lock():
            try:
                return await self._in_child(html)
            except BrokenProcessPool:
                # Killed from outside (the OOM killer, an operator): once more on a new one.
                self._child.kill()
            try:
                return await self._in_child(html)
            except BrokenProcessPool:
                self._child.kill()
                raise PdfRenderFailed("the renderer process died") from None

    async def _in_child(self, html: str) -> bytes:
        # Started from the event loop's thread, which lives as long as Loket, so the kernel
        # ends the child with Loket (bot/child_process.py).
        pool = self._child.executor()
        future = asyncio.get_running_loop().run_in_executor(pool, self.convert, html)
        try:
            return await asyncio.wait_for(future, self.timeout_seconds)
        except TimeoutError:
            self._child.kill()
            raise PdfRenderFailed("rendering took too long") from None

    def close(self) -> None:
        """Stop the child process (a new one starts with the next document)."""
        self._child.close()


_renderer = PdfRenderer()


async def render_pdf(html: str) -> bytes:
    """`html_to_pdf` in Loket's PDF process, so a document never stalls the event loop."""
    return await _renderer.render(html)
