"""CPU time of chosen coroutine functions during a figure (`--cpu-of module:Qualified.name`).

The event loop runs every task's steps on one thread, so the wall time of a call says little
about what it costs: most of it is other tasks' steps, run while it waited. This counts only
the thread's CPU time (`time.thread_time`) while the call's own coroutine runs, its awaits
excluded: SQLAlchemy's synchronous work under the call (greenlets) is inside, the driver's
thread is not. A function called inside another one that is measured is counted in both.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import time
import types
from collections import Counter
from collections.abc import Callable, Coroutine, Generator, Iterator, Sequence
from typing import Any


class CpuOf:
    """What the wrapped functions cost: calls and CPU seconds, by target."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    @contextlib.contextmanager
    def measuring(self, targets: Sequence[str]) -> Iterator[CpuOf]:
        """Wrap each `module:Qualified.name` coroutine function for the block, then put the
        originals back."""
        undo: list[tuple[Any, str, Any]] = []
        try:
            for target in targets:
                owner, name, original = _resolve(target)
                undo.append((owner, name, original))
                setattr(owner, name, self._wrap(original, target))
            yield self
        finally:
            for owner, name, original in reversed(undo):
                setattr(owner, name, original)

    def report(self) -> dict[str, dict[str, float]]:
        """By target: calls, CPU milliseconds a call, CPU seconds in all."""
        return {
            target: {
                "calls": self.calls[target],
                "cpu_ms_per_call": round(self.seconds[target] / self.calls[target] * 1000, 3),
                "cpu_seconds": round(self.seconds[target], 3),
            }
            for target in self.calls
        }

    def _wrap(self, function: Callable[..., Coroutine[Any, Any, Any]], target: str) -> Any:
        @functools.wraps(function)
        async def measured(*args: Any, **kwargs: Any) -> Any:
            return await self._timed(function(*args, **kwargs).__await__(), target)

        return measured

    @types.coroutine
    def _timed(self, steps: Generator[Any, Any, Any], target: str) -> Generator[Any, Any, Any]:
        """Drive `steps` as `await` would, adding up the CPU time of each of its steps."""
        spent, value, error = 0.0, None, None
        try:
            while True:
                started = time.thread_time()
                try:
                    yielded = steps.throw(error) if error is not None else steps.send(value)
                except StopIteration as stop:
                    return stop.value
                finally:
                    spent += time.thread_time() - started
                try:
                    value, error = (yield yielded), None
                except BaseException as thrown:  # a cancellation goes on into the call
                    value, error = None, thrown
        finally:
            self.seconds[target] += spent
            self.calls[target] += 1


def _resolve(target: str) -> tuple[Any, str, Any]:
    """`module:Class.method` or `module:function` -> (its owner, its name, the function)."""
    module_name, _, qualified = target.partition(":")
    if not qualified:
        raise SystemExit(f"--cpu-of {target!r}: write it as module:Qualified.name")
    owner: Any = importlib.import_module(module_name)
    *path, name = qualified.split(".")
    for part in path:
        owner = getattr(owner, part)
    function = getattr(owner, name)
    if not callable(function):
        raise SystemExit(f"--cpu-of {target!r} is not a function")
    return owner, name, function
