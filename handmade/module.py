"""Parameters and the module base class, shaped like ``torch.nn.Parameter``/``torch.nn.Module``.

A module's parameters and child modules are its attributes, found in assignment order, so
``named_parameters()`` yields torch's names and order when attributes are assigned in the same
order as in the torch twin (children give dotted names, e.g. ``"0.weight"``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from handmade._checks import check_finite, check_float_array
from handmade.types import FloatArray


class Parameter:
    """A trainable array: ``data`` (float32/float64) and ``grad`` (None until a backward)."""

    def __init__(self, data: FloatArray) -> None:
        self.data: FloatArray = check_float_array("data", data)
        self.grad: FloatArray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of ``data``."""
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        """Dtype of ``data``."""
        return self.data.dtype

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


def _to_numpy(name: str, value: object) -> FloatArray:
    """Turn a NumPy array or a torch tensor (anything with ``detach``) into an ndarray."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if not isinstance(value, np.ndarray):
        kind = type(value).__name__
        raise ValueError(f"{name}: expected a numpy array or torch tensor, got {kind}")
    return value


class Module:
    """Base class: ``forward`` stores what ``backward`` needs; ``backward`` writes ``.grad``.

    ``backward`` of a module with parameters overwrites (never accumulates) each
    ``Parameter.grad`` and returns the gradient with respect to the forward input.
    """

    BUFFERS: tuple[str, ...] = ()
    """Attributes that are state but not parameters (torch's buffers, e.g. BatchNorm1d's
    ``running_mean``): in ``state_dict`` after the parameters, never given a gradient."""

    def __init__(self) -> None:
        self.training: bool = True

    def forward(self, *args: Any) -> Any:
        """Compute the output (subclasses)."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, dout: Any) -> Any:
        """Propagate ``dout`` back through the last forward (subclasses)."""
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def children(self) -> Iterator[tuple[str, Module]]:
        """Direct child modules as ``(attribute name, module)`` in assignment order."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Parameter]]:
        """All parameters, own first then children's, with torch-style dotted names."""
        out: list[tuple[str, Parameter]] = []
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                out.append((prefix + name, value))
            elif isinstance(value, Module):
                out.extend(value.named_parameters(prefix + name + "."))
        return out

    def parameters(self) -> list[Parameter]:
        """The parameters of ``named_parameters()``, in the same order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Reset every ``grad`` to None (torch's default ``set_to_none=True``)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        """Set ``training`` on this module and all children; return self."""
        self.training = bool(mode)
        for _, child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off); same as ``train(False)``."""
        return self.train(False)

    def buffer_owners(self, prefix: str = "") -> list[tuple[str, Module, str]]:
        """``(dotted name, owning module, attribute)`` of every buffer, own first, then the
        children's, in assignment order."""
        out: list[tuple[str, Module, str]] = [(prefix + n, self, n) for n in self.BUFFERS]
        for name, child in self.children():
            out.extend(child.buffer_owners(prefix + name + "."))
        return out

    def named_buffers(self) -> list[tuple[str, NDArray[Any]]]:
        """Every buffer as an array (a count such as ``num_batches_tracked`` as a 0-d int64)."""
        return [(name, np.asarray(getattr(owner, attr)))
                for name, owner, attr in self.buffer_owners()]

    def state_dict(self) -> dict[str, NDArray[Any]]:
        """Copies of all parameter arrays, then all buffers, keyed by torch-style names."""
        state: dict[str, NDArray[Any]] = {n: p.data.copy() for n, p in self.named_parameters()}
        state.update((n, b.copy()) for n, b in self.named_buffers())
        return state

    def load_state_dict(self, mapping: Mapping[str, Any]) -> None:
        """Copy values into the parameters in place, cast to each parameter's dtype.

        Accepts NumPy arrays or torch tensors (e.g. ``torch_model.state_dict()``). Strict:
        missing or unexpected keys, wrong shapes and non-finite values raise ``ValueError``;
        nothing is modified unless every entry is valid.
        """
        params = dict(self.named_parameters())
        owners = {name: (owner, attr) for name, owner, attr in self.buffer_owners()}
        expected = set(params) | set(owners)
        missing = sorted(expected - set(mapping))
        unexpected = sorted(set(mapping) - expected)
        if missing or unexpected:
            raise ValueError(
                f"state_dict: expected keys {sorted(expected)}, got missing {missing}, "
                f"unexpected {unexpected}"
            )
        current = {**{n: p.data for n, p in params.items()}, **dict(self.named_buffers())}
        arrays: dict[str, NDArray[Any]] = {}
        for name, now in current.items():
            key = f"state_dict[{name!r}]"
            value = np.asarray(_to_numpy(key, mapping[name]))
            if value.shape != now.shape:
                raise ValueError(f"{key}: expected shape {now.shape}, got {value.shape}")
            arrays[name] = value.astype(now.dtype)
            if np.issubdtype(now.dtype, np.floating):
                check_finite(key, arrays[name])
        for name, p in params.items():
            p.data[...] = arrays[name]
        for name, (owner, attr) in owners.items():
            old = getattr(owner, attr)
            setattr(owner, attr, int(arrays[name]) if isinstance(old, int) else arrays[name])

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}: {c!r}" for n, c in self.children())
        return f"{type(self).__name__}({inner})"
