"""Reward-model training throughput and accuracy: prefmarket's trainers against TRL's RewardTrainer.

Every trainer trains the same MiniLM backbone on the same pairs, with the same seeds, batch
size, maximum length and torch thread count, one run after another; the figures are training
pairs per second of wall time and of this process's CPU time (pairs x epochs / training time,
tokenisation and, for partial fine-tunes, computing the frozen layers' cache included),
held-out accuracy (mean and seed-to-seed SD), the process's peak resident memory during the
run, and the frozen-state cache's peak size. Trainers (``--trainers``):

- ``trl``: TRL's RewardTrainer, fp32 without gradient checkpointing (its defaults are bf16 and
  checkpointing, which change the numerics; ``--precisions bf16`` runs it with ``bf16=True``,
  and ``trl-defaults`` with its own defaults);
- ``finetune``: prefmarket, every weight trained (``trainable_layers="all"``);
- ``k1``, ``k2``, ``k3`` (any ``k<N>``): the top N layers trained on cached frozen states;
- ``head``: the frozen backbone's cached pooled embeddings and a trained head.

TRL and ``finetune`` use ``--learning-rate`` and ``--epochs``; partial fine-tunes and
``head`` use their own defaults (``DEFAULT_LEARNING_RATE`` and ``DEFAULT_EPOCHS``) unless
``--partial-learning-rate`` / ``--partial-epochs`` are given. ``--precisions fp32,bf16``
compares like with like: TRL with ``bf16=True`` against ours with ``precision="bf16"``.

Data sets (``--sets``): ``labels``, the labels a market buys and ``to_trl`` exports, random
train pairs each judged by ``--labels-per-item`` distinct annotators of the default population
(so every pair recurs that many times), tested on every held-out gold pair; ``long``, the same
kind of labels with each prompt grown into a multi-turn exchange (earlier turns are other
prompts of the same split with one of their responses) so that each (prompt, response) has
150-250 tokens, at ``--long-max-length``; ``ranked`` and ``spread`` (gold comparisons, many or
few texts shared); and ``file``, with ``--data FILE``: your own pairs in TRL's
``prompt, chosen, rejected`` columns (JSONL, CSV or Parquet), split by prompt 80/20.

Sections (``--sections``): ``accuracy`` (the table above), ``threads`` (1 and 2 torch threads
for TRL, finetune and ``--threads-trainer``, on an idle machine and with one CPU-burning
process beside it), ``market`` (default market runs, finetune against ``--market-partial``),
``ablation`` (each throughput step) and ``smollm2`` (when installed). ``--quick`` runs every
section on a few pairs with one seed, to check that the whole run works.

Run: ``python bench/bench_reward_model.py [--write]``; ``--write`` replaces this benchmark's
section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")

import numpy as np
import torch
from results_file import write_section
from reward_model_data import (
    file_sets,
    gold_trl_pairs,
    long_text,
    multi_turn_prompts,
    purchased_labels,
    ranked_pairs,
    spread_pairs,
    text_tokens,
)
from reward_model_runs import (
    N_LAYERS,
    accuracy_sd,
    cpu_load,
    modelled_work,
    naive_eval_seconds,
    optimizer_step_seconds,
    our_settings,
    over_seeds,
    padding_gain,
    smollm2_figures,
    time_ours,
    time_trl,
    tokenisation_seconds,
    trainable_layers_of,
)
from transformers import AutoTokenizer

from sim.config import MarketConfig
from sim.corpus import builtin_corpus
from sim.market import MarketModel
from sim.reward import default_torch_threads
from sim.reward.backbones import resolve_backbone, smollm2_installed
from sim.reward.settings import regime

SECTION = "## Reward model (bench/bench_reward_model.py)"
SECTIONS = ("accuracy", "threads", "market", "ablation", "smollm2")


# ---------------------------------------------------------------- sections


def fmt_accuracy(run: dict) -> str:
    sd = accuracy_sd(run)
    spread = "" if np.isnan(sd) else f" ± {sd:.1f}"
    seeds = ", ".join(f"{a:.3f}" for a in run["accuracies"])
    return f"{run['accuracy']:.3f}{spread} ({seeds})"


def met_target(ours: dict, trl: dict) -> bool:
    """Issue 12's target: >= 3x TRL's wall-clock speed, mean accuracy >= TRL's - 0.01."""
    return trl["seconds"] >= 3 * ours["seconds"] and ours["accuracy"] >= trl["accuracy"] - 0.01


