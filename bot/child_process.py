"""One child process of Loket's own for work that must not stall or kill it (reading hostile
mail, rendering PDFs): a one-process `ProcessPoolExecutor`, spawn context, whose process dies
with Loket, has a capped address space and no hold on Loket's terminal or pipes.

Callers reach it with `loop.run_in_executor(child.executor(), function, ...)`; a child that
ran out of time or memory is killed with `kill()` and the next call starts a fresh one.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import resource
import signal
import sys
from concurrent.futures import ProcessPoolExecutor

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
# How long a busy child gets to finish when Loket stops, before it is killed.
CLOSE_GRACE_SECONDS = 2.0


def prepare_child(megabytes: int, parent_pid: int | None = None, niceness: int = 0) -> None:
    """Pool initializer: cap this process's address space (RLIMIT_AS) at `megabytes`, die with
    its parent, let go of the parent's stdout and stderr, and yield the CPU to Loket's own
    process by `niceness` (0: as Loket).

    Loket may be killed (SIGKILL, the OOM killer); a child left behind would hold the terminal
    or the pipe of whoever started Loket open forever. On Linux the kernel kills the child when
    the thread that started it dies (PR_SET_PDEATHSIG): start children from the event loop's
    thread, which lives as long as Loket.
    """
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent_pid is not None and os.getppid() != parent_pid:
        # Loket died while this child was still starting, before the kernel could be asked to
        # end it with Loket: nobody will ever give it work.
        os._exit(0)
    if niceness:
        os.nice(niceness)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


class ChildProcess:
    """One process of its own (a one-process pool), started when first used, so that work that
    kills or stalls it takes nothing else down with it. `niceness`: how far below Loket the
    child's CPU priority is (work nobody waits for at that moment, so the event loop that
    answers people goes first when both want a core)."""

    def __init__(self, memory_mb: int, *, niceness: int = 0) -> None:
        self.memory_mb, self.niceness = memory_mb, niceness
        self.pool: ProcessPoolExecutor | None = None

    def executor(self) -> ProcessPoolExecutor:
        """The pool of the running child; a new one (its process starts on first use) after
        `kill()` or `close()`."""
        if self.pool is None:
            # spawn: the child is Loket's own, so PR_SET_PDEATHSIG ends it with Loket (a
            # forkserver's children keep the forkserver, and each other, alive).
            context = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=context,
                initializer=prepare_child,
                initargs=(self.memory_mb, os.getpid(), self.niceness),
            )
        return self.pool

    def kill(self) -> bool:
        """Kill the process (it may still be busy); True when there was one."""
        pool, self.pool = self.pool, None
        if pool is None:
            return False
        # ProcessPoolExecutor.kill_workers() arrives in Python 3.14; until then, its processes.
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        return True

    def close(self) -> None:
        """Stop the process: at once when idle, killed after CLOSE_GRACE_SECONDS when busy."""
        pool, self.pool = self.pool, None
        if pool is None:
            return
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(CLOSE_GRACE_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()
