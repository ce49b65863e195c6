"""PDFs are rendered in a child process of Loket's own: the event loop never runs WeasyPrint,
a document that stalls is cut off, and a renderer killed from outside is replaced."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from bot.letters.pdf import RENDER_NICENESS, PdfRenderer, PdfRenderFailed, render_pdf


def pid_of_renderer(html: str) -> bytes:
    """A stand-in converter that tells which process ran it."""
    return f"{html}:{os.getpid()}".encode()


def niceness_of_renderer(html: str) -> bytes:
    """A stand-in converter that tells the CPU priority of the process that ran it."""
    return f"{html}:{os.nice(0)}".encode()


def stalls(html: str) -> bytes:
    """A converter that never finishes in time when asked to stall."""
    if html == "stall":
        time.sleep(60)
    return pid_of_renderer(html)


@pytest.fixture
def renderers() -> list[PdfRenderer]:
    made: list[PdfRenderer] = []
    yield made
    for renderer in made:
        renderer.close()


async def test_letters_render_in_another_process_while_the_loop_runs(
    renderers: list[PdfRenderer],
) -> None:
    renderer = PdfRenderer(pid_of_renderer)
    renderers.append(renderer)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    try:
        first, second = await asyncio.gather(renderer.render("a"), renderer.render("b"))
    finally:
        ticker.cancel()
    child = int(first.split(b":")[1])
    assert child != os.getpid()
    assert second == f"b:{child}".encode()  # one child, reused
    assert ticks > 0


async def test_letters_render_below_the_event_loops_priority(
    renderers: list[PdfRenderer],
) -> None:
    """A burst of filings renders a receipt each: the renderer yields the CPU to the process
    handling the people (RENDER_NICENESS), so it never takes a core from the event loop."""
    renderer = PdfRenderer(niceness_of_renderer)
    renderers.append(renderer)
    got = await renderer.render("x")
    assert int(got.split(b":")[1]) == min(os.nice(0) + RENDER_NICENESS, 19)
    assert RENDER_NICENESS > 0


async def test_a_stalled_document_is_cut_off_and_the_next_one_renders(
    renderers: list[PdfRenderer],
) -> None:
    renderer = PdfRenderer(stalls, timeout_seconds=3)
    renderers.append(renderer)
    stalled_in = int((await renderer.render("warm")).split(b":")[1])
    with pytest.raises(PdfRenderFailed):
        await renderer.render("stall")
    after = int((await renderer.render("next")).split(b":")[1])
    assert after != stalled_in  # the stalled child was killed, a fresh one took over
    with pytest.raises(ProcessLookupError):
        os.kill(stalled_in, 0)


async def test_a_renderer_killed_from_outside_is_replaced_without_losing_the_document(
    renderers: list[PdfRenderer],
) -> None:
    renderer = PdfRenderer(pid_of_renderer)
    renderers.append(renderer)
    child = int((await renderer.render("warm")).split(b":")[1])
    os.kill(child, signal.SIGKILL)
    again = await renderer.render("doc")
    assert again.startswith(b"doc:") and int(again.split(b":")[1]) != child


async def test_the_real_renderer_makes_a_pdf() -> None:
    pdf = await render_pdf("<p>Tanda terima</p>")
    assert pdf.startswith(b"%PDF-")
