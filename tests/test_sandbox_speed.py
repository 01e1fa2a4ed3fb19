"""The sandbox's fast paths say exactly what the slow ones said.

- ``short_repr`` of a cache (a tuple, list or dict of arrays) stops formatting past
  REPR_CHARS characters: the text must be repr's own, cut the same way;
- the fork server wakes on SIGCHLD, and the child it forks must not keep that handler (the
  student's code runs with the default disposition, as in a fresh interpreter).
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from comparisons.verification.sandbox.isolated import open_isolated
from comparisons.verification.sandbox.spares import Spares
from comparisons.verification.sandbox.wire import REPR_CHARS, short_repr


def _expected(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__} whose repr raised>"
    return text if len(text) <= REPR_CHARS else text[:REPR_CHARS] + "..."


class Raising:
    def __repr__(self) -> str:
        raise RuntimeError("no")


def _values() -> list[Any]:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((5, 4)), rng.standard_normal(3000)
    loop: list[Any] = [1]
    loop.append(loop)
    return [(), (1,), [], {}, (a,), (a, b, 3.0), [1, 2, "x"], {"a": a, 1: (b,)}, ((),), ([],),
            (np.float64(2.0), None, True, 1 + 2j), {"k": [a, {"z": ()}]}, (1.5,) * 200,
            [[[]]], tuple(range(100)), (np.int32(3),), (a.astype(np.float32), np.array(["s"])),
            "abc" * 100, loop, (loop,), (a, Raising()), (Raising(), a), (1, (2, (3, (4,)))),
            {"x": 1.0}, (b, b, b), [a.T, a[::2]], (np.array(3.0),)]


@pytest.mark.parametrize("value", _values(), ids=lambda v: type(v).__name__)
def test_short_repr_is_repr_cut(value: Any) -> None:
    assert short_repr(value) == _expected(value)


def _caught_signals(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return int(line.split()[1], 16)
    raise AssertionError("no SigCgt line")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux /proc only")
def test_forked_child_has_default_sigchld(tmp_path: Path) -> None:
    path = tmp_path / "sub.py"
    path.write_text("def forward(x):\n    return x, None\n")
    with Spares(0, fork=True) as spares, open_isolated(path, spares=spares) as opened:
        assert spares.zygote is not None and opened.module is not None  # imported: serving
        server = _caught_signals(spares.zygote.proc.pid)
        child = _caught_signals(opened.sandbox.proc.pid)
    bit = 1 << (signal.SIGCHLD - 1)
    assert server & bit  # the server catches it (its wake-up) ...
    assert not child & bit  # ... the child does not
