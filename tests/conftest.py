"""Shared test fixtures: an explicit generator and a fast hypothesis profile."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "fast", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("fast")


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded generator per test (no global seeding)."""
    return np.random.default_rng(0)
