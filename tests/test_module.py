"""Parameter and Module: names, order, grads, modes, state dicts to and from torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _fd import assert_close

import reference
from handmade import (
    BatchNorm1d,
    Dropout,
    Linear,
    Module,
    Parameter,
    ReLU,
    Sequential,
    TwoLayerMLP,
)


def _net(rng: np.random.Generator, dtype=np.float64) -> Sequential:
    return Sequential(Linear(3, 4, rng=rng, dtype=dtype), ReLU(), Dropout(0.5, rng=rng),
                      Linear(4, 2, bias=False, rng=rng, dtype=dtype))


def _torch_net() -> torch.nn.Sequential:
    return reference.Sequential(reference.Linear(3, 4), reference.ReLU(), torch.nn.Dropout(0.5),
                                reference.Linear(4, 2, bias=False))


def test_parameter_holds_data_and_no_grad_until_backward() -> None:
    p = Parameter(np.zeros((2, 3), np.float32))
    assert p.grad is None and p.shape == (2, 3) and p.dtype == np.float32
    with pytest.raises(ValueError, match="data: expected a float32 or float64 ndarray, got list"):
        Parameter([1.0])


def test_named_parameters_follow_torch_names_and_order(rng) -> None:
    names = [n for n, _ in _net(rng).named_parameters()]
    assert names == [n for n, _ in _torch_net().named_parameters()]
    assert names == ["0.weight", "0.bias", "3.weight"]
    model = TwoLayerMLP(3, 4, 2, bias=True, rng=rng)
    twin = reference.TwoLayerMLP(3, 4, 2, bias=True)
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in twin.named_parameters()]


def test_parameters_zero_grad_and_overwriting_backward(rng) -> None:
    net = _net(rng)
    x = rng.standard_normal((5, 3))
    net.eval()
    out = net(x)
    net.backward(np.ones_like(out))
    first = [p.grad.copy() for p in net.parameters()]
    net(x)
    net.backward(np.ones_like(out))
    for g, p in zip(first, net.parameters()):
        np.testing.assert_array_equal(p.grad, g)  # overwritten, not accumulated
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_train_and_eval_reach_every_child(rng) -> None:
    net = _net(rng)
    assert net.eval() is net
    assert not any(m.training for m in [net, *net])
    net.train()
    assert all(m.training for m in [net, *net])


def test_state_dict_is_a_copy(rng) -> None:
    net = _net(rng)
    sd = net.state_dict()
    sd["0.weight"][...] = 123.0
    assert not np.any(net.state_dict()["0.weight"] == 123.0)


def test_weights_copy_one_to_one_with_torch_both_ways(rng) -> None:
    net, twin = _net(rng), _torch_net().double()
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    x = rng.standard_normal((5, 3))
    net.eval(), twin.eval()
    expected = twin(torch.from_numpy(x)).detach().numpy()
    assert_close(net(x), expected, tensor="out", against="forward")
    other = _net(np.random.default_rng(99))
    other.load_state_dict(twin.state_dict())
    for (n, a), (_, b) in zip(other.named_parameters(), net.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=n)


def test_load_state_dict_casts_into_the_module_dtype_in_place(rng) -> None:
    net = _net(rng, dtype=np.float32)
    before = net.parameters()[0].data
    source = _torch_net()  # float32 torch weights
    net.load_state_dict(source.double().state_dict())
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert net.parameters()[0].data is before
    np.testing.assert_array_equal(before, source.state_dict()["0.weight"].float().numpy())


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda sd: sd.pop("3.weight"), r"missing \['3.weight'\], unexpected \[\]"),
        (lambda sd: sd.update(extra=np.ones(1)), r"missing \[\], unexpected \['extra'\]"),
        (lambda sd: sd.update({"0.bias": np.ones(5)}),
         r"state_dict\['0.bias'\]: expected shape \(4,\), got \(5,\)"),
        (lambda sd: sd.update({"0.bias": np.full(4, np.nan)}),
         r"state_dict\['0.bias'\]: expected finite values"),
        (lambda sd: sd.update({"0.bias": [1, 2, 3, 4]}),
         r"state_dict\['0.bias'\]: expected a numpy array or torch tensor, got list"),
    ],
)
def test_load_state_dict_is_strict_and_atomic(rng, edit, match) -> None:
    net = _net(rng)
    sd = {k: v + 1.0 for k, v in net.state_dict().items()}
    edit(sd)
    before = net.state_dict()
    with pytest.raises(ValueError, match=match):
        net.load_state_dict(sd)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, before[k])  # nothing half-loaded


def test_base_module_requires_forward_and_backward() -> None:
    with pytest.raises(NotImplementedError, match="Module.forward"):
        Module()(1)
    with pytest.raises(NotImplementedError, match="Module.backward"):
        Module().backward(1)


def test_batchnorm_buffers_copy_both_ways_with_torch() -> None:
    """running_mean, running_var and num_batches_tracked are in state_dict as torch's buffers."""
    gen = torch.Generator().manual_seed(0)
    twin = torch.nn.BatchNorm1d(3).double()
    with torch.no_grad():
        twin.weight.uniform_(0.5, 2.0, generator=gen)
        for _ in range(3):
            twin(torch.randn(5, 3, generator=gen, dtype=torch.float64))
    net = BatchNorm1d(3)
    assert list(net.state_dict()) == list(twin.state_dict())
    net.load_state_dict(twin.state_dict())
    x = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    twin.eval(), net.eval()
    np.testing.assert_allclose(net(x.numpy()), twin(x).detach().numpy(), rtol=1e-12)
    back = torch.nn.BatchNorm1d(3).double()
    back.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in net.state_dict().items()})
    assert int(back.num_batches_tracked) == 3 and net.num_batches_tracked == 3
    for name in ("running_mean", "running_var"):
        assert torch.equal(getattr(back, name), getattr(twin, name))


def test_a_missing_buffer_is_a_missing_key() -> None:
    state = BatchNorm1d(2).state_dict()
    del state["running_var"]
    with pytest.raises(ValueError, match=r"missing \['running_var'\]"):
        BatchNorm1d(2).load_state_dict(state)
