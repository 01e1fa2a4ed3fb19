"""torch.autograd twins of ``handmade``: same names, same parameter layouts.

Functions are plain torch ops; ``Linear``, the activations' classes (``ReLU``, ...),
``MSELoss``, ``CrossEntropyLoss`` and ``Sequential`` are torch.nn's own classes.
"""

from torch.nn import Sequential

from reference import activations, conv, normalization
from reference.activations import *  # noqa: F403 (functions and classes: its __all__)
from reference.conv import *  # noqa: F403 (conv2d, maxpool2d, flatten and classes)
from reference.dropout import Dropout, dropout, mask_from_source
from reference.embedding import Embedding, embedding
from reference.hinge import multiclass_hinge
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
from reference.normalization import *  # noqa: F403 (batchnorm, layernorm and classes)
from reference.regularization import l2_penalty
from reference.softmax import Softmax, softmax

__all__ = [
    "CrossEntropyLoss", "Dropout", "Linear", "LogRMSELoss", "MSELoss", "Sequential",
    "TwoLayerMLP", "dropout", "l2_penalty", "linear", "log_rmse", "mask_from_source", "mse",
    "softmax_cross_entropy", "two_layer",
]
__all__ += activations.__all__
__all__ += conv.__all__
__all__ += normalization.__all__
__all__ += ["Embedding", "Softmax", "embedding", "multiclass_hinge", "softmax"]
