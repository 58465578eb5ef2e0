"""The pure pieces of the buyer's round: dealing slots, choosing items, quality evidence, votes."""

import numpy as np
import pandas as pd
import pytest

from agents.buyer import quality_evidence
from agents.label_slots import choose_items, deal_slots
from agents.training_votes import training_votes


def test_deal_slots_uses_every_label_and_never_repeats_a_seller_on_an_item():
    rng = np.random.default_rng(0)
    for _ in range(300):
        allocation = rng.integers(0, 6, size=rng.integers(1, 8))
        per_item = int(rng.integers(1, 4))
        golden_rate = float(rng.uniform(0, 0.5))
        slots = deal_slots(allocation, per_item, golden_rate, rng)
        units = int(allocation.sum())
        assert slots.regular_seller.size + slots.golden_seller.size == units
        assert slots.regular_seller.size == slots.n_items * per_item
        assert slots.golden_seller.size >= round(golden_rate * units)
        pairs = set(zip(slots.regular_item, slots.regular_seller, strict=True))
        assert len(pairs) == slots.regular_seller.size  # distinct sellers on every item
        np.testing.assert_array_equal(
            np.bincount(
                np.concatenate([slots.regular_seller, slots.golden_seller]),
                minlength=allocation.size,
            ),
            allocation,
        )
        # As many items as any dealing with distinct sellers per item could fill (brute force).
        most = (units - round(golden_rate * units)) // per_item
        fillable = [k for k in range(most + 1) if np.minimum(allocation, k).sum() >= k * per_item]
        assert slots.n_items == max(fillable)


def test_two_labels_per_item_from_one_big_seller_and_one_small_fill_one_item():
    """A seller selling more labels than there are items cannot label them all: the rest
    become golden checks instead of a second label by the same seller."""
    slots = deal_slots(np.array([5, 1]), 2, 0.0, np.random.default_rng(0))
    assert slots.n_items == 1
    assert sorted(slots.regular_seller) == [0, 1] and slots.golden_seller.tolist() == [0] * 4


def test_random_items_are_distinct_unlabelled_pairs():
    unlabelled = np.zeros(50, dtype=bool)
    unlabelled[::3] = True
    chosen = choose_items(unlabelled, 10, np.random.default_rng(0))
    assert len(set(chosen)) == 10
    assert unlabelled[chosen].all()


def test_uncertainty_sampling_takes_the_smallest_margins_of_its_pool():
    unlabelled = np.ones(40, dtype=bool)
    margin_of = np.random.default_rng(1).random(40)
    seen = []

    def margin(pool):
        seen.append(pool)
        return margin_of[pool]

    chosen = choose_items(unlabelled, 5, np.random.default_rng(2), margin)
    (pool,) = seen
    assert len(pool) == 20  # four candidates per item wanted
    np.testing.assert_array_equal(np.sort(chosen), np.sort(pool[np.argsort(margin_of[pool])[:5]]))


def test_asking_for_more_items_than_remain_names_the_buyer_fields():
    with pytest.raises(ValueError, match=r"buyer\.demand_per_round or buyer\.rounds"):
        choose_items(np.ones(3, dtype=bool), 4, np.random.default_rng(0))


def labels(workers, left, right, label, correct=None):
    frame = pd.DataFrame({"worker": workers, "left": left, "right": right, "label": label})
    if correct is not None:
        frame["correct"] = correct
    return frame


def test_golden_answers_count_fully_and_agreement_counts_2a_minus_1():
    golden = labels([7, 8], [0, 2], [1, 3], [0, 3], correct=[True, False])
    regular = labels([7, 9], [4, 6], [5, 7], [4, 7])
    workers, right, wrong = quality_evidence(golden, regular, np.array([True, True]), 0.8)
    np.testing.assert_array_equal(workers, [7, 8, 7, 9])
    np.testing.assert_allclose(right, [1, 0, 0.6, 0])  # 7 agrees with the model, 9 does not
    np.testing.assert_allclose(wrong, [0, 1, 0, 0.6])
    workers, right, wrong = quality_evidence(golden, regular, np.array([True, True]), 0.4)
    np.testing.assert_allclose(right[2:] + wrong[2:], 0)  # a model below chance is no evidence
    workers, _, _ = quality_evidence(golden, regular, None, 0.9)
    np.testing.assert_array_equal(workers, [7, 8])


def test_majority_votes_one_label_per_pair_of_this_round():
    regular = labels([1, 2, 3, 1], [0, 0, 1, 4], [1, 1, 0, 5], [0, 0, 1, 5])
    votes = training_votes(regular, "majority", regular).set_index(["left", "right"])
    assert len(votes) == 2
    assert votes["label"].tolist().count(0) == 1 and 5 in votes["label"].tolist()


def test_dawid_skene_votes_cover_this_rounds_pairs_only():
    history = labels([1, 2, 3, 1, 2], [0, 0, 0, 8, 8], [1, 1, 1, 9, 9], [0, 0, 1, 9, 9])
    regular = history.iloc[:3]
    votes = training_votes(regular, "dawid_skene", history)
    assert set(zip(votes["left"], votes["right"], strict=True)) == {(0, 1)}
    assert votes["label"].tolist() == [0]
