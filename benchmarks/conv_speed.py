"""conv2d forward + backward: handmade (vectorised) vs torch, and a naive 4-loop reference.

    python -m benchmarks.conv_speed [--tiny] [--repeats 7]

At N=32, C=8, H=W=16, F=16, a 3×3 kernel, stride 1, padding 1, float32 (``--tiny``: a few
elements of each): ``handmade.conv2d_forward`` + ``conv2d_backward`` beside
``torch.nn.functional.conv2d``'s forward + ``backward``, sampled interleaved in one run
(``benchmarks.timing.interleaved``, a pause before each sample; the ratio is the median
of paired ratios). Reported: hand/torch (target <= 3), handmade's
GFLOP/s as a fraction of the peak float32 GEMM measured in the same run (``benchmarks.gemm``;
forward + backward of a convolution is 3 products of 2·N·F·OH·OW·C·KH·KW FLOPs each), and
the ratio of a naive reference written here with four loops over (n, f, i, j) (one window's dot
product per iteration, the way a first hand-written conv looks), timed on one or two calls.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

import handmade
from benchmarks.gemm import gemm_gflops
from benchmarks.timing import interleaved, paired_median, seconds

TARGET_RATIO = 3.0
FULL = {"N": 32, "C": 8, "H": 16, "W": 16, "F": 16, "K": 3}
TINY = {"N": 2, "C": 2, "H": 5, "W": 5, "F": 3, "K": 3}
Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]


def inputs(size: dict[str, int], seed: int = 0) -> Arrays:
    """x (N, C, H, W), W (F, C, K, K), dout (N, F, H, W) in float32 (padding 1 keeps H, W)."""
    rng = np.random.default_rng(seed)
    n, c, h, w, f, k = (size[s] for s in ("N", "C", "H", "W", "F", "K"))
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    W = rng.standard_normal((f, c, k, k)).astype(np.float32)
    return x, W, rng.standard_normal((n, f, h, w)).astype(np.float32)


def handmade_step(x: np.ndarray, W: np.ndarray, dout: np.ndarray) -> Callable[[], Any]:
    """handmade's forward + backward."""
    def step() -> Any:
        _, cache = handmade.conv2d_forward(x, W, stride=1, padding=1)
        return handmade.conv2d_backward(dout, cache)
    return step


def torch_step(x: np.ndarray, W: np.ndarray, dout: np.ndarray) -> Callable[[], Any]:
    """torch's F.conv2d forward + autograd backward (dx and dW)."""
    xt, Wt = (torch.from_numpy(a).requires_grad_() for a in (x, W))
    dt = torch.from_numpy(dout)

    def step() -> Any:
        xt.grad = Wt.grad = None
        F.conv2d(xt, Wt, padding=1).backward(dt)
        return xt.grad, Wt.grad
    return step


def naive_step(x: np.ndarray, W: np.ndarray, dout: np.ndarray) -> Callable[[], Any]:
    """Four loops over (n, f, i, j): forward out[n, f, i, j] = <window, W[f]>, then the same
    loops scatter dout into dx and accumulate dW."""
    n, _, h, w = x.shape
    f, _, kh, kw = W.shape

    def step() -> Any:
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        out = np.zeros((n, f, h, w), np.float32)
        dxp, dW = np.zeros_like(xp), np.zeros_like(W)
        for a in range(n):
            for b in range(f):
                for i in range(h):
                    for j in range(w):
                        window = xp[a, :, i:i + kh, j:j + kw]
                        out[a, b, i, j] = np.sum(window * W[b])
                        dxp[a, :, i:i + kh, j:j + kw] += dout[a, b, i, j] * W[b]
                        dW[b] += dout[a, b, i, j] * window
        return out, dxp[:, :, 1:-1, 1:-1], dW
    return step


def flops(size: dict[str, int]) -> float:
    """Forward + dx + dW: three products of 2·N·F·H·W·C·K·K FLOPs (padding 1, stride 1)."""
    n, c, h, w, f, k = (size[s] for s in ("N", "C", "H", "W", "F", "K"))
    return 3 * 2.0 * n * f * h * w * c * k * k


def measure(size: dict[str, int], repeats: int, min_sample: float, naive_repeats: int,
            settle: float = 0.0) -> dict[str, float]:
    """Medians of the three steps (seconds), the ratios and handmade's fraction of peak."""
    x, W, dout = inputs(size)
    hand, ref = handmade_step(x, W, dout), torch_step(x, W, dout)
    hand_samples, torch_samples = interleaved([hand, ref], repeats=repeats,
                                              min_sample=min_sample, settle=settle)
    hand_s, torch_s = statistics.median(hand_samples), statistics.median(torch_samples)
    naive = naive_step(x, W, dout)
    naive_s = min(seconds(naive) for _ in range(naive_repeats))  # ~100x slower: few samples
    peak = gemm_gflops(256 if size is TINY else 1024, np.float32, repeats=3,
                       min_sample=min_sample)
    return {"handmade_s": hand_s, "torch_s": torch_s, "naive_s": naive_s,
            "hand_over_torch": paired_median(hand_samples, torch_samples),
            "naive_over_torch": naive_s / torch_s,
            "handmade_gflops": flops(size) / hand_s / 1e9, "peak_gemm_gflops": peak,
            "fraction_of_peak": flops(size) / hand_s / 1e9 / peak}


def report(size: dict[str, int], r: dict[str, float]) -> str:
    """The printed lines."""
    met = "met" if r["hand_over_torch"] <= TARGET_RATIO else "NOT met"
    dims = ", ".join(f"{k}={v}" for k, v in size.items())
    return "\n".join([
        f"conv2d forward + backward, float32 ({dims}, stride 1, padding 1)",
        f"  handmade {r['handmade_s'] * 1e3:.3f} ms, torch {r['torch_s'] * 1e3:.3f} ms, "
        f"naive 4-loop {r['naive_s'] * 1e3:.1f} ms",
        f"  hand/torch {r['hand_over_torch']:.2f} (target <= {TARGET_RATIO:g}: {met}); "
        f"naive/torch {r['naive_over_torch']:.0f}",
        f"  handmade {r['handmade_gflops']:.2f} GFLOP/s = {100 * r['fraction_of_peak']:.1f}% "
        f"of the peak float32 GEMM ({r['peak_gemm_gflops']:.1f} GFLOP/s)"])


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 0 (a missed target is reported, not an error)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a few elements (smoke)")
    parser.add_argument("--repeats", type=int, default=7, help="samples of each step")
    args = parser.parse_args(argv)
    size = TINY if args.tiny else FULL
    r = measure(size, args.repeats, 0.002 if args.tiny else 0.05, 1 if args.tiny else 2,
                0.0 if args.tiny else 0.3)
    print(report(size, r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
