"""Hand-written NumPy forward/backward passes (CS231n-style pairs) and small stateful modules.

Every ``*_forward`` returns ``(out, cache)``; every ``*_backward(dout, cache)`` returns the
gradients. See CONTRIBUTING.md for the contract.
"""

from handmade import activations, conv, init, norm_layers, normalization, pooling
from handmade.activations import *  # noqa: F403 (the pairs, caches and modules: its __all__)
from handmade.conv import *  # noqa: F403 (conv2d pair, cache, Conv2d: its __all__)
from handmade.dropout import (
    Dropout,
    DropoutCache,
    MaskSource,
    dropout_backward,
    dropout_forward,
    make_dropout_mask,
)
from handmade.embedding import Embedding, EmbeddingCache, embedding_backward, embedding_forward
from handmade.hinge import (
    HingeCache,
    MultiClassHingeLoss,
    multiclass_hinge_backward,
    multiclass_hinge_forward,
)
from handmade.linear import Linear, LinearCache, linear_backward, linear_forward
from handmade.losses import (
    CrossEntropyCache,
    CrossEntropyLoss,
    LogRMSECache,
    LogRMSELoss,
    MSECache,
    MSELoss,
    log_rmse_backward,
    log_rmse_forward,
    mse_backward,
    mse_forward,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
)
from handmade.mlp import TwoLayerCache, TwoLayerMLP, two_layer_backward, two_layer_forward
from handmade.module import Module, Parameter
from handmade.norm_layers import *  # noqa: F403 (BatchNorm1d, LayerNorm: its __all__)
from handmade.normalization import *  # noqa: F403 (the pairs and caches: its __all__)
from handmade.pooling import *  # noqa: F403 (maxpool2d pair, MaxPool2d, Flatten)
from handmade.regularization import L2Cache, l2_penalty_backward, l2_penalty_forward
from handmade.sequential import Sequential
from handmade.softmax import Softmax, SoftmaxCache, softmax_backward, softmax_forward

__all__ = [
    "CrossEntropyCache", "CrossEntropyLoss", "Dropout", "DropoutCache", "L2Cache", "Linear",
    "LinearCache", "LogRMSECache", "LogRMSELoss", "MSECache", "MSELoss", "MaskSource", "Module",
    "Parameter", "Sequential", "TwoLayerCache", "TwoLayerMLP", "dropout_backward",
    "dropout_forward", "init", "l2_penalty_backward", "l2_penalty_forward", "linear_backward",
    "linear_forward", "log_rmse_backward", "log_rmse_forward", "make_dropout_mask",
    "mse_backward", "mse_forward", "softmax_cross_entropy_backward",
    "softmax_cross_entropy_forward", "two_layer_backward", "two_layer_forward",
]
__all__ += activations.__all__
__all__ += conv.__all__ + pooling.__all__
__all__ += normalization.__all__ + norm_layers.__all__
__all__ += ["Embedding", "EmbeddingCache", "HingeCache", "MultiClassHingeLoss", "Softmax",
            "SoftmaxCache", "embedding_backward", "embedding_forward", "multiclass_hinge_backward",
            "multiclass_hinge_forward", "softmax_backward", "softmax_forward"]
