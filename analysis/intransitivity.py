"""Intransitivity diagnostics: majority graphs, Condorcet cycles, and judges' own cycles.

Labels follow crowd-kit's pairwise format (``worker, left, right, label``; see
``analysis.aggregation``). Item a beats item b in the majority graph when strictly more labels
on the unordered pair {a, b} name a than name b; a tied or unlabelled pair has no edge.

A triple {a, b, c} is cyclic when its three majority edges form a directed cycle
(a > b > c > a or the reverse): Condorcet's paradox. With three alternatives and an odd
number of voters, a profile has no Condorcet winner exactly when its triple is cyclic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

from analysis.aggregation import majority_vote


@dataclass(frozen=True, eq=False)
class MajorityGraph:
    """Directed graph of strict pairwise-majority preferences.

    Attributes
    ----------
    items : numpy.ndarray
        Sorted ids of every item that appears in the labels.
    wins : scipy.sparse.csr_array of bool, shape (n, n)
        ``wins[i, j]`` is True when ``items[i]`` beats ``items[j]`` by a strict majority.
    """

    items: np.ndarray
    wins: sparse.csr_array

    def beats(self, a, b) -> bool:
        """True when item ``a`` beats item ``b`` by a strict majority."""
        i, j = pd.Index(self.items).get_indexer([a, b])
        for item, position in ((a, i), (b, j)):
            if position < 0:
                raise ValueError(f"item: {item!r} does not appear in the labels")
        return bool(self.wins[i, j])


def majority_graph(labels: pd.DataFrame) -> MajorityGraph:
    """The strict-majority graph of ``labels`` (``worker, left, right, label``)."""
    votes = majority_vote(labels)
    _, items = pd.factorize(
        np.concatenate([labels["left"].to_numpy(), labels["right"].to_numpy()]), sort=True
    )
    index = pd.Index(items)
    winner = index.get_indexer(votes["label"].to_numpy())
    left = index.get_indexer(votes["left"].to_numpy())
    right = index.get_indexer(votes["right"].to_numpy())
    loser = np.where(winner == left, right, left)
    wins = sparse.csr_array(
        (np.ones(len(votes), dtype=bool), (winner, loser)), shape=(len(items), len(items))
    )
    return MajorityGraph(items=items, wins=wins)


def _closed_walks_of_three(adjacency) -> np.ndarray:
    """Diagonal of A^3 (closed walks of length 3 through each node)."""
    adjacency = sparse.csr_array(adjacency, dtype=np.int64)
    return np.asarray((adjacency @ adjacency).multiply(adjacency.T).sum(axis=1)).ravel()


def three_cycles(labels: pd.DataFrame) -> int:
    """Number of directed 3-cycles (cyclic triples) in the majority graph of ``labels``."""
    return int(_closed_walks_of_three(majority_graph(labels).wins).sum()) // 3


def condorcet_winner(labels: pd.DataFrame):
    """The item that beats every other item by strict majority, or ``None`` if there is none.

    An item never compared with some other item cannot be the Condorcet winner.
    """
    graph = majority_graph(labels)
    beaten = np.asarray(graph.wins.sum(axis=1)).ravel()
    winners = np.flatnonzero(beaten == len(graph.items) - 1)
    if len(graph.items) < 2 or len(winners) == 0:
        return None
    return graph.items[winners[0]]


def cycle_rate_by_prompt(labels: pd.DataFrame, prompt_of: Mapping | pd.Series) -> pd.Series:
    """Share of cyclic triples among each prompt's responses.

    For each prompt, the rate is (number of cyclic triples) / (number of triples whose three
    pairs all have a strict majority), both counted among items of that prompt only. A prompt
    with no fully decided triple gets NaN.

    Parameters
    ----------
    labels : DataFrame
        Columns ``worker, left, right, label``.
    prompt_of : mapping or Series
        Prompt id of every item appearing in ``labels``.

    Returns
    -------
    Series
        Indexed by prompt id (sorted), named ``cycle_rate``.
    """
    graph = majority_graph(labels)
    prompts = pd.Series(prompt_of).reindex(graph.items)
    if prompts.isna().any():
        missing = graph.items[prompts.isna().to_numpy()][:5].tolist()
        raise ValueError(f"prompt_of: no prompt for items {missing}; map every labelled item")
    prompt_code, prompt_ids = pd.factorize(prompts.to_numpy(), sort=True)
    edges = graph.wins.tocoo()
    same_prompt = prompt_code[edges.row] == prompt_code[edges.col]
    within = sparse.csr_array(
        (edges.data[same_prompt], (edges.row[same_prompt], edges.col[same_prompt])),
        shape=graph.wins.shape,
    )
    n_prompts = len(prompt_ids)
    cyclic = np.bincount(prompt_code, _closed_walks_of_three(within), n_prompts) / 3
    decided = within + within.T
    complete = np.bincount(prompt_code, _closed_walks_of_three(decided), n_prompts) / 6
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(complete > 0, cyclic / complete, np.nan)
    return pd.Series(rates, index=prompt_ids, name="cycle_rate")


def _triple_array(triples) -> np.ndarray:
    triples = np.asarray(triples, dtype=float)
    if triples.ndim != 3 or triples.shape[1] != 3:
        raise ValueError(f"triples: expected shape (triples, 3, attributes), got {triples.shape}")
    return triples


def _judge_triples(judge, triples: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The judge's labels on (a, b), (b, c), (a, c) of every triple, shape (3, t)."""
    a, b, c = triples[:, 0], triples[:, 1], triples[:, 2]
    return np.stack(
        [judge.prefer_left(a, b, rng), judge.prefer_left(b, c, rng), judge.prefer_left(a, c, rng)]
    )


