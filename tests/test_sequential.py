"""Sequential: forward/backward chaining and parameter names match torch.nn.Sequential."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _fd import assert_close, fd_vjp, leaf

import reference
from handmade import Linear, ReLU, Sequential, Sigmoid, Tanh


def _pair(rng, dtype=np.float64):
    net = Sequential(Linear(4, 6, rng=rng, dtype=dtype), ReLU(), Linear(6, 5, rng=rng, dtype=dtype),
                     Tanh(), Linear(5, 3, bias=False, rng=rng, dtype=dtype), Sigmoid())
    twin = reference.Sequential(reference.Linear(4, 6), reference.ReLU(), reference.Linear(6, 5),
                                reference.Tanh(), reference.Linear(5, 3, bias=False),
                                reference.Sigmoid()).to(torch.float64 if dtype == np.float64
                                                        else torch.float32)
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    return net, twin


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [1, 7])
def test_matches_torch_sequential(rng, n, dtype) -> None:
    net, twin = _pair(rng, dtype)
    assert [k for k, _ in net.named_parameters()] == list(twin.state_dict())
    x = rng.standard_normal((n, 4)).astype(dtype)
    dout = rng.standard_normal((n, 3)).astype(dtype)
    out = net(x)
    xt = leaf(x)
    out_t = twin(xt)
    out_t.backward(torch.from_numpy(dout))
    assert_close(out, out_t, tensor="out", against="forward")
    assert_close(net.backward(dout), xt.grad, tensor="dx", against="autograd")
    for (name, p), (_, pt) in zip(net.named_parameters(), twin.named_parameters()):
        assert_close(p.grad, pt.grad, tensor=name, against="autograd")


def test_backward_matches_finite_differences(rng) -> None:
    net, _ = _pair(rng)
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 3))
    net(x)
    dx = net.backward(dout)
    fd = fd_vjp(lambda a: (net(a), None), (x,), 0, dout)
    assert_close(dx, fd, tensor="dx", against="finite_differences")


def test_container_behaviour_and_errors(rng) -> None:
    relu = ReLU()
    net = Sequential(Linear(2, 2, rng=rng), relu)
    assert len(net) == 2 and net[1] is relu and list(net)[1] is relu
    assert "(1): ReLU()" in repr(net)
    with pytest.raises(ValueError, match=r"modules\[1\]: expected a handmade Module, got ufunc"):
        Sequential(ReLU(), np.tanh)


@pytest.mark.parametrize("n", [1, 7])
def test_without_input_grad_matches_torch_on_data_that_needs_none(rng, n) -> None:
    # torch: an input without requires_grad gets no dx; the parameter grads are unchanged
    net, twin = _pair(rng)
    x, dout = rng.standard_normal((n, 4)), rng.standard_normal((n, 3))
    net(x)
    assert net.backward(dout, input_grad=False) is None
    twin(torch.from_numpy(x)).backward(torch.from_numpy(dout))
    for (name, p), (_, pt) in zip(net.named_parameters(), twin.named_parameters()):
        assert_close(p.grad, pt.grad, tensor=name, against="autograd")


def test_without_input_grad_a_non_linear_first_module_still_returns_dx(rng) -> None:
    net = Sequential(Tanh(), Linear(4, 2, rng=rng))
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 2))
    net(x)
    dx_all = net.backward(dout)
    net(x)
    np.testing.assert_array_equal(net.backward(dout, input_grad=False), dx_all)
    assert Sequential().backward(dout) is dout
