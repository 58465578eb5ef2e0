"""Does reward accuracy respond to what the market changes? Label quantity and label quality.

For each seed, the same train pairs in one random order get four kinds of label:

- ``gold``: the buyer's gold label (``Corpus.gold_left_wins`` under the default target);
- ``flipped``: gold with exactly ``--flip-share`` (25%) of each chunk's labels flipped,
  chosen at random;
- ``biased``: a noiseless judge of the buyer's weights that also prefers longer answers,
  ``u = w . a + s * z(length)`` with ``z`` the corpus' standardised word count (the market's
  ``length`` feature and ``agents.judges.FeatureBias``), its strength
  ``s`` set by bisection so that its labels on the train pool are right as often as the
  flipped ones (75%): the same accuracy, but wrong in one systematic direction;
- ``market``: each pair judged by ``--labels-per-item`` (3) distinct annotators of the default
  population, drawn uniformly, and majority-voted (``analysis.aggregation.majority_vote``);
  ``n`` pairs of this column cost ``3 n`` purchased labels.

Each column trains one reward model with the settings the market uses
(``sim.config.RewardModelConfig`` defaults, seeded with the seed) and is fed its labels in
growing chunks, as market rounds feed it, so that after the chunk ending at ``n`` it has made
one pass over the first ``n`` pairs; it is evaluated on every pair of the test split after
each chunk (row ``0``: before any training). The gold column then goes on to every train pair:
the ceiling. A cell is the mean over seeds and its standard error ``SD / sqrt(seeds)``; the
seed changes the corpus draw, the pair order, the flips, the population and the model's
initialisation. One evaluation's own standard error, ``sqrt(a (1 - a) / test pairs)``, is
printed beside the table. ``--data FILE`` runs the table on your own ``prompt, chosen,
rejected`` file (gold is the recorded choice; ``biased`` prefers the longer answer with the
strength that gives the same accuracy; ``market`` only when the file has attribute scores,
which the default population's judges compare).

Run: ``python bench/bench_sensitivity.py [--write]`` (about 42 minutes on 2 cores);
``--quick`` checks the whole run on a few pairs. ``--write`` replaces this benchmark's section
of ``bench/RESULTS.md``; with ``--data FILE``, the section of that file's name.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import pandas as pd
import torch
from results_file import write_section
from tqdm.auto import tqdm

from agents.judges import BradleyTerryJudge, FeatureBias
from analysis.aggregation import majority_vote
from sim.config import MarketConfig
from sim.corpus import (
    ATTRIBUTES,
    DEFAULT_TARGET_WEIGHTS,
    builtin_corpus,
    gold_pairs,
    load_preferences,
    oriented_pairs,
    weight_vector,
)
from sim.crowd_labels import crowd_labels
from sim.judge_view import JudgeView
from sim.reward import RewardModel

SECTION = (
    "## Sensitivity of reward accuracy to label quantity and quality (bench/bench_sensitivity.py)"
)
SIZES = (50, 100, 200, 400, 800, 1600, 3200)
COLUMNS = ("gold", "flipped", "biased", "market")
BIAS_STRENGTH_CAP = 1e3
"""Past this length-bias strength the judge just prefers the longer answer."""
BIAS_TOLERANCE = 0.01
"""How far the biased labels' accuracy may miss the flipped labels' and still compare."""


def gold_left(corpus, pairs: pd.DataFrame) -> np.ndarray:
    return corpus.gold_left_wins(pairs, DEFAULT_TARGET_WEIGHTS)


def flipped_labels(gold: np.ndarray, chunks: list[slice], share: float, rng) -> np.ndarray:
    """``gold`` with exactly ``round(share * len(chunk))`` random labels of each chunk flipped."""
    labels = gold.copy()
    for chunk in chunks:
        size = chunk.stop - chunk.start
        flips = chunk.start + rng.choice(size, size=round(share * size), replace=False)
        labels[flips] = ~labels[flips]
    return labels


def biased_labels(corpus, pairs, gold, target_accuracy: float):
    """Labels of a noiseless length-biased judge whose accuracy on ``pairs`` is the target.

    The judge sees the pairs as every judge of the market does (``sim.judge_view``) and
    compares ``d = w . (a_left - a_right) + s * (z_left - z_right)``, ``z`` the standardised
    word count (``sim.corpus.features``, ``length``); without attribute scores ``w . a`` is
    the recorded choice (1 for the chosen response, 0 for the other). Bisection on the
    strength ``s`` (accuracy falls as ``s`` grows when length is not what gold rewards) up to
    ``BIAS_STRENGTH_CAP``, where the judge just prefers the longer answer: on data where that
    answer is gold's choice more often than the target, the labels stay more accurate than the
    target. Returns the labels and ``s``.
    """
    view = JudgeView(corpus)
    left, right = view.sides(pairs["left"].to_numpy(), pairs["right"].to_numpy(), gold)
    if corpus.has_attributes:
        weights = weight_vector(DEFAULT_TARGET_WEIGHTS)
    else:
        weights = np.ones(1)
        left = replace(left, attributes=left.gold[:, None])
        right = replace(right, attributes=right.gold[:, None])

    def labels_at(strength: float) -> np.ndarray:
        judge = BradleyTerryJudge(weights, temperature=0.0, bias=FeatureBias("length", strength))
        return judge.prefer_left(left, right, np.random.default_rng(0))

    low, high = 0.0, 1.0
    while np.mean(labels_at(high) == gold) > target_accuracy and high < BIAS_STRENGTH_CAP:
        high *= 2
    for _ in range(40):
        middle = (low + high) / 2
        if np.mean(labels_at(middle) == gold) > target_accuracy:
            low = middle
        else:
            high = middle
    strength = (low + high) / 2
    return labels_at(strength), strength


def market_labels(corpus, pairs: pd.DataFrame, per_item: int, rng) -> np.ndarray:
    """Majority of ``per_item`` distinct random annotators of the default population
    (``sim.crowd_labels``): True where it picks the left response."""
    voted = majority_vote(crowd_labels(corpus, pairs, per_item, rng))
    voted = voted.set_index(["left", "right"])["label"]
    low = np.minimum(pairs["left"].to_numpy(), pairs["right"].to_numpy())
    high = np.maximum(pairs["left"].to_numpy(), pairs["right"].to_numpy())
    winner = voted.reindex(pd.MultiIndex.from_arrays([low, high])).to_numpy()
    return winner == pairs["left"].to_numpy()


def learning_curve(corpus, pairs, left_wins, test, sizes, seed: int, bar) -> list[float]:
    """Accuracy on ``test`` before training and after the chunk ending at each size."""
    settings = MarketConfig().reward_model.to_settings(seed=seed, progress=False)
    model = RewardModel(settings)
    accuracies = [model.accuracy(test)]
    start = 0
    for size in sizes:
        chunk = slice(start, size)
        model.fit(
            oriented_pairs(
                corpus, pairs["left"].iloc[chunk], pairs["right"].iloc[chunk], left_wins[chunk]
            )
        )
        accuracies.append(model.accuracy(test))
        start = size
        bar.update(1)
    return accuracies


def run_seed(corpus, seed: int, args, bar) -> dict:
    rng = np.random.default_rng(seed)
    train = corpus.pairs("train")
    train = train.iloc[rng.permutation(len(train))].reset_index(drop=True)
    test_split = corpus.pairs("test")
    test = gold_pairs(corpus, test_split, DEFAULT_TARGET_WEIGHTS)
    sizes = [size for size in args.sizes if size <= len(train)]
    if not sizes:
        raise SystemExit(f"--sizes: every size exceeds the {len(train)} train pairs")
    longest = sizes[-1]
    chunks = [slice(a, b) for a, b in zip([0, *sizes[:-1]], sizes, strict=True)]
    pool = train.iloc[:longest]
    gold = gold_left(corpus, train)
    labels, strength = {"gold": gold[:longest]}, float("nan")
    if "flipped" in args.columns:
        labels["flipped"] = flipped_labels(gold[:longest], chunks, args.flip_share, rng)
    if "biased" in args.columns:
        labels["biased"], strength = biased_labels(
            corpus, pool, gold[:longest], 1.0 - args.flip_share
        )
    if "market" in args.columns:
        labels["market"] = market_labels(corpus, pool, args.labels_per_item, rng)
    curves, label_accuracy = {}, {}
    for column, column_labels in labels.items():
        label_accuracy[column] = float(np.mean(column_labels == gold[:longest]))
        if column == "gold" and args.ceiling:
            curves[column] = learning_curve(
                corpus, train, gold, test, [*sizes, len(train)], seed, bar
            )
        else:
            curves[column] = learning_curve(corpus, pool, column_labels, test, sizes, seed, bar)
    return {
        "curves": curves,
        "label_accuracy": label_accuracy,
        "strength": strength,
        "sizes": sizes,
        "train_pairs": len(train),
        "test_pairs": len(test),
    }


def mean_se(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    se = values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else float("nan")
    return float(values.mean()), float(se)


def cell(values) -> str:
    mean, se = mean_se(values)
    return f"{mean:.3f} ± {se:.3f}"


def report(runs: list[dict], args, seconds: float, data_name: str) -> str:
    first = runs[0]
    sizes = first["sizes"]
    columns = [c for c in COLUMNS if c in first["curves"]]
    rows = ["0 (untrained)", *[str(n) for n in sizes]]
    lines = [
        f"Data: {data_name}; {first['train_pairs']} train pairs, {first['test_pairs']} test "
        f"pairs (whole test split). {len(runs)} seeds; cells are mean ± standard error over "
        f"seeds. Reward model: the market's defaults ({describe_settings()}). "
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
        f"{torch.get_num_threads()} torch thread(s); {seconds / 60:.1f} min.",
        "",
        "| labels n | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for i, row in enumerate(rows):
        cells = [cell([run["curves"][c][i] for run in runs]) for c in columns]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    if len(first["curves"]["gold"]) > len(rows):
        ceiling = cell([run["curves"]["gold"][-1] for run in runs])
        lines.append(
            f"| all {first['train_pairs']} (ceiling) | {ceiling} |" + " |" * (len(columns) - 1)
        )
    accuracy = ", ".join(
        f"{c} {np.mean([run['label_accuracy'][c] for run in runs]):.3f}" for c in columns
    )
    strength = np.mean([run["strength"] for run in runs])
    a = np.mean([run["curves"]["gold"][-1] for run in runs])
    lines += [
        "",
        f"- label accuracy against gold (first {sizes[-1]} pairs): {accuracy}; length-bias "
        f"strength {strength:.3f} per SD of word count",
        f"- one evaluation's standard error at accuracy {a:.2f}: "
        f"{np.sqrt(a * (1 - a) / first['test_pairs']):.4f}",
    ]
    target = 1.0 - args.flip_share
    if "biased" in columns and not biased_comparable(runs, target):
        reached = np.mean([run["label_accuracy"]["biased"] for run in runs])
        why = (
            "even a judge that always prefers the longer answer agrees with gold that often here"
            if any(run["strength"] >= BIAS_STRENGTH_CAP for run in runs)
            else "the accuracy jumps past the target as the bias grows, as it does on few pairs"
        )
        lines.append(
            f"- the biased labels are {reached:.3f} right, not {target:.3f}: "
            f"{why}, so the biased column is not of the flipped column's accuracy"
        )
    lines += targets(runs, sizes, target)
    return "\n".join(lines)


def biased_comparable(runs: list[dict], target: float) -> bool:
    """Whether every seed's biased labels are ``target`` accurate, as the flipped ones are."""
    return all(abs(run["label_accuracy"]["biased"] - target) <= BIAS_TOLERANCE for run in runs)


