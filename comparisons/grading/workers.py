"""Grader processes: ``jobs`` copies of the grader, each verifying submissions in its sandbox.

The verification a sandboxed submission needs in the grader (the reference, finite
differences, the diagnosis: ~30 ms of Python per two_layer file) holds the GIL, so threads in
one process verify one submission at a time however many cores there are. Instead each job is
a grader process of its own, forked from the warm server (:mod:`comparisons.grading.server`:
torch and the verification imported once), with its own
:class:`~comparisons.verification.isolation.Spares` (and, once a lab item comes, spares whose
fork server imported torch, which every lab notebook imports); each submission still runs in a
sandboxed child of that process, so what a student's code does never reaches a grader (see
:mod:`comparisons.grading.runner`). A grader process is trusted code: it sends back the plain
rows it computed.

The parent hands out one task at a time to an idle grader and collects the rows in
completion order (``on_done`` in the calling thread: one writer). A grader that ends without
a row (a bug of ours, the memory killer) makes that task an ``error`` row and is replaced;
one still busy past :func:`deadline` (the sandbox's own limits failed to end the submission)
is killed, its task a ``timeout`` row, and replaced. The grader keeps going either way.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

import torch

from comparisons.grading.pool import Task
from comparisons.grading.server import start
from comparisons.verification.isolation import Limits, Spares

Verifier = Callable[[Task, Limits, Spares], dict[str, Any]]
NOTEBOOK_PRELOAD = ("torch",)
"""What the children of a lab item's spares find imported (every shipped lab imports torch:
~2 s of each child's time otherwise, three children a student and lab)."""
SLACK = 30.0
"""Seconds beyond a task's own limits before its grader process is deemed stuck."""


def deadline(task: Task, limits: Limits, slack: float = SLACK) -> float:
    """The seconds after which a grader still busy with ``task`` is killed: the sandbox ends
    each verification within its total timeout, a lab item runs one per exercise."""
    return limits.total_timeout * (1 + len(task.checks)) + slack


def serve(conn: Connection, verify: Verifier, limits: Limits) -> None:
    """A grader process: verify each task received until None, sending ``(key, row,
    seconds)`` back (a failure of the grader itself is an ``error`` row, said as such). A
    Ctrl-C reaches the whole process group: the parent says it was interrupted, a grader
    just stops (its spares' children killed), without a traceback of its own."""
    torch.set_num_threads(1)
    try:
        with Spares(1) as spares, ExitStack() as later:
            notebooks: Spares | None = None
            while (task := conn.recv()) is not None:
                begin = time.perf_counter()
                chosen = spares
                if task.lab is not None:  # its spares started at the first lab task
                    if notebooks is None:
                        notebooks = later.enter_context(Spares(1, preload=NOTEBOOK_PRELOAD))
                    chosen = notebooks
                try:
                    result = verify(task, limits, chosen)
                except Exception as exc:  # the grader's own failure, not the student's
                    result = {"status": "error",
                              "reason": f"the grader failed: {type(exc).__name__}: {exc}"}
                conn.send((task.key, result, time.perf_counter() - begin))
    except (KeyboardInterrupt, EOFError, BrokenPipeError):  # stopped, or the parent is gone
        pass
    conn.close()


@dataclass
class Grader:
    """A grader process, its end of the pipe, and the task it is on (None: idle)."""

    process: Any
    conn: Connection
    task: Task | None = None
    since: float = 0.0


class Graders:
    """``jobs`` grader processes running ``verify`` (a module-level function: it is sent to
    the processes by name) under ``limits``; ``with Graders(...) as g: g.run(...)``.
    ``slack``: the seconds past a task's limits before its grader is deemed stuck."""

    def __init__(self, jobs: int, verify: Verifier, limits: Limits,
                 slack: float = SLACK) -> None:
        self.ctx, self.verify, self.limits, self.slack = start(), verify, limits, slack
        self.graders = [self._new() for _ in range(jobs)]

    def _new(self) -> Grader:
        mine, theirs = self.ctx.Pipe(duplex=True)
        process = self.ctx.Process(target=serve, args=(theirs, self.verify, self.limits),
                                   daemon=True, name="backprop-lab-grader")
        process.start()
        theirs.close()
        return Grader(process, mine)

    def _give(self, grader: Grader, task: Task) -> None:
        grader.task, grader.since = task, time.perf_counter()
        grader.conn.send(task)

    def _replace(self, grader: Grader) -> Grader:
        grader.conn.close()
        if grader.process.is_alive():
            grader.process.kill()
        grader.process.join(5)
        fresh = self._new()
        self.graders[self.graders.index(grader)] = fresh
        return fresh

    def _collect(self, grader: Grader) -> tuple[Task, dict[str, Any], float] | None:
        """The finished row of ``grader`` (a replacement grader then stands in its place when
        it died or got stuck), or None while it is still within its deadline."""
        task = grader.task
        assert task is not None
        seconds = time.perf_counter() - grader.since
        if grader.conn.poll():
            try:
                _, result, seconds = grader.conn.recv()
                grader.task = None
                return task, result, seconds
            except (EOFError, OSError):
                pass
        elif grader.process.is_alive():
            if seconds <= deadline(task, self.limits, self.slack):
                return None
            self._replace(grader)
            return task, {"status": "timeout", "reason": f"the grader stopped waiting after "
                          f"{seconds:.0f} s (the submission's limits did not end it)"}, seconds
        grader.process.join(1)  # its pipe closes a moment before its exit code is known
        code = grader.process.exitcode
        self._replace(grader)
        return task, {"status": "error", "reason": f"the grader's process ended (exit code "
                      f"{code}) while grading this submission; the others were graded"}, seconds

    def run(self, tasks: Sequence[Task],
            on_done: Callable[[Task, dict[str, Any], float], None]) -> None:
        """Grade every task, ``on_done(task, row, seconds)`` as each ends."""
        todo = deque(tasks)
        for grader in self.graders:
            if todo:
                self._give(grader, todo.popleft())
        while any(g.task is not None for g in self.graders):
            busy = [g for g in self.graders if g.task is not None]
            wait([x for g in busy for x in (g.conn, g.process.sentinel)], timeout=1.0)
            for grader in busy:
                done = self._collect(grader)
                if done is None:
                    continue
                on_done(*done)
                if todo:
                    idle = next(g for g in self.graders if g.task is None)
                    self._give(idle, todo.popleft())

    def close(self) -> None:
        """Stop every grader process (an idle one ends on None; a busy one is killed)."""
        for grader in self.graders:
            try:
                if grader.task is None:
                    grader.conn.send(None)
            except OSError:
                pass
        for grader in self.graders:
            grader.process.join(5 if grader.task is None else 0)
            if grader.process.is_alive():
                grader.process.kill()
                grader.process.join(5)
            grader.conn.close()

    def __enter__(self) -> Graders:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
