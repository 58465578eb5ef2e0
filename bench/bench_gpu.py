"""The reward model on a GPU: our trainers against TRL's RewardTrainer, and one study market.

Every trainer trains MiniLM on the same data, all gold train pairs of the built-in corpus
(10,395; ``--quick``: 128, to check the bench runs), for one epoch, on the same GPU, each after
one warm-up fit in this process (on 256 test pairs: CUDA start-up and kernel selection are not
timed). Figures: training pairs per second of wall-clock time (pairs / time from building the
trainer to the end of the fit, tokenisation and the frozen-state cache included, the GPU
synchronised), of CPU time beside it, accuracy on every test pair (2,565), and peak GPU memory.
Trainers:

- ``trl``: TRL's ``RewardTrainer`` with its own defaults (batch size, learning rate, bf16,
  gradient checkpointing...), for one epoch; output, logging and saving are switched off;
- ``finetune``: prefmarket, every weight trained, at each batch size and learning rate of
  ``GRID``; ``k2``: the top two layers on cached frozen states, likewise. Both use
  ``precision = "auto"`` (bf16 autocast on a GPU).

Also measured: whether one fit repeats to the last bit (same seed, twice), whether a text's
frozen states depend on the texts computed with it, and one market of ``examples/study.toml``
(the first row at the middle budget, seed index 0) end to end.

Run: ``python bench/bench_gpu.py [--quick] [--backbone FOLDER] [--json FILE] [--write]``. On a
machine where torch sees no GPU it says so and stops, unless ``--device cpu`` asks for the same
measurements on the CPU (slow: use ``--quick``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
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
from bench_reward_model import trl_accuracy
from results_file import write_section

from sim.corpus import DEFAULT_TARGET_WEIGHTS, builtin_corpus, gold_pairs, weight_vector
from sim.experiments.run_file import load_run_file
from sim.market import MarketModel
from sim.reward import RewardModel
from sim.reward.backbones import resolve_backbone
from sim.reward.state_cache import clear_shared_states

transformers.logging.set_verbosity_error()
transformers.logging.disable_progress_bar()
warnings.filterwarnings("ignore", category=UserWarning)

SECTION = "## Reward model on a GPU (bench/bench_gpu.py)"
STUDY = Path(__file__).parents[1] / "examples" / "study.toml"
GRID = {
    "finetune": [(64, 1e-4), (256, 3e-4), (256, 1e-3)],
    "k2": [(64, 2e-4), (256, 1e-3), (256, 3e-3)],
}
"""(batch size, learning rate) tried per trainer of ours."""
LAYERS = {"finetune": "all", "k2": 2}
WARM_UP_PAIRS = 256


def synchronise(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def reset_memory(device: str) -> None:
    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_memory_mb(device: str) -> float:
    return torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else float("nan")


def timed(fit, device: str) -> tuple[float, float, object]:
    """Wall and CPU seconds of ``fit()`` (the GPU synchronised), and what it returned."""
    synchronise(device)
    start, cpu_start = time.perf_counter(), time.process_time()
    result = fit()
    synchronise(device)
    return time.perf_counter() - start, time.process_time() - cpu_start, result


def ours(train, test, warm, trainer: str, batch: int, rate: float, args) -> dict:
    """A fresh model of ours fitted on ``train`` (timed) after a warm-up fit, scored on
    ``test``."""
    settings = {
        "backbone": args.backbone,
        "trainable_layers": LAYERS[trainer],
        "batch_size": batch,
        "learning_rate": rate,
        "epochs": 1,
        "max_length": args.max_length,
        "eval_batch_size": 512,
        "device": args.device,
        "progress": False,
    }
    clear_shared_states()  # each timed fit computes its own frozen states
    RewardModel(**settings).fit(warm)
    reset_memory(args.device)
    wall, cpu, model = timed(lambda: RewardModel(**settings).fit(train), args.device)
    return {
        "trainer": trainer,
        "batch_size": batch,
        "learning_rate": rate,
        "precision": model.settings.precision,
        "seconds": wall,
        "pairs_per_s": len(train) / wall,
        "pairs_per_cpu_s": len(train) / cpu,
        "accuracy": model.accuracy(test),
        "peak_gpu_mb": peak_memory_mb(args.device),
    }


def trl(train, test, warm, args) -> dict:
    """TRL's RewardTrainer with its defaults, fitted on ``train`` (timed, dataset
    preparation included) after a warm-up fit."""
    from datasets import Dataset
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.trainer_callback import PrinterCallback
    from trl import RewardConfig, RewardTrainer

    path = resolve_backbone(args.backbone).path
    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.eos_token = tokenizer.sep_token  # TRL appends an end token; BERT's is [SEP]

    def fit(pairs: pd.DataFrame):
        torch.manual_seed(0)
        model = AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=1, dtype=torch.float32
        )
        with tempfile.TemporaryDirectory() as output_dir:
            config = RewardConfig(
                output_dir=output_dir,
                num_train_epochs=1,  # the bench's one epoch for every trainer (TRL's default: 3)
                save_strategy="no",
                report_to=[],
                disable_tqdm=True,
                logging_steps=10**6,
                use_cpu=args.device == "cpu",
            )
            trainer = RewardTrainer(
                model=model,
                args=config,
                train_dataset=Dataset.from_pandas(pairs, preserve_index=False),
                processing_class=tokenizer,
            )
            trainer.remove_callback(PrinterCallback)
            trainer.train()
        return trainer, config

    fit(warm)
    reset_memory(args.device)
    wall, cpu, (trainer, config) = timed(lambda: fit(train), args.device)
    model = trainer.model.float().eval()
    return {
        "trainer": "trl",
        "batch_size": config.per_device_train_batch_size,
        "learning_rate": config.learning_rate,
        "precision": "bf16" if config.bf16 else ("fp16" if config.fp16 else "fp32"),
        "seconds": wall,
        "pairs_per_s": len(train) / wall,
        "pairs_per_cpu_s": len(train) / cpu,
        "accuracy": trl_accuracy(model, tokenizer, test, args.max_length),
        "peak_gpu_mb": peak_memory_mb(args.device),
    }


def repeats(train, test, args) -> dict:
    """Whether the same seeded fit gives the same rewards twice, per trainer."""
    found = {}
    for trainer, (batch, rate) in (("finetune", GRID["finetune"][1]), ("k2", GRID["k2"][1])):
        rewards = []
        for _ in range(2):
            model = RewardModel(
                backbone=args.backbone,
                trainable_layers=LAYERS[trainer],
                batch_size=batch,
                learning_rate=rate,
                max_length=args.max_length,
                device=args.device,
                progress=False,
            ).fit(train)
            rewards.append(model.score(list(test["prompt"]), list(test["chosen"])))
        found[trainer] = float(np.max(np.abs(rewards[0] - rewards[1])))
    return found


def company_independence(test, args) -> float:
    """Largest difference in a text's frozen states computed among two different sets of
    texts (two fresh processes' worth of cache, simulated by clearing it)."""
    texts = list(test["chosen"])
    prompts = list(test["prompt"])
    values = []
    for order in (slice(0, 100), slice(50, 150)):
        clear_shared_states()
        model = RewardModel(
            backbone=args.backbone,
            trainable_layers=2,
            max_length=args.max_length,
            device=args.device,
            progress=False,
        )
        model.score(prompts[order], texts[order])  # computes (and caches) these states
        values.append(model.score(prompts[50:100], texts[50:100]))
    clear_shared_states()
    return float(np.max(np.abs(values[0] - values[1])))


def study_market(args) -> dict:
    """One market of the study (first row, middle budget, seed index 0), end to end."""
    plan = load_run_file(STUDY)
    middle = plan.budgets[len(plan.budgets) // 2]
    run = next(r for r in plan.runs() if r.budget == middle and r.seed_index == 0)
    section = {"backbone": args.backbone, "device": args.device}
    update = {"reward_model": run.config.reward_model.model_copy(update=section)}
    if args.quick:  # two rounds, to check the bench runs
        update["buyer"] = run.config.buyer.model_copy(update={"rounds": 2})
    config = run.config.model_copy(update=update)
    wall, cpu, model = timed(lambda: MarketModel(config).run(), args.device)
    rounds = model.results()["rounds"]
    return {
        "row": run.row,
        "budget": middle,
        "seconds": wall,
        "cpu_seconds": cpu,
        "labels": int(rounds["labels"].sum()),
        "reward_accuracy": float(rounds["reward_accuracy"].iloc[-1]),
    }


def table(rows: list[dict], baseline: float) -> str:
    lines = [
        "| trainer | batch | lr | precision | pairs/s (wall) | pairs/CPU-s | x TRL | accuracy "
        "| peak GPU MiB |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['trainer']} | {r['batch_size']} | {r['learning_rate']:g} | {r['precision']} "
            f"| {r['pairs_per_s']:,.0f} | {r['pairs_per_cpu_s']:,.0f} "
            f"| {r['pairs_per_s'] / baseline:.1f} | {r['accuracy']:.3f} | {r['peak_gpu_mb']:,.0f} |"
        )
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:N or cpu")
    parser.add_argument("--backbone", default="minilm", help="minilm or a model folder")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--quick", action="store_true", help="128 train pairs, 64 test pairs")
    parser.add_argument("--skip-trl", action="store_true")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--write", action="store_true", help="replace the RESULTS.md section")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(
            f"No GPU: torch {torch.__version__} sees no CUDA device on this machine, so "
            "bench_gpu.py has nothing to measure. Run it where a GPU is, or with --device cpu "
            "--quick for the same figures on the CPU (bench_reward_model.py is the CPU bench)."
        )
        return
    machine = torch.cuda.get_device_name(args.device) if args.device.startswith("cuda") else "CPU"
    print(f"{machine}, torch {torch.__version__}, transformers {transformers.__version__}")
    corpus = builtin_corpus(0)
    weights = weight_vector(DEFAULT_TARGET_WEIGHTS)
    train = gold_pairs(corpus, corpus.pairs("train"), weights)
    test = gold_pairs(corpus, corpus.pairs("test"), weights)
    warm = test.iloc[-WARM_UP_PAIRS:]
    if args.quick:
        train, test, warm = train.iloc[:128], test.iloc[:64], warm.iloc[:32]
    rows = [] if args.skip_trl else [trl(train, test, warm, args)]
    if rows:
        print(table(rows, rows[0]["pairs_per_s"]), flush=True)
    for trainer, grid in GRID.items():
        for batch, rate in grid:
            rows.append(ours(train, test, warm, trainer, batch, rate, args))
            print(table(rows[-1:], rows[0]["pairs_per_s"]).splitlines()[-1], flush=True)
    figures = {
        "machine": machine,
        "torch": torch.__version__,
        "train_pairs": len(train),
        "test_pairs": len(test),
        "trainers": rows,
        "repeat_max_difference": repeats(train.iloc[:2048], test, args),
        "company_max_difference": company_independence(test, args),
        "study_market": study_market(args),
    }
    body = [
        f"{time.strftime('%Y-%m-%d')}, {machine}, {platform.python_version()}, "
        f"torch {torch.__version__}; {len(train):,} train pairs, 1 epoch, accuracy on "
        f"{len(test):,} test pairs, max_length {args.max_length}.",
        "",
        table(rows, rows[0]["pairs_per_s"]),
        "",
        f"Same seed twice (2,048 pairs), largest reward difference: "
        f"{figures['repeat_max_difference']}; a text's frozen states among other texts: "
        f"{figures['company_max_difference']}.",
        f"Study market ({json.dumps(figures['study_market'])}).",
    ]
    print("\n".join(body))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    if args.write:
        write_section(SECTION, "\n".join(body))


if __name__ == "__main__":
    main()
