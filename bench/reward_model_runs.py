"""One timed training run of ``bench_reward_model.py`` (ours or TRL's RewardTrainer) and the
throughput ablation's measurements."""

from __future__ import annotations

import contextlib
import gc
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import transformers
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from sim.reward import RewardModel
from sim.reward.backbones import resolve_backbone

transformers.logging.set_verbosity_error()  # load reports and deprecation notes
transformers.logging.disable_progress_bar()
warnings.filterwarnings("ignore", message="`gradient_checkpointing` is deprecated")

TIMED = ("seconds", "pairs_per_s", "pairs_per_cpu_s", "accuracy", "peak_rss_mb", "cache_mb")
N_LAYERS = 6  # MiniLM-L6

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
    figures = timed_figures(len(train), model.settings.epochs, seconds, cpu, accuracy)
    return figures | {
        "cache_mb": model.cache_info()["peak_mb"],
        "learning_rate": model.settings.learning_rate,
        "model": model,
    }


def timed_figures(rows: int, epochs: int, seconds: float, cpu: float, accuracy: float) -> dict:
    """A timed fit's figures: ``rows * epochs`` pairs over its wall and CPU seconds, its
    accuracy and the process's peak memory during it."""
    pairs = rows * epochs
    return {
        "seconds": seconds,
        "pairs_per_s": pairs / seconds,
        "pairs_per_cpu_s": pairs / cpu,
        "accuracy": accuracy,
        "peak_rss_mb": peak_rss_mb(),
        "epochs": epochs,
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
    figures = timed_figures(len(train), settings["epochs"], seconds, cpu, accuracy)
    return figures | {
        "cache_mb": 0.0,
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
        ("SmolLM2 finetune, Bradley-Terry", {"trainable_layers": "all", "epochs": 1}),
        (
            "SmolLM2 finetune, DPO",
            {"trainable_layers": "all", "epochs": 1, "objective": "dpo"},
        ),
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
    head = RewardModel(backbone="smollm2", trainable_layers=0, progress=False)
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
