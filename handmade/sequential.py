"""A chain of modules, named like ``torch.nn.Sequential`` (children "0", "1", ...)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from handmade.linear import Linear
from handmade.module import Module
from handmade.types import FloatArray


class Sequential(Module):
    """``forward`` feeds each module's output to the next; ``backward`` runs them in reverse.

    Parameters are named ``"<index>.<name>"`` (e.g. ``"0.weight"``, ``"2.bias"``), so a
    handmade and a torch.nn.Sequential of the same layers exchange state dicts one-to-one.
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                kind = type(m).__name__
                raise ValueError(f"modules[{i}]: expected a handmade Module, got {kind}")
            setattr(self, str(i), m)
        self._chain: tuple[Module, ...] = tuple(modules)

    def _modules(self) -> tuple[Module, ...]:
        """The modules in order (fixed at construction, like the children "0", "1", ...)."""
        return self._chain

    def __len__(self) -> int:
        return len(self._modules())

    def __getitem__(self, i: int) -> Module:
        return self._modules()[i]

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules())

    def forward(self, x: FloatArray) -> FloatArray:
        """``x -> m_k(... m_1(m_0(x)))``."""
        for m in self._modules():
            x = m(x)
        return x

    def backward(self, dout: FloatArray, input_grad: bool = True) -> FloatArray | None:
        """``dout -> m_0.backward(... m_k.backward(dout))``; each writes its own grads.

        ``input_grad=False``: the gradient with respect to the input is not wanted (torch: an
        input without ``requires_grad``), so a first module that is a ``Linear`` skips
        ``dx = dout W`` and None is returned; any other first module still computes it.
        """
        if not self._chain:
            return dout
        first, *rest = self._chain
        for m in reversed(rest):
            dout = m.backward(dout)
        if not input_grad and isinstance(first, Linear):
            return first.backward(dout, input_grad=False)
        return cast("FloatArray | None", first.backward(dout))

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({n}): {m!r}" for n, m in self.children())
        return f"Sequential({inner}\n)"
