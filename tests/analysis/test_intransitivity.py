"""Majority graphs and cycles against social-choice theory (Guilbaud, Kendall & Babington Smith)."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.judges import SpammerJudge
from analysis.intransitivity import (
    condorcet_winner,
    cycle_rate_by_prompt,
    individual_cycle_rate,
    kendall_tau,
    majority_cycle_rate,
    majority_graph,
    three_cycles,
)

GUILBAUD_LIMIT = 0.25 - 3 / (2 * math.pi) * math.asin(1 / 3)
PAIRS_OF_THREE = ((0, 1), (0, 2), (1, 2))


def labels_from_rankings(rankings):
    """Each voter (row of ``rankings``, best first) labels all three pairs of its profile.

    ``rankings`` has shape (profiles, voters, 3); item ids are ``3 * profile + alternative``.
    """
    rankings = np.asarray(rankings)
    profiles, voters, _ = rankings.shape
    position = np.empty_like(rankings)
    np.put_along_axis(position, rankings, np.arange(3), axis=2)
    frames = []
    for a, b in PAIRS_OF_THREE:
        base = 3 * np.arange(profiles)[:, None]
        a_wins = position[:, :, a] < position[:, :, b]
        frames.append(
            pd.DataFrame(
                {
                    "worker": np.tile(np.arange(voters), profiles),
                    "left": np.broadcast_to(base + a, (profiles, voters)).ravel(),
                    "right": np.broadcast_to(base + b, (profiles, voters)).ravel(),
                    "label": np.where(a_wins, base + a, base + b).ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_guilbaud_value_is_the_known_constant():
    assert abs(GUILBAUD_LIMIT - 0.0877) < 5e-5


def test_three_voters_lack_a_condorcet_winner_in_one_profile_of_eighteen():
    # Only the three rotations of one cyclic order (or of its reverse), in any voter order,
    # leave no Condorcet winner: 2 * 3! = 12 of 6^3 = 216 profiles, i.e. 1/18.
    orders = list(itertools.permutations(range(3)))
    without_winner = sum(
        condorcet_winner(labels_from_rankings([profile])) is None
        for profile in itertools.product(orders, repeat=3)
    )
    assert without_winner / len(orders) ** 3 == pytest.approx(1 / 18)


def test_impartial_culture_approaches_guilbauds_limit():
    rng = np.random.default_rng(0)
    profiles, voters = 3_000, 501
    rankings = rng.permuted(np.tile(np.arange(3), (profiles, voters, 1)), axis=2)
    labels = labels_from_rankings(rankings)
    prompt_of = pd.Series(np.arange(3 * profiles) // 3, index=np.arange(3 * profiles))
    per_profile = cycle_rate_by_prompt(labels, prompt_of)
    share = per_profile.mean()
    standard_error = math.sqrt(GUILBAUD_LIMIT * (1 - GUILBAUD_LIMIT) / profiles)
    assert abs(share - GUILBAUD_LIMIT) < 4 * standard_error
    assert share - 1 / 18 > 4 * standard_error
    assert three_cycles(labels) == round(share * profiles)


def tournament_labels(beats: np.ndarray) -> pd.DataFrame:
    """One worker labels every pair i < j: i wins when ``beats[i, j]``."""
    rows = [
        (0, i, j, i if beats[i, j] else j)
        for i, j in itertools.combinations(range(beats.shape[0]), 2)
    ]
    return pd.DataFrame(rows, columns=["worker", "left", "right", "label"])


@given(n=st.integers(3, 9), seed=st.integers(0, 2**32 - 1))
def test_three_cycles_of_a_tournament_match_kendall_babington_smith(n, seed):
    upper = np.triu(np.random.default_rng(seed).random((n, n)) < 0.5, k=1)
    beats = upper | np.triu(~upper, k=1).T
    labels = tournament_labels(beats)
    out_degree = beats.sum(axis=1)
    expected = math.comb(n, 3) - sum(math.comb(int(s), 2) for s in out_degree)
    assert three_cycles(labels) == expected
    rate = cycle_rate_by_prompt(labels, dict.fromkeys(range(n), "p"))
    assert rate["p"] == pytest.approx(expected / math.comb(n, 3))


@given(order=st.permutations(list(range(6))))
def test_a_linear_order_has_no_cycle_and_its_top_is_the_condorcet_winner(order):
    rank = np.argsort(order)
    labels = tournament_labels(rank[:, None] < rank[None, :])
    assert three_cycles(labels) == 0
    assert condorcet_winner(labels) == order[0]


def test_majority_graph_counts_votes_and_drops_ties():
    labels = pd.DataFrame(
        [
            ("w1", "a", "b", "a"),
            ("w2", "b", "a", "a"),
            ("w3", "a", "b", "b"),
            ("w1", "b", "c", "b"),
            ("w2", "c", "b", "c"),
        ],
        columns=["worker", "left", "right", "label"],
    )
    graph = majority_graph(labels)
    assert list(graph.items) == ["a", "b", "c"]
    assert graph.beats("a", "b")
    assert not graph.beats("b", "a")
    assert not graph.beats("b", "c")
    assert not graph.beats("c", "b")
    assert condorcet_winner(labels) is None
    with pytest.raises(ValueError, match=r"^item"):
        graph.beats("a", "z")


def test_cycle_rate_by_prompt_separates_prompts():
    cyclic = [(0, "x1", "x2", "x1"), (0, "x2", "x3", "x2"), (0, "x1", "x3", "x3")]
    transitive = [(0, "y1", "y2", "y1"), (0, "y2", "y3", "y2"), (0, "y1", "y3", "y1")]
    undecided = [(0, "z1", "z2", "z1"), (1, "z1", "z2", "z2"), (0, "z2", "z3", "z2")]
    labels = pd.DataFrame(
        cyclic + transitive + undecided, columns=["worker", "left", "right", "label"]
    )
    prompt_of = {f"{p}{i}": p for p in "xyz" for i in range(1, 4)}
    rates = cycle_rate_by_prompt(labels, prompt_of)
    assert rates["x"] == 1.0
    assert rates["y"] == 0.0
    assert np.isnan(rates["z"])
    assert three_cycles(labels) == 1
    with pytest.raises(ValueError, match=r"^prompt_of"):
        cycle_rate_by_prompt(labels, {"x1": "x"})


def test_majority_of_spammers_cycles_on_a_quarter_of_triples():
    rng = np.random.default_rng(1)
    triples = rng.random((20_000, 3, 5))
    rate = majority_cycle_rate([SpammerJudge()] * 3, triples, rng)
    assert abs(rate - 0.25) < 4 * math.sqrt(0.25 * 0.75 / len(triples))
    with pytest.raises(ValueError, match=r"^judges"):
        majority_cycle_rate([SpammerJudge()] * 2, triples, rng)
    with pytest.raises(ValueError, match=r"^triples"):
        individual_cycle_rate(SpammerJudge(), triples[:, :2], rng)


def test_kendall_tau_on_known_rankings():
    scores = pd.Series([3.0, 2.0, 1.0], index=["a", "b", "c"])
    assert kendall_tau(scores, scores.sample(frac=1, random_state=0)) == pytest.approx(1.0)
    assert kendall_tau(scores, -scores) == pytest.approx(-1.0)
    one_swap = pd.Series([2.0, 3.0, 1.0], index=["a", "b", "c"])
    assert kendall_tau(scores, one_swap) == pytest.approx((2 - 1) / 3)
    assert kendall_tau([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match=r"^a"):
        kendall_tau(scores, pd.Series([1.0], index=["a"]))