def targets(runs: list[dict], sizes: list[int], biased_target: float) -> list[str]:
    """The issue's targets, each with the figures behind it; ``biased_target`` is the label
    accuracy the biased labels should share with the flipped ones."""
    at = {n: i + 1 for i, n in enumerate(sizes)}
    gold = np.array([run["curves"]["gold"] for run in runs])
    lines = ["", "Targets:"]
    untrained = mean_se(gold[:, 0])
    lines.append(
        f"- untrained accuracy in [0.45, 0.55]: {untrained[0]:.3f} ± {untrained[1]:.3f} "
        f"({'met' if 0.45 <= untrained[0] <= 0.55 else 'NOT met'})"
    )
    if 100 in at and 3200 in at:
        rise = mean_se(gold[:, at[3200]] - gold[:, at[100]])
        lines.append(
            f"- 3200 labels at least 15 points above 100: +{100 * rise[0]:.1f} ± "
            f"{100 * rise[1]:.1f} points ({'met' if rise[0] >= 0.15 else 'NOT met'})"
        )
        steps = [n for n in (100, 200, 400, 800, 1600) if n in at and 2 * n in at]
        gains = [np.mean(gold[:, at[2 * n]] - gold[:, at[n]]) for n in steps]
        shown = ", ".join(f"{n}->{2 * n} +{100 * g:.1f}" for n, g in zip(steps, gains, strict=True))
        if gains:
            lines.append(
                f"- each doubling 100->3200 adds at least 1.5 points: {shown} "
                f"({'met' if min(gains) >= 0.015 else 'NOT met'})"
            )
    if gold.shape[1] > len(sizes) + 1:
        ceiling = mean_se(gold[:, -1])
        lines.append(
            f"- gold ceiling (all train pairs) >= 0.88: {ceiling[0]:.3f} ± {ceiling[1]:.3f} "
            f"({'met' if ceiling[0] >= 0.88 else 'NOT met'})"
        )
    if 400 in at and {"flipped", "biased"} <= set(runs[0]["curves"]):
        i = at[400]
        flip_cost = mean_se(
            [run["curves"]["gold"][i] - run["curves"]["flipped"][i] for run in runs]
        )
        bias_extra = mean_se(
            [run["curves"]["flipped"][i] - run["curves"]["biased"][i] for run in runs]
        )
        lines.append(
            f"- at 400, 25% flips cost at least 4 points: {100 * flip_cost[0]:.1f} ± "
            f"{100 * flip_cost[1]:.1f} ({'met' if flip_cost[0] >= 0.04 else 'NOT met'})"
        )
        verdict = "met" if bias_extra[0] > 0 else "NOT met"
        if not biased_comparable(runs, biased_target):
            verdict = "not comparable: the biased labels miss the flipped labels' accuracy"
        lines.append(
            f"- at 400, biased labels cost more than flips: {100 * bias_extra[0]:+.1f} ± "
            f"{100 * bias_extra[1]:.1f} points beyond the flips ({verdict})"
        )
    return lines


