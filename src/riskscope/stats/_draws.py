"""Seeded beta-posterior draws for the grade distribution.

Jeffreys priors (Beta(1/2, 1/2)) are used throughout because their equal-tailed intervals have
close-to-nominal frequentist coverage for binomial rates, unlike the uniform prior near 0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def jeffreys_draws(successes: int, n: int, draws: int, rng: np.random.Generator) -> NDArray[np.float64]:
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    return rng.beta(successes + 0.5, n - successes + 0.5, size=draws)
