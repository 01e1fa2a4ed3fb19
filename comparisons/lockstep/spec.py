"""What the two engines of a lockstep run share: objectives, optimiser spec, masks, context.

Re-exported by :mod:`comparisons.lockstep.train`, which is where users import them from.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from handmade.dropout import MaskSource, make_dropout_mask
from handmade.module import Module


class HandmadeObjective(Protocol):
    """A handmade training objective on one batch.

    ``forward(model, X, y)`` returns the 0-d objective (and keeps what backward needs);
    ``backward(model)`` writes ``.grad`` of every trained parameter (overwriting).
    """

    def forward(self, model: Module, X: NDArray, y: NDArray) -> NDArray: ...

    def backward(self, model: Module) -> None: ...


TorchObjective = Callable[[Any, Any, Any], Any]
"""A callable ``(model, X, y) -> 0-d tensor`` whose ``.backward()`` fills every ``.grad``."""


class LossObjective:
    """The plain objective ``loss(model(X), y)`` from a handmade loss module.

    The loss module has ``forward(pred, target) -> 0-d`` and ``backward(dloss) -> dpred``
    (``MSELoss``, ``CrossEntropyLoss``, ``LogRMSELoss``); the model's backward writes the grads.
    """

    def __init__(self, loss: Module) -> None:
        self.loss = loss

    def forward(self, model: Module, X: NDArray, y: NDArray) -> NDArray:
        """``loss(model(X), y)``."""
        return self.loss(model(X), y)

    def backward(self, model: Module) -> None:
        """``model.backward(loss.backward(1.0))``."""
        model.backward(self.loss.backward(1.0))


def torch_loss_objective(loss: Any) -> TorchObjective:
    """The torch twin of :class:`LossObjective`: ``(model, X, y) -> loss(model(X), y)``."""
    def objective(model: Any, X: Any, y: Any) -> Any:
        return loss(model(X), y)

    return objective


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimiser for both engines: ``kind`` "sgd" or "adam" with keyword ``options``.

    ``options`` are those both ``handmade.optim`` and ``torch.optim`` accept (SGD: lr, momentum,
    weight_decay, dampening, nesterov; Adam: lr, betas, eps, weight_decay). ``groups``: None (one
    group of every parameter) or torch-style groups naming parameters, e.g.
    ``[{"params": ["weight"], "weight_decay": 3.0}, {"params": ["bias"]}]``; parameters named in
    no group are not trained. ``divide_by_batch``: divide every gradient by the batch size before
    the step (D2L's scratch ``sgd``: ``θ <- θ - lr * grad / |B|`` for a summed loss).
    """

    kind: str = "sgd"
    options: Mapping[str, Any] = field(default_factory=dict)
    groups: Sequence[Mapping[str, Any]] | None = None
    divide_by_batch: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("sgd", "adam"):
            raise ValueError(f"optimizer kind: expected 'sgd' or 'adam', got {self.kind!r}")

    def param_groups(self, named: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Resolve parameter names into groups of this engine's parameter objects."""
        if self.groups is None:
            return [{"params": list(named.values())}]
        seen: set[str] = set()
        out = []
        for group in self.groups:
            names = list(group["params"])
            bad = [n for n in names if n not in named or n in seen]
            if bad:
                raise ValueError(f"optimizer groups: expected each of {sorted(named)} at most "
                                 f"once, got {bad}")
            seen.update(names)
            out.append({**group, "params": [named[n] for n in names]})
        return out


class MaskRecorder:
    """One dropout-mask stream for all engines: each mask is drawn once, handed to every engine.

    ``source(engine, key, p)`` is the mask source (``(shape) -> bool``) of one dropout layer
    ``key`` in one engine. The n-th call of a key, in any engine, returns the n-th mask of that
    key: drawn with ``make_dropout_mask(shape, p, rng)`` by whichever engine asks first (the
    handmade engine steps first), then handed out unchanged. Masks every engine has taken are
    forgotten. ``drawn`` counts masks drawn.
    """

    def __init__(self, rng: np.random.Generator, engines: Sequence[str]) -> None:
        self.rng = rng
        self.engines = tuple(engines)
        self.drawn = 0
        self._queues: dict[str, deque[NDArray]] = {}
        self._base: dict[str, int] = {}
        self._p: dict[str, float] = {}
        self._pos: dict[tuple[str, str], int] = {}

    def source(self, engine: str, key: str, p: float) -> MaskSource:
        """The mask source of layer ``key`` (drop probability ``p``) in ``engine``."""
        if engine not in self.engines:
            raise ValueError(f"engine: expected one of {list(self.engines)}, got {engine!r}")
        if self._p.setdefault(key, p) != p:
            raise ValueError(f"mask source {key!r}: expected p={self._p[key]} as before, got {p}")
        for e in self.engines:
            self._pos.setdefault((e, key), 0)
        self._queues.setdefault(key, deque())
        self._base.setdefault(key, 0)
        return lambda shape: self._take(engine, key, tuple(shape))

    def _take(self, engine: str, key: str, shape: tuple[int, ...]) -> NDArray:
        queue, base, i = self._queues[key], self._base[key], self._pos[(engine, key)]
        if i - base == len(queue):
            queue.append(make_dropout_mask(shape, self._p[key], self.rng))
            self.drawn += 1
        mask = queue[i - base]
        if mask.shape != shape:
            raise ValueError(f"mask source {key!r}: expected shape {mask.shape} as drawn for "
                             f"call {i}, got {shape} from {engine}")
        self._pos[(engine, key)] = i + 1
        while self._base[key] < min(self._pos[(e, key)] for e in self.engines):
            queue.popleft()
            self._base[key] += 1
        return mask


@dataclass(frozen=True)
class BuildContext:
    """What a model factory gets: the init generator, the dtype, its engine's mask sources.

    Only the handmade factory should draw from ``rng`` (the torch model's values are replaced by
    the handmade ones). ``mask_source(key, p)`` gives dropout layer ``key`` its shared masks.
    """

    engine: str
    rng: np.random.Generator
    dtype: np.dtype
    recorder: MaskRecorder

    def mask_source(self, key: str, p: float) -> MaskSource:
        """This engine's tap of the shared mask stream of dropout layer ``key``."""
        return self.recorder.source(self.engine, key, p)
