"""torch.autograd twins of ``handmade``: same names, same parameter layouts.

Functions are plain torch ops; ``Linear``, ``ReLU``, ``Sigmoid``, ``Tanh``, ``MSELoss``,
``CrossEntropyLoss`` and ``Sequential`` are torch.nn's own classes.
"""

from torch.nn import Sequential

from reference.activations import ReLU, Sigmoid, Tanh, relu, sigmoid, tanh
from reference.dropout import Dropout, dropout, mask_from_source
from reference.linear import Linear, linear
from reference.losses import (
    CrossEntropyLoss,
    LogRMSELoss,
    MSELoss,
    log_rmse,
    mse,
    softmax_cross_entropy,
)
from reference.mlp import TwoLayerMLP, two_layer
from reference.regularization import l2_penalty

__all__ = [
    "CrossEntropyLoss", "Dropout", "Linear", "LogRMSELoss", "MSELoss", "ReLU", "Sequential",
    "Sigmoid", "Tanh", "TwoLayerMLP", "dropout", "l2_penalty", "linear", "log_rmse",
    "mask_from_source", "mse", "relu", "sigmoid", "softmax_cross_entropy", "tanh", "two_layer",
]
