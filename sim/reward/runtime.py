"""How a fit or a scoring pass runs: torch threads, bf16 autocast, progress bar, private RNG.

None of these changes what is learned in float32: threads are restored afterwards, global RNG
state is untouched, and the bar only shows. ``precision="bf16"`` runs forward passes under
``torch.autocast(<device type>, dtype=torch.bfloat16)``: matrix products in bfloat16 (8
significant bits), weights, gradients, AdamW and the loss in float32 (PyTorch's automatic mixed
precision; ``torch.amp`` docs). TRL's ``bf16=True`` does the same through accelerate.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import torch
from tqdm.auto import tqdm

from sim.reward.settings import RewardSettings

PROGRESS_DELAY_S = 3.0


def autocast(settings: RewardSettings):
    """The context of a forward pass: bf16 autocast under ``precision="bf16"``, else nothing."""
    if settings.precision == "bf16":
        return torch.autocast(torch.device(settings.device).type, dtype=torch.bfloat16)
    return nullcontext()


@contextmanager
def private_rng(generator: torch.Generator, device: str) -> Iterator[None]:
    """Run with global torch RNG state (the CPU's, and ``device``'s when it is a GPU) seeded
    from ``generator`` and restored afterwards."""
    gpus = list(range(torch.cuda.device_count())) if device.startswith("cuda") else []
    with torch.random.fork_rng(devices=gpus):
        torch.manual_seed(int(torch.randint(2**62, (1,), generator=generator)))
        yield


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run with ``n`` torch threads, restoring the previous number afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def progress_bar(settings: RewardSettings, total: int) -> tqdm:
    """A bar over ``total`` optimiser steps, shown only for fits longer than a few seconds."""
    return tqdm(
        total=total,
        desc=f"reward model ({settings.backbone}, trainable_layers={settings.trainable_layers})",
        unit="step",
        delay=PROGRESS_DELAY_S,
        disable=not settings.progress,
        leave=False,
    )
