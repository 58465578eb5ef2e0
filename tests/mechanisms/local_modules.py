"""Write a user's mechanism module into the current directory, as a test's tmp folder."""

import sys
import textwrap

#: A module with one mechanism that passes every check: buy every ask <= value, pay the value.
PAY_THE_VALUE = """
    import numpy as np
    from mechanisms import Outcome

    class PayTheValue:
        name = "pay_the_value"
        properties = {"dsic": True, "ir": True, "budget_feasible": False, "monotone": True}

        def run(self, asks, market, rng):
            bought = np.where(asks <= market.values, market.capacities, 0)
            return Outcome(bought, bought * market.values)
"""


def write_module_here(tmp_path, monkeypatch, name: str, source: str) -> str:
    """Write ``name.py`` into ``tmp_path`` and make that the current directory.

    The directory is kept off ``sys.path`` (as for an installed console script); give
    each test its own module name, since an imported module stays in ``sys.modules``.
    """
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".", str(tmp_path))])
    return name
