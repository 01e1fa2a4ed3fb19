"""Warm starts: children started ahead, so a submission does not wait for Python and NumPy.

A child's start (the interpreter, NumPy, this package: ~0.15 s on an idle core) happens before
it knows its submission or its limits, which it gets with the ``load`` request, so it can be
started early. :class:`Spares` keeps ``count`` children starting or ready; :meth:`Spares.take`
hands one out (with the caller's limits) and starts its replacement at once, so the next
submission's start overlaps this one's verification. Each child still serves one submission
only and is killed after it: nothing one student's code does reaches the next.
"""

from __future__ import annotations

from collections import deque

from comparisons.verification.sandbox.limits import Limits
from comparisons.verification.sandbox.process import Sandbox


class Spares:
    """Children started ahead (``count`` >= 1); ``with Spares() as s:`` closes the unused."""

    def __init__(self, count: int = 1) -> None:
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count: expected a positive integer, got {count!r}")
        self.count = count
        self.ready: deque[Sandbox] = deque()

    def take(self, limits: Limits) -> Sandbox:
        """A started child for one submission under ``limits``; its replacement starts now."""
        while len(self.ready) < self.count + 1:
            self.ready.append(Sandbox(Limits()))
        sandbox = self.ready.popleft()
        sandbox.limits = limits
        return sandbox

    def close(self) -> None:
        """Kill the children not handed out."""
        while self.ready:
            self.ready.popleft().close()

    def __enter__(self) -> Spares:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
