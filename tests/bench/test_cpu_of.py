"""bench/cpu_of.py: the CPU of chosen coroutine functions, their awaits left out."""

from __future__ import annotations

import asyncio
import sys
import types

import pytest

from bench.cpu_of import CpuOf

probe = types.ModuleType("loket_cpu_probe")


class Worker:
    async def work(self, rounds: int) -> int:
        """Burns some CPU, then waits (not CPU), `rounds` times; returns what it counted."""
        counted = 0
        for _ in range(rounds):
            counted += sum(range(20_000))
            await asyncio.sleep(0.05)
        return counted

    async def fail(self) -> None:
        await asyncio.sleep(0)
        raise LookupError("gone")


probe.Worker = Worker  # type: ignore[attr-defined]
sys.modules[probe.__name__] = probe


async def test_calls_are_counted_with_their_cpu_and_without_their_waits() -> None:
    costs = CpuOf()
    with costs.measuring(["loket_cpu_probe:Worker.work"]):
        results = await asyncio.gather(*(Worker().work(4) for _ in range(3)))
    assert results == [4 * sum(range(20_000))] * 3  # the call's own result, unchanged
    (report,) = costs.report().values()
    assert report["calls"] == 3
    assert 0 < report["cpu_seconds"] < 0.3  # 3 x 0.2 s went by in the calls' waits


async def test_an_error_reaches_the_caller_and_the_originals_come_back() -> None:
    original = Worker.work
    costs = CpuOf()
    with costs.measuring(["loket_cpu_probe:Worker.fail", "loket_cpu_probe:Worker.work"]):
        assert Worker.work is not original
        with pytest.raises(LookupError):
            await Worker().fail()
    assert Worker.work is original
    assert costs.report()["loket_cpu_probe:Worker.fail"]["calls"] == 1


async def test_a_cancelled_call_is_cancelled_inside_too() -> None:
    cancelled = asyncio.Event()

    class Waiting(Worker):
        async def work(self, rounds: int) -> int:
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                cancelled.set()
                raise
            return 0

    probe.Waiting = Waiting  # type: ignore[attr-defined]
    with CpuOf().measuring(["loket_cpu_probe:Waiting.work"]):
        task = asyncio.create_task(Waiting().work(1))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert cancelled.is_set()


def test_a_target_without_its_module_is_refused() -> None:
    with pytest.raises(SystemExit, match=r"module:Qualified\.name"), CpuOf().measuring(["work"]):
        pass
