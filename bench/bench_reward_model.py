"""Reward-model training throughput: prefmarket's trainer against TRL's RewardTrainer.

Both train the same MiniLM backbone on the same gold-labelled pairs from the built-in corpus
with the same epochs, batch size, learning rate (constant, AdamW, no weight decay), maximum
length and torch thread count, in one run; the figures are training pairs per second
(pairs x epochs / training wall time, tokenisation included for both) and accuracy on held-out
gold test pairs. TRL runs in fp32 without gradient checkpointing (its defaults are bf16 and
checkpointing, both of which change the numerics and the latter costs time); ``--trl-defaults``
adds a run with TRL's own defaults.

Training sets of about the same size, from most to least text sharing (``--sets``; the
default times ``labels`` and ``spread``):

- ``labels``: the labels a market buys and ``to_trl`` exports, one row per label: random
  train pairs, each judged by ``--labels-per-item`` distinct annotators of the default
  population (noisy, sometimes disagreeing), so every pair recurs that many times;
- ``ranked``: InstructGPT-style collection, ``--pairs-per-prompt`` gold-labelled comparisons
  on each of a set of random train prompts, so responses recur across pairs;
- ``spread``: distinct gold-labelled pairs drawn at random from all train prompts, where
  responses rarely recur: the worst case for de-duplication.

Each trainer runs with ``--seeds`` training seeds; on a set whose rows repeat, prefmarket also
runs with the opt-in ``group_comparisons=True``, which batches a comparison's labels together:
faster, at some cost in accuracy.

Then the gain of each throughput step (a comparison's labels batched together, text
de-duplication, length-sorted passes, dynamic padding, cached tokenisation, inference-mode
evaluation, fused AdamW), ``head`` mode, and SmolLM2 when installed.

Run: ``python bench/bench_reward_model.py [--write]``; ``--write`` replaces this benchmark's
section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import mesa
import numpy as np
import pandas as pd
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from agents.population import PopulationSpec, build_population
from sim.corpus import (
    DEFAULT_TARGET_WEIGHTS,
    builtin_corpus,
    gold_pairs,
    to_trl,
    weight_vector,
)
from sim.reward import RewardModel, default_torch_threads
from sim.reward.backbones import resolve_backbone, smollm2_installed

RESULTS = Path(__file__).with_name("RESULTS.md")
TIMED = ("seconds", "pairs_per_s", "pairs_per_cpu_s", "accuracy")
SECTION = "## Reward model (bench/bench_reward_model.py)"


def gold_trl_pairs(corpus, pairs: pd.DataFrame) -> pd.DataFrame:
    return gold_pairs(corpus, pairs, DEFAULT_TARGET_WEIGHTS)


def purchased_labels(corpus, n: int, per_item: int, rng: np.random.Generator) -> pd.DataFrame:
    """``ceil(n / per_item)`` random train pairs, each labelled by ``per_item`` distinct
    annotators of the default population, exported one row per label."""
    pairs = corpus.pairs("train")
    items = pairs.iloc[rng.choice(len(pairs), size=-(-n // per_item), replace=False)]
    annotators = build_population(
        mesa.Model(rng=rng), PopulationSpec(), weight_vector(DEFAULT_TARGET_WEIGHTS), rng
    )
    left = np.repeat(items["left"].to_numpy(), per_item)
    right = np.repeat(items["right"].to_numpy(), per_item)
    workers = np.concatenate(
        [rng.choice(len(annotators), size=per_item, replace=False) for _ in range(len(items))]
    )
    left_wins = np.zeros(len(left), dtype=bool)
    attrs_left, attrs_right = corpus.attribute_matrix(left), corpus.attribute_matrix(right)
    for worker in np.unique(workers):
        rows = np.flatnonzero(workers == worker)
        left_wins[rows] = annotators[worker].label(attrs_left[rows], attrs_right[rows], rng)
    labels = pd.DataFrame(
        {"worker": workers, "left": left, "right": right, "label": np.where(left_wins, left, right)}
    )
    return to_trl(labels, corpus)[["prompt", "chosen", "rejected"]]


def ranked_pairs(corpus, n: int, per_prompt: int, rng: np.random.Generator) -> pd.DataFrame:
    """``per_prompt`` random comparisons on each of ``n / per_prompt`` random train prompts."""
    pairs = corpus.pairs("train")
    prompts = rng.choice(pairs["prompt_id"].unique(), size=n // per_prompt, replace=False)
    chosen = [
        rng.choice(np.flatnonzero(pairs["prompt_id"].to_numpy() == p), per_prompt, replace=False)
        for p in prompts
    ]
    rows = rng.permutation(np.concatenate(chosen))
    return gold_trl_pairs(corpus, pairs.iloc[rows])


def spread_pairs(corpus, split: str, n: int, rng: np.random.Generator) -> pd.DataFrame:
    pairs = corpus.pairs(split)
    return gold_trl_pairs(corpus, pairs.iloc[rng.choice(len(pairs), n, replace=False)])


def time_ours(train, test, settings, **options) -> dict:
    model = RewardModel(**settings, **options, progress=False)
    start, cpu_start = time.perf_counter(), time.process_time()
    model.fit(train)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {
        "seconds": seconds,
        "pairs_per_s": len(train) * model.settings.epochs / seconds,
        "pairs_per_cpu_s": len(train) * model.settings.epochs / cpu,
        "accuracy": model.accuracy(test),
        "model": model,
    }


def time_trl(train, test, settings, trl_defaults: bool) -> dict:
    from datasets import Dataset
    from trl import RewardConfig, RewardTrainer

    path = resolve_backbone("minilm").path
    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.eos_token = tokenizer.sep_token  # TRL appends an end token; BERT's is [SEP]
    torch.manual_seed(settings["seed"])
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
    precision = {} if trl_defaults else {"bf16": False, "gradient_checkpointing": False}
    with tempfile.TemporaryDirectory() as output_dir:
        config = RewardConfig(
            output_dir=output_dir,
            per_device_train_batch_size=settings["batch_size"],
            num_train_epochs=settings["epochs"],
            learning_rate=settings["learning_rate"],
            lr_scheduler_type="constant",
            weight_decay=0.0,
            max_length=settings["max_length"],
            seed=settings["seed"],
            use_cpu=True,
            save_strategy="no",
            report_to=[],
            disable_tqdm=True,
            logging_steps=10_000,
            **precision,
        )
        start, cpu_start = time.perf_counter(), time.process_time()
        trainer = RewardTrainer(
            model=model,
            args=config,
            train_dataset=Dataset.from_pandas(train, preserve_index=False),
            processing_class=tokenizer,
        )
        trainer.train()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    model = trainer.model.float().eval()
    return {
        "seconds": seconds,
        "pairs_per_s": len(train) * settings["epochs"] / seconds,
        "pairs_per_cpu_s": len(train) * settings["epochs"] / cpu,
        "accuracy": trl_accuracy(model, tokenizer, test, settings["max_length"]),
    }


def trl_accuracy(model, tokenizer, test: pd.DataFrame, max_length: int) -> float:
    """Share of test pairs where TRL's model scores prompt+chosen above prompt+rejected,
    each text built as TRL's trainer builds it (prompt + response + end token)."""

    chosen = (test["prompt"] + test["chosen"] + tokenizer.eos_token).tolist()
    rejected = (test["prompt"] + test["rejected"] + tokenizer.eos_token).tolist()
    unique = list(dict.fromkeys(chosen + rejected))  # score each distinct text once
    scores = {}
    with torch.inference_mode():
        for start in range(0, len(unique), 64):
            texts = unique[start : start + 64]
            batch = tokenizer(
                texts, truncation=True, max_length=max_length, padding=True, return_tensors="pt"
            )
            scores.update(zip(texts, model(**batch).logits[:, 0].tolist(), strict=True))
    return float(np.mean([scores[c] > scores[r] for c, r in zip(chosen, rejected, strict=True)]))


