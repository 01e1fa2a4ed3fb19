"""Minibatch indices: a partition of range(n), DataLoader's batch sizes, seeded shuffling."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from torch.utils.data import BatchSampler, SequentialSampler

from comparisons.data.batches import epoch_permutation, iterate_minibatches


@pytest.mark.parametrize("n,batch_size", [(1, 1), (10, 3), (12, 4), (7, 10), (256, 64), (0, 5)])
def test_batches_partition_range(rng: np.random.Generator, n: int, batch_size: int) -> None:
    batches = iterate_minibatches(n, batch_size, rng)
    assert len(batches) == math.ceil(n / batch_size)
    assert all(b.dtype == np.int64 for b in batches)
    assert all(len(b) == batch_size for b in batches[:-1])
    everything = np.concatenate(batches) if batches else np.array([], np.int64)
    np.testing.assert_array_equal(np.sort(everything), np.arange(n))


@pytest.mark.parametrize("n,batch_size", [(10, 3), (12, 4), (7, 10), (1, 1)])
def test_unshuffled_batches_match_dataloader(n: int, batch_size: int) -> None:
    sampler = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last=False)
    ours = iterate_minibatches(n, batch_size, None, shuffle=False)
    assert [b.tolist() for b in ours] == list(sampler)


def test_same_seed_same_batches_and_epochs_differ() -> None:
    a = iterate_minibatches(50, 8, np.random.default_rng(4))
    b = iterate_minibatches(50, 8, np.random.default_rng(4))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    rng = np.random.default_rng(4)
    first, second = epoch_permutation(50, rng), epoch_permutation(50, rng)
    np.testing.assert_array_equal(first, np.concatenate(a))
    assert not np.array_equal(first, second)


def test_permutations_are_uniform() -> None:
    """All 3! orderings equally likely: counts within 4 binomial standard errors."""
    rng = np.random.default_rng(8)
    draws = 6000
    counts = dict.fromkeys(itertools.permutations(range(3)), 0)
    for _ in range(draws):
        counts[tuple(epoch_permutation(3, rng).tolist())] += 1
    p = 1 / 6
    for count in counts.values():
        assert abs(count - draws * p) <= 4 * math.sqrt(draws * p * (1 - p))


@pytest.mark.parametrize(
    "args,kwargs,arg",
    [
        ((10, 0, None), {}, "batch_size"),
        ((-1, 2, None), {}, "n"),
        ((10, 2.0, None), {}, "batch_size"),
        ((10, 2, None), {}, "rng"),
        ((10, 2, 0), {}, "rng"),
        ((10, 2, None), {"shuffle": 1}, "shuffle"),
    ],
)
def test_bad_input(args: tuple, kwargs: dict, arg: str) -> None:
    with pytest.raises(ValueError, match=f"^{arg}: expected"):
        iterate_minibatches(*args, **kwargs)