def _is_cyclic(a_over_b: np.ndarray, b_over_c: np.ndarray, a_over_c: np.ndarray) -> np.ndarray:
    """a > b > c > a or a < b < c < a."""
    return (a_over_b == b_over_c) & (a_over_c != a_over_b)


def individual_cycle_rate(judge, triples, rng: np.random.Generator) -> float:
    """Share of triples on which one judge's own three labels form a cycle.

    Each pair of a triple is judged once, as (a, b), (b, c) and (a, c). A noisy judge cycles
    by chance too: a fair coin gives 2/8 = 0.25.

    Parameters
    ----------
    judge : object with ``prefer_left(left, right, rng)``
        See ``agents.judges``.
    triples : array of float, shape (t, 3, k)
        Attribute vectors of the three responses of each triple.
    rng : numpy.random.Generator
    """
    return float(np.mean(_is_cyclic(*_judge_triples(judge, _triple_array(triples), rng))))


def majority_cycle_rate(judges: Sequence, triples, rng: np.random.Generator) -> float:
    """Share of triples whose pairwise majority over ``judges`` is cyclic (Condorcet's paradox).

    Every judge labels every pair of every triple once; the number of judges must be odd so
    that every pair has a strict majority.
    """
    if len(judges) == 0 or len(judges) % 2 == 0:
        raise ValueError(f"judges: need an odd number of judges, got {len(judges)}")
    triples = _triple_array(triples)
    votes = sum(_judge_triples(judge, triples, rng).astype(np.int64) for judge in judges)
    return float(np.mean(_is_cyclic(*(2 * votes > len(judges)))))


def kendall_tau(a, b) -> float:
    """Kendall's tau-b between two rankings given as scores (higher is better).

    ``a`` and ``b`` are Series indexed by item (aligned on the items they share) or arrays of
    equal length (aligned by position); computed by ``scipy.stats.kendalltau``.
    """
    a, b = pd.Series(a), pd.Series(b)
    shared = a.index.intersection(b.index)
    if len(shared) < 2:
        raise ValueError(f"a: shares {len(shared)} items with b; need at least 2 to rank")
    return float(stats.kendalltau(a[shared].to_numpy(), b[shared].to_numpy()).statistic)
