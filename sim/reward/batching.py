"""Which pairs train together, and how a batch's texts are ordered into forward passes.

Each unique (prompt, response) in a batch is encoded once and both sides of every pair that
uses it are scored from that one encoding; the unique texts go through the backbone in passes
of similar length (:func:`~sim.reward.encoding.length_passes`), all passes feeding one
backward. Neither changes what a batch computes, up to float rounding.

Opt-in, because it changes what is learned: ``group_comparisons=True`` batches the labels of
one comparison (the same prompt and two responses, in either order: several annotators'
labels of one item) together: the comparisons are shuffled, each one's labels follow one
another, and the sequence is cut into batches, so their two texts are encoded once for all
of them. On labels bought 3 per item that trains about 2.3 times as many pairs per second,
but each batch then holds a third as many distinct comparisons, and held-out accuracy
changed by -0.2 +- 0.5 points over six label sets and by -1.1 +- 1.7 over six seeds on one
(mean +- standard error). Grouping whole prompts (Ouyang et al. 2022, sec. 3.5) shares more
texts still, but with 16 pairs a batch held two prompts and accuracy fell by 2.2 +- 0.8
points (6 seeds, 8 comparisons per prompt).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from sim.reward.encoding import TextKey, length_passes


def epoch_batches(
    keys_chosen: list[TextKey],
    keys_rejected: list[TextKey],
    batch_size: int,
    group_comparisons: bool,
    generator: torch.Generator,
) -> list[np.ndarray]:
    """One epoch of pair-index batches drawn with ``generator``.

    With ``group_comparisons``, the labels of each comparison (in shuffled order) follow
    one another, the comparisons in shuffled order, and the sequence is cut every
    ``batch_size`` pairs; otherwise a plain shuffle is cut.
    """
    order = torch.randperm(len(keys_chosen), generator=generator).numpy()
    if group_comparisons:
        groups: dict[tuple[str, str, str], list[int]] = {}
        for i in order:
            (prompt, chosen), (_, rejected) = keys_chosen[i], keys_rejected[i]
            comparison = (prompt, *sorted((chosen, rejected)))
            groups.setdefault(comparison, []).append(i)
        members = list(groups.values())
        shuffle = torch.randperm(len(members), generator=generator).tolist()
        order = np.array([i for g in shuffle for i in members[g]])
    return np.array_split(order, range(batch_size, len(order), batch_size))


def text_passes(
    keys: list[TextKey],
    length: Callable[[TextKey], int],
    deduplicate_texts: bool,
    sort_by_length: bool,
    split: bool = True,
) -> tuple[list[list[TextKey]], torch.Tensor]:
    """The forward passes that score a batch's ``keys``, and for each key the row of its
    reward in the passes' concatenated output.

    With ``deduplicate_texts`` each distinct key is in one pass only; with ``sort_by_length``
    the passes are :func:`~sim.reward.encoding.length_passes` of the keys' token ``length``
    (one length-sorted pass unless ``split``: on a GPU a pass costs kernel launches, more
    than the padding a split saves), otherwise one pass holds them all.
    """
    unique = list(dict.fromkeys(keys)) if deduplicate_texts else keys
    if sort_by_length and not split:
        passes = [np.argsort([length(key) for key in unique], kind="stable").tolist()]
    elif sort_by_length:
        passes = length_passes([length(key) for key in unique])
    else:
        passes = [list(range(len(unique)))]
    order = [i for members in passes for i in members]
    if deduplicate_texts:
        row = {unique[i]: position for position, i in enumerate(order)}
        rows = torch.tensor([row[key] for key in keys])
    else:
        rows = torch.from_numpy(np.argsort(order))
    return [[unique[i] for i in members] for members in passes], rows
