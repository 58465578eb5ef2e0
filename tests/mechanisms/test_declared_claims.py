"""Each built-in mechanism's claims, stated literally (Axelrod's pinned classifiers).

The property suite checks what a mechanism declares, so a declaration turned off would
silently drop its test; this table makes any change to a claim or its condition fail here
until the table is changed on purpose.
"""

import pytest

from mechanisms import get_mechanism
from mechanisms.registry import BUILTIN

ALL = {"dsic": True, "ir": True, "budget_feasible": True, "monotone": True}

EXPECTED_CLAIMS = {
    # Threshold payments on a monotone rule (Myerson 1981; Archer & Tardos 2001).
    "vcg": ({**ALL, "budget_feasible": False}, {}),
    "myerson": ({**ALL, "budget_feasible": False}, {}),
    "vickrey_feedback": ({**ALL, "budget_feasible": False}, {}),
    # A multi-unit seller sets the uniform price it is paid: truthful for unit supply only.
    "uniform_price": (ALL, {"dsic": "unit_capacity"}),
    "second_price": (ALL, {}),
    "posted_price": (ALL, {}),
    # Pay-as-bid: shading pays.
    "first_price": ({**ALL, "dsic": False}, {}),
    # Singer's proportional share is truthful per label, not for multi-unit sellers.
    "budget_feasible": (ALL, {"dsic": "unit_capacity"}),
}

BUILD_PARAMS = {"posted_price": {"price": 0.5}}


def test_every_builtin_mechanism_has_a_pinned_row():
    assert set(EXPECTED_CLAIMS) == set(BUILTIN)


@pytest.mark.parametrize("name", sorted(EXPECTED_CLAIMS))
def test_declared_properties_and_conditions_are_the_pinned_ones(name):
    mechanism = get_mechanism(name, **BUILD_PARAMS.get(name, {}))
    properties, conditions = EXPECTED_CLAIMS[name]
    assert dict(mechanism.properties) == properties
    assert dict(getattr(mechanism, "conditions", {})) == conditions
