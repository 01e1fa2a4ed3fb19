"""What every experiment shares: its context (engine, seeds, output) and helpers.

An experiment module (registered in :data:`comparisons.experiments.runner.EXPERIMENTS`) provides
``run(args, ctx: ExperimentContext) -> dict``, which trains, plots, and returns the JSON payload;
its options module (registered in :data:`comparisons.experiments.arguments.OPTIONS`, light: no
torch, no matplotlib, so that ``backprop-lab --help`` stays fast) provides

* ``HELP: str``: one line for ``backprop-lab experiment --help``;
* ``DEFAULT_SEEDS: int``: the default of ``--seeds``;
* ``add_arguments(parser)``: its own options (use :mod:`comparisons.experiments.argtypes`, so
  bad values exit 2).

The payload must hold ``"lockstep"`` (see :func:`combine_lockstep`), ``"files"`` (paths relative
to ``ctx.out``), ``"findings"`` (``{name: bool}``, the expected results) and ``"summary"``
(lines printed for the reader); the framework adds ``experiment``, ``engine``, ``seeds``,
``dtype`` and ``command``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from comparisons.experiments.parallel import WorkerPool, workers_for
from comparisons.lockstep.train import run_lockstep


@dataclass(frozen=True)
class ExperimentContext:
    """The options every experiment has: ``--engine``, ``--seeds``/``--seed``, ``--out``,
    ``--dtype``, ``--quiet``; ``jobs`` is ``--jobs`` of the experiments that sweep (1 for the
    others). ``seeds`` = ``[seed, seed + 1, ..., seed + K - 1]``."""

    name: str
    engine: str
    seeds: list[int]
    out: Path
    dtype: str = "float64"
    quiet: bool = False
    jobs: int = 1

    @property
    def progress(self) -> bool:
        """Show tqdm bars: not ``--quiet`` and stderr is a terminal."""
        return not self.quiet and sys.stderr.isatty()

    @property
    def both(self) -> bool:
        """True when both engines run (lockstep numbers are computed)."""
        return self.engine == "both"

    def log(self, message: str) -> None:
        """A progress line on stderr unless ``--quiet``."""
        if not self.quiet:
            print(f"[{self.name}] {message}", file=sys.stderr, flush=True)

    def map(self, fn: Any, tasks: list[Any], *, shared: Any = None, desc: str) -> list[Any]:
        """``[fn(shared, t) for t in tasks]`` over ``--jobs`` worker processes, in task order,
        with one progress bar (see :func:`comparisons.experiments.parallel.parallel_map`)."""
        with self.pool(shared) as pool:
            return self.map_in(pool, fn, tasks, desc=desc)

    def pool(self, shared: Any = None) -> WorkerPool:
        """A :class:`WorkerPool` of ``--jobs`` processes for several :meth:`map_in` calls."""
        return WorkerPool(self.jobs, shared)

    def map_in(self, pool: WorkerPool, fn: Any, tasks: list[Any], *, desc: str) -> list[Any]:
        """:meth:`map` over the processes of ``pool`` (kept for its next call)."""
        self.log(f"{desc}: {len(tasks)} runs on {self.workers(len(tasks))} process(es)")
        return pool.map(fn, tasks, progress=self.progress, desc=desc)

    def workers(self, tasks: int) -> int:
        """The number of processes ``tasks`` tasks run on (1: this process)."""
        return workers_for(self.jobs, tasks)

    def run(self, problem: Any, *, seed: int | tuple[int, ...], desc: str) -> Any:
        """``run_lockstep(problem)`` with this context's engine, dtype and progress bar."""
        return run_lockstep(problem, seed=seed, engine=self.engine,  # type: ignore[arg-type]
                            dtype=self.dtype, progress=self.progress, desc=desc)


def combine_lockstep(runs: Mapping[str, Any]) -> dict[str, Any]:
    """The experiment-level ``"lockstep"`` entry from labelled :class:`LockstepResult` s.

    ``max_rel_diff``: the largest over all runs, envelope-relative (<= rtol exactly when no step
    failed; None when one engine ran); ``max_plain_rel_diff``: the largest plain ``|Δ| / |ref|``
    (larger only where values approach 0, see :mod:`comparisons.lockstep.log`);
    ``first_divergent_step``: the earliest divergent step of any run (None if none diverged),
    with that run's label in ``divergent_run``; ``runs``: how many runs were compared.
    """
    compared = {k: r for k, r in runs.items() if r.max_rel_diff is not None}
    if not compared:
        return {"max_rel_diff": None, "first_divergent_step": None, "divergent_run": None,
                "runs": 0, "max_plain_rel_diff": None}
    diverged = {k: r.first_divergent_step for k, r in compared.items()
                if r.first_divergent_step is not None}
    first = min(diverged, key=diverged.__getitem__) if diverged else None
    plain = [getattr(r, "max_plain_rel_diff", None) for r in compared.values()]
    return {"max_rel_diff": max(r.max_rel_diff for r in compared.values()),
            "first_divergent_step": None if first is None else diverged[first],
            "divergent_run": first, "runs": len(compared),
            "max_plain_rel_diff": max((p for p in plain if p is not None), default=None)}


def floats(a: Any) -> list[float]:
    """A flat list of Python floats (for JSON)."""
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def relative_files(paths: list[Path], out: Path) -> list[str]:
    """Paths as strings relative to ``out``."""
    return [str(Path(p).relative_to(out)) for p in paths]