def over_seeds(run, seeds) -> dict:
    """Mean timings and accuracy of ``run(seed)`` over ``seeds``, with each seed's accuracy."""
    runs = [run(seed) for seed in seeds]
    mean = {key: float(np.mean([r[key] for r in runs])) for key in TIMED}
    return {**mean, "accuracies": [r["accuracy"] for r in runs]}


def seed_sd(run: dict) -> str:
    """Standard deviation of the seeds' accuracies in points ("n/a" for one seed)."""
    accuracies = run["accuracies"]
    return f"{100 * np.std(accuracies, ddof=1):.1f}" if len(accuracies) > 1 else "n/a"


def met_target(ours: dict, trl: dict) -> bool:
    """Issue 4's target: >= 3x TRL's pairs per CPU-second, mean accuracy >= TRL's - 0.01."""
    fast = ours["pairs_per_cpu_s"] >= 3 * trl["pairs_per_cpu_s"]
    return fast and ours["accuracy"] >= trl["accuracy"] - 0.01


def padding_gain(model: RewardModel, train: pd.DataFrame, batches: int = 6) -> dict:
    """Forward+backward seconds per batch padded to the batch's longest text vs max_length."""
    tokenizer = model._encoder.tokenizer
    rng = np.random.default_rng(0)
    timings = {"dynamic": 0.0, "max_length": 0.0}
    for _ in range(batches):
        rows = train.iloc[rng.choice(len(train), model.settings.batch_size, replace=False)]
        prompts = list(rows["prompt"]) * 2
        responses = list(rows["chosen"]) + list(rows["rejected"])
        for name, padding in (("dynamic", True), ("max_length", "max_length")):
            inputs = tokenizer(
                prompts,
                responses,
                truncation="longest_first",
                max_length=model.settings.max_length,
                padding=padding,
                return_tensors="pt",
            )
            start = time.perf_counter()
            hidden = model.network(**inputs).last_hidden_state
            hidden.mean().backward()
            timings[name] += time.perf_counter() - start
            model.network.zero_grad(set_to_none=True)
    return {name: seconds / batches for name, seconds in timings.items()}


