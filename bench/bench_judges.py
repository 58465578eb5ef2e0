"""Judge throughput (pairs per second) and cycle rates at default settings.

Run: ``OMP_NUM_THREADS=1 python bench/bench_judges.py``. Prints a Markdown table.
Throughput is 100,000 pairs divided by the least process CPU time of 20 calls, which is robust
to other processes sharing the machine (wall-clock time is not, on a shared 2-core box).

Defaults: the buyer's target is ``sim.corpus.DEFAULT_TARGET_WEIGHTS``; judges use their class
defaults (Bradley-Terry temperature 0.1, Thurstone noise 0.1, lexicographic threshold 0.1 with
attributes ordered by target weight); panels of 5 annotators draw their weights with
``draw_annotator_weights`` at the population default concentration 50 (``sim.config``).
Individual cycle rate: one judge's own labels on a triple form a cycle. Majority cycle rate:
the 5-judge majority on a triple is cyclic, averaged over 20 panels. Triples: every triple of
responses to the same prompt in the built-in corpus, and as many uniform random attribute
triples.
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from agents.judges import (
    AdversarialJudge,
    BradleyTerryJudge,
    LexicographicSemiorderJudge,
    SpammerJudge,
    ThurstoneJudge,
    draw_annotator_weights,
)
from analysis.intransitivity import individual_cycle_rate, majority_cycle_rate
from sim.corpus import ATTRIBUTES, DEFAULT_TARGET_WEIGHTS, builtin_corpus

PAIRS = 100_000
PANEL_SIZE = 5
PANELS = 20
CONCENTRATION = 50.0
TARGET = np.array([DEFAULT_TARGET_WEIGHTS.get(name, 0.0) for name in ATTRIBUTES])
ORDER = np.argsort(-TARGET, kind="stable")

JUDGE_TYPES = {
    "bradley_terry": lambda weights: BradleyTerryJudge(weights),
    "bradley_terry_noiseless": lambda weights: BradleyTerryJudge(weights, temperature=0),
    "thurstone": lambda weights: ThurstoneJudge(weights),
    "lexicographic": lambda weights: LexicographicSemiorderJudge(ORDER),
    "spammer": lambda weights: SpammerJudge(),
    "adversarial": lambda weights: AdversarialJudge(weights),
}


def corpus_triples() -> np.ndarray:
    corpus = builtin_corpus()
    triples = []
    for _, ids in corpus.responses.groupby("prompt_id")["response_id"]:
        attributes = corpus.attribute_matrix(ids.to_numpy())
        triples.extend(attributes[list(t)] for t in itertools.combinations(range(len(ids)), 3))
    return np.stack(triples)


def pairs_per_second(judge, rng: np.random.Generator) -> float:
    left, right = rng.random((PAIRS, len(TARGET))), rng.random((PAIRS, len(TARGET)))
    best = np.inf
    for _ in range(20):
        start = time.process_time()
        judge.prefer_left(left, right, rng)
        best = min(best, time.process_time() - start)
    return PAIRS / best


def main() -> None:
    rng = np.random.default_rng(0)
    triple_sets = {"corpus": corpus_triples()}
    triple_sets["random"] = rng.random(triple_sets["corpus"].shape)
    print(
        f"{len(triple_sets['corpus'])} same-prompt corpus triples; "
        f"panels of {PANEL_SIZE}, concentration {CONCENTRATION:g}, {PANELS} panels\n"
    )
    print(
        "| judge | pairs/s (100k pairs) | individual cycles, corpus | majority cycles, corpus "
        "| individual cycles, random | majority cycles, random |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, build in JUDGE_TYPES.items():
        speed = pairs_per_second(build(TARGET), rng)
        cells = []
        for triples in triple_sets.values():
            cells.append(individual_cycle_rate(build(TARGET), triples, rng))
            panels = [
                majority_cycle_rate(
                    [
                        build(w)
                        for w in draw_annotator_weights(TARGET, CONCENTRATION, PANEL_SIZE, rng)
                    ],
                    triples,
                    rng,
                )
                for _ in range(PANELS)
            ]
            cells.append(float(np.mean(panels)))
        print(f"| {name} | {speed:,.0f} | " + " | ".join(f"{c:.4f}" for c in cells) + " |")
    print("\nMajority cycles of noiseless Bradley-Terry panels by concentration (corpus triples):")
    for concentration in (1.0, 10.0, 50.0, 1000.0):
        panels = [
            majority_cycle_rate(
                [
                    BradleyTerryJudge(w, temperature=0)
                    for w in draw_annotator_weights(TARGET, concentration, PANEL_SIZE, rng)
                ],
                triple_sets["corpus"],
                rng,
            )
            for _ in range(PANELS)
        ]
        print(f"- concentration {concentration:g}: {np.mean(panels):.4f}")


if __name__ == "__main__":
    main()
