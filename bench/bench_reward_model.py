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
import contextlib
import gc
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")

import numpy as np
import pandas as pd
import torch
import transformers
from results_file import write_section
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from sim.config import MarketConfig
from sim.corpus import (
    DEFAULT_TARGET_WEIGHTS,
    TRL_COLUMNS,
    builtin_corpus,
    gold_pairs,
    to_trl,
)
from sim.crowd_labels import crowd_labels
from sim.market import MarketModel
from sim.reward import RewardModel, default_torch_threads
from sim.reward.backbones import resolve_backbone, smollm2_installed

transformers.logging.set_verbosity_error()  # load reports and deprecation notes
transformers.logging.disable_progress_bar()
warnings.filterwarnings("ignore", message="`gradient_checkpointing` is deprecated")

TIMED = ("seconds", "pairs_per_s", "pairs_per_cpu_s", "accuracy", "peak_rss_mb", "cache_mb")
SECTION = "## Reward model (bench/bench_reward_model.py)"
SECTIONS = ("accuracy", "threads", "market", "ablation", "smollm2")
N_LAYERS = 6  # MiniLM-L6
LONG_TOKENS = (150, 250)
"""Tokens per (prompt, response) of the long-text set."""


# ---------------------------------------------------------------- data sets


def gold_trl_pairs(corpus, pairs: pd.DataFrame) -> pd.DataFrame:
    return gold_pairs(corpus, pairs, DEFAULT_TARGET_WEIGHTS)