def accuracy_section(name, train, test, max_length, args, tokenizer) -> list[str]:
    """Every trainer at every precision on one data set: the table and a summary line each."""
    lengths = text_tokens(tokenizer, train, max_length)
    pair_tokens = int(
        sum(
            len(ids)
            for ids in tokenizer(
                list(train["prompt"]) * 2,
                list(train["chosen"]) + list(train["rejected"]),
                truncation="longest_first",
                max_length=max_length,
            )["input_ids"]
        )
    )
    test_lengths = text_tokens(tokenizer, test, max_length)
    lines = [
        "",
        f"### {name}: {len(train)} train rows ({len(lengths)} distinct texts, tokens per text "
        f"{lengths.min()}-{lengths.max()}, mean {lengths.mean():.0f}), {len(test)} test pairs "
        f"({len(test_lengths)} distinct texts, mean {test_lengths.mean():.0f} tokens), max "
        f"length {max_length}",
        "",
        "| trainer | precision | learning rate | epochs | fit s | pairs/s | pairs/CPU-s "
        "| x TRL (wall) | held-out accuracy, mean ± SD (seeds) | peak RSS MiB | cache MiB "
        "| modelled work (M layer-tokens) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    summary = []
    seeds = range(args.seeds)
    trainers = sorted(args.trainers, key=lambda t: t != "trl")  # TRL first: the reference
    for precision in args.precisions:
        runs = {}
        for trainer in trainers:
            if trainer.startswith("trl"):
                settings = {
                    "epochs": args.epochs,
                    "batch_size": args.batch_size,
                    "learning_rate": args.learning_rate,
                    "max_length": max_length,
                    "torch_threads": args.threads,
                }
                run = over_seeds(
                    lambda seed, s=settings, p=precision, d=trainer == "trl-defaults": time_trl(
                        train, test, {**s, "seed": seed}, p, d
                    ),
                    seeds,
                )
                if run.get("dropped"):
                    print(f"  (TRL dropped {run['dropped']} rows longer than max_length)")
            else:
                settings = {
                    **our_settings(trainer, args, max_length),
                    "torch_threads": args.threads,
                    "precision": precision,
                }
                run = over_seeds(
                    lambda seed, s=settings: time_ours(train, test, {**s, "seed": seed}), seeds
                )
            runs[trainer] = run
            trl = runs.get("trl")
            ratio = f"{trl['seconds'] / run['seconds']:.2f}x" if trl else "n/a"
            work = modelled_work(trainer, run["epochs"], pair_tokens, int(lengths.sum()))
            lines.append(
                f"| {trainer} | {precision} | {run['learning_rate']:g} | {run['epochs']} "
                f"| {run['seconds']:.1f} | {run['pairs_per_s']:.1f} | {run['pairs_per_cpu_s']:.1f} "
                f"| {ratio} | {fmt_accuracy(run)} | {run['peak_rss_mb']:.0f} "
                f"| {run['cache_mb']:.1f} | {work / 1e6:.2f} |"
            )
            print(lines[-1], flush=True)
        trl = runs.get("trl")
        if trl is None:
            continue
        trl_work = modelled_work("trl", trl["epochs"], pair_tokens, int(lengths.sum()))
        for trainer, ours in runs.items():
            if trainer.startswith("trl"):
                continue
            work = modelled_work(trainer, ours["epochs"], pair_tokens, int(lengths.sum()))
            summary.append(
                f"- {name}, {trainer} ({precision}): {trl['seconds'] / ours['seconds']:.2f}x "
                f"TRL's wall-clock speed on this set, "
                f"{ours['pairs_per_cpu_s'] / trl['pairs_per_cpu_s']:.2f}x its pairs/CPU-s; mean "
                f"accuracy {ours['accuracy']:.3f} vs {trl['accuracy']:.3f} "
                f"({100 * (ours['accuracy'] - trl['accuracy']):+.1f} points, seed SD "
                f"{accuracy_sd(ours):.1f} and {accuracy_sd(trl):.1f}); modelled work "
                f"{work / trl_work:.2f} of TRL's (a {trl_work / work:.1f}x bound); target "
                + ("met" if met_target(ours, trl) else "NOT met")
            )
            print(summary[-1], flush=True)
    return [*lines, "", *summary]


def threads_section(train, test, args) -> list[str]:
    """1 and 2 torch threads, idle and beside one CPU-burning process."""
    lines = [
        "",
        f"### Threads (labels set, {len(train)} rows, seeds 0..{args.threads_seeds - 1}; "
        f"{os.cpu_count()} CPUs; 'busy' = one other process burning a core throughout)",
        "",
        "| trainer | torch threads | machine | fit s | pairs/s | pairs/CPU-s | accuracy |",
        "|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    seeds = range(args.threads_seeds)
    for trainer in ("trl", "finetune", args.threads_trainer):
        for load in (False, True):
            for threads in (1, 2):
                with cpu_load(load):
                    if trainer == "trl":
                        settings = {
                            "epochs": args.epochs,
                            "batch_size": args.batch_size,
                            "learning_rate": args.learning_rate,
                            "max_length": args.max_length,
                            "torch_threads": threads,
                        }
                        run = over_seeds(
                            lambda seed, s=settings: time_trl(
                                train, test, {**s, "seed": seed}, "fp32"
                            ),
                            seeds,
                        )
                    else:
                        settings = {
                            **our_settings(trainer, args, args.max_length),
                            "torch_threads": threads,
                        }
                        run = over_seeds(
                            lambda seed, s=settings: time_ours(train, test, {**s, "seed": seed}),
                            seeds,
                        )
                lines.append(
                    f"| {trainer} | {threads} | {'busy' if load else 'idle'} "
                    f"| {run['seconds']:.1f} | {run['pairs_per_s']:.1f} "
                    f"| {run['pairs_per_cpu_s']:.1f} | {run['accuracy']:.3f} |"
                )
                print(lines[-1], flush=True)
    return lines


def market_section(args) -> list[str]:
    """Default market runs (``MarketConfig`` defaults), finetune against a partial setting."""
    corpus = builtin_corpus(seed=0)
    full_test = gold_trl_pairs(corpus, corpus.pairs("test"))
    lines = [
        "",
        f"### Market (MarketConfig defaults, {args.market_rounds} rounds, seeds "
        f"0..{args.market_seeds - 1}, {args.threads} torch thread(s))",
        "",
        "Final reward accuracy: on the market's own held-out pairs (reward_model.eval_pairs) "
        f"and on all {len(full_test)} held-out gold pairs.",
        "",
        "| reward model | wall s per run | labels fitted | final accuracy (market's pairs) "
        "| final accuracy (all held-out) | cache MiB |",
        "|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for layers in ("all", args.market_partial):
        runs = []
        for seed in range(args.market_seeds):
            gc.collect()
            config = MarketConfig.from_dict(
                {
                    "seed": seed,
                    "buyer": {"rounds": args.market_rounds},
                    "reward_model": {"trainable_layers": layers, "torch_threads": args.threads},
                }
            )
            start = time.perf_counter()
            market = MarketModel(config).run()
            seconds = time.perf_counter() - start
            model = market.reward_model
            runs.append(
                {
                    "seconds": seconds,
                    "fitted": model.n_pairs_fitted_,
                    "market": market.reward_accuracy_,
                    "full": model.accuracy(full_test),
                    "cache": model.cache_info()["peak_mb"],
                }
            )
        name = f"trainable_layers={layers!r} ({regime(layers)})"

        def mean_sd(key, runs=runs) -> str:
            values = np.array([r[key] for r in runs])
            sd = f" ± {values.std(ddof=1):.3f}" if len(values) > 1 else ""
            seeds = ", ".join(f"{v:.3f}" for v in values)
            return f"{values.mean():.3f}{sd} ({seeds})"

        lines.append(
            f"| {name} | {np.mean([r['seconds'] for r in runs]):.1f} "
            f"| {np.mean([r['fitted'] for r in runs]):.0f} | {mean_sd('market')} "
            f"| {mean_sd('full')} | {np.mean([r['cache'] for r in runs]):.1f} |"
        )
        print(lines[-1], flush=True)
    return lines


def ablation(train, test, settings) -> list[str]:
    """The throughput steps switched on one after another, on the purchased-labels set."""
    finetune = {**settings, "trainable_layers": "all"}
    off = {"group_comparisons": False, "deduplicate_texts": False, "sort_by_length": False}
    variants = {
        "none (random batches, every text encoded, one padded pass)": off,
        "+ length-sorted passes": {**off, "sort_by_length": True},
        "+ text de-duplication (default)": {},
        "+ a comparison's labels in one batch (group_comparisons=True)": {
            "group_comparisons": True
        },
    }
    lines = ["", "### Gain of each throughput step (labels set, finetune, steps added in turn)", ""]
    lines += [
        "| steps on | pairs/s | pairs/CPU-s | gain over none (CPU) | held-out accuracy |",
        "|---|---|---|---|---|",
    ]
    base = None
    model = None
    for label, options in variants.items():
        run = time_ours(train, test, {**finetune, **options})
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
        f"- evaluation ({min(400, len(test))} test pairs): {fast_eval:.1f} s under inference "
        f"mode on unique length-sorted texts vs {naive_eval:.1f} s with autograd on, every side "
        f"encoded ({naive_eval / fast_eval:.2f}x)",
        f"- fused AdamW: {adamw['fused']:.3f} s per optimiser step vs {adamw['loop']:.3f} s "
        f"for the per-tensor loop ({adamw['loop'] / adamw['fused']:.1f}x)",
    ]
    for line in lines[-4:]:
        print(line, flush=True)
    return lines


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="labels,long", help="labels, long, ranked, spread")
    parser.add_argument("--data", type=Path, help="your pairs (prompt, chosen, rejected)")
    parser.add_argument(
        "--trainers", default="trl,finetune,k1,k2,k3,head", help="also: k<N>, trl-defaults"
    )
    parser.add_argument("--precisions", default="fp32", help="fp32 and/or bf16")
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--seeds", type=int, default=4, help="training seeds per trainer")
    parser.add_argument("--quick", action="store_true", help="a few pairs, one seed")
    parser.add_argument("--train-pairs", type=int, default=512)
    parser.add_argument("--long-pairs", type=int, default=256, help="rows of the long set")
    parser.add_argument("--pairs-per-prompt", type=int, default=8)
    parser.add_argument("--labels-per-item", type=int, default=3)
    parser.add_argument("--test-pairs", type=int, default=0, help="0: the whole test split")
    parser.add_argument("--epochs", type=int, default=1, help="TRL and finetune")
    parser.add_argument("--learning-rate", type=float, default=1e-4, help="TRL and finetune")
    parser.add_argument("--partial-epochs", type=int, default=None, help="None: the default")
    parser.add_argument("--partial-learning-rate", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--long-max-length", type=int, default=256)
    parser.add_argument("--threads", type=int, default=default_torch_threads())
    parser.add_argument("--threads-trainer", default="k2")
    parser.add_argument("--threads-seeds", type=int, default=1)
    parser.add_argument("--market-partial", type=int, default=2, help="k of the partial run")
    parser.add_argument("--market-rounds", type=int, default=6)
    parser.add_argument("--market-seeds", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    if args.quick:
        args.train_pairs, args.long_pairs, args.test_pairs = 48, 24, 120
        args.seeds = args.threads_seeds = args.market_seeds = 1
        args.market_rounds = 2
    args.sets = [name for name in args.sets.split(",") if name]
    args.trainers = [name for name in args.trainers.split(",") if name]
    for trainer in [*args.trainers, args.threads_trainer]:
        if not trainer.startswith("trl"):
            trainable_layers_of(trainer)
    args.precisions = args.precisions.split(",")
    if set(args.precisions) - {"fp32", "bf16"}:
        parser.error("--precisions: give fp32 and/or bf16")
    args.sections = args.sections.split(",")
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"--sections: unknown {sorted(unknown)}; choose from {SECTIONS}")
    known = {"labels", "long", "ranked", "spread"}
    if set(args.sets) - known:
        parser.error(f"--sets: unknown {sorted(set(args.sets) - known)}; choose from {known}")
    if args.data is not None:
        args.sets.append("file")
    return args


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    corpus = builtin_corpus(seed=0)
    tokenizer = AutoTokenizer.from_pretrained(resolve_backbone("minilm").path)
    rng = np.random.default_rng(0)
    labels = purchased_labels(corpus, args.train_pairs, args.labels_per_item, rng)
    test_split = corpus.pairs("test")
    test = spread_pairs(corpus, "test", args.test_pairs or len(test_split), rng)
    sets = {}  # name: (train, test, max length)
    for name in args.sets:
        if name == "labels":
            sets[name] = (labels, test, args.max_length)
        elif name == "long":
            train = purchased_labels(corpus, args.long_pairs, args.labels_per_item, rng)
            train = long_text(train, multi_turn_prompts(corpus, "train", tokenizer, rng))
            long_test = long_text(test, multi_turn_prompts(corpus, "test", tokenizer, rng))
            sets[name] = (train, long_test, args.long_max_length)
        elif name == "ranked":
            ranked = ranked_pairs(corpus, args.train_pairs, args.pairs_per_prompt, rng)
            sets[name] = (ranked, test, args.max_length)
        elif name == "spread":
            sets[name] = (
                spread_pairs(corpus, "train", args.train_pairs, rng),
                test,
                args.max_length,
            )
        else:
            train, file_test = file_sets(args.data, np.random.default_rng(0))
            if args.test_pairs:
                file_test = file_test.iloc[: args.test_pairs]
            sets[name] = (train, file_test, args.max_length)
    lines = [
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"torch {torch.__version__}, {args.threads} torch thread(s) for every trainer unless "
        f"a table says otherwise. MiniLM-L6 ({N_LAYERS} layers), batch {args.batch_size}; TRL "
        f"and finetune: {args.epochs} epoch(s), learning rate {args.learning_rate} (constant); "
        f"labels sets: {args.labels_per_item} labels per item. Load average at start "
        f"{os.getloadavg()[0]:.1f} (trainers run one after another, not interleaved; on a busy "
        "machine the seconds are noisy).",
        "",
        "fit s is the wall time of one fit (mean over seeds); x TRL divides TRL's fit s by the "
        "trainer's, on the same rows (so it counts epochs: head mode runs more). pairs/CPU-s "
        "divides by this process's CPU time. Peak RSS is the process's peak resident memory "
        "during the run (libraries included); cache MiB the frozen-state cache's peak, test "
        "texts included. Modelled work counts layer-token passes (forward 1, backward 2): it "
        "bounds the speed-up that caching and freezing can give.",
    ]
    print("\n".join(lines), flush=True)
    if "accuracy" in args.sections:
        for name, (train, set_test, max_length) in sets.items():
            lines += accuracy_section(name, train, set_test, max_length, args, tokenizer)
    if "threads" in args.sections:
        lines += threads_section(labels, test, args)
    if "market" in args.sections:
        lines += market_section(args)
    base = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "max_length": args.max_length,
        "seed": 0,
        "torch_threads": args.threads,
    }
    if "ablation" in args.sections:
        lines += ablation(labels, test, base)
    if "smollm2" in args.sections and smollm2_installed():
        lines += ["", "### SmolLM2-135M-Instruct (GGUF Q4_1, de-quantised to fp32)", ""]
        lines += ["| run | pairs | load s | pairs/s | held-out accuracy (100 pairs) |"]
        lines += ["|---|---|---|---|---|"]
        for label, run in smollm2_figures(labels, test, {**base, "max_length": 96}):
            lines.append(
                f"| {label} | {run['pairs']} | {run['load_s']:.1f} | {run['pairs_per_s']:.1f} "
                f"| {run['accuracy']:.3f} |"
            )
            print(lines[-1], flush=True)
    if args.write:
        write_section(SECTION, "\n".join(lines))


if __name__ == "__main__":
    main()
