"""Reference activations: torch's own (``torch.relu`` has derivative 0 at exactly 0).

:data:`PHIS` maps each activation's name to its function (``reference.TwoLayerMLP``'s
``phi`` option), like ``handmade.activations.PAIRS``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor
from torch.nn import ReLU, Sigmoid, Tanh

__all__ = ["ReLU", "Sigmoid", "Tanh", "relu", "sigmoid", "tanh"]

relu = torch.relu
sigmoid = torch.sigmoid
tanh = torch.tanh

PHIS: dict[str, Callable[[Tensor], Tensor]] = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh}
"""Name -> function, used by TwoLayerMLP's ``phi`` option."""
