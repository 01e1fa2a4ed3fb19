"""Warm starts: children started ahead, so a submission does not wait for Python and NumPy.

A child's start (the interpreter, NumPy, this package: ~0.15 s on an idle core) happens before
it knows its submission or its limits, which it gets with the ``load`` request, so it can be
started early, and forked from a fork server that imported NumPy once
(:mod:`~comparisons.verification.sandbox.forkserver`: a fork instead of a Python start).
:class:`Spares` keeps ``count`` children ready; :meth:`Spares.take` hands one out (with the
caller's limits) and a thread of its own starts the replacement, so the next submission's
start (the fork server's round trip included) overlaps this one's verification; with
``count = 0``, or when none is ready yet, :meth:`Spares.take` starts one itself. Each child
still serves one submission only and is killed after it: nothing one student's code does
reaches the next.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections import deque
from collections.abc import Callable

from comparisons.verification.sandbox.limits import Limits
from comparisons.verification.sandbox.process import Sandbox
from comparisons.verification.sandbox.zygote import Zygote


class Spares:
    """Children started ahead (``count`` >= 0); ``with Spares() as s:`` closes the unused.

    ``fork``: fork each child from a fork server (:mod:`.zygote`: NumPy imported once) rather
    than start a fresh interpreter; default on POSIX. ``preload``: what that server imports
    besides (``("torch",)`` for notebooks, which import it); ignored without ``fork``."""

    def __init__(self, count: int = 1, *, fork: bool | None = None,
                 preload: tuple[str, ...] = ()) -> None:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"count: expected an integer >= 0, got {count!r}")
        self.count = count
        forked = sys.platform != "win32" if fork is None else fork
        self.zygote = Zygote(preload) if forked else None
        self.ready: deque[Sandbox] = deque()
        self.lock = threading.Lock()
        self.closed = False
        self.endings: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self.reaper = threading.Thread(target=self._reap, name="spares-reaper", daemon=True)
        self.reaper.start()
        self.wanted = threading.Condition(self.lock)
        self.filler = threading.Thread(target=self._fill, name="spares-filler", daemon=True)
        self.filler.start()

    def end(self, finish: Callable[[], None]) -> None:
        """Have ``finish`` (wait for a killed child, remove its folder) run by the reaper, or
        here once these spares are closed."""
        with self.lock:
            if not self.closed:
                self.endings.put(finish)
                return
        finish()

    def _reap(self) -> None:
        """Wait for each killed child and remove its folder (off the submissions' path)."""
        while (ending := self.endings.get()) is not None:
            try:
                ending()
            except Exception:  # noqa: S110 - a folder left behind must not stop the reaper
                pass

    def _new(self) -> Sandbox:
        return Sandbox(Limits(), None if self.zygote is None else self.zygote.start)

    def _fill(self) -> None:
        """Keep ``count`` children ready (off the callers' path) until closed."""
        while True:
            with self.lock:
                while not self.closed and len(self.ready) >= self.count:
                    self.wanted.wait()
                if self.closed:
                    return
            try:
                sandbox = self._new()
            except OSError:  # the fork server is gone (closing); take() then starts one
                return
            with self.lock:
                if self.closed:
                    sandbox.close()
                    return
                self.ready.append(sandbox)

    def take(self, limits: Limits) -> Sandbox:
        """A started child for one submission under ``limits``; its replacement starts now."""
        with self.lock:
            sandbox = self.ready.popleft() if self.ready else None
            self.wanted.notify()
        if sandbox is None:
            sandbox = self._new()
        sandbox.limits = limits
        sandbox.reaper = self.end
        return sandbox

    def close(self) -> None:
        """Kill the children not handed out, wait for those handed out to be reaped, and
        stop the fork server."""
        with self.lock:
            self.closed = True
            self.wanted.notify_all()
        self.filler.join()
        with self.lock:
            while self.ready:
                self.ready.popleft().close()
            self.endings.put(None)
        self.reaper.join()
        if self.zygote is not None:
            self.zygote.close()

    def __enter__(self) -> Spares:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
