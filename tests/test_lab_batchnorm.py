"""Lab 7's tools (comparisons.labs.batchnorm, batchnorm_modes): correct steps pass however they
are written, the usual slips are named, a student's exception never escapes, and the
training / evaluation comparisons with torch agree."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import handmade as hm
from comparisons.core.compare import compare
from comparisons.core.tolerances import tolerance
from comparisons.labs import batchnorm as bn
from comparisons.labs import batchnorm_modes as modes

TOL = tolerance("autograd", np.float64)


def node_y(dy, c):
    return dy * c["gamma"], (dy * c["xhat"]).sum(axis=0), dy.sum(axis=0)


def node_y_inplace(dy, c):  # edits its inputs in place and returns lists: still right
    dgamma = np.einsum("nd,nd->d", dy, c["xhat"]).tolist()
    dbeta = list(np.sum(dy, axis=0))
    dy *= c["gamma"]
    c["xhat"][:] = 0.0
    return dy, dgamma, dbeta


def node_sigma(dxhat, c):
    dstd = -(dxhat * c["xc"]).sum(axis=0) / c["std"] ** 2
    return dstd, dstd / (2 * c["std"])


def node_sigma_via_inverse(dxhat, c):  # through 1/σ, σ = (σ² + eps)^½ written as a power
    dinv = np.sum(dxhat * c["xc"], axis=0)
    dvar = dinv * -0.5 * (c["var"] + c["eps"]) ** -1.5
    return dinv * -1.0 / c["std"] ** 2, dvar


def node_xc(dxhat, dvar, c):
    return dxhat / c["std"] + 2 * c["xc"] * dvar / c["N"]


def node_mu(dxc, c):
    dmu = -dxc.sum(axis=0)
    return dmu, dxc + dmu / c["N"]


def node_mu_float32(dxc, c):  # float32 values are compared in float64: right to 1e-7 only
    return node_mu(dxc.astype(np.float32), c)


CORRECT = [("y", node_y), ("y", node_y_inplace), ("sigma", node_sigma),
           ("sigma", node_sigma_via_inverse), ("xc", node_xc), ("mu", node_mu)]


@pytest.mark.parametrize(("step", "fn"), CORRECT)
def test_correct_steps_pass_however_written(step, fn) -> None:
    result = bn.step_check(fn, step)
    assert result.passed, result.message


def test_a_float32_step_is_not_passed_at_float64_tolerance() -> None:
    assert not bn.step_check(node_mu_float32, "mu").passed


@pytest.mark.parametrize(("step", "fn", "name", "code"), [
    ("y", lambda dy, c: (dy, (dy * c["xhat"]).sum(0), dy.sum(0)), "dxhat", "missing_gamma"),
    ("y", lambda dy, c: (dy * c["gamma"], dy * c["xhat"], dy.sum(0)), "dgamma",
     "not_summed_over_batch"),
    ("sigma", lambda dxhat, c: (node_sigma(dxhat, c)[0][None], node_sigma(dxhat, c)[1]),
     "dstd", "wrong_shape"),
    ("xc", lambda dxhat, dvar, c: dxhat / c["std"], "dxc", "missing_statistics_paths"),
    ("mu", lambda dxc, c: (-dxc.sum(0), dxc), "dx", "missing_statistics_paths"),
    ("mu", lambda dxc, c: (np.zeros(3), np.zeros((5, 3))), "dmu", "zero"),
])
def test_usual_slips_are_named_by_the_first_wrong_gradient(step, fn, name, code) -> None:
    result = bn.step_check(fn, step)
    assert (result.passed, result.name, result.diagnosis) == (False, name, code)


def test_slip_messages_name_the_missing_path_without_a_formula() -> None:
    result = bn.step_check(lambda dxhat, dvar, c: dxhat / c["std"], "xc")
    assert "two consumers" in result.message and "/ σ" not in result.message


def test_exceptions_and_wrong_structures_fail_without_raising() -> None:
    def boom(dy, c):
        raise NotImplementedError("write me")

    raised = bn.step_check(boom, "y")
    assert (raised.passed, raised.diagnosis) == (False, "error")
    assert "NotImplementedError: write me" in (raised.error or "")
    two = bn.step_check(lambda dy, c: (dy, dy), "y")
    assert (two.passed, two.diagnosis) == (False, "wrong_shape")
    none = bn.step_check(lambda dxhat, dvar, c: None, "xc")
    assert (none.passed, none.diagnosis) == (False, "wrong_shape")
    with pytest.raises(ValueError, match="step: expected one of"):
        bn.step_check(node_y, "z")


def test_node_values_and_reference_grads_match_the_handmade_pair() -> None:
    x, gamma, beta, dy = bn.lab_batch(3)
    values = bn.node_values(x, gamma, beta)
    out, cache = hm.batchnorm_forward(x, gamma, beta)
    assert compare(values["y"], out, name="t", tensor="y", against="forward").passed
    mine = dict(zip(("dx", "dgamma", "dbeta"), hm.batchnorm_backward(dy, cache)))
    refs = bn.reference_grads(x, gamma, beta, dy)
    for name, g in mine.items():
        assert compare(g, refs[name], name="t", tensor=name, against="autograd").passed, name
    assert set(refs) == set(bn.NODE_OF)
    assert np.abs(gamma - 1).min() > 0.4 and np.abs(beta).max() > 0  # γ ≠ 1, β ≠ 0


def test_lab_batch_is_seeded() -> None:
    a, b = bn.lab_batch(5), bn.lab_batch(5)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(bn.lab_batch(6)[0], a[0])


def every_node(dy, c, wrong_xc: bool = False):
    dxhat, dgamma, dbeta = node_y(dy, c)
    dstd, dvar = node_sigma(dxhat, c)
    dxc = dxhat / c["std"] if wrong_xc else node_xc(dxhat, dvar, c)
    dmu, dx = node_mu(dxc, c)
    return dict(dy=dy, dxhat=dxhat, dgamma=dgamma, dbeta=dbeta, dstd=dstd, dvar=dvar, dxc=dxc,
                dmu=dmu, dx=dx)


def test_the_graph_holds_every_node_and_colours_the_first_wrong_one() -> None:
    graph = bn.coloured_graph(every_node)
    assert list(graph.nodes) == ["x", "γ", "β", "μ", "x−μ", "σ²", "σ", "x̂", "y"]
    assert ("x", "μ") in graph.edges and ("x−μ", "σ²") in graph.edges
    assert {n.status for n in graph.nodes.values() if n.name != "y"} == {"ok"}
    wrong = bn.coloured_graph(lambda dy, c: every_node(dy, c, wrong_xc=True))
    status = {n.name: n.status for n in wrong.nodes.values()}
    assert status["x−μ"] == "first_divergence" and status["x"] == "wrong"
    assert status["σ²"] == "ok"
    assert status["μ"] == "ok"  # the σ² path adds 2 (x − μ) dσ² / N, whose sum over n is 0
    assert "yours" in wrong.nodes["x−μ"].extra
    boom = bn.coloured_graph(lambda dy, c: 1 / 0)
    assert all(n.status is None for n in boom.nodes.values())


# ------------------------------------------------------------------ batchnorm_modes


def forgot_gamma(dy, cache):
    dx, _, _ = hm.batchnorm_backward(dy, cache._replace(gamma=np.ones_like(cache.gamma)))
    return (dx,) + hm.batchnorm_backward(dy, cache)[1:]


def test_a_gamma_one_test_passes_the_missing_gamma_bug_and_the_lab_batch_does_not() -> None:
    at_one = modes.gamma_one_checks(hm.batchnorm_forward, forgot_gamma, gamma_one=True)
    assert all(c.passed for c in at_one)
    lab = modes.gamma_one_checks(hm.batchnorm_forward, forgot_gamma, gamma_one=False)
    assert [c.passed for c in lab] == [False, True, True]
    right = modes.gamma_one_checks(hm.batchnorm_forward, hm.batchnorm_backward,
                                   gamma_one=False)
    assert all(c.passed for c in right)


def test_handmade_running_statistics_and_eval_mode_match_torch_step_by_step() -> None:
    rows = modes.running_rows(steps=3, momentum=0.3)
    assert [r[0] for r in rows] == [1, 2, 3]
    assert all(c.passed for r in rows for c in r[3])
    assert not np.allclose(rows[0][1], rows[-1][1])  # the buffers move
    assert all(c.passed for c in modes.eval_rows(steps=3))


def update(mean, var, x, m):
    return (1 - m) * mean + m * x.mean(axis=0), (1 - m) * var + m * x.var(axis=0, ddof=1)


def update_inplace(mean, var, x, m):  # edits the buffers it is given, as a layer would
    n = x.shape[0]
    mean *= 1 - m
    mean += m * x.sum(axis=0) / n
    var *= 1 - m
    var += m * ((x - x.mean(axis=0)) ** 2).sum(axis=0) / (n - 1)
    return mean, var


@pytest.mark.parametrize("fn", [update, update_inplace])
def test_correct_running_updates_pass(fn) -> None:
    result = modes.running_update_check(fn)
    assert result.passed, result.message


def test_running_update_slips_are_named() -> None:
    biased = modes.running_update_check(
        lambda mean, var, x, m: ((1 - m) * mean + m * x.mean(0), (1 - m) * var + m * x.var(0)))
    assert (biased.name, biased.diagnosis) == ("running_var", "variance_convention")
    flipped = modes.running_update_check(lambda mean, var, x, m: update(mean, var, x, 1 - m))
    assert not flipped.passed and "other way round" in flipped.message
    raised = modes.running_update_check(lambda *a: {}["missing"])
    assert (raised.passed, raised.diagnosis) == (False, "error")


def test_eval_backward_check() -> None:
    def right(dy, c):
        return dy * c["gamma"] / np.sqrt(c["running_var"] + c["eps"])

    def right_division(dy, c):
        return np.divide(dy, np.sqrt(c["running_var"] + c["eps"]) / c["gamma"])

    assert modes.eval_backward_check(right).passed
    assert modes.eval_backward_check(right_division).passed
    missing = modes.eval_backward_check(lambda dy, c: dy / np.sqrt(c["running_var"] + c["eps"]))
    assert missing.diagnosis == "missing_gamma"
    assert modes.eval_backward_check(lambda dy, c: 1 / 0).diagnosis == "error"


def unbiased_forward(x, gamma, beta):
    return hm.batchnorm_forward(x, gamma, beta, unbiased=True)


def test_verify_unbiased_passes_the_n_minus_1_pair_and_fails_the_biased_one() -> None:
    assert modes.verify_unbiased(unbiased_forward, hm.batchnorm_backward).passed
    biased = modes.verify_unbiased(hm.batchnorm_forward, hm.batchnorm_backward)
    assert not biased.passed and not biased.forward.passed


def test_torch_after_step_uses_the_unbiased_variance() -> None:
    x = np.array([[0.0, 1.0], [2.0, 5.0]])
    mean, var = modes.torch_after_step(x, np.zeros(2), np.ones(2), 1.0)
    assert np.array_equal(mean, [1.0, 3.0]) and np.array_equal(var, [2.0, 8.0])
    assert isinstance(modes.torch_layer(2), torch.nn.BatchNorm1d)
    assert TOL.rtol <= 1e-12