def describe_settings() -> str:
    settings = MarketConfig().reward_model
    return (
        f"trainable_layers={settings.trainable_layers}, batch {settings.batch_size}, "
        f"max length {settings.max_length}"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--flip-share", type=float, default=0.25)
    parser.add_argument("--labels-per-item", type=int, default=3)
    parser.add_argument("--columns", default=",".join(COLUMNS), help="a subset of the columns")
    parser.add_argument("--no-ceiling", dest="ceiling", action="store_false")
    parser.add_argument("--data", type=Path, help="your pairs (prompt, chosen, rejected)")
    parser.add_argument("--quick", action="store_true", help="a few pairs, two seeds")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    args.sizes = sorted(int(size) for size in args.sizes.split(",") if size)
    args.columns = [column for column in args.columns.split(",") if column]
    if set(args.columns) - set(COLUMNS) or "gold" not in args.columns:
        parser.error(f"--columns: choose from {COLUMNS}, gold included")
    if args.quick:
        args.sizes, args.seeds, args.ceiling = [20, 40], 2, False
    return args


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    if args.data is None:
        corpora = [builtin_corpus(seed) for seed in range(args.seeds)]
        name = f"built-in corpus (corpus seed = seed), {len(ATTRIBUTES)} attributes"
    else:
        corpora = [load_preferences(args.data, seed=seed) for seed in range(args.seeds)]
        name = str(args.data)
        if not corpora[0].has_attributes:
            args.columns = [column for column in args.columns if column != "market"]
    runs = []
    steps = len(args.sizes) * len(args.columns) + (1 if args.ceiling else 0)
    with tqdm(total=steps * args.seeds, desc="chunks trained") as bar:
        for seed, corpus in enumerate(corpora):
            runs.append(run_seed(corpus, seed, args, bar))
    body = report(runs, args, time.perf_counter() - start, name)
    print(body)
    if args.write and not args.quick:
        title = SECTION if args.data is None else f"{SECTION[:-1]} --data {args.data.name})"
        write_section(title, body)


if __name__ == "__main__":
    main()
