"""The seeds of a many-seed experiment, derived from one root seed."""

from __future__ import annotations

import numpy as np


def spawned_seeds(root: int, n: int) -> list[int]:
    """Seed ``i`` is the first 32-bit word of child ``i`` of ``SeedSequence(root).spawn(n)``.

    Children are independent streams (NumPy's ``SeedSequence`` hashing), and child ``i``
    does not depend on ``n``, so raising ``n`` keeps the earlier seeds.
    """
    children = np.random.SeedSequence(root).spawn(n)
    return [int(child.generate_state(1)[0]) for child in children]
