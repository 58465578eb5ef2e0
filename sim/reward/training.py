"""The training loops: epochs of batches, each an AdamW step on the Bradley-Terry loss.

Two loops, by what a step runs. On cached pooled embeddings (``trainable_layers=0``) a step
is the head alone, on rows of one embedding matrix, in plain shuffled batches. Otherwise a
step scores both sides of its pairs through the trained part of the backbone (the whole
backbone, or the top k layers on cached frozen states), in the batches of
:func:`~sim.reward.batching.epoch_batches`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from sim.reward.batching import epoch_batches
from sim.reward.encoding import TextKey
from sim.reward.objectives import bradley_terry_loss
from sim.reward.runtime import progress_bar
from sim.reward.settings import RewardSettings


def adamw_step(
    optimizer: torch.optim.Optimizer, differences: torch.Tensor, weights: torch.Tensor
) -> None:
    """One step on the weighted Bradley-Terry loss of reward ``differences`` (chosen minus
    rejected); a batch whose weights (on the host, so the test costs no device sync) are all
    zero is skipped."""
    if weights.sum() <= 0:
        return
    loss = bradley_terry_loss(differences.float(), weights.to(differences.device))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def train_head(
    embeddings: torch.Tensor,
    chosen_rows: torch.Tensor,
    rejected_rows: torch.Tensor,
    weights: torch.Tensor,
    head: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    settings: RewardSettings,
    generator: torch.Generator,
) -> None:
    """``epochs`` passes over pairs given as rows of ``embeddings``, shuffled by ``generator``,
    ``batch_size`` pairs a step; ``head`` maps an embedding to its reward."""
    n_pairs = len(chosen_rows)
    n_batches = -(-n_pairs // settings.batch_size)
    with progress_bar(settings, settings.epochs * n_batches) as bar:
        for _ in range(settings.epochs):
            order = torch.randperm(n_pairs, generator=generator)
            for batch in order.split(settings.batch_size):
                chosen = head(embeddings[chosen_rows[batch]]).squeeze(-1)
                rejected = head(embeddings[rejected_rows[batch]]).squeeze(-1)
                adamw_step(optimizer, chosen - rejected, weights[batch])
                bar.update()


def train_pairs(
    keys_chosen: list[TextKey],
    keys_rejected: list[TextKey],
    weights: torch.Tensor,
    batch_rewards: Callable[[list[TextKey]], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    settings: RewardSettings,
    generator: torch.Generator,
) -> None:
    """``epochs`` passes over the pairs in :func:`~sim.reward.batching.epoch_batches`;
    ``batch_rewards`` scores a batch's chosen then rejected keys with gradients."""
    n_batches = -(-len(keys_chosen) // settings.batch_size)
    with progress_bar(settings, settings.epochs * n_batches) as bar:
        for _ in range(settings.epochs):
            for batch in epoch_batches(
                keys_chosen,
                keys_rejected,
                settings.batch_size,
                settings.group_comparisons,
                generator,
            ):
                keys = [keys_chosen[i] for i in batch] + [keys_rejected[i] for i in batch]
                rewards = batch_rewards(keys)
                differences = rewards[: len(batch)] - rewards[len(batch) :]
                adamw_step(optimizer, differences, weights[torch.from_numpy(batch)])
                bar.update()
