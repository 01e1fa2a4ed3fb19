"""The function that the gradient-check benchmark differentiates: a one-hidden-layer ReLU
network's MSE loss on a fixed batch, as a function of the flat vector theta of all its
parameters (W1 (H, D), b1 (H,), W2 (O, H), b2 (O,)), float64.

Three implementations of the same loss: :meth:`Network.loss_torch` (torch ops, one theta, what
gradcheck and autograd see), :meth:`Network.loss_batched` (NumPy, a stack of B thetas in one
vectorised pass, for ``numerical_gradient(f_batched=...)``) and :meth:`Network.loss_perturbed`
(NumPy, K one-entry perturbations of one theta, for ``numerical_gradient(f_indexed=...)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch


@dataclass(frozen=True)
class Network:
    """A one-hidden-layer ReLU network's MSE loss as a function of flat parameters."""

    x: np.ndarray
    y: np.ndarray
    hidden: int

    @property
    def shapes(self) -> list[tuple[int, ...]]:
        """Shapes of W1 (H, D), b1 (H,), W2 (O, H), b2 (O,)."""
        d, o = self.x.shape[1], self.y.shape[1]
        return [(self.hidden, d), (self.hidden,), (o, self.hidden), (o,)]

    @property
    def size(self) -> int:
        """P, the number of parameters."""
        return sum(int(np.prod(s)) for s in self.shapes)

    def split(self, theta: Any) -> list[Any]:
        """Views of W1, b1, W2, b2 in a (..., P) array or tensor (leading batch dims kept)."""
        parts, start = [], 0
        lead = tuple(theta.shape[:-1])
        for shape in self.shapes:
            k = int(np.prod(shape))
            parts.append(theta[..., start:start + k].reshape(lead + shape))
            start += k
        return parts

    def expansion_point(self, theta0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(W1_0, W1_0 X^T)`` at theta0 (P,): the product is computed once, here."""
        w1 = np.ascontiguousarray(self.split(theta0)[0])
        return w1, w1 @ self.x.T

    def first_layer(self, w1: np.ndarray, around: Any = None) -> np.ndarray:
        """``Z = W1 X^T`` for each of B weight matrices: w1 (B, H, D) -> (B, H, N).

        Dense: one (B·H, D) @ (D, N) product. With ``around`` (from :meth:`expansion_point`):
        ``Z = W1_0 X^T + (W1 - W1_0) X^T`` using only the difference's non-zeros. Exact for
        any w1; cheap when w1 differs from W1_0 in few entries, as in finite differences (one
        entry per vector: N operations instead of H·D·N). Falls back to dense when the
        difference is not sparse (more than one non-zero per 8 rows).
        """
        b, h, d = w1.shape
        if around is not None:
            base, z0 = around
            flat = np.flatnonzero(w1 != base)
            if 8 * flat.size <= b * h:
                bi, hi, ki = np.unravel_index(flat, w1.shape)
                z = np.broadcast_to(z0, (b, *z0.shape)).copy()
                delta = w1[bi, hi, ki] - base[hi, ki]
                np.add.at(z, (bi, hi), delta[:, None] * self.x.T[ki])
                return z
        return (np.ascontiguousarray(w1).reshape(b * h, d) @ self.x.T).reshape(b, h, -1)

    def loss_batched(self, stack: np.ndarray, around: Any = None) -> np.ndarray:
        """Loss at each of B parameter vectors: stack (B, P) -> (B,), in one vectorised pass.

        ``around``: optional expansion point for :meth:`first_layer`'s update form.
        """
        w1, b1, w2, b2 = self.split(stack)
        a = self.first_layer(w1, around)  # a new array in both forms: overwritten below
        a += b1[:, :, None]
        return self._loss_from_preactivations(a, w2, b2)

    def loss_perturbed(self, theta: np.ndarray, idx: np.ndarray, offsets: np.ndarray,
                       around: Any) -> np.ndarray:
        """Loss at theta (P,) with only ``theta[idx[k]] += offsets[k]``, for each k: (K,).

        No (K, P) array is built. A change δ of W1[h, d] changes only row h of Z = W1 X^T:
        A_k = Z0 + b1 with row h += δ X[:, d], from Z0 = W1_0 X^T in ``around`` (from
        :meth:`expansion_point` at this theta), then the rest of the network for the K_W1
        variants at once, (K_W1, H, N). The b1, W2, b2 perturbations (H + O·H + O parameters)
        keep Z0 and use a small (K_rest, H + O·H + O) stack of just those parameters.
        """
        w1_0, z0 = around
        w1, b1, w2, b2 = self.split(theta)
        if not np.array_equal(w1, w1_0):
            raise ValueError("loss_perturbed: around is not expansion_point(theta)")
        out = np.empty(idx.size, dtype=np.float64)
        in_w1 = idx < w1.size
        if in_w1.any():
            rows, cols = np.divmod(idx[in_w1], w1.shape[1])
            a = np.repeat((z0 + b1[:, None])[None], rows.size, axis=0)  # (K_W1, H, N)
            a[np.arange(rows.size), rows] += offsets[in_w1, None] * self.x.T[cols]
            out[in_w1] = self._loss_from_preactivations(a, w2[None], b2[None])
        if not in_w1.all():
            k = int(np.count_nonzero(~in_w1))
            rest = np.tile(theta[w1.size:], (k, 1))  # (K_rest, H + O·H + O)
            rest[np.arange(k), idx[~in_w1] - w1.size] += offsets[~in_w1]
            h, o = self.hidden, self.y.shape[1]
            b1s, w2s, b2s = rest[:, :h], rest[:, h:h + o * h].reshape(k, o, h), rest[:, h + o * h:]
            out[~in_w1] = self._loss_from_preactivations(z0 + b1s[:, :, None], w2s, b2s)
        return out

    def _loss_from_preactivations(self, a: np.ndarray, w2: np.ndarray,
                                  b2: np.ndarray) -> np.ndarray:
        """MSE of W2 relu(A) + b2 for B variants: a = Z + b1 (B, H, N), overwritten in place;
        w2 (B, O, H) and b2 (B, O), or (1, O, H) and (1, O) shared by all -> (B,)."""
        np.maximum(a, 0, out=a)
        out = np.matmul(w2, a)  # (B, O, N)
        out += b2[:, :, None]
        out -= self.y.T
        return np.mean(out * out, axis=(1, 2))

    def loss_torch(self, theta: torch.Tensor) -> torch.Tensor:
        """The same loss with torch ops, differentiable in theta (P,)."""
        w1, b1, w2, b2 = self.split(theta)
        x, y = torch.from_numpy(self.x), torch.from_numpy(self.y)
        out = torch.relu(x @ w1.T + b1) @ w2.T + b2
        return torch.mean((out - y) ** 2)


def make_network(dims: tuple[int, int, int], batch: int, seed: int = 0) -> tuple[Network, Any]:
    """The network on random data, and theta with torch.nn.Linear's default init scale."""
    rng = np.random.default_rng(seed)
    d, h, o = dims
    net = Network(rng.standard_normal((batch, d)), rng.standard_normal((batch, o)), h)
    bounds = [1 / np.sqrt(d)] * 2 + [1 / np.sqrt(h)] * 2
    theta = np.concatenate([rng.uniform(-b, b, int(np.prod(s))).ravel()
                            for b, s in zip(bounds, net.shapes)])
    return net, theta
