"""The reward model's throughput steps: they change how a batch is computed, never its loss."""

import itertools

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.corpus import DEFAULT_TARGET_WEIGHTS, builtin_corpus, to_trl
from sim.reward import RewardModel, length_passes
from sim.reward.batching import epoch_batches

BATCH_SWITCHES = ("deduplicate_texts", "sort_by_length")


@pytest.fixture(scope="module")
def corpus():
    return builtin_corpus(seed=0)


def prompt_groups(corpus, n_prompts, per_prompt, seed):
    """``per_prompt`` gold-labelled comparisons on each of ``n_prompts`` train prompts."""
    rng = np.random.default_rng(seed)
    pairs = corpus.pairs("train")
    prompt_ids = rng.choice(pairs["prompt_id"].unique(), size=n_prompts, replace=False)
    rows = np.concatenate(
        [
            rng.choice(np.flatnonzero(pairs["prompt_id"] == p), size=per_prompt, replace=False)
            for p in prompt_ids
        ]
    )
    chosen = pairs.iloc[rng.permutation(rows)]
    left_wins = corpus.gold_left_wins(chosen, DEFAULT_TARGET_WEIGHTS)
    labels = chosen.assign(
        worker="gold", label=np.where(left_wins, chosen["left"], chosen["right"])
    )
    return to_trl(labels[["worker", "left", "right", "label"]], corpus)


def padded_cost(lengths, passes, overhead):
    return sum(len(p) * max(lengths[i] for i in p) + overhead for p in passes)


def set_partitions(items):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for partition in set_partitions(rest):
        yield [[first], *partition]
        for k in range(len(partition)):
            yield [*partition[:k], [first, *partition[k]], *partition[k + 1 :]]


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 128), min_size=1, max_size=7),
    overhead=st.integers(0, 200),
)
def test_length_passes_finds_the_cheapest_split_of_all(lengths, overhead):
    passes = length_passes(lengths, overhead)
    assert sorted(i for p in passes for i in p) == list(range(len(lengths)))
    best = min(
        padded_cost(lengths, partition, overhead)
        for partition in set_partitions(list(range(len(lengths))))
    )
    assert padded_cost(lengths, passes, overhead) == best


def test_length_passes_keep_alike_lengths_together_and_tiny_overhead_splits_all():
    assert sorted(map(sorted, length_passes([10, 90, 11, 91], overhead_tokens=5))) == [
        [0, 2],
        [1, 3],
    ]
    assert len(length_passes([5, 6, 7, 8], overhead_tokens=0)) == 4
    assert len(length_passes([5, 6, 7, 8], overhead_tokens=1000)) == 1


def repeated_labels(pairs, times):
    """Every comparison ``times`` times, every other copy with its sides swapped."""
    copies = [
        pairs.rename(columns={"chosen": "rejected", "rejected": "chosen"}) if k % 2 else pairs
        for k in range(times)
    ]
    return pd.concat(copies, ignore_index=True)[["prompt", "chosen", "rejected"]]


def split_comparisons(pairs, batches):
    """How many comparisons have labels in more than one batch."""
    batch_of = np.empty(len(pairs), dtype=int)
    for b, members in enumerate(batches):
        batch_of[members] = b
    sides = np.sort(pairs[["chosen", "rejected"]].to_numpy(), axis=1)
    keys = pd.Series(list(zip(pairs["prompt"], sides[:, 0], sides[:, 1], strict=True)))
    return int((pd.Series(batch_of).groupby(keys).nunique() > 1).sum())


def test_batches_keep_each_comparisons_labels_together(corpus):
    pairs = repeated_labels(prompt_groups(corpus, n_prompts=6, per_prompt=4, seed=0), times=3)
    chosen = list(zip(pairs["prompt"], pairs["chosen"], strict=True))
    rejected = list(zip(pairs["prompt"], pairs["rejected"], strict=True))
    generator = torch.Generator().manual_seed(0)
    epochs = [
        epoch_batches(chosen, rejected, batch_size=16, group_comparisons=True, generator=generator)
        for _ in range(2)
    ]
    for batches in epochs:
        assert sorted(np.concatenate(batches).tolist()) == list(range(len(pairs)))
        assert [len(b) for b in batches] == [16] * 4 + [8]
        # A cut between batches splits at most one comparison's labels.
        assert split_comparisons(pairs, batches) <= len(batches) - 1
    assert not all(np.array_equal(a, b) for a, b in zip(*epochs, strict=True))
    plain = epoch_batches(
        chosen, rejected, batch_size=16, group_comparisons=False, generator=generator
    )
    assert split_comparisons(pairs, plain) > len(epochs[0])


def test_throughput_steps_leave_rewards_and_gradients_unchanged(corpus):
    # Two prompts' comparisons, each used twice and once with the sides swapped: texts recur.
    pairs = prompt_groups(corpus, n_prompts=2, per_prompt=4, seed=1)
    keys = list(zip(pairs["prompt"], pairs["chosen"], strict=True))
    keys += list(zip(pairs["prompt"], pairs["rejected"], strict=True))
    keys += keys[:5]
    loss_weights = torch.linspace(-1.0, 2.0, len(keys))
    results = {}
    for on in itertools.product([False, True], repeat=len(BATCH_SWITCHES)):
        switches = dict(zip(BATCH_SWITCHES, on, strict=True))
        model = RewardModel(trainable_layers="all", seed=0, progress=False, **switches)
        model._encoder.tokenize_missing(keys)
        rewards = model._batch_rewards(keys)
        (rewards @ loss_weights).backward()
        grads = [p.grad.clone() for p in model.network.parameters()]
        grads += [p.grad.clone() for p in model.head.parameters()]
        results[on] = (rewards.detach(), grads)
    reference_rewards, reference_grads = results[(False, False)]
    for rewards, grads in results.values():
        torch.testing.assert_close(rewards, reference_rewards, rtol=1e-5, atol=1e-5)
        for grad, reference in zip(grads, reference_grads, strict=True):
            torch.testing.assert_close(grad, reference, rtol=1e-4, atol=1e-6)
