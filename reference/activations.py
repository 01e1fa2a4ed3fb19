"""Reference activations: torch's own (``torch.relu`` has derivative 0 at exactly 0,
``F.leaky_relu`` negative_slope there).

:data:`PHIS` maps each activation's name to its function (``reference.TwoLayerMLP``'s
``phi`` option), like ``handmade.activations.PAIRS``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn import LeakyReLU, ReLU, Sigmoid, Tanh

__all__ = ["LeakyReLU", "ReLU", "Sigmoid", "Tanh", "leaky_relu", "relu", "sigmoid", "tanh"]

relu = torch.relu
sigmoid = torch.sigmoid
tanh = torch.tanh
leaky_relu = F.leaky_relu  # (x, negative_slope=0.01)

PHIS: dict[str, Callable[[Tensor], Tensor]] = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh,
                                               "leaky_relu": leaky_relu}
"""Name -> function, used by TwoLayerMLP's ``phi`` option."""
