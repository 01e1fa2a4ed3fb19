"""argparse types of the experiments' options (light: NumPy only), so that a bad value is a
one-line error naming the option (exit 2)."""

from __future__ import annotations

import argparse
import os
from argparse import ArgumentTypeError
from collections.abc import Callable
from typing import Any

import numpy as np

from comparisons.core.io import positive_int


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not np.isfinite(value):
        raise ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def nonnegative_float(text: str) -> float:
    """argparse type: a finite number >= 0 (e.g. a weight-decay λ)."""
    value = _float(text)
    if value < 0:
        raise ArgumentTypeError(f"expected a number >= 0, got {value:g}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0 (a learning rate)."""
    value = _float(text)
    if value <= 0:
        raise ArgumentTypeError(f"expected a number > 0, got {value:g}")
    return value


def probability(text: str) -> float:
    """argparse type: a drop probability p in [0, 1)."""
    value = _float(text)
    if not 0 <= value < 1:
        raise ArgumentTypeError(f"expected a probability in [0, 1), got {value:g}")
    return value


def list_of(item: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    """argparse type: a comma-separated, non-empty list of ``item`` values ("0,0.1,3")."""
    def parse(text: str) -> list[Any]:
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not parts:
            raise ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
        return [item(p) for p in parts]

    parse.__name__ = f"list of {getattr(item, '__name__', 'values')}"
    return parse


def choices_list(allowed: tuple[str, ...]) -> Callable[[str], list[str]]:
    """argparse type: a comma-separated subset of ``allowed`` (kept in the given order)."""
    def item(text: str) -> str:
        if text not in allowed:
            raise ArgumentTypeError(f"expected names among {', '.join(allowed)}, got {text!r}")
        return text

    return list_of(item)


def cpu_count() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def add_jobs_argument(p: argparse.ArgumentParser) -> None:
    """``--jobs N``: worker processes of a sweep (an integer >= 1; default: this machine's
    cores). Results do not depend on it (see :mod:`comparisons.experiments.parallel`)."""
    cores = cpu_count()
    p.add_argument("--jobs", type=positive_int, default=cores,
                   help=f"worker processes training the runs in parallel, one thread each "
                        f"(default {cores}, the cores here); results do not depend on it")