def tokenisation_seconds(model: RewardModel, train: pd.DataFrame) -> float:
    """What tokenising every pair's two texts once more (one epoch without the cache) costs."""
    start = time.perf_counter()
    for column in ("chosen", "rejected"):
        model._encoder.tokenizer(
            list(train["prompt"]),
            list(train[column]),
            truncation="longest_first",
            max_length=model.settings.max_length,
        )
    return time.perf_counter() - start


def naive_eval_seconds(model: RewardModel, test: pd.DataFrame) -> float:
    """Evaluation with autograd on, both sides of every pair encoded, unsorted batches."""
    keys_chosen = list(zip(test["prompt"], test["chosen"], strict=True))
    keys_rejected = list(zip(test["prompt"], test["rejected"], strict=True))
    model._encoder.tokenize_missing(keys_chosen + keys_rejected)
    start = time.perf_counter()
    for begin in range(0, len(test), model.settings.eval_batch_size // 2):
        end = begin + model.settings.eval_batch_size // 2
        model._rewards(keys_chosen[begin:end] + keys_rejected[begin:end]).detach()
    return time.perf_counter() - start


def optimizer_step_seconds(model: RewardModel, steps: int = 5) -> dict:
    """Seconds per AdamW step over the backbone's weights: per-tensor loop vs fused kernel."""
    parameters = [p.detach().clone().requires_grad_(True) for p in model.network.parameters()]
    for p in parameters:
        p.grad = torch.full_like(p, 1e-3)
    timings = {}
    for name, options in (("loop", {"foreach": False}), ("fused", {"fused": True})):
        optimizer = torch.optim.AdamW(parameters, lr=1e-4, weight_decay=0.0, **options)
        optimizer.step()
        start = time.perf_counter()
        for _ in range(steps):
            optimizer.step()
        timings[name] = (time.perf_counter() - start) / steps
    return timings


def smollm2_figures(train, test, settings) -> list[tuple[str, dict]]:
    small_train, small_test = train.iloc[:64], test.iloc[:100]
    rows = []
    for label, options in (
        ("SmolLM2 finetune, Bradley-Terry", {"mode": "finetune", "epochs": 1}),
        ("SmolLM2 finetune, DPO", {"mode": "finetune", "epochs": 1, "objective": "dpo"}),
    ):
        start = time.perf_counter()
        model = RewardModel(
            backbone="smollm2",
            **{**settings, **options},
            progress=False,
        )
        load = time.perf_counter() - start
        start = time.perf_counter()
        model.fit(small_train)
        seconds = time.perf_counter() - start
        rows.append(
            (
                label,
                {
                    "pairs": len(small_train),
                    "load_s": load,
                    "pairs_per_s": len(small_train) / seconds,
                    "accuracy": model.accuracy(small_test),
                },
            )
        )
    start = time.perf_counter()
    head = RewardModel(backbone="smollm2", mode="head", progress=False)
    load = time.perf_counter() - start
    start = time.perf_counter()
    head.fit(train)
    seconds = time.perf_counter() - start
    rows.append(
        (
            "SmolLM2 head",
            {
                "pairs": len(train),
                "load_s": load,
                "pairs_per_s": len(train) * head.settings.epochs / seconds,
                "accuracy": head.accuracy(small_test),
            },
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-pairs", type=int, default=512)
    parser.add_argument("--pairs-per-prompt", type=int, default=8)
    parser.add_argument("--labels-per-item", type=int, default=3)
    parser.add_argument("--test-pairs", type=int, default=0, help="0: the whole test split")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=4, help="training seeds per trainer")
    parser.add_argument(
        "--sets", default="labels,spread", help="comma-separated training sets to time"
    )
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--threads", type=int, default=default_torch_threads())
    parser.add_argument("--trl-defaults", action="store_true", help="also run TRL's defaults")
    parser.add_argument("--skip-ablation", action="store_true")
    parser.add_argument("--skip-smollm2", action="store_true")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    settings = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "max_length": args.max_length,
        "seed": 0,
        "torch_threads": args.threads,
    }
    corpus = builtin_corpus(seed=0)
    rng = np.random.default_rng(0)
    sets = {
        "labels": purchased_labels(corpus, args.train_pairs, args.labels_per_item, rng),
        "ranked": ranked_pairs(corpus, args.train_pairs, args.pairs_per_prompt, rng),
        "spread": spread_pairs(corpus, "train", args.train_pairs, rng),
    }
    unknown = set(args.sets.split(",")) - set(sets)
    if unknown:
        parser.error(f"--sets: unknown {sorted(unknown)}; choose from {sorted(sets)}")
    test_split = corpus.pairs("test")
    test = spread_pairs(corpus, "test", args.test_pairs or len(test_split), rng)
    args.test_pairs = len(test)
    lines = [
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"torch {torch.__version__}, {args.threads} torch thread(s) for every trainer. "
        f"MiniLM-L6, about {args.train_pairs} train pairs per set (labels: "
        f"{len(sets['labels'])} rows, {args.labels_per_item} labels per item; ranked: "
        f"{args.pairs_per_prompt} comparisons per prompt), {args.test_pairs} held-out "
        f"gold test pairs, {args.epochs} epoch(s), batch {args.batch_size}, learning rate "
        f"{args.learning_rate} (constant), max length {args.max_length}. Load average at "
        f"start {os.getloadavg()[0]:.1f} (other processes share the CPUs; on a busy machine "
        "the seconds are noisy, and trainers run one after another, not interleaved).",
        "",
        "pairs/CPU-s divides by the process's CPU time, which other processes on a busy machine "
        "disturb far less than wall time; with one torch thread it is the fairer figure.",
        "",
        f"Each trainer runs with seeds 0..{args.seeds - 1} (head initialisation and batch "
        "order); the table gives means, and the accuracy of each seed in brackets.",
        "",
        "| training set | trainer | seconds | pairs/s | pairs/CPU-s | held-out accuracy |",
        "|---|---|---|---|---|---|",
    ]
    summary = []
    seeds = range(args.seeds)
    for name in args.sets.split(","):
        train = sets[name]
        variants = [("prefmarket", {})]
        if train.duplicated().any():  # grouping a comparison's labels only matters here
            variants.append(("prefmarket, group_comparisons=True", {"group_comparisons": True}))
        runs = [
            (
                trainer,
                over_seeds(
                    lambda seed, train=train, options=options: time_ours(
                        train, test, {**settings, "mode": "finetune", "seed": seed}, **options
                    ),
                    seeds,
                ),
            )
            for trainer, options in variants
        ]
        trl = over_seeds(
            lambda seed, train=train: time_trl(train, test, {**settings, "seed": seed}, False),
            seeds,
        )
        runs.append(("TRL RewardTrainer (fp32)", trl))
        if args.trl_defaults:
            defaults = over_seeds(
                lambda seed, train=train: time_trl(train, test, {**settings, "seed": seed}, True),
                seeds,
            )
            runs.append(("TRL RewardTrainer (defaults)", defaults))
        for trainer, run in runs:
            accuracies = ", ".join(f"{a:.3f}" for a in run["accuracies"])
            lines.append(
                f"| {name} | {trainer} | {run['seconds']:.1f} | {run['pairs_per_s']:.1f} "
                f"| {run['pairs_per_cpu_s']:.1f} | {run['accuracy']:.3f} ({accuracies}) |"
            )
            print(lines[-1], flush=True)
        for trainer, ours in runs[: len(variants)]:
            summary.append(
                f"- {name}, {trainer}: {ours['pairs_per_s'] / trl['pairs_per_s']:.2f}x TRL's "
                f"pairs/s, {ours['pairs_per_cpu_s'] / trl['pairs_per_cpu_s']:.2f}x its "
                f"pairs/CPU-s; mean accuracy {ours['accuracy']:.3f} vs {trl['accuracy']:.3f} "
                f"({100 * (ours['accuracy'] - trl['accuracy']):+.1f} points, seed-to-seed SD "
                f"{seed_sd(ours)} and {seed_sd(trl)}); target "
                + ("met" if met_target(ours, trl) else "NOT met")
            )
            print(summary[-1], flush=True)
    lines += ["", "Speed-up over TRL (target: >= 3x, accuracy no lower than TRL's - 1 point):", ""]
    lines += summary
    market = sets["labels"]
    head = time_ours(market, test, {**settings, "mode": "head", "epochs": None})
    head_line = (
        f"- head mode (frozen MiniLM, cached embeddings, {head['model'].settings.epochs} epochs, "
        f"learning rate 1e-2): {head['pairs_per_s']:.0f} pairs/s including embedding, "
        f"held-out accuracy {head['accuracy']:.3f}"
    )
    lines += ["", head_line]
    print(head_line, flush=True)
    if not args.skip_ablation:
        lines += ablation(market, test, settings)
    if not args.skip_smollm2 and smollm2_installed():
        lines += ["", "SmolLM2-135M-Instruct (GGUF Q4_1, de-quantised to fp32):", ""]
        lines += ["| run | pairs | load s | pairs/s | held-out accuracy (100 pairs) |"]
        lines += ["|---|---|---|---|---|"]
        for label, run in smollm2_figures(market, test, {**settings, "max_length": 96}):
            lines.append(
                f"| {label} | {run['pairs']} | {run['load_s']:.1f} | {run['pairs_per_s']:.1f} "
                f"| {run['accuracy']:.3f} |"
            )
            print(lines[-1], flush=True)
    if args.write:
        write_section("\n".join(lines))


def ablation(train, test, settings) -> list[str]:
    """The throughput steps switched on one after another, on the purchased-labels set."""
    finetune = {**settings, "mode": "finetune"}
    off = {"group_comparisons": False, "deduplicate_texts": False, "sort_by_length": False}
    variants = {
        "none (random batches, every text encoded, one padded pass)": off,
        "+ length-sorted passes": {**off, "sort_by_length": True},
        "+ text de-duplication (default)": {},
        "+ a comparison's labels in one batch (group_comparisons=True)": {
            "group_comparisons": True
        },
    }
    lines = ["", "Gain of each throughput step (labels set, steps added in turn):", ""]
    lines += [
        "| steps on | pairs/s | pairs/CPU-s | gain over none (CPU) | held-out accuracy |",
        "|---|---|---|---|---|",
    ]
    base = None
    model = None
    for label, options in variants.items():
        run = time_ours(train, test, finetune, **options)
        base = base or run["pairs_per_cpu_s"]
        model = run["model"]
        lines.append(
            f"| {label} | {run['pairs_per_s']:.1f} | {run['pairs_per_cpu_s']:.1f} "
            f"| {run['pairs_per_cpu_s'] / base:.2f}x | {run['accuracy']:.3f} |"
        )
        print(lines[-1], flush=True)
    padding = padding_gain(model, train)
    tokenise = tokenisation_seconds(model, train)
    start = time.perf_counter()
    model.accuracy(test.iloc[:400])
    fast_eval = time.perf_counter() - start
    naive_eval = naive_eval_seconds(model, test.iloc[:400])
    adamw = optimizer_step_seconds(model)
    epoch_seconds = len(train) / run["pairs_per_s"]
    lines += [
        "",
        f"- dynamic padding: forward+backward of a batch {padding['dynamic']:.2f} s vs "
        f"{padding['max_length']:.2f} s padded to max length "
        f"({padding['max_length'] / padding['dynamic']:.2f}x)",
        f"- tokenise once and cache: re-tokenising every epoch would add {tokenise:.2f} s per "
        f"epoch ({100 * tokenise / epoch_seconds:.1f}% of an epoch's {epoch_seconds:.1f} s)",
        f"- evaluation (400 test pairs): {fast_eval:.1f} s under inference mode on unique "
        f"length-sorted texts vs {naive_eval:.1f} s with autograd on, every side encoded "
        f"({naive_eval / fast_eval:.2f}x)",
        f"- fused AdamW: {adamw['fused']:.3f} s per optimiser step vs {adamw['loop']:.3f} s "
        f"for the per-tensor loop ({adamw['loop'] / adamw['fused']:.1f}x)",
    ]
    for line in lines[-4:]:
        print(line, flush=True)
    return lines


def write_section(body: str) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    section = f"{SECTION}\n\n{body}\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
