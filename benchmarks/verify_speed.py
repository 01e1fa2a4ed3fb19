"""How long ``verify`` takes per built-in op (target: under 3 s each on the course machine).

    python -m benchmarks.verify_speed [--repeats 3]

In-process: ``comparisons.verify`` on the project's own pair of every built-in op, in float64
and float32 (the first call, which pays one-off costs, is reported apart from the median of
the repeats), then a wrong derivation (which adds the diagnosis work and, in float32, the
float64 rerun). Then the whole command once, as a user runs it, in a fresh process
(interpreter start, torch import, argument parsing included). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_SECONDS = 3.0
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "comparisons" / "verify" / "examples" / "linear_transposed.py"


def _seconds(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _median_seconds(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """(first call, median of the next ``repeats`` calls)."""
    runs = [_seconds(fn) for _ in range(repeats + 1)]
    return runs[0], statistics.median(runs[1:])


def time_op(name: str, repeats: int) -> dict[str, float]:
    """First-call and median seconds of verify on op ``name`` (float64, float32)."""
    import comparisons
    from comparisons.core.builtin_ops import BUILTIN_OPS

    spec = BUILTIN_OPS[name]
    row: dict[str, float] = {}
    for dtype in ("float64", "float32"):
        def run(dtype: str = dtype) -> Any:
            return comparisons.verify(spec.forward, spec.backward, name, dtype=dtype)

        row[f"{dtype} first"], row[f"{dtype} median"] = _median_seconds(run, repeats)
    return row


def time_wrong(repeats: int) -> dict[str, float]:
    """verify of a wrong derivation (transposed dW), float64 and float32 (with the rerun)."""
    from comparisons.verification.loader import verify_file

    out = {}
    for dtype in ("float64", "float32"):
        def run(dtype: str = dtype) -> Any:
            return verify_file(EXAMPLE, dtype=dtype)

        out[dtype] = _median_seconds(run, repeats)[1]
    return out


def time_process(*args: str) -> float:
    """Wall time of one ``python ARGS`` process."""
    cmd = [sys.executable, *args]
    return _seconds(lambda: subprocess.run(cmd, capture_output=True, check=False, cwd=ROOT))


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 1 if verify of any op exceeds the target in-process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs after the first")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    import comparisons.verification.runner  # noqa: F401  (torch import, timed separately)

    print(f"import comparisons.verification.runner (torch): {time.perf_counter() - start:.2f} s\n")
    from comparisons.core.builtin_ops import BUILTIN_OPS

    head = f"{'op':<22} {'f64 first':>10} {'f64 median':>11} {'f32 first':>10} {'f32 median':>11}"
    print(head + "\n" + "-" * len(head))
    worst = 0.0
    for name in BUILTIN_OPS:
        r = time_op(name, args.repeats)
        worst = max(worst, *r.values())
        print(f"{name:<22} {r['float64 first']:>9.3f}s {r['float64 median']:>10.3f}s "
              f"{r['float32 first']:>9.3f}s {r['float32 median']:>10.3f}s")
    wrong = time_wrong(args.repeats)
    print(f"\nwrong derivation ({EXAMPLE.name}): float64 {wrong['float64']:.3f} s, "
          f"float32 with float64 rerun {wrong['float32']:.3f} s")
    cli = time_process("-m", "comparisons", "verify", str(EXAMPLE))
    bare = time_process("-c", "import torch")
    print(f"whole CLI process (backprop-lab verify {EXAMPLE.name}): {cli:.2f} s, of which a "
          f"bare `import torch` process takes {bare:.2f} s")
    ok = max(worst, *wrong.values()) < TARGET_SECONDS
    print(f"\nslowest in-process verify: {worst:.3f} s; target < {TARGET_SECONDS:g} s per op: "
          f"{'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
