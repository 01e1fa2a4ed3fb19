"""Array types for annotations, checked by mypy (static only: nothing here runs a check).

- ``FloatArray``: an ndarray of float32 or float64, the dtypes every handmade op accepts (which
  of the two is the caller's run-time choice, and outputs keep it).
- ``BoolArray``: an ndarray of bool (a dropout mask, True = kept).
- ``IntArray``: an ndarray of integers (class labels).
- ``FloatDType``: the dtype of a ``FloatArray``.
- ``RealScalar``: a Python or NumPy real scalar, or a 0-d array (the upstream gradient of a
  scalar loss, ``dloss``/``dJ``/``ds``).
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

__all__ = ["BoolArray", "FloatArray", "FloatDType", "IntArray", "RealScalar"]

FloatArray: TypeAlias = NDArray[np.floating[Any]]
BoolArray: TypeAlias = NDArray[np.bool_]
IntArray: TypeAlias = NDArray[np.integer[Any]]
FloatDType: TypeAlias = np.dtype[np.floating[Any]]
RealScalar: TypeAlias = float | np.floating[Any] | np.integer[Any] | NDArray[np.floating[Any]]
