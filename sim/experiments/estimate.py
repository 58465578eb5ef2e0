"""How long a run file's markets will take on this machine's CPU, from a short calibration.

Fine-tuning a reward model on the CPU costs about 20-25 pairs per second per core, so a study
that buys thousands of labels per market is hours of CPU; a user should know that before the
first market starts, and where it would run faster. The estimate is

    T = sum over markets of (L_m * E / r_fit + R_m * n_eval / r_score) / W + n_texts * t_cache

where ``L_m`` is the labels market m is expected to buy (its budget over the population's mean
cost per label, capped by its supply: annotators x capacity x rounds), ``E`` the epochs, ``R_m``
its rounds, ``n_eval`` the distinct texts of the evaluation pairs (each scored once a round),
``W`` the worker processes, ``n_texts`` the distinct texts of the corpus, each encoded once per
worker by the frozen part of the backbone; the rates ``r_fit`` (training pairs per second),
``r_score`` (texts scored per second) and ``t_cache`` (seconds per cached text) are measured on
this machine with the plan's own reward-model settings. It ignores the market's own work
(auctions, labelling: about a second per market) and is meant to within a factor of two.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sim.config import MarketConfig
from sim.corpus import gold_pairs, weight_vector
from sim.reward import RewardModel
from sim.reward.settings import DEFAULT_EPOCHS, regime

CALIBRATION_PAIRS = 32
"""Gold pairs the calibration fits twice (the first fit also encodes their texts)."""


@dataclass(frozen=True)
class Estimate:
    """The estimated wall-clock seconds of the fine-tuning markets and the rates behind it."""

    seconds: float
    markets: int
    labels: float
    pairs_per_s: float
    texts_per_s: float
    cache_s_per_text: float


def expected_labels(config: MarketConfig) -> float:
    """Labels a market is expected to buy: its budget over the population's mean cost per
    label, at most its supply (annotators x capacity x rounds)."""
    population = config.population
    mean_cost = float(population.cost_marginal().mean())
    supply = population.n_annotators * population.capacity * config.buyer.rounds
    return min(config.buyer.budget / max(mean_cost, 1e-12), supply)


def estimate_cpu_time(configs: list[MarketConfig], workers: int) -> Estimate:
    """The estimate of the module docstring for ``configs`` on ``workers`` processes, after a
    calibration of the first config's reward model on this machine (seconds)."""
    first = configs[0]
    corpus = first.corpus.load()
    weights = weight_vector(first.buyer.target_weights)
    train = gold_pairs(corpus, corpus.pairs("train").iloc[:CALIBRATION_PAIRS], weights)
    settings = first.reward_model.to_settings(seed=first.seed, progress=False)
    model = RewardModel(settings.replace(device="cpu", torch_threads=1))
    start = time.perf_counter()
    model.fit(train)  # tokenises and caches the frozen states of these texts
    first_fit = time.perf_counter() - start
    start = time.perf_counter()
    model.fit(train)
    fit_s = time.perf_counter() - start
    texts = set(train["chosen"]) | set(train["rejected"])
    scored = gold_pairs(corpus, corpus.pairs("test").iloc[:CALIBRATION_PAIRS], weights)
    start = time.perf_counter()
    model.score(list(scored["prompt"]) * 2, list(scored["chosen"]) + list(scored["rejected"]))
    score_s = time.perf_counter() - start
    pairs_per_s = CALIBRATION_PAIRS * model.settings.epochs / fit_s
    texts_per_s = 2 * CALIBRATION_PAIRS / score_s
    cache_s = max(first_fit - fit_s, 0.0) / len(texts)
    test = corpus.pairs("test")
    n_eval = len(set(test["left"]) | set(test["right"]))
    n_texts = corpus.n_responses
    labels = [expected_labels(c) for c in configs]
    epochs = [
        c.reward_model.epochs or DEFAULT_EPOCHS[regime(c.reward_model.trainable_layers)]
        for c in configs
    ]
    market_s = sum(
        n * e / pairs_per_s + c.buyer.rounds * n_eval / texts_per_s
        for n, e, c in zip(labels, epochs, configs, strict=True)
    )
    seconds = market_s / workers + n_texts * cache_s
    return Estimate(seconds, len(configs), sum(labels), pairs_per_s, texts_per_s, cache_s)
