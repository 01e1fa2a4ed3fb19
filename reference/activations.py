"""Reference activations: torch's own (``torch.relu`` has derivative 0 at exactly 0)."""

from __future__ import annotations

import torch
from torch.nn import ReLU, Sigmoid, Tanh

__all__ = ["ReLU", "Sigmoid", "Tanh", "relu", "sigmoid", "tanh"]

relu = torch.relu
sigmoid = torch.sigmoid
tanh = torch.tanh
