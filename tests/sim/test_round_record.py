"""Every round metric has exactly one reporter, in the metric table's order."""

from analysis.records import ROUND_METRICS
from sim.round_record import ROUND_REPORTERS


def test_one_reporter_per_round_metric():
    assert list(ROUND_REPORTERS) == list(ROUND_METRICS)
