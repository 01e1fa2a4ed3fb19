"""benchmarks.conv_speed at tiny sizes: the three timed steps compute the same gradients, and
the run prints the ratio, the fraction of peak and the naive loop's ratio."""

from __future__ import annotations

import numpy as np
from _fd import assert_close

from benchmarks import conv_speed


def test_the_three_timed_steps_compute_the_same_gradients() -> None:
    x, W, dout = conv_speed.inputs(conv_speed.TINY)
    dx, dW, _ = conv_speed.handmade_step(x, W, dout)()
    tdx, tdW = conv_speed.torch_step(x, W, dout)()
    _, ndx, ndW = conv_speed.naive_step(x, W, dout)()
    for mine, theirs, name in ((dx, tdx, "dx"), (dW, tdW, "dW"), (ndx, tdx, "naive dx"),
                               (ndW, tdW, "naive dW")):
        assert_close(np.asarray(mine), theirs, tensor=name, against="autograd")


def test_tiny_run_prints_every_number(capsys) -> None:
    assert conv_speed.main(["--tiny", "--repeats", "2"]) == 0
    out = capsys.readouterr().out
    for needle in ("hand/torch", "target <= 3", "naive/torch", "of the peak float32 GEMM"):
        assert needle in out
    r = conv_speed.measure(conv_speed.TINY, 2, 0.001, 1)
    assert r["hand_over_torch"] > 0 and 0 < r["fraction_of_peak"] < 1
    assert r["naive_over_torch"] == r["naive_s"] / r["torch_s"]
