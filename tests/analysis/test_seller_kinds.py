"""Spend, labels and label accuracy by seller kind, and each row's share of spend on AI
sellers, on hand-worked tables."""

import numpy as np
import pandas as pd
import pytest

from analysis.seller_kinds import ai_share_points, has_ai_sellers, plot_ai_share, spend_by_kind

IDENTITY = {"scenario": "main", "mechanism": "vcg", "budget": 4.0}


def annotators() -> pd.DataFrame:
    """Two seeds, one round, a human (id 1) and a gpt4 seller (id 2)."""
    rows = [
        (0, 1, "human", 3.0, 2, 0.8),
        (0, 2, "gpt4", 1.0, 10, 0.7),
        (1, 1, "human", 2.0, 1, 0.6),
        (1, 2, "gpt4", 2.0, 20, 0.5),
    ]
    columns = ["seed_index", "annotator", "kind", "payment", "units", "quality_estimate"]
    return pd.DataFrame(rows, columns=columns).assign(**IDENTITY, round=0)


def labels() -> pd.DataFrame:
    """Seed 0: the human right twice; gpt4 right once, wrong twice. Seed 1: gpt4 right, and
    wrong on a golden check (left out of label accuracy)."""
    rows = [
        (0, 1, True, False),
        (0, 1, True, False),
        (0, 2, True, False),
        (0, 2, False, False),
        (0, 2, False, False),
        (1, 2, True, False),
        (1, 2, False, True),
    ]
    frame = pd.DataFrame(rows, columns=["seed_index", "worker", "correct", "golden"])
    return frame.assign(**IDENTITY, round=0)


def test_spend_labels_and_accuracy_by_kind():
    table = spend_by_kind(annotators(), labels()).set_index("kind")
    assert table.loc["human", "spend"] == pytest.approx(2.5)  # (3 + 2) / 2 seeds
    assert table.loc["gpt4", "labels"] == pytest.approx(15.0)  # (10 + 20) / 2
    assert table.loc["human", "label_accuracy"] == pytest.approx(1.0)
    assert table.loc["gpt4", "label_accuracy"] == pytest.approx(0.5)  # 2 right of 4
    assert table.loc["gpt4", "quality_estimate"] == pytest.approx(0.6)  # (0.7 + 0.5) / 2


def outcomes() -> pd.DataFrame:
    """The two seeds' final reward accuracy."""
    return pd.DataFrame(
        {"mechanism": "vcg", "budget": 4.0, "seed_index": [0, 1], "reward_accuracy": [0.6, 0.7]}
    )


def test_the_ai_share_of_spend_and_reward_accuracy_per_row():
    point = ai_share_points(annotators(), outcomes()).iloc[0]
    assert point["ai_share"] == pytest.approx((0.25 + 0.5) / 2)  # 1 of 4, then 2 of 4
    assert point["reward_accuracy"] == pytest.approx(0.65)
    assert point["ci_low"] < 0.65 < point["ci_high"]


def test_only_a_market_with_a_seller_that_is_not_human_has_ai_sellers(tmp_path):
    assert has_ai_sellers(annotators())
    assert not has_ai_sellers(annotators().assign(kind="human"))
    points = ai_share_points(annotators(), outcomes())
    assert plot_ai_share(points, tmp_path / "mix.png").stat().st_size > 0
    assert np.isfinite(points["ai_share_low"]).all()


def test_the_believed_quality_is_the_buyers_after_the_last_round():
    """A second round that sells nothing moves no spend but is what the buyer now believes."""
    later = annotators().assign(round=1, payment=0.0, units=0, quality_estimate=0.9)
    table = spend_by_kind(pd.concat([annotators(), later]), labels()).set_index("kind")
    assert table.loc["gpt4", "quality_estimate"] == pytest.approx(0.9)
    assert table.loc["human", "spend"] == pytest.approx(2.5)
