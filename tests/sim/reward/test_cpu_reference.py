"""The CPU path is unchanged by the device path: one market and three reward models compute,
bit for bit, what they computed before the reward model had a ``device`` setting
(``tests/data/cpu_reference.json``, written by ``tests/data/cpu_reference.py``)."""

import json
from pathlib import Path

import numpy as np
import pytest

from tests.data.cpu_reference import reference

REFERENCE = Path(__file__).parents[2] / "data" / "cpu_reference.json"


@pytest.mark.slow
def test_cpu_results_are_bit_identical_to_the_reference():
    expected = json.loads(REFERENCE.read_text())
    got = reference()
    assert got["market"].keys() == expected["market"].keys()
    for column, values in expected["market"].items():
        np.testing.assert_array_equal(got["market"][column], values, err_msg=column)
    for name, rewards in expected["models"].items():
        np.testing.assert_array_equal(got["models"][name], rewards, err_msg=name)
