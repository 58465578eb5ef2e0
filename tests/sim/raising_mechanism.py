"""A mechanism that builds fine but raises when it clears, to make a sweep run fail."""

import numpy as np


class RaisingMechanism:
    """Passes config validation (it can be built) and raises ``RuntimeError`` in ``run``."""

    name = "raising"

    def __init__(self) -> None:
        self.properties: dict[str, bool] = {}

    def run(self, asks: np.ndarray, market, rng: np.random.Generator):
        raise RuntimeError("raising mechanism: this run fails on purpose")
