"""`curl /metrics` during the demo shows the counters moving: the demo's service serves its
HTTP server on loopback, and two scrapes around the story's first requests differ."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import aiohttp

from app.demo.scenario import DESK_CHAT, STEPS, Story
from app.demo.world import open_world, start_service


def _figures(text: str) -> dict[str, float]:
    """Each metric's samples summed (labels dropped), plus `<name>{status="sent"}` kept apart."""
    totals: dict[str, float] = defaultdict(float)
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_labels, _, value = line.rpartition(" ")
        name = name_labels.split("{", 1)[0]
        totals[name] += float(value)
        if 'status="sent"' in name_labels:
            totals[f"{name}:sent"] += float(value)
    return dict(totals)


async def _scrape(url: str) -> dict[str, float]:
    async with aiohttp.ClientSession() as http, http.get(url) as answer:
        assert answer.status == 200
        return _figures(await answer.text())


async def test_the_demo_serves_metrics_that_move_while_it_plays() -> None:
    world = await open_world(desk_chat=DESK_CHAT)
    try:
        story = Story(world, lambda who, text: None)
        steps = dict(STEPS)
        await steps["report.demo.step.setup"](story)
        start_service(world)
        await story.settle()
        before: dict[str, float] = {}
        for _ in range(200):  # the server starts with the service, in the background
            try:
                before = await _scrape(world.metrics_url)
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        assert before, "the demo's HTTP server never answered"
        await steps["report.demo.step.telegram"](story)
        await steps["report.demo.step.email"](story)
        after = await _scrape(world.metrics_url)
    finally:
        await world.close()
    for name in (
        "loket_messages_received_total",
        "loket_cases_opened_total",
        "loket_outbox_messages:sent",
    ):
        assert after.get(name, 0) > before.get(name, 0), (name, before, after)
