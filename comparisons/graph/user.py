"""Run a user's ``two_layer`` derivation file on the graph's own inputs.

The file is the one ``backprop-lab verify`` takes for ``two_layer``: it defines
``forward(X, Y, W1, W2, lam) -> (J, cache)`` and ``backward(dJ, cache) -> dict`` with keys
``do, dW2, dh, dz, dW1`` (the book's network: ReLU, MSE, no bias). It is imported by verify's
own loader and called once, with ``dJ = 1``, on copies of the recorded network's inputs and
weights, so its gradients can be put on the very nodes of the picture. (``backprop-lab verify``
goes further: several shapes, a random ``dJ``, finite differences.) Problems (no such file,
syntax error, missing function, an exception in the user's code, a non-dict backward) raise
:class:`~comparisons.errors.UsageError` with one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from comparisons.errors import UsageError
from handmade.mlp import TwoLayerMLP

EXPECTED = ("do", "dW2", "dh", "dz", "dW1")


def load_pair(path: str | Path) -> tuple[Any, Any]:
    """Import ``path`` with verify's loader; return its ``(forward, backward)``.

    UsageError (one line, prefixed ``--verify:``) for everything verify's loader rejects and
    for an exception raised while importing the file (its last line is shown).
    """
    from comparisons.verify.guard import UserCodeError
    from comparisons.verify.loader import load_user_file

    try:
        user = load_user_file(path, against="two_layer")
    except UsageError as exc:
        raise UsageError(f"--verify: {exc}") from None
    except UserCodeError as exc:
        last = exc.text.strip().splitlines()[-1] if exc.text.strip() else "an exception"
        raise UsageError(f"--verify: {exc.where} raised {last}") from None
    return user.spec.forward, user.spec.backward


def check_book_network(model: TwoLayerMLP) -> None:
    """UsageError unless ``model`` is the network a two_layer file derives (ReLU, no bias)."""
    if model.phi != "relu" or model.b1 is not None or model.mask is not None:
        raise UsageError("--verify: a two_layer file derives the book's network (ReLU, no bias, "
                         "no dropout); drop --activation/--bias")


def user_gradients(
    path: str | Path, model: TwoLayerMLP, X: NDArray[Any], Y: NDArray[Any]
) -> dict[str, Any]:
    """The user's gradients (``do, dW2, dh, dz, dW1``; None for a missing key) on the inputs
    ``X``, ``Y`` and the weights and λ of ``model``."""
    check_book_network(model)
    forward, backward = load_pair(path)
    args = (X.copy(), Y.copy(), model.W1.data.copy(), model.W2.data.copy(), model.lam)
    try:
        _, cache = forward(*args)
        grads = backward(np.ones((), dtype=X.dtype), cache)
    except Exception as exc:  # the user's code may raise anything
        raise UsageError(f"--verify: your two_layer code raised {type(exc).__name__}: {exc} "
                         f"(backprop-lab verify {path} shows the traceback)") from None
    if not isinstance(grads, dict):
        raise UsageError(f"--verify: backward must return a dict with keys {', '.join(EXPECTED)},"
                         f" got {type(grads).__name__}")
    return {key: _array(grads.get(key)) for key in EXPECTED}


def _array(value: Any) -> NDArray[Any] | None:
    """A NumPy array of ``value`` (a torch tensor is detached), None stays None."""
    if value is None:
        return None
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)
