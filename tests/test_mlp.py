"""The D2L two-layer network: handmade vs reference (every intermediate), FD, gradcheck, errors."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
import torch
from _fd import as_autograd, assert_close, leaf

import reference as ref
from comparisons.core.finite_diff import numerical_gradient
from handmade import TwoLayerMLP, two_layer_backward, two_layer_forward
from handmade.activations import PAIRS

D, H, Q, N = 4, 5, 3, 6
NODES = {"do": "o", "dh": "h", "dz": "z", "dh_drop": "h_drop"}  # handmade key -> torch node


def _data(rng, loss, n=N, dtype=np.float64):
    X = rng.standard_normal((n, D)).astype(dtype)
    Y = rng.standard_normal((n, Q)).astype(dtype) if loss == "mse" else rng.integers(0, Q, n)
    return X, Y


def _twins(phi, loss, bias, p, dtype=np.float64, lam=0.3):
    """A handmade and a torch model with the same weights and the same dropout masks."""
    masks_a, masks_b = np.random.default_rng(11), np.random.default_rng(11)
    model = TwoLayerMLP(D, H, Q, phi=phi, loss=loss, lam=lam, bias=bias, dropout=p,
                        rng=np.random.default_rng(5), dtype=dtype, init="xavier_uniform",
                        mask_source=lambda shape: masks_a.random(shape) >= p)
    if bias:  # nonzero bias, so a wrong db1 cannot hide
        model.b1.data[...] = np.random.default_rng(6).standard_normal(H)
    twin = ref.TwoLayerMLP(D, H, Q, phi=phi, loss=loss, lam=lam, bias=bias, dropout=p,
                           dtype=torch.float64 if dtype == np.float64 else torch.float32,
                           mask_source=lambda shape: masks_b.random(shape) >= p)
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    return model, twin


CASES = list(itertools.product(["relu", "sigmoid", "tanh"], ["mse", "cross_entropy"],
                               [False, True], [0.0, 0.4]))


@pytest.mark.parametrize(("phi", "loss", "bias", "p"), CASES)
def test_gradients_and_intermediates_match_the_reference(rng, phi, loss, bias, p) -> None:
    model, twin = _twins(phi, loss, bias, p)
    X, Y = _data(rng, loss)
    J = model(X, Y)
    grads = model.backward()
    J_t = twin(torch.from_numpy(X), torch.from_numpy(Y))
    J_t.backward()
    if p > 0:
        np.testing.assert_array_equal(model.mask, twin.mask.numpy())
    assert_close(J, J_t, tensor="J", against="forward")
    for name in ("z", "h", "o", "L", "s"):
        assert_close(model.values[name], twin.values[name], tensor=name, against="forward")
    for key, node in NODES.items():
        if key in grads:
            assert_close(grads[key], twin.values[node].grad, tensor=key, against="autograd")
    for name, param in model.named_parameters():
        assert_close(param.grad, getattr(twin, name).grad, tensor=name, against="autograd")
    assert ("dh_drop" in grads) == (p > 0) and ("db1" in grads) == bias


def test_float32_model_matches_float32_reference_and_stays_float32(rng) -> None:
    model, twin = _twins("tanh", "mse", True, 0.0, dtype=np.float32)
    X, Y = _data(rng, "mse", dtype=np.float32)
    J = model(X, Y)
    grads = model.backward()
    twin(torch.from_numpy(X), torch.from_numpy(Y)).backward()
    assert J.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())
    assert_close(model.W1.grad, twin.W1.grad, tensor="W1", against="autograd")


def test_functional_pair_is_the_books_network(rng) -> None:
    X, Y = _data(rng, "mse")
    W1, W2 = rng.standard_normal((H, D)), rng.standard_normal((Q, H))
    J, cache = two_layer_forward(X, Y, W1, W2, 0.2)
    grads = two_layer_backward(1.0, cache)
    assert list(grads) == ["do", "dW2", "dh", "dz", "dW1"]
    W1t, W2t = leaf(W1), leaf(W2)
    v = ref.two_layer(torch.from_numpy(X), torch.from_numpy(Y), W1t, W2t, 0.2)
    v["J"].backward()
    for name in ("z", "h", "o", "L", "s", "J"):
        assert_close(getattr(cache, name), v[name], tensor=name, against="forward")
    for key in ("do", "dh", "dz"):
        assert_close(grads[key], v[NODES[key]].grad, tensor=key, against="autograd")
    assert_close(grads["dW1"], W1t.grad, tensor="dW1", against="autograd")
    assert_close(grads["dW2"], W2t.grad, tensor="dW2", against="autograd")


def test_functional_pair_matches_finite_differences_and_gradcheck(rng) -> None:
    X, Y = _data(rng, "mse")
    W1, W2 = rng.standard_normal((H, D)), rng.standard_normal((Q, H))
    grads = two_layer_backward(1.0, two_layer_forward(X, Y, W1, W2, 0.2)[1])
    fd1 = numerical_gradient(lambda w: two_layer_forward(X, Y, w, W2, 0.2)[0], W1)
    fd2 = numerical_gradient(lambda w: two_layer_forward(X, Y, W1, w, 0.2)[0], W2)
    assert_close(grads["dW1"], fd1, tensor="dW1", against="finite_differences")
    assert_close(grads["dW2"], fd2, tensor="dW2", against="finite_differences")

    def backward(dJ, cache):
        g = two_layer_backward(dJ, cache)
        return g["dW1"], g["dW2"]

    f = as_autograd(lambda a, b: two_layer_forward(X, Y, a, b, 0.2), backward)
    assert torch.autograd.gradcheck(f, (leaf(W1), leaf(W2)))


def test_dJ_scales_every_gradient(rng) -> None:
    X, Y = _data(rng, "mse")
    W1, W2 = rng.standard_normal((H, D)), rng.standard_normal((Q, H))
    cache = two_layer_forward(X, Y, W1, W2, 0.2)[1]
    one, three = two_layer_backward(1.0, cache), two_layer_backward(3.0, cache)
    for key in one:
        assert_close(three[key], 3 * one[key], tensor=key, against="forward")


def test_eval_mode_turns_dropout_off(rng) -> None:
    model = TwoLayerMLP(D, H, Q, dropout=0.5, rng=rng)
    X, Y = _data(rng, "mse")
    model.eval()
    model(X, Y)
    assert model.mask is None
    np.testing.assert_array_equal(model.values["h_drop"], model.values["h"])
    assert_close(model.predict(X), model.values["o"], tensor="o", against="forward")
    model.train()
    model(X, Y)
    assert model.mask is not None and model.mask.shape == (N, H)


def test_backward_overwrites_parameter_grads(rng) -> None:
    model = TwoLayerMLP(D, H, Q, lam=0.1, bias=True, rng=rng, init="xavier_normal")
    X, Y = _data(rng, "mse")
    model(X, Y)
    first = model.backward()
    model(X, Y)
    model.backward()
    np.testing.assert_array_equal(model.W1.grad, first["dW1"])
    np.testing.assert_array_equal(model.b1.grad, first["db1"])


def test_bad_input_names_the_argument(rng) -> None:
    X, Y = _data(rng, "mse")
    W1, W2 = np.ones((H, D)), np.ones((Q, H))
    with pytest.raises(ValueError, match=r"W2: expected shape \(q, h\) with h=5 to match W1, got"):
        two_layer_forward(X, Y, W1, np.ones((Q, H + 1)), 0.1)
    with pytest.raises(ValueError, match=r"W1: expected shape \(h, d\) with d=4 to match X, got"):
        two_layer_forward(X, Y, np.ones((H, D + 1)), W2, 0.1)
    with pytest.raises(ValueError, match=r"Y: expected shape \(N, q\) with N=6, q=3, got \(6, 2\)"):
        two_layer_forward(X, Y[:, :2], W1, W2, 0.1)
    with pytest.raises(ValueError, match="lam: expected a value >= 0, got -1.0"):
        two_layer_forward(X, Y, W1, W2, -1.0)
    with pytest.raises(ValueError, match="W1: expected dtype float64 to match X, got float32"):
        two_layer_forward(X, Y, W1.astype(np.float32), W2, 0.1)
    with pytest.raises(ValueError, match=re.escape(f"phi: expected one of {tuple(PAIRS)}")):
        TwoLayerMLP(D, H, Q, phi="gelu", rng=rng)
    with pytest.raises(ValueError, match="loss: expected one of"):
        TwoLayerMLP(D, H, Q, loss="hinge", rng=rng)
    with pytest.raises(ValueError, match=r"dropout: expected a probability in \[0, 1\), got 1.0"):
        TwoLayerMLP(D, H, Q, dropout=1.0, rng=rng)
    with pytest.raises(ValueError, match=r"Y: expected labels in \[0, 3\)"):
        TwoLayerMLP(D, H, Q, loss="cross_entropy", rng=rng)(X, np.full(N, 3))
    with pytest.raises(RuntimeError, match="call forward first"):
        TwoLayerMLP(D, H, Q, rng=rng).backward()
