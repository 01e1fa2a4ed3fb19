"""The sandbox's fast paths say exactly what the slow ones said.

- ``short_repr`` of a cache (a tuple, list or dict of arrays) stops formatting past
  REPR_CHARS characters: the text must be repr's own, cut the same way;
- finite differences' outs travel as one stacked array and decode as sent one by one;
- scalar finite-difference outs are weighed by dout in one product, bit for bit the sums;
- the fork server wakes on SIGCHLD, and the child it forks must not keep that handler (the
  student's code runs with the default disposition, as in a fresh interpreter).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from comparisons.core.builtin_ops import BUILTIN_OPS
from comparisons.core.ops import indexed_objective
from comparisons.verification.sandbox.isolated import open_isolated, verify_isolated
from comparisons.verification.sandbox.limits import Limits
from comparisons.verification.sandbox.spares import Spares
from comparisons.verification.sandbox.wire import (
    PREFIX,
    REPR_CHARS,
    Decoder,
    Encoder,
    WireError,
    parse_header,
    short_repr,
    split_prefix,
)
from comparisons.verification.sandbox.zygote import Zygote


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


def _roundtrip(node_of: Any, values: list[Any]) -> list[Any]:
    enc = Encoder(lambda v: None)
    frame = enc.frame({"v": node_of(enc, values)})
    head, _ = split_prefix(frame[:PREFIX.size], 2**30)
    body = frame[PREFIX.size:]
    return Decoder(body[head:], lambda a, g: a, lambda h: h).value(parse_header(body[:head])["v"])


@pytest.mark.parametrize("values", [
    [np.float64(0.1 * k) for k in range(7)], [np.float32(k) for k in range(3)],
    [np.full((2, 3), k, np.float64) for k in range(4)], [np.array(k / 3) for k in range(5)],
    [np.arange(3, dtype=np.int32) + k for k in range(2)]], ids=str)
def test_stacked_outs_decode_as_sent_one_by_one(values: list[Any]) -> None:
    assert Encoder(lambda v: None).stack(values) is not None
    stacked = _roundtrip(lambda enc, v: enc.stack(v), values)
    single = _roundtrip(lambda enc, v: enc.value(v), values)
    assert isinstance(stacked, list) and len(stacked) == len(single)
    for a, b in zip(stacked, single, strict=True):
        assert type(a) is type(b) and a.dtype == b.dtype and np.shape(a) == np.shape(b)
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()


@pytest.mark.parametrize("values", [[], [1.0, 2.0], [np.float64(1), np.float32(1)],
                                    [np.zeros(2), np.zeros(3)], [np.zeros(2), np.float64(0)],
                                    [np.array(["a"])]], ids=str)
def test_unlike_outs_are_not_stacked(values: list[Any]) -> None:
    assert Encoder(lambda v: None).stack(values) is None


@pytest.mark.parametrize("body", [["float64", [2, 2], 0, 32, "s"], ["float64", [], 0, 8, "a"],
                                  ["float64", [4], 0, 32, "x"], ["float64", [4], 0, 32]])
def test_malformed_stack_is_refused(body: list[Any]) -> None:
    with pytest.raises(WireError):
        Decoder(bytes(64), lambda a, g: a, lambda h: h).value({"A": body})


def test_a_child_closed_right_after_its_fork_is_killed() -> None:
    """Before its setsid a forked child has no process group of its own: closing it then
    must still kill it (not leave it to end on the pipe's EOF after a 5 s wait)."""
    with Spares(0, fork=True) as spares:
        spares.take(Limits()).close()  # the server started and forking
        closed = []
        for _ in range(5):
            closed.append(spares.take(Limits()))
            closed[-1].close()  # killed now; waited for and removed by the spares' reaper
    for sandbox in closed:  # the reaper is done once the spares are closed
        assert getattr(sandbox.proc, "returncode", None) == -signal.SIGKILL
        assert not sandbox.root.exists()


@pytest.mark.parametrize("dout", [1.0, 0.37, -0.0, 1e-300])
@pytest.mark.parametrize("kind", [np.float64, np.float32, float])
def test_scalar_outs_give_the_bits_of_one_sum_per_out(dout: float, kind: Any) -> None:
    """indexed_objective's vectorised path for scalar outs: bit for bit the per-out sums."""
    spec = BUILTIN_OPS["two_layer"]
    rng = np.random.default_rng(1)
    values = [*(rng.standard_normal(200) * 10.0 ** rng.integers(-30, 30, 200)),
              -0.0, 0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324]
    outs = [kind(v) for v in values]
    inputs = {k: np.zeros((2, 2)) for k in spec.positional}
    f = indexed_objective(spec, lambda *a: outs, inputs, np.asarray(dout), "W1")
    got = f(np.zeros(4), np.zeros(len(outs), np.int64), np.zeros(len(outs)))
    d64 = np.asarray(dout, dtype=np.float64)
    with np.errstate(all="ignore"):
        expected = np.array([np.sum(np.asarray(o, dtype=np.float64) * d64) for o in outs])
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert got.tobytes() == expected.tobytes()


def test_a_child_closed_after_its_spares_is_still_removed() -> None:
    spares = Spares(0, fork=True)
    sandbox = spares.take(Limits())
    spares.close()  # the reaper has stopped: the child's end runs in the caller
    sandbox.close()
    assert not sandbox.root.exists()


def _until(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_a_taken_childs_replacement_starts_off_the_callers_path() -> None:
    """take() hands out a ready child and its replacement is forked by the spares' own
    thread (the fork server's round trip is not the submission's), and closing stops it."""
    with Spares(1, fork=True) as spares:
        assert _until(lambda: len(spares.ready) == 1)  # warm before the first take
        assert spares.zygote is not None
        fork, started = spares.zygote.start, []

        def recorded(*args: Any) -> Any:
            started.append(threading.current_thread().name)
            return fork(*args)

        spares.zygote.start = recorded  # type: ignore[method-assign,assignment]
        taken = spares.take(Limits())
        assert _until(lambda: len(spares.ready) == 1)
        assert started == ["spares-filler"]
        taken.close()
    assert not spares.filler.is_alive() and not spares.ready


PRELOAD_PROBE = ("import sys\nprint('torch preloaded:', 'torch' in sys.modules)\n"
                 "import torch\nOP = 'relu'\n"
                 "def forward(x):\n    return torch.relu(torch.from_numpy(x)).numpy(), x\n"
                 "def backward(dout, x):\n    return dout * (x > 0)\n")


@pytest.mark.parametrize("preload", [(), ("torch",)], ids=["plain", "torch"])
def test_a_preloading_server_forks_children_that_find_torch_imported(
        tmp_path: Path, preload: tuple[str, ...]) -> None:
    path = tmp_path / "probe.py"
    path.write_text(PRELOAD_PROBE)
    with Spares(0, fork=True, preload=preload) as spares:
        report = verify_isolated(path, spares=spares)
    assert report.passed, report
    assert f"torch preloaded: {bool(preload)}" in report.printed


def test_only_known_modules_are_preloaded() -> None:
    with pytest.raises(ValueError, match="preload"):
        Zygote(("os",))
