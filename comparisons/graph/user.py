"""A user's ``two_layer`` file for ``backprop-lab graph --verify``: verify's report, and the
user's numbers on the picture's inputs.

The file is the one ``backprop-lab verify`` takes for ``two_layer``: it defines
``forward(X, Y, W1, W2, lam) -> (J, cache)`` and ``backward(dJ, cache) -> dict`` with keys
``do, dW2, dh, dz, dW1`` (the book's network: ReLU, MSE, no bias).

* :func:`verify_report` is ``backprop-lab verify FILE --against two_layer``: the very
  ``VerifyReport`` (its cases, upstream convention dJ = 1 for the objective, diagnoses,
  notes, first divergence, verdict). The graph's colours and exit code come from it alone.
* :func:`picture_gradients` calls the user's pair once more, on copies of the picture's own
  inputs and weights with ``dJ = 1``, only so that the user's numbers can be shown beside the
  reference's on the nodes. Whatever the user's code does there (raise, exit, return junk) is
  a reason why no numbers are shown, never a change of the verdict.

Usage problems (no such file, syntax error, missing function) raise
:class:`~comparisons.core.errors.UsageError` with one line prefixed ``--verify:``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from comparisons.core.errors import UsageError
from comparisons.verification.loader import load_user_file, verify_file
from comparisons.verification.report import VerifyReport
from handmade.mlp import TwoLayerMLP
from handmade.network import BOOK

OP = "two_layer"
EXPECTED = BOOK.gradients  # do, dW2, dh, dz, dW1: the book's network (handmade.network)


def check_book_network(model: TwoLayerMLP) -> None:
    """UsageError unless ``model`` is the network a two_layer file derives (ReLU, no bias)."""
    if model.phi != "relu" or model.b1 is not None or model.mask is not None:
        raise UsageError("--verify: a two_layer file derives the book's network (ReLU, no bias, "
                         "no dropout); drop --activation/--bias")


def verify_report(path: str | Path) -> VerifyReport:
    """``verify_file(path, against="two_layer")``; its UsageError gets the ``--verify:`` prefix.
    An exception in the user's code (at import or in a call) is in ``report.error``."""
    try:
        return verify_file(path, against=OP)
    except UsageError as exc:
        raise UsageError(f"--verify: {exc}") from None


def picture_gradients(
    path: str | Path, model: TwoLayerMLP, X: NDArray[Any], Y: NDArray[Any]
) -> tuple[dict[str, NDArray[Any] | None], str | None]:
    """The user's gradients (``do, dW2, dh, dz, dW1``; None for a missing or non-numeric one)
    on ``X``, ``Y`` and the weights and λ of ``model``, from ``dJ = 1``, and None; or ``{}``
    and the reason when the user's code could not give them (it is untrusted: any exception,
    even ``SystemExit``, ends here)."""
    check_book_network(model)
    args = (X.copy(), Y.copy(), model.W1.data.copy(), model.W2.data.copy(), model.lam)
    try:
        user = load_user_file(path, against=OP)
        _, cache = user.spec.forward(*args)
        grads = user.spec.backward(np.ones((), dtype=X.dtype), cache)
        if not isinstance(grads, dict):
            return {}, f"your backward returned {type(grads).__name__}, not a dict"
        return {key: as_array(grads.get(key)) for key in EXPECTED}, None
    except BaseException as exc:  # noqa: BLE001 - untrusted code may raise anything
        return {}, f"your code raised {type(exc).__name__}: {exc}".strip().rstrip(":")


def as_array(value: Any) -> NDArray[Any] | None:
    """A numeric NumPy array of ``value`` (a torch tensor is detached); None for None or for
    anything that is not numeric."""
    if value is None:
        return None
    try:
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001 - a user's object may refuse conversion
        return None
    return arr if np.issubdtype(arr.dtype, np.number) else None
