"""Run an experiment's independent trainings over worker processes: ``--jobs N``.

:func:`parallel_map` applies ``fn(shared, task)`` to every task and returns the results in task
order. With ``jobs == 1`` (or a single task) it runs them here, one after the other; otherwise
over ``min(jobs, len(tasks))`` worker processes of the standard library's
``concurrent.futures.ProcessPoolExecutor``, forked from a fresh server process (``forkserver``;
``spawn`` where there is none), never from this one: no thread pool of this process is
inherited half-initialised, as a plain ``fork`` would. ``shared`` (e.g.
the folds' arrays) is sent once per worker, each task's arguments once per task; a
:class:`WorkerPool` keeps its processes for several maps over the same ``shared``.

Reproducibility: every worker, and this process while it runs tasks, computes with one thread
(:func:`single_threaded` here, :func:`init_worker` in a worker: torch's intra-op pool and the
BLAS/OpenMP pools through threadpoolctl), and a task's random streams come from its own
arguments (seeds per configuration, fold or seed; never per worker). So a task computes the
same bits wherever it runs, and the results, collected in task order, are identical whatever
``jobs`` is. One tqdm bar counts finished tasks for the whole sweep.

``fn`` must be a module-level function and ``shared``, the tasks and the results picklable
(dataclasses, arrays, tuples; not lambdas).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

import torch
from threadpoolctl import threadpool_limits

from comparisons.experiments.threads import single_threaded

T = TypeVar("T")
R = TypeVar("R")

_STATE: dict[str, Any] = {}  # in a worker: "shared" and the threadpoolctl limit kept alive


def init_worker(shared: Any) -> None:
    """A worker's initializer: one thread for torch and for BLAS/OpenMP; keep ``shared``."""
    torch.set_num_threads(1)
    _STATE["limits"] = threadpool_limits(limits=1)
    _STATE["shared"] = shared


def call_in_worker(fn: Callable[[Any, T], R], task: T) -> R:
    """``fn(shared, task)`` with the ``shared`` this worker was started with."""
    return fn(_STATE["shared"], task)


def start_context(fn: Callable[..., Any]) -> Any:
    """How workers start: ``forkserver`` where the OS has it (a fresh server process that has
    imported torch and ``fn``'s module once; each worker is a fork of it, so a pool starts in
    a fraction of a second instead of an import of torch per worker), else ``spawn``."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, fn.__module__])  # used when the server starts
    return context


def workers_for(jobs: int, tasks: int) -> int:
    """How many processes train ``tasks`` tasks with ``--jobs jobs``: 1 means this process."""
    if jobs < 1:
        raise ValueError(f"jobs: expected an integer >= 1, got {jobs}")
    return max(1, min(jobs, tasks))


def parallel_map(fn: Callable[[Any, T], R], tasks: Sequence[T], *, shared: Any = None,
                 jobs: int = 1, progress: bool = False, desc: str = "sweep",
                 unit: str = "run") -> list[R]:
    """``[fn(shared, t) for t in tasks]``, over ``workers_for(jobs, len(tasks))`` processes.

    Results are in task order whatever order they finish in; the first exception a task
    raises is raised here (the tasks not started are cancelled). ``progress``: one tqdm bar
    over the tasks, advanced as each one finishes.
    """
    with WorkerPool(jobs, shared) as pool:
        return pool.map(fn, tasks, progress=progress, desc=desc, unit=unit)


class WorkerPool:
    """Worker processes kept for several :meth:`map` calls that share ``shared`` (one start-up,
    torch's import included, instead of one per call). Use it as a context manager."""

    def __init__(self, jobs: int, shared: Any = None) -> None:
        workers_for(jobs, 1)  # checks jobs >= 1
        self.jobs, self.shared = jobs, shared
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def map(self, fn: Callable[[Any, T], R], tasks: Sequence[T], *, progress: bool = False,
            desc: str = "sweep", unit: str = "run") -> list[R]:
        """``[fn(shared, t) for t in tasks]`` in task order (see :func:`parallel_map`)."""
        workers = workers_for(self.jobs, len(tasks))
        bar = _bar(len(tasks), progress, desc, unit, workers)
        try:
            if workers == 1:
                with single_threaded():
                    return [_advance(bar, fn(self.shared, t)) for t in tasks]
            return self._in_pool(fn, tasks, workers, bar)
        finally:
            if bar is not None:
                bar.close()

    def _in_pool(self, fn: Callable[[Any, T], R], tasks: Sequence[T], workers: int,
                 bar: Any) -> list[R]:
        if self.pool is None:  # sized by the first call that needs processes
            self.pool = ProcessPoolExecutor(workers, mp_context=start_context(fn),
                                            initializer=init_worker, initargs=(self.shared,))
        futures = [self.pool.submit(call_in_worker, fn, t) for t in tasks]
        pending: set[Future[R]] = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in done:
                    future.result()  # raises the task's exception, if any
                    _advance(bar, None)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return [f.result() for f in futures]


def _advance(bar: Any, value: R) -> R:
    if bar is not None:
        bar.update(1)
    return value


def _bar(total: int, progress: bool, desc: str, unit: str, workers: int) -> Any:
    """A tqdm bar over ``total`` tasks when ``progress`` (else None)."""
    if not progress:
        return None
    from tqdm.auto import tqdm  # only when a bar is shown: tqdm.auto probes for a notebook

    return tqdm(total=total, desc=f"{desc} ({workers} worker{'s' * (workers > 1)})",
                unit=unit, leave=False)