def purchased_labels(corpus, n: int, per_item: int, rng: np.random.Generator) -> pd.DataFrame:
    """``ceil(n / per_item)`` random train pairs, each labelled by ``per_item`` distinct
    annotators of the default population (``sim.crowd_labels``), exported one row per label."""
    pairs = corpus.pairs("train")
    items = pairs.iloc[rng.choice(len(pairs), size=-(-n // per_item), replace=False)]
    return to_trl(crowd_labels(corpus, items, per_item, rng), corpus)[list(TRL_COLUMNS)]


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


def multi_turn_prompts(corpus, split: str, tokenizer, rng: np.random.Generator) -> dict:
    """For each prompt of ``split``, a multi-turn exchange that ends in it: earlier turns are
    other prompts of the split with one of their responses, added in random order while each
    (prompt, response) of the prompt stays within ``LONG_TOKENS`` (BERT pair encoding), until
    the shortest reaches the lower end."""
    responses = corpus.responses
    prompts = corpus.pairs(split)["prompt"].unique()
    pool = responses[responses["prompt"].isin(prompts)].reset_index(drop=True)

    def tokens(texts) -> np.ndarray:
        encoded = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return np.array([len(ids) for ids in encoded])

    response_tokens = tokens(pool["text"])
    turns = ("User: " + pool["prompt"] + "\nAssistant: " + pool["text"] + "\n").tolist()
    turn_tokens = tokens(turns)
    special = 3  # [CLS] prompt [SEP] response [SEP]
    exchanges = {}
    for prompt in prompts:
        own = (pool["prompt"] == prompt).to_numpy()
        final = f"User: {prompt}\nAssistant: "
        size = int(tokens([final])[0])
        low = LONG_TOKENS[0] - special - int(response_tokens[own].min())
        high = LONG_TOKENS[1] - special - int(response_tokens[own].max())
        history = []
        for j in rng.permutation(len(turns)):
            if size >= low:
                break
            if not own[j] and size + turn_tokens[j] <= high:
                history.append(turns[j])
                size += int(turn_tokens[j])
        exchanges[prompt] = "".join(history) + final
    return exchanges


def long_text(frame: pd.DataFrame, exchanges: dict) -> pd.DataFrame:
    return frame.assign(prompt=frame["prompt"].map(exchanges))


def file_sets(path: Path, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pairs in TRL's ``prompt, chosen, rejected`` columns from a JSONL, CSV or Parquet file,
    split by prompt: a random fifth of the prompts is held out."""
    readers = {
        ".jsonl": lambda p: pd.read_json(p, lines=True),
        ".json": pd.read_json,
        ".csv": pd.read_csv,
        ".parquet": pd.read_parquet,
    }
    if path.suffix.lower() not in readers:
        raise SystemExit(f"--data: {path} must end in one of {sorted(readers)}")
    frame = readers[path.suffix.lower()](path)
    missing = [c for c in TRL_COLUMNS if c not in frame.columns]
    if missing:
        raise SystemExit(
            f"--data: {path} lacks the columns {missing} (TRL's prompt, chosen, rejected)"
        )
    frame = frame[list(TRL_COLUMNS)].dropna()
    if not all(frame[c].map(type).eq(str).all() for c in TRL_COLUMNS):
        raise SystemExit(f"--data: {path}: every prompt, chosen and rejected must be a string")
    prompts = frame["prompt"].unique()
    held = set(rng.choice(prompts, size=max(1, len(prompts) // 5), replace=False))
    test = frame["prompt"].isin(held)
    if test.all() or not test.any():
        raise SystemExit(f"--data: {path} needs at least two distinct prompts")
    return frame[~test].reset_index(drop=True), frame[test].reset_index(drop=True)


def text_tokens(tokenizer, frame: pd.DataFrame, max_length: int) -> np.ndarray:
    """Tokens of each distinct (prompt, response) of ``frame`` as prefmarket encodes it."""
    keys = set(zip(frame["prompt"], frame["chosen"], strict=True))
    keys |= set(zip(frame["prompt"], frame["rejected"], strict=True))
    prompts, responses = zip(*sorted(keys), strict=True)
    encoded = tokenizer(
        list(prompts), list(responses), truncation="longest_first", max_length=max_length
    )
    return np.array([len(ids) for ids in encoded["input_ids"]])


# ---------------------------------------------------------------- one timed run


def reset_peak_rss() -> None:
    """Start a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    """This process's peak resident memory since :func:`reset_peak_rss`, in MiB (nan when
    /proc is not there)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


@contextlib.contextmanager
def cpu_load(active: bool):
    """With ``active``, one other process burning a CPU core for as long as the block runs."""
    if not active:
        yield
        return
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        yield
    finally:
        burner.kill()
        burner.wait()


def trainable_layers_of(trainer: str) -> int | str:
    """``finetune`` -> "all", ``head`` -> 0, ``k<N>`` -> N."""
    if trainer == "finetune":
        return "all"
    if trainer == "head":
        return 0
    if re.fullmatch(r"k[1-9][0-9]*", trainer):
        return int(trainer[1:])
    raise SystemExit(f"--trainers: unknown trainer {trainer!r}; use trl, finetune, head or k<N>")


def our_settings(trainer: str, args, max_length: int) -> dict:
    layers = trainable_layers_of(trainer)
    settings = {"trainable_layers": layers, "batch_size": args.batch_size, "max_length": max_length}
    if layers == "all":
        settings |= {"learning_rate": args.learning_rate, "epochs": args.epochs}
    elif layers != 0:
        settings |= {"learning_rate": args.partial_learning_rate, "epochs": args.partial_epochs}
    return settings


def time_ours(train, test, settings: dict) -> dict:
    """Fit a fresh model on ``train`` (timed), then measure it on ``test``."""
    gc.collect()
    model = RewardModel(**settings, progress=False)
    reset_peak_rss()
    start, cpu_start = time.perf_counter(), time.process_time()
    model.fit(train)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    accuracy = model.accuracy(test)
    pairs = len(train) * model.settings.epochs
    return {
        "seconds": seconds,
        "pairs_per_s": pairs / seconds,
        "pairs_per_cpu_s": pairs / cpu,
        "accuracy": accuracy,
        "peak_rss_mb": peak_rss_mb(),
        "cache_mb": model.cache_info()["peak_mb"],
        "epochs": model.settings.epochs,
        "learning_rate": model.settings.learning_rate,
        "model": model,
    }


def time_trl(train, test, settings: dict, precision: str, trl_defaults: bool = False) -> dict:
    """TRL's RewardTrainer on ``train`` (timed, dataset preparation included), in
    ``settings["torch_threads"]`` threads, then its accuracy on ``test``."""
    from datasets import Dataset
    from transformers.trainer_callback import PrinterCallback
    from trl import RewardConfig, RewardTrainer

    gc.collect()
    path = resolve_backbone("minilm").path
    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.eos_token = tokenizer.sep_token  # TRL appends an end token; BERT's is [SEP]
    torch.manual_seed(settings["seed"])
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
    # TRL's defaults are bf16 and gradient checkpointing; like with like turns both off.
    options = {"bf16": precision == "bf16", "gradient_checkpointing": False}
    if trl_defaults:
        options = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(settings["torch_threads"])
    reset_peak_rss()
    try:
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
                **options,
            )
            start, cpu_start = time.perf_counter(), time.process_time()
            trainer = RewardTrainer(
                model=model,
                args=config,
                train_dataset=Dataset.from_pandas(train, preserve_index=False),
                processing_class=tokenizer,
            )
            trainer.remove_callback(PrinterCallback)  # its end-of-training metrics print
            trained_rows = len(trainer.train_dataset)
            trainer.train()
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        model = trainer.model.float().eval()
        accuracy = trl_accuracy(model, tokenizer, test, settings["max_length"])
    finally:
        torch.set_num_threads(threads)
    pairs = len(train) * settings["epochs"]
    return {
        "seconds": seconds,
        "pairs_per_s": pairs / seconds,
        "pairs_per_cpu_s": pairs / cpu,
        "accuracy": accuracy,
        "peak_rss_mb": peak_rss_mb(),
        "cache_mb": 0.0,
        "epochs": settings["epochs"],
        "learning_rate": settings["learning_rate"],
        "dropped": len(train) - trained_rows,
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
            ).to(model.device)
            scores.update(zip(texts, model(**batch).logits[:, 0].tolist(), strict=True))
    return float(np.mean([scores[c] > scores[r] for c, r in zip(chosen, rejected, strict=True)]))


def over_seeds(run, seeds) -> dict:
    """Mean figures of ``run(seed)`` over ``seeds``, with each seed's accuracy."""
    runs = [run(seed) for seed in seeds]
    for r in runs:
        r.pop("model", None)
    mean = {key: float(np.mean([r[key] for r in runs])) for key in TIMED}
    return {**runs[0], **mean, "accuracies": [r["accuracy"] for r in runs]}


def accuracy_sd(run: dict) -> float:
    """Seed-to-seed SD of the accuracy in points (nan for one seed)."""
    accuracies = run["accuracies"]
    return 100 * float(np.std(accuracies, ddof=1)) if len(accuracies) > 1 else float("nan")


def modelled_work(trainer: str, epochs: int, pair_tokens: int, distinct_tokens: int) -> float:
    """Layer-token passes of one fit, a forward pass of one layer over one token counting 1
    and its backward 2: 3 L P E for TRL and finetune, (L - k) U + 3 k P E for k trained layers
    on cached states, L U for head mode (P tokens over all pairs' texts, U over distinct
    texts, E epochs). Attention's quadratic term and padding are left out."""
    layers = "all" if trainer.startswith("trl") else trainable_layers_of(trainer)
    if layers == "all":
        return 3.0 * N_LAYERS * pair_tokens * epochs
    return (N_LAYERS - layers) * distinct_tokens + 3.0 * layers * pair_tokens * epochs


# ---------------------------------------------------------------- ablation helpers


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
        name = f"trainable_layers={layers!r} ({model.settings.mode})"

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
